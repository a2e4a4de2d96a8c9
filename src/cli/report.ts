import type { Command } from 'commander';

// Placeholder: replaced by the real 'report' command.
export function registerReport(program: Command): void {
  void program;
}
