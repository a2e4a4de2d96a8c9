/**
 * The sweep's part of a results folder beyond the tables: what `--fresh` removes (the recorded
 * files src/results/folder.ts recognises, and the run checkpoints, each checked to be charlab's),
 * and the checkpoints the runs about to train would replace.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointMetadata, isCheckpointFile } from '../checkpoint/checkpoint.js';
import { UsageError } from '../errors.js';
import {
  checkpointsDir,
  isManifestFile,
  listDir,
  liveFileIn,
  reportFilesIn,
  tableFilesIn,
  type FolderFile,
} from '../results/folder.js';
import { KNOBS, type KnobDef, type KnobKey } from '../results/knobs.js';
import { checkReplaceable } from '../util/outputs.js';
import type { RunSpec } from './grid.js';

/**
 * What --fresh removes from a results folder, when present: the tables (summary, curves, samples,
 * baselines, rungs), manifest.json, live.json, the report (report.md, report.html, the plots in plots/), and
 * the run checkpoints (checkpoints/*.safetensors, halving's *.outcome.json, interrupted writes'
 * *.tmp). Nothing else in the folder is touched.
 */
export function freshTargets(dir: string): FolderFile[] {
  const manifest: FolderFile = {
    path: join(dir, 'manifest.json'),
    kind: 'a charlab sweep manifest',
    ours: isManifestFile,
  };
  const ckDir = checkpointsDir(dir);
  const checkpoints = listDir(ckDir).flatMap((name): FolderFile[] => {
    const path = join(ckDir, name);
    if (name.endsWith('.safetensors')) return [{ path, kind: 'a charlab checkpoint', ours: isCheckpointFile }];
    if (/\.rung\d+\.outcome\.json$/.test(name) || /\.\d+\.tmp$/.test(name))
      return [{ path, kind: "a sweep's working file", ours: () => true }];
    return [];
  });
  return [...tableFilesIn(dir), manifest, ...liveFileIn(dir), ...reportFilesIn(dir), ...checkpoints].filter((f) =>
    existsSync(f.path),
  );
}

/**
 * The checkpoint files the runs about to train will write (final, best, resume, halving's rung
 * files) hold nothing, or that same run's earlier checkpoint (a sweep killed after writing it):
 * a file that is not a charlab checkpoint, or one of another configuration or seed, is refused.
 */
export function checkRunCheckpoints(dir: string, runs: RunSpec[]): void {
  const ckDir = checkpointsDir(dir);
  const names = listDir(ckDir).filter((n) => n.endsWith('.safetensors'));
  if (names.length === 0) return;
  const advice = "Move it away, or run with --fresh to discard the folder's runs and checkpoints";
  for (const run of runs) {
    for (const name of names.filter((n) => n.startsWith(`${run.id}.`))) {
      const path = join(ckDir, name);
      checkReplaceable(path, isCheckpointFile, 'a charlab checkpoint', advice);
      const other = otherRun(checkpointMetadata(path)!, run);
      if (other)
        throw new UsageError(
          `refusing to replace ${path}: it holds the checkpoint of another run (${other}), not of ${run.id}. ${advice}`,
        );
    }
  }
}

/** How a checkpoint's configuration differs from the run's knobs and seed (null: it is that run's). */
function otherRun(meta: Record<string, string>, run: RunSpec): string | null {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(meta.config) as Record<string, unknown>;
  } catch {
    return 'an unreadable configuration';
  }
  const knobs = (KNOBS as readonly KnobDef[])
    .filter((k) => (config[k.key] ?? k.default) !== run[k.key as KnobKey])
    .map((k) => `${k.key} ${String(config[k.key])}`);
  if (String(config.seed) !== String(run.seed)) knobs.push(`seed ${String(config.seed)}`);
  return knobs.length > 0 ? knobs.join(', ') : null;
}
