#!/usr/bin/env node
/**
 * Train-speed and quality check of the gated cells (native or wasm) through the real training loop (trainRun:
 * char-rnn's B-stream loader, held-out scoring from the last stream's state), until the `charlab
 * train` flags for the ladder's knobs exist. Run `npm run build` first.
 *
 *   node bench/lstm_holmes.mjs [--corpus ../shared/corpora/holmes.txt] [--chars 2000000] [--cell lstm]
 *        [--hidden 256] [--layers 1] [--batch 32] [--unroll 64] [--lr 2e-3] [--clip-norm 5]
 *        [--optimizer adam] [--seed 1] [--backend auto] [--threads 1]
 *
 * Prints progress on stderr and one JSON object on stdout: chars/s of training (evaluation
 * excluded), the final held-out bpc on the corpus' last 5 % (the whole tail), the intermediate
 * scores (first 20,000 held-out characters every 500,000), and the load average.
 * Note on clipNorm: charlab's loss is min-char-rnn's, summed over the unroll (averaged over the
 * streams), so its gradient is `unroll` times PyTorch's mean-loss gradient; clipNorm 5 here is
 * PyTorch's clip_grad_norm_(5 / unroll). `--clip-norm 320` at unroll 64 is PyTorch's 5.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const { createModel } = await import(new URL('backend/index.js', dist).href);
const { loadCorpus } = await import(new URL('cli/corpus.js', dist).href);
const { trainRun } = await import(new URL('train/run.js', dist).href);

const o = {
  corpus: fileURLToPath(new URL('../../shared/corpora/holmes.txt', import.meta.url)),
  chars: 2_000_000,
  cell: 'lstm',
  hidden: 256,
  layers: 1,
  batch: 32,
  unroll: 64,
  lr: 2e-3,
  clipNorm: 5,
  optimizer: 'adam',
  seed: 1,
  backend: 'auto',
  threads: 1,
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
  if (!(key in o) || argv[i + 1] === undefined) {
    process.stderr.write(`lstm_holmes.mjs: unknown or incomplete argument ${argv[i]}\n`);
    process.exit(2);
  }
  o[key] = typeof o[key] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
}

const { corpus } = await loadCorpus(o.corpus, {
  baseDir: process.cwd(),
  validation: 0.05,
  minTrainChars: o.unroll + 2,
});
const config = {
  vocabSize: corpus.vocab.symbols.length,
  hiddenSize: o.hidden,
  unroll: o.unroll,
  learningRate: o.lr,
  clip: Infinity,
  seed: o.seed,
  cell: o.cell,
  layers: o.layers,
  batch: o.batch,
  optimizer: o.optimizer,
  clipNorm: o.clipNorm,
};
const model = createModel(o.backend, config, undefined, { threads: o.threads });
const cadence = {
  curveEvery: 100_000,
  evalEvery: 500_000,
  evalChars: 20_000,
  sampleEvery: 0,
  sampleLength: 200,
  temperature: 1,
};
const loadBefore = loadavg();
const scores = [];
const t0 = performance.now();
const r = trainRun(model, corpus, o.chars, cadence, {
  onCurve: (p) => {
    if (p.valBpc !== null) scores.push({ chars: p.chars, valBpc: p.valBpc });
    process.stderr.write(
      `${p.chars} chars, smooth loss ${p.smoothLossPerChar.toFixed(4)} nats/char${p.valBpc === null ? '' : `, held-out ${p.valBpc.toFixed(4)} bpc`}, ${Math.round(p.chars / Math.max(p.elapsedS, 1e-9))} chars/s\n`,
    );
  },
});
const out = {
  config: { ...o, corpus: o.corpus },
  chars: r.chars,
  iterations: r.iterations,
  trainSeconds: r.trainSeconds,
  charsPerSec: r.charsPerSec,
  wallSeconds: (performance.now() - t0) / 1000,
  valBpc: r.valBpc,
  heldOutChars: corpus.length - corpus.trainEnd,
  smoothLossPerChar: r.smoothLossPerChar,
  intermediate: scores,
  status: r.status,
  loadBefore,
  loadAfter: loadavg(),
  node: process.version,
  sample: r.finalSample.slice(0, 200),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
