/**
 * src/util/stats.ts against values worked out by hand: closed forms of Student's t for 1, 2 and 4
 * degrees of freedom, and small samples whose means, variances and Welch degrees of freedom are
 * exact fractions (the arithmetic is in the comments).
 */
import { describe, expect, it } from 'vitest';
import {
  mean,
  median,
  sampleSd,
  sampleVariance,
  studentTCdf,
  studentTQuantile,
  tInterval95,
  welchTTest,
} from '../src/util/stats.js';

/** Student's t CDF in closed form: ν = 1 (Cauchy), ν = 2 and ν = 4. */
const cdf1 = (t: number) => 0.5 + Math.atan(t) / Math.PI;
const cdf2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t));
const cdf4 = (t: number) => {
  const u = (t * t) / (1 + (t * t) / 4);
  return 0.5 + (3 / 8) * (t / Math.sqrt(1 + (t * t) / 4)) * (1 - u / 12);
};
/** Its inverse for ν = 1 and ν = 2. */
const q1 = (p: number) => Math.tan(Math.PI * (p - 0.5));
const q2 = (p: number) => (2 * p - 1) / Math.sqrt(2 * p * (1 - p));

describe('median, mean, standard deviation', () => {
  it('median takes the middle value, or the average of the middle pair for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5); // (2 + 3) / 2, not the upper 3
    expect(median([2.6, 2.7])).toBeCloseTo(2.65, 15);
    expect(median([7])).toBe(7);
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]); // the input is not sorted in place
    expect(() => median([])).toThrow(RangeError);
  });

  it('mean, sample variance and sample standard deviation', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // mean 5; squared deviations 9,1,1,1,0,0,4,16 sum to 32; divided by n − 1 = 7.
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(sampleVariance(xs)).toBeCloseTo(32 / 7, 14);
    expect(sampleSd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(sampleSd([5, 5, 5])).toBe(0);
    expect(() => mean([])).toThrow(RangeError);
    expect(() => sampleSd([1])).toThrow(/at least 2 values, got 1/);
  });
});

