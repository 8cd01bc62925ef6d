/**
 * A small client for Prometheus' HTTP API: range queries (/api/v1/query_range) with Node's fetch,
 * sent only to the base URL the caller gives.
 */

/** Most points Prometheus returns per series for one range query. */
export const PROMETHEUS_MAX_POINTS = 11_000;

/** One series of a range query: its labels and its (time, value) points. */
export interface RangeSeries {
  /** Labels, `__name__` included when the query keeps it. */
  labels: Record<string, string>;
  /** Unix time in seconds. */
  t: number[];
  /** Values; NaN and ±Inf from Prometheus are kept as such (the analysis counts and skips them). */
  v: number[];
}

/** What a range query returned. */
export interface RangeResult {
  series: RangeSeries[];
  /** Warnings Prometheus attached to the answer. */
  warnings: string[];
}

/** A range query. */
export interface RangeQuery {
  /** PromQL expression. */
  query: string;
  /** Unix seconds. */
  start: number;
  /** Unix seconds. */
  end: number;
  /** Resolution, seconds. */
  step: number;
}

/** Why a request failed: the server could not be used, or it rejected the query. */
export type PrometheusErrorKind = 'unreachable' | 'server' | 'bad-query' | 'bad-response';

/** A failed Prometheus request. `bad-query` is the user's PromQL; the rest are infrastructure. */
export class PrometheusError extends Error {
  /** What went wrong. */
  readonly kind: PrometheusErrorKind;

  /**
   * @param kind - what went wrong
   * @param message - one line for humans
   */
  constructor(kind: PrometheusErrorKind, message: string) {
    super(message);
    this.name = 'PrometheusError';
    this.kind = kind;
  }
}

/** Options of {@link queryRange}. */
export interface ClientOptions {
  /** Bound on one request, ms (default 30,000). */
  timeoutMs?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

interface ApiAnswer {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: unknown;
  data?: { resultType?: string; result?: unknown };
}

/**
 * Checks and normalises a Prometheus base URL ("http://127.0.0.1:9090", or with a path prefix).
 *
 * @param base - the URL as given
 * @returns the URL without a trailing slash
 * @throws PrometheusError (bad-query) when it is not an http(s) URL
 */
export function prometheusBaseUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new PrometheusError(
      'bad-query',
      `--prometheus: "${base}" is not a URL (expected http://host:9090)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PrometheusError(
      'bad-query',
      `--prometheus: expected an http or https URL, got "${url.protocol}"`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Runs a range query. Values Prometheus sends as strings ("NaN", "+Inf" included) become numbers.
 *
 * @param base - Prometheus base URL (see {@link prometheusBaseUrl})
 * @param query - expression, start, end, step
 * @param options - timeout, abort signal, fetch override
 * @returns the matrix and any warnings
 * @throws PrometheusError: unreachable / server (5xx, timeouts) / bad-query (4xx with an error
 *   from Prometheus) / bad-response (not a matrix)
 */
export async function queryRange(
  base: string,
  query: RangeQuery,
  options: ClientOptions = {},
): Promise<RangeResult> {
  const url = `${prometheusBaseUrl(base)}/api/v1/query_range`;
  const body = new URLSearchParams({
    query: query.query,
    start: String(query.start),
    end: String(query.end),
    step: String(query.step),
  });
  const answer = await post(url, body, options);
  const data = answer.data;
  if (!data || data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new PrometheusError(
      'bad-response',
      `Prometheus answered "${query.query}" with ${data?.resultType ?? 'no data'}, expected a range vector (matrix)`,
    );
  }
  const series: RangeSeries[] = [];
  for (const item of data.result as unknown[]) {
    const entry = item as { metric?: unknown; values?: unknown };
    if (!entry || typeof entry.metric !== 'object' || !Array.isArray(entry.values)) {
      throw new PrometheusError('bad-response', 'Prometheus sent a series without labels or values');
    }
    const t: number[] = [];
    const v: number[] = [];
    for (const point of entry.values as unknown[]) {
      if (!Array.isArray(point) || point.length !== 2) {
        throw new PrometheusError('bad-response', 'Prometheus sent a point that is not [time, value]');
      }
      t.push(Number(point[0]));
      v.push(parseSampleValue(String(point[1])));
    }
    series.push({ labels: stringRecord(entry.metric), t, v });
  }
  const warnings = Array.isArray(answer.warnings) ? answer.warnings.map(String) : [];
  return { series, warnings };
}

/** Prometheus' sample values: decimal strings, or NaN / +Inf / -Inf. */
function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = String(v);
  return out;
}

async function post(url: string, body: URLSearchParams, options: ClientOptions): Promise<ApiAnswer> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal) signals.push(options.signal);
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      err instanceof Error && err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err)));
    throw new PrometheusError('unreachable', `cannot reach Prometheus at ${redactedOrigin(url)}: ${why}`);
  }
  const text = await response.text();
  let answer: ApiAnswer | null = null;
  try {
    answer = JSON.parse(text) as ApiAnswer;
  } catch {
    answer = null;
  }
  if (answer && answer.status === 'error') {
    // 400 and 422 carry the user's mistake (bad PromQL, too many points); 5xx and 503 are the server.
    const kind = response.status >= 400 && response.status < 500 ? 'bad-query' : 'server';
    throw new PrometheusError(
      kind,
      `Prometheus: ${answer.errorType ?? 'error'}: ${answer.error ?? 'unknown error'}`,
    );
  }
  if (!response.ok) {
    throw new PrometheusError(
      response.status >= 500 ? 'server' : 'bad-response',
      `Prometheus at ${redactedOrigin(url)} answered HTTP ${response.status}`,
    );
  }
  if (!answer || answer.status !== 'success') {
    throw new PrometheusError(
      'bad-response',
      `Prometheus at ${redactedOrigin(url)} did not answer with JSON`,
    );
  }
  return answer;
}

/** The URL without credentials or query, for messages. */
function redactedOrigin(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}
