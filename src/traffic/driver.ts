/**
 * Drives a {@link RequestSource} at the target through autocannon's programmatic API, keeping
 * status counts overall and per endpoint, optionally paced by a smooth {@link Pacer}.
 */
import type autocannon from 'autocannon';
import type { ResponseTimeline } from '../analysis/exhaustion';
import { Pacer, rateFunction, type RateSpec } from './pacer';
import type { RequestSource } from './scenario';
import { DISTINCT_WINDOW, DistinctWindows, type DistinctSummary } from './model/windows';

/**
 * autocannon, loaded on first use instead of at start-up: it is a third of the command line's
 * start-up time (its histograms and report printer), which the commands that send no traffic
 * (report, init, watch, traffic import) never need, and `run` loads it while the service starts
 * ({@link loadDriver}) instead of before.
 */
let loaded: typeof autocannon | undefined;

/**
 * Loads the load generator now (idempotent), so the first load starts without that delay.
 *
 * @returns autocannon
 */
export function loadDriver(): typeof autocannon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('autocannon') as typeof autocannon;
  return loaded;
}

/** Settings of one load. */
export interface DriverOptions {
  /** Base URL of the target, e.g. http://127.0.0.1:3000 */
  url: string;
  source: RequestSource;
  connections: number;
  /** Smooth arrival rate; unset means as fast as the connections allow. */
  rate?: RateSpec;
  /** Hard bound on the load's length, whatever else happens. */
  maxSeconds: number;
  /** Per-request timeout. */
  timeoutSeconds?: number;
}

/** Counts kept while the load runs. */
export interface TrafficStats {
  /** Completed responses (any status). */
  completed: number;
  /** Requests that failed to connect or lost their connection (timeouts apart). */
  errors: number;
  /** Requests that got no response within the time-out. */
  timeouts: number;
  /** Responses by status code. */
  statusCounts: Record<string, number>;
  /** Responses by endpoint, with their status codes. */
  endpoints: Record<string, { count: number; statusCounts: Record<string, number> }>;
  /** Wall time the load ran, in seconds. */
  seconds: number;
  /** What was sent: requests per endpoint, distinct URLs and identities per window. */
  sent?: SentStats;
  /** Responses over time, per endpoint and second, for a resource that runs out mid-load. */
  timeline?: ResponseTimeline;
}

/** Requests as sent (counted when built), for comparing a replay with its log. */
export interface SentStats {
  requests: number;
  endpoints: Record<string, number>;
  distinct: DistinctSummary;
}

interface EndpointContext {
  endpoint?: string;
}

// autocannon's client schedules each request through _doRequest; the pacer wraps it. This is
// autocannon internals, so the driver checks it is there and fails loudly if a release moves it.
interface PaceableClient {
  _doRequest: (...args: unknown[]) => void;
}

/** Adds one to a per-second count, filling the seconds before it with zeros. */
function countAt(perSecond: number[], at: number): void {
  while (perSecond.length <= at) perSecond.push(0);
  perSecond[at] = (perSecond[at] as number) + 1;
}

/** A running load. */
export class TrafficDriver {
  readonly stats: TrafficStats = {
    completed: 0,
    errors: 0,
    timeouts: 0,
    statusCounts: {},
    endpoints: {},
    seconds: 0,
  };
  /** Resolves when the load has ended (stopped, bounded out, or failed). */
  readonly done: Promise<TrafficStats>;
  private readonly instance: autocannon.Instance;
  private readonly pacer: Pacer | null;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private finished = false;
  private readonly startedAt = performance.now();
  private readonly windows: DistinctWindows;

