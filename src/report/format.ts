/**
 * Escaping and number formatting shared by the renderers. Deterministic (no locale). Text from the
 * sweep's files reaches report.md and report.html with its control characters escaped (ESC, BEL,
 * the bidirectional overrides such as U+202E, …: src/util/terminalText.ts), so `cat report.md`
 * cannot drive a terminal; the CSV tables keep the text as it is.
 */
import { escapeForTerminal } from '../util/terminalText.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for HTML element content and (quoted) attribute values. */
export function escapeHtml(text: string): string {
  return escapeForTerminal(text).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/**
 * Escape text for inline Markdown (table cells, list items; never at the start of a line): emphasis,
 * code, link, table and strike-through punctuation is backslash-escaped,
 * then & < > become entities (so no tag or entity reaches a renderer that passes raw HTML through;
 * quotes are harmless without a tag), and newlines become spaces (a table row is one line).
 */
export function mdText(text: string): string {
  const punct = escapeForTerminal(text).replace(/[\\`*_[\]|~]/g, (ch) => `\\${ch}`);
  return punct.replace(/[&<>]/g, (ch) => HTML_ESCAPES[ch]).replace(/\r\n|\r|\n/g, ' ');
}

/** A fenced Markdown code block whose fence is longer than any backtick run in the text (at least 3). */
export function mdFence(raw: string, info = 'text'): string {
  const text = escapeForTerminal(raw);
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `${fence}${info}\n${body}${fence}`;
}

export function fmtBpc(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
}

/**
 * A 95 % interval of held-out scores, "1.702–1.790". A lower bound can fall below zero when two seeds
 * disagree (mean − t·sd with t = 12.7 at n = 2): it is printed with the minus sign "−", as every
 * other negative number in a report, so it cannot be read as a dash.
 */
export function fmtInterval(lo: number | null, hi: number | null): string {
  if (lo === null || hi === null) return '—';
  const signed = (x: number) => (x < 0 ? `−${fmtBpc(-x)}` : fmtBpc(x));
  return `${signed(lo)}–${signed(hi)}`;
}

export function fmtDelta(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(3)}`;
}

/** Integer with thin grouping: 1234567 -> "1,234,567". */
export function fmtInt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const s = Math.round(Math.abs(x)).toString();
  const grouped = s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return x < 0 ? `-${grouped}` : grouped;
}

/** Compact: 1234 -> "1.2k", 2500000 -> "2.5M". */
export function fmtCompact(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [u, s] of units) {
    if (a >= u) {
      const v = x / u;
      return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)}${s}`;
    }
  }
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** Seconds as "1h 02m 03s" / "4m 05s" / "12.3s". */
export function fmtDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h ${pad(m)}m ${pad(sec)}s` : `${m}m ${pad(sec)}s`;
}

export function fmtNum(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : String(x);
}
