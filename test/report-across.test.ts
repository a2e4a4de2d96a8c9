/**
 * Reports and corpora (issue 21): folders run on different texts are never merged into one
 * leaderboard (exit 2); `report --across` puts them side by side, each with its own baselines; and
 * tables written before issue 21 are read in their own meaning (their final whole-text score is not
 * a point of the slice curve) and put in today's layout by the next sweep.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildAcrossReport, buildReport } from '../src/report/io.js';
import { CURVE_COLUMNS_V1, SUMMARY_COLUMNS_V3 } from '../src/results/columns.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const rows = (path: string) => parse<Record<string, string>>(readFileSync(path), { columns: true });

describe('reports across corpora', () => {
  let dir: string;
  const tales = () => join(dir, 'tales');
  const novel = () => join(dir, 'novel');

  beforeAll(async () => {
    dir = tempDir('charlab-across-');
    // Two different generated texts (helpers/fixtureText.ts), as two corpora.
    smallCorpus(dir, 40_000, 'tales.txt', 1);
    smallCorpus(dir, 40_000, 'novel.txt', 2);
    const exp = (name: string, corpus: string) => ({
      ...tinyExperiment(name),
      corpus,
      budget: { chars: 4000 },
      grid: { hiddenSize: [8, 16], unroll: [8], clip: [5], learningRate: [0.1] },
      evaluation: { every: 2000, chars: 500 },
      markov: { order: 3, ladder: { from: 1, to: 3 } },
    });
    const sweeps = (
      [
        ['tales', 'tales.txt'],
        ['novel', { name: 'novel.txt', chars: 30_000 }],
      ] as const
    ).map(([name, corpus]) =>
      runCli(['sweep', writeExperiment(dir, exp(name, corpus as never), `${name}.json`), '--out', join(dir, name)]),
    );
    for (const r of await Promise.all(sweeps)) expect(r.code, r.stderr).toBe(0);
  });

  test('one leaderboard across texts is refused (exit 2, pointing at --across); --across gives models × corpora, each with its own best Markov order', async () => {
    const mixed = await runCli(['report', tales(), novel()]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/different corpus texts.*charlab report --across/s);
    expect(existsSync(join(tales(), 'report.md'))).toBe(false);

    const out = join(dir, 'across.md');
    const { table: t } = await buildAcrossReport([tales(), novel()], out);
    expect(t.corpora.map((c) => c.label)).toEqual(['tales', 'novel (first 30,000 characters)']);
    for (const [i, d] of [tales(), novel()].entries()) {
      const ladder = rows(join(d, 'baselines.csv'));
      const best = ladder.reduce((a, b) => (Number(b.val_bpc) < Number(a.val_bpc) ? b : a));
      expect(t.corpora[i].markov).toEqual({ order: Number(best.order), bpc: Number(best.val_bpc), source: 'ladder' });
      const summary = rows(join(d, 'summary.csv'));
      for (const m of t.models) {
        const run = summary.find((s) => s.run_id === `${m.configId}-s1`)!;
        expect(m.cells[i]!.mean).toBe(Number(run.val_bpc));
        expect(m.cells[i]!.delta).toBeCloseTo(Number(run.val_bpc) - Number(best.val_bpc), 12);
      }
    }
    expect(t.models.map((m) => m.configId).sort()).toEqual(['h16-u8-c5-lr0.1', 'h8-u8-c5-lr0.1']);
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/## Models × corpora/);
    expect(md).toMatch(/\| best Markov order \| [\d.]+ \(order \d\) \| [\d.]+ \(order \d\) \|/);
    const cli = await runCli(['report', '--across', tales(), novel(), '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(t)));
  });

  test('two folders on the same text are two columns, told apart by their folder names', async () => {
    const again = join(dir, 'tales-again');
    cpSync(tales(), again, { recursive: true });
    const { table: t, markdown: md } = await buildAcrossReport([tales(), again, novel()], join(dir, 'three.md'));
    expect(t.corpora.map((c) => c.column)).toEqual([
      'tales, tales',
      'tales, tales-again',
      'novel (first 30,000 characters)',
    ]);
    expect(md).toContain(
      '| model | tales, tales: bpc (Δ) | tales, tales-again: bpc (Δ) | novel (first 30,000 characters): bpc (Δ) |',
    );
    expect(md.match(/tales: [0-9a-f]{64}/g)).toHaveLength(1); // one text, named once
  });

  test("tables from before issue 21 load in their own meaning; the next sweep puts them in today's layout", async () => {
    // The tales folder as an earlier charlab wrote it: no whole_val_bpc, each run's last curve row the whole-text score.
    const old = join(dir, 'old');
    cpSync(tales(), old, { recursive: true });
    const curves = rows(join(old, 'curves.csv'));
    const last = new Map(curves.map((c, i) => [c.run_id, i]));
    const v1 = curves.map((c, i) => ({ ...c, val_bpc: last.get(c.run_id) === i ? c.whole_val_bpc : c.val_bpc }));
    writeFileSync(join(old, 'curves.csv'), stringify(v1, { header: true, columns: [...CURVE_COLUMNS_V1] }));
    const summary = rows(join(old, 'summary.csv')).map((s) => ({
      ...s,
      best_val_bpc: s.val_bpc,
      best_val_chars: s.chars,
    }));
    writeFileSync(join(old, 'summary.csv'), stringify(summary, { header: true, columns: [...SUMMARY_COLUMNS_V3] }));

    const { markdown: md } = await buildReport([old]);
    expect(md).toMatch(/written before issue 21, when each run's last held-out score read the whole held-out text/);
    expect(md).toMatch(/recorded before issue 21, over the whole-text scores only/);

    const again = await runCli(['sweep', join(dir, 'tales.json'), '--out', old]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/curves\.csv: recorded before issue 21; rewritten in today's layout/);
    const upgraded = rows(join(old, 'curves.csv'));
    upgraded.forEach((c, i) => {
      const isLast = last.get(c.run_id) === i;
      expect(c.whole_val_bpc).toBe(isLast ? curves[i].whole_val_bpc : '');
      expect(c.val_bpc).toBe(isLast ? '' : curves[i].val_bpc); // the final slice score was never measured
    });
  });
});
