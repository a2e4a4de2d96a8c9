import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { MarkovModel, modifiedKnDiscounts } from '../src/markov/markov.js';
import { makeRng } from '../src/util/rng.js';

/** Symbols of `text` as indices into `alphabet` (one character per symbol). */
function encode(text: string, alphabet: string): Int32Array {
  return Int32Array.from(Array.from(text), (ch) => {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`'${ch}' not in alphabet`);
    return i;
  });
}

/** Compensated (Neumaier) sum, so that summing a large vocabulary adds no rounding error of its own. */
function sum(p: ArrayLike<number>): number {
  let s = 0;
  let comp = 0;
  for (let i = 0; i < p.length; i++) {
    const t = s + p[i];
    comp += Math.abs(s) >= Math.abs(p[i]) ? s - t + p[i] : p[i] - t + s;
    s = t;
  }
  return s + comp;
}

/** A pseudo-random text over the first `used` symbols with some structure (so counts 1..4+ all occur). */
function randomText(n: number, used: number, seed: number): Int32Array {
  const rng = makeRng(seed);
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    // mostly a deterministic-ish successor of the previous symbol, sometimes a random one
    ids[i] = i > 0 && rng() < 0.6 ? (ids[i - 1] * 3 + 1) % used : Math.floor(rng() * rng() * used);
  }
  return ids;
}

/**
 * Straightforward reference implementation of the documented smoothing, with string keys and sets:
 * real counts at the query's top order, continuation counts (distinct left neighbours, the first
 * training position counting as one begin-of-text neighbour) below, modified-KN discounts per order
 * and kind, uniform base.
 */
function referenceModel(symbols: ArrayLike<number>, k: number, V: number) {
  const ids = Array.from(symbols);
  const key = (h: number[]) => h.join(',');
  const real = new Map<string, Map<number, number>>(); // h -> w -> c(h w)
  const left = new Map<string, Map<number, Set<number>>>(); // h -> w -> {x : c(x h w) > 0}, -1 = begin of text
  for (let i = 0; i < ids.length; i++) {
    const w = ids[i];
    for (let j = 0; j <= Math.min(k, i); j++) {
      const h = key(ids.slice(i - j, i));
      if (!real.has(h)) real.set(h, new Map());
      const m = real.get(h)!;
      m.set(w, (m.get(w) ?? 0) + 1);
      if (j < k) {
        if (!left.has(h)) left.set(h, new Map());
        const lm = left.get(h)!;
        if (!lm.has(w)) lm.set(w, new Set());
        lm.get(w)!.add(i - j - 1 >= 0 ? ids[i - j - 1] : -1);
      }
    }
  }
  const order = (h: string) => (h === '' ? 0 : h.split(',').length);
  const countOf = (h: string, w: number, kind: 'real' | 'cont') =>
    kind === 'real' ? (real.get(h)?.get(w) ?? 0) : (left.get(h)?.get(w)?.size ?? 0);
  const discounts = new Map<string, [number, number, number]>();
  for (const kind of ['real', 'cont'] as const) {
    for (let j = 0; j <= k; j++) {
      const n = [0, 0, 0, 0, 0];
      for (const [h, m] of real) {
        if (order(h) !== j) continue;
        for (const w of m.keys()) {
          const c = countOf(h, w, kind);
          if (c >= 1 && c <= 4) n[c]++;
        }
      }
      discounts.set(`${kind}${j}`, modifiedKnDiscounts(n[1], n[2], n[3], n[4]));
    }
  }
  return (context: number[], w: number): number => {
    const top = Math.min(k, context.length);
    let p = 1 / V;
    for (let j = 0; j <= top; j++) {
      const h = key(context.slice(context.length - j));
      if (!real.has(h)) break;
      const kind = j === top ? 'real' : 'cont';
      const d = discounts.get(`${kind}${j}`)!;
      const D = (c: number) => (c === 0 ? 0 : d[Math.min(c, 3) - 1]);
      let A = 0;
      let removed = 0;
      for (const v of real.get(h)!.keys()) {
        const c = countOf(h, v, kind);
        A += c;
        removed += D(c);
      }
      const c = countOf(h, w, kind);
      p = (c - D(c) + removed * p) / A;
    }
    return p;
  };
}

