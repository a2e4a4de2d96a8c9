/**
 * The ladder of Markov baselines (src/train/markovLadder.ts, src/sweep/baselines.ts, baselines.csv):
 * each order scores exactly as markovBaseline's model of that order on the same characters; the
 * sweep writes the table once per folder, recomputes it when the range changes or it is missing
 * (without training again), leaves it out with validation 0; merge copies shard 0's; the report
 * shows the orders, names the best, and still reports a folder without the table.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareCorpus } from '../src/corpus/prepare.js';
import { ExperimentSchema } from '../src/results/schema.js';
import { readTable } from '../src/results/tables.js';
import { markovBaseline } from '../src/train/baseline.js';
import { fixtureText } from './helpers/fixtureText.js';
import { ladderTrainEnd, markovLadder } from '../src/train/markovLadder.js';
import { runCli, smallCorpus, tempDir, tinyExperiment, writeExperiment } from './helpers/cli.js';

const text = fixtureText(30_000);

describe("the ladder's orders", () => {
  const corpus = prepareCorpus(text, 'fixture', { validation: 0.1 });

  for (const budget of [5_000, 1_000_000]) {
    it(`order k scores bit for bit as markovBaseline of order k on the same characters (budget ${budget})`, () => {
      const ladder = markovLadder(corpus, budget, { from: 1, to: 8 });
      expect(ladder.map((e) => e.order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const trainChars = ladderTrainEnd(corpus.trainEnd, budget);
      expect(trainChars).toBe(budget < corpus.trainEnd ? budget + 1 : corpus.trainEnd);
      for (const e of ladder) {
        const oracle = markovBaseline(corpus, trainChars, e.order, { length: 1, seed: 1 });
        expect(e.trainChars).toBe(oracle.trainChars);
        expect(e.valChars).toBe(corpus.length - corpus.trainEnd);
        expect(e.valBpc, `order ${e.order}`).toBe(oracle.valBpc);
      }
    });
  }

  it('a sub-range scores the same orders as the full range; nothing held out gives no ladder', () => {
    const full = markovLadder(corpus, 8_000, { from: 1, to: 8 });
    const part = markovLadder(corpus, 8_000, { from: 3, to: 5 });
    expect(part.map((e) => e.valBpc)).toEqual(full.slice(2, 5).map((e) => e.valBpc));
    expect(markovLadder(prepareCorpus(text, 'all', { validation: 0 }), 8_000, { from: 1, to: 3 })).toEqual([]);
  });
});

describe('markov.ladder in the experiment schema', () => {
  const base = { name: 'x', corpus: 'c.txt', budget: { chars: 10 }, seeds: [1] };
  it('accepts a range, false, or nothing (not filled in); refuses a reversed or out-of-range one', () => {
    expect(ExperimentSchema.parse({ ...base, markov: { ladder: { from: 2, to: 6 } } }).markov.ladder).toEqual({
      from: 2,
      to: 6,
    });
    expect(ExperimentSchema.parse({ ...base, markov: { ladder: false } }).markov.ladder).toBe(false);
    expect(ExperimentSchema.parse(base).markov).toEqual({ order: 4 });
    const issue = (ladder: unknown) =>
      ExperimentSchema.safeParse({ ...base, markov: { ladder } })
        .error?.issues.map((i) => i.message)
        .join('; ');
    expect(issue({ from: 6, to: 2 })).toMatch(/from <= to/);
    expect(issue({ from: 1, to: 65 })).toMatch(/expected/);
    expect(issue(true)).toMatch(/expected/);
  });
});

describe('baselines.csv in a sweep', () => {
  let dir: string;
  let out: string;
  let exp: string;
  const sweep = (expPath = exp, args: string[] = []) => runCli(['sweep', expPath, '--out', out, ...args], { cwd: dir });
  const orders = (d = out) => readTable(d, 'baselines').rows.map((r) => Number(r.order));
  const summaryText = () => readFileSync(join(out, 'summary.csv'), 'utf8');

  beforeAll(async () => {
    dir = tempDir('charlab-ladder-');
    smallCorpus(dir);
    out = join(dir, 'out');
    exp = writeExperiment(dir, tinyExperiment('ladder'));
    const r = await sweep();
    expect(r.code, r.stderr).toBe(0);
  });

  it('is written once by the sweep: orders 1..8 on the characters the budget covers, order 4 = the runs\u2019 baseline', () => {
    expect(orders()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const rows = readTable(out, 'baselines').rows;
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    for (const r of rows) {
      expect(Number(r.train_chars)).toBe(3001); // budget 3,000 + the last target, well inside the training text
      expect(Number(r.val_chars)).toBe(manifest.corpus.validationChars);
      expect(r.corpus_sha256).toBe(manifest.corpus.sha256);
    }
    const summary = readTable(out, 'summary').rows[0];
    expect(Number(rows[3].val_bpc)).toBe(Number(summary.markov_val_bpc));
  });

  it('is not computed again on a re-run, and no run is trained again', async () => {
    const before = {
      mtime: statSync(join(out, 'baselines.csv')).mtimeMs,
      bytes: readFileSync(join(out, 'baselines.csv')),
      summary: summaryText(),
    };
    const r = await sweep();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/computing the Markov ladder/);
    expect(statSync(join(out, 'baselines.csv')).mtimeMs).toBe(before.mtime);
    expect(readFileSync(join(out, 'baselines.csv'))).toEqual(before.bytes);
    expect(summaryText()).toBe(before.summary);
  });

  it('a changed range recomputes it (the runs stay as they are); a folder that lost it gains it back', async () => {
    const summary = summaryText();
    const narrow = writeExperiment(
      dir,
      { ...tinyExperiment('ladder'), markov: { ladder: { from: 2, to: 5 } } },
      'narrow.json',
    );
    const r = await sweep(narrow);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/computing the Markov ladder, orders 2\.\.5/);
    expect(orders()).toEqual([2, 3, 4, 5]);
    rmSync(join(out, 'baselines.csv'));
    const again = await sweep();
    expect(again.code, again.stderr).toBe(0);
    expect(orders()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(summaryText()).toBe(summary);
  });

  it('the report names the best order, lists the orders as baseline rows and draws them', async () => {
    const r = await runCli(['report', out], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const rows = readTable(out, 'baselines').rows;
    const best = rows.reduce((a, b) => (Number(b.val_bpc) < Number(a.val_bpc) ? b : a));
    const line = `best order ${best.order} at ${Number(best.val_bpc).toFixed(3)} bpc`;
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const shown of [r.stdout, md, html]) expect(shown).toContain(line);
    for (const o of [1, 4, 8]) expect(md).toContain(`| *Markov order ${o}* |`);
    expect(html.match(/<tr class="baseline/g)?.length).toBe(8);
    expect(r.stdout).toMatch(/Markov order 1\s+│ baseline/);
    const svg = readFileSync(join(out, 'plots', 'curves-runs.svg'), 'utf8');
    expect(svg).toContain(`best Markov: order ${best.order}, ${Number(best.val_bpc).toFixed(3)} bpc`);
  });

  it('a folder without baselines.csv still reports, saying the ladder was not recorded', async () => {
    const old = join(dir, 'old');
    const r0 = await runCli(['sweep', exp, '--out', old], { cwd: dir });
    expect(r0.code, r0.stderr).toBe(0);
    rmSync(join(old, 'baselines.csv'));
    const r = await runCli(['report', old], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Markov ladder: not recorded/);
    const md = readFileSync(join(old, 'report.md'), 'utf8');
    expect(md).toMatch(/Markov ladder: not recorded/);
    expect(md).not.toContain('*Markov order');
    // Re-running the finished sweep adds it, but a corpus not at hand is not fetched for it: exit 0, said so.
    renameSync(join(dir, 'small.txt'), join(dir, 'away.txt'));
    try {
      const r1 = await runCli(['sweep', exp, '--out', old], { cwd: dir });
      expect(r1.code, r1.stderr).toBe(0);
      expect(r1.stderr).toMatch(
        /baselines\.csv: the Markov ladder is not computed: the corpus small\.txt is not at hand/,
      );
      expect(existsSync(join(old, 'baselines.csv'))).toBe(false);
    } finally {
      renameSync(join(dir, 'away.txt'), join(dir, 'small.txt'));
    }
    const r2 = await runCli(['sweep', exp, '--out', old], { cwd: dir });
    expect(r2.code, r2.stderr).toBe(0);
    expect(readTable(old, 'baselines').rows.map((x) => Number(x.order))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('validation 0 and "ladder": false write no table, and the report says why', async () => {
    for (const [name, extra, why] of [
      ['noval', { validation: 0 }, /validation 0/],
      ['off', { markov: { ladder: false } }, /switched off/],
    ] as const) {
      const d = join(dir, name);
      const e = writeExperiment(dir, { ...tinyExperiment(name), ...extra }, `${name}.json`);
      const r = await runCli(['sweep', e, '--out', d], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(d, 'baselines.csv'))).toBe(false);
      const rep = await runCli(['report', d], { cwd: dir });
      expect(rep.code, rep.stderr).toBe(0);
      expect(rep.stdout).toMatch(why);
    }
  });

  it('shards: shard 0 computes it, the others do not, merge copies it', async () => {
    const two = writeExperiment(dir, { ...tinyExperiment('sharded'), seeds: [1, 2] }, 'sharded.json');
    const root = join(dir, 'results', 'sharded');
    for (const s of ['0/2', '1/2']) {
      const r = await runCli(['sweep', two, '--shard', s], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    const shard0 = join(root, 'shards', '0-of-2');
    expect(existsSync(join(shard0, 'baselines.csv'))).toBe(true);
    expect(existsSync(join(root, 'shards', '1-of-2', 'baselines.csv'))).toBe(false);
    const m = await runCli(['merge', root], { cwd: dir });
    expect(m.code, m.stderr).toBe(0);
    expect(readFileSync(join(root, 'baselines.csv'), 'utf8')).toBe(readFileSync(join(shard0, 'baselines.csv'), 'utf8'));
  });

  it('a table that is not the one asked for (edited by hand) is replaced whole; a file charlab did not write is not', async () => {
    writeFileSync(
      join(out, 'baselines.csv'),
      'order,train_chars,val_chars,val_bpc,count_s,score_s,corpus_sha256\n1,2,3,4.5,0,0,x\n',
    );
    const r = await sweep();
    expect(r.code, r.stderr).toBe(0);
    expect(orders()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Another header: not a table charlab wrote (issue 19: nothing replaces what charlab did not write).
    writeFileSync(join(out, 'baselines.csv'), 'order,train_chars\n1,2\n');
    const refused = await sweep();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/charlab did not write .*baselines\.csv/);
    expect(readFileSync(join(out, 'baselines.csv'), 'utf8')).toBe('order,train_chars\n1,2\n');
  });
});
