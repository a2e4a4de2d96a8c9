/**
 * The knob registry (src/results/knobs.ts): run ids, summary columns, the schema's grid keys and the
 * report's knobs all come from it, and min-char-rnn's four knobs keep the ids and columns they had.
 */
import { describe, expect, test } from 'vitest';
import { expandGrid } from '../src/sweep/grid.js';
import { COLUMN_RULES, SUMMARY_COLUMNS } from '../src/results/columns.js';
import { PLOT_FILE } from '../src/results/folder.js';
import {
  configId,
  KNOBS,
  knobDefaults,
  knobsFromRow,
  runId,
  shownKnobs,
  knobChoices,
  type KnobDef,
} from '../src/results/knobs.js';
import { knownKeys } from '../src/results/schema.js';
import { Command } from 'commander';
import { MODEL_DEFAULTS, RNN_DEFAULTS } from '../src/defaults.js';
import { knobArgument } from '../src/cli/knobFlags.js';
import { registerTrain } from '../src/cli/train.js';

describe('the knob registry', () => {
  test('run ids keep their historical form', () => {
    expect(runId({ ...knobDefaults(), hiddenSize: 100, unroll: 16, clip: 5, learningRate: 0.1, seed: 1 })).toBe(
      'h100-u16-c5-lr0.1-s1',
    );
    expect(configId({ ...knobDefaults(), hiddenSize: 50, unroll: 8, clip: 1, learningRate: 0.05 })).toBe(
      'h50-u8-c1-lr0.05',
    );
    // the ladder's knobs appear only when not min-char-rnn's
    expect(
      configId({
        ...knobDefaults(),
        hiddenSize: 256,
        unroll: 64,
        learningRate: 0.002,
        cell: 'lstm',
        optimizer: 'adam',
        batch: 32,
        clipNorm: 320,
      }),
    ).toBe('h256-u64-c5-lr0.002-lstm-adam-B32-cn320');
  });

  test("summary.csv: run_id, the knob columns in registry order with params after the ladder's, seed, …, the best score, the curve text and early stopping last", () => {
    expect(SUMMARY_COLUMNS.slice(0, 13)).toEqual([
      'run_id',
      'hidden_size',
      'unroll',
      'clip',
      'learning_rate',
      'cell',
      'layers',
      'optimizer',
      'batch',
      'clip_norm',
      'dropout',
      'params',
      'lr_decay',
    ]);
    expect(SUMMARY_COLUMNS.filter((c) => c !== 'params').slice(1, 1 + KNOBS.length)).toEqual(
      KNOBS.map((k) => k.column),
    );
    expect(SUMMARY_COLUMNS[1 + KNOBS.length + 1]).toBe('seed');
    expect(SUMMARY_COLUMNS.slice(-4)).toEqual(['best_val_bpc', 'best_val_chars', 'curve_val_chars', 'stopped_early']);
  });

  test('defaults come from src/defaults.ts; the schema, the report and the grid know every knob', () => {
    expect(knobDefaults()).toEqual({
      hiddenSize: RNN_DEFAULTS.hiddenSize,
      unroll: RNN_DEFAULTS.unroll,
      clip: RNN_DEFAULTS.clip,
      learningRate: RNN_DEFAULTS.learningRate,
      ...MODEL_DEFAULTS,
    });
    expect(knownKeys(['grid'])).toEqual(KNOBS.map((k) => k.key));
    expect(knownKeys(['search', 'space'])).toEqual(KNOBS.map((k) => k.key));
  });

  test('each knob is usable everywhere it goes: its default passes its own schema, its column is its own, its slug names a plot file', () => {
    for (const k of KNOBS as readonly KnobDef[]) {
      expect(k.schema.safeParse(k.default).success, k.key).toBe(true);
      expect(COLUMN_RULES.summary[k.column], `${k.column} is also a measured column`).toBeUndefined();
      expect(SUMMARY_COLUMNS.filter((c) => c === k.column)).toHaveLength(1);
      expect(PLOT_FILE.test(`curves-by-${k.slug}.svg`), k.slug).toBe(true);
    }
  });

  test('run ids and columns stay unambiguous: columns, slugs and id prefixes are distinct; the unprefixed choice knobs share no value', () => {
    const distinct = (xs: string[]) => expect(new Set(xs).size, xs.join(',')).toBe(xs.length);
    distinct(KNOBS.map((k) => k.column));
    distinct(KNOBS.map((k) => k.slug));
    distinct(KNOBS.map((k) => k.idPrefix).filter((p) => p !== ''));
    const bare = KNOBS.filter((k) => k.idPrefix === '');
    expect(bare.every((k) => k.kind === 'choice')).toBe(true);
    const names = bare.flatMap((k) => (k.schema as unknown as { options: string[] }).options);
    distinct(names);
    // A prefixed part never reads as a bare name, nor as another knob's prefix followed by a value.
    for (const k of KNOBS.filter((x) => x.idPrefix !== ''))
      expect(
        names.some((n) => n.startsWith(k.idPrefix)),
        k.key,
      ).toBe(false);
  });

  test("train's flags are the knobs': one per knob, each refusing what the knob's schema refuses, and --resume refuses every one", async () => {
    const program = new Command().exitOverride();
    registerTrain(program);
    const train = program.commands.find((c) => c.name() === 'train')!;
    for (const k of KNOBS as readonly KnobDef[]) {
      const option = train.options.find((o) => o.long === `--${k.flag}`);
      expect(option, k.key).toBeDefined();
      expect(option!.defaultValue).toBe(k.default);
      if (k.kind === 'choice') expect(option!.argChoices).toEqual([...knobChoices(k)]);
    }
    const byKey = (key: string) => (KNOBS as readonly KnobDef[]).find((k) => k.key === key)!;
    expect(knobArgument(byKey('layers'), '3')).toBe(3);
    expect(() => knobArgument(byKey('layers'), '4')).toThrow(/expected an integer in 1\.\.3/); // the grid's range, not just "positive"
    expect(() => knobArgument(byKey('dropout'), '0.995')).toThrow(/expected a number in \[0, 0\.99\]/);
    expect(() => knobArgument(byKey('hiddenSize'), '1e3')).toThrow(
      /expected a positive integer \(decimal digits\), got '1e3'/,
    );
    expect(knobArgument(byKey('forgetBias'), '-0.5')).toBe(-0.5);
    expect(() => knobArgument(byKey('forgetBias'), 'Infinity')).toThrow(/expected a finite number/);
    for (const k of KNOBS as readonly KnobDef[]) {
      const value = k.kind === 'choice' ? knobChoices(k)[0] : String(k.default);
      const run = program.parseAsync([
        'node',
        'charlab',
        'train',
        '--resume',
        'no-such.safetensors',
        `--${k.flag}`,
        value,
      ]);
      await expect(run, k.flag).rejects.toThrow(new RegExp(`--${k.flag} cannot be combined with --resume`));
    }
  });

  test('grid expansion nests the knobs in registry order, seeds innermost; a knob left out takes its default', () => {
    const runs = expandGrid({ grid: { hiddenSize: [8, 16], learningRate: [0.1, 0.2] }, seeds: [1, 2] });
    expect(runs.map((r) => r.id)).toEqual([
      'h8-u16-c5-lr0.1-s1',
      'h8-u16-c5-lr0.1-s2',
      'h8-u16-c5-lr0.2-s1',
      'h8-u16-c5-lr0.2-s2',
      'h16-u16-c5-lr0.1-s1',
      'h16-u16-c5-lr0.1-s2',
      'h16-u16-c5-lr0.2-s1',
      'h16-u16-c5-lr0.2-s2',
    ]);
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('a summary row reads back to its configuration', () => {
    const row = {
      run_id: 'h8-u4-c5-lr0.1-s3',
      hidden_size: '8',
      unroll: '4',
      clip: '5',
      learning_rate: '0.1',
      seed: '3',
    };
    // a row of a table written before the ladder: its knobs at min-char-rnn's values
    expect(knobsFromRow(row)).toEqual({ ...knobDefaults(), hiddenSize: 8, unroll: 4, clip: 5, learningRate: 0.1 });
    expect(knobsFromRow({ ...row, cell: 'gru', batch: '4' })).toEqual({
      ...knobDefaults(),
      hiddenSize: 8,
      unroll: 4,
      clip: 5,
      learningRate: 0.1,
      cell: 'gru',
      batch: 4,
    });
    expect(knobsFromRow({ ...row, clip: 'x' })).toBeNull();
    expect(shownKnobs([knobDefaults()]).map((k) => k.key)).toEqual(
      KNOBS.filter((k) => k.inId === 'always').map((k) => k.key),
    );
  });
});
