/**
 * The charts a served page embeds with vega-embed: the report's own plots (src/report/plots.ts),
 * and the overlay of the runs a person picked — their held-out and smoothed training curves, the
 * Markov baselines as rules — built from the same layers as the report's every-run plot.
 */
import { createHash } from 'node:crypto';
import type { TopLevelSpec } from 'vega-lite';
import { baselineLayers, CONFIG, curveLayers, runCurvePoints, yDomain, type PlotSpec } from '../report/plotKit.js';
import { plotSpecs } from '../report/plots.js';
import { tableContext } from '../report/tableColumns.js';
import type { ReportData } from '../report/types.js';

/** Above this many runs the every-run plot is left out of the page (the overlay of picked runs stands in for it). */
export const MAX_RUNS_PLOTTED = 100;
/** At most this many runs go into one overlay. */
export const MAX_PICKED_RUNS = 24;

export interface Chart {
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
  /** Changes when the spec does: the page re-draws only the charts that changed. */
  hash: string;
}

export function chartOf(name: string, title: string, caption: string, spec: TopLevelSpec): Chart {
  return {
    name,
    title,
    caption,
    spec,
    hash: createHash('sha1').update(JSON.stringify(spec)).digest('hex').slice(0, 16),
  };
}

/** The report's plots for the folder's page (the every-run plot only while it stays readable). */
export function folderCharts(data: ReportData): Chart[] {
  return plotSpecs(data, { everyRun: data.leaderboard.length <= MAX_RUNS_PLOTTED }).map((p: PlotSpec) =>
    chartOf(p.file.replace(/^plots\//, '').replace(/\.svg$/, ''), p.title, p.caption, p.spec),
  );
}

/** What was picked: a run, or a configuration (its runs, one line each, one colour). */
export interface Pick {
  label: string;
  runIds: string[];
}

/** The picks among `runs` and `configs` (ids the folder knows; others are ignored), at most MAX_PICKED_RUNS runs. */
export function picksOf(data: ReportData, runs: readonly string[], configs: readonly string[]): Pick[] {
  const known = new Set(data.leaderboard.map((e) => e.runId));
  const short = tableContext(data).short; // the leaderboard's names: what differs
  const picks: Pick[] = [
    ...runs.filter((id) => known.has(id)).map((id) => ({ label: short.get(id) ?? id, runIds: [id] })),
    ...data.grouping.configs
      .filter((c) => configs.includes(c.configId))
      .map((c) => ({ label: short.get(c.configId) ?? c.configId, runIds: c.runIds })),
  ];
  let left = MAX_PICKED_RUNS;
  const out: Pick[] = [];
  for (const p of picks) {
    const runIds = p.runIds.slice(0, left);
    left -= runIds.length;
    if (runIds.length > 0) out.push({ ...p, runIds });
  }
  return out;
}

/** The picked runs' curves overlaid: colour = the pick, solid = held-out, dashed = training (smoothed). */
export function compareSpec(data: ReportData, picks: readonly Pick[], title = 'picked runs'): TopLevelSpec {
  const labelOf = new Map(picks.flatMap((p) => p.runIds.map((id) => [id, p.label] as const)));
  const entries = data.leaderboard.filter((e) => labelOf.has(e.runId));
  const points = runCurvePoints(data, entries, (e) => labelOf.get(e.runId) as string);
  const domain = yDomain(data, points);
  const layers = curveLayers(
    points,
    'run',
    picks.map((p) => p.label),
    domain,
  ).map((l) => withCategoryColours(l));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `bpc against training characters: ${title}`,
      subtitle: 'solid: held-out; dashed: training (smoothed); rules: Markov baselines',
    },
    width: 'container',
    height: 320,
    config: { ...CONFIG, legend: { ...CONFIG.legend, orient: 'bottom', columns: 2 } },
    layer: [...layers, ...baselineLayers(data, domain)],
    resolve: { scale: { y: 'shared', x: 'shared' } },
  };
  return spec as unknown as TopLevelSpec;
}

/** A layer with its colour scale switched from the report's ordered viridis to distinct colours (picks have no order). */
function withCategoryColours(layer: object): object {
  const l = layer as { encoding?: { color?: { scale?: object } } };
  const color = l.encoding?.color;
  if (!color?.scale) return layer;
  return {
    ...l,
    encoding: { ...l.encoding, color: { ...color, type: 'nominal', scale: { ...color.scale, scheme: 'tableau10' } } },
  };
}
