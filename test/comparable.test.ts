/**
 * Issue 19: statistics only between comparable runs. Runs stopped at different budgets (successive
 * halving) are ranked and tested only among their own; `report A B` of different experiments is
 * refused; the closing table, the terminal and the report say what was compared with what; a test
 * with too little power says so (difference, interval, seeds needed) instead of "indistinguishable";
 * per-knob summaries compare only configurations that differ in that knob alone.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { rankedTable } from '../src/cli/sweepDisplay.js';
import { buildReportData } from '../src/report/data.js';
import { renderMarkdown } from '../src/report/markdown.js';
import type { FolderTables, LadderRow, SummaryRow } from '../src/report/types.js';
import { knobDefaults } from '../src/results/knobs.js';
import { REPO, runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

/** A run of hidden size h and learning rate lr, trained to `chars`, scoring `bpc`. */
function row(h: number, lr: number, seed: number, chars: number, bpc: number): SummaryRow {
  return {
    ...knobDefaults(),
    runId: `h${h}-u8-c5-lr${lr}-s${seed}`,
    hiddenSize: h,
    learningRate: lr,
    unroll: 8,
    clip: 5,
    seed: String(seed),
    backend: 'wasm',
    status: 'done',
    iterations: chars / 8,
    chars,
    smoothLossPerChar: 2,
    valBpc: bpc,
    markovOrder: 4,
    markovValBpc: 2.5,
    wallS: 1,
    charsPerS: 1000,
    divergedAtIteration: null,
    error: '',
    params: null,
    bestValBpc: null,
    bestValChars: null,
    curveValChars: null,
    stoppedEarly: null,
    source: 'x/summary.csv:2',
  };
}

// Successive halving's leaderboard: the winner trained to 72,000 characters, two configurations stopped at 8,000
// (scoring worse, as every configuration does early), one stopped at 24,000.
const HALVING = [
  row(64, 0.1, 1, 72_000, 2.6),
  row(64, 0.1, 2, 72_000, 2.62),
  row(32, 0.1, 1, 8_000, 3.4),
  row(32, 0.1, 2, 8_000, 3.42),
  row(32, 0.3, 1, 8_000, 3.3),
  row(32, 0.3, 2, 8_000, 3.35),
  row(64, 0.3, 1, 24_000, 3.0),
  row(64, 0.3, 2, 24_000, 3.02),
];
const LADDER: LadderRow[] = [4, 8].map((order) => ({
  order,
  trainChars: 72_001,
  valChars: 1000,
  valBpc: order === 4 ? 2.3 : 2.2,
  countS: 1,
  scoreS: 0.1,
}));
const manifest = {
  experiment: { name: 'hv', budget: { chars: 72_000 }, validation: 0.05 },
  corpus: { sha256: 'ab'.repeat(32), validationChars: 1000 },
};

describe('runs stopped at different budgets are not compared with each other', () => {
  const folder: FolderTables = {
    dir: 'hv',
    manifest,
    summary: HALVING,
    curves: [],
    samples: [],
    notes: [],
    ladder: LADDER,
  };
  const data = buildReportData([folder]);

  test("configurations are ranked and tested within their budget only; the ladder stands beside the full budget's runs", () => {
    expect(data.sections).toEqual([72_000, 24_000, 8_000]);
    const configs = data.grouping.configs.map((c) => [c.configId, c.section, c.rank, c.verdict]);
    expect(configs).toEqual([
      ['h64-u8-c5-lr0.1', 72_000, 1, 'best'],
      ['h64-u8-c5-lr0.3', 24_000, 1, 'best'],
      ['h32-u8-c5-lr0.3', 8_000, 1, 'best'],
      ['h32-u8-c5-lr0.1', 8_000, 2, 'unresolved'],
    ]);
    expect(data.leaderboard.map((e) => e.rank)).toEqual([1, 2, 1, 2, 1, 2, 3, 4]);
    const md = renderMarkdown(data, []);
    expect(md).toContain('#### Trained to 72,000 characters (the full budget): 1 configuration');
    expect(md).toContain('#### Trained to 8,000 characters: 2 configurations');
    const at8k = md.slice(md.indexOf('#### Trained to 8,000'), md.indexOf('### All runs'));
    expect(at8k).not.toContain('Markov order'); // the ladder was counted for 72,000: not beside runs of 8,000
    expect(md).not.toMatch(/Every other configuration tested is significantly worse/);
    expect(md).toContain(
      'runs ranked and tested only against runs trained to the same number of characters (one table each: 72,000, 24,000, 8,000)',
    );
  });

  test("the sweep's closing table: one table per budget, and what was compared", () => {
    const csv = (r: SummaryRow) => ({
      run_id: r.runId,
      hidden_size: String(r.hiddenSize),
      unroll: '8',
      clip: '5',
      learning_rate: String(r.learningRate),
      seed: r.seed,
      status: r.status,
      chars: String(r.chars),
      val_bpc: String(r.valBpc),
      markov_val_bpc: '2.5',
      chars_per_s: '1000',
    });
    const out = rankedTable(HALVING.map(csv), { sha256: 'ab'.repeat(32), validation: '0.05', validationChars: 1000 });
    expect(out).toContain('trained to 72,000 characters:');
    expect(out).toContain('trained to 8,000 characters:');
    const top = out.slice(0, out.indexOf('trained to 24,000'));
    expect(top).not.toMatch(/worse|not resolved/); // the winner is compared with nothing trained less
    expect(out).toMatch(
      /Compared: the same corpus text \(sha256 abababababab…\); the same held-out text \(the last 0\.05 of it: 1,000 characters\); runs ranked and tested only against runs trained to the same number of characters/,
    );
  });
});

