/**
 * Normal and Student-t distribution helpers the fits need: the normal CDF and quantile (built on
 * simple-statistics) and the t quantile (Hill's algorithm, which simple-statistics lacks).
 */
import { ss } from './simple-statistics';

/**
 * Standard normal cumulative distribution function, Φ(z).
 *
 * Uses `ss.errorFunction` rather than `ss.cumulativeStdNormalProbability`: the latter is a table
 * rounded to 4 decimals that saturates at |z| ≈ 3.09, so it could never report p < 0.001.
 *
 * @param z - standard normal deviate
 * @returns P(Z ≤ z), accurate to about 1e-7
 */
export function normalCdf(z: number): number {
  return 0.5 * (1 + ss.errorFunction(z / Math.SQRT2));
}

/**
 * Two-sided upper tail of the standard normal, P(|Z| ≥ |z|).
 *
 * @param z - standard normal deviate
 * @returns a probability in [0, 1]
 */
export function normalTwoSidedP(z: number): number {
  // 1 - erf(|z|/√2) is erfc, which ss.errorFunction computes directly before subtracting from 1,
  // so the small tail keeps its precision down to about 1e-12.
  const p = 1 - ss.errorFunction(Math.abs(z) / Math.SQRT2);
  return Math.min(1, Math.max(0, p));
}

/**
 * Standard normal quantile, Φ⁻¹(p).
 *
 * Starts from `ss.probit` (about 3e-3 off: probit(0.975) is 1.9572, not 1.9600) and polishes it
 * with two Newton steps on {@link normalCdf}, which brings it to about 1e-7 for p in [1e-6, 1-1e-6].
 *
 * @param p - probability in (0, 1)
 * @returns z such that Φ(z) = p
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  }
  let z = ss.probit(p);
  for (let i = 0; i < 2; i++) {
    const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
    if (density < 1e-300) break;
    z -= (normalCdf(z) - p) / density;
  }
  return z;
}

/**
 * Student-t quantile: the t such that P(T ≤ t) = p for T with `df` degrees of freedom.
 *
 * Hill's algorithm (G. W. Hill, "Algorithm 396: Student's t-quantiles", CACM 13(10), 1970), the
 * same approximation R's `qt` starts from; exact closed forms for df = 1 and df = 2. Accurate to
 * better than 1e-3 for df ≥ 2 at the usual confidence levels (checked against table values in the
 * unit tests).
 *
 * @param p - cumulative probability in (0, 1), e.g. 0.975 for a two-sided 95% interval
 * @param df - degrees of freedom, ≥ 1 (need not be an integer)
 * @returns the quantile
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) {
    throw new RangeError(`tQuantile needs 0 < p < 1, got ${p}`);
  }
  if (!(df >= 1) || !Number.isFinite(df)) {
    throw new RangeError(`tQuantile needs finite df >= 1, got ${df}`);
  }
  if (p === 0.5) return 0;
  // Hill's algorithm works on the two-sided tail probability of |T|.
  const twoSided = p < 0.5 ? 2 * p : 2 * (1 - p);
  const magnitude = hillTwoSided(twoSided, df);
  return p < 0.5 ? -magnitude : magnitude;
}

/** |t| such that P(|T| ≥ |t|) = `p` (Hill 1970). */
function hillTwoSided(p: number, n: number): number {
  if (n === 1) {
    // Cauchy: the quantile is cot(pπ/2).
    return 1 / Math.tan((p * Math.PI) / 2);
  }
  if (n === 2) {
    return Math.sqrt(2 / (p * (2 - p)) - 2);
  }
  const a = 1 / (n - 0.5);
  const b = 48 / (a * a);
  let c = (((20700 * a) / b - 98) * a - 16) * a + 96.36;
  const d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt((a * Math.PI) / 2) * n;
  let y = Math.pow(d * p, 2 / n);
  if (y > 0.05 + a) {
    // Far from the tail: asymptotic expansion around the normal deviate (lower-tail, so negative).
    const x = normalQuantile(0.5 * p);
    y = x * x;
    if (n < 5) c += 0.3 * (n - 4.5) * (x + 0.6);
    c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
    y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
    y = Math.expm1(a * y * y);
  } else {
    // Deep in the tail: Hill's series in y = (d·p)^(2/n).
    y =
      ((1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3) + 0.5 / (n + 4)) * y - 1) *
        ((n + 1) / (n + 2)) +
      1 / y;
  }
  return Math.sqrt(n * y);
}
