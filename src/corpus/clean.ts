/**
 * The cleaning used by the reference min-char-rnn experiments on the Sherlock Holmes text:
 * split into lines at '\n' (a trailing '\r' is removed), trim each line, lower-case it, then
 * drop every character outside printable ASCII 32..126; lines left empty are dropped; the rest
 * are joined with '\n' and a final '\n' is added (no output at all for a text with no kept line).
 *
 * Applied to cnus.txt (sha256 f5968fb3...) it reproduces holmes.txt (sha256 a75accce...) byte for
 * byte. Order note: trimming and lower-casing happen before the filter, as in the reference (so
 * 'İ', which lower-cases to 'i' + U+0307, keeps its 'i'); spaces exposed by the filter (a line
 * "é x" becomes " x") are not trimmed again. On cnus.txt every order tried gives the same result.
 */
export function cleanReferenceText(raw: string): string {
  const kept: string[] = [];
  for (const line of raw.split('\n')) {
    const body = line.endsWith('\r') ? line.slice(0, -1) : line;
    const cleaned = body
      .trim()
      .toLowerCase()
      .replace(/[^\x20-\x7e]/g, '');
    if (cleaned.length > 0) kept.push(cleaned);
  }
  return kept.length > 0 ? kept.join('\n') + '\n' : '';
}
