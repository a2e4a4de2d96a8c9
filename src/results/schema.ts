/**
 * The experiment file, defined once as a zod schema. Parsing fills in defaults; the published
 * JSON Schema (schema/experiment.schema.json, for editors via "$schema") is generated from it.
 */
import { z } from 'zod';
import { BACKEND_CHOICES } from '../backend/index.js';
import { CADENCE_DEFAULTS, DEFAULT_BACKEND, DEFAULT_MARKOV_LADDER, DEFAULT_MARKOV_ORDER, DEFAULT_VALIDATION, MARKOV_ORDER_RANGE } from '../defaults.js';
import { KNOBS, type KnobDef, type KnobKey, type KnobValue } from './knobs.js';
import { DEFAULT_PRIME } from '../corpus/prime.js';

const posInt = (what = 'a positive integer') => z.int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const posNum = (what = 'a positive finite number') =>
  z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` }).finite({ error: `expected ${what}` });

/** A non-empty list without repeated values (a repeated value would run the same point twice). */
function gridList<T extends z.ZodType<number | string>>(item: T, what: string) {
  return z
    .array(item, { error: `expected a non-empty list of ${what}` })
    .min(1, { error: `expected a non-empty list of ${what}` })
    .refine((xs) => new Set(xs).size === xs.length, {
      error: (iss) => {
        const xs = iss.input as Array<number | string>;
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
const orderKey = () => z.int({ error: ORDER_ERROR }).min(ORDER_MIN, { error: ORDER_ERROR }).max(ORDER_MAX, { error: ORDER_ERROR });

/**
 * markov.ladder: the orders of the ladder of baselines (baselines.csv), or false for none. Absent
 * means DEFAULT_MARKOV_LADDER; it is not filled in, so an experiment without the key reads as before.
 */
const LadderSchema = z
  .union(
    [
      z.literal(false),
      z
        .strictObject({
          from: orderKey().describe(`Lowest order, ${ORDER_MIN}..${ORDER_MAX}.`),
          to: orderKey().describe(`Highest order, ${ORDER_MIN}..${ORDER_MAX} (the ladder needs the memory of one model of this order).`),
        })
        .refine((r) => r.from <= r.to, { error: 'expected from <= to' }),
    ],
    { error: `expected {"from": a, "to": b} (orders ${ORDER_MIN}..${ORDER_MAX}) or false` },
  )
  .optional()
  .describe(
    `The ladder of Kneser–Ney baselines computed once per corpus and budget into baselines.csv: {"from": a, "to": b}, or false for none. ` +
      `Default: {"from": ${DEFAULT_MARKOV_LADDER.from}, "to": ${DEFAULT_MARKOV_LADDER.to}}.`,
  );


const what = (k: KnobDef) => (k.kind === 'int' ? 'positive integers' : k.kind === 'real' ? 'positive numbers' : 'names');

/** grid.<knob>: a list of values per knob of the registry (src/results/knobs.ts), each optional. */
const GRID_SHAPE = Object.fromEntries(
  (KNOBS as readonly KnobDef[]).map((k) => [k.key, gridList(k.schema, what(k)).optional().describe(`${k.describe} Default: [${JSON.stringify(k.default)}].`)]),
) as unknown as { [K in KnobKey]: z.ZodOptional<z.ZodType<Array<KnobValue<K>>>> };

// ---- search methods (src/sweep/search) ----

const pair = (what: string) =>
  z.tuple([z.number({ error: `expected ${what}` }).finite(), z.number({ error: `expected ${what}` }).finite()], { error: `expected [low, high]: two ${what}` });

/** One knob's distribution: exactly one of these keys. */
const DistributionSchema = z
  .strictObject({
    uniform: pair('numbers').optional().describe('[a, b]: uniform on [a, b].'),
    logUniform: pair('positive numbers').optional().describe('[a, b]: uniform in log between a > 0 and b (learning rates).'),
    intRange: pair('integers').optional().describe('[a, b]: an integer from a to b inclusive, each equally likely.'),
    logIntRange: pair('positive integers').optional().describe('[a, b]: an integer from a to b, uniform in log (sizes).'),
    choice: z
      .array(z.union([z.number(), z.string()]), { error: 'expected a non-empty list of values' })
      .min(1, { error: 'expected a non-empty list of values' })
      .optional()
      .describe('[x, y, …]: one of these values, each equally likely.'),
  })
  .refine((d) => Object.keys(d).length === 1, {
    error: 'expected exactly one of "uniform", "logUniform", "intRange", "logIntRange", "choice"',
  });
export type Distribution = z.output<typeof DistributionSchema>;

const SPACE_SHAPE = Object.fromEntries((KNOBS as readonly KnobDef[]).map((k) => [k.key, DistributionSchema.optional()])) as unknown as {
  [K in KnobKey]: z.ZodOptional<typeof DistributionSchema>;
};

const GridSearchSchema = z.strictObject({ method: z.literal('grid') });
const GridsSearchSchema = z
  .strictObject({
    method: z.literal('grids'),
    grids: z
      .array(z.strictObject(GRID_SHAPE), { error: 'expected a non-empty list of grids' })
      .min(1, { error: 'expected a non-empty list of grids' })
      .describe('Grids whose configurations are joined in this order (a configuration met twice runs once); each grid\'s lists override the experiment\'s grid.'),
  })
  .describe('A union of grids: a ladder of models that differ in several knobs at once, without their cartesian product.');
export type GridsSearch = z.output<typeof GridsSearchSchema>;
/** A sampled space (random search, TPE, the samplers of halving and Hyperband): one instance, published once in the JSON Schema's $defs. */
const SPACE = z
  .strictObject(SPACE_SHAPE)
  .superRefine(checkSpace)
  .describe('A distribution per knob. Real values are rounded to 3 significant digits (so run ids stay readable and stable).')
  .meta({ id: 'space' });
const RANDOM_SPACE = () => SPACE;
const samplerSeed = () => seed.describe('Seed of the sampler: the same seed draws the same configurations on any machine.');
const RandomSearchSchema = z
  .strictObject({
    method: z.literal('random'),
    samples: posInt().describe('Configurations to draw (distinct); each runs once per seed.'),
    seed: samplerSeed(),
    space: RANDOM_SPACE(),
  })
  .describe('Random search.');
export type RandomSearch = z.output<typeof RandomSearchSchema>;

const TPE_DEFAULTS = { startup: 10, round: 1, candidates: 24 } as const;
/** The settings of the tree-structured Parzen estimator (src/sweep/search/tpe.ts), shared by "tpe" and Hyperband's TPE sampler. */
const TPE_SHAPE = {
  seed: samplerSeed(),
  startup: posInt()
    .default(TPE_DEFAULTS.startup)
    .describe(`Configurations drawn at random (from search.space) before the model suggests any. Default ${TPE_DEFAULTS.startup}, as Optuna's n_startup_trials.`),
  candidates: posInt()
    .default(TPE_DEFAULTS.candidates)
    .describe(`Candidates drawn per knob from the good configurations' density; the one with the best ratio of good to bad density is taken. Default ${TPE_DEFAULTS.candidates}, as Optuna's n_ei_candidates.`),
  space: RANDOM_SPACE(),
};
const TpeSearchSchema = z
  .strictObject({
    method: z.literal('tpe'),
    samples: posInt().describe('Configurations in all (the startup ones included); each runs once per seed.'),
    round: posInt()
      .default(TPE_DEFAULTS.round)
      .describe(
        `Configurations suggested together after the startup: the next round waits for every run of this one (a barrier), so the suggestions do not depend on the worker count. Default ${TPE_DEFAULTS.round}; round × seeds ≈ workers keeps the pool busy.`,
      ),
    ...TPE_SHAPE,
  })
  .describe('A tree-structured Parzen estimator (TPE, as Optuna\'s TPESampler): random configurations first, then each round suggested from the mean held-out bpc over seeds of every configuration before it.');
