/**
 * Reading an experiment file: JSON with line and column on a syntax error, then the schema, with
 * every problem reported as `<file>: <key path>: expected …, got …` and a suggestion for a
 * misspelt key. Everything here throws UsageError (exit 2) and writes nothing.
 */
import { readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { firstInvalidUtf8Offset } from '../data/load.js';
import { ParseErrorCode, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { UsageError } from '../errors.js';
import { allKeyPaths, ExperimentSchema, knownKeys, type Experiment } from './schema.js';

export function readExperimentFile(path: string): { experiment: Experiment; raw: unknown; text: string } {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory, expected an experiment file (JSON)`);
    if (!st.isFile() && !st.isFIFO()) throw new UsageError(`${path}: is not a regular file, expected an experiment file (JSON)`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${path}: cannot read the experiment file (${describeFsError(err)})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes); // drops a leading BOM
  } catch {
    const at = firstInvalidUtf8Offset(bytes);
    throw new UsageError(`${path}: not valid JSON: the file is not UTF-8 text${at >= 0 ? ` (invalid byte 0x${bytes[at].toString(16).padStart(2, '0')} at byte offset ${at})` : ''}`);
  }
  const raw = parseJson(text, path);
  return { experiment: parseExperiment(raw, path), raw, text };
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return code ?? String(err);
  }
}

/**
 * JSON.parse, and on a syntax error the place and kind of the first error as jsonc-parser (strict
 * mode: no comments, no trailing commas) finds it, at a line and column.
 */
export function parseJson(text: string, path: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const found = locateJsonError(text);
    const detail = found ? `${lineColumn(text, found.offset)}: ${found.message}` : (err as Error).message;
    throw new UsageError(`${path}: not valid JSON: ${detail}`);
  }
  const dups = duplicateKeys(text);
  if (dups.length > 0) {
    // JSON.parse keeps the last of repeated keys silently; an experiment file must say one thing.
    throw new UsageError(`${path}: repeated key(s), each must appear once:\n${dups.map((d) => `  ${d}`).join('\n')}`);
  }
  return value;
}

/** Every key that appears twice in one object, as "<key path>: repeated at line L (first at line F)". */
export function duplicateKeys(text: string): string[] {
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  const out: string[] = [];
  const walk = (node: Node | undefined, path: (string | number)[]) => {
    if (!node) return;
    if (node.type === 'array') node.children?.forEach((child, i) => walk(child, [...path, i]));
    if (node.type !== 'object') return;
    const seen = new Map<string, number>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      const key = String(keyNode?.value);
      const first = seen.get(key);
      if (first !== undefined) {
        out.push(`${formatPath([...path, key])}: repeated at ${lineColumn(text, keyNode.offset)} (first at ${lineColumn(text, first)})`);
      } else seen.set(key, keyNode.offset);
      walk(valueNode, [...path, key]);
    }
  };
  walk(root, []);
  return out;
}

function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

const VALUE = 'a JSON value (an object, list, string, number, true, false or null)';

/** What was expected, by jsonc-parser's error code. */
const EXPECTED: Partial<Record<ParseErrorCode, string>> = {
  [ParseErrorCode.InvalidSymbol]: VALUE,
  [ParseErrorCode.InvalidNumberFormat]: 'a number such as 0.5, 12 or 1e-3',
  [ParseErrorCode.PropertyNameExpected]: 'a property name in double quotes',
  [ParseErrorCode.ValueExpected]: VALUE,
  [ParseErrorCode.ColonExpected]: "':' after the property name",
  [ParseErrorCode.CommaExpected]: "',' between two values",
  [ParseErrorCode.CloseBraceExpected]: "',' or '}' after a property value",
  [ParseErrorCode.CloseBracketExpected]: "',' or ']' after a list item",
  [ParseErrorCode.EndOfFileExpected]: 'the end of the file after the JSON value',
  [ParseErrorCode.InvalidCommentToken]: `${VALUE}; JSON has no comments`,
  [ParseErrorCode.UnexpectedEndOfString]: "a closing '\"' of the string",
  [ParseErrorCode.InvalidUnicode]: 'four hex digits after \\u',
  [ParseErrorCode.InvalidEscapeCharacter]: 'an escape such as \\n, \\" or \\u0041 after a backslash',
  [ParseErrorCode.InvalidCharacter]: 'no control characters (such as a raw line break) inside a string',
};

/** Where the first JSON syntax error in `text` is and what was expected there (null if none is found). */
export function locateJsonError(text: string): { offset: number; message: string } | null {
  const errors: ParseError[] = [];
  parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const e = errors[0];
  if (!e) return null;
  let expected = EXPECTED[e.error] ?? printParseErrorCode(e.error);
  const closing = text[e.offset];
  if ((closing === '}' || closing === ']') && /,\s*$/.test(text.slice(0, e.offset))) {
    expected = `another ${closing === '}' ? 'property' : 'value'} after ',' (JSON allows no trailing comma)`;
  }
  return { offset: e.offset, message: `expected ${expected}, found ${token(text, e.offset)}` };
}

/** The text at `at`, as a user would recognise it in an error message. */
function token(text: string, at: number): string {
  if (at >= text.length) return 'the end of the file';
  if (text[at] === '\n' || text[at] === '\r') return 'a line break';
  if (text[at] < ' ') return `the control character U+${text.charCodeAt(at).toString(16).padStart(4, '0')}`;
  const t = /^(?:"[^"\n]{0,30}"?|[{}[\],:]|[^\s{}[\],:"]{1,30})/.exec(text.slice(at, at + 40))?.[0] ?? text[at];
  return `'${t}'`;
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
    const known = knownKeys(path).filter((k) => k !== '$schema');
    return issue.keys
      .map((key) => {
        const at = formatPath([...path, key]);
        const near = nearest(key, known);
        // A key at the wrong level ("hiddenSize" at the top instead of in "grid") is suggested with its full path.
        const elsewhere = near ? undefined : nearestPath(key);
        const hint = near ? ` (did you mean "${near}"?)` : elsewhere ? ` (did you mean "${elsewhere}"?)` : '';
        return `${at}: unknown key${hint}; expected one of ${known.join(', ')}`;
      })
      .join('\n  ');
  }
  const value = valueAt(raw, path);
  let message = issue.message.replace(/^Invalid input: /, '');
  if (issue.code === 'invalid_type' && /^expected \w+, received/.test(message)) {
    // zod's own wording ("expected object, received string"): say what was expected in words.
    message = `expected ${describeType(String(issue.expected))}`;
  } else if (!message.startsWith('expected')) message = `expected ${message}`;
  const gotPart = /appears more than once/.test(message) ? '' : `, got ${describeValue(value)}`;
  return `${formatPath(path) || '(top level)'}: ${message}${gotPart}`;
}

function describeType(t: string): string {
  const words: Record<string, string> = {
    object: 'an object ({ … })',
    array: 'a list ([ … ])',
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
  };
  return words[t] ?? t;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (typeof value === 'number' && !Number.isFinite(value)) return `${value} (a number too large to represent)`;
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** The full path of a known key anywhere in the schema whose name is close to `key`. */
function nearestPath(key: string): string | undefined {
  const paths = allKeyPaths();
  const byName = new Map<string, string[]>();
  for (const p of paths) {
    const name = p[p.length - 1];
    if (name !== '$schema' && !byName.has(name)) byName.set(name, p);
  }
  const near = nearest(key, [...byName.keys()]);
  return near === undefined ? undefined : formatPath(byName.get(near)!);
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
 * The known key closest to `key` if it is close enough to be a typo: at most one edit per three
 * characters (at least one; a swap of two neighbours is one edit: "chras" → "chars"), or an
 * abbreviation one edit away from the start of a known key ("hiden" → "hiddenSize"). A short
 * unrelated word is no typo of anything ("foo" is two edits from "from": not suggested).
 */
export function nearest(key: string, known: string[]): string | undefined {
  const k0 = key.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const kl = k.toLowerCase();
    const d = editDistance(k0, kl);
    const typo = d <= Math.max(1, Math.floor(Math.max(k0.length, kl.length) / 3));
    const abbreviation = k0.length >= 4 && [-1, 0, 1].some((e) => editDistance(k0, kl.slice(0, k0.length + e)) <= 1);
    if ((typo || abbreviation) && d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours, one edit each. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
