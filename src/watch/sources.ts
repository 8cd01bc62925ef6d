/**
 * The memory metrics Node services already export, and how each is sampled: leakcheck's exporter
 * (post-GC values), prom-client's default metrics and the OpenTelemetry Node runtime metrics (read
 * when scraped, a sawtooth between collections). `watch` picks its fit from this: post-GC values
 * are fitted as they are, scrape-time values through their lower envelope (envelope.ts).
 */
import type { MetricName } from '../analysis';
import { EXPORTER_METRICS } from '../exporter/names';

/** Where a metric comes from. */
export type SourceName = 'leakcheck' | 'prom-client' | 'otel';

/** Source names, for flags and messages. */
export const SOURCE_NAMES: readonly SourceName[] = ['leakcheck', 'prom-client', 'otel'];

/**
 * When the value was read: right after a major GC (only live memory), or whenever Prometheus
 * scraped (live memory plus the garbage allocated since the last collection).
 */
export type Sampling = 'post-gc' | 'scrape-time';

/** A metric name `watch` knows. */
export interface KnownMetric {
  /** The name as Prometheus stores it. */
  name: string;
  source: SourceName;
  /** The analysis metric it measures (unit and words). */
  metric: MetricName;
  sampling: Sampling;
  /** Labels that split one process into several series (to be summed away). */
  splitBy: string | null;
}

/** Prometheus suffixes of OpenTelemetry units (UCUM), as the OpenTelemetry Prometheus exporters write them. */
const OTEL_UNIT_SUFFIX: Readonly<Record<string, string>> = {
  By: 'bytes',
  s: 'seconds',
  ms: 'milliseconds',
  '1': 'ratio',
};

/**
 * The Prometheus name of an OpenTelemetry instrument or attribute, as the OpenTelemetry
 * Prometheus exporters write it: characters other than letters, digits and `_` become `_`
 * (`v8js.memory.heap.used` → `v8js_memory_heap_used`), then the unit's suffix is appended unless
 * the name already ends in it (`By` → `_bytes`); annotation units (`{object}`) add nothing.
 *
 * @param name - the instrument or attribute name (semantic conventions)
 * @param unit - the instrument's UCUM unit; none for an attribute
 * @returns the name in Prometheus
 */
export function otelPrometheusName(name: string, unit?: string): string {
  const base = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/__+/g, '_');
  const suffix = unit === undefined || /^\{.*\}$/.test(unit) ? undefined : OTEL_UNIT_SUFFIX[unit];
  return suffix && !base.endsWith(`_${suffix}`) ? `${base}_${suffix}` : base;
}

/** The OpenTelemetry Node runtime and process instruments `watch` reads (semantic conventions). */
const OTEL = {
  heapUsed: otelPrometheusName('v8js.memory.heap.used', 'By'),
  heapSpace: otelPrometheusName('v8js.heap.space.name'),
  rss: otelPrometheusName('process.memory.usage', 'By'),
};

/** Every memory metric `watch` recognises in a query. */
export const KNOWN_METRICS: readonly KnownMetric[] = [
  {
    name: EXPORTER_METRICS.heapAfterGc,
    source: 'leakcheck',
    metric: 'heapUsed',
    sampling: 'post-gc',
    splitBy: null,
  },
  {
    name: EXPORTER_METRICS.externalAfterGc,
    source: 'leakcheck',
    metric: 'external',
    sampling: 'post-gc',
    splitBy: null,
  },
  // prom-client's collectDefaultMetrics(): process.memoryUsage() and v8.getHeapSpaceStatistics().
  {
    name: 'nodejs_heap_size_used_bytes',
    source: 'prom-client',
    metric: 'heapUsed',
    sampling: 'scrape-time',
    splitBy: null,
  },
  {
    name: 'nodejs_heap_space_size_used_bytes',
    source: 'prom-client',
    metric: 'heapUsed',
    sampling: 'scrape-time',
    splitBy: 'space',
  },
  {
    name: 'nodejs_external_memory_bytes',
    source: 'prom-client',
    metric: 'external',
    sampling: 'scrape-time',
    splitBy: null,
  },
  {
    name: 'process_resident_memory_bytes',
    source: 'prom-client',
    metric: 'rss',
    sampling: 'scrape-time',
    splitBy: null,
  },
  // @opentelemetry/instrumentation-runtime-node (v8js.memory.heap.used, unit By) via the
  // Prometheus exporter, which appends the unit: one series per heap space.
  {
    name: OTEL.heapUsed,
    source: 'otel',
    metric: 'heapUsed',
    sampling: 'scrape-time',
    splitBy: OTEL.heapSpace,
  },
  {
    name: OTEL.rss,
    source: 'otel',
    metric: 'rss',
    sampling: 'scrape-time',
    splitBy: null,
  },
];

/** The query `watch --source <name>` runs when no --query is given: the heap, one series per process. */
export const SOURCE_DEFAULT_QUERY: Readonly<Record<SourceName, string>> = {
  leakcheck: EXPORTER_METRICS.heapAfterGc,
  'prom-client': 'nodejs_heap_size_used_bytes',
  otel: `sum without (${OTEL.heapSpace}) (${OTEL.heapUsed})`,
};

/** What `watch` concluded about the query's data. */
export interface DataSource {
  /** The source, or null when the query names no metric `watch` knows. */
  source: SourceName | null;
  /** The known metric found in the query, if any. */
  metricName: string | null;
  /** How the values were sampled; unknown queries are taken as post-GC (fitted as they are). */
  sampling: Sampling;
  /** How it was decided: named by --source, recognised in the query, or assumed. */
  decidedBy: 'flag' | 'query' | 'assumed';
}

/**
 * The known metrics a PromQL expression reads (names not followed by "(", i.e. not functions).
 *
 * @param query - PromQL
 * @returns the known metrics, in order of appearance
 */
export function knownMetricsIn(query: string): KnownMetric[] {
  const out: KnownMetric[] = [];
  // Label values in quotes may contain anything: drop them before looking for names.
  const bare = query.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const known = KNOWN_METRICS.find((m) => m.name === match[0]);
    if (known && !out.includes(known)) out.push(known);
  }
  return out;
}

/**
 * Decides the data source of a query: `--source` when given (checked against the names in the
 * query), else the first known metric in it, else post-GC values assumed.
 *
 * @param query - the memory PromQL
 * @param source - the --source flag, if given
 * @returns the source, the metric found and its sampling
 * @throws Error when --source contradicts a known metric in the query
 */
export function resolveDataSource(query: string, source?: SourceName): DataSource {
  const found = knownMetricsIn(query);
  const first = found[0] ?? null;
  if (source !== undefined) {
    const other = found.find((m) => m.source !== source);
    if (other) {
      throw new Error(
        `--source ${source}: the query reads ${other.name}, which comes from ${other.source} (drop --source or use --source ${other.source})`,
      );
    }
    return {
      source,
      metricName: first?.name ?? null,
      sampling: first?.sampling ?? (source === 'leakcheck' ? 'post-gc' : 'scrape-time'),
      decidedBy: 'flag',
    };
  }
  if (first)
    return { source: first.source, metricName: first.name, sampling: first.sampling, decidedBy: 'query' };
  return { source: null, metricName: null, sampling: 'post-gc', decidedBy: 'assumed' };
}
