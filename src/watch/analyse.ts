/**
 * Per-instance leak analysis of Prometheus series with the local run's statistics: the same
 * analyseMetric (least squares, Theil-Sen, Mann-Kendall, plateau and verdict rules), on the HOURS
 * axis (growth per hour) or on the instance's request counter (REQUESTS, growth per request); the
 * axis words the reasons. Which points each fit uses (the latest process's, the lower envelope of
 * scrape-time values) is ./fit-data.ts. Pure: data in, data out.
 */
import {
  analyseMetric,
  defaultAnalysisOptions,
  formatRate,
  formatRateWithInterval,
  HOURS,
  mergeAnalysisOptions,
  METRICS,
  type AnalysisOptions,
  type MetricAnalysis,
  type MetricName,
  type RuleName,
  type Verdict,
} from '../analysis';
import { fitPoints, latestRun, withDataNote, type FitData } from './fit-data';
import { project, type WatchProjection } from './projection';
import type { Sampling } from './sources';

/** What the growth rate is measured against. */
export type WatchBasis = 'per-hour' | 'per-request';

/** A threshold pair: growth rate above which it is a leak, and least growth over the range. */
export interface WatchThreshold {
  /** Growth per hour (per-hour basis) or per request (per-request basis), in the metric's unit. */
  rate: number;
  /** Fitted growth over the analysed range below which nothing is called a leak. */
  minGrowth: number;
}

/** Options of {@link analyseInstance}. */
export interface WatchAnalysisOptions {
  /** Which kind of value the query returns (unit, words): heapUsed for the post-GC heap. */
  metric: MetricName;
  /** Confidence level of intervals and tests. */
  confidence: number;
  /** Fewest points before any verdict. */
  minSamples: number;
  /** Thresholds of the per-hour fit. */
  perHour: WatchThreshold;
  /** Thresholds of the per-request fit. */
  perRequest: WatchThreshold;
  /**
   * How the values were sampled (default post-gc): scrape-time values are fitted on their lower
   * envelope (see envelope.ts).
   */
  sampling?: Sampling;
}

/** One instance's data: its memory series, and its request counter and limit when known. */
export interface InstanceInput {
  /** Labels identifying the instance (`__name__` dropped). */
  labels: Record<string, string>;
  /** Unix seconds of each point. */
  t: readonly number[];
  /** Memory (or count) values. */
  v: readonly number[];
  /** The request counter on the same time grid, when one was queried and matched. */
  requests?: { t: readonly number[]; v: readonly number[] } | null;
  /** The memory limit to project to, in the metric's unit. */
  limit?: number | null;
}

/** One fit (per hour or per request) with its verdict. */
export interface GrowthFit {
  /** What x was: hours since the first point, or requests served. */
  basis: WatchBasis;
  /** The analysis' verdict. */
  verdict: Verdict;
  /** The rule that decided. */
  rule: RuleName;
  /** Why, in words with numbers, in this basis' units. */
  reason: string;
  /** Robust (Theil-Sen) growth per hour or per request. */
  rate: number;
  /** Lower end of its confidence interval. */
  low: number;
  /** Upper end of its confidence interval. */
  high: number;
  /** Points fitted. */
  samples: number;
  /** Points skipped (not a finite value, or no counter value at that time). */
  skipped: number;
  /** The full analysis as a local run reports it; its `axis` says what x was ("hours", "requests"). */
  analysis: MetricAnalysis;
  /** Which data the fit used. */
  data: FitData;
}

/** Request-counter facts behind a per-request fit. */
export interface RequestCounterInfo {
  /** Requests served over the fitted points. */
  served: number;
  /** Average request rate over them, per second. */
  requestsPerSecond: number;
  /** Counter resets (restarts) seen; points before the last one are not fitted. */
  resets: number;
  /** Points dropped because they came before the last reset. */
  beforeReset: number;
  /** Memory points with no counter value at the same time. */
  unmatched: number;
}

/** Everything found about one instance. */
export interface InstanceAnalysis {
  /** Labels of the instance. */
  labels: Record<string, string>;
  /** `{instance="…", job="…"}` for humans. */
  name: string;
  /** The deciding basis' verdict. */
  verdict: Verdict;
  /** Per request when a request counter was matched with enough points, else per hour. */
  basis: WatchBasis;
  /** The deciding rule and reason. */
  rule: RuleName;
  reason: string;
  /** The latest finite value; null when there is none. */
  current: number | null;
  /** Growth per hour, always computed. */
  perHour: GrowthFit;
  /** Growth per request, when a counter was given and matched. */
  perRequest: GrowthFit | null;
  /** The counter facts behind `perRequest`. */
  requests: RequestCounterInfo | null;
  /** Projection to the limit; null when no limit is known. */
  projection: WatchProjection | null;
}

/**
 * Default thresholds for a metric, from the catalogue (METRICS): per request, the local run's;
 * per hour, production's (`METRICS[metric].perHour`, which the alert rules use too).
 *
 * @param metric - the metric the query measures
 * @returns per-hour and per-request thresholds
 */
export function defaultWatchThresholds(
  metric: MetricName,
): Pick<WatchAnalysisOptions, 'perHour' | 'perRequest'> {
  const info = METRICS[metric];
  return {
    perHour: { rate: info.perHour.perUnit, minGrowth: info.perHour.minGrowth },
    perRequest: { rate: info.threshold.perUnit, minGrowth: info.threshold.minGrowth },
  };
}

/**
 * Default options: heapUsed, 95% confidence, the analysis' minimum samples, default thresholds.
 *
 * @param metric - the metric the query measures (default heapUsed)
 * @returns complete options
 */
