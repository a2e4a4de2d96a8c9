/**
 * The bench's numpy peer: min-char-rnn's own training loop in numpy (bench/min_char_rnn.py), run
 * with python3 when python3 and numpy are available; OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are
 * removed from that child's environment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchOptions, Rate } from './benchTypes.js';

const PY_SCRIPT = new URL('../../bench/min_char_rnn.py', import.meta.url);

export interface NumpyInfo {
  available: boolean;
  reason?: string;
  numpy?: string;
  python?: string;
  blas?: unknown;
}

/** The numpy peer's environment: this process's, minus the OpenBLAS core-type overrides. */
function numpyEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export function probeNumpy(o: BenchOptions): NumpyInfo {
  if (!o.numpy) return { available: false, reason: 'skipped: --no-numpy' };
  const script = fileURLToPath(PY_SCRIPT);
  if (!existsSync(script)) return { available: false, reason: `skipped: ${script} is missing` };
  const r = spawnSync(o.python, ['-c', 'import numpy, sys; print(numpy.__version__)'], {
    env: numpyEnv(),
    encoding: 'utf8',
  });
  if (r.error)
    return {
      available: false,
      reason: `skipped: ${o.python} not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})`,
    };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { available: false, reason: `skipped: numpy does not import with ${o.python} (${last})` };
  }
  return { available: true, numpy: r.stdout.trim() };
}

export interface NumpyRun extends Rate {
  raw: Record<string, unknown>;
}

export function measureNumpy(
  hidden: number,
  o: BenchOptions,
  corpus: string,
  windows: number,
): NumpyRun | { error: string } {
  const args = [
    fileURLToPath(PY_SCRIPT),
    '--corpus',
    corpus,
    '--hidden',
    String(hidden),
    '--unroll',
    String(o.unroll),
    '--seconds',
    String(o.seconds),
    '--warmup-seconds',
    String(o.warmup),
    '--windows',
    String(windows),
  ];
  const r = spawnSync(o.python, args, { env: numpyEnv(), encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: (r.stderr || `exit status ${r.status}`).trim().split('\n').pop() ?? '' };
  try {
    const raw = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>;
    return {
      raw,
      charsPerSec: Number(raw.chars_per_sec),
      cpuCharsPerSec: raw.cpu_chars_per_sec == null ? null : Number(raw.cpu_chars_per_sec),
      chars: Number(raw.chars),
      seconds: Number(raw.seconds),
    };
  } catch {
    return { error: `unreadable output: ${r.stdout.slice(0, 200)}` };
  }
}

/** A JSON field as text: a string or number as it is, anything else `fallback`. */
export function fieldText(v: unknown, fallback = ''): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : fallback;
}

export function describeBlas(blas: unknown): string {
  if (blas === null || typeof blas !== 'object') return 'unknown BLAS';
  const b = blas as Record<string, unknown>;
  const parts = [`${fieldText(b.name, 'BLAS')} ${fieldText(b.version)}`.trim()];
  const rt = b.runtime as Record<string, unknown> | undefined;
  if (rt) parts.push(`runtime core ${fieldText(rt.corename, '?')}, ${fieldText(rt.num_threads, '?')} thread(s)`);
  const tp = b.threadpoolctl as Record<string, unknown>[] | undefined;
  if (tp)
    for (const lib of tp)
      parts.push(
        `${fieldText(lib.internal_api)} ${fieldText(lib.version)} ${fieldText(lib.architecture)}, ${fieldText(lib.num_threads)} thread(s)`,
      );
  return parts.join('; ');
}
