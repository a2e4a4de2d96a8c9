/**
 * The sweep's events recorded in live.json (src/results/live.ts): a training's start and end are
 * written at once, progress at most once per `intervalMs`, and a heartbeat every `heartbeatMs`
 * (a reader can tell a sweep that is computing quietly from one that died). A write that fails is
 * reported once and the sweep goes on: the file is a view, never part of the results.
 */
import { hostname } from 'node:os';
import type { CurvePoint, SamplePoint } from '../results/records.js';
import { thin } from '../util/thin.js';
import { WorkClock } from './clock.js';
import { LIVE_FILE, writeLive, type LiveRun, type LiveState } from '../results/live.js';
import type { SweepEvents } from './events.js';
import { curveRows, sampleRows, tableText } from '../results/tables.js';
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
  const file = new LiveFile(dir, opts);
  const recording: SweepEvents = {
    onStart(info) {
      file.cost = info.cost;
      file.clock.start(info.planned);
      file.flush();
    },
    onRunStart(spec, task) {
      file.clock.runStart(spec.id, file.cost(spec), task.budget, task.from);
      const run = {
        runId: spec.id,
        budget: task.budget,
        from: task.from,
        chars: task.from,
        smoothLossPerChar: null,
        startedAt: new Date().toISOString(),
      };
      file.flights.set(spec.id, { run, curves: [], samples: [] });
      file.flush();
    },
    onRunProgress(spec, p) {
      file.clock.progress(spec.id, p.chars);
      const f = file.flights.get(spec.id);
      if (!f) return;
      f.run.chars = p.chars;
      if (Number.isFinite(p.smoothLossPerChar)) f.run.smoothLossPerChar = p.smoothLossPerChar;
      f.curves.push(...(p.curves ?? []));
      f.samples.push(...(p.samples ?? []));
      file.soon();
    },
    onRunEnd(o) {
      file.clock.runEnd(o.spec.id);
      file.flights.delete(o.spec.id);
      file.flush();
    },
  };
  return { tee: (events) => tee(recording, events), close: () => file.close() };
}

/** The file and when it is written: at once (flush), or within the interval (soon), with a heartbeat. */
class LiveFile {
  readonly clock = new WorkClock();
  readonly flights = new Map<string, InFlight>();
  cost: CostPerChar = () => 1;
  private readonly startedAt = new Date().toISOString();
  private state: LiveState['state'] = 'running';
  private failed = false;
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly opts: LiveOptions,
  ) {
    this.heartbeat = setInterval(() => this.soon(), opts.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.last = Date.now();
    try {
      writeLive(this.dir, snapshot(this.clock, this.flights, this.state, this.startedAt));
    } catch (err) {
      if (!this.failed)
        this.opts.onNotice?.(
          `${LIVE_FILE}: not written (${(err as NodeJS.ErrnoException).code ?? String(err)}); the sweep goes on without a live view`,
        );
      this.failed = true;
    }
  }

  soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, this.last + (this.opts.intervalMs ?? 1000) - Date.now()));
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.flights.clear();
    this.state = 'ended';
    this.flush();
  }
}

function snapshot(
  clock: WorkClock,
  flights: Map<string, InFlight>,
  state: LiveState['state'],
  startedAt: string,
): LiveState {
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
    curves: tableText(
      'curves',
      runs.flatMap((f) => curveRows(f.run.runId, thin(f.curves, LIVE_POINTS))),
    ),
    samples: tableText(
      'samples',
      runs.flatMap((f) => sampleRows(f.run.runId, f.samples.slice(-LIVE_SAMPLES))),
    ),
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
