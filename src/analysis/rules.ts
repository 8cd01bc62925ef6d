/**
 * Verdict rules for one metric. Each rule is a small function that either decides (leak, pass or
 * inconclusive, with a reason in words and numbers) or returns null to let the next rule look.
 * They run in {@link RULES} order; the last one always decides.
 */
import type { Axis } from './axis';
import {
  formatAmount,
  formatConfidence,
  formatNumber,
  formatPValue,
  formatRate,
  formatRateWithInterval,
} from './format';
import type { MetricName, MetricThreshold, MetricUnit } from './metrics';
import type { PlateauFit } from './plateau';
import type { OlsFit } from './regression';
import type { MannKendall, TheilSenFit } from './robust';

/** Outcome for a metric or a run. */
export type Verdict = 'leak' | 'pass' | 'inconclusive';

/** Names of the rules, in the order they run. */
export type RuleName =
  'too-few-samples' | 'plateau' | 'linear-growth' | 'below-threshold' | 'no-trend' | 'undecided';

/** A rule's decision. */
export interface RuleResult {
  /** What the rule decided. */
  verdict: Verdict;
  /** The rule that decided. */
  rule: RuleName;
  /** Why, in words with numbers. */
  reason: string;
}

/** Everything the rules look at for one metric. */
export interface RuleContext {
  /** Metric name. */
  metric: MetricName;
  /** The metric's unit. */
  unit: MetricUnit;
  /** What x is (requests, calls, hours): the words and scale of every reason. */
  axis: Axis;
  /** Short words for the metric ("heap"). */
  label: string;
  /** Thresholds in force. */
  threshold: MetricThreshold;
  /** Confidence level of intervals and tests. */
  confidence: number;
  /** Fewest samples needed to decide. */
  minSamples: number;
  /** Samples fitted. */
  samples: number;
  /** Distinct x values among them. */
  distinctX: number;
  /** First x (requests served, calls made or hours passed at the first sample). */
  xFirst: number;
  /** Last x. */
  xLast: number;
  /** Least-squares fit. */
  ols: OlsFit;
  /** Theil-Sen fit. */
  theilSen: TheilSenFit;
  /** Mann-Kendall trend test. */
  mannKendall: MannKendall;
  /** Early/late growth rates. */
  plateau: PlateauFit;
}

/** A verdict rule: decides, or returns null to pass the question on. */
export type Rule = (ctx: RuleContext) => RuleResult | null;

/** Late slope must be under this fraction of the early slope for a plateau. */
export const PLATEAU_MAX_RATIO = 0.25;

/** Units of x covered by the samples. */
function span(ctx: RuleContext): number {
  return ctx.xLast - ctx.xFirst;
}

/** Fitted growth over the window at the robust slope. */
function fittedGrowth(ctx: RuleContext): number {
  return ctx.theilSen.slope * span(ctx);
}

/** A stretch of x in the axis' words ("4,000 requests", "2 h 15 min"). */
function along(ctx: RuleContext, x: number): string {
  return ctx.axis.span(x);
}

/** A window length to suggest: whole units on a counting axis. */
function window(ctx: RuleContext, x: number): string {
  return ctx.axis.span(ctx.axis.discrete ? Math.ceil(x) : x);
}

function rate(ctx: RuleContext, perUnit: number): string {
  return formatRate(perUnit, ctx.unit, ctx.axis);
}

function rateWithInterval(ctx: RuleContext, estimate: number, low: number, high: number): string {
  return formatRateWithInterval(estimate, low, high, ctx.unit, ctx.confidence, ctx.axis);
}

function robustRate(ctx: RuleContext): string {
  const { slope, low, high } = ctx.theilSen;
  return rateWithInterval(ctx, slope, low, high);
}

/**
 * Rule 1, `too-few-samples`: fewer samples than `minSamples`, or too few distinct x values
 * for a slope, is inconclusive. Runs first so no later rule reads an undefined fit.
 *
 * @param ctx - the metric's fits and settings
 * @returns inconclusive, or null when there are enough samples
 */
