/** How long until a growing metric reaches a limit, at the measured per-request rate. */
import { formatBytes, formatDuration, formatNumber } from './format';

/** Inputs to {@link projectTimeToLimit}. */
export interface ProjectionInput {
  /** Current value, in bytes (e.g. the last heapUsed sample). */
  current: number;
  /** The limit, in bytes (e.g. the V8 heap limit or a container memory limit). */
  limit: number;
  /** Measured growth per request, in bytes. */
  bytesPerRequest: number;
  /** Request rate to project at (production traffic, not necessarily the test's rate). */
  requestsPerSecond: number;
}

/** When the limit would be reached. */
export interface Projection {
  /** Seconds until the limit at the given rate; null when not growing or the rate is not positive. */
  secondsToLimit: number | null;
  /** Requests until the limit; null when not growing. */
  requestsToLimit: number | null;
  /** One sentence for humans. */
  text: string;
}

/**
 * Projects linearly when `current` reaches `limit` if memory keeps growing at `bytesPerRequest`
 * and traffic arrives at `requestsPerSecond`. A straight line is the honest extrapolation of a
 * per-request fit; it says nothing about GC pressure near the limit.
 *
 * @param input - current value, limit, growth rate and request rate
 * @returns seconds and requests to the limit (null when not growing) and a sentence
 */
export function projectTimeToLimit(input: ProjectionInput): Projection {
  const { current, limit, bytesPerRequest, requestsPerSecond } = input;
  if (![current, limit, bytesPerRequest, requestsPerSecond].every(Number.isFinite)) {
    throw new RangeError('projectTimeToLimit needs finite numbers');
  }
  if (current >= limit) {
    return {
      secondsToLimit: 0,
      requestsToLimit: 0,
      text: `already at ${formatBytes(current)}, at or above the ${formatBytes(limit)} limit`,
    };
  }
  if (!(bytesPerRequest > 0)) {
    return { secondsToLimit: null, requestsToLimit: null, text: 'not growing, so no limit is reached' };
  }
  const requestsToLimit = Math.ceil((limit - current) / bytesPerRequest);
  const head = `at ${formatBytes(bytesPerRequest)}/request, ${formatBytes(current)} reaches the ${formatBytes(limit)} limit after about ${formatNumber(requestsToLimit)} requests`;
  if (!(requestsPerSecond > 0)) {
    return { secondsToLimit: null, requestsToLimit, text: head };
  }
  const secondsToLimit = requestsToLimit / requestsPerSecond;
  return {
    secondsToLimit,
    requestsToLimit,
    text: `${head} (${formatDuration(secondsToLimit)} at ${formatNumber(requestsPerSecond, 1)} requests/s)`,
  };
}
