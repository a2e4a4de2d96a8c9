/**
 * The report's plots: Vega-Lite specs built from the data (pure), compiled with vega-lite and
 * rendered to SVG by a headless vega View (renderer 'none', no browser, no canvas).
 *
 *   plots/curves-by-<knob>.svg   held-out and smoothed training bpc against training characters,
 *                                the runs grouped by that knob's value: mean line and band
 *                                (plotCurves.ts), the Markov baseline(s) as reference rules;
 *   plots/parallel-coordinates.svg  every knob against held-out bpc (plotParallel.ts);
 *   plots/heatmap-lr-hidden.svg  best (configuration mean) held-out bpc per learning rate × hidden size;
 *   plots/importance.svg         each knob's share of the variance of held-out bpc (plotImportance.ts);
 *   plots/curves-runs.svg        every run's own curves, one line each.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Knob, KnobValue, LeaderboardEntry, PlotFile, RenderedPlot, ReportData } from './types.js';
import { KNOB_LABELS, KNOB_SLUGS } from './types.js';
import { groupedCurvesSpec } from './plotCurves.js';
import { parallelSpec } from './plotParallel.js';
import { importanceSpec } from './plotImportance.js';
import { BLACK, inkOn, WHITE } from './contrast.js';
import { curveLabel, curvePanelTitle } from './curveText.js';
import { ladderCaption } from './ladder.js';
import { rungRuleCaption, rungRuleLayers } from './halving.js';
import { thin } from '../util/thin.js';

export { thin };

export interface PlotSpec extends PlotFile {
  spec: TopLevelSpec;
}

export const HELD_OUT = 'held-out';
export const TRAINING = 'training (smoothed)';
/** At most this many points per run and series go into a plot (evenly thinned, the last kept). */
export const MAX_POINTS = 200;

export const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 8,
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 240 },
  title: { fontSize: 14, anchor: 'start', offset: 10 },
};

export interface CurvePoint {
  run: string;
  v: KnobValue;
  series: string;
  chars: number;
  bpc: number;
}

/** Curve points of every run on the leaderboard (missing runs included when a partial curve exists). */
export function curvePoints(data: ReportData, knob: Knob): CurvePoint[] {
  return runCurvePoints(data, data.leaderboard, (e) => e[knob]);
}

/** Curve points of `entries`, each coloured by `v(entry)`: held-out and smoothed training bpc, thinned. */
export function runCurvePoints(data: ReportData, entries: readonly LeaderboardEntry[], v: (e: LeaderboardEntry) => KnobValue): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const e of entries) {
    const rows = data.curves.get(e.runId);
    if (!rows) continue;
    const held = rows.filter((r) => r.valBpc !== null && Number.isFinite(r.valBpc));
    const train = rows.filter((r) => r.smoothLossPerChar !== null && Number.isFinite(r.smoothLossPerChar));
    for (const r of thin(held, MAX_POINTS)) {
      points.push({ run: e.runId, v: v(e), series: HELD_OUT, chars: r.chars, bpc: r.valBpc as number });
    }
    for (const r of thin(train, MAX_POINTS)) {
      points.push({ run: e.runId, v: v(e), series: TRAINING, chars: r.chars, bpc: (r.smoothLossPerChar as number) / Math.LN2 });
    }
  }
  return points;
}

/** log2(vocabulary) + 0.5 bpc: a little worse than guessing uniformly; plots cut there. Infinity if the vocabulary is unknown. */
export function bpcCap(data: ReportData): number {
  return data.vocabSize !== null && data.vocabSize > 1 ? Math.log2(data.vocabSize) + 0.5 : Number.POSITIVE_INFINITY;
}

/** y range: everything measured and the baselines, cut at bpcCap so a diverging run cannot flatten the rest. */
export function yDomain(data: ReportData, points: Array<{ bpc: number }>): [number, number] {
  const ys = [...points.map((p) => p.bpc), ...data.baselines.map((b) => b.bpc), ...(data.ladder?.best?.valBpc != null ? [data.ladder.best.valBpc] : [])];
  if (ys.length === 0) return [0, 8];
  let lo = Math.min(...ys);
  let hi = Math.min(Math.max(...ys), bpcCap(data));
  if (hi <= lo) hi = lo + 1;
  lo = Math.max(0, Math.floor((lo - 0.05 * (hi - lo)) * 10) / 10);
  hi = Math.ceil((hi + 0.02 * (hi - lo)) * 10) / 10;
  // Rounded outwards as the plot's scale rounds it (nice: true), so the spec knows where each value is drawn.
  const [niceLo, niceHi] = vega.scale('linear')().domain([lo, hi]).nice().domain() as [number, number];
  return [niceLo, niceHi];
}

