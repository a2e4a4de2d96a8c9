/**
 * What a sweep shows while it runs: on a terminal, a cli-progress bar per active run and one for
 * the sweep with its ETA; otherwise (CI, pipes) a plain status line every few seconds. And at the
 * end, a cli-table3 table of the runs ranked by held-out bits per character, Markov beside them.
 */
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { RunSpec } from '../sweep/grid.js';
import type { SweepEvents } from '../sweep/sweep.js';
import type { RunOutcome } from '../sweep/task.js';
import { isTty, throttledLine } from './progress.js';

export function sweepDisplay(): SweepEvents & { stop(): void } {
  const tty = isTty();
  const line = throttledLine(5000);
  let multi: cliProgress.MultiBar | null = null;
  let sweepBar: cliProgress.SingleBar | null = null;
  const bars = new Map<string, cliProgress.SingleBar>();
  const progress = new Map<string, number>();
  let total = 0;
  let finished = 0;
  let budget = 1;
  let startedAt = 0;
  let charsAtStart = 0;
  const doneChars = () => finished * budget + [...progress.values()].reduce((a, b) => a + b, 0);
  const status = () => {
    const elapsed = (Date.now() - startedAt) / 1000;
    const todoChars = total * budget;
    const rate = (doneChars() - charsAtStart) / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (todoChars - doneChars()) / rate : NaN;
    const running = [...progress.entries()].map(([id, c]) => `${id} ${Math.round((100 * c) / budget)}%`).join(', ');
    return `sweep: ${finished}/${total} runs${running ? `; running ${running}` : ''}; ETA ${fmtDuration(eta)}`;
  };
  return {
    onStart(info) {
      total = info.total;
      finished = info.skipped;
      budget = info.budget;
      startedAt = Date.now();
      charsAtStart = finished * budget;
      process.stderr.write(
        info.todo.length === 0
          ? `sweep: ${info.total} runs in ${info.dir}; ${info.skipped} already recorded, 0 to run: nothing to do (--fresh runs them all again)\n`
          : `sweep: ${info.total} runs in ${info.dir}; ${info.skipped} already recorded, ${info.todo.length} to run on ${info.workers} worker(s)\n`,
      );
      if (tty && info.todo.length > 0) {
        multi = new cliProgress.MultiBar(
          { stream: process.stderr, hideCursor: true, clearOnComplete: false, format: '{label} [{bar}] {percentage}% | {info}' },
          cliProgress.Presets.shades_classic,
        );
        sweepBar = multi.create(total, finished, { label: 'sweep'.padEnd(24), info: 'ETA …' });
      }
    },
    onRunStart(spec: RunSpec) {
      progress.set(spec.id, 0);
      if (multi) bars.set(spec.id, multi.create(budget, 0, { label: spec.id.padEnd(24), info: '' }));
    },
    onRunProgress(spec, p) {
      progress.set(spec.id, p.chars);
      const bar = bars.get(spec.id);
      if (bar) bar.update(p.chars, { info: `loss ${(p.smoothLossPerChar / Math.LN2).toFixed(3)} bpc` });
      if (sweepBar) sweepBar.update(finished, { info: `ETA ${fmtDuration(etaSeconds())}` });
      if (!tty) line(status());
    },
    onRunEnd(o: RunOutcome) {
      progress.delete(o.spec.id);
      finished++;
      const bar = bars.get(o.spec.id);
      if (bar && multi) {
        multi.remove(bar);
        bars.delete(o.spec.id);
      }
      const what = o.status === 'done' ? `done, val ${o.valBpc?.toFixed(3)} bpc` : o.status === 'diverged' ? `diverged at iteration ${o.divergedAt}` : `failed: ${o.error}`;
      const msg = `${o.spec.id}: ${what} (${o.wallS.toFixed(1)} s)`;
      if (multi) multi.log(`${msg}\n`);
      else process.stderr.write(`${msg}\n`);
      sweepBar?.update(finished, { info: `ETA ${fmtDuration(etaSeconds())}` });
    },
    onNotice(msg) {
      process.stderr.write(`${msg}\n`);
    },
    stop() {
      multi?.stop();
      multi = null;
    },
  };
  function etaSeconds(): number {
    const elapsed = (Date.now() - startedAt) / 1000;
    const rate = (doneChars() - charsAtStart) / Math.max(elapsed, 1e-9);
    return rate > 0 ? (total * budget - doneChars()) / rate : NaN;
  }
}

function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '…';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Runs ranked by held-out bits per character (unscored runs last), with the Markov baseline beside each. */
export function rankedTable(summary: Record<string, string>[]): string {
  const num = (s: string | undefined) => (s === undefined || s === '' ? NaN : Number(s));
  const rows = [...summary].sort((a, b) => {
    const x = num(a.val_bpc);
    const y = num(b.val_bpc);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
    return x - y;
  });
  const table = new Table({
    head: ['#', 'run', 'status', 'rnn bpc', 'markov bpc', 'rnn − markov', 'chars/s'],
    colAligns: ['right', 'left', 'left', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  const f = (x: number, d = 3) => (Number.isNaN(x) ? '—' : x.toFixed(d));
  rows.forEach((r, i) => {
    const v = num(r.val_bpc);
    const m = num(r.markov_val_bpc);
    table.push([
      String(i + 1),
      r.run_id,
      r.status === 'diverged' && r.diverged_at_iteration ? `diverged@${r.diverged_at_iteration}` : r.status,
      f(v),
      f(m),
      Number.isNaN(v) || Number.isNaN(m) ? '—' : `${v - m >= 0 ? '+' : ''}${(v - m).toFixed(3)}`,
      Number.isNaN(num(r.chars_per_s)) ? '—' : String(Math.round(num(r.chars_per_s))),
    ]);
  });
  return table.toString();
}
