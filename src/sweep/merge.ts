/**
 * Merging the shards of a sweep (results/<name>/shards/<i>-of-<n>/, written by `sweep --shard`)
 * into results/<name>/: the tables a one-machine sweep would have written (grid order; only the
 * timing columns differ) and a manifest naming the shards. Every shard must have run the same
 * experiment (the same planned runs and nothing that changes what a run means), on the same corpus
 * text (sha256), with the same charlab version; a mix is refused naming the shard. Missing shards
 * and unrecorded runs are reported; merging again once they are there completes the tables.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { planRuns, type RunSpec } from './grid.js';
import { acquireLock } from './lock.js';
import { meaningChanges, readManifest, writeManifest, type Manifest, type Shard } from '../results/manifest.js';
import { parseShardDirName, shardDirName, shardRuns, SHARDS_DIR } from './shard.js';
import { readTable, TABLES, writeTable, type TableName } from '../results/tables.js';
import { checkOurs, tableFilesIn } from '../results/folder.js';
import { ensureWritableDir } from '../util/outputs.js';
import { BASELINES_FILE, ladderJob } from './baselines.js';

export interface ShardGap {
  shard: Shard;
  /** Run ids of the grid this shard holds that no shard has recorded. */
  runs: string[];
}

export interface MergeResult {
  dir: string;
  count: number;
  total: number;
  /** Grid runs with a summary row in the merged tables. */
  merged: number;
  /** Shards with no folder or manifest, with their runs. */
  missing: ShardGap[];
  /** Shards that ran but have not recorded all their runs (interrupted, still running). */
  unfinished: ShardGap[];
  /** Runs recorded that did not end 'done' (diverged or failed). */
  problems: number;
  manifest: Manifest;
  notes: string[];
}

interface ShardFolder {
  shard: Shard;
  dir: string;
  manifest: Manifest;
}

export function mergeShards(dir: string): MergeResult {
  const out = resolve(dir);
  const notes: string[] = [];
  const { count, folders, absent } = findShards(out, notes);
  const ref = folders[0];
  const planned = planRuns(ref.manifest.experiment);
  for (const f of folders.slice(1)) checkSameSweep(ref, f, planned);
  const tables = mergeTables(folders, planned, count, notes);
  checkMergeTarget(out);
  ensureWritableDir(out, 'merge folder');
  const release = acquireLock(out);
  try {
    for (const t of Object.keys(TABLES) as TableName[]) writeTable(out, t, tables[t]);
    copyLadder(folders, out, notes);
    const recordedIds = new Set(tables.summary.map((r) => r.run_id));
    const gaps = (s: Shard) => ({
      shard: s,
      runs: shardRuns(planned, s)
        .filter((r) => !recordedIds.has(r.id))
        .map((r) => r.id),
    });
    const missing = absent.map((index) => gaps({ index, count }));
    const unfinished = folders.map((f) => gaps(f.shard)).filter((g) => g.runs.length > 0);
    const merged = planned.filter((r) => recordedIds.has(r.id)).length;
    const manifest = mergedManifest(folders, planned, tables.summary, absent, merged === planned.length);
    writeManifest(out, manifest);
    const gridIds = new Set(planned.map((r) => r.id));
    const problems = tables.summary.filter((r) => r.status !== 'done' && gridIds.has(r.run_id)).length;
    return { dir: out, count, total: planned.length, merged, missing, unfinished, problems, manifest, notes };
  } finally {
    release();
  }
}