  /** Starts the load at once. */
  constructor(options: DriverOptions) {
    const { source } = options;
    this.pacer = options.rate ? new Pacer(rateFunction(options.rate)) : null;
    const pacer = this.pacer;
    const stats = this.stats;
    const windows = new DistinctWindows(source.distinctWindow ?? DISTINCT_WINDOW);
    const sent: SentStats = { requests: 0, endpoints: {}, distinct: windows.summary() };
    stats.sent = sent;
    this.windows = windows;
    const timeline: ResponseTimeline = { endpoints: {}, unanswered: [], answeredFirst: 0, hasFailed: false };
    stats.timeline = timeline;
    const second = (): number => Math.floor((performance.now() - this.startedAt) / 1000);
    const onResponse = (status: number, _body: string, context: object): void => {
      const endpoint = (context as EndpointContext).endpoint ?? '?';
      const code = String(status);
      stats.completed++;
      stats.statusCounts[code] = (stats.statusCounts[code] ?? 0) + 1;
      const e = (stats.endpoints[endpoint] ??= { count: 0, statusCounts: {} });
      e.count++;
      e.statusCounts[code] = (e.statusCounts[code] ?? 0) + 1;
      const t = (timeline.endpoints[endpoint] ??= {
        answeredFirst: 0,
        hasFailed: false,
        answered: [],
        failed: [],
      });
      const failed = status >= 500;
      if (failed) t.hasFailed = timeline.hasFailed = true;
      else {
        if (!t.hasFailed) t.answeredFirst++;
        if (!timeline.hasFailed) timeline.answeredFirst++;
      }
      countAt(failed ? t.failed : t.answered, second());
      this.wake();
    };
    this.instance = loadDriver()(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        duration: options.maxSeconds,
        timeout: options.timeoutSeconds ?? 10,
        // autocannon notices stop() on its sampling tick; a short tick makes stopping prompt.
        sampleInt: 100,
        requests: [
          {
            setupRequest: (request, context) => {
              const r = source.next();
              sent.requests++;
              sent.endpoints[r.endpoint] = (sent.endpoints[r.endpoint] ?? 0) + 1;
              windows.add(r.path, r.identity ?? r.headers.authorization ?? r.headers.cookie);
              if ((sent.requests & 255) === 0) sent.distinct = windows.summary();
              (context as EndpointContext).endpoint = r.endpoint;
              request.method = r.method as typeof request.method;
              request.path = r.path;
              request.headers = r.headers;
              request.body = r.body;
              return request;
            },
            onResponse,
          },
        ],
        setupClient: pacer
          ? (client) => {
              const c = client as unknown as PaceableClient;
              if (typeof c._doRequest !== 'function') {
                throw new Error('this autocannon version cannot be paced (no Client#_doRequest)');
              }
              const original = c._doRequest.bind(client);
              c._doRequest = (...args: unknown[]) => pacer.acquire(() => original(...args));
            }
          : undefined,
      },
      () => undefined,
    );
    // autocannon reports a timeout as a request error ("request timed out"); its instance emits no
    // 'timeout' event of its own (9.0: only the client does), so timeouts are told apart here.
    this.instance.on('reqError', (error: unknown) => {
      if (error instanceof Error && error.message === 'request timed out') stats.timeouts++;
      else stats.errors++;
      timeline.hasFailed = true;
      countAt(timeline.unanswered, second());
    });
    this.done = new Promise((resolve) => {
      this.instance.once('done', () => {
        this.finish();
        resolve(stats);
      });
    });
  }

  /** Seconds since the load started (its whole length once it has ended). */
  get loadSeconds(): number {
    return this.finished ? this.stats.seconds : (performance.now() - this.startedAt) / 1000;
  }

  /** Resolves once `count` responses have completed, or when the load ends first. */
  whenCompleted(count: number): Promise<void> {
    if (this.finished || this.stats.completed >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Stops sending and resolves when autocannon has closed its connections. */
  async stop(): Promise<TrafficStats> {
    this.pacer?.stop();
    this.instance.stop();
    return this.done;
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as { count: number; resolve: () => void };
      if (this.stats.completed >= w.count) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private finish(): void {
    this.finished = true;
    this.stats.seconds = (performance.now() - this.startedAt) / 1000;
    if (this.stats.sent) this.stats.sent.distinct = this.windows.summary();
    this.pacer?.stop();
    for (const w of this.waiters.splice(0)) w.resolve();
  }
}
