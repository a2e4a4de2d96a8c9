import type { Command } from 'commander';

// Placeholder: replaced by the real 'bench' command.
export function registerBench(program: Command): void {
  void program;
}