export function tooFewSamples(ctx: RuleContext): RuleResult | null {
  const decide = (reason: string): RuleResult => ({
    verdict: 'inconclusive',
    rule: 'too-few-samples',
    reason,
  });
  if (ctx.samples < ctx.minSamples) {
    return decide(
      `only ${ctx.samples} ${ctx.label} ${ctx.axis.point}${ctx.samples === 1 ? '' : 's'} ` +
        `(need at least ${ctx.minSamples}); ` +
        ctx.axis.moreSamplesHint,
    );
  }
  if (span(ctx) <= 0) {
    return decide(
      `all ${ctx.samples} ${ctx.label} ${ctx.axis.point}s were taken at ${along(ctx, ctx.xFirst)}: ` +
        ctx.axis.noProgress,
    );
  }
  if (ctx.distinctX < 3 || !ctx.ols.estimable || !ctx.theilSen.estimable) {
    return decide(
      `the ${ctx.samples} ${ctx.label} ${ctx.axis.point}s cover only ${ctx.distinctX} distinct ${ctx.axis.distinctX} (need 3); ` +
        ctx.axis.spreadHint,
    );
  }
  return null;
}

/**
 * Rule 2, `plateau`: growth that stopped is a pass ("a cache that filled and stopped", lazy
 * initialisation). Needs all of:
 * - early slope (first half, least squares) above the per-unit threshold;
 * - the late slope's upper confidence bound (second half, Theil-Sen) below the threshold: the
 *   floor. The upper bound rather than the estimate, so a noisy leak whose late estimate dips
 *   by chance is not waved through;
 * - the late slope under {@link PLATEAU_MAX_RATIO} of the early slope: growth really slowed,
 *   rather than a steady rate a little either side of the threshold;
 * - the late lower bound above −max(threshold, ratio × early slope): the late window is measured
 *   precisely enough to call it flat (a wide interval that merely sits below the threshold
 *   because its estimate is very negative says nothing).
 * Runs before `linear-growth` because a cache filling in the first samples pulls the whole-run
 * slope up; runs after `too-few-samples` because it needs enough samples in each window.
 *
 * @param ctx - the metric's fits and settings
 * @returns pass, or null when the shape is not grow-then-flat
 */
export function plateau(ctx: RuleContext): RuleResult | null {
  const p: PlateauFit = ctx.plateau;
  const limit = ctx.threshold.perUnit;
  if (!p.applicable || p.ratio === null) return null;
  const flatEnough = p.lateLow > -Math.max(limit, PLATEAU_MAX_RATIO * p.earlySlope);
  if (!(p.earlySlope > limit && p.lateHigh < limit && p.ratio < PLATEAU_MAX_RATIO && flatEnough)) return null;
  const late = rateWithInterval(ctx, p.lateSlope, p.lateLow, p.lateHigh);
  return {
    verdict: 'pass',
    rule: 'plateau',
    reason:
      `${ctx.label} rose ${formatAmount(p.rise, ctx.unit)}, at ${rate(ctx, p.earlySlope)} over ` +
      `the first ${along(ctx, p.earlyEndX - ctx.xFirst)}, then flattened to ${late} ` +
      `over the last ${along(ctx, ctx.xLast - p.lateStartX)}, below the ${rate(ctx, limit)} threshold ` +
      `and ${formatNumber(Math.max(p.ratio, 0), 2)}× the early rate: looks like a cache that filled and stopped ` +
      'or one-time initialisation',
  };
}

/**
 * Rule 3, `linear-growth`: a leak when all agree: the Theil-Sen and least-squares lower bounds
 * are both above the per-unit threshold, the Mann-Kendall trend is significant at
 * 1 − confidence, and the fitted growth over the window (robust slope × requests) reaches
 * `minGrowth`. Requiring both estimators means a few outliers (which move only least squares)
 * or a single step (which moves only least squares) cannot make a leak on their own.
 *
 * @param ctx - the metric's fits and settings
 * @returns leak, or null
 */
