import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/errors.js';
import { registerReport } from '../src/cli/report.js';
import { buildReport, type ReportResult } from '../src/report/io.js';
import { MD_BODY_END, MD_BODY_START } from '../src/report/markdown.js';
import { escapeHtml, fmtInterval, mdFence, mdText } from '../src/report/format.js';
import { parseCsv } from '../src/report/csv.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'report');
// Grouped curves per knob that varies (hidden size and learning rate: unroll and clip take one value),
// parallel coordinates, the learning-rate × hidden-size heat map, parameter importance, every run's curves.
const PLOTS = 6;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'charlab-report-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh copy of fixture folders under the temp dir (reports are written into the first). */
function copy(name: string, ...folders: string[]): string[] {
  const base = join(tmp, name);
  return folders.map((f) => {
    const dest = join(base, f);
    cpSync(join(FIXTURES, f), dest, { recursive: true });
    return dest;
  });
}

function mdBody(md: string): string {
  const start = md.indexOf(MD_BODY_START);
  const end = md.indexOf(MD_BODY_END);
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return md.slice(start, end);
}

const VOID = new Set(['meta', 'br', 'hr', 'img', 'link', 'input', 'wbr']);
/**
 * A light well-formedness check: every tag outside <style> is closed in order (void elements and
 * self-closing SVG elements aside). Returns the tag names seen.
 */
function checkBalanced(html: string): string[] {
  const noStyle = html.replace(/<style>[\s\S]*?<\/style>/g, '<style></style>').replace(/<!DOCTYPE html>/i, '');
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of noStyle.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, rawName, , selfClose] = m;
    const name = rawName.toLowerCase();
    seen.push(name);
    if (close) {
      const top = stack.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top ?? 'nothing'}>`);
    } else if (!selfClose && !VOID.has(name)) stack.push(name);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  return seen;
}

/** Markdown with fenced code blocks removed (their content is literal text, never rendered as HTML). */
function outsideFences(md: string): string {
  const lines = md.split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of lines) {
    const m = /^(`{3,})/.exec(line);
    if (fence === null && m) fence = m[1];
    else if (fence !== null && line === fence) fence = null;
    else if (fence === null) out.push(line);
  }
  expect(fence).toBeNull();
  return out.join('\n');
}

