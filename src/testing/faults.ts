/**
 * TEST-ONLY seam: fault injection for the reliability tests. Nothing here is used in normal
 * operation; a user never sets CHARLAB_TEST_FAULT.
 *
 * CHARLAB_TEST_FAULT='{"<run id>":"throw"|"exit"}' makes the named runs of a sweep throw inside
 * their worker, or kill their worker thread mid-task (src/sweep/worker.ts acts on the fault).
 * The CLI reads the variable here, at its edge, and hands the map to runSweep.
 */
import { UsageError } from '../errors.js';
import type { Fault } from '../sweep/task.js';

export const TEST_FAULT_ENV = 'CHARLAB_TEST_FAULT';

/** The faults asked for by the environment, or undefined (the normal case). */
export function testFaultsFromEnv(env: Record<string, string | undefined>): Record<string, Fault> | undefined {
  const raw = env[TEST_FAULT_ENV];
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = null;
  }
  const ok =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((f) => f === 'throw' || f === 'exit');
  if (!ok)
    throw new UsageError(
      `${TEST_FAULT_ENV}: expected JSON like {"h8-u4-c5-lr0.1-s1":"throw"} (faults: "throw", "exit"), got ${raw}`,
    );
  return parsed as Record<string, Fault>;
}
