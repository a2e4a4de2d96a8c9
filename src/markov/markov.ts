/**
 * Order-k character Markov baseline with interpolated modified Kneser–Ney smoothing.
 *
 * Notation: symbols are vocabulary indices 0..V-1; a context h of order j is the j symbols before
 * the predicted one; h' is h without its oldest symbol (the next-lower order).
 *
 *   P_j(w | h) = max(a(h,w) - D_j(a(h,w)), 0) / A(h)  +  gamma(h) · P_{j-1}(w | h')
 *   A(h)       = Σ_w a(h,w)
 *   gamma(h)   = Σ_w D_j(a(h,w)) / A(h)            (the mass removed by discounting)
 *   P_{-1}(w)  = 1/V                                 (so unseen characters get finite cost)
 *
 * a(h,w) is the real count c(h w) at the highest order used by a query (order k, or the length of
 * the context when it is shorter than k), and the continuation count N1+(• h w) — the number of
 * distinct symbols x with c(x h w) > 0 — at all lower orders. An n-gram that starts at the very
 * first training position has no left neighbour; like an n-gram after a begin-of-text marker it
 * counts as one left-extension, so every seen n-gram keeps a positive continuation count.
 * A context never seen in training (or with A(h) = 0) passes all its weight down: P_j = P_{j-1}.
 *
 * Discounts (modified KN, Chen & Goodman 1998), estimated per order and per kind of count
 * (real / continuation) from the count-of-counts n1..n4 of that order:
 *   Y = n1 / (n1 + 2 n2),  D(1) = 1 - 2Y n2/n1,  D(2) = 2 - 3Y n3/n2,  D(3+) = 3 - 4Y n4/n3.
 * An estimate that is undefined or outside (0, c) (tiny training texts) falls back to plain KN's 0.75.
 *
 * Storage: contexts form a suffix trie grown leftwards: node(x h) = child(node(h), x), root = the
 * empty context. Both the trie edges (parentNode, x) and the n-grams (node(h), w) are pairs of
 * int32 kept in open-addressing hash tables, so no key is ever a product like id*V + c and nothing
 * overflows whatever V is. Successor lists per context are kept in CSR form for enumeration.
 */
import { UsageError } from '../errors.js';
import { sampleIndex, type Rng } from '../util/rng.js';
import { PairTable } from './pairTable.js';

export interface MarkovOptions {
  order: number; // k: contexts of up to k preceding symbols (call sites default to 4)
  vocabSize: number; // V: symbols are 0..V-1
}

/** Discount used where the count-of-counts cannot support a modified-KN estimate. */
export const FALLBACK_DISCOUNT = 0.75;

/**
 * Modified Kneser–Ney discounts [D(1), D(2), D(3+)] from the numbers n1..n4 of n-grams seen exactly
 * 1..4 times (Chen & Goodman). Each is kept only when it lies in (0, c); else FALLBACK_DISCOUNT.
 */
export function modifiedKnDiscounts(n1: number, n2: number, n3: number, n4: number): [number, number, number] {
  const y = n1 / (n1 + 2 * n2);
  const est = [1 - (2 * y * n2) / n1, 2 - (3 * y * n3) / n2, 3 - (4 * y * n4) / n3];
  const d = est.map((v, i) => (v > 0 && v < i + 1 ? v : FALLBACK_DISCOUNT));
  return [d[0], d[1], d[2]];
}

const REAL = 0; // kinds of count, index into per-order tables
const CONT = 1;

export class MarkovModel {
  private readonly invV: number;
  private readonly path: Int32Array; // scratch: path[j] = trie node of the order-j context of a query

  private constructor(
    readonly order: number,
    readonly vocabSize: number,
    private readonly ctxs: PairTable, // (parentNode, x) -> node - 1
    private readonly grams: PairTable, // (node, w) -> n-gram id
    private readonly real: Int32Array, // by n-gram id: c(h w)
    private readonly cont: Int32Array, // by n-gram id: N1+(• h w)
    private readonly total: Float64Array, // by node*2 + kind: A(h)
    private readonly removed: Float64Array, // by node*2 + kind: Σ_w D(a(h,w)) = gamma(h)·A(h)
    private readonly disc: Float64Array, // by ((j*2 + kind)*4 + min(a,3)): D_j(a), D(0) = 0
    private readonly succStart: Int32Array, // CSR: successors of node are succGram[succStart[node] .. succStart[node+1])
    private readonly succGram: Int32Array,
    private readonly maxSucc: number,
  ) {
    this.invV = 1 / vocabSize;
    this.path = new Int32Array(order + 1);
  }

