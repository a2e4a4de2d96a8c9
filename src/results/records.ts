/**
 * What a run records while it trains, as the rest of charlab reads it: a point of its loss curve
 * (a curves.csv row) and a sample (a samples.csv row). src/train/run.ts produces them; the tables,
 * the live view, the checkpoints' run snapshots and the report carry them.
 */
export interface CurvePoint {
  iteration: number;
  chars: number;
  smoothLossPerChar: number; // nats per character
  valBpc: number | null; // on the curve text; null where not measured
  /** On the whole held-out text, where it was scored (every scored point when the curve text is the whole text; else the final one). */
  wholeValBpc?: number | null;
  elapsedS: number; // training time so far (evaluation excluded)
}

export interface SamplePoint {
  iteration: number;
  temperature: number;
  text: string;
}
