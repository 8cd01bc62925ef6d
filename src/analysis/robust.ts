/**
 * Rank-based trend statistics: the Mann-Kendall trend test and the Theil-Sen slope with Sen's
 * confidence interval. Both ignore the size of outliers, which post-GC samples do have (a sample
 * taken while a burst of requests is still in flight).
 */
import { normalQuantile, normalTwoSidedP } from './distributions';
import { at, checkSeries } from './series';
import { xorshift32 } from '../random';
import { decreasingPairsAndTies, medianResidual, selectSlopes, sortNumbers } from './slope-selection';

/** Result of the Mann-Kendall trend test on a series read in x order. */
export interface MannKendall {
  /** Number of points tested. */
  n: number;
  /** Kendall's S: (# increasing pairs) − (# decreasing pairs). */
  s: number;
  /** Variance of S under "no trend", corrected for ties in y. */
  variance: number;
  /** Continuity-corrected normal score, (S − sign(S)) / √variance; 0 when variance is 0. */
  z: number;
  /** Two-sided p-value of "no monotonic trend"; 1 when there is nothing to test. */
  pValue: number;
  /** Kendall's tau-b between order and y (ties in y accounted for), in [−1, 1]. */
  tau: number;
}

/**
 * Mann-Kendall test for a monotonic trend, with the tie correction of Kendall (1975):
 * Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over groups of t equal values. Ties matter for
 * count metrics (handles, sockets, fds), which are mostly constant.
 *
 * The p-value uses the normal approximation, which is good from about n = 10; below that it is
 * conservative enough for a gate that also needs a slope above threshold.
 *
 * @param y - values ordered by x (the caller sorts by requests served)
 * @returns S, its variance, z, the two-sided p-value and Kendall's tau-b
 */
export function mannKendall(y: readonly number[]): MannKendall {
  const n = y.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i])) throw new RangeError(`non-finite value at index ${i}`);
  }
  // From 64 points one merge sort gives the decreasing pairs and the ties (equal values end up
  // neighbours); below that every pair is compared.
  const merged = n >= KENDALL_MERGE_FROM ? decreasingPairsAndTies(y) : null;
  const ties = merged ? merged.ties : tieGroupSizes(y);
  let tiedPairs = 0;
  for (const t of ties) tiedPairs += (t * (t - 1)) / 2;
  // S = (# increasing) − (# decreasing) = pairs − tied − 2·decreasing, the same integer.
  const s = merged ? (n * (n - 1)) / 2 - tiedPairs - 2 * merged.decreasing : kendallS(y);
  const variance = varianceOfS(n, ties);
  const z = variance > 0 && s !== 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  const pairs = (n * (n - 1)) / 2;
  // tau-b with no ties in the order variable: S / √(n0 · (n0 − n_tied)).
  const tauDenominator = Math.sqrt(pairs * (pairs - tiedPairs));
  return {
    n,
    s,
    variance,
    z,
    pValue: variance > 0 ? normalTwoSidedP(z) : 1,
    tau: tauDenominator > 0 ? s / tauDenominator : 0,
  };
}

/** Var(S) under "no trend" with Kendall's tie correction, from the sizes of the tie groups. */
function varianceOfS(n: number, ties: readonly number[]): number {
  let tieVariance = 0;
  for (const t of ties) tieVariance += t * (t - 1) * (2 * t + 5);
  return Math.max(0, (n * (n - 1) * (2 * n + 5) - tieVariance) / 18);
}

/** From this many points S is counted by merge sort (slope-selection's) instead of every pair. */
const KENDALL_MERGE_FROM = 64;

/** Kendall's S = (# increasing pairs) − (# decreasing pairs), comparing every pair. */
function kendallS(y: readonly number[]): number {
  const n = y.length;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const yi = at(y, i);
    for (let j = i + 1; j < n; j++) {
      // Comparisons, not Math.sign: Math.sign is ~100× slower inside jest's vm sandbox.
      const d = at(y, j) - yi;
      if (d > 0) s++;
      else if (d < 0) s--;
    }
  }
  return s;
}

/** tieGroupSizes' scratch array (a fleet analysis sorts thousands of series). */
let tieScratch = new Float64Array(0);

/** Sizes of groups of equal values (only groups of 2 or more). */
function tieGroupSizes(y: readonly number[]): number[] {
  if (tieScratch.length < y.length) tieScratch = new Float64Array(Math.max(y.length, 1024));
  const sorted = tieScratch.subarray(0, y.length);
  sorted.set(y);
  sortNumbers(sorted, 0, sorted.length);
  const sizes: number[] = [];
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) {
      run++;
    } else {
      if (run > 1) sizes.push(run);
      run = 1;
    }
  }
  return sizes;
}

