/**
 * What a sweep shows while it runs: on a terminal, a cli-progress bar per active run and one for
 * the sweep with its ETA; otherwise (CI, pipes) a plain status line every few seconds. And at the
 * end, a cli-table3 table of the runs ranked by held-out bits per character, Markov beside them.
 * Everything printed goes through escapeForTerminal (run errors and notices may quote a corpus).
 */
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { fmtBpc, fmtDelta, fmtDuration, fmtInt } from '../report/format.js';
import { comparisonSentence, type ComparisonFacts } from '../report/text.js';
import {
  diffText,
  meanOrNull,
  multiSeed,
  rankGroups,
  TEST_STATEMENT,
  verdictText,
  type RankedGroup,
} from '../report/groups.js';
import { SUMMARY_TEXT_COLUMNS } from '../results/columns.js';
import { configId, knobFromCell, knobsFromRow, KNOBS, type KnobDef } from '../results/knobs.js';
import type { RunSpec } from '../sweep/grid.js';
import type { SweepEvents } from '../sweep/events.js';
import type { CostPerChar } from '../sweep/work.js';
import { WorkClock } from '../sweep/clock.js';
import type { RunOutcome } from '../sweep/task.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { isTty, throttledLine } from './progress.js';

/** The sweep's clock (src/sweep/clock.ts) with its ETA and status line as the terminal prints them. */
export class SweepClock extends WorkClock {
  eta(now = Date.now()): string {
    const s = this.etaSeconds(now);
    return Number.isFinite(s) ? fmtDuration(s) : '…';
  }

  statusLine(): string {
    const running = [...this.running.keys()].map((id) => `${id} ${this.percent(id)}%`).join(', ');
    return `sweep: ${this.finished}/${this.total} runs${running ? `; running ${running}` : ''}; ETA ${this.eta()}`;
  }
}

/** The line a finished run gets. */
export function runEndLine(o: RunOutcome): string {
  const what =
    o.status === 'done'
      ? `done, ${o.valBpc === null ? 'val not measured' : `val ${o.valBpc.toFixed(3)} bpc`}`
      : o.status === 'diverged'
        ? `diverged at iteration ${o.divergedAt}`
        : `failed: ${o.error}`;
  return `${o.spec.id}: ${what} (${o.wallS.toFixed(1)} s)`;
}

export interface SweepDisplay extends SweepEvents {
  /** Removes the bars (flushing pending lines) and prints `msg`; later events print plain lines. */
  interrupt(msg: string): void;
  stop(): void;
}

/** The terminal's bars: one for the sweep, one per running run; lines logged above them. */
class Bars {
  private multi: cliProgress.MultiBar;
  private sweep: cliProgress.SingleBar;
  private readonly runs = new Map<string, cliProgress.SingleBar>();

  constructor(total: number, finished: number) {
    this.multi = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        format: '{label} [{bar}] {percentage}% | {info}',
      },
      cliProgress.Presets.shades_classic,
    );
    this.sweep = this.multi.create(total, finished, { label: 'sweep'.padEnd(24), info: 'ETA …' });
  }

  log(text: string): void {
    this.multi.log(text);
  }

  add(id: string, budget: number): void {
    this.runs.set(id, this.multi.create(budget, 0, { label: id.padEnd(24), info: '' }));
  }

  update(id: string, chars: number, info: string): void {
    this.runs.get(id)?.update(chars, { info });
  }

  /** Removes a run's bar; the redraw this causes flushes the lines logged before it. */
  remove(id: string): void {
    const bar = this.runs.get(id);
    if (bar) this.multi.remove(bar);
    this.runs.delete(id);
  }

  setSweep(finished: number, info: string): void {
    this.sweep.update(finished, { info });
  }

  stop(): void {
    this.multi.update(); // flush lines logged since the last redraw: stop() alone drops them
    this.multi.stop();
  }
}

export function sweepDisplay(tty = isTty()): SweepDisplay {
  const clock = new SweepClock();
  let cost: CostPerChar = () => 1;
  const line = throttledLine(5000);
  let bars: Bars | null = null;
  const say = (msg: string) => {
    const text = `${escapeForTerminal(msg)}\n`;
    if (bars) bars.log(text);
    else process.stderr.write(text);
  };
  const stopBars = () => {
    bars?.stop();
    bars = null;
  };
  return {
    onStart(info) {
      cost = info.cost;
      clock.start(info.planned);
      const head = `sweep: ${info.total} runs in ${info.dir}; ${info.skipped} already recorded`;
      say(
        info.todo.length === 0
          ? `${head}, 0 to run: nothing to do (--fresh runs them all again)`
          : `${head}, ${info.todo.length} to run on ${info.workers} worker(s)`,
      );
      if (tty && info.todo.length > 0) bars = new Bars(clock.total, clock.finished);
    },
    onRunStart(spec: RunSpec, task) {
      clock.runStart(spec.id, cost(spec), task.budget, task.from);
      bars?.add(spec.id, task.budget);
    },
    onRunProgress(spec, p) {
      clock.progress(spec.id, p.chars);
      bars?.update(
        spec.id,
        p.chars,
        Number.isFinite(p.smoothLossPerChar) ? `loss ${(p.smoothLossPerChar / Math.LN2).toFixed(3)} bpc` : '',
      );
      bars?.setSweep(clock.finished, `ETA ${clock.eta()}`);
      if (!tty) line(clock.statusLine());
    },
    onRunEnd(o: RunOutcome) {
      clock.runEnd(o.spec.id);
      say(runEndLine(o)); // logged before the bar goes: removing it redraws, which flushes the line
      bars?.remove(o.spec.id);
      bars?.setSweep(clock.finished, `ETA ${clock.eta()}`);
    },
    onNotice: say,
    interrupt(msg) {
      stopBars();
      process.stderr.write(`${escapeForTerminal(msg)}\n`);
    },
    stop: stopBars,
  };
}

