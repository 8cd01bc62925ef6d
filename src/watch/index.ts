/**
 * `leakcheck watch` as a library call: range-query Prometheus for a memory series per instance
 * (and optionally a request counter and a limit), analyse each instance, and combine the verdicts
 * into one report with an exit code.
 */
import type { MetricName, Verdict } from '../analysis';
import {
  seriesName,
  type InstanceAnalysis,
  type InstanceInput,
  type WatchAnalysisOptions,
  type WatchBasis,
  type WatchThreshold,
} from './analyse';
import { resolveDataSource, type DataSource, type SourceName } from './sources';
import { analyseInstances } from './parallel';
import {
  PROMETHEUS_MAX_POINTS,
  prometheusBaseUrl,
  queryRange,
  type PrometheusCredentials,
  type PrometheusTls,
  type RangeSeries,
} from './prometheus';
import { LeakcheckError } from '../errors';
import { combineVerdicts, exitCodeFor, VERDICT_SEVERITY, type FailOn } from '../outcome';

export {
  analyseInstance,
  defaultWatchOptions,
  defaultWatchThresholds,
  formatPerHour,
  formatPerHourWithInterval,
  seriesName,
  type GrowthFit,
  type InstanceAnalysis,
  type InstanceInput,
  type RequestCounterInfo,
  type WatchAnalysisOptions,
  type WatchBasis,
  type WatchThreshold,
} from './analyse';
export {
  PROMETHEUS_MAX_POINTS,
  PrometheusError,
  prometheusBaseUrl,
  queryRange,
  type ClientOptions,
  type PrometheusCredentials,
  type PrometheusErrorKind,
  type PrometheusTls,
  type RangeQuery,
  type RangeResult,
  type RangeSeries,
} from './prometheus';
export { formatPromDuration, parseBytes, parseDuration } from './units';
export { lowerEnvelope, type LowerEnvelope } from './envelope';
export { type WatchProjection } from './projection';
export { analyseInstances, PARALLEL_FROM_POINTS, type ParallelOptions } from './parallel';
export {
  KNOWN_METRICS,
  knownMetricsIn,
  otelPrometheusName,
  resolveDataSource,
  SOURCE_DEFAULT_QUERY,
  SOURCE_NAMES,
  type DataSource,
  type KnownMetric,
  type Sampling,
  type SourceName,
} from './sources';
export { renderWatchMarkdown, renderWatchTerminal } from './render';

/** Version of the watch report's JSON layout. */
export const WATCH_REPORT_SCHEMA_VERSION = 2;

/** Default number of points per series when no step is given (6 h → a 30 s step). */
export const DEFAULT_POINTS = 720;

/** The user's input cannot work (duplicate series, too many points, no series): exit code 2. */
export class WatchInputError extends LeakcheckError {
  /** @param message - one line naming the flag and what was expected */
  constructor(message: string) {
    super(message);
    this.name = 'WatchInputError';
  }
}

/** Options of {@link watchFleet}. */
export interface WatchOptions {
  /** Prometheus base URL; requests go there and nowhere else. */
  prometheus: string;
  /** PromQL for the memory series, one per instance (e.g. the exporter's post-GC heap). */
  query: string;
  /** PromQL for a request counter per instance; growth is then also fitted per request. */
  requests?: string;
  /** The memory limit: bytes, or PromQL returning it per instance (or one unlabelled series). */
  limit?: number | string;
  /** Labels to join memory, requests and limit series on (default: all labels but __name__). */
  on?: string[];
  /** Length of the range, seconds. */
  rangeSeconds: number;
  /** End of the range, unix seconds (default now). */
  end?: number;
  /** Step, seconds (default range / {@link DEFAULT_POINTS}, at least 1). */
  step?: number;
  /** Metric kind and thresholds. */
  analysis: WatchAnalysisOptions;
  /**
   * Where the query's metric comes from (decides how it was sampled); default: recognised from
   * the metric name in the query, else post-GC values assumed.
   */
  source?: SourceName;
  /** Which verdicts fail: leak (default), inconclusive (leak or inconclusive), never. */
  failOn?: FailOn;
  /** Bound on each HTTP request, ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bearer token or basic-auth credentials (never written to the report). */
  credentials?: PrometheusCredentials | null;
  /** Extra request headers, e.g. `X-Scope-OrgID` (only their names go into the report). */
  headers?: Record<string, string>;
  /** CA and client certificate for an https URL. */
  tls?: PrometheusTls;
  /** Replaces fetch (tests). */
  fetch?: typeof fetch;
  /** leakcheck's version for the report. */
  version?: string;
  /** Worker threads for the analysis (default: one per core for large fleets, see parallel.ts). */
  workers?: number;
  /** Clock (tests), unix ms. */
  now?: () => number;
}

