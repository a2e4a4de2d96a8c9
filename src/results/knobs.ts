/**
 * The knobs a sweep can turn, described once. Grid expansion, random search, run ids, the
 * experiment schema, summary.csv's columns, `--plan`, the report (per-knob tables, labels, plots)
 * and `charlab train`'s flags (and what a resume keeps) all derive from this list: a new knob is one
 * entry here (plus what the model does with it). A knob's key is also its field of RnnConfig.
 *
 * Order matters and is part of the format: it is the nesting order of grid expansion (outermost
 * first), the order of the parts of a run id and of the knob columns in summary.csv.
 */
import { z } from 'zod';
import { MODEL_DEFAULTS, RNN_DEFAULTS } from '../defaults.js';
import { CELL_NAMES } from '../model/cells/index.js';
import { OPTIMIZER_NAMES } from '../optim/optimizers.js';
import { INIT_NAMES, withDefaults, type RnnConfig } from '../model/types.js';

const posInt = () => z.int({ error: 'expected a positive integer' }).positive({ error: 'expected a positive integer' });
const finiteNum = () => z.number({ error: 'expected a finite number' }).finite({ error: 'expected a finite number' });
const nonNegNum = () =>
  z
    .number({ error: 'expected a finite number ≥ 0' })
    .nonnegative({ error: 'expected a finite number ≥ 0' })
    .finite({ error: 'expected a finite number ≥ 0' });
/** A dropout probability: [0, 0.99]. */
const probability = () => nonNegNum().max(0.99, { error: 'expected a number in [0, 0.99]' });
const intIn = (lo: number, hi: number) => z.int({ error: `expected an integer in ${lo}..${hi}` }).min(lo, { error: `expected an integer in ${lo}..${hi}` }).max(hi, { error: `expected an integer in ${lo}..${hi}` });
const names = (xs: readonly string[]) => z.enum(xs as [string, ...string[]], { error: `expected one of ${xs.map((x) => `"${x}"`).join(', ')}` });
const posNum = () =>
  z
    .number({ error: 'expected a positive finite number' })
    .positive({ error: 'expected a positive finite number' })
    .finite({ error: 'expected a positive finite number' });

/**
 * One knob. `kind` says how random search may draw it: 'int' (integer ranges, choice), 'real'
 * (uniform, log-uniform, choice) or 'choice' (a list of names only).
 */
export interface KnobDef {
  /** Key in the experiment's grid and search space, and the run's field name. */
  key: string;
  /** Column in summary.csv. */
  column: string;
  /** `charlab train`'s flag ("hidden": --hidden). */
  flag: string;
  /** Prefix of the knob's part of a run id ("h" in h100). */
  idPrefix: string;
  /** Heading in tables ("hidden"), label in prose and plots ("hidden size"), file-name slug ("hidden"). */
  short: string;
  label: string;
  slug: string;
  kind: 'int' | 'real' | 'choice';
  /** One valid value. */
  schema: z.ZodType<number | string>;
  default: number | string;
  /**
   * 'always': part of every run id (min-char-rnn's four knobs, as ids always had them);
   * 'unlessDefault': part of the id only when not the default, so existing ids stay as they were.
   */
  inId: 'always' | 'unlessDefault';
  describe: string;
}

