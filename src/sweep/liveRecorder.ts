/**
 * The sweep's events recorded in live.json (src/sweep/live.ts): a training's start and end are
 * written at once, progress at most once per `intervalMs`, and a heartbeat every `heartbeatMs`
 * (a reader can tell a sweep that is computing quietly from one that died). A write that fails is
 * reported once and the sweep goes on: the file is a view, never part of the results.
 */
import { hostname } from 'node:os';
import type { CurvePoint, SamplePoint } from '../train/run.js';
import { thin } from '../util/thin.js';
import { WorkClock } from './clock.js';
import { LIVE_FILE, writeLive, type LiveRun, type LiveState } from './live.js';
import type { SweepEvents } from './sweep.js';
import { curveRows, sampleRows, tableText } from './tables.js';
import type { CostPerChar } from './work.js';

/** Curve points per run and samples per run that live.json carries (evenly thinned, the latest kept). */
export const LIVE_POINTS = 400;
export const LIVE_SAMPLES = 12;

interface InFlight {
  run: LiveRun;
  curves: CurvePoint[];
  samples: SamplePoint[];
}

export interface LiveRecorder {
  /** `events` with the recording added (its own handlers run after the recording's). */
  tee(events: SweepEvents): SweepEvents;
  /** The sweep has stopped: the file says so, with no training in flight. */
  close(): void;
}

export interface LiveOptions {
  intervalMs?: number;
  heartbeatMs?: number;
  onNotice?: (msg: string) => void;
}

export function liveRecorder(dir: string, opts: LiveOptions = {}): LiveRecorder {
  const { intervalMs = 1000, heartbeatMs = 10_000 } = opts;
  const clock = new WorkClock();
  const flights = new Map<string, InFlight>();
  const startedAt = new Date().toISOString();
  let cost: CostPerChar = () => 1;
  let state: LiveState['state'] = 'running';
  let failed = false;
  let last = 0;
  let timer: NodeJS.Timeout | null = null;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    last = Date.now();
    try {
      writeLive(dir, snapshot(clock, flights, state, startedAt));
    } catch (err) {
      if (!failed) opts.onNotice?.(`${LIVE_FILE}: not written (${(err as NodeJS.ErrnoException).code ?? String(err)}); the sweep goes on without a live view`);
      failed = true;
    }
  };
  const soon = () => {
    if (timer) return;
    timer = setTimeout(flush, Math.max(0, last + intervalMs - Date.now()));
    timer.unref();
  };
  const heartbeat = setInterval(soon, heartbeatMs);
  heartbeat.unref();

  const recording: SweepEvents = {
    onStart(info) {
      cost = info.cost;
      clock.start(info.planned);
      flush();
    },
    onRunStart(spec, task) {
      clock.runStart(spec.id, cost(spec), task.budget, task.from);
      const run = { runId: spec.id, budget: task.budget, from: task.from, chars: task.from, smoothLossPerChar: null, startedAt: new Date().toISOString() };
      flights.set(spec.id, { run, curves: [], samples: [] });
      flush();
    },
    onRunProgress(spec, p) {
      clock.progress(spec.id, p.chars);
      const f = flights.get(spec.id);
      if (!f) return;
      f.run.chars = p.chars;
      if (Number.isFinite(p.smoothLossPerChar)) f.run.smoothLossPerChar = p.smoothLossPerChar;
      f.curves.push(...(p.curves ?? []));
      f.samples.push(...(p.samples ?? []));
      soon();
    },
    onRunEnd(o) {
      clock.runEnd(o.spec.id);
      flights.delete(o.spec.id);
      flush();
    },
  };
  return {
    tee: (events) => tee(recording, events),
    close() {
      clearInterval(heartbeat);
      flights.clear();
      state = 'ended';
      flush();
    },
  };
}

function snapshot(clock: WorkClock, flights: Map<string, InFlight>, state: LiveState['state'], startedAt: string): LiveState {
  const runs = [...flights.values()];
  const eta = clock.etaSeconds();
  return {
    format: 1,
    pid: process.pid,
    host: hostname(),
    startedAt,
    updatedAt: new Date().toISOString(),
    state,
    tasks: { total: clock.total, finished: clock.finished },
    etaSeconds: Number.isFinite(eta) ? Math.round(eta) : null,
    running: runs.map((f) => ({ ...f.run })),
    curves: tableText('curves', runs.flatMap((f) => curveRows(f.run.runId, thin(f.curves, LIVE_POINTS)))),
    samples: tableText('samples', runs.flatMap((f) => sampleRows(f.run.runId, f.samples.slice(-LIVE_SAMPLES)))),
  };
}

/** Both sets of handlers, `first`'s before `then`'s (notices go to `then` alone). */
function tee(first: SweepEvents, then: SweepEvents): SweepEvents {
  return {
    onStart(info) {
      first.onStart?.(info);
      then.onStart?.(info);
    },
    onRunStart(spec, task) {
      first.onRunStart?.(spec, task);
      then.onRunStart?.(spec, task);
    },
    onRunProgress(spec, p) {
      first.onRunProgress?.(spec, p);
      then.onRunProgress?.(spec, p);
    },
    onRunEnd(o) {
      first.onRunEnd?.(o);
      then.onRunEnd?.(o);
    },
    onNotice: then.onNotice,
  };
}
