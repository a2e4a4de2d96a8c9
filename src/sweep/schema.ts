/**
 * The experiment file, defined once as a zod schema. Parsing fills in defaults; the published
 * JSON Schema (schema/experiment.schema.json, for editors via "$schema") is generated from it.
 */
import { z } from 'zod';
import { BACKENDS } from '../backend/index.js';
import { CADENCE_DEFAULTS, DEFAULT_BACKEND, DEFAULT_MARKOV_ORDER, DEFAULT_VALIDATION, MARKOV_ORDER_RANGE } from '../defaults.js';

const posInt = (what = 'a positive integer') => z.int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const posNum = (what = 'a positive finite number') =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).finite({ error: `expected ${what}` });

/** A non-empty list without repeated values (a repeated value would run the same point twice). */
function gridList<T extends z.ZodType<number>>(item: T, what: string) {
  return z
    .array(item, { error: `expected a non-empty list of ${what}` })
    .min(1, { error: `expected a non-empty list of ${what}` })
    .refine((xs) => new Set(xs).size === xs.length, {
      error: (iss) => {
        const xs = iss.input as number[];
        const dup = xs.find((x, i) => xs.indexOf(x) !== i);
        return `expected distinct values, ${String(dup)} appears more than once`;
      },
    })
    .meta({ uniqueItems: true }); // published in the JSON Schema: editors flag a repeated value too
}

/** Seeds: integers 0 .. 2^53 - 1 (beyond that a number no longer holds every integer exactly). */
const SEED_ERROR = `expected a non-negative integer of at most ${Number.MAX_SAFE_INTEGER} (2^53 - 1)`;
const seed = z.number({ error: SEED_ERROR }).int({ error: SEED_ERROR }).nonnegative({ error: SEED_ERROR }).max(Number.MAX_SAFE_INTEGER, { error: SEED_ERROR });

const { min: ORDER_MIN, max: ORDER_MAX } = MARKOV_ORDER_RANGE;
const ORDER_ERROR = `expected an integer in ${ORDER_MIN}..${ORDER_MAX}`;

/** Checkpoints of a sweep's runs (src/checkpoint): self-contained, read by src/sweep/worker.ts. */
export const CHECKPOINT_KEEP = ['final', 'best', 'both', 'none'] as const;
const CheckpointsSchema = z.strictObject({
  keep: z
    .enum(CHECKPOINT_KEEP, { error: `expected one of ${CHECKPOINT_KEEP.map((k) => `"${k}"`).join(', ')}` })
    .default('final')
    .describe(
      '"final": <run_id>.safetensors at the end of each run; "best": <run_id>.best.safetensors, the model at its best intermediate held-out score; "both"; "none".',
    ),
  every: posInt()
    .optional()
    .describe('Save an unfinished run every this many training characters (<run_id>.resume.safetensors): a killed sweep resumes it from there, exactly.'),
});

