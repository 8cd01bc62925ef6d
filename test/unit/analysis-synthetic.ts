/**
 * Seeded synthetic series for the analysis tests (never Math.random: every run sees the same
 * numbers, so a failure reproduces).
 */
import { seededRandom } from '../../src/random';

/** Mulberry32: uniform numbers in [0, 1) from a 32-bit seed (src/random.ts's generator). */
export const mulberry32: (seed: number) => () => number = seededRandom;

/** Standard normal deviates by Box-Muller over a seeded uniform source. */
export function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => {
    const u = Math.max(uniform(), Number.MIN_VALUE);
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Sample spacing and scatter measured on the development machine. */
export const REQUESTS_PER_SAMPLE = 3000;
/** Post-GC heapUsed of an idle small service. */
export const HEAP_BASELINE = 6_000_000;
/** Residual scatter of post-GC heapUsed around a fitted line. */
export const HEAP_SCATTER_SD = 24 * 1024;

/** Options for {@link requestGrid}. */
export interface GridOptions {
  /** Number of samples. */
  samples: number;
  /** Mean requests between samples (default 3,000). */
  spacing?: number;
  /** Seed for the ±10% jitter in spacing. */
  seed: number;
}

/** Cumulative requests served at each sample: ~`spacing` apart, jittered ±10%, starting after one gap. */
export function requestGrid({ samples, spacing = REQUESTS_PER_SAMPLE, seed }: GridOptions): number[] {
  const uniform = mulberry32(seed ^ 0x9e3779b9);
  const x: number[] = [];
  let served = 0;
  for (let i = 0; i < samples; i++) {
    served += Math.round(spacing * (0.9 + 0.2 * uniform()));
    x.push(served);
  }
  return x;
}

/** y = f(x) + N(0, sd²) noise from `seed`. */
export function withNoise(
  x: readonly number[],
  f: (x: number) => number,
  sd: number,
  seed: number,
): number[] {
  const normal = gaussian(seed);
  return x.map((xi) => f(xi) + sd * normal());
}

export interface SeriesShape {
  slope: number;
  /** Warm-up: a fast burst and a slow tail, both bounded (as measured on clean-express). */
  burst?: number;
  tail?: number;
  rho?: number;
  sd?: number;
  /** Sawtooth amplitude and period in requests. */
  saw?: number;
  period?: number;
  /**
   * The sawtooth's ramp as a curve: a structure keyed by user fills fast, then slower as users
   * come back (1 - e^(-k·phase), normalised to the amplitude), instead of a line.
   */
  curve?: number;
  /** Mean requests between samples (default 400). */
  step?: number;
}

/** A post-GC heap series: ~400 requests apart, AR(1) noise, optional warm-up and sawtooth. */
export function sequentialSeries(seed: number, n: number, shape: SeriesShape): { x: number[]; y: number[] } {
  const g = gaussian(seed);
  const u = mulberry32(seed + 7);
  const rho = shape.rho ?? 0;
  const sd = shape.sd ?? 14_000;
  const x: number[] = [];
  const y: number[] = [];
  let e = 0;
  let served = 0;
  for (let i = 0; i < n; i++) {
    served += Math.round((shape.step ?? 400) * (0.9 + 0.2 * u()));
    e = rho * e + Math.sqrt(1 - rho * rho) * sd * g();
    const warm =
      (shape.burst ?? 0) * (1 - Math.exp(-served / 1500)) +
      (shape.tail ?? 0) * (1 - Math.exp(-served / 30_000));
    const phase = (served % (shape.period ?? 1)) / (shape.period ?? 1);
    const k = shape.curve ?? 0;
    const saw = shape.saw ? shape.saw * (k > 0 ? (1 - Math.exp(-k * phase)) / (1 - Math.exp(-k)) : phase) : 0;
    x.push(served);
    y.push(6_000_000 + shape.slope * served + warm + saw + e);
  }
  return { x, y };
}
