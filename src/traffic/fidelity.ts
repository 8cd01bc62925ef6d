/**
 * How faithful a replay was: the log's mix next to what was sent and what came back. Endpoint
 * shares, distinct URLs and identities per window, and the status mix; and warnings naming the
 * endpoints whose responses diverge badly from the log's (90% 404 where the log had 2%: the routes
 * probably do not match the service under test). Pure: data in, data out.
 */
import type { SentStats, TrafficStats } from './driver';
import type { TrafficModel } from './model/model';
import type { DistinctSummary } from './model/windows';

/** The log's side of the comparison, taken from the traffic model. */
export interface FidelityBaseline {
  source: {
    file: string;
    format: string;
    requests: number;
    skipped: number;
    /** HAR: entries for other origins, skipped. */
    otherOrigins?: number;
    mode: 'model' | 'verbatim';
    /** Verbatim mode: requests in the replayed sequence. */
    sequence?: number;
  };
  endpoints: Array<{ endpoint: string; share: number; statusCounts: Record<string, number> }>;
  statusCounts: Record<string, number>;
  distinct: DistinctSummary;
}

/** One endpoint, log next to replay. */
export interface FidelityEndpoint {
  endpoint: string;
  /** Share of the log's requests (0..1). */
  logShare: number;
  /** Share of the requests sent. */
  sentShare: number;
  /** Responses received for it. */
  received: number;
  /** Status code shares in the log and in the responses (0..1 each). */
  logStatus: Record<string, number>;
  receivedStatus: Record<string, number>;
}

/** Log next to replay, with warnings. */
export interface FidelityReport {
  source: FidelityBaseline['source'];
  sent: number;
  received: number;
  /** Every endpoint of the log and any the replay sent that the log does not have, by log share. */
  endpoints: FidelityEndpoint[];
  /** Largest |log share − sent share| over the endpoints (0..1). */
  maxShareDifference: number;
  distinctUrls: { window: number; log: number; sent: number; sentWindow: number };
  distinctIdentities: { window: number; log: number; sent: number; sentWindow: number };
  /** Status classes (2xx, 3xx, 4xx, 5xx) as shares. */
  statusMix: { log: Record<string, number>; received: Record<string, number> };
  warnings: string[];
}

/** Responses needed before an endpoint's status mix is judged. */
const MIN_RESPONSES = 20;
/** Error-share gap (points) that makes an endpoint's responses "diverge badly". */
const ERROR_GAP = 0.25;
/** Endpoint-share gap (points) that makes the mix itself a warning. */
const SHARE_GAP = 0.05;
/** Endpoints named in one warning. */
const NAMED = 5;

/** The log's side, from a traffic model. */
export function baselineFromModel(model: TrafficModel, mode: 'model' | 'verbatim'): FidelityBaseline {
  return {
    source: {
      file: model.source.file,
      format: model.source.format,
      requests: model.source.requests,
      skipped: model.source.skipped.total,
      ...(model.source.otherOrigins ? { otherOrigins: model.source.otherOrigins.total } : {}),
      ...(mode === 'verbatim' && model.sequence ? { sequence: model.sequence.length } : {}),
      mode,
    },
    endpoints: model.endpoints.map((e) => ({
      endpoint: e.key,
      share: e.share,
      statusCounts: e.statusCounts,
    })),
    statusCounts: model.summary.statusCounts,
    distinct: model.summary.distinct,
  };
}

function shares(counts: Record<string, number>): Record<string, number> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const out: Record<string, number> = {};
  if (total === 0) return out;
  for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) out[k] = round4(n / total);
  return out;
}

function classes(counts: Record<string, number>): Record<string, number> {
  const byClass: Record<string, number> = {};
  for (const [code, n] of Object.entries(counts)) {
    const c = `${String(code)[0] ?? '?'}xx`;
    byClass[c] = (byClass[c] ?? 0) + n;
  }
  return shares(byClass);
}

