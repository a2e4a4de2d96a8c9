/**
 * The plots' shared vocabulary: the spec type, the look (CONFIG, series names, sizes), the curve
 * points of runs and the layers every curve plot draws (held-out and training lines, the Markov
 * baselines and the ladder as reference rules, label placement). Pure; src/report/plots.ts and the
 * plot modules (plotCurves, plotParallel, plotImportance) and the live view (src/serve/specs.ts) build on it.
 */
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { Knob, KnobValue, LeaderboardEntry, PlotFile, ReportData } from './types.js';
import { thin } from '../util/thin.js';

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
export function runCurvePoints(
  data: ReportData,
  entries: readonly LeaderboardEntry[],
  v: (e: LeaderboardEntry) => KnobValue,
): CurvePoint[] {
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
      points.push({
        run: e.runId,
        v: v(e),
        series: TRAINING,
        chars: r.chars,
        bpc: (r.smoothLossPerChar as number) / Math.LN2,
      });
    }
  }
  return points;
}

/** log2(vocabulary) + 0.5 bpc: a little worse than guessing uniformly; plots cut there. Infinity if the vocabulary is unknown. */
export function bpcCap(data: ReportData): number {
  return data.vocabSize !== null && data.vocabSize > 1 ? Math.log2(data.vocabSize) + 0.5 : Number.POSITIVE_INFINITY;
}

/** vega's linear scale (d3's), typed as yDomain uses it: vega's own types leave the factory `any`. */
interface LinearScale {
  domain(d: [number, number]): LinearScale;
  domain(): [number, number];
  nice(): LinearScale;
}
const linearScale = vega.scale('linear') as () => LinearScale;

/** y range: everything measured and the baselines, cut at bpcCap so a diverging run cannot flatten the rest. */
export function yDomain(data: ReportData, points: Array<{ bpc: number }>): [number, number] {
  const ys = [
    ...points.map((p) => p.bpc),
    ...data.baselines.map((b) => b.bpc),
    ...(data.ladder?.best?.valBpc != null ? [data.ladder.best.valBpc] : []),
  ];
  if (ys.length === 0) return [0, 8];
  let lo = Math.min(...ys);
  let hi = Math.min(Math.max(...ys), bpcCap(data));
  if (hi <= lo) hi = lo + 1;
  lo = Math.max(0, Math.floor((lo - 0.05 * (hi - lo)) * 10) / 10);
  hi = Math.ceil((hi + 0.02 * (hi - lo)) * 10) / 10;
  // Rounded outwards as the plot's scale rounds it (nice: true), so the spec knows where each value is drawn.
  const [niceLo, niceHi] = linearScale().domain([lo, hi]).nice().domain();
  return [niceLo, niceHi];
}

/** Size of the curves plots' data area, in pixels. */
export const CURVES_WIDTH = 640;
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
    side === 'below'
      ? [y(b) + LABEL_GAP, y(b) + LABEL_GAP + LABEL_FONT]
      : [y(b) - LABEL_GAP - LABEL_FONT, y(b) - LABEL_GAP];
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
  for (const r of rows)
    if (numbered.every((n) => Math.abs(y(n.valBpc as number) - y(r.valBpc as number)) >= LABEL_FONT)) numbered.push(r);
  const enc = { y: { field: 'bpc', type: 'quantitative' } };
  const at = (rs: typeof rows) => ({
    values: rs.map((r) => ({
      bpc: r.valBpc,
      order: String(r.order),
      label: `best Markov: order ${r.order}, ${(r.valBpc as number).toFixed(3)} bpc`,
    })),
  });
  const right = { expr: 'width' };
  const best = rows.filter((r) => r === l.best);
  return [
    { data: at(rows), mark: { type: 'rule', color: '#999', strokeWidth: 0.8, clip: true }, encoding: enc },
    {
      data: at(numbered),
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 3, fontSize: 9, color: '#777' },
      encoding: { ...enc, x: { value: right }, text: { field: 'order' } },
    },
    { data: at(best), mark: { type: 'rule', color: LADDER_BEST, strokeWidth: 1.5, clip: true }, encoding: enc },
    {
      data: at(best),
      mark: {
        type: 'text',
        align: 'right',
        baseline: 'bottom',
        dx: -4,
        dy: -LABEL_GAP,
        fontSize: LABEL_FONT,
        color: LADDER_BEST,
      },
      encoding: { ...enc, x: { value: right }, text: { field: 'label' } },
    },
  ].filter((layer) => layer.data.values.length > 0);
}

export function baselineLayers(data: ReportData, domain: [number, number]): object[] {
  if (data.baselines.length === 0) return ladderLayers(data, domain);
  const sides = labelSides(
    data.baselines.map((b) => b.bpc),
    domain,
    CURVES_HEIGHT,
  );
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
export function curveLayers(
  points: CurvePoint[],
  label: string,
  values: KnobValue[],
  [lo, hi]: [number, number],
): object[] {
  const color = {
    field: 'v',
    type: 'ordinal',
    title: label,
    scale: { domain: values, scheme: { name: 'viridis', extent: [0, 0.85] } },
  };
  const x = {
    field: 'chars',
    type: 'quantitative',
    title: 'training characters',
    axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" },
  };
  const y = {
    field: 'bpc',
    type: 'quantitative',
    title: 'bits per character',
    scale: { domain: [lo, hi], zero: false },
  };
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
        strokeDash: bySeries([
          [1, 0],
          [4, 3],
        ]),
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