/** How a watch reached Prometheus, without any secret: safe to print and store. */
export interface WatchAccess {
  /** Credentials sent: none, a bearer token or basic auth. */
  auth: 'none' | 'bearer' | 'basic';
  /** Names of the extra headers sent (values are left out: they may be secrets). */
  headers: string[];
  /** Whether a CA bundle replaced Node's trusted CAs. */
  ca: boolean;
  /** Whether a client certificate was presented. */
  clientCertificate: boolean;
}

/** The result of one watch. */
export interface WatchReport {
  schemaVersion: typeof WATCH_REPORT_SCHEMA_VERSION;
  tool: { name: 'leakcheck'; version: string };
  createdAt: string;
  /** Prometheus base URL (credentials removed). */
  prometheus: string;
  /** How requests were made: the kind of credentials and the extra headers' names, never values. */
  access: WatchAccess;
  /** Where the data comes from and how it was sampled (each fit's `data` says what was fitted). */
  data: DataSource;
  query: string;
  requestsQuery: string | null;
  /** The limit as given: bytes, or the PromQL that returned it. */
  limit: { bytes: number } | { query: string } | null;
  /** Labels the series were joined on; null: all labels but __name__. */
  on: string[] | null;
  /** Unix seconds and step. */
  range: { start: number; end: number; step: number; seconds: number };
  metric: MetricName;
  confidence: number;
  thresholds: { perHour: WatchThreshold; perRequest: WatchThreshold };
  /** Leak if any instance leaks, else inconclusive if any is, else pass. */
  verdict: Verdict;
  exitCode: number;
  /** One line for humans. */
  summary: string;
  /** The instance and rule behind the verdict. */
  decidedBy: { instance: string; basis: WatchBasis; rule: string; reason: string } | null;
  /** Every instance, leaks first, then inconclusive, then pass (by name within each). */
  instances: InstanceAnalysis[];
  /** What did not fit together, counted. */
  counts: {
    series: number;
    leak: number;
    inconclusive: number;
    pass: number;
    /** Memory series with no request series of the same labels (analysed per hour only). */
    withoutRequests: number;
    /** Request series matching no memory series (ignored). */
    unmatchedRequests: number;
    /** Memory series with no limit (not projected). */
    withoutLimit: number;
    /** Limit series matching no memory series (ignored). */
    unmatchedLimits: number;
  };
  /** Warnings from Prometheus and about the input. */
  warnings: string[];
}

/**
 * Runs a watch: queries Prometheus, analyses every instance, decides.
 *
 * @param options - where and what to query, analysis options, failure policy
 * @returns the report (exitCode set: 0 pass, 1 leak per `failOn`)
 * @throws WatchInputError for input that cannot work; PrometheusError when a request fails
 */
