/** Ordinary least squares with a t-based confidence interval on the slope. */
import { ss } from './simple-statistics';
import { tQuantile } from './distributions';
import { at, checkSeries } from './series';

/**
 * A least-squares line y = intercept + slope·x with a confidence interval on the slope.
 *
 * Every field is a finite number so the fit can go straight into report.json. When the fit is not
 * defined (fewer than 3 points, or all x equal) `estimable` is false and every other numeric field
 * except `n` is 0: callers must check `estimable` (or `n`) before reading the interval.
 */
export interface OlsFit {
  /** False when the slope or its interval is undefined; the numbers are then all 0. */
  estimable: boolean;
  /** Fitted slope, in y units per x unit (bytes or handles per request). */
  slope: number;
  /** Fitted y at x = 0. */
  intercept: number;
  /** Lower end of the two-sided confidence interval on the slope. */
  low: number;
  /** Upper end of the two-sided confidence interval on the slope. */
  high: number;
  /** Standard error of the slope. */
  stdErr: number;
  /** Coefficient of determination; 1 when the line fits exactly (including constant y). */
  rSquared: number;
  /** Number of points fitted. */
  n: number;
  /** Confidence level of [low, high], e.g. 0.95. */
  confidence: number;
}

/**
 * Fits y = a + b·x by ordinary least squares and returns a two-sided confidence interval on b
 * from the t distribution with n − 2 degrees of freedom.
 *
 * @param x - predictor (requests served); same length as `y`, finite values
 * @param y - response (metric value)
 * @param confidence - confidence level in (0, 1), e.g. 0.95
 * @returns the fit; `estimable` is false for n < 3 or zero-variance x
 */
export function olsFit(x: readonly number[], y: readonly number[], confidence: number): OlsFit {
  checkSeries(x, y, confidence);
  const n = x.length;
  const undefinedFit: OlsFit = {
    estimable: false,
    slope: 0,
    intercept: 0,
    low: 0,
    high: 0,
    stdErr: 0,
    rSquared: 0,
    n,
    confidence,
  };
  if (n < 3) return undefinedFit;

  const meanX = ss.mean(x);
  let sxx = 0;
  for (const xi of x) sxx += (xi - meanX) ** 2;
  if (!(sxx > 0)) return undefinedFit;

  // simple-statistics' linearRegression on the [x, y] pairs, step for step (n ≥ 3 here), without
  // building the pairs (a fleet analysis fits 20,000 series): it centres on the means before
  // accumulating, so large offsets (x in the millions of requests, y in the hundreds of MB) do
  // not cancel catastrophically.
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += at(x, i);
    sumY += at(y, i);
  }
  const centreX = sumX / n;
  const centreY = sumY / n;
  let sumXY = 0;
  let sumXX = 0;
  for (let i = 0; i < n; i++) {
    const deviationX = at(x, i) - centreX;
    sumXY += deviationX * (at(y, i) - centreY);
    sumXX += deviationX * deviationX;
  }
  const slope = sumXY / sumXX;
  const intercept = centreY - slope * centreX;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (at(y, i) - (intercept + slope * at(x, i))) ** 2;
  const stdErr = Math.sqrt(sse / (n - 2) / sxx);
  const half = tQuantile(1 - (1 - confidence) / 2, n - 2) * stdErr;
  return {
    estimable: true,
    slope,
    intercept,
    low: slope - half,
    high: slope + half,
    stdErr,
    rSquared: rSquaredOf(x, y, slope, intercept, sse),
    n,
    confidence,
  };
}

/**
 * R² as simple-statistics' rSquared computes it (step for step, on x and y instead of pairs),
 * except for constant y where it would return 0/0.
 */
function rSquaredOf(
  x: readonly number[],
  y: readonly number[],
  slope: number,
  intercept: number,
  sse: number,
): number {
  if (sse === 0) return 1;
  const n = x.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += at(y, i);
  const average = sum / n;
  let sumOfSquares = 0;
  for (let i = 0; i < n; i++) sumOfSquares += Math.pow(average - at(y, i), 2);
  let err = 0;
  for (let i = 0; i < n; i++) err += Math.pow(at(y, i) - (intercept + slope * at(x, i)), 2);
  const r2 = 1 - err / sumOfSquares;
  return Number.isFinite(r2) ? r2 : 0;
}
