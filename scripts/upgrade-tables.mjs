// Rewrites the summary.csv of results folders that an earlier charlab wrote (a legacy header) with
// today's header, its rows kept and the new columns empty, as a sweep does before it appends to it
// or sorts it. For the committed results after a column is added to summary.csv:
//   npm run build && node scripts/upgrade-tables.mjs results/*/
// (curves.csv's old layout changes meaning, not only columns; a sweep upgrades it, and rungs.csv, itself.)
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { upgradeTable } from '../dist/results/tables.js';

for (const dir of process.argv.slice(2)) {
  if (existsSync(join(dir, 'summary.csv')) && upgradeTable(dir, 'summary'))
    console.log(`upgraded ${join(dir, 'summary.csv')}`);
}