/** The shard folders under <dir>/shards: one shard count, each folder's manifest naming its own shard. */
function findShards(dir: string, notes: string[]): { count: number; folders: ShardFolder[]; absent: number[] } {
  const root = join(dir, SHARDS_DIR);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UsageError(
      `${dir}: no ${SHARDS_DIR}/ folder; charlab merge reads the shard folders that 'charlab sweep --shard i/n' writes into ${root}/<i>-of-<n>/`,
    );
  }
  const named = readdirSync(root)
    .map((name) => ({ name, shard: parseShardDirName(name) }))
    .filter((e): e is { name: string; shard: Shard } => e.shard !== null && statSync(join(root, e.name)).isDirectory());
  const counts = [...new Set(named.map((e) => e.shard.count))];
  if (counts.length === 0)
    throw new UsageError(`${root}: no shard folders (<i>-of-<n>/, written by 'charlab sweep --shard i/n')`);
  if (counts.length > 1) {
    throw new UsageError(
      `${root}: shards of ${counts.length} different splits (${named.map((e) => e.name).join(', ')}); one sweep is split one way: ` +
        `remove (or move away) the folders of the split you do not want`,
    );
  }
  const count = counts[0];
  const folders: ShardFolder[] = [];
  for (const { name, shard } of named.sort((a, b) => a.shard.index - b.shard.index)) {
    const path = join(root, name);
    const manifest = readManifest(path);
    if (!manifest) {
      notes.push(`${path} has no manifest.json yet (the shard has not started): counted as missing`);
      continue;
    }
    if (manifest.shard?.index !== shard.index || manifest.shard.count !== shard.count) {
      const held = manifest.shard ? `shard ${shardDirName(manifest.shard)}` : 'a whole sweep (no --shard)';
      throw new UsageError(
        `${path}: its manifest.json records ${held}, not shard ${name}; refusing to merge it. Move it away or rename it after what it holds.`,
      );
    }
    folders.push({ shard, dir: path, manifest });
  }
  if (folders.length === 0)
    throw new UsageError(
      `${root}: no shard has started yet (no manifest.json in any of ${named.map((e) => e.name).join(', ')})`,
    );
  const present = new Set(folders.map((f) => f.shard.index));
  const absent = [...Array(count).keys()].filter((i) => !present.has(i));
  return { count, folders, absent };
}

/** The same planned runs, nothing that changes what a run means, the same corpus text and charlab version; else refuse naming the shard. */
function checkSameSweep(ref: ShardFolder, f: ShardFolder, planned: RunSpec[]): void {
  const a = ref.manifest;
  const b = f.manifest;
  const diffs = meaningChanges(a.experiment, b.experiment).map(
    (c) => `${c.key}: ${c.old} in ${shardDirName(ref.shard)}, ${c.new} here`,
  );
  const ids = planRuns(b.experiment).map((r) => r.id);
  if (ids.join('\n') !== planned.map((r) => r.id).join('\n')) {
    diffs.push(
      `the grid and seeds: ${ids.length} planned runs here, ${planned.length} in ${shardDirName(ref.shard)}, not the same runs in the same order`,
    );
  }
  if (a.corpus.sha256 !== b.corpus.sha256)
    diffs.push(`corpus sha256: ${a.corpus.sha256} in ${shardDirName(ref.shard)}, ${b.corpus.sha256} here`);
  if (a.charlab !== b.charlab)
    diffs.push(`charlab version: ${a.charlab} in ${shardDirName(ref.shard)}, ${b.charlab} here`);
  if (diffs.length === 0) return;
  throw new UsageError(
    `${f.dir}: shard ${shardDirName(f.shard)} did not run the same sweep as ${ref.dir}:\n${diffs.map((d) => `  ${d}\n`).join('')}` +
      `refusing to merge a mix. Run that shard again with the same experiment, corpus and charlab (--fresh there), or move it away.`,
  );
}

type Rows = Record<string, string>[];

/**
 * The merged tables: for each planned run in grid order, the rows of the shard that holds it (or,
 * after a change of split, of the first shard that recorded it); then the rows of runs no longer in
 * the grid, as a sweep keeps them. A shard's summary is read before its curves and samples, so a
 * run recorded meanwhile (summary row last) is either whole or absent.
 */