describe("Student's t distribution", () => {
  it('CDF matches the closed forms for 1, 2 and 4 degrees of freedom', () => {
    for (const t of [-30, -4, -1.5, -0.2, 0, 0.3, 1, 2, 6.5, 100]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(cdf1(t), 13);
      expect(studentTCdf(t, 2)).toBeCloseTo(cdf2(t), 13);
      expect(studentTCdf(t, 4)).toBeCloseTo(cdf4(t), 13);
    }
    expect(studentTCdf(0, 7.3)).toBe(0.5);
    expect(studentTCdf(Number.POSITIVE_INFINITY, 3)).toBe(1);
    expect(() => studentTCdf(1, 0)).toThrow(RangeError);
  });

  it('quantile inverts the closed forms and gives the table values', () => {
    for (const p of [0.001, 0.1, 0.5, 0.8, 0.975, 0.999]) {
      expect(studentTQuantile(p, 1)).toBeCloseTo(q1(p), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo(q2(p), 11);
    }
    // t_{0.975}: tan(0.475π) = 12.7062; 0.95 / √0.04875 = 4.3027; and the printed table's 2.776, 2.262, 2.042.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062047, 6);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3026527, 6);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776, 3);
    for (const df of [3, 5.88, 40]) expect(studentTCdf(studentTQuantile(0.9, df), df)).toBeCloseTo(0.9, 12);
    expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  });
});

describe('intervals and tests', () => {
  it('95 % interval of a mean: mean ± t_{0.975, n−1} · sd / √n', () => {
    // [1, 2, 3]: mean 2, sd 1, df 2, half width q2(0.975) / √3.
    const ci = tInterval95([1, 2, 3]);
    expect(ci.n).toBe(3);
    expect(ci.mean).toBe(2);
    expect(ci.sd).toBe(1);
    expect(ci.halfWidth).toBeCloseTo(q2(0.975) / Math.sqrt(3), 12);
    expect(ci.lo).toBeCloseTo(2 - q2(0.975) / Math.sqrt(3), 12);
    expect(ci.hi).toBeCloseTo(2 + q2(0.975) / Math.sqrt(3), 12);
    expect(() => tInterval95([2.7])).toThrow(RangeError);
  });

  it("Welch's t-test with 2 degrees of freedom: p = 1 − |t| / √(2 + t²)", () => {
    // [0, 2] vs [3, 5]: means 1 and 4, variances 2 and 2, se² = 2/2 + 2/2 = 2, t = −3/√2;
    // df = 2² / (1²/1 + 1²/1) = 2; p = 1 − √(4.5 / 6.5) = 1 − 3/√13 = 0.16795.
    const r = welchTTest([0, 2], [3, 5]);
    expect(r.t).toBeCloseTo(-3 / Math.SQRT2, 14);
    expect(r.df).toBeCloseTo(2, 14);
    expect(r.p).toBeCloseTo(1 - 3 / Math.sqrt(13), 13);
  });

  it("Welch's t-test with 4 degrees of freedom, and with a fractional df", () => {
    // [1, 2, 3] vs [2, 3, 4]: means 2 and 3, variances 1 and 1, se² = 2/3, t = −√1.5, df = (2/3)² / (2·(1/9)/2) = 4.
    const r = welchTTest([1, 2, 3], [2, 3, 4]);
    expect(r.t).toBeCloseTo(-Math.sqrt(1.5), 14);
    expect(r.df).toBeCloseTo(4, 13);
    expect(r.p).toBeCloseTo(2 * (1 - cdf4(Math.sqrt(1.5))), 13); // 0.28786
    // [1..5] vs [2, 4, .., 10]: variances 2.5 and 10, se² = 0.5 + 2 = 2.5, t = −3/√2.5,
    // df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625 = 100/17; p = 0.1075312 (scipy's ttest_ind agrees to 1e-15).
    const w = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(w.t).toBeCloseTo(-3 / Math.sqrt(2.5), 14);
    expect(w.df).toBeCloseTo(100 / 17, 13);
    expect(w.p).toBeCloseTo(0.10753119493063, 12);
    // Swapping the samples flips t and keeps p.
    const s = welchTTest([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
    expect(s.t).toBeCloseTo(-w.t, 14);
    expect(s.p).toBeCloseTo(w.p, 14);
  });

  it('samples without spread: equal means are indistinguishable, different means differ', () => {
    expect(welchTTest([2, 2], [2, 2, 2]).p).toBe(1);
    expect(welchTTest([2, 2], [3, 3]).p).toBe(0);
    expect(() => welchTTest([1], [1, 2])).toThrow(RangeError);
  });
});

describe("Welch's interval of a difference and the seeds a verdict needs", () => {
  it('the 95 % interval excludes 0 exactly when the two-sided test gives p < 0.05', async () => {
    const { welchInterval, welchTTest, seedsForVerdict } = await import('../src/util/stats.js');
    const cases: Array<[number[], number[]]> = [
      [
        [2.59, 2.82],
        [1.746, 1.748],
      ], // holmes-ladder: the RNN against the LSTM, p 0.053
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [1.0, 1.1],
        [1.05, 1.2],
      ],
      [
        [3.0, 3.2, 3.4, 3.1],
        [2.0, 2.1, 2.2],
      ],
    ];
    for (const [a, b] of cases) {
      const ci = welchInterval(a, b);
      const { p } = welchTTest(a, b);
      expect(ci.lo > 0 || ci.hi < 0, `${a.join(',')} vs ${b.join(',')}`).toBe(p < 0.05);
      const n = seedsForVerdict(a, b);
      if (p >= 0.05) expect(n).toBeGreaterThan(Math.min(a.length, b.length));
    }
    expect(seedsForVerdict([2.59, 2.82], [1.746, 1.748])).toBe(3);
    expect(seedsForVerdict([1, 1], [1, 1])).toBeNull(); // no difference, no spread: no number of seeds decides
  });
});
