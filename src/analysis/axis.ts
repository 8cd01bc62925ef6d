/**
 * The x axis of a fit: what growth is measured against. A load test grows per request served,
 * `detectLeak` per call, `leakcheck watch` per hour (or per request from a counter). The axis
 * carries the words and the scale the rules write their reasons in, so no product rewrites the
 * analysis' text afterwards.
 */
import { formatDuration, formatNumber } from './format';

/** What growth is measured against, and how to speak of it. */
export interface Axis {
  /** Name written into reports beside the figures ("requests", "calls", "hours"). */
  name: string;
  /** One unit of x, in words ("request", "call", "hour"). */
  unit: string;
  /** Whether x counts whole things (requests, calls); window lengths are then rounded up. */
  discrete: boolean;
  /** A stretch of x in words: "4,000 requests", "2 h 15 min". */
  span: (x: number) => string;
  /** Suffix after a byte amount for a rate per unit: "/request", "/h". */
  bytesRate: string;
  /** Counts are quoted per this many units (1,000 for requests: a handle leak is a small fraction). */
  countScale: number;
  /** Suffix after a count for a rate: " per 1,000 requests", "/h". */
  countRate: string;
  /** What one measured point is called ("sample", "point"). */
  point: string;
  /** What the window is ("run", "range"), as in "a longer run would decide". */
  window: string;
  /** Said when too few points were taken: how to get more. */
  moreSamplesHint: string;
  /** Said when the points share x: why there is no slope. */
  noProgress: string;
  /** Said when the points cover too few distinct x: what x values are and how to spread them. */
  distinctX: string;
  /** How to get points at more distinct x. */
  spreadHint: string;
  /** Sequential measurement: how to give it more room when the budget ended undecided. */
  budgetHint: string;
  /** Sequential measurement: the minimum window and the settings that size it. */
  minWindow: string;
}

/** Requests served: the axis of a load test (`leakcheck run`, `compare`, the Action). */
export const REQUESTS: Readonly<Axis> = Object.freeze({
  name: 'requests',
  unit: 'request',
  discrete: true,
  span: (x: number) => `${formatNumber(x)} requests`,
  bytesRate: '/request',
  countScale: 1000,
  countRate: ' per 1,000 requests',
  point: 'sample',
  window: 'run',
  moreSamplesHint: 'run longer or sample more often',
  noProgress: 'no requests completed between samples, so there is no per-request slope',
  distinctX: 'request counts',
  spreadHint: 'sample while requests are being served',
  budgetHint: 'raise --max-duration or --max-requests',
  minWindow: 'the minimum window (time and requests: --min-duration, --min-requests)',
});

/** Calls made: the axis of `detectLeak` and the jest matcher. */
export const CALLS: Readonly<Axis> = Object.freeze({
  name: 'calls',
  unit: 'call',
  discrete: true,
  span: (x: number) => `${formatNumber(x)} calls`,
  bytesRate: '/call',
  countScale: 1000,
  countRate: ' per 1,000 calls',
  point: 'sample',
  window: 'run',
  moreSamplesHint: 'run longer or sample more often',
  noProgress: 'no calls completed between samples, so there is no per-call slope',
  distinctX: 'call counts',
  spreadHint: 'sample while calls are being made',
  budgetHint: 'raise maxIterations',
  minWindow: 'the minimum window (iterations)',
});

/** Hours since the first point: the time axis of `leakcheck watch`. */
export const HOURS: Readonly<Axis> = Object.freeze({
  name: 'hours',
  unit: 'hour',
  discrete: false,
  span: (x: number) => formatDuration(x * 3600),
  bytesRate: '/h',
  countScale: 1,
  countRate: '/h',
  point: 'point',
  window: 'range',
  moreSamplesHint: 'widen --range or shorten --step',
  noProgress: 'they cover no time span, so there is no per-hour slope',
  distinctX: 'times',
  spreadHint: 'widen --range or shorten --step',
  budgetHint: 'widen --range',
  minWindow: 'the minimum range',
});

/** The named axes, for reading a report back (a metric's `axis` field names one). */
export const AXES: Readonly<Record<string, Readonly<Axis>>> = Object.freeze({
  requests: REQUESTS,
  calls: CALLS,
  hours: HOURS,
});

/**
 * The axis a report names.
 *
 * @param name - an axis name from a report (absent in reports before schema version 2)
 * @returns that axis, or {@link REQUESTS} when the name is unknown or absent
 */
export function axisNamed(name: string | undefined): Readonly<Axis> {
  return (name !== undefined ? AXES[name] : undefined) ?? REQUESTS;
}
