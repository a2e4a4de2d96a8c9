export { buildVocab, encode, decode, vocabFromSymbols, codePointLength, type Vocab } from './vocab.js';
export { splitPoint, DEFAULT_VALIDATION } from './split.js';
export { prepareCorpus, type Corpus, type PrepareOptions } from './prepare.js';
export { cleanReferenceText } from './clean.js';
export { checkPrime } from './prime.js';
export { prepareText, firstChars } from './text.js';
