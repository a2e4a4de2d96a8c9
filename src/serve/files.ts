/**
 * What the server sends besides its pages: the scripts and style from the package (vega, vega-lite,
 * vega-embed from node_modules, the page's own script built into dist/; no CDN), and files of the
 * folders it serves. A folder's file is named by a path inside the folder that must be one of the
 * names a sweep or report writes (tables, manifest, report, plots, checkpoints), with no "." or ".."
 * segment, and must resolve (symbolic links followed) to a regular file inside the folder: anything
 * else is not found. Nothing outside the folders and the package is ever read.
 */
import { realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PAGE_STYLE } from './style.js';

const require = createRequire(import.meta.url);
const packageBuild = (pkg: string, file: string) => join(dirname(require.resolve(pkg)), file);

export type Asset = { path: string; type: string } | { text: string; type: string };

const JS = 'text/javascript; charset=utf-8';

/** The assets by name, each from the package. */
export const ASSETS: Record<string, Asset> = {
  'vega.min.js': { path: packageBuild('vega', 'vega.min.js'), type: JS },
  'vega-lite.min.js': { path: packageBuild('vega-lite', 'vega-lite.min.js'), type: JS },
  'vega-embed.min.js': { path: packageBuild('vega-embed', 'vega-embed.min.js'), type: JS },
  'app.js': { path: fileURLToPath(new URL('./client/app.js', import.meta.url)), type: JS },
  'style.css': { text: PAGE_STYLE, type: 'text/css; charset=utf-8' },
};

/** The names of a results folder's files that may be served. */
const SERVABLE =
  /^(?:report\.html|report\.md|manifest\.json|(?:summary|curves|samples|baselines|rungs)\.csv|plots\/[\w.+-]+\.svg|checkpoints\/[\w.+@=,-]+\.safetensors)$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

export interface FolderFile {
  path: string;
  type: string;
  size: number;
  /** Sent as a download rather than shown. */
  attachment: boolean;
}

/** The file `rel` names inside `dir`, or null if it is not one the server may send. `rel` is the URL's path, decoded. */
export function folderFile(dir: string, rel: string): FolderFile | null {
  if (!SERVABLE.test(rel) || rel.split('/').some((seg) => seg === '.' || seg === '..')) return null;
  let real: string;
  let root: string;
  try {
    root = realpathSync(dir);
    real = realpathSync(join(dir, rel));
  } catch {
    return null;
  }
  if (!real.startsWith(root + sep)) return null;
  const st = statSync(real, { throwIfNoEntry: false });
  if (!st?.isFile()) return null;
  const ext = extname(rel);
  return {
    path: real,
    type: TYPES[ext] ?? 'application/octet-stream',
    size: st.size,
    attachment: ext === '.safetensors' || ext === '.csv',
  };
}