export function defaultWatchOptions(metric: MetricName = 'heapUsed'): WatchAnalysisOptions {
  const base = defaultAnalysisOptions();
  return {
    metric,
    confidence: base.confidence,
    minSamples: base.minSamples,
    ...defaultWatchThresholds(metric),
  };
}

/**
 * Analyses one instance: growth per hour always, per request when its counter is given, and the
 * projection to its limit at the deciding basis' rate.
 *
 * @param input - the instance's series, counter and limit
 * @param options - metric, confidence, thresholds
 * @returns verdicts, fits, reasons and the projection
 */
export function analyseInstance(input: InstanceInput, options: WatchAnalysisOptions): InstanceAnalysis {
  const perHour = fitPerHour(input, options);
  const counter = input.requests ? fitPerRequest(input, input.requests, options) : null;
  const perRequest = counter?.fit ?? null;
  // Requests normalise away traffic swings (day and night), so they decide when there are enough.
  const decider = perRequest && perRequest.samples >= options.minSamples ? perRequest : perHour;
  const current = lastFinite(input.v);
  return {
    labels: input.labels,
    name: seriesName(input.labels),
    verdict: decider.verdict,
    basis: decider.basis,
    rule: decider.rule,
    reason: decider.reason,
    current,
    perHour,
    perRequest,
    requests: counter?.info ?? null,
    projection:
      input.limit !== undefined && input.limit !== null && current !== null
        ? project(decider, current, input.limit, counter?.info ?? null, options)
        : null,
  };
}

/**
 * `{instance="10.0.0.1:9100", job="api"}`: the labels without `__name__`, sorted.
 *
 * @param labels - series labels
 * @returns the selector-style name ("{}" when there are none)
 */
export function seriesName(labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `{${parts.join(', ')}}`;
}

function optionsFor(options: WatchAnalysisOptions, threshold: WatchThreshold): AnalysisOptions {
  return mergeAnalysisOptions({
    confidence: options.confidence,
    minSamples: options.minSamples,
    thresholds: { [options.metric]: { perUnit: threshold.rate, minGrowth: threshold.minGrowth } },
    // The user chose this query to judge: it gates even if it is RSS (informational locally).
    gating: { [options.metric]: true },
  });
}

function fitPerHour(input: InstanceInput, options: WatchAnalysisOptions): GrowthFit {
  const t0 = input.t.find((t) => Number.isFinite(t)) ?? 0;
  const hours = input.t.map((t) => (t - t0) / 3600);
  const chosen = fitPoints(hours, input.v, options, 'h');
  const analysis = analyseMetric(
    { metric: options.metric, x: chosen.x, y: chosen.y },
    { ...optionsFor(options, options.perHour), axis: HOURS },
  );
  return growthFit('per-hour', analysis, analysis.reason, chosen, analysis.skipped + chosen.skipped);
}

/** A fit's figures as the watch report keeps them; the reason gets the data's note. */
function growthFit(
  basis: WatchBasis,
  analysis: MetricAnalysis & { rule: RuleName },
  reason: string,
  chosen: { data: FitData },
  skipped: number,
): GrowthFit {
  return {
    basis,
    verdict: analysis.verdict,
    rule: analysis.rule,
    reason: withDataNote(reason, chosen.data),
    rate: analysis.perUnit,
    low: analysis.perUnitInterval.low,
    high: analysis.perUnitInterval.high,
    samples: analysis.samples,
    skipped,
    analysis,
    data: chosen.data,
  };
}

function fitPerRequest(
  input: InstanceInput,
  counter: { t: readonly number[]; v: readonly number[] },
  options: WatchAnalysisOptions,
): { fit: GrowthFit; info: RequestCounterInfo } {
  const run = latestRun(input, counter);
  const { x, times, resets, beforeReset, unmatched } = run;
  const chosen = fitPoints(x, run.y, options, 'request');
  const analysis = analyseMetric(
    { metric: options.metric, x: chosen.x, y: chosen.y },
    optionsFor(options, options.perRequest),
  );
  const span = times.length > 1 ? (times[times.length - 1] as number) - (times[0] as number) : 0;
  const servedCount = x.length > 1 ? (x[x.length - 1] as number) - (x[0] as number) : 0;
  const resetNote =
    resets > 0
      ? ` (request counter reset ${resets} time${resets === 1 ? '' : 's'}: ${beforeReset} earlier point${beforeReset === 1 ? '' : 's'} of a previous process not fitted)`
      : '';
  const skipped = analysis.skipped + chosen.skipped + unmatched + beforeReset;
  return {
    fit: growthFit('per-request', analysis, analysis.reason + resetNote, chosen, skipped),
    info: {
      served: servedCount,
      requestsPerSecond: span > 0 ? servedCount / span : 0,
      resets,
      beforeReset,
      unmatched,
    },
  };
}

function lastFinite(values: readonly number[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i] as number;
    if (Number.isFinite(v)) return v;
  }
  return null;
}

/**
 * Formats a per-hour rate with its interval: "5.2 MB/h (95% CI 4.9–5.5)", "3/h (95% CI 2–4)".
 *
 * @param estimate - growth per hour
 * @param low - lower bound
 * @param high - upper bound
 * @param metric - the metric (for its unit)
 * @param confidence - confidence level
 * @returns the text
 */
export function formatPerHourWithInterval(
  estimate: number,
  low: number,
  high: number,
  metric: MetricName,
  confidence: number,
): string {
  return formatRateWithInterval(estimate, low, high, METRICS[metric].unit, confidence, HOURS);
}

/**
 * Formats a per-hour rate: "5.2 MB/h", "3/h".
 *
 * @param perHour - growth per hour
 * @param metric - the metric (for its unit)
 * @returns the text
 */
export function formatPerHour(perHour: number, metric: MetricName): string {
  return formatRate(perHour, METRICS[metric].unit, HOURS);
}
