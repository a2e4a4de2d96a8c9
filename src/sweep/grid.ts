/** The sweep's runs: the grid's cartesian product times the seeds, in a fixed order, each with a stable id. */
import type { Experiment } from './schema.js';

export interface RunSpec {
  id: string;
  index: number; // position in the deterministic order
  hiddenSize: number;
  unroll: number;
  clip: number;
  learningRate: number;
  seed: number;
}

export function runId(r: Omit<RunSpec, 'id' | 'index'>): string {
  return `h${r.hiddenSize}-u${r.unroll}-c${r.clip}-lr${r.learningRate}-s${r.seed}`;
}

/** Nested loops, outermost first: hidden size, unroll, clip, learning rate, seed. */
export function expandGrid(exp: Pick<Experiment, 'grid' | 'seeds'>): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const hiddenSize of exp.grid.hiddenSize)
    for (const unroll of exp.grid.unroll)
      for (const clip of exp.grid.clip)
        for (const learningRate of exp.grid.learningRate)
          for (const seed of exp.seeds) {
            const r = { hiddenSize, unroll, clip, learningRate, seed };
            runs.push({ id: runId(r), index: runs.length, ...r });
          }
  return runs;
}
