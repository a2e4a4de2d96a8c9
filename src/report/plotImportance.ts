/**
 * Parameter importance as a plot (pure): one bar per varying knob, its share of the variance of
 * held-out bpc (src/report/importance.ts), with its bootstrap 95 % interval as a rule.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, type PlotSpec } from './plotKit.js';
import { IMPORTANCE_PROSE, importanceBasis } from './importance.js';
import type { ReportData } from './types.js';

export function importanceSpec(data: ReportData): PlotSpec[] {
  const imp = data.importance;
  if (!imp) return [];
  const values = imp.knobs.map((k) => ({ knob: k.label, share: k.importance, lo: k.lo, hi: k.hi }));
  const y = { field: 'knob', type: 'nominal', title: null, sort: imp.knobs.map((k) => k.label) };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'parameter importance (fANOVA)',
      subtitle: `share of the variance of held-out bpc at ${imp.budgetChars.toLocaleString('en-US')} characters`,
    },
    width: 420,
    height: { step: 28 },
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y,
          x: {
            field: 'share',
            type: 'quantitative',
            title: 'share of variance',
            axis: { format: '.0%' },
            scale: { domain: [0, 1] },
          },
        },
      },
      {
        mark: { type: 'rule', color: '#222', strokeWidth: 1.5 },
        encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: {
          y,
          x: { field: 'hi', type: 'quantitative' },
          text: { field: 'share', type: 'quantitative', format: '.0%' },
        },
      },
    ],
  };
  return [
    {
      file: 'plots/importance.svg',
      title: 'Parameter importance',
      caption: `${IMPORTANCE_PROSE} ${importanceBasis(imp)} Bars: the estimate; black rules: the bootstrap interval.`,
      spec: spec as unknown as TopLevelSpec,
    },
  ];
}