describe('a test of little power says so', () => {
  test('holmes-ladder: the GRU-512 is "not resolved" against the LSTM-512 (p 0.076), with the difference, its interval and the seeds a verdict needs', async () => {
    const dir = join(tempDir('charlab-ladder-'), 'holmes-ladder');
    cpSync(join(REPO, 'results', 'holmes-ladder'), dir, { recursive: true });
    const r = await runCli(['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).not.toMatch(/indistinguishable/);
    expect(md).toMatch(
      /\| h512-u64-c320-lr0\.004-gru-adam-B32-cn320-ld0\.5-la1-init-pytorch \|.*\| not resolved \(p 0\.076; needs ≥ 3 seeds\) \| \+0\.009 \\\[−0\.003, \+0\.021\\\] \|/,
    );
    expect(md).toMatch(/too little power to tell, not evidence that they are equal/);
    // Per knob: unroll 32 (only the RNN) is not set against 64 — every ladder configuration differs in more than its unroll.
    const unroll = md.slice(md.indexOf('### unroll'), md.indexOf('### clip'));
    expect(unroll).toContain('Not compared: no two configurations differ in unroll alone');
    expect(unroll).not.toMatch(/\| 32 \| 2 \| 2 \| \d/);
    const hidden = md.slice(md.indexOf('### hidden size'), md.indexOf('### unroll'));
    expect(hidden).toContain('Compared within 2 groups of configurations that differ in hidden size alone');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Compared: the same corpus text');
  });
});

describe('report A B of different experiments', () => {
  test('budgets 3,000 and 6,000: refused (exit 2) naming the difference, nothing written', async () => {
    const dir = tempDir('charlab-ab-');
    smallCorpus(dir, 30_000);
    const a = writeExperiment(dir, tinyExperiment('a'), 'a.json');
    const b = writeExperiment(dir, { ...tinyExperiment('b'), budget: { chars: 6000 } }, 'b.json');
    expect((await runCli(['sweep', a, '--out', join(dir, 'A')])).code).toBe(0);
    expect((await runCli(['sweep', b, '--out', join(dir, 'B')])).code).toBe(0);
    const r = await runCli(['report', join(dir, 'A'), join(dir, 'B')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${join(dir, 'B')} is not the same experiment as ${join(dir, 'A')}, so their runs are not comparable`,
    );
    expect(r.stderr).toMatch(/budget\.chars: 3000 in .*A, 6000 in .*B/);
    expect(r.stderr).toMatch(/report each folder on its own/);
    expect((await runCli(['report', join(dir, 'A')])).code).toBe(0);
    // Shards of one experiment are still reported together.
    const shards = await runCli(['sweep', a, '--shard', '0/1', '--out', join(dir, 'S')]);
    expect(shards.code, shards.stderr).toBe(0);
    expect((await runCli(['report', join(dir, 'A'), join(dir, 'S')])).code).toBe(0);
  });
});