/** Size of the curves plots' data area, in pixels. */
const CURVES_WIDTH = 640;
export const CURVES_HEIGHT = 320;
/** The baseline labels: font size and gap to their rule, in pixels. */
const LABEL_FONT = 11;
const LABEL_GAP = 4;

export type LabelSide = 'above' | 'below';

/**
 * Where each baseline's label goes: below its rule (at the left edge, where the curves start high
 * above any baseline), unless that would cross the x axis or an earlier label; then above it.
 */
export function labelSides(bpcs: number[], [lo, hi]: [number, number], height: number): LabelSide[] {
  const y = (b: number) => (height * (hi - b)) / (hi - lo);
  const box = (b: number, side: LabelSide): [number, number] =>
    side === 'below' ? [y(b) + LABEL_GAP, y(b) + LABEL_GAP + LABEL_FONT] : [y(b) - LABEL_GAP - LABEL_FONT, y(b) - LABEL_GAP];
  const placed: Array<[number, number]> = [];
  return bpcs.map((b) => {
    const fits = (side: LabelSide) => {
      const [top, bottom] = box(b, side);
      return top >= 0 && bottom <= height && placed.every(([t, u]) => bottom <= t || top >= u);
    };
    const side: LabelSide = fits('below') ? 'below' : fits('above') ? 'above' : y(b) > height / 2 ? 'above' : 'below';
    placed.push(box(b, side));
    return side;
  });
}

/** Colour of the best Markov order's rule and label. */
const LADDER_BEST = '#6a3d9a';

/**
 * The ladder of Markov baselines as reference rules: every order within the y range as a thin grey
 * rule numbered at the right edge (a number that would overlap another is left out), the best order
 * in purple with its label.
 */
export function ladderLayers(data: ReportData, [lo, hi]: [number, number]): object[] {
  const l = data.ladder;
  if (!l) return [];
  const rows = l.rows.filter((r) => r.valBpc !== null && r.valBpc >= lo && r.valBpc <= hi);
  const y = (b: number) => (CURVES_HEIGHT * (hi - b)) / (hi - lo);
  const numbered = rows.filter((r) => r === l.best);
  for (const r of rows) if (numbered.every((n) => Math.abs(y(n.valBpc as number) - y(r.valBpc as number)) >= LABEL_FONT)) numbered.push(r);
  const enc = { y: { field: 'bpc', type: 'quantitative' } };
  const at = (rs: typeof rows) => ({ values: rs.map((r) => ({ bpc: r.valBpc, order: String(r.order), label: `best Markov: order ${r.order}, ${(r.valBpc as number).toFixed(3)} bpc` })) });
  const right = { expr: 'width' };
  const best = rows.filter((r) => r === l.best);
  return [
    { data: at(rows), mark: { type: 'rule', color: '#999', strokeWidth: 0.8, clip: true }, encoding: enc },
    { data: at(numbered), mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, color: '#777' }, encoding: { ...enc, x: { value: right }, text: { field: 'order' } } },
    { data: at(best), mark: { type: 'rule', color: LADDER_BEST, strokeWidth: 1.5, clip: true }, encoding: enc },
    { data: at(best), mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -LABEL_GAP, fontSize: LABEL_FONT, color: LADDER_BEST }, encoding: { ...enc, x: { value: right }, text: { field: 'label' } } },
  ].filter((layer) => layer.data.values.length > 0);
}

