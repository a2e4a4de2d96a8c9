/** charlab report: regenerate a sweep's comparison report from its tables alone. */
export { buildReport, readFolder, type ReportResult } from './io.js';
export { buildModel, mergeFolders, expectedRuns, runIdOf } from './model.js';
export { parseCsv } from './csv.js';
export { parseSummary, parseCurves, parseSamples, parseManifest } from './tables.js';
export { renderMarkdown, renderMarkdownBody, MD_BODY_START, MD_BODY_END } from './markdown.js';
export { renderHtml, CSP } from './html.js';
export { renderTerminal, jsonSummary } from './terminal.js';
export { plotSpecs, renderSvg, renderPlots } from './plots.js';
export { escapeHtml, mdText, mdFence } from './format.js';
export type * from './types.js';