  /** Counts n-grams of orders 0..k (contexts of 0..k symbols) over ids[start..end). */
  static train(ids: Int32Array, start: number, end: number, opts: MarkovOptions): MarkovModel {
    return MarkovModel.trainRanges(ids, [[start, end]], opts);
  }

  /**
   * Counts over several stretches of text, each read as a text of its own (no n-gram crosses from
   * one into the next; each starts like the beginning of a text): the parts B parallel streams read.
   * One range is exactly train().
   */
  static trainRanges(
    ids: Int32Array,
    ranges: readonly (readonly [number, number])[],
    opts: MarkovOptions,
  ): MarkovModel {
    const k = opts.order;
    const V = opts.vocabSize;
    if (!Number.isInteger(k) || k < 0 || k > 64)
      throw new UsageError(`markov: order must be an integer in 0..64, got ${k}`);
    if (!Number.isInteger(V) || V < 1 || V > 0x7fffffff)
      throw new UsageError(`markov: vocabSize must be a positive integer, got ${V}`);
    for (const [start, end] of ranges) checkRange('train', ids, start, end);
    if (ranges.every(([start, end]) => end === start)) throw new RangeError('markov train: empty training range');

    const { ctxs, grams, real } = countRealNgrams(ids, ranges, k, V); // 1
    const { parent, depth } = trieShape(ctxs);
    const cont = continuationCounts(ids, ranges, k, ctxs, grams, parent); // 2
    const disc = discounts(k, grams, depth, real, cont); // 3
    const t = contextTotals(grams, depth, real, cont, disc, ctxs.size + 1); // 4
    return new MarkovModel(k, V, ctxs, grams, real, cont, t.total, t.removed, disc, t.succStart, t.succGram, t.maxSucc);
  }

  /**
   * P(next = c | context) for all c, interpolated Kneser–Ney over orders 0..k; context = the up-to-k
   * preceding symbols (only its last k are used; shorter at the start). Writes into out (length V),
   * returns it. Sums to 1; every entry > 0.
   */
  distribution(context: ArrayLike<number>, out?: Float64Array): Float64Array {
    const V = this.vocabSize;
    if (out === undefined) out = new Float64Array(V);
    else if (out.length !== V) throw new RangeError(`markov distribution: out has length ${out.length}, expected ${V}`);
    const len = context.length;
    const top = Math.min(this.order, len);
    for (let q = len - top; q < len; q++) checkSymbol('distribution', context[q], V);
    const m = this.walk(context, len, top);

    out.fill(this.invV); // P_{-1} = 1/V
    const { path, real, cont, total, removed, disc, succStart, succGram } = this;
    const keyB = this.grams.keyB;
    for (let j = 0; j <= m; j++) {
      const node = path[j];
      const kind = j === top ? REAL : CONT;
      const A = total[node * 2 + kind];
      if (A === 0) continue;
      // P_j = gamma · P_{j-1} + discounted own counts / A
      const gamma = removed[node * 2 + kind] / A;
      for (let c = 0; c < V; c++) out[c] *= gamma;
      const counts = kind === REAL ? real : cont;
      const d = (j * 2 + kind) * 4;
      for (let s = succStart[node]; s < succStart[node + 1]; s++) {
        const g = succGram[s];
        const a = counts[g];
        if (a > 0) out[keyB[g]] += (a - disc[d + Math.min(a, 3)]) / A;
      }
    }
    return out;
  }

  /**
   * Held-out score: predicts ids[start..end), each with the up-to-k preceding symbols ids[i-k..i)
   * as context (these may lie before start, i.e. in the training text).
   * Returns { chars, nats, bpc } with bpc = nats / chars / ln 2.
   *
   * `order` k' < k scores the order-k' model from these counts, bit for bit: the counts, totals and
   * discounts of orders 0..k' do not depend on the highest order counted (contexts of j symbols are
   * counted the same whatever k ≥ j, a node's n-grams are summed in the same order), and a query of
   * order k' only reads orders 0..k' (the real counts at k', continuation counts below). So one
   * count structure of the highest order scores a whole ladder of orders (src/train/markovLadder.ts).
   */
  evaluate(
    ids: Int32Array,
    start: number,
    end: number,
    order = this.order,
  ): { chars: number; nats: number; bpc: number } {
    checkRange('evaluate', ids, start, end);
    if (end === start) throw new RangeError('markov evaluate: empty range');
    if (!Number.isInteger(order) || order < 0 || order > this.order)
      throw new RangeError(`markov evaluate: order must be an integer in 0..${this.order}, got ${order}`);
    const k = order;
    for (let i = Math.max(0, start - k); i < end; i++) checkSymbol('evaluate', ids[i], this.vocabSize);
    let nats = 0;
    for (let i = start; i < end; i++) {
      const top = Math.min(k, i);
      const m = this.walk(ids, i, top);
      nats -= Math.log(this.prob(ids[i], m, top));
    }
    const chars = end - start;
    return { chars, nats, bpc: nats / chars / Math.LN2 };
  }

