/**
 * A folder's page as named HTML sections (pure): the sweep's state and its trainings in flight,
 * the headline, filters, the leaderboard (the report's own tables, with a checkbox per row and links
 * to each run's page), the Markov ladder, the plots, the samples, facts and notes. The page swaps a
 * section when its HTML changes. Every piece of text from the folder is escaped here (`t`: HTML
 * special characters, and control characters — ESC sequences, bidi overrides — shown as escapes).
 */
import { factsBlock, halvingBlock, leaderboardBlock, samplesBlock, type TableHooks } from '../report/html.js';
import { escapeHtml as h, fmtBpc, fmtCompact, fmtInt } from '../report/format.js';
import { fmtKnob, varyingKnobs } from '../report/tableColumns.js';
import { headline, shownDefs } from '../report/text.js';
import type { ConfigEntry, LeaderboardEntry, ReportData, SampleRow } from '../report/types.js';
import { cmpKnobValue, type KnobDef, type KnobKey, type KnobValues } from '../results/knobs.js';
import type { LiveRun } from '../results/live.js';
import { escapeForTerminal } from '../util/terminalText.js';
import { folderCharts, type Chart } from './specs.js';
import type { FolderView } from './state.js';

/** Text from a folder, made safe for HTML and shown as it is (no control character acts). */
export const t = (text: string): string => h(escapeForTerminal(text));

export interface Page {
  title: string;
  version: number;
  sections: Record<string, string>;
  charts: Chart[];
}

/** "2026-12-04 20:34:59 UTC". */
export const when = (ms: number): string =>
  ms > 0 ? `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—';

export const runHref = (runId: string): string => `run/${encodeURIComponent(runId)}`;

export function folderTitle(v: FolderView): string {
  return v.data?.facts.experimentName ?? v.ref.label;
}

const pages = new WeakMap<FolderView, Page>();

/** The folder's page, rendered once per state of the folder (every request in between gets the same). */
export function folderPage(v: FolderView): Page {
  let p = pages.get(v);
  if (!p) pages.set(v, (p = renderFolderPage(v)));
  return p;
}

function renderFolderPage(v: FolderView): Page {
  const d = v.data;
  const sections: Record<string, string> = {
    status: statusSection(v),
    banner: bannerSection(v),
    headline: d
      ? `<ul class="headline">${headline(d)
          .map((l) => `<li>${t(l)}</li>`)
          .join('')}</ul>`
      : '',
    filters: d ? filtersSection(d) : '',
    leaderboard: d
      ? leaderboardBlock(d, leaderboardHooks(d, v.live?.running ?? []))
      : '<p class="muted">Nothing readable yet.</p>',
    ladder: d ? ladderSection(d) : '',
    halving: d ? halvingBlock(d) : '',
    samples: d ? samplesBlock(d) + inFlightSamples(v) : '',
    facts: d ? factsBlock(d) : '',
    notes:
      d && d.notes.length > 0
        ? `<ul class="notes">${d.notes.map((n) => `<li>${t(n)}</li>`).join('')}</ul>`
        : '<p class="muted">None.</p>',
  };
  const charts = d ? folderCharts(d) : [];
  sections.plots = charts.map((c) => figure(c)).join('\n') || '<p class="muted">No plots yet.</p>';
  return { title: folderTitle(v), version: v.version, sections, charts };
}

export function figure(c: Chart): string {
  return `<figure><h3>${t(c.title)}</h3><div class="chart" data-chart="${h(c.name)}"></div><figcaption>${t(c.caption)}</figcaption></figure>`;
}

/** Runs recorded (done, diverged or failed) and expected. */
export function recordedCounts(d: ReportData | null): { recorded: number; expected: number } {
  return d
    ? { recorded: d.counts.expected - d.counts.missing, expected: d.counts.expected }
    : { recorded: 0, expected: 0 };
}

function statusSection(v: FolderView): string {
  const { recorded, expected } = recordedCounts(v.data);
  const counts = `<span class="count"><b id="recorded">${recorded}</b> of <b id="expected">${expected}</b> runs recorded</span>`;
  const head = `<p class="phase ${h(v.phase.kind)}"><span class="badge ${h(v.phase.kind)}">${h(v.phase.kind)}</span> ${t(v.phase.text)} · ${counts} · last change ${h(when(v.changedAt))}</p>`;
  const running = v.live?.state === 'running' ? (v.live.running ?? []) : [];
  if (running.length === 0) return head;
  const rows = running.map((r) => inFlightRow(r, v.data)).join('');
  return (
    `${head}<table class="running"><thead><tr><th>in flight</th><th>progress</th><th class="num">characters</th>` +
    `<th class="num">training bpc</th><th class="num">held-out bpc</th><th>started</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}

function inFlightRow(r: LiveRun, d: ReportData | null): string {
  const pct = r.budget > 0 ? Math.min(100, Math.floor((100 * r.chars) / r.budget)) : 0;
  const held = [...(d?.curves.get(r.runId) ?? [])].reverse().find((c) => c.valBpc !== null);
  const loss = r.smoothLossPerChar === null ? '—' : fmtBpc(r.smoothLossPerChar / Math.LN2);
  return (
    `<tr data-running="${h(r.runId)}"><td class="mono"><a href="${h(runHref(r.runId))}">${t(r.runId)}</a></td>` +
    `<td><progress max="100" value="${pct}"></progress> ${pct} %</td><td class="num">${fmtCompact(r.chars)} / ${fmtCompact(r.budget)}</td>` +
    `<td class="num">${loss}</td><td class="num">${held ? `${fmtBpc(held.valBpc)} @ ${fmtCompact(held.chars)}` : '—'}</td><td>${h(when(Date.parse(r.startedAt)))}</td></tr>`
  );
}

