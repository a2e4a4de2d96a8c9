/** A checkpoint as the commands open it: loaded and checked (src/checkpoint), its missing checksum warned about on stderr. */
import { integrityWarning, loadCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import { escapeForTerminal } from '../util/terminalText.js';

export function openCheckpoint(path: string): Checkpoint {
  const ck = loadCheckpoint(path);
  const warning = integrityWarning(path, ck);
  if (warning) process.stderr.write(`${escapeForTerminal(warning)}\n`);
  return ck;
}