function mergeTables(
  folders: ShardFolder[],
  planned: RunSpec[],
  count: number,
  notes: string[],
): Record<TableName, Rows> {
  const read = folders.map((f) => {
    const t = {
      summary: readTable(f.dir, 'summary'),
      curves: readTable(f.dir, 'curves'),
      samples: readTable(f.dir, 'samples'),
    };
    for (const [name, table] of Object.entries(t)) {
      if (table.tornBytes > 0)
        notes.push(
          `${join(f.dir, TABLES[name as TableName].file)}: ignored a torn last record (${table.tornBytes} bytes)`,
        );
    }
    const summary = new Map<string, Record<string, string>>();
    for (const r of t.summary.rows) if (!summary.has(r.run_id)) summary.set(r.run_id, r);
    return { f, summary, curves: t.curves.rows, samples: t.samples.rows };
  });
  const owner = (k: number) => read.find((s) => s.f.shard.index === k % count);
  const gridIds = new Set(planned.map((r) => r.id));
  const chosen: Array<{ id: string; from: (typeof read)[number] }> = [];
  for (const [k, run] of planned.entries()) {
    const from = [owner(k), ...read].find((s) => s?.summary.has(run.id));
    if (from) chosen.push({ id: run.id, from });
  }
  const seen = new Set(chosen.map((c) => c.id));
  for (const s of read) {
    for (const id of s.summary.keys()) {
      if (!gridIds.has(id) && !seen.has(id)) {
        seen.add(id);
        chosen.push({ id, from: s });
      }
    }
  }
  return {
    summary: chosen.map((c) => c.from.summary.get(c.id)!),
    curves: chosen.flatMap((c) => c.from.curves.filter((r) => r.run_id === c.id)),
    samples: chosen.flatMap((c) => c.from.samples.filter((r) => r.run_id === c.id)),
  };
}

/** baselines.csv is computed by shard 0 only: copied from the first shard holding one (none: a stale copy is removed). */
function copyLadder(folders: ShardFolder[], out: string, notes: string[]): void {
  const from = folders.find((f) => existsSync(join(f.dir, BASELINES_FILE)));
  if (from) return writeTable(out, 'baselines', readTable(from.dir, 'baselines').rows);
  rmSync(join(out, BASELINES_FILE), { force: true });
  const m = folders[0].manifest;
  if (ladderJob(m.experiment, m.corpus, null))
    notes.push(
      `no shard holds ${BASELINES_FILE} yet (shard 0 computes it): the merged report has no Markov ladder until shard 0 has run and you merge again`,
    );
}

/** The merge writes into results/<name>/ only if that holds nothing or an earlier merge: never over a whole sweep's tables. */
function checkMergeTarget(dir: string): void {
  const previous = readManifest(dir);
  if (previous && !previous.merged) {
    throw new UsageError(
      `${dir} holds a sweep's own tables (its manifest.json is not a merge's); refusing to replace them with the merged shards. ` +
        `Move them away first.`,
    );
  }
  const tables = Object.values(TABLES).filter((t) => existsSync(join(dir, t.file)));
  if (!previous && tables.length > 0) {
    throw new UsageError(
      `${dir} holds ${tables.map((t) => t.file).join(', ')} but no manifest.json; refusing to replace them with the merged shards. Move them away first.`,
    );
  }
  // baselines.csv and rungs.csv too: each is replaced (or removed) only if charlab wrote it.
  checkOurs(tableFilesIn(dir), `merge into ${dir}`, 'move them away first');
}

/** The first shard's manifest made the whole sweep's: all planned runs, every shard's sessions, and which shards it came from. */
function mergedManifest(
  folders: ShardFolder[],
  planned: RunSpec[],
  summary: Rows,
  absent: number[],
  complete: boolean,
): Manifest {
  const ms = folders.map((f) => f.manifest);
  const { shard: _shard, ...ref } = ms[0];
  const finished = ms.map((m) => m.finishedAt);
  const recorded = (f: ShardFolder) => {
    const ids = new Set(shardRuns(planned, f.shard).map((r) => r.id));
    return summary.filter((r) => ids.has(r.run_id)).length;
  };
  return {
    ...ref,
    workers: Math.max(...ms.map((m) => m.workers)),
    startedAt: ms.map((m) => m.startedAt).sort()[0],
    sessions: ms.flatMap((m) => m.sessions).sort(),
    finishedAt: complete && finished.every((t) => t !== null) ? finished.sort()[finished.length - 1] : null,
    totalRuns: planned.length,
    merged: {
      mergedAt: new Date().toISOString(),
      count: folders[0].shard.count,
      shards: folders.map((f) => ({
        shard: shardDirName(f.shard),
        runs: shardRuns(planned, f.shard).length,
        recorded: recorded(f),
        node: f.manifest.node,
        machine: f.manifest.machine,
        workers: f.manifest.workers,
        startedAt: f.manifest.startedAt,
        finishedAt: f.manifest.finishedAt,
      })),
      missing: absent,
    },
  };
}
