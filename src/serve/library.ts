/**
 * Every folder the server shows, looked at again at each poll: folders that appear (a sweep
 * started after the server) are added, folders that disappear are dropped, and each folder's files
 * are compared with what was seen before (src/serve/state.ts). Versions tell a page what changed.
 */
import { findFolders, FolderIds } from './folders.js';
import { FolderWatch } from './state.js';

export interface PollResult {
  /** Folders whose files changed (or that appeared). */
  changed: string[];
  /** The list of folders itself changed. */
  listChanged: boolean;
}

export class Library {
  /** Bumped by any change: the index's version. */
  version = 1;
  private readonly ids: FolderIds;
  private readonly watches = new Map<string, FolderWatch>();

  constructor(
    readonly roots: readonly string[],
    cwd = process.cwd(),
  ) {
    this.ids = new FolderIds(cwd);
    this.poll();
  }

  poll(): PollResult {
    const found = findFolders(this.roots).map((d) => this.ids.ref(d));
    const ids = new Set(found.map((r) => r.id));
    const changed: string[] = [];
    let listChanged = false;
    for (const id of [...this.watches.keys()]) {
      if (!ids.has(id)) {
        this.watches.delete(id);
        listChanged = true;
      }
    }
    for (const ref of found) {
      const w = this.watches.get(ref.id);
      if (!w) {
        this.watches.set(ref.id, new FolderWatch(ref));
        listChanged = true;
        changed.push(ref.id);
      } else if (w.poll()) changed.push(ref.id);
    }
    if (listChanged || changed.length > 0) this.version++;
    return { changed, listChanged };
  }

  list(): FolderWatch[] {
    return [...this.watches.values()];
  }

  get(id: string): FolderWatch | undefined {
    return this.watches.get(id);
  }
}
