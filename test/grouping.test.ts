/**
 * Issue 14, seeds grouped: statistics per configuration against values computed by hand, the
 * verdict against the best (Welch's t at 5 %), and the report's tables built on the means.
 */
import { knobDefaults } from '../src/results/knobs.js';
import { describe, expect, test } from 'vitest';
import { groupStats, multiSeed, rankGroups, verdictText } from '../src/report/groups.js';
import { buildReportData } from '../src/report/data.js';
import { rankedTable } from '../src/cli/sweepDisplay.js';
import type { FolderTables, SummaryRow } from '../src/report/types.js';

describe('statistics of one configuration', () => {
  test('mean, sd and the 95 % interval of [1, 2, 3]', () => {
    const g = groupStats([1, 2, 3]);
    expect(g.n).toBe(3);
    expect(g.mean).toBe(2);
    expect(g.sd).toBeCloseTo(1, 12); // √(((−1)² + 0 + 1²) / 2)
    // t_{0.975, 2} = 4.302652729911275 (tables); half width = 4.3027 · 1 / √3
    expect(g.halfWidth).toBeCloseTo(4.302652729911275 / Math.sqrt(3), 9);
    expect(g.lo).toBeCloseTo(2 - 2.484138, 5);
    expect(g.hi).toBeCloseTo(2 + 2.484138, 5);
  });
  test('one value: a mean, no spread, no interval', () => {
    expect(groupStats([2.5])).toEqual({ n: 1, mean: 2.5, sd: null, halfWidth: null, lo: null, hi: null });
  });
});

describe('ranking configurations against the best', () => {
  const runs = [
    ...[1, 2, 3].map((v) => ({ k: 'A', v })),
    ...[4, 5, 6].map((v) => ({ k: 'B', v })),
    ...[1.5, 2.5, 3.5].map((v) => ({ k: 'C', v })),
    { k: 'D', v: 2.2 },
    { k: 'E', v: null },
  ];
  const groups = rankGroups(
    runs,
    (r) => r.k,
    (r) => r.v,
  );
  const by = (k: string) => groups.find((g) => g.key === k)!;

  test('ranked by mean, unscored configurations last', () => {
    expect(groups.map((g) => g.key)).toEqual(['A', 'D', 'C', 'B', 'E']);
    expect(groups.map((g) => g.rank)).toEqual([1, 2, 3, 4, null]);
    expect(multiSeed(groups)).toBe(true);
  });

  test("Welch's p against the best, by hand", () => {
    // B vs A: t = (5 − 2) / √(1/3 + 1/3) = 3.6742, df = (2/3)² / (2 · (1/3)² / 2) = 4.
    // For 4 degrees of freedom P(|T| < t) = sin θ (1 + cos² θ / 2) with θ = atan(t / 2).
    const t = 3 / Math.sqrt(2 / 3);
    const th = Math.atan(t / 2);
    const p = 1 - Math.sin(th) * (1 + Math.cos(th) ** 2 / 2);
    expect(p).toBeCloseTo(0.02131, 5);
    expect(by('B').p).toBeCloseTo(p, 10);
    expect(by('B').verdict).toBe('worse');
    expect(verdictText(by('B'))).toBe('worse (p 0.021)');
    // C vs A: t = 0.5 / √(2/3) = 0.6124, df 4: p = 1 − sin θ (1 + cos² θ / 2), θ = atan(0.6124 / 2).
    const t2 = 0.5 / Math.sqrt(2 / 3);
    const th2 = Math.atan(t2 / 2);
    expect(by('C').p).toBeCloseTo(1 - Math.sin(th2) * (1 + Math.cos(th2) ** 2 / 2), 10);
    expect(by('C').verdict).toBe('unresolved'); // p 0.573 with 3 seeds a side: not resolved, not "equal"
    expect(by('C').diff).toBeCloseTo(0.5, 12);
    // The 95 % Welch interval of the difference: 0.5 ± t(0.975, 4) · √(2/3), t(0.975, 4) = 2.776445.
    expect(by('C').diffLo).toBeCloseTo(0.5 - 2.776445 * Math.sqrt(2 / 3), 5);
    expect(by('C').diffHi).toBeCloseTo(0.5 + 2.776445 * Math.sqrt(2 / 3), 5);
    // At sd 1 a side, a difference of 0.5 needs n with 0.5 / √(2/n) > t(0.975, 2n − 2): n = 32 (t 2.000 > 1.999 at df 62;
    // at n = 31, t 1.969 < 2.000 at df 60).
    expect(by('C').seedsNeeded).toBe(32);
    expect(verdictText(by('C'))).toBe('not resolved (p 0.573; needs ≥ 32 seeds)');
    expect(by('A').verdict).toBe('best');
    expect(by('D').verdict).toBe('untested');
    expect(verdictText(by('D'))).toBe('not tested (1 seed)');
  });

  test('one seed each: nothing is tested', () => {
    const single = rankGroups(
      [
        { k: 'A', v: 1 },
        { k: 'B', v: 2 },
      ],
      (r) => r.k,
      (r) => r.v,
    );
    expect(multiSeed(single)).toBe(false);
    expect(single.map((g) => g.verdict)).toEqual(['best', 'untested']);
  });
});