export type TpeSearch = z.output<typeof TpeSearchSchema>;

/** Where halving and Hyperband take their configurations from, when not from the grid. */
const RandomSamplerSchema = z
  .strictObject({
    method: z.literal('random'),
    samples: posInt().optional().describe('Successive halving: configurations to draw (required). Hyperband: leave it out (each bracket draws its own number).'),
    seed: samplerSeed(),
    space: RANDOM_SPACE(),
  })
  .describe('Configurations drawn at random from search.sampler.space (the random search\'s syntax).');
const TpeSamplerSchema = z
  .strictObject({ method: z.literal('tpe'), ...TPE_SHAPE })
  .describe(
    'Hyperband only (BOHB): the brackets run one after another and each draws its configurations from a TPE fitted on the largest budget at which at least "startup" configurations are scored (at random until then).',
  );
const SAMPLERS = ['random', 'tpe'] as const;
const SamplerSchema = z
  .discriminatedUnion('method', [RandomSamplerSchema, TpeSamplerSchema], { error: () => `expected "method": ${SAMPLERS.map((x) => `"${x}"`).join(', ')}` })
  .optional()
  .describe('Where the configurations come from: absent, the grid\'s combinations; "random" or "tpe": drawn from a space.');
export type SamplerSettings = NonNullable<z.output<typeof SamplerSchema>>;