export const KNOBS = [
  {
    key: 'hiddenSize', column: 'hidden_size', flag: 'hidden', idPrefix: 'h', short: 'hidden', label: 'hidden size', slug: 'hidden',
    kind: 'int', schema: posInt(), default: RNN_DEFAULTS.hiddenSize, inId: 'always', describe: 'Hidden units.',
  },
  {
    key: 'unroll', column: 'unroll', flag: 'unroll', idPrefix: 'u', short: 'unroll', label: 'unroll', slug: 'unroll',
    kind: 'int', schema: posInt(), default: RNN_DEFAULTS.unroll, inId: 'always', describe: 'Characters per truncated-BPTT chunk.',
  },
  {
    key: 'clip', column: 'clip', flag: 'clip', idPrefix: 'c', short: 'clip', label: 'clip', slug: 'clip',
    kind: 'real', schema: posNum(), default: RNN_DEFAULTS.clip, inId: 'always', describe: 'Element-wise gradient clip range [-clip, clip].',
  },
  {
    key: 'learningRate', column: 'learning_rate', flag: 'lr', idPrefix: 'lr', short: 'lr', label: 'learning rate', slug: 'lr',
    kind: 'real', schema: posNum(), default: RNN_DEFAULTS.learningRate, inId: 'always', describe: 'Learning rate of the optimizer.',
  },
  // The model ladder (src/model/cells, src/optim): absent = min-char-rnn's value, and then not part of the run id.
  {
    key: 'cell', column: 'cell', flag: 'cell', idPrefix: '', short: 'cell', label: 'cell', slug: 'cell',
    kind: 'choice', schema: names(CELL_NAMES), default: MODEL_DEFAULTS.cell, inId: 'unlessDefault', describe: `Recurrent cell: ${CELL_NAMES.join(', ')}.`,
  },
  {
    key: 'layers', column: 'layers', flag: 'layers', idPrefix: 'L', short: 'layers', label: 'layers', slug: 'layers',
    kind: 'int', schema: intIn(1, 3), default: MODEL_DEFAULTS.layers, inId: 'unlessDefault', describe: 'Stacked layers (1-3).',
  },
  {
    key: 'optimizer', column: 'optimizer', flag: 'optimizer', idPrefix: '', short: 'optimizer', label: 'optimizer', slug: 'optimizer',
    kind: 'choice', schema: names(OPTIMIZER_NAMES), default: MODEL_DEFAULTS.optimizer, inId: 'unlessDefault', describe: `Optimizer: ${OPTIMIZER_NAMES.join(', ')}.`,
  },
  {
    key: 'batch', column: 'batch', flag: 'batch', idPrefix: 'B', short: 'batch', label: 'batch (streams)', slug: 'batch',
    kind: 'int', schema: posInt(), default: MODEL_DEFAULTS.batch, inId: 'unlessDefault', describe: 'Parallel streams, each with its own state (char-rnn\'s loader); 1 is min-char-rnn.',
  },
  {
    key: 'clipNorm', column: 'clip_norm', flag: 'clip-norm', idPrefix: 'cn', short: 'clip norm', label: 'gradient-norm clip', slug: 'clipnorm',
    kind: 'real', schema: nonNegNum(), default: MODEL_DEFAULTS.clipNorm, inId: 'unlessDefault', describe: 'After the element-wise clip, rescale the gradient to this global L2 norm if larger (0: off). The loss sums over the unroll.',
  },
  {
    key: 'dropout', column: 'dropout', flag: 'dropout', idPrefix: 'd', short: 'dropout', label: 'dropout', slug: 'dropout',
    kind: 'real', schema: probability(), default: MODEL_DEFAULTS.dropout, inId: 'unlessDefault', describe: 'Dropout probability between stacked layers.',
  },
  {
    key: 'lrDecay', column: 'lr_decay', flag: 'lr-decay', idPrefix: 'ld', short: 'lr decay', label: 'learning-rate decay', slug: 'lrdecay',
    kind: 'real', schema: posNum().max(1, { error: 'expected a number in (0, 1]' }), default: MODEL_DEFAULTS.lrDecay, inId: 'unlessDefault',
    describe: 'Learning rate multiplied by this after each epoch past lrDecayAfter (char-rnn\'s schedule; 1: constant).',
  },
  {
    key: 'lrDecayAfter', column: 'lr_decay_after', flag: 'lr-decay-after', idPrefix: 'la', short: 'decay after', label: 'decay after (epochs)', slug: 'lrdecayafter',
    kind: 'int', schema: intIn(0, 1000), default: MODEL_DEFAULTS.lrDecayAfter, inId: 'unlessDefault', describe: 'Epochs at the full learning rate before the decay starts.',
  },
  {
    key: 'init', column: 'init', flag: 'init', idPrefix: 'init-', short: 'init', label: 'initialisation', slug: 'init',
    kind: 'choice', schema: names(INIT_NAMES), default: MODEL_DEFAULTS.init, inId: 'unlessDefault',
    describe: '"min-char-rnn": the cells\' own initialisation (output layer N(0, 0.01²), zero biases, LSTM forget bias); "pytorch": every tensor U(±1/√H), as torch.nn.',
  },
  // Regularisers for small corpora (src/model/reference.ts; the fast backends refuse them for now).
  {
    key: 'inputDropout', column: 'input_dropout', flag: 'input-dropout', idPrefix: 'di', short: 'input dropout', label: 'input dropout', slug: 'inputdropout',
    kind: 'real', schema: probability(), default: MODEL_DEFAULTS.inputDropout, inId: 'unlessDefault',
    describe: 'Dropout on the input: each character (one-hot, each stream and step) dropped with this probability, the kept ones scaled by 1/(1 − p).',
  },
  {
    key: 'outputDropout', column: 'output_dropout', flag: 'output-dropout', idPrefix: 'do', short: 'output dropout', label: 'output dropout', slug: 'outputdropout',
    kind: 'real', schema: probability(), default: MODEL_DEFAULTS.outputDropout, inId: 'unlessDefault',
    describe: 'Dropout on the top layer\'s output h before the output layer (char-rnn\'s; a 1-layer model can use it).',
  },
  {
    key: 'weightDecay', column: 'weight_decay', flag: 'weight-decay', idPrefix: 'wd', short: 'weight decay', label: 'weight decay', slug: 'weightdecay',
    kind: 'real', schema: nonNegNum(), default: MODEL_DEFAULTS.weightDecay, inId: 'unlessDefault',
    describe: 'Decoupled weight decay (AdamW\'s): each update first multiplies every weight matrix (not the biases) by 1 − lr·weightDecay (0: off).',
  },
  {
    key: 'forgetBias', column: 'forget_bias', flag: 'forget-bias', idPrefix: 'fb', short: 'forget bias', label: 'forget-gate bias', slug: 'forgetbias',
    kind: 'real', schema: finiteNum(), default: MODEL_DEFAULTS.forgetBias, inId: 'unlessDefault',
    describe: 'Initial bias of the LSTM\'s forget gate (the other cells have none); with init "min-char-rnn" only.',
  },
] as const satisfies readonly KnobDef[];

