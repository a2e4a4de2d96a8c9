/**
 * The results folders a server shows. Each folder given is one results folder if it holds a sweep's
 * files; otherwise the results folders directly inside it (and their shards, results/<name>/shards/
 * <i>-of-<n>/) are, found again at every look so a sweep started later appears. Each folder gets a
 * URL id made of its name, kept for the server's life.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { LIVE_FILE } from '../results/live.js';

/** The files that make a folder a results folder (a sweep writes live.json and manifest.json first). */
const MARKERS = ['summary.csv', 'manifest.json', LIVE_FILE];

export interface FolderRef {
  /** URL-safe and unique among the server's folders: [A-Za-z0-9._-]+. */
  id: string;
  /** Absolute path. */
  dir: string;
  /** As a person would name it: relative to the working directory where that is shorter. */
  label: string;
}

export function isResultsFolder(dir: string): boolean {
  return MARKERS.some((m) => existsSync(join(dir, m)));
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const subfolders = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
};

/** The results folders under `roots` as they stand now (absolute paths, roots in the order given). */
export function findFolders(roots: readonly string[]): string[] {
  const out: string[] = [];
  const add = (dir: string) => {
    if (!isResultsFolder(dir)) return false;
    out.push(dir);
    out.push(...subfolders(join(dir, 'shards')).filter(isResultsFolder));
    return true;
  };
  for (const root of roots.map((r) => resolve(r))) {
    if (!add(root)) for (const d of subfolders(root)) add(d);
  }
  return [...new Set(out)];
}

/** Folder ids that stay the same while the server runs (a folder found later gets a new one). */
export class FolderIds {
  private readonly byDir = new Map<string, FolderRef>();
  private readonly taken = new Set<string>();

  constructor(private readonly cwd: string = process.cwd()) {}

  ref(dir: string): FolderRef {
    const known = this.byDir.get(dir);
    if (known) return known;
    const rel = relative(this.cwd, dir);
    const label = rel !== '' && !rel.startsWith('..') && rel.length < dir.length ? rel : dir;
    const stem =
      (dir.includes(`${'shards'}/`) ? `${basename(resolve(dir, '../..'))}.${basename(dir)}` : basename(dir))
        .replace(/[^A-Za-z0-9._-]/g, '_')
        .replace(/^\.+/, '_') || 'folder';
    let id = stem;
    for (let i = 2; this.taken.has(id); i++) id = `${stem}-${i}`;
    const r = { id, dir, label };
    this.taken.add(id);
    this.byDir.set(dir, r);
    return r;
  }
}

/** Why a folder given on the command line cannot be served, or null. */
export function unusableRoot(root: string): string | null {
  if (!existsSync(root)) return `${root}: no such folder`;
  if (!isDir(root)) return `${root}: not a folder`;
  return null;
}
