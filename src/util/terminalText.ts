/**
 * Text from a corpus, a table or an error message, made safe to print on a terminal: control
 * characters are shown as escapes instead of being sent raw, so a hostile corpus cannot move the
 * cursor, rewrite the screen (ESC sequences, C1 controls such as CSI U+009B) or reorder what the
 * user sees (bidirectional overrides and isolates). Line breaks and tabs are kept (samples span
 * lines); a carriage return is escaped (it would overwrite the line). Reports (report.md,
 * report.html) escape the same characters, since `cat report.md` prints them on a terminal; the CSV
 * tables keep the text as it is.
 */

// C0 controls except \t and \n, DEL, C1 controls, the bidi marks, embeddings, overrides and isolates,
// and the line/paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character written as \xHH or \uHHHH. */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