const ETA_ERROR = 'expected an integer of at least 2';
/** What halving and Hyperband share: the budgets minChars · eta^k up to maxChars, and where the configurations come from. */
const rungShape = (what: { eta: string; minChars: string }) => ({
  eta: z.int({ error: ETA_ERROR }).min(2, { error: ETA_ERROR }).default(3).describe(`${what.eta} Default 3.`),
  minChars: posInt().describe(`${what.minChars} (a multiple of every unroll × batch).`),
  maxChars: posInt().optional().describe('Budget of the last rung: budget.chars (it may be left out; if given, it must equal budget.chars).'),
  sampler: SamplerSchema,
});
const HalvingSearchSchema = z
  .strictObject({
    method: z.literal('halving'),
    ...rungShape({ eta: 'Each rung keeps the best 1/eta of its configurations (at least one); the budget grows eta-fold per rung.', minChars: 'Budget of the first rung, in training characters' }),
  })
  .describe('Successive halving over the grid\'s configurations (or a random sample): rung budgets minChars · eta^k up to maxChars; the best 1/eta of each rung continue from their checkpoints.');
export type HalvingSearch = z.output<typeof HalvingSearchSchema>;

const HyperbandSearchSchema = z
  .strictObject({
    method: z.literal('hyperband'),
    ...rungShape({ eta: 'Each rung keeps the best 1/eta of its configurations; the budgets are minChars · eta^k up to maxChars.', minChars: 'The smallest budget, where the most exploratory bracket starts' }),
    seed: seed.optional().describe('Seed of the brackets\' draws from the grid (default 1); with a sampler, its own seed draws instead.'),
  })
  .describe(
    'Hyperband: brackets of successive halving over the budgets minChars · eta^k up to maxChars, bracket s starting n_s = ⌈(s_max+1) · eta^s / (s+1)⌉ configurations at the s-th budget from the top; a configuration drawn by two brackets trains once to each budget.',
  );
export type HyperbandSearch = z.output<typeof HyperbandSearchSchema>;

const METHODS = ['grid', 'grids', 'random', 'halving', 'hyperband', 'tpe'] as const;
const SearchSchema = z.discriminatedUnion('method', [GridSearchSchema, GridsSearchSchema, RandomSearchSchema, HalvingSearchSchema, HyperbandSearchSchema, TpeSearchSchema], {
  error: () => `expected "method": ${METHODS.map((x) => `"${x}"`).join(', ')}`,
});

type SearchInput = {
  method: string;
  minChars?: number;
  maxChars?: number;
  samples?: number;
  startup?: number;
  seed?: number;
  space?: Record<string, unknown>;
  sampler?: { method: string; samples?: number; space?: Record<string, unknown> };
};
type ExperimentInputShape = { budget: { chars: number }; grid: Record<string, unknown[] | undefined>; search?: SearchInput; checkpoints?: { keep: string } };