/** Theil-Sen line with Sen's rank-based confidence interval on the slope. */
export interface TheilSenFit {
  /** False when no pair of points has distinct x; the numbers are then all 0. */
  estimable: boolean;
  /** Median of the pairwise slopes. */
  slope: number;
  /** Median of y − slope·x. */
  intercept: number;
  /** Lower end of Sen's confidence interval on the slope. */
  low: number;
  /** Upper end of Sen's confidence interval on the slope. */
  high: number;
  /** Number of points fitted. */
  n: number;
  /** Pairwise slopes the median was taken over (after skipping equal-x pairs, and subsampling). */
  pairs: number;
  /** True when n > {@link THEIL_SEN_MAX_POINTS} and the pairs were subsampled. */
  subsampled: boolean;
  /** Confidence level of [low, high]. */
  confidence: number;
}

/** Above this many points Theil-Sen uses a fixed-size deterministic sample of pairs. */
export const THEIL_SEN_MAX_POINTS = 2000;

/**
 * Theil-Sen estimator: the median of the slopes between all pairs of points, with the
 * distribution-free confidence interval of Sen (1968) as given by Gilbert (1987, §16.4):
 * C = z₁₋α/₂ · √Var(S) with the Mann-Kendall variance of y, M₁ = (N − C)/2, M₂ = (N + C)/2, and
 * the interval runs from the M₁-th to the (M₂+1)-th smallest of the N slopes (interpolated between
 * neighbours, clamped to the smallest and largest slope when n is too small for the level).
 *
 * Up to {@link THEIL_SEN_MAX_POINTS} points (with x ascending, as the analysis passes them) the
 * order statistics come from exact slope selection (./slope-selection: O(n log n) plus the slopes
 * inside a bracket around the wanted ranks), bit-for-bit equal to sorting all slopes; when that
 * cannot certify its answer it sorts all slopes, O(n²) in time and memory.
 * For n > {@link THEIL_SEN_MAX_POINTS} it draws as many pairs as
 * 2,000 points would give, from a PRNG seeded with n (no Math.random, so reruns agree), and reads
 * the same quantile fractions (M₁/N, (M₂+1)/N) off the sampled slopes.
 *
 * @param x - predictor (requests served)
 * @param y - response, same length
 * @param confidence - confidence level in (0, 1)
 * @returns the fit; `estimable` is false when fewer than one pair has distinct x
 */
export function theilSen(x: readonly number[], y: readonly number[], confidence: number): TheilSenFit {
  return fitTheilSen(x, y, confidence, null);
}

/**
 * Mann-Kendall's test and the Theil-Sen fit of one series, as {@link mannKendall} and
 * {@link theilSen} give them: Sen's interval needs the same tie-corrected Var(S) as the test,
 * counted once here instead of twice.
 *
 * @param x - predictor, ascending
 * @param y - response, same length
 * @param confidence - confidence level in (0, 1)
 * @returns both fits
 */
export function trendFits(
  x: readonly number[],
  y: readonly number[],
  confidence: number,
): { theilSen: TheilSenFit; mannKendall: MannKendall } {
  checkSeries(x, y, confidence);
  const mk = mannKendall(y);
  return { theilSen: fitTheilSen(x, y, confidence, mk.variance), mannKendall: mk };
}

/** {@link theilSen}, with Var(S) of y when the caller has it (null: counted here). */
function fitTheilSen(
  x: readonly number[],
  y: readonly number[],
  confidence: number,
  variance: number | null,
): TheilSenFit {
  checkSeries(x, y, confidence);
  const n = x.length;
  const subsampled = n > THEIL_SEN_MAX_POINTS;
  if (!subsampled && n >= SELECTION_FROM) {
    const selected = theilSenBySelection(x, y, confidence, variance);
    if (selected) return selected;
  }
  const slopes = subsampled ? sampledSlopes(x, y) : allSlopes(x, y);
  const empty: TheilSenFit = {
    estimable: false,
    slope: 0,
    intercept: 0,
    low: 0,
    high: 0,
    n,
    pairs: 0,
    subsampled,
    confidence,
  };
  if (slopes.length === 0) return empty;
  slopes.sort(); // Float64Array sorts numerically

  const slope = sortedQuantile(slopes, 0.5);
  const intercept = medianResidual(x, y, slope);

  // Sen's interval, as 1-based ranks into the N slopes (of the full pair set when subsampled,
  // then rescaled to the sample).
  const totalPairs = subsampled ? (n * (n - 1)) / 2 : slopes.length;
  const c =
    normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(variance ?? varianceOfS(n, tieGroupSizes(y)));
  const lowerRank = (totalPairs - c) / 2;
  const upperRank = (totalPairs + c) / 2 + 1;
  return {
    estimable: true,
    slope,
    intercept,
    low: sortedRank(slopes, (lowerRank / totalPairs) * slopes.length),
    high: sortedRank(slopes, (upperRank / totalPairs) * slopes.length),
    n,
    pairs: slopes.length,
    subsampled,
    confidence,
  };
}