describe('modifiedKnDiscounts', () => {
  it('follows Chen & Goodman and falls back to 0.75 where undefined', () => {
    // Y = 100 / (100 + 2·50) = 0.5
    const [d1, d2, d3] = modifiedKnDiscounts(100, 50, 30, 20);
    expect(d1).toBeCloseTo(1 - 2 * 0.5 * (50 / 100), 14); // 0.5
    expect(d2).toBeCloseTo(2 - 3 * 0.5 * (30 / 50), 14); // 1.1
    expect(d3).toBeCloseTo(3 - 4 * 0.5 * (20 / 30), 14); // 1.666…
    expect(modifiedKnDiscounts(0, 0, 0, 0)).toEqual([0.75, 0.75, 0.75]);
  });
});

describe('MarkovModel distribution', () => {
  it('is a proper distribution for seen, unseen, short, long and unseen-symbol contexts', () => {
    const used = 20;
    const V = used + 3; // symbols used..V-1 never occur in training
    const ids = randomText(5000, used, 1);
    for (const order of [0, 1, 3, 5]) {
      const m = MarkovModel.train(ids, 0, ids.length, { order, vocabSize: V });
      const contexts: number[][] = [[], [ids[10]], [ids[10], ids[11]]]; // shorter than k (mostly)
      for (let i = order; i < ids.length; i += 97) contexts.push(Array.from(ids.slice(i - order, i))); // seen
      const rng = makeRng(2);
      for (let t = 0; t < 30; t++) {
        contexts.push(Array.from({ length: order + 2 }, () => Math.floor(rng() * used))); // mostly unseen, some longer than k
      }
      contexts.push([V - 1], [ids[5], V - 2, ids[7]], [V - 1, V - 2, V - 3, V - 1, V - 2, V - 3]); // unseen symbols
      const out = new Float64Array(V);
      for (const ctx of contexts) {
        const p = m.distribution(ctx, out);
        expect(p).toBe(out);
        expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
        for (let c = 0; c < V; c++) expect(p[c]).toBeGreaterThan(0);
      }
    }
  });

  it('matches a hand computation (order 1 on "abracadabra")', () => {
    // alphabet a b c d r x; x never occurs
    const alphabet = 'abcdrx';
    const ids = encode('abracadabra', alphabet);
    const m = MarkovModel.train(ids, 0, ids.length, { order: 1, vocabSize: 6 });
    const [a, b, c, d, r, x] = [0, 1, 2, 3, 4, 5];

    // Order 0, continuation counts N1+(•w): a is preceded by r, c, d and starts the text (+1) -> 4;
    // b, c, d, r each have one left neighbour -> 1. Total 8. Count-of-counts n1=4, n2=0, n3=0, n4=1:
    // Y = 1, D(1) = 1 - 0 = 1 (not < 1) and D(2), D(3+) undefined -> all fall back to 0.75.
    // Discounted mass 5·0.75 = 3.75, so P0(w) = (cont(w) - 0.75)/8 + (3.75/8)·(1/6).
    const P0 = (cont: number) => (cont > 0 ? (cont - 0.75) / 8 : 0) + 3.75 / 8 / 6;
    expect(P0(4)).toBeCloseTo(0.484375, 15);
    expect(P0(1)).toBeCloseTo(0.109375, 15);
    expect(P0(0)).toBeCloseTo(0.078125, 15);

    // Order 1, real bigram counts: ab 2, br 2, ra 2, ac 1, ca 1, ad 1, da 1 -> n1=4, n2=3, n3=n4=0:
    // Y = 4/10, D(1) = 1 - 2·0.4·(3/4) = 0.4, D(2) = 2 - 0 = 2 (not < 2) -> 0.75.
    // Context "a": b 2, c 1, d 1; A = 4; discounted mass 0.75 + 2·0.4 = 1.55; gamma = 1.55/4.
    const gamma = 1.55 / 4;
    const expected = [
      gamma * P0(4), // a
      (2 - 0.75) / 4 + gamma * P0(1), // b
      (1 - 0.4) / 4 + gamma * P0(1), // c
      (1 - 0.4) / 4 + gamma * P0(1), // d
      gamma * P0(1), // r
      gamma * P0(0), // x
    ];
    const p = m.distribution([a]);
    for (let s = 0; s < 6; s++) expect(p[s]).toBeCloseTo(expected[s], 15);
    expect(sum(expected)).toBeCloseTo(1, 15);

    // An unseen context ("x" never occurs) falls through to order 0 entirely.
    const pu = m.distribution([x]);
    for (const [s, cont] of [
      [a, 4],
      [b, 1],
      [c, 1],
      [d, 1],
      [r, 1],
      [x, 0],
    ])
      expect(pu[s]).toBeCloseTo(P0(cont), 15);
    // Only the last symbol counts at order 1; context "r": a 2, so P(a|r) = (2 - 0.75)/2 + (0.75/2)·P0(a).
    expect(m.distribution([d, r])[a]).toBeCloseTo((2 - 0.75) / 2 + (0.75 / 2) * P0(4), 15);

    // Empty context: order 0 is the top order, so real unigram counts a 5, b 2, r 2, c 1, d 1 (A = 11):
    // n1=2, n2=2 -> Y = 1/3, D(1) = 1 - 2·(1/3)·1 = 1/3, D(2) = 2 (not < 2) -> 0.75, D(3+) -> 0.75.
    const removed0 = 0.75 + 2 * 0.75 + 2 / 3;
    const pe = m.distribution([]);
    expect(pe[a]).toBeCloseTo((5 - 0.75) / 11 + removed0 / 11 / 6, 15);
    expect(pe[c]).toBeCloseTo((1 - 1 / 3) / 11 + removed0 / 11 / 6, 15);
    expect(pe[x]).toBeCloseTo(removed0 / 11 / 6, 15);
  });

  it('agrees with a direct string-keyed reference implementation', () => {
    const used = 6;
    const V = used + 1;
    const ids = randomText(3000, used, 3);
    for (const order of [1, 2, 3]) {
      const m = MarkovModel.train(ids, 0, ids.length, { order, vocabSize: V });
      const ref = referenceModel(ids, order, V);
      const rng = makeRng(4);
      for (let t = 0; t < 60; t++) {
        const len = Math.floor(rng() * (order + 2));
        const ctx = Array.from({ length: len }, () => Math.floor(rng() * (rng() < 0.05 ? V : used)));
        const p = m.distribution(ctx);
        for (let w = 0; w < V; w++) expect(p[w]).toBeCloseTo(ref(ctx, w), 13);
      }
    }
  });

  it('handles a vocabulary far beyond V^k < 2^53 (V = 200000, order 4)', () => {
    const V = 200_000;
    const rng = makeRng(10);
    const ids = Int32Array.from(randomText(20_000, 40, 11), (s) => (s * 4999 + Math.floor(rng() * 2)) % V);
    const m = MarkovModel.train(ids, 0, 18_000, { order: 4, vocabSize: V });
    for (const i of [3, 100, 5000, 17_999, 19_000]) {
      const p = m.distribution(ids.subarray(Math.max(0, i - 4), i));
      expect(Math.abs(sum(p) - 1)).toBeLessThan(1e-12);
      expect(p[V - 1]).toBeGreaterThan(0);
    }
    const r = m.evaluate(ids, 18_000, 20_000);
    expect(Number.isFinite(r.bpc)).toBe(true);
    expect(r.bpc).toBeLessThan(Math.log2(V));
  });

  it('trains on a sub-range and evaluates consistently with distribution()', () => {
    const V = 12;
    const ids = randomText(4000, 10, 5);
    const m = MarkovModel.train(ids, 500, 3500, { order: 3, vocabSize: V });
    expect(m.order).toBe(3);
    expect(m.vocabSize).toBe(V);
    // held-out range whose contexts start inside the training text, plus one at the very beginning
    for (const [s, e] of [
      [3500, 4000],
      [0, 40],
    ]) {
      const r = m.evaluate(ids, s, e);
      let nats = 0;
      for (let i = s; i < e; i++) nats -= Math.log(m.distribution(ids.subarray(Math.max(0, i - 3), i))[ids[i]]);
      expect(r.chars).toBe(e - s);
      expect(r.nats).toBeCloseTo(nats, 9);
      expect(r.bpc).toBeCloseTo(nats / (e - s) / Math.LN2, 12);
    }
  });

  it('rejects bad options and out-of-vocabulary data', () => {
    const ids = Int32Array.from([0, 1, 2, 1, 0]);
    expect(() => MarkovModel.train(ids, 0, 5, { order: -1, vocabSize: 3 })).toThrow(UsageError);
    expect(() => MarkovModel.train(ids, 0, 5, { order: 2, vocabSize: 0 })).toThrow(UsageError);
    expect(() => MarkovModel.train(ids, 0, 5, { order: 2, vocabSize: 2 })).toThrow(RangeError);
    expect(() => MarkovModel.train(ids, 3, 2, { order: 2, vocabSize: 3 })).toThrow(RangeError);
    const m = MarkovModel.train(ids, 0, 5, { order: 2, vocabSize: 3 });
    expect(() => m.distribution([0, 3])).toThrow(RangeError);
    expect(() => m.distribution([0], new Float64Array(2))).toThrow(RangeError);
    expect(() => m.sample([], 3, makeRng(1))).toThrow(RangeError);
  });
});