export function baselineLayers(data: ReportData, domain: [number, number]): object[] {
  if (data.baselines.length === 0) return ladderLayers(data, domain);
  const sides = labelSides(data.baselines.map((b) => b.bpc), domain, CURVES_HEIGHT);
  const values = data.baselines.map((b) => ({
    bpc: b.bpc,
    label: `Markov${b.order !== null ? ` order ${b.order}` : ''}: ${b.bpc.toFixed(3)} bpc`,
  }));
  const rule = {
    data: { values },
    mark: { type: 'rule', color: '#222', strokeDash: [6, 4], strokeWidth: 1.5 },
    encoding: { y: { field: 'bpc', type: 'quantitative' } },
  };
  const labels = (['below', 'above'] as const)
    .map((side) => ({ side, values: values.filter((_, i) => sides[i] === side) }))
    .filter((g) => g.values.length > 0)
    .map((g) => ({
      data: { values: g.values },
      mark: {
        type: 'text',
        align: 'left',
        baseline: g.side === 'below' ? 'top' : 'bottom',
        dx: 4,
        dy: g.side === 'below' ? LABEL_GAP : -LABEL_GAP,
        fontSize: LABEL_FONT,
        color: '#222',
      },
      encoding: { y: { field: 'bpc', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
    }));
  return [rule, ...labels, ...ladderLayers(data, domain)];
}

/** The curves' line and point layers: x = characters, y = bpc, colour = the knob's value, dash = series. */
export function curveLayers(points: CurvePoint[], label: string, values: KnobValue[], [lo, hi]: [number, number]): object[] {
  const color = { field: 'v', type: 'ordinal', title: label, scale: { domain: values, scheme: { name: 'viridis', extent: [0, 0.85] } } };
  const x = {
    field: 'chars',
    type: 'quantitative',
    title: 'training characters',
    axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" },
  };
  const y = { field: 'bpc', type: 'quantitative', title: 'bits per character', scale: { domain: [lo, hi], zero: false } };
  const series = { field: 'series', type: 'ordinal', title: 'series', sort: [HELD_OUT, TRAINING] };
  const bySeries = (range: unknown[]) => ({ ...series, scale: { domain: [HELD_OUT, TRAINING], range } });
  return [
    {
      data: { values: points },
      mark: { type: 'line', clip: true, interpolate: 'linear' },
      encoding: {
        x,
        y,
        color,
        detail: { field: 'run' },
        // One field drives dash, opacity and width, so vega-lite merges them into one "series" legend.
        strokeDash: bySeries([[1, 0], [4, 3]]),
        opacity: bySeries([1, 0.55]),
        strokeWidth: bySeries([2, 1.2]),
      },
    },
    {
      data: { values: points },
      transform: [{ filter: { field: 'series', equal: HELD_OUT } }],
      mark: { type: 'point', filled: true, size: 22, clip: true },
      encoding: { x, y, color, detail: { field: 'run' } },
    },
  ];
}

/** Every run's own curves in one plot, coloured by `knob` (the grouped plots average them). */
export function curvesSpec(data: ReportData, knob: Knob): PlotSpec {
  const label = KNOB_LABELS[knob];
  const points = curvePoints(data, knob);
  const domain = yDomain(data, points);
  const values = data.knobs.find((k) => k.knob === knob)?.values.map((v) => v.value) ?? [];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `bpc against training characters, by ${label}`, subtitle: `solid: ${curvePanelTitle(data.curveText)}; dashed: training (smoothed); black dashed rule: Markov baseline` },
    width: CURVES_WIDTH,
    height: CURVES_HEIGHT,
    config: CONFIG,
    layer: [...curveLayers(points, label, values, domain), ...baselineLayers(data, domain), ...rungRuleLayers(data.halving)],
    resolve: { scale: { y: 'shared', x: 'shared' } },
  };
  return {
    file: `plots/curves-runs.svg`,
    title: `Every run's curves, by ${label}`,
    caption:
      `Held-out bpc on ${curveLabel(data.curveText)} (solid, points where measured; the same characters at every point) and smoothed training bpc (dashed, smooth_loss_per_char / ln 2) ` +
      `against training characters for every run, one line each, coloured by ${label}; the black dashed rule is the Markov baseline.` +
      ladderCaption(data) +
      rungRuleCaption(data.halving) +
      (Number.isFinite(bpcCap(data)) ? ` The y axis stops at ${bpcCap(data).toFixed(1)} bpc (log2 of the vocabulary + 0.5): anything worse is cut off.` : ''),
    spec: spec as unknown as TopLevelSpec,
  };
}

/** Fill of a heat-map cell without a finished run. */
const EMPTY_CELL = '#f1f1f1';

/** The colour scale's domain: best to worst cell, saturating at the uniform-guess cap so one hopeless run does not wash out the rest. */
function heatDomain(data: ReportData): [number, number] {
  const bests = data.heatmap.map((c) => c.best).filter((b): b is number => b !== null);
  const lo = bests.length > 0 ? Math.min(...bests) : 0;
  const hi = bests.length > 0 ? Math.min(Math.max(...bests), bpcCap(data)) : 1;
  return hi > lo ? [lo, hi] : [lo, lo + 0.001];
}

/** The cells with their fill (as the clamped linear viridis scale draws it) and the ink that contrasts with it. */
function heatCells(data: ReportData, [lo, hi]: [number, number]) {
  const viridis = vega.scheme('viridis') as (t: number) => string;
  return data.heatmap.map((c) => {
    const fill = c.best === null ? EMPTY_CELL : viridis(Math.min(1, Math.max(0, (c.best - lo) / (hi - lo))));
    return {
      lr: c.learningRate,
      h: c.hiddenSize,
      best: c.best,
      label: c.best === null ? '—' : c.best.toFixed(3),
      runs: `${c.finished}/${c.runs} finished`,
      ink: inkOn(fill),
    };
  });
}

