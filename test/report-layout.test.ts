/**
 * The leaderboard's layout (issue 23): scores first, then only the knobs that vary in the table;
 * run ids shortened to what differs with the full id on hover; the Markov orders as compact rows.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReportData } from '../src/report/data.js';
import { renderHtml } from '../src/report/html.js';
import { readFolder } from '../src/report/io.js';
import { renderMarkdown } from '../src/report/markdown.js';
import { distinguishingKnobs, shortNames } from '../src/report/shortIds.js';
import { configId, knobDefaults, type KnobValues } from '../src/results/knobs.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'report');

/** The model ladder's five configurations (results/holmes-ladder). */
const gated = {
  ...knobDefaults(),
  unroll: 64,
  clip: 320,
  learningRate: 0.004,
  optimizer: 'adam',
  batch: 32,
  clipNorm: 320,
  lrDecay: 0.5,
  lrDecayAfter: 1,
  init: 'pytorch',
};
const LADDER: KnobValues[] = [
  { ...gated, hiddenSize: 512, cell: 'lstm' },
  { ...gated, hiddenSize: 512, cell: 'gru' },
  { ...gated, hiddenSize: 300, cell: 'gru' },
  { ...gated, hiddenSize: 256, cell: 'lstm' },
  { ...knobDefaults(), hiddenSize: 512, unroll: 32, clip: 5, learningRate: 0.03 },
] as KnobValues[];

describe('run ids shortened to what differs', () => {
  it('the ladder: hidden size and cell tell its configurations apart', () => {
    expect(distinguishingKnobs(LADDER).map((k) => k.key)).toEqual(['hiddenSize', 'cell']);
    const rows = LADDER.flatMap((c) =>
      ['1', '2'].map((seed) => ({ ...c, seed, runId: `${configId(c)}-s${seed}`, configId: configId(c) })),
    );
    const short = shortNames(rows);
    expect(rows.map((r) => short.get(r.runId))).toEqual([
      'h512-lstm-s1',
      'h512-lstm-s2',
      'h512-gru-s1',
      'h512-gru-s2',
      'h300-gru-s1',
      'h300-gru-s2',
      'h256-lstm-s1',
      'h256-lstm-s2',
      'h512-rnn-s1',
      'h512-rnn-s2',
    ]);
    expect(new Set(rows.map((r) => short.get(r.configId))).size).toBe(5);
  });

  it('one configuration: its runs by seed, the configuration by its full id', () => {
    const c = LADDER[0];
    const short = shortNames([{ ...c, seed: '3', runId: `${configId(c)}-s3`, configId: configId(c) }]);
    expect(short.get(`${configId(c)}-s3`)).toBe('s3');
    expect(short.get(configId(c))).toBe(configId(c));
  });
});

describe('the leaderboard in report.html', async () => {
  const data = buildReportData([await readFolder(join(FIXTURES, 'union'))]);
  const html = renderHtml(data, []);
  const table = /<table class="leaderboard">[\s\S]*?<\/table>/.exec(html)![0];
  const heads = [...table.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]);

  it('scores first, then only the knobs that vary (clip and unroll are the same everywhere)', () => {
    expect(heads.slice(0, 5)).toEqual(['#', 'run', 'held-out bpc', 'Δ Markov', 'status']);
    expect(heads.slice(5, 7)).toEqual(['hidden', 'lr']);
    expect(heads).not.toContain('clip');
    expect(heads).not.toContain('unroll');
  });

  it('run ids shortened to what differs, the full id on hover; Markdown keeps them whole', () => {
    expect(table).toContain('<td class="mono name" title="h16-u8-c5-lr0.05-s1">h16-lr0.05-s1</td>');
    expect(renderMarkdown(data, [])).toContain('| h16-u8-c5-lr0.05-s1 |');
  });
});

describe('Markov orders as compact rows', async () => {
  const folder = await readFolder(join(FIXTURES, 'union'));
  const ladder = [1, 2, 3].map((order) => ({
    order,
    trainChars: 50_000,
    valChars: 5000,
    valBpc: 3.5 - order * 0.4,
    countS: 0.1,
    scoreS: 0.01,
  }));
  const data = buildReportData([{ ...folder, ladder }]);
  const table = /<table class="leaderboard">[\s\S]*?<\/table>/.exec(renderHtml(data, []))![0];

  it('Δ to the best order comes right after the score; each order is one line, its note across the columns after its badge', () => {
    expect(table).toContain('<th class="num">Δ best Markov (3)</th>');
    const rows = [...table.matchAll(/<tr class="baseline[^"]*"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.match(/<td/g)).toHaveLength(6); // #, name, bpc, Δ, badge, the note spanning the rest
      expect(r).toMatch(/<td colspan="\d+" class="note">baseline/);
    }
  });
});