/** Halving and Hyperband: their budgets fit the experiment's, every rung keeps the checkpoint its continuation needs, the sampler fits. */
function checkRungSearch(e: ExperimentInputShape, ctx: z.RefinementCtx): void {
  const s = e.search;
  if (s?.method !== 'halving' && s?.method !== 'hyperband') return;
  const name = s.method === 'halving' ? 'successive halving' : 'Hyperband';
  const max = s.maxChars ?? e.budget.chars;
  if (s.maxChars !== undefined && s.maxChars !== e.budget.chars) {
    ctx.addIssue({ code: 'custom', path: ['search', 'maxChars'], message: `expected budget.chars (${e.budget.chars}), or leave it out: the last rung trains to the full budget` });
  }
  if (s.minChars !== undefined && s.minChars > max) {
    ctx.addIssue({ code: 'custom', path: ['search', 'minChars'], message: `expected at most maxChars (${max}): the first rung cannot train more than the last` });
  }
  if (e.checkpoints && e.checkpoints.keep !== 'final' && e.checkpoints.keep !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['checkpoints', 'keep'], message: `"final" or "none" with ${name} (a run's best model may lie in an earlier rung's training)` });
  }
  const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path: ['search', ...path], message });
  if (s.method === 'halving' && s.sampler?.method === 'tpe') {
    issue(['sampler', 'method'], '"random" with successive halving, which draws every configuration before its first rung while TPE needs scores to suggest: use "method": "hyperband" with a TPE sampler (BOHB)');
  }
  if (s.method === 'halving' && s.sampler?.method === 'random' && s.sampler.samples === undefined) {
    issue(['sampler', 'samples'], 'the number of configurations to draw (successive halving starts them all at the first rung)');
  }
  if (s.method === 'hyperband' && s.sampler?.samples !== undefined) {
    issue(['sampler', 'samples'], 'no samples with Hyperband: each bracket draws its own number of configurations');
  }
  if (s.method === 'hyperband' && s.sampler !== undefined && s.seed !== undefined) {
    issue(['seed'], 'the seed in one place: with a sampler, search.sampler.seed draws the configurations');
  }
}

/** TPE: the startup draws fit in the samples. */
function checkTpe(e: ExperimentInputShape, ctx: z.RefinementCtx): void {
  const s = e.search;
  if (s?.method !== 'tpe' || s.samples === undefined || s.startup === undefined || s.startup <= s.samples) return;
  ctx.addIssue({ code: 'custom', path: ['search', 'startup'], message: `expected at most search.samples (${s.samples}): the startup configurations are part of the samples` });
}

/** Each distribution suits its knob: its kind, increasing bounds, every possible value valid for the knob. */
function checkSpace(space: Record<string, Distribution | undefined>, ctx: z.RefinementCtx): void {
  for (const k of KNOBS as readonly KnobDef[]) {
    const d = space[k.key];
    if (d === undefined) continue;
    const problem = distributionProblem(k, d);
    if (problem) ctx.addIssue({ code: 'custom', path: [k.key], message: problem });
  }
}

function distributionProblem(k: KnobDef, d: Distribution): string | null {
  const [name, value] = Object.entries(d)[0] as [keyof Distribution, unknown];
  const allowed = k.kind === 'choice' ? ['choice'] : k.kind === 'int' ? ['intRange', 'logIntRange', 'choice', 'uniform', 'logUniform'] : ['uniform', 'logUniform', 'intRange', 'choice'];
  if (!allowed.includes(name)) return `one of ${allowed.map((a) => `"${a}"`).join(', ')} for ${k.key} (${k.kind} values)`;
  const bad = (v: unknown) => !k.schema.safeParse(v).success;
  if (name === 'choice') {
    const xs = value as Array<number | string>;
    const wrong = xs.find(bad);
    if (wrong !== undefined) return `choice values that are valid ${k.key} values (${JSON.stringify(wrong)} is not)`;
    if (new Set(xs).size !== xs.length) return 'distinct choice values';
    return null;
  }
  const [a, b] = value as [number, number];
  if (!(a < b)) return `${name}: [low, high] with low < high`;
  if ((name === 'intRange' || name === 'logIntRange') && !(Number.isInteger(a) && Number.isInteger(b))) return `${name}: integer bounds`;
  if ((name === 'logUniform' || name === 'logIntRange') && !(a > 0)) return `${name}: a low bound > 0`;
  if (bad(a) || bad(b)) return `${name}: bounds that are valid ${k.key} values (${k.kind === 'int' ? 'positive integers' : 'positive numbers'})`;
  return null;
}

