/**
 * What `charlab report` prints (pure): compact cli-table3 tables readable at 100 columns, or the
 * --json summary. Text from the sweep's files is stripped of control characters so a hostile run id
 * or error message cannot drive the terminal.
 */
import Table from 'cli-table3';
import type {
  ConfigEntry,
  HalvingReport,
  KnobStats,
  Ladder,
  LadderRow,
  LeaderboardEntry,
  ReportData,
} from './types.js';
import { interleave } from './ladder.js';
import type { Column } from './tableColumns.js';
import { fmtBpc, fmtCompact, fmtDelta, fmtInterval } from './format.js';
import { SINGLE_SEED_STATEMENT, TEST_STATEMENT, verdictText } from './groups.js';
import { comparisonText, headline, sectionsOf, statusLabel, truncate, wrap } from './text.js';
import { importanceBasis } from './importance.js';
import { failedNote, halvingSpend, rungColumnsOf, rungSearchTitle, stopColumns } from './halving.js';

export interface WrittenPaths {
  markdownPath: string;
  htmlPath: string;
  svgPaths: string[];
}

/** Printable on a terminal: C0/C1 controls (ESC included) become '?'. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

const STYLE = { head: [] as string[], border: [] as string[], 'padding-left': 1, 'padding-right': 1, compact: true };
const WIDTH = 98;

/** A Markov order's row: its name, "baseline" in column `labelAt`, its bpc in column `bpcAt`, the rest empty. */
function baselineCells(b: LadderRow, width: number, bpcAt: number, labelAt: number): string[] {
  const cells = Array.from({ length: width }, () => '');
  cells[1] = `Markov order ${b.order}`;
  cells[labelAt] = 'baseline';
  cells[bpcAt] = fmtBpc(b.valBpc);
  return cells;
}

export function leaderboardTable(entries: LeaderboardEntry[], ladder: Ladder | null = null): string {
  const runWidth = Math.min(34, Math.max(5, ...entries.map((e) => Array.from(e.runId).length)) + 2);
  const t = new Table({
    head: ['#', 'run', 'status', 'held-out', 'Markov', 'Δ bpc', 'chars/s'],
    colAligns: ['right', 'left', 'left', 'right', 'right', 'right', 'right'],
    colWidths: [5, runWidth, 10, 10, 9, 9, 9],
    style: STYLE,
    truncate: '…',
  });
  for (const s of interleave(entries, (e) => (e.rank === null ? null : e.valBpc), ladder)) {
    if (!('row' in s)) {
      t.push(baselineCells(s.baseline, 7, 3, 2));
      continue;
    }
    const e = s.row;
    t.push([
      e.rank === null ? '' : String(e.rank),
      plain(e.runId),
      statusLabel(e.status),
      fmtBpc(e.valBpc),
      fmtBpc(e.markovBpc),
      fmtDelta(e.delta),
      fmtCompact(e.charsPerS),
    ]);
  }
  return t.toString();
}

/** One row per configuration: n, mean, sd, 95 % interval and the verdict against the best. */
export function configTable(configs: ConfigEntry[], ladder: Ladder | null = null): string {
  const idWidth = Math.min(30, Math.max(5, ...configs.map((c) => Array.from(c.configId).length)) + 2);
  const t = new Table({
    head: ['#', 'configuration', 'n', 'mean', 'sd', '95 % interval', 'vs best', 'Δ bpc'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'left', 'right'],
    colWidths: [4, idWidth, 5, 7, 7, 15, 23, 8],
    style: STYLE,
    truncate: '…',
  });
  for (const s of interleave(configs, (c) => (c.rank === null ? null : c.mean), ladder)) {
    if (!('row' in s)) {
      t.push(baselineCells(s.baseline, 8, 3, 6));
      continue;
    }
    const c = s.row;
    t.push([
      c.rank === null ? '' : String(c.rank),
      plain(c.configId),
      c.n === c.runs ? String(c.n) : `${c.n}/${c.runs}`,
      fmtBpc(c.mean),
      fmtBpc(c.sd),
      fmtInterval(c.lo, c.hi),
      verdictText(c, true),
      fmtDelta(c.delta),
    ]);
  }
  return t.toString();
}

export function knobTable(knobs: KnobStats[], multiSeed = false): string {
  const t = new Table({
    head: [
      'knob',
      'value',
      'finished',
      multiSeed ? 'best mean' : 'best bpc',
      multiSeed ? 'median of means' : 'median bpc',
    ],
    colAligns: ['left', 'right', 'right', 'right', 'right'],
    style: STYLE,
  });
  for (const k of knobs) {
    k.values.forEach((v, i) => {
      t.push([i === 0 ? k.label : '', String(v.value), `${v.finished}/${v.runs}`, fmtBpc(v.best), fmtBpc(v.median)]);
    });
  }
  return t.toString();
}

