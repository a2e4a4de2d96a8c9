/** The bench's measuring loop: a model trained in min-char-rnn's chunks for a given time, its rate per wall and CPU second. */
import type { CharModel } from '../model/types.js';
import { ChunkCursor } from '../train/chunks.js';
import { median } from '../util/stats.js';
import type { BenchOptions, Rate } from './benchTypes.js';

/** Trains on ids in min-char-rnn's chunks (src/train/chunks.ts), for a given time. */
class Trainer {
  private readonly chunks: ChunkCursor;
  constructor(
    private readonly model: CharModel,
    private readonly ids: Int32Array,
    unroll: number,
  ) {
    this.chunks = new ChunkCursor(ids.length, unroll);
  }

  /** Trains until `seconds` have passed (at least one chunk); returns characters and wall seconds. */
  run(seconds: number): { chars: number; seconds: number } {
    const { model, ids, chunks } = this;
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    let chars = 0;
    do {
      const c = chunks.next();
      if (c.reset) model.resetHidden();
      model.trainChunk(ids, c.start, c.len);
      chars += c.len;
    } while (performance.now() < until);
    return { chars, seconds: (performance.now() - t0) / 1000 };
  }
}

export const WINDOWS = 3;

/** A model trained in min-char-rnn's chunks: warm-up, then `seconds` in WINDOWS windows; the median window's rate. */
export function measureModel(model: CharModel, ids: Int32Array, o: BenchOptions): Rate {
  const trainer = new Trainer(model, ids, model.config.unroll);
  trainer.run(o.warmup);
  const rates: number[] = [];
  let chars = 0;
  let seconds = 0;
  const cpu0 = process.cpuUsage();
  for (let w = 0; w < WINDOWS; w++) {
    const r = trainer.run(o.seconds / WINDOWS);
    rates.push(r.chars / r.seconds);
    chars += r.chars;
    seconds += r.seconds;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { charsPerSec: median(rates), cpuCharsPerSec: cpuSeconds > 0 ? chars / cpuSeconds : null, chars, seconds };
}
