export { loadCorpusFile, firstInvalidUtf8Offset, sha256Hex, type LoadedCorpusFile } from './load.js';
export { KNOWN_CORPORA, isKnownCorpusName, dataDir, type KnownCorpus } from './known.js';
export { resolveCorpus, ChecksumError, type ResolveCorpusOptions, type ResolvedCorpus } from './resolve.js';
export { loadCorpus, type CorpusAccess, type LoadedCorpus } from './corpus.js';
