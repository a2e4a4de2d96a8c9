/**
 * The experiment file, defined once as a zod schema. Parsing fills in defaults; the published
 * JSON Schema (schema/experiment.schema.json, for editors via "$schema") is generated from it.
 */
import { z } from 'zod';
import { BACKENDS } from '../backend/index.js';

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
    });
}

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
      .number({ error: 'expected a fraction in (0, 1)' })
      .gt(0, { error: 'expected a fraction in (0, 1)' })
      .lt(1, { error: 'expected a fraction in (0, 1)' })
      .default(0.05)
      .describe('Fraction of the corpus held out at its end for scoring.'),
    budget: z
      .strictObject({
        chars: posInt().describe('Training characters per run (the same text for every unroll length).'),
      })
      .describe('How much each run trains.'),
    seeds: gridList(z.int({ error: 'expected a non-negative integer' }).nonnegative({ error: 'expected a non-negative integer' }), 'non-negative integer seeds').describe(
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
        order: posInt().default(4).describe('Order of the Kneser–Ney Markov baseline.'),
      })
      .default({ order: 4 }),
    workers: posInt().optional().describe('Worker threads (default: the number of cores).'),
    backend: z
      .enum(BACKENDS, { error: `expected one of ${BACKENDS.map((b) => `"${b}"`).join(', ')}` })
      .default('wasm')
      .describe('"wasm" (WebAssembly SIMD, fast) or "reference" (the readable Float64 model).'),
    curves: z
      .strictObject({
        every: posInt().default(10_000).describe('Record a loss-curve row every this many training characters.'),
      })
      .default({ every: 10_000 }),
    evaluation: z
      .strictObject({
        every: z.int().nonnegative({ error: 'expected a non-negative integer' }).default(100_000).describe(
          'Score held-out text every this many training characters (0: only at the end).',
        ),
        chars: posInt().default(20_000).describe('Held-out characters read by the intermediate scores (the final score reads all).'),
      })
      .default({ every: 100_000, chars: 20_000 }),
    samples: z
      .strictObject({
        every: z.int().nonnegative({ error: 'expected a non-negative integer' }).default(0).describe(
          'Draw an RNN sample every this many training characters (0: only at the end).',
        ),
        length: posInt().default(200).describe('Characters per sample.'),
        temperature: posNum().default(1).describe('Sampling temperature.'),
        prime: z
          .string({ error: 'expected a text' })
          .min(1, { error: 'expected at least one character' })
          .optional()
          .describe('Text fed to the RNN before it samples (default: one seed character). Every character must occur in the corpus.'),
      })
      .default({ every: 0, length: 200, temperature: 1 }),
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
