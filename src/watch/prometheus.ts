/**
 * A small client for Prometheus' HTTP API: range queries (/api/v1/query_range), sent only to the
 * base URL the caller gives, with the credentials, extra headers and TLS settings secured
 * backends need (node:http/https: Node 20's global fetch cannot take a CA or client certificate).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';

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
export type PrometheusErrorKind = 'unreachable' | 'server' | 'bad-query' | 'bad-response' | 'unauthorized';

/**
 * A failed Prometheus request. `bad-query` is the user's PromQL and `unauthorized` their
 * credentials (HTTP 401/403); the rest are infrastructure.
 */
export class PrometheusError extends LeakcheckError {
  /** What went wrong. */
  readonly kind: PrometheusErrorKind;

  /**
   * @param kind - what went wrong
   * @param message - one line for humans
   */
  constructor(kind: PrometheusErrorKind, message: string) {
    super(message, kind === 'bad-query' || kind === 'unauthorized' ? EXIT.usage : EXIT.infrastructure);
    this.name = 'PrometheusError';
    this.kind = kind;
  }
}

/** Credentials sent with every request (read from a file or the environment by the caller). */
export type PrometheusCredentials =
  { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };

/** TLS settings for an https URL: PEM text of a CA bundle, and a client certificate with its key. */
export interface PrometheusTls {
  /** CA certificates to trust instead of Node's bundled ones. */
  ca?: string;
  /** Client certificate (PEM). */
  cert?: string;
  /** The client certificate's private key (PEM). */
  key?: string;
}

/** Options of {@link queryRange}. */
export interface ClientOptions {
  /** Bound on one request, ms (default 30,000). */
  timeoutMs?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Bearer token or basic-auth credentials. Never written to output or reports. */
  credentials?: PrometheusCredentials | null;
  /** Extra headers, e.g. `{ 'X-Scope-OrgID': 'team-a' }` for Mimir, Cortex, Thanos or VictoriaMetrics. */
  headers?: Record<string, string>;
  /** CA and client certificate for https. */
  tls?: PrometheusTls;
  /** Replaces the HTTP client (tests); `tls` is not applied to it. */
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
  if (url.username !== '' || url.password !== '') {
    // A password in the URL lands in shell history and process listings, and fetch refuses it.
    throw new PrometheusError(
      'bad-query',
      '--prometheus: credentials in the URL are not accepted (they show in process listings); ' +
        'give them with --username and --password-file or --password-env',
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

/** What one HTTP exchange returned. */
interface HttpAnswer {
  status: number;
  text: string;
}

/** The request headers: content type, credentials, then the user's extra headers. */
function requestHeaders(options: ClientOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const c = options.credentials;
  if (c?.type === 'bearer') headers.authorization = `Bearer ${c.token}`;
  if (c?.type === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

/** POSTs with node:http/https (CA and client certificate applied), bounded by `signal`. */
function send(
  url: string,
  body: string,
  headers: Record<string, string>,
  tls: PrometheusTls,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal,
        ...(target.protocol === 'https:' ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (d: Buffer) => chunks.push(d));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function viaFetch(
  doFetch: typeof fetch,
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  const response = await doFetch(url, { method: 'POST', headers, body, signal });
  return { status: response.status, text: await response.text() };
}

// TLS verification failures: the server's certificate is not signed by a CA Node trusts.
const CERTIFICATE_ERRORS = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

async function post(url: string, body: URLSearchParams, options: ClientOptions): Promise<ApiAnswer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signals = [timeout];
  if (options.signal) signals.push(options.signal);
  const signal = AbortSignal.any(signals);
  const headers = requestHeaders(options);
  let response: HttpAnswer;
  try {
    response = options.fetch
      ? await viaFetch(options.fetch, url, body.toString(), headers, signal)
      : await send(url, body.toString(), headers, options.tls ?? {}, signal);
  } catch (err) {
    const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const code = e.code && e.code !== 'ABORT_ERR' ? e.code : (e.cause?.code ?? undefined);
    const why = timeout.aborted
      ? `no answer within ${timeoutMs} ms`
      : (code ?? e.cause?.message ?? e.message ?? String(err));
    const hint =
      code && CERTIFICATE_ERRORS.has(code)
        ? " (the server's certificate is not signed by a trusted CA: give its CA with --ca-file)"
        : '';
    throw new PrometheusError(
      'unreachable',
      `cannot reach Prometheus at ${redactedOrigin(url)}: ${why}${hint}`,
    );
  }
  let answer: ApiAnswer | null = null;
  try {
    answer = JSON.parse(response.text) as ApiAnswer;
  } catch {
    answer = null;
  }
  if (response.status === 401 || response.status === 403) {
    const given = options.credentials
      ? `the ${options.credentials.type} credentials given were refused`
      : 'no credentials were given';
    const said = firstLine(answer?.error ?? response.text);
    throw new PrometheusError(
      'unauthorized',
      `Prometheus at ${redactedOrigin(url)} answered HTTP ${response.status}${said ? ` "${said}"` : ''}: ` +
        `${given} (--bearer-token-file/--bearer-token-env, or --username with --password-file/` +
        '--password-env; a gateway may also want a tenant --header)',
    );
  }
  if (answer && answer.status === 'error') {
    // 400 and 422 carry the user's mistake (bad PromQL, too many points); 5xx and 503 are the server.
    const kind = response.status >= 400 && response.status < 500 ? 'bad-query' : 'server';
    throw new PrometheusError(
      kind,
      `Prometheus: ${answer.errorType ?? 'error'}: ${answer.error ?? 'unknown error'}`,
    );
  }
  if (response.status < 200 || response.status >= 300) {
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

/** The first line of a server's text, printable characters only, at most 120 of them. */
function firstLine(text: string): string {
  const line = (text.split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, '?').trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** The URL without credentials or query, for messages. */
function redactedOrigin(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.search = '';
  return u.toString();
}
