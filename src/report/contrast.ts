/**
 * Text that stays readable on a coloured cell (pure): WCAG 2 relative luminance and contrast
 * ratio, and the choice of black or white ink, whichever contrasts more with the cell. (Between
 * them, the worse of the two best choices is about 4.6:1, above WCAG's 4.5:1 for body text.)
 */

/** [r, g, b] in 0..255 of "#rgb", "#rrggbb" or "rgb(r, g, b)"; a RangeError for anything else. */
export function parseColor(color: string): [number, number, number] {
  const c = color.trim().toLowerCase();
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(c);
  if (short) return [short[1], short[2], short[3]].map((h) => parseInt(h + h, 16)) as [number, number, number];
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(c);
  if (long) return [long[1], long[2], long[3]].map((h) => parseInt(h, 16)) as [number, number, number];
  const rgb = /^rgb\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(c);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  if (c === 'white') return [255, 255, 255];
  if (c === 'black') return [0, 0, 0];
  throw new RangeError(`not a colour this module reads: ${JSON.stringify(color)}`);
}

/** WCAG 2 relative luminance: 0.2126 R + 0.7152 G + 0.0722 B of the linearised sRGB channels. */
export function luminance(color: string): number {
  const [r, g, b] = parseColor(color).map((v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** (L_lighter + 0.05) / (L_darker + 0.05), from 1 (none) to 21 (black on white). */
export function contrastRatio(a: string, b: string): number {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

export const BLACK = '#000';
export const WHITE = '#fff';

/** Black or white text, whichever contrasts more with the fill. */
export function inkOn(fill: string): string {
  return contrastRatio(BLACK, fill) >= contrastRatio(WHITE, fill) ? BLACK : WHITE;
}
