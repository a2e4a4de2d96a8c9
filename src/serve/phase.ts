/**
 * Where a folder's sweep stands, from its live.json and tables: running (and how far), gone quiet,
 * stopped (its process is gone), finished, or incomplete (interrupted or not started).
 */
import { hostname } from 'node:os';
import { fmtDuration } from '../report/format.js';
import type { ReportData } from '../report/types.js';
import type { LiveState } from '../results/live.js';
import { alive } from '../sweep/lock.js';

/** A running sweep rewrites live.json at least every 10 s (its heartbeat); silence this long is worth saying. */
export const QUIET_MS = 60_000;

export type PhaseKind = 'running' | 'quiet' | 'stopped' | 'finished' | 'incomplete' | 'unread';

export interface Phase {
  kind: PhaseKind;
  /** One line for a person. */
  text: string;
}

function recorded(data: ReportData | null): string {
  if (!data) return 'nothing readable yet';
  const c = data.counts;
  return `${c.expected - c.missing} of ${c.expected} runs recorded`;
}

export function phaseOf(data: ReportData | null, live: LiveState | null, now = Date.now()): Phase {
  if (live?.state === 'running') {
    const age = now - Date.parse(live.updatedAt);
    if (live.host === hostname() && !alive(live.pid)) {
      return {
        kind: 'stopped',
        text: `stopped: the sweep (pid ${live.pid}) is gone; ${recorded(data)} (running the same sweep command resumes)`,
      };
    }
    if (age > QUIET_MS)
      return {
        kind: 'quiet',
        text: `no word from the sweep on ${live.host} for ${fmtDuration(age / 1000)}; ${recorded(data)}`,
      };
    const eta = live.etaSeconds === null ? '' : `, ETA ${fmtDuration(live.etaSeconds)}`;
    const t = live.tasks;
    return {
      kind: 'running',
      text: `running: ${t.finished} of ${t.total} trainings finished, ${live.running.length} in flight${eta}`,
    };
  }
  if (!data) return { kind: 'unread', text: 'not readable' };
  if (data.counts.missing === 0 && data.counts.expected > 0)
    return { kind: 'finished', text: 'every planned run recorded' };
  return { kind: 'incomplete', text: `${recorded(data)} (interrupted, or not started)` };
}
