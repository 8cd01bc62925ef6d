/** Catalogue of the metrics leakcheck fits: units, default thresholds, which ones gate. */

/** All metric names in catalogue order: the one list every other place reads. */
export const METRIC_NAMES = [
  'heapUsed',
  'external',
  'arrayBuffers',
  'rss',
  'handles',
  'sockets',
  'fds',
] as const;

/** A metric the agent reports in every sample. */
export type MetricName = (typeof METRIC_NAMES)[number];

/** What a metric counts. */
export type MetricUnit = 'bytes' | 'count';

/** When growth in a metric counts as a leak. Both must be exceeded. */
export interface MetricThreshold {
  /**
   * Growth per unit of the axis above which the slope is a leak (bytes or items per request for a
   * load test, per call for detectLeak, per hour for watch). Named `perRequest` before report
   * schema version 2.
   */
  perUnit: number;
  /** Fitted growth over the measured window below which nothing is called a leak. */
  minGrowth: number;
}

/** Static facts about one metric. */
export interface MetricInfo {
  /** Metric name as the agent reports it. */
  name: MetricName;
  /** Unit of the values. */
  unit: MetricUnit;
  /** Short words for human text ("heap", "file descriptors"). */
  label: string;
  /** Whether a leak in this metric fails the run unless the options say otherwise. */
  gatingByDefault: boolean;
  /** Default thresholds of a load test (per request) and of detectLeak (per call). */
  threshold: MetricThreshold;
  /** Default thresholds of growth per hour in production (`watch`, the alert rules). */
  perHour: MetricThreshold;
}

const MiB = 1024 * 1024;

// heapUsed: 2 B/request is well under one small object per request. The 1 MiB floor is twice the
// growth of a CLEAN process in its measured window: V8 keeps compiling and filling inline caches
// for its first ~150k requests, 475-527 KB over a 10 s window after a 3 s warm-up (clean-http,
// measured on this project's 2-core machine), bounded but easily above 2 B/request.
const heapGate: MetricThreshold = Object.freeze({ perUnit: 2, minGrowth: MiB });
// external: no such warm-up (clean services stay within a few hundred bytes), so 256 KiB.
const memoryGate: MetricThreshold = Object.freeze({ perUnit: 2, minGrowth: 256 * 1024 });
// rss and arrayBuffers move in allocator-sized chunks and with GC timing; shown, not gated.
const memoryInfo: MetricThreshold = Object.freeze({ perUnit: 8, minGrowth: 4 * MiB });
// One handle per 10,000 requests, and at least 10 more than at the start.
const countGate: MetricThreshold = Object.freeze({ perUnit: 0.0001, minGrowth: 10 });
// Per hour in production: 1 MiB/h and at least 4 MiB over the range (a day of 1 MiB/h is 24 MiB,
// a month 720 MiB); for counts, 1 per hour and at least 10.
const memoryPerHour: MetricThreshold = Object.freeze({ perUnit: MiB, minGrowth: 4 * MiB });
const countPerHour: MetricThreshold = Object.freeze({ perUnit: 1, minGrowth: 10 });

/** Every metric, in the order reports list them. */
export const METRICS: Readonly<Record<MetricName, Readonly<MetricInfo>>> = {
  heapUsed: {
    name: 'heapUsed',
    unit: 'bytes',
    label: 'heap',
    gatingByDefault: true,
    threshold: heapGate,
    perHour: memoryPerHour,
  },
  external: {
    name: 'external',
    unit: 'bytes',
    label: 'external memory',
    gatingByDefault: true,
    threshold: memoryGate,
    perHour: memoryPerHour,
  },
  arrayBuffers: {
    name: 'arrayBuffers',
    unit: 'bytes',
    label: 'ArrayBuffer memory',
    gatingByDefault: false,
    threshold: memoryInfo,
    perHour: memoryPerHour,
  },
  rss: {
    name: 'rss',
    unit: 'bytes',
    label: 'RSS',
    gatingByDefault: false,
    threshold: memoryInfo,
    perHour: memoryPerHour,
  },
  handles: {
    name: 'handles',
    unit: 'count',
    label: 'handles',
    gatingByDefault: true,
    threshold: countGate,
    perHour: countPerHour,
  },
  sockets: {
    name: 'sockets',
    unit: 'count',
    label: 'sockets',
    gatingByDefault: true,
    threshold: countGate,
    perHour: countPerHour,
  },
  fds: {
    name: 'fds',
    unit: 'count',
    label: 'file descriptors',
    gatingByDefault: true,
    threshold: countGate,
    perHour: countPerHour,
  },
};

/**
 * Whether a string names a metric in the catalogue.
 *
 * @param name - candidate name (from config or a sample)
 * @returns true for one of {@link METRIC_NAMES}
 */
export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/**
 * Catalogue entry of a metric.
 *
 * @param name - metric name
 * @returns its unit, label, default gating and thresholds (a copy; safe to modify)
 */
export function metricInfo(name: MetricName): MetricInfo {
  const info = METRICS[name];
  return { ...info, threshold: { ...info.threshold }, perHour: { ...info.perHour } };
}
