/**
 * Reading an experiment file: JSON with line and column on a syntax error, then the schema, with
 * every problem reported as `<file>: <key path>: expected …, got …` and a suggestion for a
 * misspelt key. Everything here throws UsageError (exit 2) and writes nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { ExperimentSchema, knownKeys, type Experiment } from './schema.js';

export function readExperimentFile(path: string): { experiment: Experiment; raw: unknown; text: string } {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${path}: is a directory, expected an experiment file (JSON)`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read the experiment file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
  }
  const raw = parseJson(text, path);
  return { experiment: parseExperiment(raw, path), raw, text };
}

/** JSON.parse with the error placed at a line and column. */
export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const m = /position (\d+)/.exec(msg);
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split('\n').length;
      const column = pos - before.lastIndexOf('\n');
      where = `line ${line}, column ${column}: `;
    } else if (/end of JSON input/i.test(msg)) {
      const lines = text.split('\n');
      where = `line ${lines.length}, column ${lines[lines.length - 1].length + 1}: `;
    }
    const detail = msg.replace(/\s*in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new UsageError(`${path}: not valid JSON: ${where}${detail}`);
  }
}

export function parseExperiment(raw: unknown, path: string): Experiment {
  const result = ExperimentSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${describeIssue(issue, raw)}`);
  throw new UsageError(`${path}: invalid experiment file:\n${lines.join('\n')}`);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path as (string | number)[];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(path);
    return issue.keys
      .map((key) => {
        const near = nearest(key, known);
        const at = formatPath([...path, key]);
        return `${at}: unknown key${near ? ` (did you mean "${near}"?)` : ''}; expected one of ${known.filter((k) => k !== '$schema').join(', ')}`;
      })
      .join('\n  ');
  }
  const value = valueAt(raw, path);
  const got = value === undefined ? 'nothing (the key is missing)' : JSON.stringify(value);
  const message = issue.message.startsWith('expected') ? issue.message : `expected ${issue.message}`;
  const gotPart = /received|appears more than once/.test(message) ? '' : `, got ${got}`;
  return `${formatPath(path) || '(top level)'}: ${message.replace(/^Invalid input: /, '')}${gotPart}`;
}

function formatPath(path: (string | number)[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
}

function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/**
 * The known key closest to `key` if it is close enough to be a typo: a small edit distance, or an
 * abbreviation one edit away from the start of a known key ("hiden" → "hiddenSize").
 */
export function nearest(key: string, known: string[]): string | undefined {
  const k0 = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    const d = editDistance(k0, kl);
    const close = d <= Math.max(2, Math.round(kl.length * 0.4)) || (k0.length >= 4 && [-1, 0, 1].some((e) => editDistance(k0, kl.slice(0, k0.length + e)) <= 1));
    if (close && d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}