export function heatmapSpec(data: ReportData): PlotSpec {
  const domain = heatDomain(data);
  // Cells come in knob order (values ascending, or value ranges for knobs shown in bins).
  const order = (f: (c: ReportData['heatmap'][number]) => KnobValue) => [...new Set(data.heatmap.map(f))];
  const x = { field: 'lr', type: 'ordinal', title: 'learning rate', sort: order((c) => c.learningRate), axis: { labelAngle: 0 } };
  const y = { field: 'h', type: 'ordinal', title: 'hidden size', sort: order((c) => c.hiddenSize).reverse() };
  // The cell's ink as a test, not a field, so it stays out of the marks' aria labels.
  const ink = { condition: { test: `datum.ink === '${WHITE}'`, value: WHITE }, value: BLACK };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'best held-out bpc: learning rate × hidden size', subtitle: 'lower is better; — = no finished run' },
    width: { step: 96 },
    height: { step: 56 },
    config: CONFIG,
    data: { values: heatCells(data, domain) },
    layer: [
      { mark: { type: 'rect', color: EMPTY_CELL, stroke: 'white', strokeWidth: 2 }, encoding: { x, y } },
      {
        transform: [{ filter: 'datum.best !== null' }],
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: { x, y, color: { field: 'best', type: 'quantitative', title: 'best bpc', scale: { scheme: 'viridis', domain, clamp: true } } },
      },
      { mark: { type: 'text', fontSize: 13, fontWeight: 'bold', dy: -6 }, encoding: { x, y, text: { field: 'label' }, color: ink } },
      { mark: { type: 'text', fontSize: 10, dy: 10 }, encoding: { x, y, text: { field: 'runs' }, color: ink } },
    ],
  };
  return {
    file: 'plots/heatmap-lr-hidden.svg',
    title: 'Learning rate × hidden size',
    caption:
      'Best held-out bpc over the other knobs for each learning rate and hidden size (finished runs only; with several seeds, the best configuration\u2019s mean over its seeds)' +
      (Number.isFinite(bpcCap(data)) ? `; colours saturate at ${bpcCap(data).toFixed(1)} bpc.` : '.'),
    spec: spec as unknown as TopLevelSpec,
  };
}

/**
 * The report's plots: per shown knob, its grouped curves (mean and band per value); the parallel
 * coordinates of every knob against held-out bpc; the heat map; every run's own curves (unless
 * `everyRun` is false).
 */
export function plotSpecs(data: ReportData, opts: { everyRun?: boolean } = {}): PlotSpec[] {
  const knobs = data.knobs.map((k) => k.knob);
  const everyRun = (opts.everyRun ?? true) && knobs.length > 0;
  return [
    ...knobs.map((k) => groupedCurvesSpec(data, k)),
    parallelSpec(data),
    heatmapSpec(data),
    ...importanceSpec(data),
    ...(everyRun ? [curvesSpec(data, knobs[0])] : []),
  ];
}

/** Compile a Vega-Lite spec and render it to an SVG string in Node. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    const svg = (await view.toSVG()).replace(/^<\?xml[^>]*>\s*/, '');
    // vega escapes text and attribute values; this guards the page that inlines the SVG regardless.
    if (/<(script|foreignObject)\b/i.test(svg)) throw new Error('report: refusing a rendered plot that holds a script or foreignObject element');
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Give the SVG's element ids deterministic names unique to this plot: vega numbers clip paths and
 * gradients with a per-process counter, so the same report would otherwise differ from run to run,
 * and several SVGs inlined in one HTML page must not share an id. References (url(#..), href="#..")
 * are renamed with them.
 */
export function namespaceIds(svg: string, prefix: string): string {
  const renamed = new Map<string, string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!renamed.has(m[1])) renamed.set(m[1], `${prefix}-${renamed.size + 1}`);
  if (renamed.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_whole, a: string, id: string) => `${a}${renamed.get(id) ?? id}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (renamed.has(id) ? `url(#${renamed.get(id)})` : whole))
    .replace(/(href=")#([^"]+)"/g, (whole, a: string, id: string) => (renamed.has(id) ? `${a}#${renamed.get(id)}"` : whole));
}

export async function renderPlots(data: ReportData): Promise<RenderedPlot[]> {
  const out: RenderedPlot[] = [];
  for (const p of plotSpecs(data)) {
    const slug = p.file.replace(/^plots\//, '').replace(/\.svg$/, '');
    const svg = namespaceIds(await renderSvg(p.spec), slug);
    out.push({ file: p.file, title: p.title, caption: p.caption, svg });
  }
  return out;
}