/** With a sampled space (random, TPE, or a sampler of halving/Hyperband), a knob outside the space takes one value from the grid, and no knob is in both. */
function checkSearchAgainstGrid(e: ExperimentInputShape, ctx: z.RefinementCtx): void {
  const s = e.search;
  const space = s?.method === 'random' || s?.method === 'tpe' ? s.space : s?.sampler?.space;
  if (space === undefined) return;
  const where = s?.sampler ? 'search.sampler.space' : 'search.space';
  for (const [key, list] of Object.entries(e.grid)) {
    if (list === undefined) continue;
    if (space[key] !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['grid', key], message: `${key} in one place only: it is also in ${where}` });
    } else if (list.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['grid', key], message: `one value (with a sampled space, a knob outside ${where} takes one value; to draw it, put it in ${where} as {"choice": ${JSON.stringify(list)}})` });
    }
  }
}

const CORPUS_NAME_ERROR = 'expected a file path or a known corpus name such as "holmes" or "warpeace"';
const corpusName = () => z.string({ error: CORPUS_NAME_ERROR }).min(1, { error: CORPUS_NAME_ERROR });
/** The corpus: a name or path, or a slice of one ({"name": …, "chars": N}: its first N characters). */
const CorpusSchema = z
  .union(
    [
      corpusName().describe('A UTF-8 text file (relative to the experiment file) or a known corpus name: "holmes", "warpeace".'),
      z
        .strictObject({
          name: corpusName().describe('A UTF-8 text file (relative to the experiment file) or a known corpus name: "holmes", "warpeace".'),
          chars: posInt('a positive integer (characters)').describe(
            'Read only the first this many characters of the (prepared) text: a smaller corpus from one file; the held-out tail is the last `validation` of these.',
          ),
        })
        .describe('A corpus slice: the first `chars` characters of the named corpus.'),
    ],
    { error: `${CORPUS_NAME_ERROR}, or {"name": …, "chars": N}` },
  )
  .describe(
    'The text the runs read: a file path or known corpus name, or {"name": …, "chars": N} for its first N characters. ' +
      'Every corpus is read with its BOM dropped and "\\r\\n" / "\\r" line endings as "\\n" (docs/corpora.md).',
  );

/** Early stopping (src/train/earlyStopping.ts): on the curve's intermediate scores. */
const EarlyStoppingSchema = z.strictObject({
  patience: posInt().describe('Stop after this many held-out scores in a row without an improvement (each evaluation.every characters).'),
  minDelta: z
    .number({ error: 'expected a finite number ≥ 0 (bits per character)' })
    .nonnegative({ error: 'expected a finite number ≥ 0 (bits per character)' })
    .finite({ error: 'expected a finite number ≥ 0 (bits per character)' })
    .default(0)
    .describe('An improvement must lower the score by more than this many bits per character (default 0: any improvement).'),
});

/** Early stopping needs scores to watch: intermediate ones, on held-out text. */
function checkEarlyStopping(e: { earlyStopping?: unknown; evaluation: { every: number }; validation: number }, ctx: z.RefinementCtx): void {
  if (e.earlyStopping === undefined) return;
  if (e.evaluation.every === 0) ctx.addIssue({ code: 'custom', path: ['earlyStopping'], message: 'expected intermediate held-out scores to watch: evaluation.every > 0' });
  if (e.validation === 0) ctx.addIssue({ code: 'custom', path: ['earlyStopping'], message: 'expected held-out text to score: validation > 0' });
}

