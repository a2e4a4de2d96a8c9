/**
 * live.json: what a sweep is doing now, for a page that follows it from another process or another
 * node reading a shared file system (charlab serve). The sweep rewrites it whole and atomically
 * (src/util/atomic.ts: a reader finds the new file or the previous one, never half of one) when a
 * training starts or ends and about once a second while one reports progress (src/sweep/liveRecorder.ts).
 *
 * It holds the trainings in flight (budget, progress, latest smoothed loss) and the curve points and
 * samples they have recorded so far, in curves.csv's and samples.csv's own format, so a reader reads
 * them with the tables' reader. A run leaves it once its rows are in the tables; a reader that finds
 * a run both here and in summary.csv takes the tables'. The file is only ever a view: nothing
 * (resume, report, merge) depends on it, and a sweep that cannot write it goes on without it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';

export const LIVE_FILE = 'live.json';

const LiveRunSchema = z.object({
  runId: z.string(),
  budget: z.number(),
  /** Characters it started from (a resume point, or the rung before's checkpoint). */
  from: z.number(),
  chars: z.number(),
  /** Smoothed training loss in nats per character (null before the first report). */
  smoothLossPerChar: z.number().nullable(),
  startedAt: z.string(),
});

const LiveSchema = z.object({
  format: z.literal(1),
  pid: z.number(),
  host: z.string(),
  /** The sweep session's start and this file's last write (ISO 8601). */
  startedAt: z.string(),
  updatedAt: z.string(),
  /** 'running' while the sweep runs; 'ended' once it stopped (every run done, interrupted or failed). */
  state: z.enum(['running', 'ended']),
  /** Trainings planned and finished (successive halving: one per run and rung). */
  tasks: z.object({ total: z.number(), finished: z.number() }),
  /** Seconds left at this session's rate (null while too little is known). */
  etaSeconds: z.number().nullable(),
  running: z.array(LiveRunSchema),
  /** curves.csv's header and the rows of the trainings in flight; samples.csv's likewise. */
  curves: z.string(),
  samples: z.string(),
});

export type LiveRun = z.infer<typeof LiveRunSchema>;
export type LiveState = z.infer<typeof LiveSchema>;

export function writeLive(dir: string, state: LiveState): void {
  writeFileAtomic(join(dir, LIVE_FILE), `${JSON.stringify(state)}\n`);
}

/** The folder's live.json: null when there is none; an error (a message naming the file) when it is not one. */
export function readLive(dir: string): { live: LiveState | null; error: string | null } {
  const path = join(dir, LIVE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { live: null, error: null } : { live: null, error: `${path}: cannot be read (${code ?? String(err)})` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { live: null, error: `${path}: not valid JSON (${(err as Error).message})` };
  }
  const parsed = LiveSchema.safeParse(raw);
  if (parsed.success) return { live: parsed.data, error: null };
  const issue = parsed.error.issues[0];
  return { live: null, error: `${path}: not a live file this version reads (${issue.path.join('.') || 'top level'}: ${issue.message})` };
}
