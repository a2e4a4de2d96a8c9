/** A search's configurations as runs: each configuration once per seed, seeds innermost, each with its stable id. */
import { runId, type KnobValues } from '../../results/knobs.js';

export type RunSpec = KnobValues & {
  id: string;
  index: number; // position in the deterministic order
  seed: number;
};

/** Every configuration once per seed, seeds innermost. */
export function runsOf(configs: readonly KnobValues[], seeds: readonly number[]): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const c of configs)
    for (const seed of seeds) {
      const r = { ...c, seed };
      runs.push({ ...r, id: runId(r), index: runs.length });
    }
  return runs;
}