export async function watchFleet(options: WatchOptions): Promise<WatchReport> {
  const base = prometheusBaseUrl(options.prometheus);
  const nowMs = (options.now ?? Date.now)();
  const end = options.end ?? Math.floor(nowMs / 1000);
  const step = options.step ?? Math.max(1, Math.ceil(options.rangeSeconds / DEFAULT_POINTS));
  const points = Math.floor(options.rangeSeconds / step) + 1;
  if (points > PROMETHEUS_MAX_POINTS) {
    throw new WatchInputError(
      `--step: ${step}s over a ${options.rangeSeconds}s range is ${points} points per series; Prometheus ` +
        `returns at most ${PROMETHEUS_MAX_POINTS} (use a step of at least ${Math.ceil(options.rangeSeconds / (PROMETHEUS_MAX_POINTS - 1))}s)`,
    );
  }
  const start = end - options.rangeSeconds;
  let data: DataSource;
  try {
    data = resolveDataSource(options.query, options.source);
  } catch (err) {
    throw new WatchInputError(err instanceof Error ? err.message : String(err));
  }
  const analysisOptions: WatchAnalysisOptions = { ...options.analysis, sampling: data.sampling };
  const client = {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    fetch: options.fetch,
    credentials: options.credentials,
    headers: options.headers,
    tls: options.tls,
  };
  const range = { start, end, step };
  const warnings: string[] = [];

  const memory = await queryRange(base, { query: options.query, ...range }, client);
  warnings.push(...memory.warnings);
  if (memory.series.length === 0) {
    throw new WatchInputError(
      `--query returned no series between ${new Date(start * 1000).toISOString()} and ` +
        `${new Date(end * 1000).toISOString()}: check the metric name and selector`,
    );
  }
  const on = options.on && options.on.length > 0 ? options.on : null;
  const byKey = uniqueByKey(memory.series, on, '--query');

  let requestsByKey: Map<string, RangeSeries> | null = null;
  if (options.requests) {
    const requests = await queryRange(base, { query: options.requests, ...range }, client);
    warnings.push(...requests.warnings);
    requestsByKey = uniqueByKey(requests.series, on, '--requests');
    if (requests.series.length === 0) warnings.push('--requests returned no series: growth is per hour only');
  }

  let limitByKey: Map<string, number> | null = null;
  let broadcastLimit: number | null = typeof options.limit === 'number' ? options.limit : null;
  if (typeof options.limit === 'string') {
    const limits = await queryRange(base, { query: options.limit, ...range }, client);
    warnings.push(...limits.warnings);
    const only = limits.series[0];
    if (limits.series.length === 1 && only && seriesName(only.labels) === '{}') {
      broadcastLimit = lastFiniteValue(only);
    } else {
      limitByKey = new Map();
      for (const [key, series] of uniqueByKey(limits.series, on, '--limit')) {
        const value = lastFiniteValue(series);
        if (value !== null) limitByKey.set(key, value);
      }
    }
    if (limits.series.length === 0) warnings.push('--limit returned no series: no projections');
  }

  const inputs: InstanceInput[] = [];
  let withoutRequests = 0;
  let withoutLimit = 0;
  for (const [key, series] of byKey) {
    const counter = requestsByKey?.get(key) ?? null;
    if (requestsByKey && !counter) withoutRequests++;
    const limit = limitByKey ? (limitByKey.get(key) ?? null) : broadcastLimit;
    if (options.limit !== undefined && limit === null) withoutLimit++;
    const labels = Object.fromEntries(Object.entries(series.labels).filter(([k]) => k !== '__name__'));
    inputs.push({
      labels,
      t: series.t,
      v: series.v,
      requests: counter ? { t: counter.t, v: counter.v } : null,
      limit,
    });
  }
  // A large fleet goes to worker threads (one per core); the results are the same.
  const instances = await analyseInstances(inputs, analysisOptions, { workers: options.workers });
  const unmatchedRequests = requestsByKey ? [...requestsByKey.keys()].filter((k) => !byKey.has(k)).length : 0;
  const unmatchedLimits = limitByKey ? [...limitByKey.keys()].filter((k) => !byKey.has(k)).length : 0;
  if (withoutRequests > 0) {
    warnings.push(
      `${withoutRequests} of ${byKey.size} series had no request series with the same labels${on ? ` on (${on.join(', ')})` : ''}: analysed per hour only (join with --on)`,
    );
  }
  if (unmatchedRequests > 0)
    warnings.push(`${unmatchedRequests} request series matched no memory series and were ignored`);
  if (withoutLimit > 0) warnings.push(`${withoutLimit} of ${byKey.size} series had no limit: not projected`);
  if (unmatchedLimits > 0)
    warnings.push(`${unmatchedLimits} limit series matched no memory series and were ignored`);

  instances.sort(
    (a, b) => VERDICT_SEVERITY[b.verdict] - VERDICT_SEVERITY[a.verdict] || a.name.localeCompare(b.name),
  );
  const count = (v: Verdict): number => instances.filter((i) => i.verdict === v).length;
  // No series at all is refused earlier (WatchInputError); an empty fleet would pass.
  const verdict = combineVerdicts(
    instances.map((i) => i.verdict),
    'pass',
  );
  const decider = instances[0] ?? null;
  return {
    schemaVersion: WATCH_REPORT_SCHEMA_VERSION,
    tool: { name: 'leakcheck', version: options.version ?? '0.0.0' },
    createdAt: new Date(nowMs).toISOString(),
    prometheus: withoutCredentials(base),
    data,
    access: {
      auth: options.credentials?.type ?? 'none',
      headers: Object.keys(options.headers ?? {}),
      ca: Boolean(options.tls?.ca),
      clientCertificate: Boolean(options.tls?.cert),
    },
    query: options.query,
    requestsQuery: options.requests ?? null,
    limit:
      options.limit === undefined
        ? null
        : typeof options.limit === 'number'
          ? { bytes: options.limit }
          : { query: options.limit },
    on,
    range: { start, end, step, seconds: options.rangeSeconds },
    metric: options.analysis.metric,
    confidence: options.analysis.confidence,
    thresholds: { perHour: options.analysis.perHour, perRequest: options.analysis.perRequest },
    verdict,
    exitCode: exitCodeFor(verdict, options.failOn ?? 'leak'),
    summary: summaryLine(verdict, instances),
    decidedBy: decider
      ? { instance: decider.name, basis: decider.basis, rule: decider.rule, reason: decider.reason }
      : null,
    instances,
    counts: {
      series: instances.length,
      leak: count('leak'),
      inconclusive: count('inconclusive'),
      pass: count('pass'),
      withoutRequests,
      unmatchedRequests,
      withoutLimit,
      unmatchedLimits,
    },
    warnings,
  };
}

