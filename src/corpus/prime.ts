import { UsageError } from '../errors.js';
import { encode, type Vocab } from './vocab.js';

/**
 * Checks a sampling prime against a corpus's vocabulary before any training: at least one
 * character, each one in the vocabulary. `key` names the setting in the message ("--prime",
 * "exp.json: samples.prime"); `source` is the corpus path. Throws UsageError (exit 2).
 */
export function checkPrime(prime: string | undefined, vocab: Vocab, key: string, source: string): void {
  if (prime === undefined) return;
  if (prime === '') throw new UsageError(`${key}: expected at least one character`);
  try {
    encode(prime, vocab);
  } catch (err) {
    throw new UsageError(`${key}: ${(err as Error).message} of ${source}`);
  }
}
