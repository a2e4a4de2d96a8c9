/**
 * Progress display on stderr: cli-progress bars on a terminal; when stderr is not a terminal
 * (CI, pipes), a plain line at most every few seconds.
 */
import cliProgress from 'cli-progress';

export const isTty = (): boolean => Boolean(process.stderr.isTTY);

/** Throttled plain-line logger for non-terminal output. */
export function throttledLine(intervalMs = 5000): (line: string, force?: boolean) => void {
  let last = -Infinity;
  return (line, force = false) => {
    const t = Date.now();
    if (force || t - last >= intervalMs) {
      last = t;
      process.stderr.write(`${line}\n`);
    }
  };
}

/** A bar for a download of known or unknown size; a no-op until the first update. */
export function byteBar(label: string): {
  update: (received: number, total: number | undefined) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | null = null;
  const line = throttledLine(2000);
  return {
    update(received, total) {
      const mib = (n: number) => (n / 2 ** 20).toFixed(1);
      if (!isTty()) {
        line(`${label}: ${mib(received)} MiB${total ? ` of ${mib(total)} MiB` : ''}`);
        return;
      }
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {percentage}% {value}/{total} bytes | ETA {eta}s`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total ?? received, 0);
      }
      if (total === undefined) bar.setTotal(received);
      bar.update(received);
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

/** A bar over training characters with the smooth loss in bits per char. */
export function trainBar(label: string): {
  update: (chars: number, budget: number, lossPerChar: number) => void;
  stop: () => void;
} {
  let bar: cliProgress.SingleBar | null = null;
  const line = throttledLine();
  return {
    update(chars, budget, lossPerChar) {
      const bpc = (lossPerChar / Math.LN2).toFixed(3);
      if (!isTty()) {
        line(`${label}: ${chars}/${budget} chars, smooth loss ${bpc} bits/char`, chars >= budget);
        return;
      }
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {percentage}% | {value}/{total} chars | loss {bpc} bpc | ETA {eta_formatted}`,
            stream: process.stderr,
            hideCursor: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(budget, 0, { bpc });
      }
      bar.update(chars, { bpc });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