export function linearGrowth(ctx: RuleContext): RuleResult | null {
  const limit = ctx.threshold.perUnit;
  const { theilSen: ts, ols, mannKendall: mk } = ctx;
  const growth = fittedGrowth(ctx);
  if (!(
    ts.low > limit &&
    ols.low > limit &&
    mk.pValue < 1 - ctx.confidence &&
    growth >= ctx.threshold.minGrowth
  )) {
    return null;
  }
  return {
    verdict: 'leak',
    rule: 'linear-growth',
    reason:
      `${ctx.label} grew ${robustRate(ctx)}, above the ${rate(ctx, limit)} threshold; ` +
      `trend significant (Mann-Kendall ${formatPValue(mk.pValue)}); ` +
      `${formatAmount(growth, ctx.unit)} over ${along(ctx, span(ctx))}`,
  };
}

/**
 * Rule 4, `below-threshold`: a pass when even the upper confidence bound of the robust slope is
 * below the per-unit threshold, or when growth at that upper bound over the window stays under
 * `minGrowth`. Upper bounds, not estimates, so a noisy leak is never passed on a low estimate.
 *
 * @param ctx - the metric's fits and settings
 * @returns pass, or null
 */
export function belowThreshold(ctx: RuleContext): RuleResult | null {
  const limit = ctx.threshold.perUnit;
  const { theilSen: ts } = ctx;
  if (ts.high < limit) {
    return {
      verdict: 'pass',
      rule: 'below-threshold',
      reason: `${ctx.label} grows ${robustRate(ctx)}, below the ${rate(ctx, limit)} threshold`,
    };
  }
  const growthHigh = Math.max(ts.high, 0) * span(ctx);
  if (growthHigh < ctx.threshold.minGrowth) {
    // Clearly above the per-unit threshold but small in total: say how long a run would tell.
    const hint =
      ts.low > limit
        ? `; the rate is above the ${rate(ctx, limit)} threshold, so a window of about ` +
          `${window(ctx, ctx.threshold.minGrowth / ts.slope)} would show whether it keeps growing`
        : '';
    return {
      verdict: 'pass',
      rule: 'below-threshold',
      reason:
        `${ctx.label} grows ${robustRate(ctx)}; even at the upper bound that is ` +
        `${formatAmount(growthHigh, ctx.unit)} over ${along(ctx, span(ctx))}, below the ` +
        `${formatAmount(ctx.threshold.minGrowth, ctx.unit)} minimum growth${hint}`,
    };
  }
  return null;
}

/**
 * Rule 5, `no-trend`: no significant Mann-Kendall trend and a least-squares interval that
 * includes 0 is a pass only if the least-squares upper bound is below the threshold; otherwise
 * the rule falls through. This catches what `below-threshold` cannot: coarse integer counts
 * (handles, fds) where Sen's interval jumps between order statistics like ±1/(requests between
 * two samples) and lands above a tiny threshold although nothing grows.
 *
 * @param ctx - the metric's fits and settings
 * @returns pass, or null
 */
export function noTrend(ctx: RuleContext): RuleResult | null {
  const limit = ctx.threshold.perUnit;
  const { ols, mannKendall: mk } = ctx;
  if (!(mk.pValue >= 1 - ctx.confidence && ols.low <= 0 && ols.high >= 0 && ols.high < limit)) return null;
  return {
    verdict: 'pass',
    rule: 'no-trend',
    reason:
      `${ctx.label}: no significant trend (Mann-Kendall ${formatPValue(mk.pValue)}) and the least-squares ` +
      `slope ${rateWithInterval(ctx, ols.slope, ols.low, ols.high)} ` +
      `is below the ${rate(ctx, limit)} threshold`,
  };
}

