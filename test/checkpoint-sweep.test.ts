/**
 * Checkpoints in sweeps: each run keeps results/<name>/checkpoints/<run_id>.safetensors (per
 * `checkpoints.keep`), and with `checkpoints.every` a sweep killed with kill -9 mid-run resumes the
 * run from its last checkpoint and ends with the tables of an uninterrupted sweep.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import { decodeCheckpoint } from '../src/checkpoint/checkpoint.js';
import { runCli, smallCorpus, startCli, tempDir, writeExperiment } from './helpers/cli.js';

const TIMING = new Set(['wall_s', 'chars_per_s', 'elapsed_s']);

function table(dir: string, file: string): Record<string, string>[] {
  const rows = parse<Record<string, string>>(readFileSync(join(dir, file)), { columns: true });
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k))));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const tensorsOf = (path: string) => decodeCheckpoint(readFileSync(path)).state;

describe('checkpoints in sweeps', () => {
  let dir: string;
  // Two runs on the reference backend (slow enough to be killed mid-run), a resume point every 10,000 characters.
  const EXP = {
    name: 'ck',
    corpus: 'small.txt',
    budget: { chars: 60_000 },
    seeds: [1],
    grid: { hiddenSize: [32], unroll: [16], clip: [5], learningRate: [0.1, 0.05] },
    backend: 'reference',
    workers: 1,
    curves: { every: 5000 },
    evaluation: { every: 20_000, chars: 2000 },
    samples: { every: 30_000, length: 50 },
    checkpoints: { keep: 'both', every: 10_000 },
  };
  const FIRST = 'h32-u16-c5-lr0.1-s1';
  let reference: string;

  beforeAll(async () => {
    dir = tempDir('charlab-cksweep-');
    smallCorpus(dir, 120_000);
    reference = join(dir, 'reference');
    const r = await runCli(['sweep', writeExperiment(dir, EXP), '--out', reference]);
    expect(r.code, r.stderr).toBe(0);
  });

  test('each run keeps its final and best checkpoints; no resume point is left; eval of the final one gives the recorded val_bpc', async () => {
    const files = readdirSync(join(reference, 'checkpoints')).sort();
    expect(files).toEqual([
      `h32-u16-c5-lr0.05-s1.best.safetensors`,
      `h32-u16-c5-lr0.05-s1.safetensors`,
      `${FIRST}.best.safetensors`,
      `${FIRST}.safetensors`,
    ]);
    const ck = decodeCheckpoint(readFileSync(join(reference, 'checkpoints', `${FIRST}.safetensors`)));
    expect(ck.run?.chars).toBe(60_000);
    const best = decodeCheckpoint(readFileSync(join(reference, 'checkpoints', `${FIRST}.best.safetensors`)));
    const summary = table(reference, 'summary.csv').find((r) => r.run_id === FIRST)!;
    // The best of the curve's scores, the final one included (each on the first 2,000 held-out characters).
    const scores = table(reference, 'curves.csv').filter((r) => r.run_id === FIRST && r.val_bpc !== '');
    const bestRow = scores.reduce((a, b) => (Number(b.val_bpc) < Number(a.val_bpc) ? b : a));
    expect(summary).toMatchObject({
      best_val_bpc: bestRow.val_bpc,
      best_val_chars: bestRow.chars,
      curve_val_chars: '2000',
      stopped_early: '',
    });
    expect(best.run?.chars).toBe(Number(bestRow.chars)); // the model at its best curve score
    // eval on the run's corpus gives the recorded val_bpc; on the curve text, the best checkpoint gives best_val_bpc
    const ev = await runCli([
      'eval',
      join(reference, 'checkpoints', `${FIRST}.safetensors`),
      '--corpus',
      join(dir, 'small.txt'),
      '--json',
    ]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).valBpc).toBe(Number(summary.val_bpc));
    const evBest = await runCli([
      'eval',
      join(reference, 'checkpoints', `${FIRST}.best.safetensors`),
      '--corpus',
      join(dir, 'small.txt'),
      '--eval-chars',
      '2000',
      '--json',
    ]);
    expect(evBest.code, evBest.stderr).toBe(0);
    expect(JSON.parse(evBest.stdout)).toMatchObject({ chars: 2000, valBpc: Number(summary.best_val_bpc) });
  });

  test('early stopping in a sweep: kill -9 mid-run, the same command resumes and the tables and checkpoints equal an uninterrupted sweep; the best checkpoint is the one eval reproduces', async () => {
    // A slice curve of 2,000 characters every 5,000; stop after two scores without a gain of 0.05 bpc.
    const es = {
      ...EXP,
      name: 'es',
      grid: { ...EXP.grid, learningRate: [0.1] },
      evaluation: { every: 5000, chars: 2000 },
      samples: { every: 0, length: 30 },
      earlyStopping: { patience: 2, minDelta: 0.05 },
    };
    const straight = join(dir, 'es-straight');
    const r = await runCli(['sweep', writeExperiment(dir, es, 'es.json'), '--out', straight]);
    expect(r.code, r.stderr).toBe(0);
    const row = table(straight, 'summary.csv')[0];
    expect(row).toMatchObject({ status: 'done', stopped_early: 'true' });
    expect(Number(row.chars)).toBeLessThan(60_000);
    const evBest = await runCli([
      'eval',
      join(straight, 'checkpoints', `${FIRST}.best.safetensors`),
      '--corpus',
      join(dir, 'small.txt'),
      '--eval-chars',
      '2000',
      '--json',
    ]);
    expect(JSON.parse(evBest.stdout).valBpc).toBe(Number(row.best_val_bpc));

    const out = join(dir, 'es-killed');
    const resumePoint = join(out, 'checkpoints', `${FIRST}.resume.safetensors`);
    const first = startCli(['sweep', join(dir, 'es.json'), '--out', out]);
    await waitFor('a resume point', () => existsSync(resumePoint));
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const again = await runCli(['sweep', join(dir, 'es.json'), '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resumed from its checkpoint/);
    for (const file of ['summary.csv', 'curves.csv', 'samples.csv'])
      expect(table(out, file), file).toEqual(table(straight, file));
    for (const name of readdirSync(join(straight, 'checkpoints'))) {
      expect(tensorsOf(join(out, 'checkpoints', name)), name).toEqual(tensorsOf(join(straight, 'checkpoints', name)));
    }
  });

  test('kill -9 mid-run: the run resumes from its last checkpoint and the tables equal the uninterrupted sweep', async () => {
    const out = join(dir, 'killed');
    const exp = writeExperiment(dir, EXP, 'killed.json');
    const resumePoint = join(out, 'checkpoints', `${FIRST}.resume.safetensors`);
    const first = startCli(['sweep', exp, '--out', out]);
    await waitFor('a resume point of the first run', () => existsSync(resumePoint));
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'summary.csv')) ? table(out, 'summary.csv') : []).toHaveLength(0); // killed mid-run: nothing recorded
    const savedAt = decodeCheckpoint(readFileSync(resumePoint)).run!.chars;
    expect(savedAt).toBeGreaterThan(0);
    expect(savedAt).toBeLessThan(60_000);

    const again = await runCli(['sweep', exp, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(new RegExp(`${FIRST}: resumed from its checkpoint at \\d+ characters`));
    for (const file of ['summary.csv', 'curves.csv', 'samples.csv'])
      expect(table(out, file), file).toEqual(table(reference, file));
    for (const name of readdirSync(join(reference, 'checkpoints'))) {
      expect(tensorsOf(join(out, 'checkpoints', name)), name).toEqual(tensorsOf(join(reference, 'checkpoints', name)));
    }
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(readdirSync(join(reference, 'checkpoints')).sort());
  });

  test('keep "none" writes no checkpoint; a bad keep value is refused (exit 2)', async () => {
    const tiny = {
      ...EXP,
      name: 'none',
      backend: 'wasm',
      budget: { chars: 5000 },
      grid: { ...EXP.grid, learningRate: [0.1] },
      checkpoints: { keep: 'none' },
    };
    const out = join(dir, 'none');
    const r = await runCli(['sweep', writeExperiment(dir, tiny, 'none.json'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'checkpoints'))).toBe(false);
    const bad = await runCli([
      'sweep',
      writeExperiment(dir, { ...tiny, checkpoints: { keep: 'all' } }, 'bad.json'),
      '--out',
      join(dir, 'bad'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/checkpoints\.keep/);
  });
});
