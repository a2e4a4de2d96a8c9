/**
 * What a recorded value may be: the one rule behind every table reader (src/results/tables.ts, through
 * src/results/columns.ts) and the curve rows a checkpoint carries (src/checkpoint/validate.ts). Pure.
 *
 * Numbers are decimal text of a finite number ('NaN', 'Infinity', '0x10' are refused), within
 * [min, max], integers where `integer`; `optional`: empty means "not measured". Text takes anything;
 * 'id' must not be empty; 'choice' takes one of `values` (or empty when optional).
 */
export type CellRule =
  | { type: 'text' }
  | { type: 'id' }
  | { type: 'choice'; values: readonly string[]; optional: boolean }
  | { type: 'number'; integer: boolean; min: number; max?: number; exclusiveMin?: boolean; optional: boolean };

export const TEXT: CellRule = { type: 'text' };
export const ID: CellRule = { type: 'id' };
/** A count: an integer ≥ 0. */
export const count = (optional = true): CellRule => ({ type: 'number', integer: true, min: 0, optional });
export const positiveCount = (optional = false): CellRule => ({ type: 'number', integer: true, min: 1, optional });
/** Bits per character, seconds, rates, losses: finite and ≥ 0. */
export const nonNegative = (optional = true): CellRule => ({ type: 'number', integer: false, min: 0, optional });
export const positive = (optional = true): CellRule => ({
  type: 'number',
  integer: false,
  min: 0,
  exclusiveMin: true,
  optional,
});
export const choice = (values: readonly string[], optional = false): CellRule => ({ type: 'choice', values, optional });
export const intIn = (min: number, max: number, optional = true): CellRule => ({
  type: 'number',
  integer: true,
  min,
  max,
  optional,
});

/**
 * The measurements a run records, by their column name, with one rule each: curves.csv and
 * summary.csv take them from here, and so does the check of a checkpoint's curve rows.
 */
export const MEASURES = {
  iteration: count(false),
  chars: count(false),
  smooth_loss_per_char: nonNegative(),
  val_bpc: nonNegative(),
  elapsed_s: nonNegative(),
  temperature: positive(),
} as const satisfies Record<string, CellRule>;

/** Decimal text of a number (what csv-stringify writes for a finite number). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Whether a cell's text is a decimal number (no NaN, Infinity, hex or words). */
export function isDecimal(raw: string): boolean {
  return DECIMAL.test(raw);
}

/** What is wrong with a cell's text under `rule` (null: nothing). `raw` is trimmed. */
export function cellProblem(rule: CellRule, raw: string): string | null {
  if (rule.type === 'text') return null;
  if (rule.type === 'id') return raw === '' ? 'must not be empty' : null;
  if (raw === '') return rule.optional ? null : 'must not be empty';
  if (rule.type === 'choice') return rule.values.includes(raw) ? null : `expected one of ${rule.values.join(', ')}`;
  const n = Number(raw);
  const bound = rule.max === undefined ? `${rule.exclusiveMin ? '>' : '≥'} ${rule.min}` : `in ${rule.min}..${rule.max}`;
  const expected = `expected ${rule.integer ? 'an integer' : 'a finite number'} ${bound}`;
  if (!DECIMAL.test(raw) || !Number.isFinite(n)) return expected;
  if (rule.integer && !Number.isSafeInteger(n)) return expected;
  if (n < rule.min || (rule.exclusiveMin && n === rule.min) || (rule.max !== undefined && n > rule.max))
    return expected;
  return null;
}

/** What is wrong with a value (a number, text, or null for "not measured") under `rule`. */
export function valueProblem(rule: CellRule, value: unknown): string | null {
  if (value === null || value === undefined) return cellProblem(rule, '');
  if (typeof value === 'number')
    return Number.isFinite(value) ? cellProblem(rule, String(value)) : cellProblem(rule, 'NaN');
  if (typeof value === 'string')
    return rule.type === 'number' ? 'expected a number, got text' : cellProblem(rule, value.trim());
  return `expected ${rule.type === 'number' ? 'a number' : 'text'}`;
}