/** Checkpoints of a sweep's runs (src/checkpoint): self-contained, read by src/sweep/worker.ts. */
export const CHECKPOINT_KEEP = ['final', 'best', 'both', 'none'] as const;
const CheckpointsSchema = z.strictObject({
  keep: z
    .enum(CHECKPOINT_KEEP, { error: `expected one of ${CHECKPOINT_KEEP.map((k) => `"${k}"`).join(', ')}` })
    .default('final')
    .describe(
      '"final": <run_id>.safetensors at the end of each run; "best": <run_id>.best.safetensors, the model at its best curve score (intermediate or final); "both"; "none".',
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
    corpus: CorpusSchema,
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
      'Seeds of the weight initialisation; each configuration (grid point or random sample) runs once per seed.',
    ),
    grid: z
      .strictObject(GRID_SHAPE)
      .default({})
      .describe('The sweep: the cartesian product of these lists, times seeds (a knob left out takes its default). With random search, knobs outside search.space take their one value from here.'),
    search: SearchSchema.optional().describe(
      'How configurations are chosen: "grid" (the default: every combination of the grid), "grids", "random" (samples drawn from search.space), ' +
        '"tpe" (suggested from the scores so far), "halving" (successive halving) or "hyperband" (brackets of successive halving).',
    ),
    markov: z
      .strictObject({
        order: z
          .int({ error: ORDER_ERROR })
          .min(ORDER_MIN, { error: ORDER_ERROR })
          .max(ORDER_MAX, { error: ORDER_ERROR })
          .default(DEFAULT_MARKOV_ORDER)
          .describe(`Order of the Kneser–Ney Markov baseline, ${ORDER_MIN}..${ORDER_MAX} (large orders need much memory and time).`),
        ladder: LadderSchema,
      })
      .default({ order: DEFAULT_MARKOV_ORDER }),
    workers: posInt().optional().describe('Worker threads (default: the number of cores).'),
    backend: z
      .enum(BACKEND_CHOICES, { error: `expected one of ${BACKEND_CHOICES.map((b) => `"${b}"`).join(', ')}` })
      .default(DEFAULT_BACKEND)
      .describe(
        '"auto" (the default: native where its addon was built, else wasm), "native" (C++ kernels per CPU instruction set, with threads), ' +
          '"wasm" (WebAssembly SIMD: the same bits on every machine) or "reference" (the readable Float64 model). ' +
          'The backend a folder was swept on is recorded; resuming it on another is refused.',
      ),
    threads: posInt()
      .optional()
      .describe('Threads per run on the native backend (default: the cores divided by the workers, at least 1); results do not depend on it.'),
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
        chars: posInt()
          .default(CADENCE_DEFAULTS.evalChars)
          .describe(
            'The curve text: every curve score (intermediate and final) reads the whole held-out text when it has at most this many characters, else its first this many. The run\'s score (val_bpc) reads all of it.',
          ),
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
          .describe(`Text fed to the RNN before it samples (default: ${DEFAULT_PRIME.run}). Every character must occur in the corpus.`),
      })
      .default({ every: CADENCE_DEFAULTS.sampleEvery, length: CADENCE_DEFAULTS.sampleLength, temperature: CADENCE_DEFAULTS.temperature }),
    earlyStopping: EarlyStoppingSchema.optional().describe(
      'Stop a run when its held-out curve no longer improves (absent: every run trains its whole budget). Needs intermediate scores (evaluation.every > 0).',
    ),
    checkpoints: CheckpointsSchema.optional().describe(
      'Which checkpoints each run keeps in results/<name>/checkpoints/ (absent: the final one), and how often an unfinished run saves where it stands.',
    ),
  })
  .superRefine(checkSearchAgainstGrid)
  .superRefine(checkRungSearch)
  .superRefine(checkTpe)
  .superRefine(checkEarlyStopping)
  .describe('A charlab experiment: a grid (or a random search) of character-RNN runs, each beside a Markov baseline.');

/** An experiment as written (defaults may be missing). */
export type ExperimentInput = z.input<typeof ExperimentSchema>;
/** An experiment with every default filled in. */
export type Experiment = z.output<typeof ExperimentSchema>;

/** All keys the schema knows at each object path, for "did you mean" suggestions. */
export function knownKeys(path: (string | number)[]): string[] {
  let s: z.ZodType = ExperimentSchema;
  for (const key of path) {
    s = unwrap(s);
    if (s instanceof z.ZodUnion) s = unionObject(s);
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(key)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    if (!s) return [];
  }
  s = unwrap(s);
  if (s instanceof z.ZodUnion) s = unionObject(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/** A union of objects (the search methods) as one object holding every option's keys. */
function unionObject(u: z.ZodUnion): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const o of u.options as z.ZodType[]) {
    const obj = unwrap(o);
    if (obj instanceof z.ZodObject) Object.assign(shape, obj.shape);
  }
  return z.object(shape);
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
