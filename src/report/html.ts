/**
 * report.html (pure): one self-contained page, no scripts, no external resources, the plots'
 * SVGs inlined (one <svg> per plot). Every piece of text from the sweep's files is escaped with
 * escapeHtml(); a restrictive Content-Security-Policy is set as defence in depth.
 */
import type { ConfigEntry, Ladder, LadderRow, LeaderboardEntry, RenderedPlot, ReportData } from './types.js';
import { interleave } from './ladder.js';
import { factGroups } from './facts.js';
import { escapeHtml as h, fmtDelta } from './format.js';
import { SINGLE_SEED_STATEMENT, TEST_STATEMENT } from './groups.js';
import { configColumns, knobColumns, leaderboardColumns, tableContext, type Column } from './tableColumns.js';
import {
  comparisonText,
  headline,
  leaderboardProse,
  PROSE,
  sampleMeta,
  sectionsOf,
  statusLabel,
  truncate,
} from './text.js';
import { IMPORTANCE_PROSE, importanceBasis, importanceColumns } from './importance.js';
import { failedNote, halvingSpend, rungColumnsOf, rungSearchTitle, stopColumns } from './halving.js';
import { escapeForTerminal } from '../util/terminalText.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export const STYLE = `
:root { --fg: #1d1f21; --muted: #666; --line: #e3e3e3; --bg-alt: #f7f7f8; --done: #2e7d32; --diverged: #b45309; --failed: #b91c1c; --missing: #6b7280; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1440px; margin: 0 auto; padding: 24px 20px 64px; }
main > p, ul.headline, figcaption { max-width: 1080px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
p.sources, .muted { color: var(--muted); font-size: 13px; }
ul.headline { font-size: 16px; padding-left: 20px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 3px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
.table-wrap { overflow-x: auto; }
tr.unranked td { color: #555; background: #fcfcfc; }
tr.baseline td { color: #3b2a55; background: #f5f2fa; font-style: italic; padding-top: 1px; padding-bottom: 1px; font-size: 12px; line-height: 1.35; }
tr.baseline td.note { max-width: none; color: #6b5a85; }
td.name { max-width: 240px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
tr.first td { border-top: 2px solid #999; }
td.mono { white-space: nowrap; }
td.note { max-width: 300px; font-size: 12px; color: #555; word-break: break-word; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.done { background: var(--done); } .badge.diverged { background: var(--diverged); }
.badge.failed { background: var(--failed); } .badge.missing { background: var(--missing); } .badge.baseline { background: #6a3d9a; }
.better { color: var(--done); font-weight: 600; } .worse { color: var(--failed); }
td.verdict { white-space: normal; min-width: 8.5em; max-width: 11em; }
td.interval span { display: block; color: var(--muted); font-size: 11.5px; } td.verdict.best { color: var(--done); font-weight: 600; } td.verdict.worse { color: var(--failed); } td.verdict.untested, td.verdict.unresolved { color: var(--muted); }
tr.v-best td { background: #eef7ee; }
.knobs { display: grid; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); gap: 8px 28px; }
figure { margin: 16px 0 28px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; max-width: 760px; }
.samples { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; }
.sample { border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.sample h3 { margin: 0; padding: 8px 12px; background: var(--bg-alt); font-size: 14px; word-break: break-all; }
.sample .meta { padding: 4px 12px; font-size: 12px; color: var(--muted); border-bottom: 1px solid var(--line); }
.sample pre { margin: 0; padding: 10px 12px; white-space: pre-wrap; word-break: break-word; font-size: 12.5px; line-height: 1.45; max-height: 520px; overflow: auto; }
.sample.best h3 { border-left: 4px solid var(--done); } .sample.markov h3 { border-left: 4px solid #222; } .sample.worst h3 { border-left: 4px solid var(--failed); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 0; font-size: 14px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; word-break: break-word; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 8px 32px; }
ul.notes li { font-size: 13.5px; margin: 2px 0; word-break: break-word; }
`;

function num(x: string): string {
  return `<td class="num">${h(x)}</td>`;
}

function badge(status: LeaderboardEntry['status']): string {
  return `<span class="badge ${status}">${h(statusLabel(status).toLowerCase())}</span>`;
}

function deltaCell(d: number | null): string {
  const cls = d === null ? '' : d < 0 ? ' better' : d > 0 ? ' worse' : '';
  return `<td class="num${cls}">${h(fmtDelta(d))}</td>`;
}

/**
 * How a page other than the static report (charlab serve) adapts a table: a first cell per row (a
 * checkbox), attributes of each row, where a run links to, a status of its own. Each returns HTML
 * that the caller has escaped.
 */
export interface TableHooks<T> {
  lead?: { head: string; cell(row: T): string };
  attrs?(row: T): string;
  href?(row: T): string | undefined;
  status?(row: T): string | undefined;
}

function cell<T>(c: Column<T>, r: T, hooks: TableHooks<T> = {}): string {
  const text = c.text(r);
  switch (c.kind) {
    case 'run': {
      const href = hooks.href ? hooks.href(r) : c.link?.(r);
      const full = c.title?.(r);
      const title = full !== undefined && full !== text ? ` title="${h(full)}"` : '';
      return `<td class="mono name"${title}>${href ? `<a href="${h(href)}">${h(text)}</a>` : h(text)}</td>`;
    }
    case 'status':
      return `<td>${hooks.status?.(r) ?? badge((r as LeaderboardEntry).status)}</td>`;
    case 'delta':
      return deltaCell(c.delta ? c.delta(r) : null);
    case 'verdict':
      return `<td class="verdict ${h((r as ConfigEntry).verdict ?? '')}">${h(text)}</td>`;
    case 'interval': {
      // "+0.958 [−0.052, +1.968]" on two lines: the difference, the interval under it (narrower column)
      const at = text.indexOf(' [');
      return at < 0
        ? num(text)
        : `<td class="num interval">${h(text.slice(0, at))}<span>${h(text.slice(at + 1))}</span></td>`;
    }
    case 'note':
      return `<td class="note"${text.length > 160 ? ` title="${h(text)}"` : ''}>${h(truncate(text, 160))}</td>`;
    default:
      return c.numeric ? num(text) : `<td>${h(text)}</td>`;
  }
}

/** A Markov order of the ladder as a table row (src/report/ladder.ts), marked as a baseline. */
/** A Markov order of the ladder as one compact line: its name, bpc and badge, then its note across the remaining columns. */
function baselineRow<T>(columns: Array<Column<T>>, b: LadderRow, best: boolean, hooks: TableHooks<T> = {}): string {
  const texts = columns.map((c) => c.baseline?.(b, best) ?? '');
  const last = texts.reduce((at, text, i) => (text !== '' && columns[i].kind !== 'note' ? i : at), 0);
  const cells = columns.slice(0, last + 1).map((c, i) => {
    if (c.kind === 'status') return `<td><span class="badge baseline">${h(texts[i])}</span></td>`;
    return c.numeric ? num(texts[i]) : `<td${c.kind === 'run' ? ' class="mono"' : ''}>${h(texts[i])}</td>`;
  });
  const note = texts.find((_, i) => columns[i].kind === 'note') ?? '';
  const rest = columns.length - last - 1;
  const tail = rest > 0 ? `<td colspan="${rest}" class="note">${h(note)}</td>` : '';
  return `<tr class="baseline${best ? ' best' : ''}" data-status="baseline">${hooks.lead ? '<td></td>' : ''}${cells.join('')}${tail}</tr>`;
}

function headRow<T>(columns: Array<Column<T>>, hooks: TableHooks<T> = {}): string {
  const lead = hooks.lead ? `<th>${hooks.lead.head}</th>` : '';
  return `<tr>${lead}${columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${h(c.head)}</th>`).join('')}</tr>`;
}

/** A row of a run or configuration, with the hooks' first cell and attributes. */
function bodyRow<T>(columns: Array<Column<T>>, r: T, cls: string, attrs: string, hooks: TableHooks<T>): string {
  const lead = hooks.lead ? `<td class="lead">${hooks.lead.cell(r)}</td>` : '';
  return `<tr class="${cls}"${attrs}${hooks.attrs ? ` ${hooks.attrs(r)}` : ''}>${lead}${columns.map((c) => cell(c, r, hooks)).join('')}</tr>`;
}

/** Ranked runs, then the rest (greyed, a rule above the first of them); the ladder's orders among them. */
function leaderboardTable(
  data: ReportData,
  entries: LeaderboardEntry[],
  ladder: Ladder | null,
  hooks: TableHooks<LeaderboardEntry> = {},
): string {
  const columns = leaderboardColumns(tableContext(data));
  const firstUnranked = entries.findIndex((e) => e.rank === null);
  const rows = interleave(entries, (e) => (e.rank === null ? null : e.valBpc), ladder).map((s) => {
    if (!('row' in s)) return baselineRow(columns, s.baseline, s.best, hooks);
    const e = s.row;
    const cls =
      e.rank === null ? (e === entries[firstUnranked] && firstUnranked > 0 ? 'unranked first' : 'unranked') : '';
    return bodyRow(columns, e, cls, ` data-status="${h(e.status)}"`, hooks);
  });
  return (
    `<div class="table-wrap"><table class="leaderboard"><thead>${headRow(columns, hooks)}</thead><tbody>\n` +
    `${rows.join('\n')}\n</tbody></table></div>`
  );
}

/** One row per configuration, the best and those not told apart from it shaded. */
function configTable(
  data: ReportData,
  configs: ConfigEntry[],
  ladder: Ladder | null,
  hooks: TableHooks<ConfigEntry> = {},
): string {
  const columns = configColumns(tableContext(data));
  const rows = interleave(configs, (c) => (c.rank === null ? null : c.mean), ladder).map((s) =>
    'row' in s
      ? bodyRow(columns, s.row, s.row.rank === null ? 'unranked' : `v-${h(s.row.verdict ?? '')}`, '', hooks)
      : baselineRow(columns, s.baseline, s.best, hooks),
  );
  return `<div class="table-wrap"><table class="configs"><thead>${headRow(columns, hooks)}</thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

/** A table per comparable section (one unless runs were scored at several budgets), each under its heading. */
function sectioned<T extends { rank: number | null; section: number | null }>(
  data: ReportData,
  rows: T[],
  what: string,
  render: (rows: T[], ladder: Ladder | null) => string,
): string {
  return sectionsOf(data, rows, what)
    .map((sec) => `${sec.title ? `<h4>${h(sec.title)}</h4>\n` : ''}${render(sec.rows, sec.ladder)}`)
    .join('\n');
}

/** The leaderboard section: by configuration when seeds were repeated, then every run (hooks: see TableHooks). */
export function leaderboardBlock(
  data: ReportData,
  hooks: { runs?: TableHooks<LeaderboardEntry>; configs?: TableHooks<ConfigEntry> } = {},
): string {
  const compared = h(comparisonText(data));
  const runs = sectioned(data, data.leaderboard, 'runs', (rows, ladder) =>
    leaderboardTable(data, rows, ladder, hooks.runs),
  );
  if (!data.grouping.multiSeed)
    return `<p class="muted">${h(leaderboardProse(data))} ${h(SINGLE_SEED_STATEMENT)} ${compared}</p>\n${runs}`;
  return (
    `<p class="muted">${h(PROSE.configs)} ${h(TEST_STATEMENT)} ${compared}</p>\n` +
    `${sectioned(data, data.grouping.configs, 'configurations', (rows, ladder) => configTable(data, rows, ladder, hooks.configs))}\n` +
    `<h3>All runs</h3>\n<p class="muted">${h(leaderboardProse(data))}</p>\n${runs}`
  );
}

/** Successive halving: each rung, and where each configuration stopped (empty for other sweeps). */
export function halvingBlock(data: ReportData): string {
  const hv = data.halving;
  if (!hv) return '';
  const tbl = <T>(columns: Array<Column<T>>, rows: T[]) =>
    `<div class="table-wrap"><table><thead>${headRow(columns)}</thead><tbody>${rows.map((r) => `<tr>${columns.map((c) => cell(c, r)).join('')}</tr>`).join('')}</tbody></table></div>`;
  const { title, prose } = rungSearchTitle(hv);
  return (
    `<h2>${h(title)}</h2>\n<p class="muted">${h(prose)} ${h(halvingSpend(hv))} ${h(failedNote(hv))}</p>\n${tbl(rungColumnsOf(hv), hv.rungs)}\n` +
    `<h3>Where each configuration stopped</h3>\n${tbl(stopColumns, hv.stops)}\n`
  );
}

/** Parameter importance (empty when too few configurations compare). */
function importanceBlock(data: ReportData): string {
  const imp = data.importance;
  if (!imp) return '';
  const rows = imp.knobs.map((k) => `<tr>${importanceColumns.map((c) => cell(c, k)).join('')}</tr>`).join('');
  return (
    `<h2>Parameter importance</h2>\n<p class="muted">${h(IMPORTANCE_PROSE)} ${h(importanceBasis(imp))}</p>\n` +
    `<div class="table-wrap"><table><thead>${headRow(importanceColumns)}</thead><tbody>${rows}</tbody></table></div>\n`
  );
}

function knobTables(data: ReportData): string {
  const tables = data.knobs.map((k) => {
    const columns = knobColumns(k, data.grouping.multiSeed);
    const rows = k.values.map((v) => `<tr>${columns.map((c) => cell(c, v)).join('')}</tr>`);
    return `<section><h3>${h(k.label)}</h3><p class="muted">${h(k.note)}</p><div class="table-wrap"><table><thead>${headRow(columns)}</thead><tbody>${rows.join('')}</tbody></table></div></section>`;
  });
  return `<div class="knobs">${tables.join('')}</div>`;
}

function plotFigures(plots: RenderedPlot[]): string {
  return plots
    .map(
      (p) =>
        `<figure id="${h(p.file.replace(/^plots\//, '').replace(/\.svg$/, ''))}"><h3>${h(p.title)}</h3>\n${p.svg}\n` +
        `<figcaption>${h(p.caption)} <span class="mono">${h(p.file)}</span></figcaption></figure>`,
    )
    .join('\n');
}

export function samplesBlock(data: ReportData): string {
  if (data.samples.length === 0) return `<p class="muted">${h(PROSE.noSamples)}</p>`;
  const cards = data.samples.map((s) => {
    const meta = sampleMeta(s);
    // A sample shows its control characters as escapes: an ESC sequence or a bidi override in the corpus must not act on the page.
    return `<section class="sample ${s.role}"><h3>${h(s.title)}</h3><div class="meta">${h(meta.join(' · '))}</div><pre>${h(escapeForTerminal(s.text))}</pre></section>`;
  });
  return (
    `<p class="muted">${h(PROSE.samples(data.sampleLength))}</p>` + `<div class="samples">${cards.join('\n')}</div>`
  );
}

/** The sweep facts (one description in facts.ts), one definition list per group. */
export function factsBlock(data: ReportData): string {
  const groups = factGroups(data).map((g) => {
    const body =
      g.unknown !== undefined
        ? `<p class="muted">(${h(g.unknown)})</p>`
        : `<dl class="facts">${g.items.map((i) => `<dt>${h(i.label)}</dt><dd>${h(i.value)}</dd>`).join('')}</dl>`;
    return `<section><h3>${h(g.title)}</h3>${body}</section>`;
  });
  return `<div class="cols">${groups.join('')}</div>`;
}

function unfinishedBlock(data: ReportData): string {
  const c = data.counts;
  const unfinished = data.leaderboard.filter((e) => e.status !== 'done');
  if (unfinished.length === 0) return `<p>${h(PROSE.allFinished)}</p>`;
  return (
    `<p>${h(PROSE.unfinished(c))}</p><ul class="notes">` +
    unfinished
      .map(
        (e) => `<li>${badge(e.status)} <span class="mono">${h(e.runId)}</span>: ${h(truncate(e.note ?? '', 400))}</li>`,
      )
      .join('') +
    '</ul>'
  );
}

export function renderHtml(data: ReportData, plots: RenderedPlot[]): string {
  const title =
    data.facts.experimentName === null ? 'charlab sweep report' : `charlab sweep report: ${data.facts.experimentName}`;
  const notes =
    data.notes.length === 0
      ? '<p class="muted">None.</p>'
      : `<ul class="notes">${data.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${h(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${h(title)}</h1>
<p class="sources">Regenerated by <code>charlab report</code> from the sweep's tables alone (nothing re-run). Sources: ${data.dirs.map((d) => `<code>${h(d)}</code>`).join(', ')}.</p>
<ul class="headline">${headline(data)
    .map((l) => `<li>${h(l)}</li>`)
    .join('')}</ul>
<h2>Leaderboard</h2>
${leaderboardBlock(data)}
${halvingBlock(data)}${importanceBlock(data)}<h2>Per knob</h2>
<p class="muted">${h(data.grouping.multiSeed ? PROSE.knobsGrouped : PROSE.knobs)}</p>
${knobTables(data)}
<h2>Plots</h2>
${plotFigures(plots)}
<h2>Samples</h2>
${samplesBlock(data)}
<h2>Unfinished runs</h2>
${unfinishedBlock(data)}
<h2>Sweep facts</h2>
${factsBlock(data)}
<h2>Reading notes</h2>
${notes}
</main>
</body>
</html>
`;
}
