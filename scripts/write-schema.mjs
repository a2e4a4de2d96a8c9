// Writes schema/experiment.schema.json from the zod schema in src/results/schema.ts (via dist/).
// Run `npm run schema` after changing the schema; a test checks the published file is current.
import { writeFileSync } from 'node:fs';
import { experimentJsonSchema } from '../dist/results/schema.js';

const out = new URL('../schema/experiment.schema.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out.pathname}`);