/** From this many points exact slope selection is worth its set-up. */
const SELECTION_FROM = 64;

/**
 * {@link theilSen} through exact slope selection: the same ranks, the same interpolation, the
 * same numbers as sorting every slope; null when the selection cannot certify them (then the
 * caller sorts).
 */
function theilSenBySelection(
  x: readonly number[],
  y: readonly number[],
  confidence: number,
  variance: number | null,
): TheilSenFit | null {
  const n = x.length;
  let equalX = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && x[i] === x[i - 1]) {
      run++;
    } else {
      equalX += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  const count = (n * (n - 1)) / 2 - equalX;
  if (count === 0) return null;
  // The ranks exactly as the sorting path computes them (totalPairs = slopes.length = count).
  const c =
    normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(variance ?? varianceOfS(n, tieGroupSizes(y)));
  const lowerRank = (count - c) / 2;
  const upperRank = (count + c) / 2 + 1;
  const positions = [
    rankPosition(count, 1 + 0.5 * (count - 1)),
    rankPosition(count, (lowerRank / count) * count),
    rankPosition(count, (upperRank / count) * count),
  ];
  const values = selectSlopes(
    x,
    y,
    positions.flatMap((p) => [p.below, p.above]),
  );
  if (!values) return null;
  const [slope, low, high] = positions.map((p, i) =>
    interpolate(at(values, 2 * i), at(values, 2 * i + 1), p.fraction),
  ) as [number, number, number];
  return {
    estimable: true,
    slope,
    intercept: medianResidual(x, y, slope),
    low,
    high,
    n,
    pairs: count,
    subsampled: false,
    confidence,
  };
}

function allSlopes(x: readonly number[], y: readonly number[]): Float64Array {
  const n = x.length;
  const out = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = at(x, i);
    const yi = at(y, i);
    for (let j = i + 1; j < n; j++) {
      const dx = at(x, j) - xi;
      // Pairs with equal x have no slope; they are left out (and counted out via `pairs`).
      if (dx !== 0) out[k++] = (at(y, j) - yi) / dx;
    }
  }
  return out.subarray(0, k);
}

function sampledSlopes(x: readonly number[], y: readonly number[]): Float64Array {
  const n = x.length;
  const target = (THEIL_SEN_MAX_POINTS * (THEIL_SEN_MAX_POINTS - 1)) / 2;
  const out = new Float64Array(target);
  const random = xorshift32(n, 0x9e3779b9);
  let k = 0;
  // Bounded: every draw either fills a slot or is one of the rare equal-x / i === j draws; the
  // attempt cap stops a series with nearly all x equal from spinning.
  for (let attempt = 0; attempt < target * 4 && k < target; attempt++) {
    const i = (random() * n) >>> 0; // n ≤ 2³¹, so this is floor()
    const j = (random() * n) >>> 0;
    const dx = at(x, j) - at(x, i);
    if (dx !== 0) out[k++] = (at(y, j) - at(y, i)) / dx;
  }
  return out.subarray(0, k);
}

/** 0-based neighbours and interpolation weight of 1-based fractional rank `rank`, clamped. */
function rankPosition(length: number, rank: number): { below: number; above: number; fraction: number } {
  const position = Math.min(Math.max(rank - 1, 0), length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, length - 1);
  return { below, above, fraction: position - below };
}

function interpolate(below: number, above: number, fraction: number): number {
  return below + fraction * (above - below);
}

/** Value at 1-based fractional rank `rank` in a sorted array, interpolated, clamped to the ends. */
function sortedRank(sorted: Float64Array, rank: number): number {
  const { below, above, fraction } = rankPosition(sorted.length, rank);
  return interpolate(at(sorted, below), at(sorted, above), fraction);
}

/** Quantile p of a sorted array (type-7 / linear interpolation; p = 0.5 is the usual median). */
function sortedQuantile(sorted: Float64Array, p: number): number {
  return sortedRank(sorted, 1 + p * (sorted.length - 1));
}