  /**
   * Article-style generator: after `prime` (>= 1 symbol), draws n symbols, each with weight = raw
   * count c(last k symbols, c). At a dead end — the context never seen, or only seen at the end of
   * the training text with no successor — backs off to k-1, ..., 1 symbols, down to unigram counts.
   * Returns the n drawn symbols (prime excluded), each also given to `emit` as it is drawn.
   * Deterministic given rng (one rng() call per symbol).
   * A temperature T ≠ 1 draws with weight count^(1/T) instead (T = 1: the counts themselves, bit for bit).
   */
  sample(prime: ArrayLike<number>, n: number, rng: Rng, temperature = 1, emit?: (symbol: number) => void): Int32Array {
    if (!(temperature > 0 && Number.isFinite(temperature)))
      throw new RangeError(`markov sample: temperature must be positive, got ${temperature}`);
    const invT = 1 / temperature;
    const V = this.vocabSize;
    if (prime.length < 1) throw new RangeError('markov sample: prime must hold at least one symbol');
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`markov sample: n must be a non-negative integer, got ${n}`);
    const p0 = prime.length;
    const hist = new Int32Array(p0 + n);
    for (let q = 0; q < p0; q++) {
      checkSymbol('sample', prime[q], V);
      hist[q] = prime[q];
    }
    const weights = new Float64Array(this.maxSucc);
    const { real, succStart, succGram } = this;
    const keyB = this.grams.keyB;
    for (let pos = p0; pos < p0 + n; pos++) {
      // The longest suffix of the history seen in training: trie nodes exist only for contexts that
      // were followed by some symbol, so this is exactly where backing off from order k stops.
      const node = this.path[this.walk(hist, pos, Math.min(this.order, pos))];
      const s0 = succStart[node];
      const ns = succStart[node + 1] - s0;
      for (let s = 0; s < ns; s++) weights[s] = invT === 1 ? real[succGram[s0 + s]] : real[succGram[s0 + s]] ** invT;
      hist[pos] = keyB[succGram[s0 + sampleIndex(weights, rng, ns)]];
      emit?.(hist[pos]);
    }
    return hist.slice(p0);
  }

  /**
   * Follows the context seq[end-1], seq[end-2], ..., seq[end-len] leftwards down the trie, filling
   * path[0..m] with the nodes of its seen suffixes of order 0..m; returns m (the longest seen order).
   */
  private walk(seq: ArrayLike<number>, end: number, len: number): number {
    const path = this.path;
    const V = this.vocabSize;
    let node = 0;
    path[0] = 0;
    let j = 1;
    for (; j <= len; j++) {
      const x = seq[end - j];
      if (!(x >= 0 && x < V)) break;
      const child = this.ctxs.get(node, x);
      if (child < 0) break;
      node = child + 1;
      path[j] = node;
    }
    return j - 1;
  }

  /** P(w | context) for the single symbol w, given the walked path[0..m]; top = query context length. */
  private prob(w: number, m: number, top: number): number {
    const { path, real, cont, total, removed, disc, grams } = this;
    let p = this.invV;
    for (let j = 0; j <= m; j++) {
      const node = path[j];
      const kind = j === top ? REAL : CONT;
      const A = total[node * 2 + kind];
      if (A === 0) continue;
      const g = grams.get(node, w);
      const a = g < 0 ? 0 : kind === REAL ? real[g] : cont[g];
      const own = a > 0 ? a - disc[(j * 2 + kind) * 4 + Math.min(a, 3)] : 0;
      p = (own + removed[node * 2 + kind] * p) / A;
    }
    return p;
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function checkRange(what: string, ids: Int32Array, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > ids.length) {
    throw new RangeError(`markov ${what}: bad range [${start}, ${end}) for ${ids.length} symbols`);
  }
}

function checkSymbol(what: string, x: number, V: number): void {
  if (!Number.isInteger(x) || x < 0 || x >= V) throw new RangeError(`markov ${what}: symbol ${x} outside 0..${V - 1}`);
}

