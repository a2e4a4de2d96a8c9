/**
 * The corpus preparation rule: what charlab reads from any corpus file, known or given by path.
 * The file itself is never changed (a downloaded corpus is saved as published); the rule is applied
 * each time it is read:
 *   - a leading UTF-8 byte-order mark (U+FEFF) is dropped;
 *   - line endings become '\n': every "\r\n" and every lone '\r' (Python's universal newlines).
 * Nothing else changes: no case folding, no character dropped or replaced. The result is exactly
 * the text Python's `open(path, encoding='utf-8-sig').read()` returns, so a score measured on a
 * PyTorch script's text is a score on the same characters. Why: a '\r' before each '\n' is one more
 * symbol the model must predict at every line end (perfectly predictable, so it adds characters, not
 * information: bits per character fall by about the share of '\r' in the text, 1.9 % on War and
 * Peace), and a BOM is an encoding mark, not text.
 */
export function prepareText(decoded: string): string {
  const body = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  return body.includes('\r') ? body.replace(/\r\n?/g, '\n') : body;
}

/**
 * The first `chars` characters (Unicode code points) of `text`, or null when it has fewer. A corpus
 * slice: one file gives a smaller corpus (its first N characters, then the usual held-out tail).
 */
export function firstChars(text: string, chars: number): string | null {
  let i = 0;
  for (let n = 0; n < chars; n++) {
    if (i >= text.length) return null;
    const cp = text.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
  }
  return text.slice(0, i);
}