function errorShare(statusShares: Record<string, number>): number {
  return Object.entries(statusShares)
    .filter(([code]) => Number(code) >= 400)
    .reduce((s, [, v]) => s + v, 0);
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Endpoint names come from logs: warnings show control characters as escapes, never raw. */
function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function pct(n: number): string {
  return n >= 0.1 ? `${Math.round(n * 100)}%` : `${Math.round(n * 1000) / 10}%`;
}

/** Compares the log with what a run sent and received. */
export function compareFidelity(baseline: FidelityBaseline, traffic: TrafficStats): FidelityReport {
  const sent: SentStats = traffic.sent ?? {
    requests: 0,
    endpoints: {},
    distinct: { window: 0, windows: 0, urls: 0, identities: 0 },
  };
  const names = new Set([...baseline.endpoints.map((e) => e.endpoint), ...Object.keys(sent.endpoints)]);
  const logByName = new Map(baseline.endpoints.map((e) => [e.endpoint, e]));
  const endpoints: FidelityEndpoint[] = [...names].map((endpoint) => {
    const log = logByName.get(endpoint);
    const got = traffic.endpoints[endpoint];
    return {
      endpoint,
      logShare: round4(log?.share ?? 0),
      sentShare: sent.requests > 0 ? round4((sent.endpoints[endpoint] ?? 0) / sent.requests) : 0,
      received: got?.count ?? 0,
      logStatus: shares(log?.statusCounts ?? {}),
      receivedStatus: shares(got?.statusCounts ?? {}),
    };
  });
  endpoints.sort(
    (a, b) => b.logShare - a.logShare || b.sentShare - a.sentShare || (a.endpoint < b.endpoint ? -1 : 1),
  );
  const maxShareDifference = round4(Math.max(0, ...endpoints.map((e) => Math.abs(e.logShare - e.sentShare))));

  const warnings: string[] = [];
  const diverging = endpoints
    .filter((e) => e.received >= MIN_RESPONSES && Object.keys(e.logStatus).length > 0)
    .map((e) => {
      const logErr = errorShare(e.logStatus);
      const gotErr = errorShare(e.receivedStatus);
      return { e, logErr, gotErr };
    })
    .filter(({ logErr, gotErr }) => gotErr - logErr >= ERROR_GAP && gotErr >= 2 * logErr)
    .sort((a, b) => b.gotErr - b.logErr - (a.gotErr - a.logErr));
  // Not found / not allowed means the routes differ; other errors mean the service fails where
  // production did not (missing data, bad bodies, auth). Each gets its own warning.
  const dominant = (e: FidelityEndpoint): string =>
    Object.entries(e.receivedStatus)
      .filter(([c]) => Number(c) >= 400)
      .sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  const routeCodes = new Set(['404', '405', '501']);
  for (const [group, ending] of [
    [
      diverging.filter(({ e }) => routeCodes.has(dominant(e))),
      'the routes probably do not match the service under test',
    ],
    [
      diverging.filter(({ e }) => !routeCodes.has(dominant(e))),
      'the service fails where production did not (missing test data, credentials or request bodies?)',
    ],
  ] as const) {
    if (group.length === 0) continue;
    const described = group.slice(0, NAMED).map(({ e }) => {
      const code = dominant(e);
      return `${visible(e.endpoint)} got ${pct(e.receivedStatus[code] ?? 0)} ${code} vs ${pct(e.logStatus[code] ?? 0)} in the log`;
    });
    const more = group.length > NAMED ? ` and ${group.length - NAMED} more` : '';
    warnings.push(
      `replay: responses differ badly from the log for ${group.length} endpoint${group.length === 1 ? '' : 's'} ` +
        `(${described.join('; ')}${more}): ${ending}`,
    );
  }
  if (sent.requests >= 1000 && maxShareDifference > SHARE_GAP) {
    const worst = endpoints.reduce((a, b) =>
      Math.abs(b.logShare - b.sentShare) > Math.abs(a.logShare - a.sentShare) ? b : a,
    );
    warnings.push(
      `replay: the endpoint mix sent differs from the log's by up to ${(maxShareDifference * 100).toFixed(1)} percentage points (${visible(worst.endpoint)}: ${pct(worst.sentShare)} sent vs ${pct(worst.logShare)} in the log)`,
    );
  }
  const comparable = sent.distinct.windows > 0 || sent.distinct.window >= baseline.distinct.window;
  if (comparable && baseline.distinct.urls >= 10 && sent.distinct.urls < baseline.distinct.urls * 0.5) {
    warnings.push(
      `replay: ${sent.distinct.urls} distinct URLs per ${baseline.distinct.window.toLocaleString('en-US')} requests vs ${baseline.distinct.urls} in the log: the replay under-represents the log's variety, and leaks that grow with it may be missed`,
    );
  }
  const sequence = baseline.source.sequence;
  if (baseline.source.mode === 'verbatim' && sequence && sent.requests > sequence * 1.5) {
    warnings.push(
      `replay: verbatim mode sent the log's ${sequence.toLocaleString('en-US')} requests ${(sent.requests / sequence).toFixed(1)} times over; the repeats bring no new URLs or identities, so a leak that grows with them stops growing after the first pass (model mode keeps producing fresh values)`,
    );
  }
  const received = Object.values(traffic.statusCounts).reduce((a, b) => a + b, 0);
  return {
    source: baseline.source,
    sent: sent.requests,
    received,
    endpoints,
    maxShareDifference,
    distinctUrls: {
      window: baseline.distinct.window,
      log: baseline.distinct.urls,
      sent: sent.distinct.urls,
      sentWindow: sent.distinct.window,
    },
    distinctIdentities: {
      window: baseline.distinct.window,
      log: baseline.distinct.identities,
      sent: sent.distinct.identities,
      sentWindow: sent.distinct.window,
    },
    statusMix: { log: classes(baseline.statusCounts), received: classes(traffic.statusCounts) },
    warnings,
  };
}
