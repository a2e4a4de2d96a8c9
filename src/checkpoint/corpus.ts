/**
 * Text against a checkpoint's vocabulary: a prime or another corpus is encoded with the model's
 * own vocabulary, and characters it does not know are named, all of them (exit 2), never skipped;
 * the training corpus of a checkpoint is recognised by its sha256.
 */
import { codePointLength, prepareCorpus, splitPoint, vocabFromSymbols, type Corpus } from '../corpus/index.js';
import type { LoadedCorpus } from '../data/corpus.js';
import { UsageError } from '../errors.js';
import { seenEndFor } from '../train/baseline.js';
import type { Checkpoint, CorpusRecord } from './checkpoint.js';

/** What a checkpoint records of the corpus its run reads (its slice, if any). */
export function corpusRecordOf({ corpus, file }: LoadedCorpus, validation: number): CorpusRecord {
  const record: CorpusRecord = {
    source: file.path,
    sha256: file.sha256,
    chars: corpus.length,
    trainEnd: corpus.trainEnd,
    validation,
  };
  return file.slice ? { ...record, slice: file.slice.chars } : record;
}

function describe(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return cp >= 32 && cp !== 127 && !(cp >= 0xd800 && cp <= 0xdfff) ? `'${String.fromCodePoint(cp)}' (${hex})` : hex;
}

/** One id per code point of `text` in the vocabulary `symbols`; a UsageError naming every character outside it. */
export function encodeInVocab(text: string, symbols: readonly number[], what: string): Int32Array {
  const vocab = vocabFromSymbols(symbols);
  const out = new Int32Array(codePointLength(text));
  const missing = new Map<number, number>(); // code point -> occurrences
  let k = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const id = vocab.index.get(cp);
    if (id === undefined) missing.set(cp, (missing.get(cp) ?? 0) + 1);
    else out[k] = id;
    k++;
  }
  if (missing.size > 0) {
    const list = [...missing].slice(0, 20).map(([cp, n]) => `${describe(cp)}${n > 1 ? ` ×${n}` : ''}`);
    const more = missing.size > 20 ? ` and ${missing.size - 20} more` : '';
    throw new UsageError(
      `${what}: ${missing.size} character(s) outside the model's vocabulary of ${symbols.length}: ${list.join(', ')}${more}`,
    );
  }
  return out;
}

/** `text` as the checkpoint's training corpus (refused unless it is the same text, by sha256), split as the run split it. */
export function trainingCorpus(ck: Checkpoint, text: string, source: string, sha256: string): Corpus {
  checkTrainingText(ck, source, sha256);
  const corpus = prepareCorpus(text, source, { validation: ck.corpus.validation });
  checkTrainingCorpus(ck, corpus);
  return corpus;
}

/** The file is the text the checkpoint's model was trained on (by sha256), or a UsageError. */
export function checkTrainingText(ck: Checkpoint, source: string, sha256: string): void {
  if (sha256 !== ck.corpus.sha256) {
    throw new UsageError(
      `corpus ${source} is not the text the model was trained on (sha256 ${sha256}, the checkpoint's is ${ck.corpus.sha256})`,
    );
  }
}

/** The corpus, prepared, has the checkpoint's vocabulary and split. */
export function checkTrainingCorpus(ck: Checkpoint, corpus: Corpus): void {
  if (corpus.vocab.symbols.join() !== ck.vocab.join())
    throw new UsageError(`corpus ${corpus.source}: its vocabulary is not the checkpoint's`);
  if (corpus.trainEnd !== ck.corpus.trainEnd)
    throw new UsageError(
      `corpus ${corpus.source}: split at ${corpus.trainEnd}, the checkpoint's run split at ${ck.corpus.trainEnd}`,
    );
}

/** Held-out text scored as a run is scored: the last `validation` fraction, encoded with the model's vocabulary. */
export function heldOutOf(
  ck: Checkpoint,
  text: string,
  source: string,
  validation: number,
): { ids: Int32Array; trainEnd: number } {
  const ids = encodeInVocab(text, ck.vocab, `corpus ${source}`);
  const trainEnd = splitPoint(ids.length, validation);
  if (trainEnd === ids.length)
    throw new UsageError(
      `corpus ${source}: holding out ${validation} of its ${ids.length} characters leaves nothing to score`,
    );
  if (trainEnd < 1) throw new UsageError(`corpus ${source}: nothing precedes the held-out text`);
  return { ids, trainEnd };
}

/** End of the training text the run read so far: the run's Markov baseline counts ids[0 .. end) (as src/train/baseline.ts). */
export function markovTrainEnd(ck: Checkpoint, corpus: Corpus): number {
  return Math.min(seenEndFor(corpus, ck.config.unroll, ck.run?.chars ?? corpus.trainEnd), corpus.trainEnd);
}
