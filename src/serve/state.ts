/**
 * One results folder as the server knows it: its files' stats (looked at every poll, cheap), and
 * the report data built from its tables and live.json, read again only when a file changed — the
 * tables when a table changed, live.json alone when only it did. live.json is read before the
 * tables, so a run that finishes in between is found in the tables rather than lost.
 *
 * A table that cannot be read (malformed, not UTF-8, a permission) is the folder's error, shown as
 * a banner over the last readable state; it never stops the server. A torn last record is not an
 * error: the tables' reader drops it and says so in the notes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { buildReportData } from '../report/data.js';
import { readFolder } from '../report/io.js';
import { parseCurves, parseSamples } from '../report/tables.js';
import type { FolderTables, ReportData } from '../report/types.js';
import { LIVE_FILE, readLive, type LiveState } from '../results/live.js';
import type { FolderRef } from './folders.js';
import { phaseOf, type Phase } from './phase.js';

const TABLE_FILES = [
  'manifest.json',
  'summary.csv',
  'curves.csv',
  'samples.csv',
  'baselines.csv',
  'rungs.csv',
  'checkpoints',
];

export interface FolderView {
  ref: FolderRef;
  version: number;
  /** The report data of the last readable state (null: never read whole), and the tables it was built from (with live.json's rows). */
  data: ReportData | null;
  tables: FolderTables | null;
  live: LiveState | null;
  /** What went wrong reading the folder now, for a banner (the data shown is then the last readable). */
  error: string | null;
  /** When the data was read, and the newest of the folder's files (ms since the epoch). */
  readAt: number;
  changedAt: number;
  phase: Phase;
}

interface Stamp {
  sig: string;
  newest: number;
}

function stamp(dir: string, files: readonly string[]): Stamp {
  let newest = 0;
  const parts = files.map((f) => {
    try {
      const st = statSync(join(dir, f));
      newest = Math.max(newest, st.mtimeMs);
      return `${f}:${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return `${f}:-`;
    }
  });
  return { sig: parts.join('|'), newest };
}

/** A view of a folder is made again for a change of live.json alone at most every max(MIN_LIVE_MS, LIVE_COST_FACTOR × its cost). */
const MIN_LIVE_MS = 500;
const LIVE_COST_FACTOR = 4;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class FolderWatch {
  version = 1;
  private tablesStamp: Stamp = { sig: '', newest: 0 };
  private liveStamp: Stamp = { sig: '', newest: 0 };
  private read: { tablesSig: string; liveSig: string; view: FolderView } | null = null;
  private tables: FolderTables | null = null;
  private pending: Promise<FolderView> | null = null;
  /** What the last view cost (ms), and whether a change of live.json waits for the next one. */
  private cost = 0;
  private deferred = false;

  constructor(readonly ref: FolderRef) {
    this.poll();
  }

  /** Looks at the files' stats; true (and a new version) when any changed. */
  poll(): boolean {
    const tables = stamp(this.ref.dir, TABLE_FILES);
    const live = stamp(this.ref.dir, [LIVE_FILE]);
    let changed = tables.sig !== this.tablesStamp.sig || live.sig !== this.liveStamp.sig;
    this.tablesStamp = tables;
    this.liveStamp = live;
    // A change of live.json put off (see view) is announced once it can be shown.
    const shown = this.read?.view;
    if (
      !changed &&
      this.deferred &&
      shown &&
      Date.now() - shown.readAt >= Math.max(MIN_LIVE_MS, LIVE_COST_FACTOR * this.cost)
    ) {
      this.deferred = false;
      changed = true;
    }
    // A sweep that goes quiet or whose process is gone changes no file: its phase is looked at too.
    if (!changed && shown?.live?.state === 'running' && phaseOf(shown.data, shown.live).kind !== shown.phase.kind) {
      this.read!.liveSig = ''; // viewed again, the tables as they are
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  /** The folder as it stands (read again only where a file changed since the last look). */
  view(): Promise<FolderView> {
    const r = this.read;
    if (r && r.tablesSig === this.tablesStamp.sig && r.liveSig === this.liveStamp.sig) return Promise.resolve(r.view);
    // live.json alone changed (about every second while a sweep runs): a large folder is viewed again
    // at most every LIVE_COST_FACTOR times what viewing it costs, so following a sweep takes little from it.
    if (
      r &&
      r.tablesSig === this.tablesStamp.sig &&
      Date.now() - r.view.readAt < Math.max(MIN_LIVE_MS, LIVE_COST_FACTOR * this.cost)
    ) {
      this.deferred = true;
      return Promise.resolve(r.view);
    }
    this.pending ??= this.load().finally(() => (this.pending = null));
    return this.pending;
  }

  private async load(): Promise<FolderView> {
    const started = Date.now();
    this.deferred = false;
    const tablesSig = this.tablesStamp.sig;
    const liveSig = this.liveStamp.sig;
    const version = this.version;
    const { live, error: liveError } = readLive(this.ref.dir);
    let error: string | null = liveError;
    if (!this.read || this.read.tablesSig !== tablesSig || !this.tables) {
      try {
        this.tables = await readFolder(this.ref.dir, { noSummary: 'empty' });
      } catch (err) {
        error = message(err);
      }
    }
    let data = this.read?.view.data ?? null;
    let tables = this.read?.view.tables ?? null;
    if (this.tables && error === null) {
      try {
        const merged = withLive(this.tables, live);
        data = buildReportData([merged]);
        tables = merged;
      } catch (err) {
        error = message(err);
      }
    }
    const changedAt = Math.max(this.tablesStamp.newest, this.liveStamp.newest);
    const view: FolderView = {
      ref: this.ref,
      version,
      data,
      tables,
      live,
      error,
      readAt: Date.now(),
      changedAt,
      phase: phaseOf(data, live),
    };
    // A failed read is tried again at the folder's next change, not at every request.
    this.read = { tablesSig, liveSig, view };
    this.cost = Date.now() - started;
    return view;
  }
}

/**
 * The folder's tables with the rows live.json holds for the runs in flight (not for a run the
 * tables already record): curve points and samples read with the tables' own reader.
 */
export function withLive(t: FolderTables, live: LiveState | null): FolderTables {
  if (!live || live.running.length === 0) return t;
  const recorded = new Set(t.summary.map((r) => r.runId));
  const file = join(t.dir, LIVE_FILE);
  const curves = parseCurves(live.curves, `${file} (curves)`).rows.filter((r) => !recorded.has(r.runId));
  const samples = parseSamples(live.samples, `${file} (samples)`).rows.filter((r) => !recorded.has(r.runId));
  return { ...t, curves: [...t.curves, ...curves], samples: [...t.samples, ...samples] };
}