describe('charlab report on two shards of one sweep', () => {
  let r: ReportResult;
  let dirs: string[];
  beforeAll(async () => {
    dirs = copy('shards', 'shard-a', 'shard-b');
    r = await buildReport(dirs);
  });

  it('writes report.md, report.html and the plots into the first folder', () => {
    expect(r.markdownPath).toBe(join(dirs[0], 'report.md'));
    expect(r.htmlPath).toBe(join(dirs[0], 'report.html'));
    expect(r.svgPaths).toHaveLength(PLOTS);
    for (const p of [r.markdownPath, r.htmlPath, ...r.svgPaths]) expect(existsSync(p)).toBe(true);
    for (const p of r.svgPaths) {
      expect(resolve(p).startsWith(resolve(dirs[0]))).toBe(true);
      const svg = readFileSync(p, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    }
    expect(existsSync(join(dirs[1], 'report.md'))).toBe(false);
  });

  it('ranks finished runs best first and marks diverged, failed and missing runs at the bottom', () => {
    const lb = r.leaderboard;
    expect(lb.map((e) => e.runId)).toEqual([
      'h32-u8-c5-lr0.1-s1',
      'h32-u8-c5-lr0.05-s1',
      'h16-u8-c5-lr0.1-s1',
      'h16-u8-c5-lr0.05-s1',
      'h16-u8-c5-lr0.5-s1',
      'h16-u8-c5-lr1-s1',
      'h32-u8-c5-lr0.5-s1',
      'h32-u8-c5-lr1-s1',
    ]);
    expect(lb.map((e) => e.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'diverged', 'failed', 'missing']);
    expect(lb.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, null, null, null]);
    expect(lb[0].delta).toBeCloseTo(2.1 - 2.35, 10);
    expect(r.counts).toEqual({ expected: 8, done: 5, diverged: 1, failed: 1, missing: 1 });
    // The stale duplicate in shard-b (9.99 bpc) must not replace shard-a's row.
    expect(lb.find((e) => e.runId === 'h16-u8-c5-lr0.1-s1')?.valBpc).toBe(2.3);
    expect(r.markdown).not.toContain('9.99');
    expect(r.html).not.toContain('STALE DUPLICATE');

    const md = r.markdown;
    expect(md).toMatch(/\|\s*\| h16-u8-c5-lr1-s1 \|.*\*\*DIVERGED\*\*/);
    expect(md).toMatch(/\|\s*\| h32-u8-c5-lr0\.5-s1 \|.*\*\*FAILED\*\*/);
    expect(md).toMatch(/\|\s*\| h32-u8-c5-lr1-s1 \|.*\*\*MISSING\*\*.*partial curve to 20000 chars/);
    expect(r.html).toContain('data-status="diverged"');
    expect(r.html).toContain('data-status="failed"');
    expect(r.html).toContain('data-status="missing"');
    expect(r.html).toContain('<span class="badge missing">missing</span>');
  });

  it('computes best and median held-out bpc per knob value', () => {
    const hidden = r.knobs.find((k) => k.knob === 'hiddenSize');
    expect(hidden?.values).toEqual([
      // h16-lr0.5 has no hidden-32 partner (that run failed): it is left out of the comparison of hidden sizes.
      { value: 16, runs: 4, finished: 3, best: 2.3, median: 2.375, bestRunId: 'h16-u8-c5-lr0.1-s1' },
      { value: 32, runs: 4, finished: 2, best: 2.1, median: 2.175, bestRunId: 'h32-u8-c5-lr0.1-s1' },
    ]);
    const lr = r.knobs.find((k) => k.knob === 'learningRate');
    expect(lr?.values.map((v) => [v.value, v.best])).toEqual([
      [0.05, 2.25],
      [0.1, 2.1],
      [0.5, 2.8],
      [1, null],
    ]);
    expect(r.knobs.map((k) => k.knob)).toEqual(['hiddenSize', 'unroll', 'clip', 'learningRate']);
    expect(hidden?.note).toBe(
      'Compared within 2 groups of configurations that differ in hidden size alone: 4 of the 5 scored configurations (the others differ in more than hidden size).',
    );
    expect(lr?.note).toBe(
      'Compared within 2 groups of configurations that differ in learning rate alone: every scored configuration.',
    );
  });

  it('notes the torn summary record, the duplicate and the unfinished shard', () => {
    const notes = r.notes.join('\n');
    expect(notes).toMatch(/shard-b[/\\]summary\.csv:7: the last record is not terminated by a newline/);
    expect(notes).toContain('Run h16-u8-c5-lr0.1-s1 appears again');
    expect(notes).toMatch(/no finishedAt/);
    expect(r.markdown).toContain('## Unfinished runs');
  });

  it('produces well-formed, offline HTML with one <svg> per plot and no script', () => {
    const html = r.html;
    expect(html.toLowerCase()).not.toContain('<script');
    expect(html).not.toMatch(/<(img|iframe|object|embed|link|foreignObject)\b/i);
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:">`,
    );
    const tags = checkBalanced(html);
    expect(tags.filter((t) => t === 'svg')).toHaveLength(PLOTS * 2); // open + close
    const figures = [...html.matchAll(/<figure\b[\s\S]*?<\/figure>/g)].map((m) => m[0]);
    expect(figures).toHaveLength(PLOTS);
    for (const f of figures) {
      expect(f.match(/<svg\b/g)).toHaveLength(1);
      expect(f.match(/<\/svg>/g)).toHaveLength(1);
    }
    // Element ids are unique across the inlined plots.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('escapes hostile sample and error text in HTML and Markdown', () => {
    const html = r.html;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted, with commas&quot;, it&#39;s &amp;');
    expect(html).toContain('worker crashed: &lt;img src=x onerror=alert(5)&gt;');
    expect(html).not.toContain('<svg onload');
    expect(html).not.toContain('</pre><img');
    const md = r.markdown;
    const prose = outsideFences(md);
    expect(prose).not.toMatch(/<(script|img|svg|iframe|!--)/i);
    expect(prose).toContain('worker crashed: &lt;img src=x onerror=alert(5)&gt; \\| "quoted"');
    // Each fence is longer than any backtick run inside it.
    for (const m of md.matchAll(/^(`{3,})text\n([\s\S]*?)\n\1$/gm)) {
      const longest = Math.max(0, ...[...m[2].matchAll(/`+/g)].map((x) => x[0].length));
      expect(m[1].length).toBeGreaterThan(longest);
    }
    expect(md).toMatch(/^`{5}text$/m); // the samples hold a run of four backticks
  });

  it('links every plot from the markdown and every link resolves to a file', () => {
    // Outside the samples' fences (the hostile text holds a [link](javascript:...) of its own).
    const links = [...outsideFences(r.markdown).matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(links).toHaveLength(PLOTS);
    for (const l of links) expect(existsSync(join(dirname(r.markdownPath), l))).toBe(true);
    expect(links).toContain('plots/curves-by-hidden.svg');
    expect(links).toContain('plots/heatmap-lr-hidden.svg');
    // A knob with one value would give one group: no plot for it.
    expect(links).not.toContain('plots/curves-by-unroll.svg');
    expect(links).not.toContain('plots/curves-by-clip.svg');
  });

  it('shows the best run, the Markov baseline and the worst finished run at one common length', () => {
    expect(r.model.samples.map((s) => [s.role, s.runId, s.model])).toEqual([
      ['best', 'h32-u8-c5-lr0.1-s1', 'rnn'],
      ['markov', 'h32-u8-c5-lr0.1-s1', 'markov'],
      ['worst', 'h16-u8-c5-lr0.5-s1', 'rnn'],
    ]);
    const lengths = r.model.samples.map((s) => Array.from(s.text).length);
    expect(new Set(lengths).size).toBe(1);
    expect(lengths[0]).toBe(120); // the worst run's final sample is the shortest
    expect(r.model.samples.every((s) => s.iteration === 6250)).toBe(true);
    expect(r.html.match(/<pre>/g)).toHaveLength(3);
  });

  it('reports the manifests\u2019 facts', () => {
    const f = r.model.facts;
    expect(f.experimentName).toBe('tiny-grid');
    expect(f.corpus?.vocabSize).toBe(40);
    expect(f.folders[0].wallS).toBe(30);
    expect(f.folders[1].wallS).toBeNull();
    expect(f.spanS).toBeNull();
    expect(f.sumRunWallS).toBeCloseTo(5.56 * 3 + 1.2 + 8.33 * 2 + 0.4, 6);
    expect(r.markdown).toContain('Test CPU A &lt;b&gt;@&lt;/b&gt; 3.0GHz');
  });
});

describe('merging', () => {
  it('gives the same leaderboard and markdown body as one folder holding the union', async () => {
    const shards = await buildReport(copy('merge-shards', 'shard-a', 'shard-b'));
    const union = await buildReport(copy('merge-union', 'union'));
    expect(shards.leaderboard).toEqual(union.leaderboard);
    expect(shards.knobs).toEqual(union.knobs);
    expect(shards.model.samples).toEqual(union.model.samples);
    expect(mdBody(shards.markdown)).toEqual(mdBody(union.markdown));
    // The plots are drawn from the same runs, so they are the same files.
    for (let i = 0; i < PLOTS; i++) {
      expect(readFileSync(shards.svgPaths[i], 'utf8')).toEqual(readFileSync(union.svgPaths[i], 'utf8'));
    }
  });

  it('a single shard alone lists the other shard\u2019s runs as missing', async () => {
    const r = await buildReport(copy('shard-a-alone', 'shard-a'));
    expect(r.counts).toEqual({ expected: 8, done: 3, diverged: 1, failed: 0, missing: 4 });
    expect(r.leaderboard.slice(-4).every((e) => e.status === 'missing')).toBe(true);
  });
});

describe('partial and broken inputs', () => {
  it('reports from summary.csv alone, noting what is absent', async () => {
    const [dir] = copy('summary-only', 'shard-a');
    for (const f of ['manifest.json', 'curves.csv', 'samples.csv']) rmSync(join(dir, f));
    const r = await buildReport([dir]);
    expect(r.counts.done).toBe(3);
    expect(r.counts.missing).toBe(0); // no manifest: nothing known to be missing
    expect(r.notes.join('\n')).toMatch(/manifest\.json is absent/);
    expect(r.notes.join('\n')).toMatch(/curves\.csv is absent/);
    expect(r.model.samples).toEqual([]);
    expect(r.model.importance).toBeNull(); // 3 finished configurations: too few to share out the variance
    // This shard's runs have one hidden size: only the learning rate's curves are grouped.
    expect(r.svgPaths.map((p) => p.split(/[\\/]/).pop())).toEqual([
      'curves-by-lr.svg',
      'parallel-coordinates.svg',
      'heatmap-lr-hidden.svg',
      'curves-runs.svg',
    ]);
    checkBalanced(r.html);
  });

  it('treats a samples.csv that ends inside a quoted field as torn', async () => {
    const [dir] = copy('torn-quote', 'shard-a');
    const path = join(dir, 'samples.csv');
    writeFileSync(
      path,
      `${readFileSync(path, 'utf8')}h16-u8-c5-lr0.5-s1,rnn,9999,1,"half a sample, cut\nby kill -9 <scr`,
    );
    const r = await buildReport([dir]);
    expect(r.notes.join('\n')).toMatch(/samples\.csv:\d+: the file ends inside a quoted field/);
    expect(r.model.samples.find((s) => s.role === 'worst')?.iteration).toBe(6250);
    expect(r.html).not.toContain('half a sample');
  });

  it('treats a torn header as an empty table', () => {
    const t = parseCsv('run_id,iter', 'x.csv', []);
    expect(t.records).toEqual([]);
    expect(t.notes[0]).toMatch(/partial header/);
  });

  it('fails with a usage error for a missing folder or summary.csv', async () => {
    await expect(buildReport([join(tmp, 'no-such-folder')])).rejects.toThrow(UsageError);
    await expect(buildReport([join(tmp, 'no-such-folder')])).rejects.toThrow(/results folder not found/);
    const empty = join(tmp, 'empty-folder');
    mkdirSync(empty, { recursive: true });
    await expect(buildReport([empty])).rejects.toThrow(/no summary\.csv in .*empty-folder/);
    await expect(buildReport([])).rejects.toThrow(UsageError);
  });

  it('fails with a usage error naming the file and line for malformed CSV before the tail', async () => {
    const [dir] = copy('bad-fields', 'shard-a');
    const path = join(dir, 'summary.csv');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[2] = 'h16-u8-c5-lr0.1-s1,16,8,5'; // line 3 is short, with complete records after it
    writeFileSync(path, lines.join('\n'));
    await expect(buildReport([dir])).rejects.toThrow(UsageError);
    await expect(buildReport([dir])).rejects.toThrow(/summary\.csv:3: expected 18 fields, got 4/);

    const [dir2] = copy('bad-number', 'shard-a');
    const curves = join(dir2, 'curves.csv');
    const c = readFileSync(curves, 'utf8').split('\n');
    c[4] = c[4].replace(/,(\d+),/, ',twelve,');
    writeFileSync(curves, c.join('\n'));
    await expect(buildReport([dir2])).rejects.toThrow(
      /curves\.csv:5: column \w+: expected an integer ≥ 0, got "twelve"/,
    );

    const [dir3] = copy('bad-quote', 'shard-a');
    const s3 = join(dir3, 'summary.csv');
    const l3 = readFileSync(s3, 'utf8').split('\n');
    l3[1] = l3[1].replace('wasm', '"wa"sm');
    writeFileSync(s3, l3.join('\n'));
    await expect(buildReport([dir3])).rejects.toThrow(/summary\.csv:2: Invalid Closing Quote/);

    const [dir4] = copy('bad-manifest', 'shard-a');
    writeFileSync(join(dir4, 'manifest.json'), '{"experiment": ');
    await expect(buildReport([dir4])).rejects.toThrow(/manifest\.json: not valid JSON/);
  });
});