export function renderTerminal(data: ReportData, paths: WrittenPaths): string {
  const out: string[] = [];
  const say = (text: string, indent = '  ') => out.push(...wrap(plain(text), WIDTH, indent));
  say(data.facts.experimentName === null ? 'charlab report' : `charlab report: ${data.facts.experimentName}`);
  out.push('');
  for (const line of headline(data)) say(line);
  const tables = <T extends { rank: number | null; section: number | null }>(
    rows: T[],
    what: string,
    render: (rows: T[], ladder: Ladder | null) => string,
  ) => {
    for (const sec of sectionsOf(data, rows, what)) {
      out.push('');
      if (sec.title) say(sec.title);
      out.push(render(sec.rows, sec.ladder));
    }
  };
  if (data.grouping.multiSeed) {
    tables(data.grouping.configs, 'configurations', configTable);
    say(TEST_STATEMENT.replace('not resolved:', 'not resolved (n.r.):'));
  } else {
    tables(data.leaderboard, 'runs', leaderboardTable);
    if (data.leaderboard.length > 1) say(SINGLE_SEED_STATEMENT);
  }
  say(comparisonText(data));
  const unfinished = data.leaderboard.filter((e) => e.status !== 'done');
  for (const e of unfinished) say(`${statusLabel(e.status)} ${e.runId}: ${truncate(e.note ?? '', 160)}`, '    ');
  if (data.halving) {
    out.push('');
    out.push(...halvingLines(data.halving, say));
  }
  if (data.importance) {
    out.push('');
    say(`Parameter importance (fANOVA, share of the variance of held-out bpc): ${importanceBasis(data.importance)}`);
    out.push(
      data.importance.knobs
        .map(
          (k) =>
            `  ${k.label.padEnd(16)} ${(100 * k.importance).toFixed(1).padStart(5)} %  (${(100 * k.lo).toFixed(1)}–${(100 * k.hi).toFixed(1)} %)`,
        )
        .join('\n'),
    );
  }
  out.push('', knobTable(data.knobs, data.grouping.multiSeed), '');
  for (const k of data.knobs) say(`${k.label}: ${k.note}`);
  out.push('');
  if (data.notes.length > 0) {
    out.push(`Notes (${data.notes.length}):`);
    for (const n of data.notes.slice(0, 12)) say(`- ${n}`);
    if (data.notes.length > 12) out.push(`  … ${data.notes.length - 12} more in the report`);
    out.push('');
  }
  out.push(
    `Wrote ${plain(paths.markdownPath)}`,
    `      ${plain(paths.htmlPath)}`,
    `      ${paths.svgPaths.length} plots (SVG) in ${plain(plotsDir(paths))}`,
  );
  return `${out.join('\n')}\n`;
}

/** Successive halving: the rungs, then where each configuration stopped. */
function halvingLines(hv: HalvingReport, say: (text: string) => void): string[] {
  const grid = <T>(columns: Array<Column<T>>, rows: T[]) => {
    const t = new Table({
      head: columns.map((c) => c.head),
      colAligns: columns.map((c) => (c.numeric ? 'right' : 'left')),
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const r of rows) t.push(columns.map((c) => plain(c.text(r))));
    return t.toString();
  };
  say(`${rungSearchTitle(hv).title}. ${halvingSpend(hv)}`);
  if (hv.failed.length > 0) say(failedNote(hv));
  return [grid(rungColumnsOf(hv), hv.rungs), grid(stopColumns, hv.stops)];
}

function plotsDir(paths: WrittenPaths): string {
  const first = paths.svgPaths[0];
  if (first === undefined) return '(none)';
  const i = Math.max(first.lastIndexOf('/'), first.lastIndexOf('\\'));
  return i < 0 ? '.' : first.slice(0, i);
}

/** A seed as --json gives it: a number (the tables hold it as text; seeds are integers ≥ 0). */
const seedNumber = (seed: string): number | string => (/^\d+$/.test(seed) ? Number(seed) : seed);

/**
 * The --json summary: leaderboard, per-knob stats, counts, notes and the paths written. Numbers are
 * JSON numbers, as in every --json output (seeds too), and what was not measured is null.
 */
export function jsonSummary(data: ReportData, paths: WrittenPaths): object {
  const leaderboard = data.leaderboard.map((e) => ({ ...e, seed: seedNumber(e.seed) }));
  const configurations = data.grouping.configs.map((c) => ({ ...c, seeds: c.seeds.map(seedNumber) }));
  return {
    dirs: data.dirs,
    markdownPath: paths.markdownPath,
    htmlPath: paths.htmlPath,
    svgPaths: paths.svgPaths,
    counts: data.counts,
    baselines: data.baselines,
    ladder: data.ladder,
    leaderboard,
    configurations,
    knobs: data.knobs,
    comparison: comparisonText(data),
    sections: data.sections,
    heatmap: data.heatmap,
    search: data.halving ?? null,
    importance: data.importance ?? null,
    facts: { ...data.facts, seeds: data.facts.seeds.map(seedNumber) },
    notes: data.notes,
  };
}
