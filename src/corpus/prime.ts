import { UsageError } from '../errors.js';
import { encode, type Vocab } from './vocab.js';

/**
 * What is fed to the model before it samples when no prime is given, in each command's words.
 * They differ on purpose: a run (train, sweep) primes with the last character it read, the one
 * just before its data pointer; `sample` reads a checkpoint, which holds no corpus text, so it
 * primes with a newline (or, with none in the vocabulary, its first symbol).
 */
export const DEFAULT_PRIME = {
  run: 'the last character the model read (the one just before its data pointer)',
  checkpoint:
    "a newline, or the vocabulary's first symbol if it has no newline (a checkpoint holds no corpus text: train's default, the last character read, is not known here)",
} as const;

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
