/**
 * The statistics of base-versus-head: per-run growth estimates in, the difference head − base with
 * its interval and a verdict out. Pure functions over numbers, like src/analysis.
 *
 * Runs of the same code differ by more than their own fits say (a short warm-up leaves a few
 * bytes per request of JIT and feedback growth that varies from run to run), so the spread is
 * taken from the repeated runs themselves: the difference of the two sides' means with the pooled
 * two-sample t interval (2N − 2 degrees of freedom; with equal runs per side it stays valid when
 * the sides' spreads differ, as a leaking head's does). It is never narrower than what the runs'
 * own intervals allow, for when the runs agree by chance. The head is blamed only when, in
 * addition, every head run shows the leak on its own: two independent signs, as the single-run
 * rule asks both of its estimators to agree.
 */
import { REQUESTS } from '../analysis/axis';
import { formatAmount, formatRate, formatRateWithInterval } from '../analysis/format';
import { normalQuantile, tQuantile } from '../analysis/distributions';
import type { MetricThreshold, MetricUnit } from '../analysis/metrics';
import type { Verdict } from '../analysis/rules';

/** One run's estimate of growth per request for one metric. */
export interface RunEstimate {
  /** Growth per request (the run's robust slope). */
  perRequest: number;
  /** The run's own confidence interval on it. */
  low: number;
  high: number;
  /** Confidence level of [low, high]. */
  confidence: number;
  /** Requests the run's fit covered (last − first sampled). */
  span: number;
  /** The single-run verdict on this metric. */
  verdict: Verdict;
}

/** What one side (base or head) measured for a metric over its runs. */
export interface SideSummary {
  /** Mean of the runs' per-request estimates. */
  mean: number;
  /** Each run's estimate, in run order. */
  perRun: number[];
  /** Runs whose own verdict on this metric was a leak. */
  leakRuns: number;
  runs: number;
}

/** Settings of one metric's comparison. */
export interface DifferenceSettings {
  metric: string;
  /** Short words for the metric in reasons ("heap"). */
  label: string;
  unit: MetricUnit;
  gating: boolean;
  threshold: MetricThreshold;
  /** Confidence level of the difference's interval. */
  confidence: number;
}

/** The difference head − base for one metric, and what it means for the pull request. */
export interface MetricDifference {
  metric: string;
  unit: MetricUnit;
  gating: boolean;
  threshold: MetricThreshold;
  /** Pairs compared. */
  pairs: number;
  /** Head's mean minus base's mean, per request (the mean of the pairs' differences). */
  mean: number;
  /** Confidence interval on the mean difference. */
  low: number;
  high: number;
  /** Standard error of the mean difference. */
  stdErr: number;
  /** Degrees of freedom of the t quantile used. */
  df: number;
  confidence: number;
  /** Which spread set the interval: the runs' scatter, or the runs' own intervals (when wider). */
  spread: 'between-runs' | 'within-runs';
  base: SideSummary;
  head: SideSummary;
  /** Every base run called this metric a leak on its own: the leak predates the head. */
  baseLeaks: boolean;
  /** Leak: the head adds growth beyond the threshold; pass: it does not; inconclusive: can't tell. */
  verdict: Verdict;
  reason: string;
}

/**
 * Standard error implied by a two-sided interval of the given confidence (half-width over the
 * normal quantile). Sen's interval on a Theil-Sen slope comes from a normal approximation too.
 *
 * @param estimate - a run's estimate and interval
 * @returns the standard error, 0 for a degenerate interval
 */