/**
 * Rule 6, `undecided`: the fallback. Inconclusive, saying what blocked a verdict and what would
 * decide it (usually a longer window: more requests narrow the interval).
 *
 * @param ctx - the metric's fits and settings
 * @returns inconclusive, always
 */
export function undecided(ctx: RuleContext): RuleResult {
  const limit = ctx.threshold.perUnit;
  const { theilSen: ts, ols, mannKendall: mk } = ctx;
  const parts: string[] = [`${ctx.label} grows ${robustRate(ctx)}`];
  const growth = fittedGrowth(ctx);
  const robustAbove = ts.low > limit;
  const olsAbove = ols.low > limit;
  if (robustAbove && olsAbove && mk.pValue < 1 - ctx.confidence) {
    // Clearly above the per-unit threshold, but not enough growth in this window yet.
    const needed = ctx.threshold.minGrowth / ts.slope;
    parts.push(
      `above the ${rate(ctx, limit)} threshold but only ${formatAmount(growth, ctx.unit)} over ` +
        `${along(ctx, span(ctx))}, under the ${formatAmount(ctx.threshold.minGrowth, ctx.unit)} minimum growth; ` +
        `a window of about ${window(ctx, needed)} would show whether it keeps growing`,
    );
  } else if (robustAbove !== olsAbove) {
    parts.push(
      `robust and least-squares fits disagree (least squares ` +
        `${rateWithInterval(ctx, ols.slope, ols.low, ols.high)}): ` +
        `outliers or a step in the ${ctx.axis.point}s; a longer ${ctx.axis.window} would show which`,
    );
  } else if (robustAbove) {
    parts.push(
      `but the trend is not significant (Mann-Kendall ${formatPValue(mk.pValue)} at ` +
        `${formatConfidence(ctx.confidence)}); more ${ctx.axis.point}s would settle it`,
    );
  } else {
    parts.push(`which cannot be told apart from the ${rate(ctx, limit)} threshold; ${longerRun(ctx)}`);
  }
  return { verdict: 'inconclusive', rule: 'undecided', reason: parts.join(', ') };
}

/**
 * How much longer a run would separate the interval from the threshold. With samples taken at a
 * fixed request interval, n grows with the window W and the slope's standard error shrinks like
 * W^(−3/2), so the window must grow by (half-width / distance to threshold)^(2/3).
 */
function longerRun(ctx: RuleContext): string {
  const { slope, low, high } = ctx.theilSen;
  const halfWidth = (high - low) / 2;
  const gap = Math.abs(slope - ctx.threshold.perUnit);
  const factor = gap > 0 ? Math.pow(halfWidth / gap, 2 / 3) : Infinity;
  const { window: noun } = ctx.axis;
  if (!(factor <= 100)) return `the estimate sits on the threshold; only a much longer ${noun} would decide`;
  if (factor < 1.2) return `a somewhat longer ${noun} would decide`;
  // Counting axes round the suggestion up to thousands; a duration is rounded when it is written.
  const total = ctx.axis.discrete ? Math.ceil((span(ctx) * factor) / 1000) * 1000 : span(ctx) * factor;
  return `a window about ${formatNumber(factor, 1)}× as long (~${along(ctx, total)}) would likely decide`;
}

/** The rules in the order they run. The last always decides. */
export const RULES: readonly Rule[] = [
  tooFewSamples,
  plateau,
  linearGrowth,
  belowThreshold,
  noTrend,
  undecided,
];

/**
 * Applies {@link RULES} in order and returns the first decision.
 *
 * @param ctx - the metric's fits and settings
 * @returns the deciding rule's verdict and reason
 */
export function decide(ctx: RuleContext): RuleResult {
  for (const rule of RULES) {
    const result = rule(ctx);
    if (result) return result;
  }
  return undecided(ctx); // unreachable: `undecided` is last in RULES and never returns null
}
