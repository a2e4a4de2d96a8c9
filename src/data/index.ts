export { loadCorpusFile, corpusFromBytes, firstInvalidUtf8Offset, sha256Hex, type LoadedCorpusFile } from './load.js';
export { KNOWN_CORPORA, isKnownCorpusName, dataDir, type KnownCorpus } from './known.js';
export { resolveCorpus, ChecksumError, type ResolveCorpusOptions, type ResolvedCorpus } from './resolve.js';
export { loadCorpus, corpusSpec, resolveWith, sliceCorpus, type CorpusAccess, type CorpusSpec, type LoadedCorpus } from './corpus.js';
