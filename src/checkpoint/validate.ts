/**
 * What a checkpoint's contents may be, checked on every load after its checksum (./integrity.ts) and
 * before any model is built: every parameter, optimizer slot and carried state finite (a NaN or an
 * infinity is named with its tensor and index: the backends would each make something different of
 * it), and every metadata value in its range — the corpus split consistent with its size and
 * fraction, the Markov order a valid one, the run's position inside the text it trains on, its curve
 * rows under the tables' own rule (src/util/cellRule.ts). Errors are LayoutErrors naming the value.
 */
import { splitPoint } from '../corpus/split.js';
import { MARKOV_ORDER_RANGE } from '../defaults.js';
import type { FullConfig, ModelState, Tensors } from '../model/types.js';
import type { RunSnapshot } from '../train/run.js';
import { count, MEASURES, positive, positiveCount, valueProblem, type CellRule } from '../util/cellRule.js';
import type { RngState } from '../util/rng.js';
import { LayoutError } from './safetensors.js';

/** Every value of every tensor is finite; else the first non-finite one, named. */
export function checkFinite(state: ModelState): void {
  const groups: Array<[string, Tensors]> = [
    ['param', state.params],
    ['optim', state.optimizer],
    ['hidden', state.hidden],
  ];
  for (const [prefix, tensors] of groups) {
    for (const [name, data] of Object.entries(tensors)) {
      const i = data.findIndex((x) => !Number.isFinite(x));
      if (i >= 0)
        throw new LayoutError(
          `tensor ${prefix}.${name} holds ${data[i]} at index ${i}: a checkpoint holds finite numbers only`,
        );
    }
  }
}

const problem = (key: string, what: string, value: unknown): never => {
  throw new LayoutError(
    `metadata ${key} is ${value === undefined ? 'missing' : JSON.stringify(value)}: expected ${what}`,
  );
};

/** A rule's complaint (src/util/cellRule.ts) as what was expected. */
const expectation = (why: string): string => (why.startsWith('expected ') ? why.slice('expected '.length) : 'a value');

/** The corpus record: sha256 as 64 hex digits, a split that is the one `validation` gives for `chars`. */
export function checkCorpusRecord(c: { sha256: string; chars: number; trainEnd: number; validation: number }): void {
  if (!/^[0-9a-f]{64}$/.test(c.sha256)) problem('corpus_sha256', '64 hexadecimal digits', c.sha256);
  if (!Number.isSafeInteger(c.chars) || c.chars < 2) problem('corpus_chars', 'an integer ≥ 2', c.chars);
  if (!(c.validation >= 0 && c.validation < 1)) problem('corpus_validation', 'a fraction in [0, 1)', c.validation);
  if (c.trainEnd !== splitPoint(c.chars, c.validation)) {
    problem(
      'corpus_train_end',
      `${splitPoint(c.chars, c.validation)}, where holding out ${c.validation} of ${c.chars} characters splits`,
      c.trainEnd,
    );
  }
}

export function checkMarkovOrder(order: number | null): void {
  const { min, max } = MARKOV_ORDER_RANGE;
  if (order !== null && !(Number.isInteger(order) && order >= min && order <= max))
    problem('markov_order', `an integer in ${min}..${max}`, order);
}

/** The learning rate and clip the JSON config holds are finite (JSON has no infinity; a damaged file may). */
export function checkConfigValues(config: FullConfig): void {
  if (!Number.isFinite(config.learningRate)) problem('config.learningRate', 'a finite number > 0', config.learningRate);
  if (!Number.isFinite(config.clip)) problem('config.clip', 'a finite number > 0', config.clip);
}

/** A seedrandom ARC4 state: i, j in 0..255 and a permutation S of 0..255. */
export function checkRngState(key: string, s: RngState | null | undefined): void {
  if (s === null || s === undefined) return;
  const byte = (x: unknown) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 255;
  const S = (s as { S?: unknown }).S;
  const ok = byte(s.i) && byte(s.j) && Array.isArray(S) && S.length === 256 && new Set(S).size === 256 && S.every(byte);
  if (!ok)
    throw new LayoutError(`metadata ${key} is not a generator state (i, j in 0..255 and a permutation S of 0..255)`);
}

const RUN_RULES: Array<[keyof RunSnapshot, CellRule]> = [
  ['budget', positiveCount()],
  ['chars', count(false)],
  ['iteration', count(false)],
  ['epoch', count(false)],
  ['nextCurve', count(false)],
  ['nextEval', count()],
  ['nextSample', count()],
  ['trainSeconds', MEASURES.elapsed_s],
];

/** The run's position: counts that are counts, inside the training text; its curve rows and samples under the tables' rule. */
export function checkRun(run: RunSnapshot | null, trainEnd: number): void {
  if (run === null) return;
  if (typeof run !== 'object') problem('run', 'an object or null', run);
  for (const [key, rule] of RUN_RULES) {
    const why = valueProblem(rule, run[key]);
    if (why) problem(`run.${key}`, expectation(why), run[key]);
  }
  if (run.chars > run.budget) problem('run.chars', `at most the run's budget ${run.budget}`, run.chars);
  if (!(Number.isInteger(run.pointer) && run.pointer >= 0 && run.pointer <= trainEnd))
    problem('run.pointer', `an integer in 0..${trainEnd}`, run.pointer);
  if (!Number.isFinite(run.smooth)) problem('run.smooth', 'a finite number', run.smooth);
  checkCadence(run.cadence);
  checkRngState('rng.sample', run.sampleRng);
  if (!Array.isArray(run.curves) || !Array.isArray(run.samples))
    problem('run.curves', 'lists of curve rows and samples', run.curves);
  run.curves.forEach((c, i) => {
    const fields: Array<[string, unknown, CellRule]> = [
      ['iteration', c.iteration, MEASURES.iteration],
      ['chars', c.chars, MEASURES.chars],
      ['smoothLossPerChar', c.smoothLossPerChar, MEASURES.smooth_loss_per_char],
      ['valBpc', c.valBpc, MEASURES.val_bpc],
      ['wholeValBpc', c.wholeValBpc, MEASURES.val_bpc],
      ['elapsedS', c.elapsedS, MEASURES.elapsed_s],
    ];
    for (const [key, value, rule] of fields) {
      const why = valueProblem(rule, value);
      if (why) problem(`run.curves[${i}].${key}`, expectation(why), value);
    }
  });
  run.samples.forEach((s, i) => {
    const why =
      valueProblem(MEASURES.iteration, s.iteration) ??
      valueProblem(MEASURES.temperature, s.temperature) ??
      (typeof s.text === 'string' ? null : 'text');
    if (why) problem(`run.samples[${i}]`, expectation(why), s);
  });
}

function checkCadence(c: RunSnapshot['cadence']): void {
  const rules: Array<[keyof RunSnapshot['cadence'], CellRule]> = [
    ['curveEvery', positiveCount()],
    ['evalEvery', count(false)],
    ['evalChars', count(false)],
    ['sampleEvery', count(false)],
    ['sampleLength', positiveCount()],
    ['temperature', positive(false)],
  ];
  if (c === null || typeof c !== 'object') problem('run.cadence', 'an object', c);
  for (const [key, rule] of rules) {
    const why = valueProblem(rule, c[key]);
    if (why) problem(`run.cadence.${key}`, expectation(why), c[key]);
  }
  if (c.prime !== undefined && (typeof c.prime !== 'string' || c.prime === ''))
    problem('run.cadence.prime', 'a non-empty string', c.prime);
}
