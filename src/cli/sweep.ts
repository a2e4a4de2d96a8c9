import type { Command } from 'commander';

// Placeholder: replaced by the real 'sweep' command.
export function registerSweep(program: Command): void {
  void program;
}
