import type { Command } from 'commander';

// Placeholder: replaced by the real 'gradcheck' command.
export function registerGradcheck(program: Command): void {
  void program;
}
