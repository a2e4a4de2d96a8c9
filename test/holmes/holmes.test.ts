/**
 * The published figures of holmes.txt: the cleaning reproduces it from cnus.txt byte for byte, the
 * download of the known corpus "holmes" (cnus.txt served locally) saves exactly it, and the Markov
 * model scores what the corpus README quotes. Needs ../shared/corpora (test/holmes/corpora.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVocab, cleanReferenceText } from '../../src/corpus/index.js';
import { resolveCorpus } from '../../src/data/index.js';
import { MarkovModel } from '../../src/markov/markov.js';
import { tempDir } from '../helpers/cli.js';
import { CNUS, HOLMES, HOLMES_SHA256 } from './corpora.js';

const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

describe('holmes.txt from cnus.txt', () => {
  it('reproduces holmes.txt from cnus.txt byte for byte', () => {
    const raw = readFileSync(CNUS, 'utf8');
    const cleaned = cleanReferenceText(raw);
    expect(sha256(cleaned)).toBe(HOLMES_SHA256);
    expect(cleaned.length).toBe(3_099_238);
    expect(buildVocab(cleaned).symbols.length).toBe(54);
    const reference = readFileSync(HOLMES, 'utf8');
    expect(cleaned === reference).toBe(true);
  });

  it('the known corpus "holmes", downloaded from cnus.txt (served locally), is saved as holmes.txt exactly', async () => {
    const raw = readFileSync(CNUS);
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(raw.length) });
      res.end(raw);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cnus.txt`;
      const dir = join(tempDir('charlab-holmes-'), 'data');
      const r = await resolveCorpus('holmes', { dataDir: dir, baseDir: dir, urlOverride: url });
      expect(r).toMatchObject({ name: 'holmes', sha256: HOLMES_SHA256, path: join(dir, 'holmes.txt') });
      expect(readdirSync(dir)).toEqual(['holmes.txt']);
      expect(readFileSync(join(dir, 'holmes.txt')).equals(readFileSync(HOLMES))).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});

describe('MarkovModel on holmes.txt', () => {
  it('scores a held-out bpc at least as good as interpolated absolute discounting', () => {
    const text = readFileSync(HOLMES, 'utf8');
    const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
    const vocab = [...new Set(cps)].sort((p, q) => p - q);
    const index = new Map(vocab.map((cp, i) => [cp, i]));
    const ids = Int32Array.from(cps, (cp) => index.get(cp)!);
    const split = ids.length - 100_000;

    const bpc: Record<number, number> = {};
    for (const order of [4, 5]) {
      let t0 = performance.now();
      const m = MarkovModel.train(ids, 0, split, { order, vocabSize: vocab.length });
      const trainMs = performance.now() - t0;
      t0 = performance.now();
      const r = m.evaluate(ids, split, ids.length);
      const evalMs = performance.now() - t0;
      expect(r.chars).toBe(100_000);
      bpc[order] = r.bpc;
      console.log(
        `holmes (V=${vocab.length}, train ${split}, held out 100000) order ${order}: ` +
          `bpc ${r.bpc.toFixed(4)}, train ${trainMs.toFixed(0)} ms, evaluate ${evalMs.toFixed(0)} ms`,
      );
    }
    expect(bpc[4]).toBeLessThanOrEqual(2.07); // README: absolute discounting D=0.75 ≈ 2.07 at order 4
    expect(bpc[5]).toBeLessThanOrEqual(2.0); // ... and ≈ 2.00 at order 5
    expect(bpc[5]).toBeLessThan(bpc[4]);
  });
});