describe('the report command', () => {
  async function run(args: string[]): Promise<string> {
    const program = new Command().exitOverride();
    registerReport(program);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'charlab', 'report', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out;
  }

  it('prints tables readable at 100 columns', async () => {
    const dirs = copy('cli-tables', 'shard-a', 'shard-b');
    const out = await run(dirs);
    expect(out).toContain('h32-u8-c5-lr0.1-s1');
    expect(out).toContain('MISSING');
    for (const line of out.split('\n')) expect(Array.from(line).length).toBeLessThanOrEqual(100);
    expect(out).not.toMatch(/\u001b\[/); // no colour codes
    expect(out).toContain(join(dirs[0], 'report.html'));
  });

  it('prints a JSON summary with --json', async () => {
    const dirs = copy('cli-json', 'shard-a', 'shard-b');
    const out = await run([...dirs, '--json']);
    const j = JSON.parse(out) as {
      leaderboard: Array<{ runId: string; status: string }>;
      svgPaths: string[];
      markdownPath: string;
      htmlPath: string;
    };
    expect(j.leaderboard[0].runId).toBe('h32-u8-c5-lr0.1-s1');
    expect(j.leaderboard.at(-1)?.status).toBe('missing');
    expect(j.svgPaths).toHaveLength(PLOTS);
    expect(j.markdownPath).toBe(join(dirs[0], 'report.md'));
    expect(existsSync(j.htmlPath)).toBe(true);
  });
});

describe('escaping helpers', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('fences Markdown with more backticks than any run inside', () => {
    expect(mdFence('plain')).toBe('```text\nplain\n```');
    expect(mdFence('a ``` b')).toBe('````text\na ``` b\n````');
    expect(mdFence('x ``````` y')).toBe('````````text\nx ``````` y\n````````');
  });

  it('keeps inline Markdown text inert', () => {
    expect(mdText('a|b [x](javascript:y) <b>*c*</b>\nd')).toBe(
      'a\\|b \\[x\\](javascript:y) &lt;b&gt;\\*c\\*&lt;/b&gt; d',
    );
  });

  it('prints a negative interval bound with the minus sign, not a hyphen', () => {
    // Two seeds 1.778 and 2.245: mean 2.0115 ± 12.706 · 0.330 reaches below zero.
    expect(fmtInterval(-0.9564, 4.9791)).toBe('−0.956–4.979');
    expect(fmtInterval(1.7021, 1.79)).toBe('1.702–1.790');
    expect(fmtInterval(null, 1.79)).toBe('—');
  });
});
