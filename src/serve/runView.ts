/**
 * A run's page as named HTML sections (pure but for looking whether its checkpoint files exist):
 * its status and scores (or its progress while in flight), every knob, its checkpoints with the
 * commands that sample from and score them, its samples in the order they were drawn, and a chart
 * of its training and held-out curves.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml as h, fmtBpc, fmtDelta, fmtDuration, fmtInt } from '../report/format.js';
import { fmtKnob } from '../report/tableColumns.js';
import type { LeaderboardEntry } from '../report/types.js';
import { KNOBS } from '../results/knobs.js';
import { chartOf } from './specs.js';
import { compareSpec } from './specs.js';
import type { FolderView } from './state.js';
import { t, when, type Page } from './view.js';

export function runPage(v: FolderView, e: LeaderboardEntry): Page {
  const flying = v.live?.state === 'running' ? v.live.running.find((r) => r.runId === e.runId) : undefined;
  const status =
    flying && e.status === 'missing'
      ? `<p><span class="badge running">running</span> ${fmtInt(flying.chars)} of ${fmtInt(flying.budget)} characters (${Math.floor((100 * flying.chars) / Math.max(1, flying.budget))} %), started ${h(when(Date.parse(flying.startedAt)))}</p>`
      : `<p><span class="badge ${h(e.status)}">${h(e.status)}</span>${e.note ? ` ${t(e.note)}` : ''}</p>`;
  const sections = {
    'run-status': status + scores(e),
    'run-knobs': knobTable(e),
    'run-files': filesSection(v, e),
    'run-samples': samplesSection(v, e.runId),
  };
  const chart = chartOf(
    'run-curves',
    'Curves',
    'Held-out bpc (solid, points where measured) and smoothed training bpc (dashed) against training characters.',
    compareSpec(v.data!, [{ label: e.runId, runIds: [e.runId] }], e.runId),
  );
  return { title: e.runId, version: v.version, sections, charts: [chart] };
}

function scores(e: LeaderboardEntry): string {
  const rows: Array<[string, string]> = [
    ['held-out bpc', fmtBpc(e.valBpc)],
    [
      'best during the run',
      e.bestValBpc === null ? '—' : `${fmtBpc(e.bestValBpc)} at ${fmtInt(e.bestValChars)} characters`,
    ],
    ['training bpc (smoothed, at the end)', fmtBpc(e.trainBpc)],
    [`Markov order ${e.markovOrder ?? '—'} on the same characters`, fmtBpc(e.markovBpc)],
    ['Δ (run − Markov)', fmtDelta(e.delta)],
    ['characters, iterations', `${fmtInt(e.chars)}, ${fmtInt(e.iterations)}`],
    ['training speed', e.charsPerS === null ? '—' : `${fmtInt(e.charsPerS)} chars/s`],
    ['wall time', fmtDuration(e.wallS)],
    ['parameters', fmtInt(e.params)],
  ];
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl>`;
}

function knobTable(e: LeaderboardEntry): string {
  const rows = KNOBS.map((k) => `<tr><th>${h(k.label)}</th><td class="mono">${t(fmtKnob(e[k.key]))}</td></tr>`);
  return `<table class="knobs-of-run"><tbody>${rows.join('')}<tr><th>seed</th><td class="mono">${t(e.seed)}</td></tr></tbody></table>`;
}

/** A path as a POSIX shell reads it: as it is when it is plain, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

function filesSection(v: FolderView, e: LeaderboardEntry): string {
  const files = [
    { file: `${e.runId}.safetensors`, what: 'final model' },
    { file: `${e.runId}.best.safetensors`, what: 'model at its best held-out score' },
  ].filter((f) => existsSync(join(v.ref.dir, 'checkpoints', f.file)));
  if (files.length === 0)
    return '<p class="muted">No checkpoint of this run in the folder (the experiment\u2019s "checkpoints" keeps none, or the run has not finished).</p>';
  const corpus = v.data?.facts.corpus?.path;
  const items = files.map((f) => {
    const path = join(v.ref.label, 'checkpoints', f.file);
    const sample = `npx charlab sample ${shellQuote(path)} --length 500`;
    const score =
      typeof corpus === 'string' ? `npx charlab eval ${shellQuote(path)} --corpus ${shellQuote(corpus)}` : null;
    return (
      `<li><a href="../files/checkpoints/${h(encodeURIComponent(f.file))}" download>${t(f.file)}</a> (${h(f.what)})` +
      `<pre class="cmd">${t(sample)}</pre>${score ? `<pre class="cmd">${t(score)}</pre>` : ''}</li>`
    );
  });
  return `<ul class="files">${items.join('')}</ul>`;
}

function samplesSection(v: FolderView, runId: string): string {
  const samples = (v.tables?.samples ?? []).filter((s) => s.runId === runId);
  if (samples.length === 0) return '<p class="muted">No samples of this run yet.</p>';
  const cards = samples.map(
    (s) =>
      `<section class="sample${s.model === 'markov' ? ' markov' : ''}"><h3>${s.model === 'markov' ? 'Markov baseline' : `iteration ${fmtInt(s.iteration)}`}</h3>` +
      `<div class="meta">temperature ${s.temperature ?? '—'}</div><pre>${t(s.text)}</pre></section>`,
  );
  return `<p class="muted">In the order they were drawn (the run\u2019s samples every "samples.every" characters, then at the end).</p><div class="samples over-time">${cards.join('')}</div>`;
}
