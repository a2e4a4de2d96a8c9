/**
 * The sweep's clock: how many trainings are planned and finished, which are running and how far,
 * and the ETA in work (src/sweep/work.ts). The terminal's progress display (src/cli/sweepDisplay.ts)
 * and the live file a served page follows (src/sweep/liveRecorder.ts) read the same clock.
 */
import type { PlannedWork } from './work.js';

/** An ETA needs this much of this session's training behind it before it means anything. */
const ETA_MIN_SECONDS = 3;

/** A training in progress: its cost per character, its budget, where it started and where it is. */
interface Training {
  cost: number;
  budget: number;
  /** Characters at its first report: what an earlier session (a resume point) or rung trained is not work done now. */
  base: number | null;
  chars: number;
}

/**
 * Progress of the sweep in work, characters × each run's cost per character (src/sweep/work.ts),
 * so that a ladder of small and large models gets an honest ETA. Work left is what the plan has
 * not started yet plus what the running trainings have left; the rate only counts this session's
 * work, so a resumed sweep's ETA is not "0s" at 50 %.
 */
export class WorkClock {
  total = 0;
  finished = 0;
  readonly running = new Map<string, Training>();
  private startedAt = 0;
  /** Planned work not started yet. */
  private pending = 0;
  /** Work this session's finished trainings did. */
  private doneNow = 0;

  start(planned: PlannedWork, now = Date.now()): void {
    this.total = planned.tasks;
    this.finished = planned.done;
    this.pending = planned.work;
    this.startedAt = now;
  }

  runStart(id: string, cost: number, budget: number, from: number): void {
    this.pending = Math.max(0, this.pending - cost * (budget - from));
    this.running.set(id, { cost, budget, base: null, chars: from });
  }

  progress(id: string, chars: number): void {
    const t = this.running.get(id);
    if (!t) return;
    t.base ??= chars;
    t.chars = chars;
  }

  runEnd(id: string): void {
    const t = this.running.get(id);
    if (t) this.doneNow += t.cost * (t.chars - (t.base ?? t.chars));
    this.running.delete(id);
    this.finished++;
  }

  /** Seconds left at this session's rate, NaN while too little is known. */
  etaSeconds(now = Date.now()): number {
    const elapsed = (now - this.startedAt) / 1000;
    let trained = this.doneNow;
    let left = this.pending;
    for (const t of this.running.values()) {
      trained += t.cost * (t.chars - (t.base ?? t.chars));
      left += t.cost * Math.max(0, t.budget - t.chars);
    }
    if (elapsed < ETA_MIN_SECONDS || trained <= 0) return NaN;
    return left / (trained / elapsed);
  }

  /** A training's share of its own budget, in percent. */
  percent(id: string): number {
    const t = this.running.get(id);
    return t ? Math.round((100 * t.chars) / t.budget) : 0;
  }
}