export const ExperimentSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors.'),
    name: z
      .string({ error: 'expected a name (letters, digits, ".", "_" or "-")' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a name of letters, digits, ".", "_" or "-" (it names the results folder)' })
      .describe('Names the results folder: results/<name>.'),
    description: z.string().optional(),
    corpus: z
      .string({ error: 'expected a file path or a known corpus name such as "holmes"' })
      .min(1, { error: 'expected a file path or a known corpus name such as "holmes"' })
      .describe('A UTF-8 text file (relative to the experiment file) or a known corpus name: "holmes".'),
    validation: z
      .number({ error: 'expected a fraction in [0, 1)' })
      .gte(0, { error: 'expected a fraction in [0, 1)' })
      .lt(1, { error: 'expected a fraction in [0, 1)' })
      .default(DEFAULT_VALIDATION)
      .describe('Fraction of the corpus held out at its end for scoring. 0: no held-out text, nothing is scored (val_bpc stays empty).'),
    budget: z
      .strictObject({
        chars: posInt().describe('Training characters per run (the same text for every unroll length).'),
      })
      .describe('How much each run trains.'),
    seeds: gridList(seed, 'non-negative integer seeds').describe(
      'Seeds of the weight initialisation; each grid point runs once per seed.',
    ),
    grid: z
      .strictObject({
        hiddenSize: gridList(posInt(), 'positive integers').describe('Hidden units.'),
        unroll: gridList(posInt(), 'positive integers').describe('Characters per truncated-BPTT chunk.'),
        clip: gridList(posNum(), 'positive numbers').describe('Element-wise gradient clip range [-clip, clip].'),
        learningRate: gridList(posNum(), 'positive numbers').describe('Adagrad learning rate.'),
      })
      .describe('The sweep: the cartesian product of these lists, times seeds.'),
    markov: z
      .strictObject({
        order: z
          .int({ error: ORDER_ERROR })
          .min(ORDER_MIN, { error: ORDER_ERROR })
          .max(ORDER_MAX, { error: ORDER_ERROR })
          .default(DEFAULT_MARKOV_ORDER)
          .describe(`Order of the Kneser–Ney Markov baseline, ${ORDER_MIN}..${ORDER_MAX} (large orders need much memory and time).`),
      })
      .default({ order: DEFAULT_MARKOV_ORDER }),
    workers: posInt().optional().describe('Worker threads (default: the number of cores).'),
    backend: z
      .enum(BACKENDS, { error: `expected one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}` })
      .default(DEFAULT_BACKEND)
      .describe('"wasm" (WebAssembly SIMD, fast) or "reference" (the readable Float64 model).'),
    curves: z
      .strictObject({
        every: posInt().default(CADENCE_DEFAULTS.curveEvery).describe('Record a loss-curve row every this many training characters.'),
      })
      .default({ every: CADENCE_DEFAULTS.curveEvery }),
    evaluation: z
      .strictObject({
        every: z.int().nonnegative({ error: 'expected a non-negative integer' }).default(CADENCE_DEFAULTS.evalEvery).describe(
          'Score held-out text every this many training characters (0: only at the end).',
        ),
        chars: posInt().default(CADENCE_DEFAULTS.evalChars).describe('Held-out characters read by the intermediate scores (the final score reads all).'),
      })
      .default({ every: CADENCE_DEFAULTS.evalEvery, chars: CADENCE_DEFAULTS.evalChars }),
    samples: z
      .strictObject({
        every: z.int().nonnegative({ error: 'expected a non-negative integer' }).default(CADENCE_DEFAULTS.sampleEvery).describe(
          'Draw an RNN sample every this many training characters (0: only at the end).',
        ),
        length: posInt().default(CADENCE_DEFAULTS.sampleLength).describe('Characters per sample.'),
        temperature: posNum().default(CADENCE_DEFAULTS.temperature).describe('Sampling temperature.'),
        prime: z
          .string({ error: 'expected a text' })
          .min(1, { error: 'expected at least one character' })
          .optional()
          .describe('Text fed to the RNN before it samples (default: one seed character). Every character must occur in the corpus.'),
      })
      .default({ every: CADENCE_DEFAULTS.sampleEvery, length: CADENCE_DEFAULTS.sampleLength, temperature: CADENCE_DEFAULTS.temperature }),
    checkpoints: CheckpointsSchema.optional().describe(
      'Which checkpoints each run keeps in results/<name>/checkpoints/ (absent: the final one), and how often an unfinished run saves where it stands.',
    ),
  })
  .describe('A charlab experiment: a grid of character-RNN runs, each beside a Markov baseline.');

/** An experiment as written (defaults may be missing). */
export type ExperimentInput = z.input<typeof ExperimentSchema>;
/** An experiment with every default filled in. */
export type Experiment = z.output<typeof ExperimentSchema>;

/** All keys the schema knows at each object path, for "did you mean" suggestions. */
export function knownKeys(path: (string | number)[]): string[] {
  let s: z.ZodType = ExperimentSchema;
  for (const key of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    if (!s) return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** Every key path the schema knows (["grid", "hiddenSize"], …), outer keys first. */
export function allKeyPaths(): string[][] {
  const out: string[][] = [];
  const walk = (prefix: string[]) => {
    for (const key of knownKeys(prefix)) {
      out.push([...prefix, key]);
      walk([...prefix, key]);
    }
  };
  walk([]);
  return out;
}

function unwrap(s: z.ZodType): z.ZodType {
  // Defaults, optionals and refinements wrap the object or array underneath.
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return s;
  }
}

export function experimentJsonSchema(): object {
  return z.toJSONSchema(ExperimentSchema, { io: 'input', unrepresentable: 'any' });
}
