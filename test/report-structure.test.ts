/**
 * The report's structure and its plots' legibility: expected runs come from the sweep's grid
 * expansion, the sweep facts are described once for both renderers, no function in src/report is
 * long, heat-map text contrasts with its cell, and the Markov baseline's label stays inside the plot.
 */
import { knobDefaults } from '../src/results/knobs.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expandGrid } from '../src/sweep/grid.js';
import { buildReportData } from '../src/report/data.js';
import { contrastRatio } from '../src/report/contrast.js';
import { factGroups } from '../src/report/facts.js';
import { escapeHtml, mdText } from '../src/report/format.js';
import { renderHtml } from '../src/report/html.js';
import { readFolder } from '../src/report/io.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { labelSides } from '../src/report/plotKit.js';
import { curvesSpec, heatmapSpec, renderSvg } from '../src/report/plots.js';
import type { CurveRow, FolderTables, Manifest, ReportData, SummaryRow } from '../src/report/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const REPORT_SRC = join(ROOT, 'src', 'report');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'report');

function row(
  hiddenSize: number,
  learningRate: number,
  valBpc: number | null,
  over: Partial<SummaryRow> = {},
): SummaryRow {
  const runId = `h${hiddenSize}-u8-c5-lr${learningRate}-s1`;
  return {
    ...knobDefaults(),
    runId,
    hiddenSize,
    unroll: 8,
    clip: 5,
    learningRate,
    seed: '1',
    backend: 'wasm',
    status: valBpc === null ? 'diverged' : 'done',
    iterations: 1000,
    chars: 8000,
    smoothLossPerChar: 2,
    valBpc,
    markovOrder: 3,
    markovValBpc: 2.2,
    wallS: 1,
    charsPerS: 8000,
    divergedAtIteration: valBpc === null ? 10 : null,
    error: '',
    params: null,
    bestValBpc: null,
    bestValChars: null,
    curveValChars: null,
    stoppedEarly: null,
    source: `synthetic/summary.csv:${runId}`,
    ...over,
  };
}

function folder(summary: SummaryRow[], curves: CurveRow[] = [], manifest: Manifest | null = null): FolderTables {
  return { dir: 'synthetic', manifest, summary, curves, samples: [], notes: [] };
}

describe('one home for run ids and grid expansion', () => {
  it("lists a manifest's unfinished runs with the sweep's own ids, in the sweep's order", () => {
    const experiment = {
      grid: { hiddenSize: [32, 16], unroll: [8], clip: [1, 5], learningRate: [0.1, 0.05] },
      seeds: [2, 1],
    };
    const done = row(16, 0.05, 2.5); // h16-u8-c5-lr0.05-s1
    const data = buildReportData([folder([done], [], { experiment })]);
    const sweepIds = expandGrid(experiment).map((r) => r.id);
    expect(new Set(data.leaderboard.map((e) => e.runId))).toEqual(new Set(sweepIds));
    expect(data.leaderboard).toHaveLength(sweepIds.length);
    const missing = data.leaderboard.filter((e) => e.status === 'missing');
    expect(missing.map((e) => e.runId)).toEqual(
      expandGrid({ grid: { ...experiment.grid, hiddenSize: [16, 32], learningRate: [0.05, 0.1] }, seeds: [1, 2] }) // sorted
        .map((r) => r.id)
        .filter((id) => id !== done.runId),
    );
    expect(data.facts.seeds).toEqual(['1', '2']);
  });

  it('src/report has no barrel, no model.ts and no run-id or grid code of its own', () => {
    expect(existsSync(join(REPORT_SRC, 'index.ts'))).toBe(false);
    expect(existsSync(join(REPORT_SRC, 'model.ts'))).toBe(false);
    for (const f of readdirSync(REPORT_SRC)) {
      const text = readFileSync(join(REPORT_SRC, f), 'utf8');
      expect(text, f).not.toMatch(/`h\$\{/); // a run id template
      expect(text, f).not.toMatch(/function median\b/);
    }
  });
});

describe('the sweep facts, described once', () => {
  it('Markdown and HTML show the same facts, label for label', async () => {
    const data = buildReportData([
      await readFolder(join(FIXTURES, 'shard-a')),
      await readFolder(join(FIXTURES, 'shard-b')),
    ]);
    const groups = factGroups(data);
    const md = renderMarkdown(data, []);
    const html = renderHtml(data, []);
    const mdFacts = md.slice(md.indexOf('## Sweep facts'), md.indexOf('### Reading notes'));
    const htmlFacts = html.slice(html.indexOf('<h2>Sweep facts</h2>'), html.indexOf('<h2>Reading notes</h2>'));
    const items = groups.flatMap((g) => g.items);
    expect(items.length).toBeGreaterThan(15);
    for (const g of groups) {
      expect(mdFacts).toContain(`### ${g.title}`);
      expect(htmlFacts).toContain(`<h3>${escapeHtml(g.title)}</h3>`);
    }
    for (const i of items) {
      expect(mdFacts).toContain(`- ${mdText(i.label)}: ${mdText(i.value)}\n`);
      expect(htmlFacts).toContain(`<dt>${escapeHtml(i.label)}</dt><dd>${escapeHtml(i.value)}</dd>`);
    }
    expect(mdFacts.match(/^- /gm)).toHaveLength(items.length);
    expect(htmlFacts.match(/<dt>/g)).toHaveLength(items.length);
    // Both folders' machines, and the hostile CPU name escaped in each.
    expect(items.filter((i) => i.label.endsWith('shard-a') || i.label.endsWith('shard-b'))).toHaveLength(2);
    expect(htmlFacts).toContain('Test CPU A &lt;b&gt;@&lt;/b&gt;');
  });
});

// ---- plots ----

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
}

