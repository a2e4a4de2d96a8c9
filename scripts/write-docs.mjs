// Writes the generated reference pages (docs/commands.md, docs/experiment-file.md) from the built
// commands and schema (src/cli/docs.ts, via dist/). `npm run docs` after changing a command's options
// or the experiment schema; with --check (`npm run docs:check`, CI) it writes nothing and exits 1
// naming the pages that are not current.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_DOCS, staleDocs } from '../dist/cli/docs.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--check')) {
  const stale = await staleDocs(root);
  if (stale.length > 0) {
    console.error(`not current: ${stale.join(', ')} (run \`npm run docs\` and commit the result)`);
    process.exit(1);
  }
  console.log(`current: ${GENERATED_DOCS.map((d) => d.path).join(', ')}`);
} else {
  for (const d of GENERATED_DOCS) {
    writeFileSync(new URL(d.path, new URL('..', import.meta.url)), await d.make());
    console.log(`wrote ${d.path}`);
  }
}
