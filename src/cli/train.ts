import type { Command } from 'commander';

// Placeholder: replaced by the real 'train' command.
export function registerTrain(program: Command): void {
  void program;
}