/** The rect marks of a rendered heat map (vega draws each as a path "Mx,yhWvHh-WZ"), in drawing order. */
function cellsOf(svg: string): Box[] {
  return [
    ...svg.matchAll(
      /<path [^>]*aria-roledescription="rect mark" d="M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)[^"]*" fill="([^"]+)"/g,
    ),
  ].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    w: Number(m[3]),
    h: Number(m[4]),
    fill: m[5],
  }));
}

/** Each text mark's anchor, fill and content. */
function textsOf(svg: string): Array<{ x: number; y: number; fill: string; text: string }> {
  return [
    ...svg.matchAll(
      /<text [^>]*aria-roledescription="text mark"[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*fill="([^"]+)"[^>]*>([^<]*)<\/text>/g,
    ),
  ].map((m) => ({ x: Number(m[1]), y: Number(m[2]), fill: m[3], text: m[4] }));
}

/** For every text in the heat map: its contrast against the cell drawn last under it. */
async function heatmapContrasts(data: ReportData): Promise<Array<{ text: string; ratio: number }>> {
  const svg = await renderSvg(heatmapSpec(data).spec);
  const cells = cellsOf(svg);
  const texts = textsOf(svg);
  expect(texts.length).toBe(2 * data.heatmap.length);
  return texts.map((t) => {
    const under = cells.filter((c) => t.x >= c.x && t.x <= c.x + c.w && t.y >= c.y && t.y <= c.y + c.h).at(-1);
    expect(under, t.text).toBeDefined();
    return { text: t.text, ratio: contrastRatio(t.fill, (under as Box).fill) };
  });
}

describe('heat map text', () => {
  const cases: Array<[string, SummaryRow[]]> = [
    ['one finished run (one value)', [row(16, 0.1, 2.4)]],
    ['equal values everywhere', [row(16, 0.1, 2.4), row(16, 0.2, 2.4), row(32, 0.1, 2.4), row(32, 0.2, 2.4)]],
    [
      'values across the whole colour range, and a cell without a finished run',
      [...Array.from({ length: 11 }, (_, i) => row(16 + i, 0.1, 2 + i / 10)), row(16, 0.2, null)],
    ],
  ];
  for (const [name, rows] of cases) {
    it(`contrasts with its cell (WCAG 4.5:1): ${name}`, async () => {
      const contrasts = await heatmapContrasts(buildReportData([folder(rows)]));
      for (const c of contrasts) expect(c.ratio, c.text).toBeGreaterThanOrEqual(4.5);
    });
  }
});

describe('Markov baseline label', () => {
  const HEIGHT = 320; // the curves plots' data area
  function curve(runId: string, bpcs: number[]): CurveRow[] {
    return bpcs.map((b, i) => ({
      runId,
      iteration: i * 100,
      chars: i * 800,
      smoothLossPerChar: b * Math.LN2,
      valBpc: b,
      elapsedS: i,
      wholeValBpc: null,
    }));
  }

  /** The rendered labels' alphabetic baselines (y, from the top of the data area) and the rules' y. */
  async function labels(data: ReportData): Promise<{ texts: number[]; rules: number[] }> {
    const svg = await renderSvg(curvesSpec(data, 'hiddenSize').spec);
    const texts = textsOf(svg).filter((t) => t.text.startsWith('Markov'));
    const rules = [
      ...svg.matchAll(/<line [^>]*aria-roledescription="rule mark" transform="translate\([-\d.]+,([-\d.]+)\)"/g),
    ].map((m) => Number(m[1]));
    return { texts: texts.map((t) => t.y), rules };
  }

  it('stays inside the plot, clear of the x axis, when the baseline is near 0', async () => {
    const r = row(16, 0.1, 2.9, { markovValBpc: 0.02 });
    const { texts, rules } = await labels(buildReportData([folder([r], curve(r.runId, [4, 3.5, 3, 2.9]))]));
    expect(rules).toHaveLength(1);
    expect(rules[0]).toBeGreaterThan(HEIGHT - 10); // the rule lies on the axis
    expect(texts).toHaveLength(1);
    expect(texts[0]).toBeLessThan(rules[0]); // above its rule
    expect(texts[0] + 3).toBeLessThanOrEqual(HEIGHT); // descenders included
    expect(texts[0] - 11).toBeGreaterThanOrEqual(0);
  });

  it('stays below its rule where there is room, and two close baselines do not overlap', async () => {
    const a = row(16, 0.1, 2.9, { markovOrder: 3, markovValBpc: 2.1 });
    const b = row(32, 0.1, 2.8, { markovOrder: 4, markovValBpc: 2.09 });
    const data = buildReportData([folder([a, b], [...curve(a.runId, [4, 3, 2.9]), ...curve(b.runId, [4, 3, 2.8])])]);
    const { texts, rules } = await labels(data);
    expect(texts).toHaveLength(2);
    expect(Math.abs(texts[0] - texts[1])).toBeGreaterThanOrEqual(11); // one line apart at least
    for (const y of texts) expect(y + 3).toBeLessThanOrEqual(HEIGHT);
    expect(Math.max(...texts)).toBeGreaterThan(Math.max(...rules)); // one label below the lower rule, as usual
  });

  it('labelSides: below by default, above near the bottom or where below is taken', () => {
    expect(labelSides([5], [0, 8], HEIGHT)).toEqual(['below']);
    expect(labelSides([0.05], [0, 8], HEIGHT)).toEqual(['above']);
    expect(labelSides([2, 2.01], [0, 8], HEIGHT)).toEqual(['below', 'above']);
    expect(labelSides([7.99], [0, 8], HEIGHT)).toEqual(['below']);
  });
});
