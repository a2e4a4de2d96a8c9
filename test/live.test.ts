/** live.json: the sweep's view of what it is doing now, for charlab serve (src/results/live.ts, liveRecorder.ts). */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseCurves, parseSamples } from '../src/report/tables.js';
import type { RunSpec } from '../src/sweep/grid.js';
import { knobDefaults } from '../src/results/knobs.js';
import { readLive } from '../src/results/live.js';
import { LIVE_POINTS, LIVE_SAMPLES, liveRecorder } from '../src/sweep/liveRecorder.js';
import type { SweepEvents } from '../src/sweep/events.js';
import type { RunOutcome } from '../src/sweep/task.js';
import { failedOutcome } from '../src/sweep/task.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const spec = (id: string, index = 0): RunSpec => ({ ...knobDefaults(), id, index, seed: 1 });
const planned = { tasks: 2, done: 0, work: 2000 };
const start = (ev: SweepEvents, dir: string) =>
  ev.onStart?.({ dir, total: 2, todo: [], skipped: 0, workers: 1, planned, cost: () => 1 });
const tick = () => new Promise((r) => setTimeout(r, 30));
const done = (id: string): RunOutcome => ({ ...failedOutcome(spec(id), ''), status: 'done', error: null });
const point = (chars: number) => ({
  iteration: chars / 10,
  chars,
  smoothLossPerChar: 3 / (1 + chars / 1e4),
  valBpc: chars % 200 === 0 ? 4.1 : null,
  elapsedS: chars / 1e4,
});

describe('live.json', () => {
  test('a training in flight: its progress, latest loss, curve points and samples, in the tables\u2019 format; gone when it ends', async () => {
    const dir = tempDir();
    const rec = liveRecorder(dir, { intervalMs: 0 });
    const ev = rec.tee({});
    start(ev, dir);
    ev.onRunStart?.(spec('a'), { budget: 1000, from: 0 });
    expect(readLive(dir).live?.running.map((r) => [r.runId, r.chars, r.smoothLossPerChar])).toEqual([['a', 0, null]]);
    const hostile = 'he said "<script>alert(1)</script>",\nthen \x1b[2J\u202egone';
    ev.onRunProgress?.(spec('a'), {
      chars: 400,
      budget: 1000,
      smoothLossPerChar: 2.5,
      curves: [point(200), point(400)],
      samples: [{ iteration: 40, temperature: 1, text: hostile }],
    });
    await tick();
    const { live } = readLive(dir);
    expect(live?.running[0]).toMatchObject({ runId: 'a', chars: 400, smoothLossPerChar: 2.5, budget: 1000 });
    expect(parseCurves(live!.curves, 'live.json curves').rows.map((r) => [r.runId, r.chars, r.valBpc])).toEqual([
      ['a', 200, 4.1],
      ['a', 400, 4.1],
    ]);
    expect(parseSamples(live!.samples, 'live.json samples').rows).toEqual([
      { runId: 'a', model: 'rnn', iteration: 40, temperature: 1, text: hostile },
    ]);
    ev.onRunEnd?.(done('a'));
    expect(readLive(dir).live).toMatchObject({ state: 'running', running: [], tasks: { total: 2, finished: 1 } });
    rec.close();
    expect(readLive(dir).live).toMatchObject({ state: 'ended', running: [] });
  });

  test('progress is written at most once per interval; start, end and close at once', async () => {
    const dir = tempDir();
    const rec = liveRecorder(dir, { intervalMs: 60_000 });
    const ev = rec.tee({});
    start(ev, dir);
    ev.onRunStart?.(spec('a'), { budget: 1000, from: 0 });
    ev.onRunProgress?.(spec('a'), { chars: 500, budget: 1000, smoothLossPerChar: 2 });
    await tick();
    expect(readLive(dir).live?.running[0].chars).toBe(0); // throttled
    ev.onRunStart?.(spec('b', 1), { budget: 1000, from: 300 });
    expect(readLive(dir).live?.running.map((r) => [r.runId, r.chars])).toEqual([
      ['a', 500],
      ['b', 300],
    ]);
    rec.close();
  });

  test('long runs are thinned to the latest points and samples; the events still reach the display', async () => {
    const dir = tempDir();
    const rec = liveRecorder(dir, { intervalMs: 0 });
    const seen: string[] = [];
    const ev = rec.tee({
      onRunStart: (s) => seen.push(`start ${s.id}`),
      onRunEnd: (o) => seen.push(`end ${o.spec.id}`),
      onNotice: (m) => seen.push(m),
    });
    start(ev, dir);
    ev.onRunStart?.(spec('a'), { budget: 1e6, from: 0 });
    const curves = Array.from({ length: 3 * LIVE_POINTS }, (_, i) => point(100 * (i + 1)));
    const samples = Array.from({ length: 2 * LIVE_SAMPLES }, (_, i) => ({
      iteration: i,
      temperature: 1,
      text: `s${i}`,
    }));
    ev.onRunProgress?.(spec('a'), { chars: 3 * LIVE_POINTS * 100, budget: 1e6, smoothLossPerChar: 2, curves, samples });
    await tick();
    const { live } = readLive(dir);
    const rows = parseCurves(live!.curves, 'c').rows;
    expect(rows).toHaveLength(LIVE_POINTS);
    expect(rows[rows.length - 1].chars).toBe(3 * LIVE_POINTS * 100);
    expect(parseSamples(live!.samples, 's').rows.map((s) => s.text)).toEqual(
      samples.slice(-LIVE_SAMPLES).map((s) => s.text),
    );
    ev.onRunEnd?.(done('a'));
    rec.close();
    expect(seen).toEqual(['start a', 'end a']);
  });

  test('a folder where it cannot be written: said once, and nothing else fails', () => {
    const dir = join(tempDir(), 'gone');
    const notices: string[] = [];
    const rec = liveRecorder(dir, { intervalMs: 0, onNotice: (m) => notices.push(m) });
    const ev = rec.tee({});
    start(ev, dir);
    ev.onRunStart?.(spec('a'), { budget: 10, from: 0 });
    rec.close();
    expect(notices).toEqual([
      expect.stringMatching(/^live\.json: not written \(ENOENT\); the sweep goes on without a live view$/),
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  test('a live.json that is not one is reported, not thrown', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'live.json'));
    expect(readLive(dir).error).toMatch(/live\.json: cannot be read \(EISDIR\)/);
    const other = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(other, 'live.json'), '{"format": 2}');
    expect(readLive(other).error).toMatch(/live\.json: not a live file this version reads \(format: /);
    writeFileSync(join(other, 'live.json'), '{"format": 1, "pi');
    expect(readLive(other).error).toMatch(/live\.json: not valid JSON/);
  });

  test('a sweep leaves live.json saying it ended, every training finished', async () => {
    const dir = tempDir();
    smallCorpus(dir);
    const exp = writeExperiment(dir, { ...tinyExperiment('live'), seeds: [1, 2] });
    const r = await runCli(['sweep', exp, '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    expect(readLive(join(dir, 'out')).live).toMatchObject({
      state: 'ended',
      running: [],
      tasks: { total: 2, finished: 2 },
      pid: expect.any(Number),
    });
  });
});
