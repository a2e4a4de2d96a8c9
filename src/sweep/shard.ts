/**
 * Shards: one sweep split over the tasks of a cluster job (a Slurm job array, a Kubernetes Indexed
 * Job). Shard i of n holds the runs at grid positions i, i+n, i+2n, … (round-robin over the grid
 * order, so shards differ by at most one run and each gets a mix of small and large models). Pure:
 * the environment is passed in by the CLI.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Manifest, Shard } from '../results/manifest.js';

type Env = Record<string, string | undefined>;

const HOW =
  'expected i/n (0 <= i < n, e.g. 3/8), auto (inside a Slurm job array), or auto/n (the shard count n fixed; ' +
  "the index from SLURM_ARRAY_TASK_ID or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)";

/** The shard named by `--shard`: "i/n", "auto" or "auto/n" (see HOW). Bad or inconsistent: UsageError. */
export function parseShard(spec: string, env: Env): Shard {
  const m = /^\s*(\d+|auto)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (spec.trim() === 'auto') return fromSlurmArray(env);
  if (!m) throw new UsageError(`--shard: ${HOW}; got '${spec}'`);
  const count = decimal(m[2], `--shard ${spec}: the shard count`);
  if (count < 1) throw new UsageError(`--shard ${spec}: the shard count must be at least 1`);
  const index = m[1] === 'auto' ? autoIndex(env, count, spec) : decimal(m[1], `--shard ${spec}: the shard index`);
  if (index >= count)
    throw new UsageError(
      `--shard ${spec}: shard index ${index} is not below the shard count ${count} (shards are numbered 0..${count - 1})`,
    );
  return { index, count };
}

/** `auto`: index and count of a Slurm job array, which must be a contiguous range (e.g. --array=0-7). */
function fromSlurmArray(env: Env): Shard {
  if (env.SLURM_ARRAY_TASK_ID === undefined) {
    const k8s =
      env.JOB_COMPLETION_INDEX !== undefined
        ? ' (JOB_COMPLETION_INDEX is set: in a Kubernetes Indexed Job give the completion count, --shard auto/n)'
        : '';
    throw new UsageError(
      `--shard auto: SLURM_ARRAY_TASK_ID is not set, so this is not a Slurm array task${k8s}; ${HOW}`,
    );
  }
  const id = slurmVar(env, 'SLURM_ARRAY_TASK_ID');
  const count = slurmVar(env, 'SLURM_ARRAY_TASK_COUNT');
  const min = slurmVar(env, 'SLURM_ARRAY_TASK_MIN');
  const step = env.SLURM_ARRAY_TASK_STEP === undefined ? 1 : slurmVar(env, 'SLURM_ARRAY_TASK_STEP');
  const max = env.SLURM_ARRAY_TASK_MAX === undefined ? null : slurmVar(env, 'SLURM_ARRAY_TASK_MAX');
  const vars = `SLURM_ARRAY_TASK_ID=${id}, SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_COUNT=${count}`;
  if (count < 1 || step < 1)
    throw new UsageError(
      `--shard auto: ${vars}, SLURM_ARRAY_TASK_STEP=${step}: not a job array charlab can split a sweep over`,
    );
  if (max !== null && (max - min) / step + 1 !== count) {
    throw new UsageError(
      `--shard auto: the job array is not a contiguous range (SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_MAX=${max}, ` +
        `SLURM_ARRAY_TASK_COUNT=${count}), so the shard count cannot be told from it; give it: --shard auto/n`,
    );
  }
  const index = (id - min) / step;
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new UsageError(`--shard auto: ${vars} are inconsistent: task ${id} is not in the array`);
  return { index, count };
}

/** `auto/n`: the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX (one of them; the same value if both). */
function autoIndex(env: Env, count: number, spec: string): number {
  const slurm = env.SLURM_ARRAY_TASK_ID === undefined ? null : slurmVar(env, 'SLURM_ARRAY_TASK_ID');
  const k8s = env.JOB_COMPLETION_INDEX === undefined ? null : decimal(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
  if (slurm !== null && k8s !== null && slurm !== k8s) {
    throw new UsageError(
      `--shard ${spec}: SLURM_ARRAY_TASK_ID=${slurm} and JOB_COMPLETION_INDEX=${k8s} disagree; unset the one that does not apply`,
    );
  }
  const index = slurm ?? k8s;
  if (index === null)
    throw new UsageError(`--shard ${spec}: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set; ${HOW}`);
  if (index >= count) {
    const from = slurm !== null ? `SLURM_ARRAY_TASK_ID=${slurm}` : `JOB_COMPLETION_INDEX=${k8s}`;
    throw new UsageError(
      `--shard ${spec}: ${from} is not below the shard count ${count} (the array must be numbered 0..${count - 1})`,
    );
  }
  return index;
}

function slurmVar(env: Env, name: string): number {
  return decimal(env[name], name);
}

function decimal(value: string | undefined, what: string): number {
  const n = Number(value);
  if (value === undefined || !/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(
      `${what}: expected a non-negative integer (decimal digits), got ${value === undefined ? 'nothing (not set)' : `'${value}'`}`,
    );
  }
  return n;
}

/** The runs of shard `s`, in grid order: every run whose position in the planned list is s.index mod s.count. */
export function shardRuns<T>(runs: readonly T[], s: Shard): T[] {
  return runs.filter((_, k) => k % s.count === s.index);
}

/** Which shard of `count` runs the run at grid position `k`. */
export function shardOf(k: number, count: number): number {
  return k % count;
}

/** The shard's folder name under results/<name>/shards/. */
export function shardDirName(s: Shard): string {
  return `${s.index}-of-${s.count}`;
}

/** "3-of-8" back to a shard, or null for any other name. */
export function parseShardDirName(name: string): Shard | null {
  const m = /^(\d+)-of-(\d+)$/.exec(name);
  if (!m) return null;
  const s = { index: Number(m[1]), count: Number(m[2]) };
  return s.count >= 1 && s.index < s.count ? s : null;
}

export const SHARDS_DIR = 'shards';

/** A sweep's default folder: results/<name>, or results/<name>/shards/<i>-of-<n> for a shard. */
export function shardOutDir(resultsDir: string, shard: Shard | null): string {
  return shard ? join(resultsDir, SHARDS_DIR, shardDirName(shard)) : resultsDir;
}

/**
 * A results folder holds one shard's runs, a whole sweep's, or tables merged from shards: a sweep
 * only adds to a folder of its own kind (a shard's folder only for that same shard).
 */
export function checkShardFolder(
  previous: Pick<Manifest, 'shard' | 'merged'> | null,
  shard: Shard | null,
  dir: string,
): void {
  if (!previous) return;
  const held = previous.shard
    ? `shard ${previous.shard.index}/${previous.shard.count}`
    : previous.merged
      ? 'tables merged from shards (charlab merge)'
      : 'a whole sweep (no --shard)';
  const asked = shard ? `shard ${shard.index}/${shard.count}` : 'a whole sweep';
  const same = shard
    ? previous.shard?.index === shard.index && previous.shard.count === shard.count
    : !previous.shard && !previous.merged;
  if (same) return;
  const advice = previous.merged ? 'run the missing shards with --shard and merge again, or' : '';
  throw new UsageError(
    `${dir} holds ${held}; refusing to add ${asked} to it: ${advice} use another --out (or --fresh to start over there)`,
  );
}
