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

/** A sawtooth cleared by a timer, as a service's setInterval clears it: see {@link timedSawtooth}. */
export interface TimedSawtoothShape {
  /** True growth per request under the sawtooth. */
  slope: number;
  /** Bytes the structure gains per request between resets (a linear ramp). */
  rampPerRequest: number;
  /** The timer's period (ms). */
  periodMs: number;
  /** Mean requests per ms (it wanders ±`wander` over seconds). */
  rate: number;
  /** How far the rate wanders from its mean, as a share (default 0.2). */
  wander?: number;
  /** Time between samples (ms, jittered ±10%). */
  spacingMs?: number;
  /** Mean lateness of each timer callback (ms, exponential); Node re-arms from when it ran. */
  lagMs?: number;
  sd?: number;
  rho?: number;
  /**
   * Entries expire: each timer callback removes only the entries older than this (ms), as a
   * session store or a TTL cache prunes, instead of clearing the structure.
   */
  expiryMs?: number;
}

/**
 * A post-GC series of a structure cleared every `periodMs` of the process's clock: samples every
 * ~353 ms with their clock, requests at a wandering rate, each timer callback late by a random
 * lag that adds up (Node re-arms an interval from when its callback ran).
 *
 * @returns requests (x), heap (y) and the process's clock (ms) at each sample
 */
export function timedSawtooth(
  seed: number,
  n: number,
  shape: TimedSawtoothShape,
): { x: number[]; y: number[]; clock: number[] } {
  const g = gaussian(seed);
  const u = mulberry32(seed + 11);
  const rho = shape.rho ?? 0;
  const sd = shape.sd ?? 14_000;
  const spacing = shape.spacingMs ?? 353;
  const wander = shape.wander ?? 0.2;
  const x: number[] = [];
  const y: number[] = [];
  const clock: number[] = [];
  let e = 0;
  let t = 1000 + 200 * u();
  let served = 0;
  let rateFactor = 1;
  let nextReset = shape.periodMs + 20;
  // Requests served by each ms of the clock, for expiry: the structure holds what was served
  // since `keptFrom`.
  const servedAt: number[] = [];
  let keptFrom = 0;
  for (let i = 0; i < n; i++) {
    const dt = spacing * (0.9 + 0.2 * u());
    // The rate wanders; requests accrue in 1 ms steps so a reset splits them where it falls.
    rateFactor = Math.min(1 + wander, Math.max(1 - wander, rateFactor + 0.05 * (u() - 0.5)));
    for (let step = 0; step < dt; step++) {
      t += 1;
      if (t >= nextReset) {
        keptFrom = shape.expiryMs === undefined ? t - 1 : Math.max(keptFrom, t - shape.expiryMs);
        nextReset = t + shape.periodMs - 1 - Math.log(Math.max(u(), Number.MIN_VALUE)) * (shape.lagMs ?? 3);
      }
      served += shape.rate * rateFactor;
      servedAt[Math.round(t)] = served;
    }
    let from = Math.round(keptFrom);
    while (from > 0 && servedAt[from] === undefined) from--;
    const sinceReset = served - (servedAt[from] ?? 0);
    e = rho * e + Math.sqrt(1 - rho * rho) * sd * g();
    x.push(Math.round(served));
    clock.push(Math.round(t));
    y.push(6_000_000 + shape.slope * served + shape.rampPerRequest * sinceReset + e);
  }
  return { x, y, clock };
}

export interface DecayingWarmupShape {
  /** Growth per request that lasts (a leak), bytes/request. */
  slope: number;
  /** Warm-up growth at request 0, bytes/request, decaying as e^(-requests/tau) (A·tau bytes in all). */
  A: number;
  tau: number;
  /** AR(1) noise (ρ 0.3) standard deviation, bytes. */
  sd: number;
  /** Mean requests between samples, and the requests served before the first sample. */
  step: number;
  start: number;
}

/**
 * A post-GC heap series whose own growth decays slowly (hapi 21 on one busy core: ~19
 * B/request still at 10,000 requests, ~0 from 20,000 on), with AR(1) noise and an optional lasting
 * slope.
 */
export function decayingWarmupSeries(
  seed: number,
  n: number,
  s: DecayingWarmupShape,
): { x: number[]; y: number[] } {
  const g = gaussian(seed);
  const u = mulberry32(seed + 99);
  const rho = 0.3;
  const x: number[] = [];
  const y: number[] = [];
  let e = 0;
  let served = s.start;
  for (let i = 0; i < n; i++) {
    served += Math.round(s.step * (0.9 + 0.2 * u()));
    e = rho * e + Math.sqrt(1 - rho * rho) * s.sd * g();
    x.push(served);
    y.push(6e6 + s.slope * served + s.A * s.tau * (1 - Math.exp(-served / s.tau)) + e);
  }
  return { x, y };
}
