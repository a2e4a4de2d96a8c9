/**
 * Curves grouped by a knob (pure): at 36 runs and more, one line per run is a tangle, so the runs
 * sharing a value of the knob become one mean line with a band (their middle half: the 25th to
 * 75th percentile across the runs), in two panels side by side: held-out bpc and smoothed training
 * bpc against training characters. Each run's curve is linearly interpolated onto the characters
 * where any run of the group was measured; values above the plot's cap (a diverged run) count at
 * the cap, so one hopeless run cannot drag a mean off the plot.
 */
import { ladderCaption } from './ladder.js';
import { curveLabel, curvePanelTitle } from './curveText.js';
import type { TopLevelSpec } from 'vega-lite';
import { binning } from './bins.js';
import { mean } from '../util/stats.js';
import {
  baselineLayers,
  bpcCap,
  CONFIG,
  CURVES_HEIGHT,
  HELD_OUT,
  MAX_POINTS,
  TRAINING,
  yDomain,
  type PlotSpec,
} from './plotKit.js';
import { thin } from '../util/thin.js';
import type { Knob, KnobValue, ReportData } from './types.js';
import { KNOB_LABELS, KNOB_SLUGS } from './types.js';

export interface BandPoint {
  v: KnobValue;
  series: string;
  chars: number;
  mean: number;
  lo: number;
  hi: number;
  /** Runs that reach this point. */
  runs: number;
}

type Curve = Array<[number, number]>; // (chars, bpc), chars ascending

/** Linear interpolation of a curve at x; null outside its range. */
export function interpolate(c: Curve, x: number): number | null {
  if (c.length === 0 || x < c[0][0] || x > c[c.length - 1][0]) return null;
  let i = 0;
  while (c[i][0] < x) i++;
  if (c[i][0] === x) return c[i][1];
  const [x0, y0] = c[i - 1];
  const [x1, y1] = c[i];
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/** The q-quantile (0..1) of sorted values, linear between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (pos - i) : sorted[i];
}

/** Each run's two curves (held-out, smoothed training), values capped. */
function runCurves(data: ReportData, runId: string, cap: number): Record<string, Curve> {
  const rows = data.curves.get(runId) ?? [];
  const c = (y: number) => Math.min(y, cap);
  return {
    [HELD_OUT]: rows
      .filter((r) => r.valBpc !== null && Number.isFinite(r.valBpc))
      .map((r) => [r.chars, c(r.valBpc as number)]),
    [TRAINING]: rows
      .filter((r) => r.smoothLossPerChar !== null && Number.isFinite(r.smoothLossPerChar))
      .map((r) => [r.chars, c((r.smoothLossPerChar as number) / Math.LN2)]),
  };
}

/** Mean and middle half per knob value, series and measured point. */
export function bandPoints(data: ReportData, knob: Knob): BandPoint[] {
  const cap = bpcCap(data);
  const bins = binning([...data.facts.grid[knob], ...data.leaderboard.map((e) => e[knob])]);
  const out: BandPoint[] = [];
  for (const v of bins.groups) {
    const curves = data.leaderboard
      .filter((e) => bins.of(e[knob]) === v && data.curves.has(e.runId))
      .map((e) => runCurves(data, e.runId, cap));
    for (const series of [HELD_OUT, TRAINING]) {
      const xs = thin(
        [...new Set(curves.flatMap((c) => c[series].map(([x]) => x)))].sort((a, b) => a - b),
        MAX_POINTS,
      );
      for (const chars of xs) {
        const ys = curves
          .map((c) => interpolate(c[series], chars))
          .filter((y): y is number => y !== null)
          .sort((a, b) => a - b);
        if (ys.length > 0)
          out.push({
            v,
            series,
            chars,
            mean: mean(ys),
            lo: quantile(ys, 0.25),
            hi: quantile(ys, 0.75),
            runs: ys.length,
          });
      }
    }
  }
  return out;
}

const PANEL_WIDTH = 400;

function panel(
  data: ReportData,
  points: BandPoint[],
  series: string,
  label: string,
  values: KnobValue[],
  domain: [number, number],
): object {
  const color = {
    field: 'v',
    type: 'ordinal',
    title: label,
    scale: { domain: values, scheme: { name: 'viridis', extent: [0, 0.85] } },
    legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 },
  };
  const x = {
    field: 'chars',
    type: 'quantitative',
    title: 'training characters',
    axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" },
  };
  const y = { field: 'mean', type: 'quantitative', title: 'bits per character', scale: { domain, zero: false } };
  const mine = { values: points.filter((p) => p.series === series) };
  const layers: object[] = [
    {
      data: mine,
      mark: { type: 'area', opacity: 0.2, clip: true },
      encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
    },
    {
      data: mine,
      mark: { type: 'line', clip: true, strokeWidth: 2, strokeDash: series === HELD_OUT ? [1, 0] : [4, 3] },
      encoding: { x, y, color },
    },
  ];
  if (series === HELD_OUT)
    layers.push({ data: mine, mark: { type: 'point', filled: true, size: 22, clip: true }, encoding: { x, y, color } });
  return {
    title: series === HELD_OUT ? curvePanelTitle(data.curveText) : 'training (smoothed)',
    width: PANEL_WIDTH,
    height: CURVES_HEIGHT,
    layer: [...layers, ...baselineLayers(data, domain)],
  };
}

export function groupedCurvesSpec(data: ReportData, knob: Knob): PlotSpec {
  const label = KNOB_LABELS[knob];
  const points = bandPoints(data, knob);
  const domain = yDomain(
    data,
    points.flatMap((p) => [{ bpc: p.lo }, { bpc: p.hi }]),
  );
  const values = data.knobs.find((k) => k.knob === knob)?.values.map((v) => v.value) ?? [];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `bpc against training characters, by ${label}`,
      subtitle:
        'line: mean over the runs at each value; band: their middle half (25th–75th percentile); black dashed rule: Markov baseline',
    },
    config: CONFIG,
    hconcat: [HELD_OUT, TRAINING].map((s) => panel(data, points, s, label, values, domain)),
    resolve: { scale: { x: 'shared', y: 'shared', color: 'shared' } },
  };
  return {
    file: `plots/curves-by-${KNOB_SLUGS[knob]}.svg`,
    title: `Curves by ${label}`,
    caption:
      `Held-out bpc on ${curveLabel(data.curveText)} (left) and smoothed training bpc (right, smooth_loss_per_char / ln 2) against training characters, the runs grouped by ${label}: ` +
      'the line is their mean, the band the middle half of the runs (25th to 75th percentile), each run interpolated onto the points where the group was measured; ' +
      'the black dashed rule is the Markov baseline.' +
      ladderCaption(data) +
      (Number.isFinite(bpcCap(data))
        ? ` Values above ${bpcCap(data).toFixed(1)} bpc (log2 of the vocabulary + 0.5) count at that cap.`
        : '') +
      ' Every run\u2019s own curve is in plots/curves-runs.svg.',
    spec: spec as unknown as TopLevelSpec,
  };
}
