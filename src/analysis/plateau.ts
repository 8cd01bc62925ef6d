/**
 * Growth-then-flat shape: tells a cache that fills and stops (or lazy one-time initialisation)
 * from a leak that keeps growing, by comparing the early growth rate with the late one.
 */
import { olsFit } from './regression';
import { ss } from './simple-statistics';
import { theilSen } from './robust';
import { at, checkSeries } from './series';

/** Where the early window ends, as a fraction of the x range (first half). */
export const PLATEAU_EARLY_FRACTION = 0.5;
/**
 * Where the late window starts, as a fraction of the x range (second half). Not the last third:
 * with ~3,000 requests and ~24 KB of scatter between samples, a third of a 35-sample run bounds
 * the late slope only to about ±2 B/request, no tighter than the threshold itself; half the run
 * bounds it to about ±0.9.
 */
export const PLATEAU_LATE_FRACTION = 0.5;
/** Fewest samples in the early window for an early slope. */
export const PLATEAU_MIN_EARLY_SAMPLES = 3;
/** Fewest samples in the late window for a late slope with a usable interval. */
export const PLATEAU_MIN_LATE_SAMPLES = 5;

/** Early and late growth rates of a series. */
export interface PlateauFit {
  /** False when either window has too few samples; the numbers are then all 0 and ratio null. */
  applicable: boolean;
  /** Average growth rate over the early window (OLS slope), y units per x unit. */
  earlySlope: number;
  /** Robust growth rate over the late window (Theil-Sen slope). */
  lateSlope: number;
  /** Lower end of Sen's confidence interval on the late slope. */
  lateLow: number;
  /** Upper end of Sen's confidence interval on the late slope. */
  lateHigh: number;
  /** lateSlope / earlySlope; null when the early slope is not positive (ratio meaningless). */
  ratio: number | null;
  /** Samples in the early window (x ≤ earlyEndX). */
  earlySamples: number;
  /** Samples in the late window (x ≥ lateStartX; a sample exactly at the middle is in both). */
  lateSamples: number;
  /** Last x of the early window. */
  earlyEndX: number;
  /** First x of the late window. */
  lateStartX: number;
  /** Rise from the first sample to the late window's median level. */
  rise: number;
}

/**
 * Splits the series by x into the first half and the second half and measures the growth rate in
 * each. Splitting by x rather than by sample count keeps the windows meaningful when sampling is
 * uneven. Growth must stop before the middle of the run to show as a plateau; a bounded 5,000-entry
 * Map stops at about 8,500 inserts (V8 keeps deleted entries until it rehashes), well inside the
 * first half of a 100,000-request run.
 *
 * The two windows use different estimators on purpose. Early growth is often a step (a cache
 * filling within the first two or three samples, a lazy initialiser): Theil-Sen treats the few
 * samples before the step as outliers and reports ~0, while the least-squares slope averages the
 * rise, which is what "how fast did it grow early on" means. The late window must be robust to
 * stray samples and come with an interval, so it uses Theil-Sen with Sen's interval.
 *
 * @param x - predictor (requests served), ascending
 * @param y - response, same length
 * @param confidence - confidence level of the late-slope interval
 * @returns the early and late rates; `applicable` is false if a window has too few samples
 */
export function plateauFit(x: readonly number[], y: readonly number[], confidence: number): PlateauFit {
  checkSeries(x, y, confidence);
  const n = x.length;
  const notApplicable: PlateauFit = {
    applicable: false,
    earlySlope: 0,
    lateSlope: 0,
    lateLow: 0,
    lateHigh: 0,
    ratio: null,
    earlySamples: 0,
    lateSamples: 0,
    earlyEndX: 0,
    lateStartX: 0,
    rise: 0,
  };
  if (n === 0) return notApplicable;
  const first = at(x, 0);
  const range = at(x, n - 1) - first;
  if (!(range > 0)) return notApplicable;

  const earlyIdx: number[] = [];
  const lateIdx: number[] = [];
  for (let i = 0; i < n; i++) {
    const xi = at(x, i);
    if (xi <= first + PLATEAU_EARLY_FRACTION * range) earlyIdx.push(i);
    if (xi >= first + PLATEAU_LATE_FRACTION * range) lateIdx.push(i);
  }
  const pick = (values: readonly number[], idx: number[]): number[] => idx.map((i) => at(values, i));
  const earlyX = pick(x, earlyIdx);
  const lateX = pick(x, lateIdx);
  const early = olsFit(earlyX, pick(y, earlyIdx), confidence);
  const lateY = pick(y, lateIdx);
  const late = theilSen(lateX, lateY, confidence);
  const counts = {
    earlySamples: earlyIdx.length,
    lateSamples: lateIdx.length,
    earlyEndX: earlyX.length > 0 ? at(earlyX, earlyX.length - 1) : 0,
    lateStartX: lateX.length > 0 ? at(lateX, 0) : 0,
  };
  if (
    earlyIdx.length < PLATEAU_MIN_EARLY_SAMPLES ||
    lateIdx.length < PLATEAU_MIN_LATE_SAMPLES ||
    !early.estimable ||
    !late.estimable
  ) {
    return { ...notApplicable, ...counts };
  }
  return {
    applicable: true,
    earlySlope: early.slope,
    lateSlope: late.slope,
    lateLow: late.low,
    lateHigh: late.high,
    ratio: early.slope > 0 ? late.slope / early.slope : null,
    ...counts,
    rise: ss.median(lateY) - at(y, 0),
  };
}
