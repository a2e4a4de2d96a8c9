export { buildVocab, encode, decode, vocabFromSymbols, codePointLength, type Vocab } from './vocab.js';
export { splitPoint, DEFAULT_VALIDATION, heldOutWarning, MIN_HELD_OUT_CHARS } from './split.js';
export { prepareCorpus, type Corpus, type PrepareOptions } from './prepare.js';
export { cleanReferenceText } from './clean.js';
export { checkPrime, DEFAULT_PRIME } from './prime.js';
export { prepareText, firstChars } from './text.js';