function row(
  h: number,
  lr: number,
  seed: number,
  valBpc: number | null,
  status: SummaryRow['status'] = 'done',
): SummaryRow {
  return {
    ...knobDefaults(),
    runId: `h${h}-u8-c5-lr${lr}-s${seed}`,
    hiddenSize: h,
    unroll: 8,
    clip: 5,
    learningRate: lr,
    seed: String(seed),
    backend: 'reference',
    status,
    iterations: 10,
    chars: 80,
    smoothLossPerChar: 2,
    valBpc,
    markovOrder: 4,
    markovValBpc: 2.5,
    wallS: 1,
    charsPerS: 80,
    divergedAtIteration: null,
    error: '',
    params: null,
    bestValBpc: null,
    bestValChars: null,
    curveValChars: null,
    stoppedEarly: null,
    source: `x/summary.csv:${seed}`,
  };
}

describe('the report on configurations', () => {
  // h8 lr0.1: 3.0, 3.2, 3.4 (mean 3.2); h8 lr0.2: 2.0, 2.1, 2.2 (mean 2.1); h16 lr0.1: 2.05, 2.25 and a diverged seed (mean 2.15).
  const summary = [
    row(8, 0.1, 1, 3.0),
    row(8, 0.1, 2, 3.2),
    row(8, 0.1, 3, 3.4),
    row(8, 0.2, 1, 2.0),
    row(8, 0.2, 2, 2.1),
    row(8, 0.2, 3, 2.2),
    row(16, 0.1, 1, 2.05),
    row(16, 0.1, 2, 2.25),
    row(16, 0.1, 3, null, 'diverged'),
  ];
  const folder: FolderTables = { dir: 'x', manifest: null, summary, curves: [], samples: [], notes: [] };
  const data = buildReportData([folder]);

  test('one row per configuration with mean, sd, n and the verdict', () => {
    const c = data.grouping.configs;
    expect(data.grouping.multiSeed).toBe(true);
    expect(c.map((x) => x.configId)).toEqual(['h8-u8-c5-lr0.2', 'h16-u8-c5-lr0.1', 'h8-u8-c5-lr0.1']);
    expect(c[0].mean).toBeCloseTo(2.1, 12);
    expect(c[0].sd).toBeCloseTo(0.1, 12);
    expect(c[1].n).toBe(2);
    expect(c[1].runs).toBe(3);
    expect(c[1].mean).toBeCloseTo(2.15, 12);
    expect(c[1].sd).toBeCloseTo(Math.SQRT2 * 0.1, 12); // √((0.1² + 0.1²) / 1)
    expect(c[1].note).toMatch(/h16-u8-c5-lr0.1-s3: diverged/);
    expect(c[1].verdict).toBe('unresolved');
    expect(c[2].verdict).toBe('worse');
    expect(c[0].delta).toBeCloseTo(2.1 - 2.5, 12);
  });

  test('per-knob tables use the means of configurations that differ in that knob alone; the heat map the means', () => {
    const lr = data.knobs.find((k) => k.knob === 'learningRate')!;
    const at01 = lr.values.find((v) => v.value === 0.1)!;
    // Only hidden 8 ran both learning rates: h16-lr0.1 (2.15) has no lr-0.2 partner, so it is not credited to lr 0.1.
    expect(at01.best).toBeCloseTo(3.2, 12);
    expect(at01.median).toBeCloseTo(3.2, 12);
    expect(at01.bestRunId).toBe('h8-u8-c5-lr0.1');
    expect(lr.comparableGroups).toBe(1);
    expect(lr.note).toMatch(
      /Compared within 1 group of configurations that differ in learning rate alone: 2 of the 3 scored configurations/,
    );
    const cell = data.heatmap.find((c) => c.hiddenSize === 8 && c.learningRate === 0.1)!;
    expect(cell.best).toBeCloseTo(3.2, 12);
  });

  test("the sweep's terminal table groups seeds too", () => {
    const csvRow = (r: SummaryRow) => ({
      run_id: r.runId,
      hidden_size: String(r.hiddenSize),
      unroll: '8',
      clip: '5',
      learning_rate: String(r.learningRate),
      seed: r.seed,
      status: r.status,
      val_bpc: r.valBpc === null ? '' : String(r.valBpc),
      markov_val_bpc: '2.5',
      chars_per_s: '80',
    });
    const out = rankedTable(summary.map(csvRow));
    expect(out).toMatch(/h8-u8-c5-lr0\.2 .*│ +3 │ +2\.100 │ +0\.100 │/);
    expect(out).toMatch(/h16-u8-c5-lr0\.1 .*│ +2\/3 │ +2\.150 │/);
    expect(out).toContain("Welch's two-sided t-test");
  });
});

describe('knobs with many values (random search) are shown in bins', () => {
  test('at most 8 values stay as they are; more become 4 ranges of about equal count', async () => {
    const { binning } = await import('../src/report/bins.js');
    expect(binning([0.1, 0.05, 0.1]).groups).toEqual([0.05, 0.1]);
    const b = binning([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(b.groups).toEqual(['1–3', '4–6', '7–9', '10–12']);
    expect(b.of(5)).toBe('4–6');
    expect(b.of(12)).toBe('10–12');
  });
});
