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
import type { Knob, KnobValue, RenderedPlot, ReportData } from './types.js';
import { KNOB_LABELS } from './types.js';
import { groupedCurvesSpec } from './plotCurves.js';
import { parallelSpec } from './plotParallel.js';
import { importanceSpec } from './plotImportance.js';
import { BLACK, inkOn, WHITE } from './contrast.js';
import { curveLabel, curvePanelTitle } from './curveText.js';
import { ladderCaption } from './ladder.js';
import { rungRuleCaption, rungRuleLayers } from './halving.js';
import {
  baselineLayers,
  bpcCap,
  CONFIG,
  curveLayers,
  curvePoints,
  CURVES_HEIGHT,
  CURVES_WIDTH,
  yDomain,
  type PlotSpec,
} from './plotKit.js';

/** Every run's own curves in one plot, coloured by `knob` (the grouped plots average them). */
export function curvesSpec(data: ReportData, knob: Knob): PlotSpec {
  const label = KNOB_LABELS[knob];
  const points = curvePoints(data, knob);
  const domain = yDomain(data, points);
  const values = data.knobs.find((k) => k.knob === knob)?.values.map((v) => v.value) ?? [];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `bpc against training characters, by ${label}`,
      subtitle: `solid: ${curvePanelTitle(data.curveText)}; dashed: training (smoothed); black dashed rule: Markov baseline`,
    },
    width: CURVES_WIDTH,
    height: CURVES_HEIGHT,
    config: CONFIG,
    layer: [
      ...curveLayers(points, label, values, domain),
      ...baselineLayers(data, domain),
      ...rungRuleLayers(data.halving),
    ],
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
      (Number.isFinite(bpcCap(data))
        ? ` The y axis stops at ${bpcCap(data).toFixed(1)} bpc (log2 of the vocabulary + 0.5): anything worse is cut off.`
        : ''),
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
  const x = {
    field: 'lr',
    type: 'ordinal',
    title: 'learning rate',
    sort: order((c) => c.learningRate),
    axis: { labelAngle: 0 },
  };
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
        encoding: {
          x,
          y,
          color: {
            field: 'best',
            type: 'quantitative',
            title: 'best bpc',
            scale: { scheme: 'viridis', domain, clamp: true },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 13, fontWeight: 'bold', dy: -6 },
        encoding: { x, y, text: { field: 'label' }, color: ink },
      },
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
 * The report's plots: per knob that takes two values or more, its grouped curves (mean and band per
 * value); the parallel coordinates of every knob against held-out bpc (two configurations or more);
 * the heat map (two cells or more); every run's own curves, coloured by the first knob that varies
 * (unless `everyRun` is false). A plot with one group, one line or one cell would say nothing the
 * leaderboard does not.
 */
export function plotSpecs(data: ReportData, opts: { everyRun?: boolean } = {}): PlotSpec[] {
  const knobs = data.knobs.map((k) => k.knob);
  const varying = data.knobs.filter((k) => k.values.length >= 2).map((k) => k.knob);
  const everyRun = (opts.everyRun ?? true) && knobs.length > 0;
  return [
    ...varying.map((k) => groupedCurvesSpec(data, k)),
    ...(data.grouping.configs.length >= 2 ? [parallelSpec(data)] : []),
    ...(data.heatmap.length >= 2 ? [heatmapSpec(data)] : []),
    ...importanceSpec(data),
    ...(everyRun ? [curvesSpec(data, varying[0] ?? knobs[0])] : []),
  ];
}

/** Compile a Vega-Lite spec and render it to an SVG string in Node. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    const svg = (await view.toSVG()).replace(/^<\?xml[^>]*>\s*/, '');
    // vega escapes text and attribute values; this guards the page that inlines the SVG regardless.
    if (/<(script|foreignObject)\b/i.test(svg))
      throw new Error('report: refusing a rendered plot that holds a script or foreignObject element');
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
  for (const m of svg.matchAll(/\sid="([^"]+)"/g))
    if (!renamed.has(m[1])) renamed.set(m[1], `${prefix}-${renamed.size + 1}`);
  if (renamed.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_whole, a: string, id: string) => `${a}${renamed.get(id) ?? id}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (renamed.has(id) ? `url(#${renamed.get(id)})` : whole))
    .replace(/(href=")#([^"]+)"/g, (whole, a: string, id: string) =>
      renamed.has(id) ? `${a}#${renamed.get(id)}"` : whole,
    );
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
