/**
 * Parallel coordinates (pure): one vertical axis per shown knob and a last one for held-out bpc,
 * one line per finished run through its values, coloured by its held-out bpc. Each axis maps its
 * values to 0..1: a knob with few distinct values (a grid: at most EVEN_MAX) spaces them evenly in
 * order; one with many (random search) places them by value, on a log scale when they are all
 * positive and span a factor of 10 or more; held-out bpc is linear from the best run to the worst
 * (capped at the plots' cap).
 */
import type { TopLevelSpec } from 'vega-lite';
import { cmpKnobValue } from '../results/knobs.js';
import { fmtKnob } from './tableColumns.js';
import { bpcCap, CONFIG, type PlotSpec } from './plotKit.js';
import type { KnobValue, LeaderboardEntry, ReportData } from './types.js';
import { KNOB_LABELS } from './types.js';

const EVEN_MAX = 8;
const BPC_AXIS = 'held-out bpc';

export interface Axis {
  name: string;
  /** Where a value sits on the axis, 0 (bottom) .. 1 (top). */
  pos: (v: KnobValue) => number;
  ticks: Array<{ pos: number; label: string }>;
}

/** An axis for one knob's values. */
export function knobAxis(name: string, values: readonly KnobValue[]): Axis {
  const distinct = [...new Set(values)].sort(cmpKnobValue);
  const numeric = distinct.every((v): v is number => typeof v === 'number');
  if (!numeric || distinct.length <= EVEN_MAX) {
    const at = (v: KnobValue) => (distinct.length === 1 ? 0.5 : distinct.indexOf(v) / (distinct.length - 1));
    return { name, pos: at, ticks: distinct.map((v) => ({ pos: at(v), label: fmtKnob(v) })) };
  }
  const lo = distinct[0];
  const hi = distinct[distinct.length - 1];
  const log = lo > 0 && hi / lo >= 10;
  const f = (v: number) => (log ? Math.log(v) : v);
  const at = (v: KnobValue) => (f(v as number) - f(lo)) / (f(hi) - f(lo));
  const mid = log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
  return {
    name: `${name}${log ? ' (log)' : ''}`,
    pos: at,
    ticks: [lo, Number(mid.toPrecision(2)), hi].map((v) => ({ pos: at(v), label: fmtKnob(v) })),
  };
}

export function parallelRows(data: ReportData): {
  axes: Axis[];
  rows: Array<{ run: string; axis: string; pos: number; bpc: number }>;
} {
  const runs = data.leaderboard.filter(
    (e): e is LeaderboardEntry & { valBpc: number } => e.rank !== null && e.valBpc !== null,
  );
  const axes = data.knobs.map((k) =>
    knobAxis(
      KNOB_LABELS[k.knob],
      runs.map((e) => e[k.knob]),
    ),
  );
  const cap = bpcCap(data);
  const bpcs = runs.map((e) => Math.min(e.valBpc, cap));
  const lo = Math.min(...bpcs);
  const hi = Math.max(...bpcs);
  const at = (b: number) => (hi > lo ? (Math.min(b, cap) - lo) / (hi - lo) : 0.5);
  const bpcAxis: Axis = {
    name: BPC_AXIS,
    pos: (v) => at(v as number),
    ticks: runs.length === 0 ? [] : [lo, (lo + hi) / 2, hi].map((b) => ({ pos: at(b), label: b.toFixed(3) })),
  };
  const rows = runs.flatMap((e) => [
    ...data.knobs.map((k, i) => ({ run: e.runId, axis: axes[i].name, pos: axes[i].pos(e[k.knob]), bpc: e.valBpc })),
    { run: e.runId, axis: BPC_AXIS, pos: bpcAxis.pos(e.valBpc), bpc: e.valBpc },
  ]);
  return { axes: [...axes, bpcAxis], rows };
}

export function parallelSpec(data: ReportData): PlotSpec {
  const { axes, rows } = parallelRows(data);
  const order = axes.map((a) => a.name);
  const x = {
    field: 'axis',
    type: 'nominal',
    sort: order,
    title: null,
    scale: { type: 'point', padding: 0.2 },
    axis: { orient: 'bottom', labelAngle: 0, labelFontWeight: 'bold', domain: false, ticks: false },
  };
  // A little room below 0 so the bottom values' labels clear the axis names.
  const y = { field: 'pos', type: 'quantitative', axis: null, scale: { domain: [-0.07, 1.02] } };
  const ticks = axes.flatMap((a) => a.ticks.map((t) => ({ axis: a.name, pos: t.pos, label: t.label })));
  const finite = Number.isFinite(bpcCap(data));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'every knob against held-out bpc',
      subtitle: 'one line per finished run; colour: its held-out bpc (dark: better)',
    },
    width: Math.max(320, 150 * axes.length),
    height: 300,
    config: CONFIG,
    layer: [
      {
        data: { values: axes.map((a) => ({ axis: a.name })) },
        mark: { type: 'rule', color: '#888' },
        encoding: { x, y: { ...y, field: undefined, datum: 0 }, y2: { datum: 1 } },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.5, opacity: 0.75 },
        encoding: {
          x,
          y,
          detail: { field: 'run' },
          color: { field: 'bpc', type: 'quantitative', title: 'held-out bpc', scale: { scheme: 'viridis' } },
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 10, color: '#222' },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  };
  return {
    file: 'plots/parallel-coordinates.svg',
    title: 'Parallel coordinates',
    caption:
      'Each finished run is one line through its value of every knob and its held-out bpc (last axis, best run at the bottom), coloured by that bpc. ' +
      `Knobs with at most ${EVEN_MAX} values space them evenly; with more (random search), by value (log scale when they span a factor of 10).` +
      (finite ? ` Held-out bpc is capped at ${bpcCap(data).toFixed(1)}.` : ''),
    spec: spec as unknown as TopLevelSpec,
  };
}
