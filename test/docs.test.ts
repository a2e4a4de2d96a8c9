/**
 * The generated reference pages (src/cli/docs.ts): the committed ones are what the generators make
 * now, a stale or missing one is named, and the pages cover every command, option, key and knob.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { COMMANDS } from '../src/cli/commands.js';
import { commandReference, experimentReference, GENERATED_DOCS, staleDocs } from '../src/cli/docs.js';
import { KNOBS } from '../src/results/knobs.js';
import { experimentJsonSchema } from '../src/results/schema.js';
import { REPO, tempDir } from './helpers/cli.js';

describe('the generated reference pages', () => {
  test('the committed pages are current (`npm run docs` rewrites them)', async () => {
    expect(await staleDocs(REPO)).toEqual([]);
  });

  test('a page that differs from its generator, or is missing, is named stale', async () => {
    const root = tempDir('charlab-docs-');
    mkdirSync(join(root, 'docs'));
    const [first, second] = GENERATED_DOCS;
    writeFileSync(join(root, first.path), `${await first.make()}one more line\n`);
    expect(await staleDocs(root)).toEqual([first.path, second.path]);
    writeFileSync(join(root, second.path), await second.make());
    expect(await staleDocs(root)).toEqual([first.path]);
  });

  test('every command and every option of each is in the command reference', async () => {
    const text = await commandReference();
    const program = new Command('charlab');
    for (const load of Object.values(COMMANDS)) (await load())(program);
    expect(program.commands.map((c) => c.name())).toEqual(Object.keys(COMMANDS));
    for (const cmd of program.commands) {
      expect(text).toContain(`## charlab ${cmd.name()}\n`);
      for (const o of cmd.options) expect(text, `${cmd.name()} ${o.flags}`).toContain(`| \`${o.flags}\` |`);
    }
  });

  test('every top-level key of the schema and every knob is in the experiment-file reference', () => {
    const text = experimentReference();
    const keys = Object.keys((experimentJsonSchema() as { properties: object }).properties).filter(
      (k) => k !== '$schema',
    );
    expect(keys.length).toBeGreaterThan(5);
    for (const k of keys) expect(text, k).toContain(`| \`${k}\` |`);
    for (const k of KNOBS) expect(text, k.key).toContain(`| \`${k.key}\` |`);
    expect(readFileSync(join(REPO, 'docs/experiment-file.md'), 'utf8')).toBe(text);
  });
});
