/**
 * A hash set of pairs (a, b) of non-negative int32 values that hands out dense ids 0, 1, 2, ...
 * in insertion order. Open addressing with linear probing, power-of-two capacity, load <= 1/2.
 *
 * Keys stay two separate int32s (never a combined number like a*V+b), so nothing can overflow
 * however large the vocabulary or the number of contexts. Lookups allocate nothing.
 */
export class PairTable {
  /** keyA[id], keyB[id]: the pair that received `id` (valid for id < size). */
  keyA: Int32Array;
  keyB: Int32Array;
  size = 0;
  private slots: Int32Array; // id + 1 of the pair stored in each slot; 0 = empty
  private mask: number;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < 2 * initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.keyA = new Int32Array(cap >>> 1);
    this.keyB = new Int32Array(cap >>> 1);
  }

  /** Id of (a, b), or -1 if absent. */
  get(a: number, b: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = hashPair(a, b) & mask; ; s = (s + 1) & mask) {
      const e = slots[s];
      if (e === 0) return -1;
      if (this.keyA[e - 1] === a && this.keyB[e - 1] === b) return e - 1;
    }
  }

  /** Id of (a, b), inserting it (with id = the old size) if absent. */
  getOrInsert(a: number, b: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let s = hashPair(a, b) & mask;
    for (; ; s = (s + 1) & mask) {
      const e = slots[s];
      if (e === 0) break;
      if (this.keyA[e - 1] === a && this.keyB[e - 1] === b) return e - 1;
    }
    const id = this.size++;
    this.keyA[id] = a;
    this.keyB[id] = b;
    slots[s] = id + 1;
    if (2 * this.size > mask) this.grow(); // keep load <= 1/2
    return id;
  }

  private grow(): void {
    const cap = 2 * this.slots.length;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let id = 0; id < this.size; id++) {
      let s = hashPair(this.keyA[id], this.keyB[id]) & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
    const keyA = new Int32Array(cap >>> 1);
    const keyB = new Int32Array(cap >>> 1);
    keyA.set(this.keyA.subarray(0, this.size));
    keyB.set(this.keyB.subarray(0, this.size));
    this.keyA = keyA;
    this.keyB = keyB;
  }
}

/** 32-bit mix of two int32s (multiplicative hashing plus a murmur-style finaliser). */
function hashPair(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h;
}
