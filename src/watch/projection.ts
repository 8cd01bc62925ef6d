/**
 * The time-to-limit projection of `leakcheck watch`: from an instance's fitted growth (per hour,
 * or per request at its request rate) to when it reaches its memory or handle limit. Pure.
 */
import {
  formatAmount,
  formatBytes,
  formatConfidence,
  formatDuration,
  formatNumber,
  METRICS,
  projectTimeToLimit,
} from '../analysis';
import type { GrowthFit, RequestCounterInfo, WatchAnalysisOptions } from './analyse';

/** When the instance reaches its limit at the fitted growth. */
export interface WatchProjection {
  /** The limit, in the metric's unit. */
  limit: number;
  /** The latest value. */
  current: number;
  /** Seconds to the limit at the estimated rate; null when not growing. */
  secondsToLimit: number | null;
  /** Seconds at the upper end of the rate's interval (the soonest); null when not growing. */
  earliestSeconds: number | null;
  /** Seconds at the lower end (the latest); null when that end is not growing. */
  latestSeconds: number | null;
  /** One sentence. */
  text: string;
}

/**
 * When an instance reaches its limit at the fitted growth, with the interval's earliest and latest
 * times and one sentence saying so (per hour, or at the instance's request rate).
 *
 * @param fit - the deciding fit
 * @param current - the latest value
 * @param limit - the limit, in the metric's unit
 * @param counter - the request counter's facts, for a per-request fit
 * @param options - the analysis options (metric, confidence)
 * @returns the projection
 */
export function project(
  fit: GrowthFit,
  current: number,
  limit: number,
  counter: RequestCounterInfo | null,
  options: WatchAnalysisOptions,
): WatchProjection {
  const unit = METRICS[options.metric].unit;
  const limitText = formatAmount(limit, unit);
  if (current >= limit) {
    return {
      limit,
      current,
      secondsToLimit: 0,
      earliestSeconds: 0,
      latestSeconds: 0,
      text: `already at ${formatAmount(current, unit)}, at or above the ${limitText} limit`,
    };
  }
  // Growth per second at a given per-basis rate.
  const perSecond = (rate: number): number =>
    fit.basis === 'per-hour' ? rate / 3600 : rate * (counter?.requestsPerSecond ?? 0);
  const seconds = (rate: number): number | null => {
    const r = perSecond(rate);
    return r > 0 ? (limit - current) / r : null;
  };
  const secondsToLimit = seconds(fit.rate);
  const earliestSeconds = seconds(fit.high);
  const latestSeconds = seconds(fit.low);
  if (secondsToLimit === null) {
    return {
      limit,
      current,
      secondsToLimit,
      earliestSeconds,
      latestSeconds,
      text: `not growing: ${formatAmount(current, unit)} stays below the ${limitText} limit`,
    };
  }
  const range =
    earliestSeconds !== null
      ? ` (${formatConfidence(options.confidence)} CI ${formatDuration(earliestSeconds)} to ${
          latestSeconds !== null ? formatDuration(latestSeconds) : 'never'
        })`
      : '';
  const pace =
    fit.basis === 'per-request' && counter
      ? ` at ${formatNumber(counter.requestsPerSecond, 1)} requests/s`
      : ' at the current growth';
  // Requests to the limit, as a local run projects it (the same per-request rate).
  const requestsToLimit =
    fit.basis === 'per-request' && counter
      ? projectTimeToLimit({
          current,
          limit,
          bytesPerRequest: fit.rate,
          requestsPerSecond: counter.requestsPerSecond,
        }).requestsToLimit
      : null;
  const after =
    requestsToLimit !== null ? `, after about ${formatNumber(requestsToLimit)} more requests` : '';
  return {
    limit,
    current,
    secondsToLimit,
    earliestSeconds,
    latestSeconds,
    text:
      `${formatAmount(current, unit)} reaches the ${limitText} limit in about ${formatDuration(secondsToLimit)}` +
      `${range}${pace}${unit === 'bytes' && fit.basis === 'per-hour' ? ` (${formatBytes(fit.rate)}/h)` : ''}${after}`,
  };
}