const num = (s: string | undefined) => (s === undefined || s === '' ? NaN : Number(s));

/** What the closing table's comparison statement says about the sweep (from its manifest), beyond the sections. */
export type ClosingFacts = Omit<ComparisonFacts, 'sections'>;

/**
 * The sweep's closing table. With several seeds per configuration: one row per configuration
 * (mean, sd, 95 % interval, verdict against the best: src/report/groups.ts); otherwise the runs
 * ranked by held-out bits per character (unscored runs last), the Markov baseline beside each.
 * Runs are ranked only against runs trained to the same number of characters: successive halving
 * stops configurations at several budgets, and gets one table per budget, largest first. The
 * statement under the table says what was compared with what.
 */
export function rankedTable(summary: Record<string, string>[], facts: ClosingFacts = {}): string {
  const key = (r: Record<string, string>) => {
    const k = knobsFromRow(r);
    return k === null ? r.run_id : configId(k);
  };
  const score = (r: Record<string, string>) =>
    r.status === 'done' && !Number.isNaN(num(r.val_bpc)) ? num(r.val_bpc) : null;
  const section = (r: Record<string, string>) => (Number.isNaN(num(r.chars)) ? null : num(r.chars));
  const groups = rankGroups(summary, key, score, undefined, section);
  const sections = [...new Set(groups.filter((g) => g.rank !== null).map((g) => g.section))];
  const tables = multiSeed(groups)
    ? bySection(groups, sections, (g) => (g.rank === null ? undefined : g.section)).map(
        (t) => `${t.title}${groupedTable(t.rows)}`,
      )
    : bySection(summary, sections, (r) => (score(r) === null ? undefined : section(r))).map(
        (t) => `${t.title}${runTable(t.rows)}`,
      );
  const statement = comparisonSentence({ ...facts, sections });
  return `${tables.join('\n')}\n${multiSeed(groups) ? `${TEST_STATEMENT}\n` : ''}${statement}`;
}

/** Rows split by section (their budget; undefined: not ranked), each table titled; one untitled table when there is one section. */
function bySection<T>(
  rows: T[],
  sections: Array<number | null>,
  at: (t: T) => number | null | undefined,
): Array<{ title: string; rows: T[] }> {
  if (sections.length <= 1) return [{ title: '', rows }];
  const parts = sections.map((b) => ({
    title: `trained to ${fmtInt(b)} characters:\n`,
    rows: rows.filter((r) => at(r) === b),
  }));
  parts.push({ title: 'without a score:\n', rows: rows.filter((r) => at(r) === undefined) });
  return parts.filter((p) => p.rows.length > 0);
}

function groupedTable(groups: Array<RankedGroup<Record<string, string>>>): string {
  const table = new Table({
    head: [
      '#',
      'configuration',
      'seeds',
      'mean bpc',
      'sd',
      '95 % interval',
      'vs best',
      'Δ best [95 % interval]',
      'markov bpc',
      'mean − markov',
    ],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'left', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const g of groups) {
    const markov = meanOrNull(g.items.map((r) => (Number.isNaN(num(r.markov_val_bpc)) ? null : num(r.markov_val_bpc))));
    table.push([
      g.rank === null ? '' : String(g.rank),
      escapeForTerminal(g.key),
      g.n === g.items.length ? String(g.n) : `${g.n}/${g.items.length}`,
      g.mean === null ? 'not measured' : fmtBpc(g.mean),
      fmtBpc(g.sd),
      g.lo === null || g.hi === null ? '—' : `${fmtBpc(g.lo)}–${fmtBpc(g.hi)}`,
      verdictText(g),
      diffText(g),
      fmtBpc(markov),
      g.mean === null || markov === null ? '—' : fmtDelta(g.mean - markov).replace('−', '-'),
    ]);
  }
  return table.toString();
}

function runTable(summary: Record<string, string>[]): string {
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
  const f = (x: number, d = 3) => (Number.isNaN(x) ? 'not measured' : x.toFixed(d));
  rows.forEach((r, i) => {
    const v = num(r.val_bpc);
    const m = num(r.markov_val_bpc);
    table.push([
      String(i + 1),
      escapeForTerminal(r.run_id),
      escapeForTerminal(
        r.status === 'diverged' && r.diverged_at_iteration ? `diverged@${r.diverged_at_iteration}` : r.status,
      ),
      f(v),
      f(m),
      Number.isNaN(v) || Number.isNaN(m) ? '—' : `${v - m >= 0 ? '+' : ''}${(v - m).toFixed(3)}`,
      Number.isNaN(num(r.chars_per_s)) ? '—' : String(Math.round(num(r.chars_per_s))),
    ]);
  });
  return table.toString();
}

/**
 * A summary row for --json: the convention of every --json output (train, sweep, report): numbers
 * are JSON numbers, a value that was not measured (an empty cell) is null, text stays a string.
 * Which columns hold text comes from the column rules and the knob registry (src/results/columns.ts).
 */
export function jsonRow(row: Record<string, string>): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [k, v] of Object.entries(row)) {
    const knob = KNOB_COLUMNS.get(k);
    if (knob)
      out[k] = knobFromCell(knob, v); // a knob's empty cell (a table older than the knob) is its default
    else out[k] = v === '' ? null : SUMMARY_TEXT_COLUMNS.has(k) ? v : Number(v);
  }
  return out;
}

const KNOB_COLUMNS = new Map<string, KnobDef>((KNOBS as readonly KnobDef[]).map((k) => [k.column, k]));
