/** The registry of cells: adding a cell is a file beside these and one line here. */
import { gruCell } from './gru.js';
import { lstmCell } from './lstm.js';
import { rnnCell } from './rnn.js';
import type { Cell } from './types.js';

export const CELLS = {
  rnn: rnnCell,
  gru: gruCell,
  lstm: lstmCell,
} as const satisfies Record<string, Cell>;

export type CellName = keyof typeof CELLS;
export const CELL_NAMES = Object.keys(CELLS) as CellName[];

export function isCellName(name: string): name is CellName {
  return Object.hasOwn(CELLS, name);
}
