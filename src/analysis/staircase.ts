/**
 * A heap that grows in steps that keep coming: the post-GC series of a leak into one growable
 * store (an array of numbers, a Set or Map's hash table) is a staircase. The store's backing
 * memory is enlarged by a factor (1.5 for arrays, 2 for hash tables) when it fills, so the heap
 * stays level for a stretch, jumps, and stays level for a longer stretch; nothing in between
 * shows growth. A slope test on a recent window sees one flat stretch and one jump, whose
 * residuals look like one long excursion, and its interval straddles any threshold until the
 * budget. Seen as a staircase the evidence is plain: jumps far beyond the sample-to-sample noise,
 * none ever given back, the next one arriving about when the growth factor says it should, and
 * each as high, per request of the stretch before it, as the last (a bounded structure's fill and
 * a process's warm-up slow down).
 *
 * The rate is read between the middles of complete flat stretches: each stretch's median level
 * against the median requests of its samples, so level and position are taken at the same point.
 * Over whole cycles that is the store's growth with its jumps spread over the requests that caused
 * them: between the level of a full store (the end of a stretch, which leaves out the spare
 * capacity the heap really holds) and the level right after a jump (which holds all of it). Pure.
 */
import { RESET_SIGMAS, SETTLED_RATIO } from './autocorrelated';
import { normalQuantile } from './distributions';
import { ss } from './simple-statistics';

/** Fewest lasting jumps a staircase needs: two complete flat stretches between them give a rate. */
export const MIN_STEPS = 3;
/**
 * The staircase is still climbing while the stretch since its last jump is at most this many times
 * the last complete stretch (arrays grow their store ×1.5, hash tables ×2, so the next jump is due
 * within 2× the last stretch; a bounded structure that has filled stays level past it).
 */
export const OPEN_RATIO = 2.5;
/** A jump counts only when the stretches on both sides hold at least this many samples. */
const MIN_STRETCH = 3;

/** A staircase found in a series, with the rate it implies. */
export interface Staircase {
  /** Index of the first sample after each lasting jump, increasing. */
  steps: number[];
  /** Growth per unit of x between the middles of the first and last complete flat stretches. */
  rate: number;
  /** Bounds of that rate at the given level (from the two stretch levels' noise). */
  low: number;
  high: number;
  /** x from the last jump to the last sample, and the length of the last complete stretch. */
  open: number;
  lastStretch: number;
  /** Jumps keep coming: the open stretch is at most {@link OPEN_RATIO} × the last complete one. */
  climbing: boolean;
}

/**
 * Finds a staircase: {@link MIN_STEPS} or more jumps, each beyond {@link RESET_SIGMAS} robust
 * standard deviations of the successive differences, each stretch level above the one before it
 * by that much (no jump given back), later jumps not shrinking below half the first.
 *
 * @param x - requests (or calls) at each sample, increasing
 * @param y - value at each sample
 * @param alpha - one-sided level of the rate's bounds
 * @returns the staircase, or null when the series is not one
 */
export function findStaircase(x: readonly number[], y: readonly number[], alpha: number): Staircase | null {
  const n = Math.min(x.length, y.length);
  if (n < (MIN_STEPS + 1) * MIN_STRETCH) return null;
  const d: number[] = [];
  for (let i = 1; i < n; i++) d.push((y[i] as number) - (y[i - 1] as number));
  const mid = ss.median(d);
  const sigma = 1.4826 * Math.max(ss.median(d.map((v) => Math.abs(v - mid))), Number.MIN_VALUE);
  const limit = RESET_SIGMAS * sigma;
  // Jumps: a difference beyond the limit (above the typical difference, so smooth growth beside
  // the store is not one) that lasts (the samples after it stay up: a one-sample spike is an
  // outlier), with a full stretch on either side. A young store's jumps come every few samples;
  // the staircase is read from the first jump after the last two that came too close together.
  // A shift under half the jump before it is a small level change within a stretch (something
  // else allocated once), not the store's next enlargement, which is larger than the last.
  const steps: number[] = [];
  let lastRise = 0;
  for (let i = MIN_STRETCH; i <= n - MIN_STRETCH; i++) {
    if ((d[i - 1] as number) - mid <= limit) continue;
    const rise = ss.median(y.slice(i, i + MIN_STRETCH)) - ss.median(y.slice(i - MIN_STRETCH, i));
    if (!(rise > limit / 2)) continue;
    const close = steps.length > 0 && i - (steps.at(-1) as number) < MIN_STRETCH;
    if (!close && rise < lastRise / 2) continue;
    if (close) steps.length = 0;
    steps.push(i);
    lastRise = rise;
  }
  if (steps.length < MIN_STEPS) return null;
  // Stretch levels: before the first jump, between jumps, after the last.
  const bounds = [0, ...steps, n];
  const levels: number[] = [];
  const spreads: number[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const part = y.slice(bounds[k], bounds[k + 1]);
    const level = ss.median(part);
    levels.push(level);
    spreads.push((1.4826 * ss.median(part.map((v) => Math.abs(v - level)))) / Math.sqrt(part.length));
  }
  // A ratchet: every stretch sits above the one before by more than the noise.
  const rises: number[] = [];
  for (let k = 1; k < levels.length; k++) {
    const rise = (levels[k] as number) - (levels[k - 1] as number);
    if (!(rise > limit / 2)) return null;
    rises.push(rise);
    // ...and stays there: at most one sample of the stretch (an outlier) falls back halfway.
    const floor = (levels[k - 1] as number) + rise / 2;
    const part = y.slice(bounds[k], bounds[k + 1]);
    if (part.filter((v) => v < floor).length > 1) return null;
  }
  // Not slowing down: each jump is what the stretch before it filled, so a leak's jump per request
  // of that stretch stays the same (a store enlarged ×1.5 fills for 1.5× longer and jumps 1.5×
  // higher), while a bounded structure's fill (an LRU's table) and warm-up slow down.
  const paces: number[] = [];
  for (let k = 1; k < steps.length; k++) {
    const stretch = (x[steps[k] as number] as number) - (x[steps[k - 1] as number] as number);
    paces.push((rises[k] as number) / stretch);
  }
  const firstPace = paces[0] as number;
  if (!(firstPace > 0) || paces.some((p) => p < SETTLED_RATIO * firstPace)) return null;
  // Complete stretches are those between two jumps: 1 .. steps.length − 1. A stretch's level is
  // its median, and it is taken at the median x of the same samples (the level grows a little
  // along a stretch, so a median level belongs at the stretch's middle, not at its end).
  const first = 1;
  const last = steps.length - 1;
  const middle = (k: number): number => ss.median(x.slice(bounds[k], bounds[k + 1]));
  const rise = (levels[last] as number) - (levels[first] as number);
  const span = middle(last) - middle(first);
  if (!(span > 0)) return null;
  const z = normalQuantile(1 - alpha);
  const noise = z * Math.hypot(spreads[first] as number, spreads[last] as number);
  const open = (x[n - 1] as number) - (x[steps.at(-1) as number] as number);
  const lastStretch = (x[steps.at(-1) as number] as number) - (x[steps.at(-2) as number] as number);
  return {
    steps,
    rate: rise / span,
    low: (rise - noise) / span,
    high: (rise + noise) / span,
    open,
    lastStretch,
    climbing: open <= OPEN_RATIO * lastStretch,
  };
}