function bannerSection(v: FolderView): string {
  if (v.error === null) return tornBanner(v);
  const shown = v.data ? `showing what was read at ${when(v.readAt)} or before` : 'nothing of it can be shown';
  return `<div class="banner" role="alert"><b>This folder cannot be read as it stands:</b> ${t(v.error)} <span class="muted">(${h(shown)}; the page follows the folder and clears this when it reads again)</span></div>`;
}

/**
 * A half-written table (a torn last record, as a kill -9 mid-write leaves it): the tables' reader
 * drops that record and reads the rest, and the page says so — while no sweep runs there, since a
 * running sweep's append may simply be caught in the middle.
 */
function tornBanner(v: FolderView): string {
  const torn = (v.data?.notes ?? []).filter((n) => /torn/i.test(n));
  if (torn.length === 0 || v.phase.kind === 'running') return '';
  return (
    `<div class="banner warn" role="status"><b>Half-written:</b> ${torn.map(t).join(' ')} ` +
    '<span class="muted">(the rest of the folder is shown; the same sweep command drops the torn record and runs its run again)</span></div>'
  );
}

/** The knobs that take more than one value among the folder's runs (the leaderboard's knob columns): one group of checkboxes each. */
const varying = (d: ReportData): KnobDef[] => varyingKnobs(shownDefs(d), d.leaderboard);

function filtersSection(d: ReportData): string {
  const groups = varying(d).map((k) => {
    const raw = [...new Set(d.leaderboard.map((e) => e[k.key as KnobKey]))].sort(cmpKnobValue);
    const values = [...new Set(raw.map(fmtKnob))];
    const boxes = values.map(
      (v) => `<label><input type="checkbox" data-filter="${h(k.slug)}" value="${h(v)}" checked> ${t(v)}</label>`,
    );
    return `<fieldset><legend>${t(k.label)}</legend>${boxes.join(' ')}</fieldset>`;
  });
  return groups.length === 0
    ? ''
    : `<div class="filters">${groups.join('')}<p class="muted">Rows outside the checked values are hidden.</p></div>`;
}

/** The knob values of a row as attributes the page's filters read (data-k-<slug>). */
function knobAttrs(d: ReportData, row: KnobValues): string {
  return varying(d)
    .map((k) => `data-k-${h(k.slug)}="${h(fmtKnob(row[k.key as KnobKey]))}"`)
    .join(' ');
}

function leaderboardHooks(
  d: ReportData,
  running: LiveRun[],
): { runs: TableHooks<LeaderboardEntry>; configs: TableHooks<ConfigEntry> } {
  const flying = new Map(running.map((r) => [r.runId, r]));
  const box = (kind: string, id: string) =>
    `<input type="checkbox" class="pick" data-pick="${kind}" value="${h(id)}" aria-label="compare ${h(id)}">`;
  return {
    runs: {
      lead: { head: 'pick', cell: (e) => box('run', e.runId) },
      attrs: (e) => `data-run="${h(e.runId)}" ${knobAttrs(d, e)}`,
      href: (e) => runHref(e.runId),
      status: (e) => {
        const r = flying.get(e.runId);
        return r && e.status === 'missing'
          ? `<span class="badge running">running ${Math.floor((100 * r.chars) / Math.max(1, r.budget))} %</span>`
          : undefined;
      },
    },
    configs: { lead: { head: 'pick', cell: (c) => box('config', c.configId) }, attrs: (c) => knobAttrs(d, c) },
  };
}

function ladderSection(d: ReportData): string {
  if (!d.ladder) return `<p class="muted">${t(d.ladderMissing ?? 'not recorded')}</p>`;
  const rows = d.ladder.rows.map((r) => {
    const best = r === d.ladder?.best;
    return `<tr${best ? ' class="v-best"' : ''}><td class="num">${r.order}</td><td class="num">${fmtBpc(r.valBpc)}</td><td>${best ? 'best' : ''}</td></tr>`;
  });
  const on = d.ladder.rows[0]?.trainChars;
  return (
    `<p class="muted">Kneser–Ney Markov models of each order on ${on == null ? 'the training text' : `${fmtInt(on)} training characters`}, scored on the held-out text (${t(d.ladder.source)}).</p>` +
    `<table class="ladder"><thead><tr><th class="num">order</th><th class="num">held-out bpc</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

/** The latest sample of each run in flight (from live.json). */
function inFlightSamples(v: FolderView): string {
  const running = v.live?.state === 'running' ? v.live.running : [];
  const cards = running.flatMap((r) => {
    const s = latestSample(v.tables?.samples ?? [], r.runId);
    return s === null
      ? []
      : [
          `<section class="sample"><h3>${t(r.runId)} (in flight)</h3><div class="meta">iteration ${fmtInt(s.iteration)}</div><pre>${t(s.text)}</pre></section>`,
        ];
  });
  return cards.length === 0 ? '' : `<h3>Runs in flight, latest sample</h3><div class="samples">${cards.join('')}</div>`;
}

export function latestSample(samples: readonly SampleRow[], runId: string): SampleRow | null {
  let last: SampleRow | null = null;
  for (const s of samples)
    if (s.runId === runId && s.model === 'rnn' && (last === null || (s.iteration ?? 0) >= (last.iteration ?? 0)))
      last = s;
  return last;
}
