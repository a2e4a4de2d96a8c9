/** The commands of `charlab`, each a module of src/cli/ that registers itself on the commander program. */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

/**
 * The commands, in the order --help lists them. Each module is imported only when needed: a
 * command's own dependencies (vega for report, piscina for sweep, …) cost a few hundred
 * milliseconds at start-up, so `charlab sweep` does not load report's, and vice versa. main.ts
 * runs them; the command reference (docs/commands.md, src/cli/docs.ts) lists them all.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  train: async () => (await import('./train.js')).registerTrain,
  sample: async () => (await import('./sample.js')).registerSample,
  eval: async () => (await import('./eval.js')).registerEval,
  gradcheck: async () => (await import('./gradcheck.js')).registerGradcheck,
  sweep: async () => (await import('./sweep.js')).registerSweep,
  merge: async () => (await import('./merge.js')).registerMerge,
  slurm: async () => (await import('./slurm.js')).registerSlurm,
  report: async () => (await import('./report.js')).registerReport,
  serve: async () => (await import('./serve.js')).registerServe,
  bench: async () => (await import('./bench.js')).registerBench,
  doctor: async () => (await import('./doctor.js')).registerDoctor,
};