describe('MarkovModel sample', () => {
  it('is deterministic for a seed and emits only vocabulary symbols', () => {
    const V = 15;
    const ids = randomText(3000, 12, 6);
    const m = MarkovModel.train(ids, 0, ids.length, { order: 4, vocabSize: V });
    const s1 = m.sample([ids[0], ids[1]], 500, makeRng(7));
    const s2 = m.sample([ids[0], ids[1]], 500, makeRng(7));
    const s3 = m.sample([ids[0], ids[1]], 500, makeRng(8));
    expect(s1).toHaveLength(500);
    expect(Array.from(s1)).toEqual(Array.from(s2));
    // Another seed draws an independent sample: on this near-uniform 12-symbol text two independent
    // draws agree at about 1 position in 12, so far fewer than half of the positions may agree.
    const agree = s1.filter((x, i) => x === s3[i]).length;
    expect(agree).toBeLessThan(250);
    for (const s of s1) expect(s >= 0 && s < 12).toBe(true); // symbols 12..14 never occur in training
    expect(m.sample([3], 0, makeRng(1))).toHaveLength(0);
  });

  it('backs off at a dead end instead of failing', () => {
    // Order 2. The last 2-gram "bd" is never followed by anything; "d" alone is followed only by "a"
    // (at the start), then "da" -> b, "ab" -> c, whatever the seed.
    const alphabet = 'abcdz';
    const ids = encode('dabcabcbd', alphabet);
    const m = MarkovModel.train(ids, 0, ids.length, { order: 2, vocabSize: 5 });
    for (const seed of [1, 2, 3]) {
      const s = m.sample(encode('bd', alphabet), 50, makeRng(seed));
      expect(Array.from(s.slice(0, 3))).toEqual(Array.from(encode('abc', alphabet)));
      for (const v of s) expect(v >= 0 && v < 4).toBe(true);
    }
    // A prime made of a symbol never seen in training backs off to unigram counts.
    const u = m.sample(encode('z', alphabet), 20, makeRng(1));
    for (const v of u) expect(v >= 0 && v < 4).toBe(true);
  });

  it('draws with weight proportional to raw counts', () => {
    // order 1: after "a" come b (3 times) and c (once)
    const ids = encode('abababac', 'abc');
    const m = MarkovModel.train(ids, 0, ids.length, { order: 1, vocabSize: 3 });
    const rng = makeRng(9);
    let b = 0;
    const n = 4000;
    for (let t = 0; t < n; t++) if (m.sample([0], 1, rng)[0] === 1) b++;
    expect(b / n).toBeGreaterThan(0.72);
    expect(b / n).toBeLessThan(0.78);
  });
});
