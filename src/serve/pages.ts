/**
 * The served documents: the index of folders, a folder's page and a run's page, each its sections
 * (src/serve/view.ts, runView.ts) in one layout with the package's scripts and style. No inline
 * script or style: the Content-Security-Policy (src/serve/server.ts) allows only the server's own.
 */
import { escapeHtml as h, fmtBpc } from '../report/format.js';
import type { FolderView } from './state.js';
import { folderTitle, recordedCounts, t, when, type Page } from './view.js';

const CHART_SCRIPTS = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js'];

interface Layout {
  /** What the page's script does: follow the index, a folder or a run, or nothing. */
  page: 'index' | 'folder' | 'run' | 'static';
  title: string;
  /** The API the page follows (its JSON twin). */
  api: string;
  folder?: string;
  crumbs: Array<{ href: string; text: string }>;
  body: string;
  version: number;
}

function document(l: Layout): string {
  const scripts = l.page === 'folder' || l.page === 'run' ? CHART_SCRIPTS : [];
  const crumbs = l.crumbs.map((c) => ` › <a href="${h(c.href)}">${t(c.text)}</a>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t(l.title)} — charlab serve</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/style.css">
${scripts.map((s) => `<script src="/assets/${s}" defer></script>`).join('\n')}
<script type="module" src="/assets/app.js"></script>
</head>
<body data-page="${l.page}" data-api="${h(l.api)}" data-version="${l.version}"${l.folder ? ` data-folder="${h(l.folder)}"` : ''}>
<header class="top"><a href="/">charlab serve</a>${crumbs}<span class="live" id="live">not following</span></header>
<main>
${l.body}
</main>
</body>
</html>
`;
}

/** A section the page swaps when its HTML changes. */
export const section = (name: string, html: string, tag = 'div'): string =>
  `<${tag} id="s-${name}" data-section="${name}">${html}</${tag}>`;

export function folderDocument(v: FolderView, p: Page): string {
  const s = p.sections;
  const report = `<a href="files/report.html">the static report</a>`;
  const body = [
    `<h1>${t(p.title)}</h1>`,
    `<p class="sources">Results folder <code>${t(v.ref.label)}</code>, followed live (nothing is re-run). Also: ${report}, tables <a href="files/summary.csv">summary.csv</a>, <a href="files/curves.csv">curves.csv</a>, <a href="files/samples.csv">samples.csv</a>.</p>`,
    section('banner', s.banner),
    section('status', s.status),
    section('headline', s.headline),
    '<h2 id="compare">Compare runs</h2>',
    '<div class="compare-bar"><span id="picked">Tick runs or configurations in the leaderboard to overlay their curves here.</span> <button type="button" id="clear-picks">clear</button></div>',
    '<div id="compare-chart" class="chart"></div>',
    '<h2>Leaderboard</h2>',
    section('filters', s.filters),
    section('leaderboard', s.leaderboard),
    '<h2>Markov ladder</h2>',
    section('ladder', s.ladder),
    section('halving', s.halving),
    '<h2>Plots</h2>',
    section('plots', s.plots),
    '<h2>Samples</h2>',
    section('samples', s.samples),
    '<h2>Sweep facts</h2>',
    section('facts', s.facts),
    '<h2>Reading notes</h2>',
    section('notes', s.notes),
  ].join('\n');
  const id = v.ref.id;
  return document({
    page: 'folder',
    title: p.title,
    api: `/api/f/${id}`,
    folder: id,
    crumbs: [{ href: `/f/${id}/`, text: v.ref.label }],
    body,
    version: p.version,
  });
}

export function runDocument(v: FolderView, p: Page): string {
  const s = p.sections;
  const id = v.ref.id;
  const body = [
    `<h1 class="run-id">${t(p.title)}</h1>`,
    section('run-status', s['run-status']),
    '<h2>Curves</h2>',
    p.charts.map((c) => `<div class="chart" data-chart="${h(c.name)}"></div>`).join(''),
    '<h2>Knobs</h2>',
    section('run-knobs', s['run-knobs']),
    '<h2>Checkpoints</h2>',
    section('run-files', s['run-files']),
    '<h2>Samples over time</h2>',
    section('run-samples', s['run-samples']),
  ].join('\n');
  const api = `/api/f/${id}/run/${encodeURIComponent(p.title)}`;
  return document({
    page: 'run',
    title: p.title,
    api,
    folder: id,
    crumbs: [
      { href: `/f/${id}/`, text: v.ref.label },
      { href: '', text: p.title },
    ],
    body,
    version: p.version,
  });
}

/** The index: one row per folder. */
export function indexSection(views: FolderView[]): string {
  if (views.length === 0)
    return '<p class="muted">No results folder here yet: a sweep started into one of the folders given appears here.</p>';
  const rows = views.map((v) => {
    const { recorded, expected } = recordedCounts(v.data);
    const d = v.data;
    const best = d
      ? d.grouping.multiSeed
        ? d.grouping.configs.find((c) => c.rank === 1)?.mean
        : d.leaderboard.find((e) => e.rank === 1)?.valBpc
      : null;
    const corpus = d?.facts.corpus?.path;
    const flying = v.live?.state === 'running' ? v.live.running.length : 0;
    return (
      `<tr data-folder="${h(v.ref.id)}"><td><a href="/f/${h(v.ref.id)}/">${t(v.ref.label)}</a>${v.error ? ' <span class="badge failed">unreadable</span>' : ''}</td>` +
      `<td>${t(d?.facts.experimentName ?? '—')}</td><td class="mono">${t(typeof corpus === 'string' ? (corpus.split('/').pop() ?? corpus) : '—')}</td>` +
      `<td class="num"><span class="recorded">${recorded}</span> / ${expected}</td><td class="num">${flying || ''}</td><td class="num">${fmtBpc(best)}</td>` +
      `<td><span class="badge ${h(v.phase.kind)}">${h(v.phase.kind)}</span></td><td>${h(when(v.changedAt))}</td></tr>`
    );
  });
  return (
    '<table class="folders"><thead><tr><th>folder</th><th>experiment</th><th>corpus</th><th class="num">runs recorded / planned</th>' +
    `<th class="num">in flight</th><th class="num">best held-out bpc</th><th>state</th><th>last change</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
}

export function indexDocument(views: FolderView[], version: number, roots: readonly string[]): string {
  const body = [
    '<h1>Results folders</h1>',
    `<p class="sources">Every results folder in ${roots.map((r) => `<code>${t(r)}</code>`).join(', ')}, followed live: a sweep started later appears here.</p>`,
    section('folders', indexSection(views)),
  ].join('\n');
  return document({ page: 'index', title: 'results folders', api: '/api/index', crumbs: [], body, version });
}

export function notFoundDocument(what: string): string {
  return document({
    page: 'static',
    title: 'not found',
    api: '',
    crumbs: [],
    body: `<h1>Not found</h1><p>${t(what)}</p><p><a href="/">All results folders</a></p>`,
    version: 0,
  });
}

export { folderTitle };
