/**
 * Knobs with many values (random search draws a new value per sample) are shown in bins: per-knob
 * tables, grouped curves and the heat map need a handful of groups to be readable. A knob with at
 * most MAX_VALUES distinct values keeps them; one with more is cut into BINS ranges holding about
 * the same number of distinct values each, labelled "low–high".
 */
import { cmpKnobValue } from '../results/knobs.js';
import { fmtKnob } from './tableColumns.js';
import type { KnobValue } from './types.js';

export const MAX_VALUES = 8;
export const BINS = 4;

export interface Binning {
  /** The groups in order (the values themselves, or range labels). */
  groups: KnobValue[];
  /** The group a value belongs to. */
  of: (v: KnobValue) => KnobValue;
}

export function binning(values: readonly KnobValue[]): Binning {
  const distinct = [...new Set(values)].sort(cmpKnobValue);
  if (distinct.length <= MAX_VALUES || !distinct.every((v) => typeof v === 'number'))
    return { groups: distinct, of: (v) => v };
  const per = distinct.length / BINS;
  const bins = Array.from({ length: BINS }, (_, i) => distinct.slice(Math.round(i * per), Math.round((i + 1) * per)));
  const labels = bins.map((b) => `${fmtKnob(b[0])}–${fmtKnob(b[b.length - 1])}`);
  const where = new Map<KnobValue, string>();
  bins.forEach((b, i) => b.forEach((v) => where.set(v, labels[i])));
  return { groups: labels, of: (v) => where.get(v) ?? v };
}