/**
 * The join key of a series: its labels (all but __name__, or only `on`), in a fixed order.
 *
 * @param labels - series labels
 * @param on - labels to join on; null for all but __name__
 * @returns a string equal for series that join
 */
export function joinKey(labels: Record<string, string>, on: readonly string[] | null): string {
  const names = on
    ? [...on].sort()
    : Object.keys(labels)
        .filter((k) => k !== '__name__')
        .sort();
  return JSON.stringify(names.map((k) => [k, labels[k] ?? '']));
}

function uniqueByKey(
  series: RangeSeries[],
  on: readonly string[] | null,
  flag: string,
): Map<string, RangeSeries> {
  const out = new Map<string, RangeSeries>();
  for (const s of series) {
    const key = joinKey(s.labels, on);
    if (out.has(key)) {
      throw new WatchInputError(
        `${flag} returned more than one series for ${seriesName(on ? pick(s.labels, on) : s.labels)}` +
          `${on ? ` on (${on.join(', ')})` : ''}: aggregate them (e.g. sum by (instance) (...)) or join on more labels with --on`,
      );
    }
    out.set(key, s);
  }
  return out;
}

function pick(labels: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((n) => [n, labels[n] ?? '']));
}

function lastFiniteValue(series: RangeSeries): number | null {
  for (let i = series.v.length - 1; i >= 0; i--) {
    const v = series.v[i] as number;
    if (Number.isFinite(v)) return v;
  }
  return null;
}

function summaryLine(verdict: Verdict, instances: InstanceAnalysis[]): string {
  const n = instances.length;
  const of = (v: Verdict): number => instances.filter((i) => i.verdict === v).length;
  const first = instances[0];
  if (verdict === 'leak' && first) {
    return `LEAK: ${of('leak')} of ${n} instance${n === 1 ? '' : 's'} leak${of('leak') === 1 ? 's' : ''}; ${first.name}: ${first.reason}`;
  }
  if (verdict === 'inconclusive' && first) {
    return `INCONCLUSIVE: ${of('inconclusive')} of ${n} instance${n === 1 ? '' : 's'} undecided; ${first.name}: ${first.reason}`;
  }
  return `PASS: none of ${n} instance${n === 1 ? '' : 's'} leaks`;
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/+$/, '');
}
