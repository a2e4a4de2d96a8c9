/** At most `max` rows of `rows`, evenly spaced, the first and the last kept (the rows themselves when there are few enough). */
export function thin<T>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const out: T[] = [];
  const step = (rows.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(rows[Math.round(i * step)]);
  return out;
}