export type KnobKey = (typeof KNOBS)[number]['key'];
type DefOf<K extends KnobKey> = Extract<(typeof KNOBS)[number], { key: K }>;
/** A knob's value type, from its zod schema (number, or a name for choice knobs). */
export type KnobValue<K extends KnobKey = KnobKey> = z.output<DefOf<K>['schema']>;
/** One configuration: a value for every knob. */
export type KnobValues = { [K in KnobKey]: KnobValue<K> };

export const KNOB_KEYS: readonly KnobKey[] = KNOBS.map((k) => k.key);
// Every knob is the RnnConfig field of its name (src/model/types.ts says which fields are optional knobs).
KNOB_KEYS satisfies readonly (keyof RnnConfig)[];

/**
 * The model a configuration describes, for a vocabulary and a seed. Its fields in the order
 * checkpoints have always recorded them (min-char-rnn's first; a resume compares them as JSON).
 */
export function configOfKnobs(v: KnobValues, vocabSize: number, seed: number | string): RnnConfig {
  const { hiddenSize, unroll, learningRate, clip } = v;
  const knobs = Object.fromEntries(KNOB_KEYS.map((k) => [k, v[k]]));
  return { vocabSize, hiddenSize, unroll, learningRate, clip, seed, ...knobs };
}

/** A model's configuration as knob values (a knob it leaves out at its default). */
export function knobsOfConfig(config: RnnConfig): KnobValues {
  const full = withDefaults(config);
  return Object.fromEntries(KNOB_KEYS.map((k) => [k, full[k]])) as KnobValues;
}

export function knobDef(key: KnobKey): KnobDef {
  return KNOBS.find((k) => k.key === key) as KnobDef;
}

/** The names a choice knob takes (its schema's), in their order; [] for a numeric knob. */
export function knobChoices(k: KnobDef): readonly string[] {
  return k.schema instanceof z.ZodEnum ? (k.schema.options as string[]) : [];
}

export function knobDefaults(): KnobValues {
  return Object.fromEntries(KNOBS.map((k) => [k.key, k.default])) as KnobValues;
}

/** The configuration's part of a run id: the knobs in registry order ("h100-u16-c5-lr0.1"). */
export function configId(v: KnobValues): string {
  return idOfKnobs(v, (k) => k.inId === 'always' || v[k.key as KnobKey] !== k.default);
}

/** A configuration id of just the knobs in `only`, each whatever its value (a run id shortened to what differs, src/report/shortIds.ts). */
export function configIdOf(v: KnobValues, only: ReadonlySet<string>): string {
  return idOfKnobs(v, (k) => only.has(k.key));
}

function idOfKnobs(v: KnobValues, shown: (k: KnobDef) => boolean): string {
  return (KNOBS as readonly KnobDef[])
    .filter(shown)
    .map((k) => `${k.idPrefix}${String(v[k.key as KnobKey])}`)
    .join('-');
}

/** A run's id: its configuration and its seed ("h100-u16-c5-lr0.1-s1"). The one home of run ids. */
export function runId(v: KnobValues & { seed: number | string }): string {
  return `${configId(v)}-s${v.seed}`;
}

/** Total order of knob values: numbers by value, names alphabetically. */
export function cmpKnobValue(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compare two configurations knob by knob, in registry order. */
export function cmpConfig(a: KnobValues, b: KnobValues): number {
  for (const k of KNOB_KEYS) {
    const c = cmpKnobValue(a[k], b[k]);
    if (c !== 0) return c;
  }
  return 0;
}

/** The knob cells of a summary row. */
export function knobCells(v: KnobValues): Record<string, number | string> {
  return Object.fromEntries(KNOBS.map((k) => [k.column, v[k.key]]));
}

/**
 * A knob's value from a table cell: a number for numeric knobs (null if the cell is not one), the
 * text for choice knobs (an empty cell is the default: tables written before the knob existed).
 */
export function knobFromCell(def: KnobDef, cell: string | undefined): number | string | null {
  const raw = (cell ?? '').trim();
  if (raw === '') return def.inId === 'unlessDefault' ? def.default : null;
  if (def.kind === 'choice') return raw;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
}

/**
 * The knobs worth showing for a set of configurations: the 'always' knobs, and any other knob that
 * takes a value other than its default somewhere.
 */
export function shownKnobs(configs: readonly KnobValues[]): KnobDef[] {
  return (KNOBS as readonly KnobDef[]).filter((k) => k.inId === 'always' || configs.some((c) => c[k.key as KnobKey] !== k.default));
}

/** A configuration from a summary row's cells (by column), or null if a knob's cell is unreadable. */
export function knobsFromRow(row: Record<string, string | undefined>): KnobValues | null {
  const out: Record<string, number | string> = {};
  for (const k of KNOBS as readonly KnobDef[]) {
    const v = knobFromCell(k, row[k.column]);
    if (v === null) return null;
    out[k.key] = v;
  }
  return out as KnobValues;
}