/** 1. Real counts c(h w) for every context h of order 0..min(k, i-start) ending before position i, in each range [start, end). */
function countRealNgrams(
  ids: Int32Array,
  ranges: readonly (readonly [number, number])[],
  k: number,
  V: number,
): { ctxs: PairTable; grams: PairTable; real: Int32Array } {
  const ctxs = new PairTable(1 << 12);
  const grams = new PairTable(1 << 12);
  let real: Int32Array = new Int32Array(1 << 12);
  for (const [start, end] of ranges)
    for (let i = start; i < end; i++) {
      const w = ids[i];
      if (w < 0 || w >= V) throw new RangeError(`markov train: symbol ${w} at ${i} outside 0..${V - 1}`);
      let node = 0;
      let g = grams.getOrInsert(0, w);
      if (g >= real.length) real = grow(real);
      real[g]++;
      const lim = Math.min(k, i - start);
      for (let j = 1; j <= lim; j++) {
        node = ctxs.getOrInsert(node, ids[i - j]) + 1; // extend the context one symbol to the left
        g = grams.getOrInsert(node, w);
        if (g >= real.length) real = grow(real);
        real[g]++;
      }
    }
  return { ctxs, grams, real: real.slice(0, grams.size) };
}

/** Parent (= context without its oldest symbol) and order of every trie node; parents precede children. */
function trieShape(ctxs: PairTable): { parent: Int32Array; depth: Int32Array } {
  const nNodes = ctxs.size + 1;
  const parent = new Int32Array(nNodes);
  const depth = new Int32Array(nNodes);
  for (let node = 1; node < nNodes; node++) {
    parent[node] = ctxs.keyA[node - 1];
    depth[node] = depth[parent[node]] + 1;
  }
  return { parent, depth };
}

/**
 * 2. Continuation counts: each distinct (x h, w) adds one to N1+(• h w); n-grams starting at the
 * first position of a range count one (begin-of-text) extension.
 */
function continuationCounts(
  ids: Int32Array,
  ranges: readonly (readonly [number, number])[],
  k: number,
  ctxs: PairTable,
  grams: PairTable,
  parent: Int32Array,
): Int32Array {
  const cont = new Int32Array(grams.size);
  for (let g = 0; g < grams.size; g++) {
    const node = grams.keyA[g];
    if (node !== 0) cont[grams.get(parent[node], grams.keyB[g])]++;
  }
  for (const [start, end] of ranges)
    for (let j = 0; j < k && start + j < end; j++) {
      let node = 0;
      for (let q = start + j - 1; q >= start; q--) node = ctxs.get(node, ids[q]) + 1;
      cont[grams.get(node, ids[start + j])]++;
    }
  return cont;
}

/** 3. Count-of-counts n1..n4 per order and kind -> discounts D_j(a), at ((j*2 + kind)*4 + min(a,3)). */
function discounts(k: number, grams: PairTable, depth: Int32Array, real: Int32Array, cont: Int32Array): Float64Array {
  const cc = new Float64Array((k + 1) * 2 * 5); // cc[(j*2 + kind)*5 + c], c = 1..4
  for (let g = 0; g < grams.size; g++) {
    const j = depth[grams.keyA[g]];
    if (real[g] <= 4) cc[(j * 2 + REAL) * 5 + real[g]]++;
    if (cont[g] <= 4) cc[(j * 2 + CONT) * 5 + cont[g]]++;
  }
  const disc = new Float64Array((k + 1) * 2 * 4);
  for (let b = 0; b < (k + 1) * 2; b++) {
    const [d1, d2, d3] = modifiedKnDiscounts(cc[b * 5 + 1], cc[b * 5 + 2], cc[b * 5 + 3], cc[b * 5 + 4]);
    disc[b * 4 + 1] = d1;
    disc[b * 4 + 2] = d2;
    disc[b * 4 + 3] = d3;
  }
  return disc;
}

/** 4. Per context: A(h) and the discounted mass, for both kinds; successor lists (CSR). */
function contextTotals(
  grams: PairTable,
  depth: Int32Array,
  real: Int32Array,
  cont: Int32Array,
  disc: Float64Array,
  nNodes: number,
) {
  const nGrams = grams.size;
  const total = new Float64Array(nNodes * 2);
  const removed = new Float64Array(nNodes * 2);
  const succStart = new Int32Array(nNodes + 1);
  for (let g = 0; g < nGrams; g++) {
    const node = grams.keyA[g];
    const j = depth[node];
    total[node * 2 + REAL] += real[g];
    removed[node * 2 + REAL] += disc[(j * 2 + REAL) * 4 + Math.min(real[g], 3)];
    total[node * 2 + CONT] += cont[g];
    removed[node * 2 + CONT] += disc[(j * 2 + CONT) * 4 + Math.min(cont[g], 3)];
    succStart[node + 1]++;
  }
  let maxSucc = 0;
  for (let node = 0; node < nNodes; node++) {
    maxSucc = Math.max(maxSucc, succStart[node + 1]);
    succStart[node + 1] += succStart[node];
  }
  const succGram = new Int32Array(nGrams);
  const fill = succStart.slice(0, nNodes);
  for (let g = 0; g < nGrams; g++) succGram[fill[grams.keyA[g]]++] = g;
  return { total, removed, succStart, succGram, maxSucc };
}