export function impliedStdErr(estimate: Pick<RunEstimate, 'low' | 'high' | 'confidence'>): number {
  const z = normalQuantile(1 - (1 - estimate.confidence) / 2);
  const width = estimate.high - estimate.low;
  return Number.isFinite(width) && width > 0 ? width / (2 * z) : 0;
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleSd(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
}

function side(estimates: readonly RunEstimate[]): SideSummary {
  const perRun = estimates.map((e) => e.perRequest);
  return {
    mean: mean(perRun),
    perRun,
    leakRuns: estimates.filter((e) => e.verdict === 'leak').length,
    runs: estimates.length,
  };
}

/**
 * Compares one metric over N pairs of runs and decides whether the head adds growth.
 *
 * - leak: every head run is a leak on its own, the interval's lower bound is above the
 *   per-request threshold, and the mean difference over the head's requests reaches `minGrowth`;
 * - pass: the upper bound is below the threshold, or growth at the upper bound stays under
 *   `minGrowth`; also when no head run grew on its own (nothing to blame, whatever the base did);
 * - inconclusive otherwise.
 *
 * @param base - the base runs' estimates, pair order (at least 2)
 * @param head - the head runs' estimates, same order (at least 2; more than the base when a
 *   bisect step measured its candidate again against a reused base)
 * @param settings - metric, threshold and confidence
 * @returns the difference and its verdict
 * @throws RangeError with fewer than 2 runs on a side
 */
export function pairedDifference(
  base: readonly RunEstimate[],
  head: readonly RunEstimate[],
  settings: DifferenceSettings,
): MetricDifference {
  const n = head.length;
  const nb = base.length;
  // One run per side says nothing about how much runs of the same code differ.
  if (n < 2 || nb < 2)
    throw new RangeError(`pairedDifference needs at least 2 runs per side, got ${nb} and ${n}`);
  const m = mean(head.map((h) => h.perRequest)) - mean(base.map((b) => b.perRequest));
  const spreadOf = (side: readonly RunEstimate[]): number => sampleSd(side.map((e) => e.perRequest)) ** 2;
  // Pooled two-sample variance; with equal runs per side it is (s²base + s²head) / n.
  const pooled = ((nb - 1) * spreadOf(base) + (n - 1) * spreadOf(head)) / (nb + n - 2);
  const between = Math.sqrt(pooled * (1 / nb + 1 / n));
  const sumSq = (side: readonly RunEstimate[]): number => side.reduce((s, e) => s + impliedStdErr(e) ** 2, 0);
  const within = Math.sqrt(sumSq(head) / n ** 2 + sumSq(base) / nb ** 2);
  const stdErr = Math.max(between, within);
  const df = nb + n - 2;
  const q = tQuantile(1 - (1 - settings.confidence) / 2, df);
  const low = m - q * stdErr;
  const high = m + q * stdErr;
  const baseSide = side(base);
  const headSide = side(head);
  const span = head.reduce((s, h) => s + Math.max(0, h.span), 0);
  const { perUnit: limit, minGrowth } = settings.threshold;
  const rate = formatRateWithInterval(m, low, high, settings.unit, settings.confidence, REQUESTS);
  const over = nb === n ? `over ${n} pairs of runs` : `over ${nb} base and ${n} head runs`;

  let verdict: Verdict;
  let reason: string;
  if (headSide.leakRuns === 0 && head.every((h) => h.verdict === 'pass')) {
    verdict = 'pass';
    reason = `no head run grew in ${settings.label} on its own; head − base ${rate} ${over}`;
  } else if (low > limit && m * span >= minGrowth && headSide.leakRuns === n) {
    verdict = 'leak';
    reason =
      `the head adds ${rate} of ${settings.label} growth over the base ${over}, above the ` +
      `${formatRate(limit, settings.unit, REQUESTS)} threshold (${formatAmount(m * span, settings.unit)} over the head's ` +
      `requests)`;
  } else if (low > limit && m * span >= minGrowth) {
    verdict = 'inconclusive';
    reason =
      `head − base ${rate} ${over}, above the ${formatRate(limit, settings.unit, REQUESTS)} threshold, but only ` +
      `${headSide.leakRuns} of ${n} head runs show a leak on their own`;
  } else if (high < limit || high * span < minGrowth) {
    verdict = 'pass';
    reason =
      high < limit
        ? `head − base ${rate} ${over}: below the ${formatRate(limit, settings.unit, REQUESTS)} threshold`
        : `head − base ${rate} ${over}: even at the upper bound, growth over the head's requests stays under ` +
          `${formatAmount(minGrowth, settings.unit)}`;
  } else {
    verdict = 'inconclusive';
    reason =
      `head − base ${rate} ${over}: the interval reaches both sides of the ` +
      `${formatRate(limit, settings.unit, REQUESTS)} threshold; more pairs would narrow it`;
  }

  return {
    metric: settings.metric,
    unit: settings.unit,
    gating: settings.gating,
    threshold: settings.threshold,
    pairs: n,
    mean: m,
    low,
    high,
    stdErr,
    df,
    confidence: settings.confidence,
    spread: between >= within ? 'between-runs' : 'within-runs',
    base: baseSide,
    head: headSide,
    baseLeaks: baseSide.leakRuns === nb,
    verdict,
    reason,
  };
}
