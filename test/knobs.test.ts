/**
 * The knob registry (src/sweep/knobs.ts): run ids, summary columns, the schema's grid keys and the
 * report's knobs all come from it, and min-char-rnn's four knobs keep the ids and columns they had.
 */
import { describe, expect, test } from 'vitest';
import { expandGrid } from '../src/sweep/grid.js';
import { SUMMARY_COLUMNS } from '../src/sweep/columns.js';
import { configId, KNOBS, knobDefaults, knobsFromRow, runId, shownKnobs } from '../src/sweep/knobs.js';
import { knownKeys } from '../src/sweep/schema.js';
import { KNOB_LABELS, KNOBS as REPORT_KNOBS } from '../src/report/types.js';
import { RNN_DEFAULTS } from '../src/defaults.js';

describe('the knob registry', () => {
  test('run ids keep their historical form', () => {
    expect(runId({ hiddenSize: 100, unroll: 16, clip: 5, learningRate: 0.1, seed: 1 })).toBe('h100-u16-c5-lr0.1-s1');
    expect(configId({ hiddenSize: 50, unroll: 8, clip: 1, learningRate: 0.05 })).toBe('h50-u8-c1-lr0.05');
  });

  test('summary.csv keeps its columns: run_id, the knob columns in registry order, seed, …', () => {
    expect(SUMMARY_COLUMNS.slice(0, 6)).toEqual(['run_id', 'hidden_size', 'unroll', 'clip', 'learning_rate', 'seed']);
    expect(SUMMARY_COLUMNS.slice(1, 1 + KNOBS.length)).toEqual(KNOBS.map((k) => k.column));
  });

  test('defaults come from src/defaults.ts; the schema, the report and the grid know every knob', () => {
    expect(knobDefaults()).toEqual({ hiddenSize: RNN_DEFAULTS.hiddenSize, unroll: RNN_DEFAULTS.unroll, clip: RNN_DEFAULTS.clip, learningRate: RNN_DEFAULTS.learningRate });
    expect(knownKeys(['grid'])).toEqual(KNOBS.map((k) => k.key));
    expect(knownKeys(['search', 'space'])).toEqual(KNOBS.map((k) => k.key));
    expect([...REPORT_KNOBS]).toEqual(KNOBS.map((k) => k.key));
    for (const k of KNOBS) expect(KNOB_LABELS[k.key]).toBe(k.label);
  });

  test('grid expansion nests the knobs in registry order, seeds innermost; a knob left out takes its default', () => {
    const runs = expandGrid({ grid: { hiddenSize: [8, 16], learningRate: [0.1, 0.2] }, seeds: [1, 2] });
    expect(runs.map((r) => r.id)).toEqual([
      'h8-u16-c5-lr0.1-s1', 'h8-u16-c5-lr0.1-s2', 'h8-u16-c5-lr0.2-s1', 'h8-u16-c5-lr0.2-s2',
      'h16-u16-c5-lr0.1-s1', 'h16-u16-c5-lr0.1-s2', 'h16-u16-c5-lr0.2-s1', 'h16-u16-c5-lr0.2-s2',
    ]);
    expect(runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('a summary row reads back to its configuration', () => {
    const row = { run_id: 'h8-u4-c5-lr0.1-s3', hidden_size: '8', unroll: '4', clip: '5', learning_rate: '0.1', seed: '3' };
    expect(knobsFromRow(row)).toEqual({ hiddenSize: 8, unroll: 4, clip: 5, learningRate: 0.1 });
    expect(knobsFromRow({ ...row, clip: 'x' })).toBeNull();
    expect(shownKnobs([knobDefaults()]).map((k) => k.key)).toEqual(KNOBS.filter((k) => k.inId === 'always').map((k) => k.key));
  });
});
