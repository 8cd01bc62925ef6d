/**
 * The production exporter: runs inside a service, never forces a GC, and exports through
 * prom-client the heap in use right after each major GC that V8 ran on its own, the requests
 * served and the heap limit. Growth fitted on post-GC values measures what stays alive; the raw
 * heap gauge is a sawtooth whose teeth are garbage.
 *
 * Post-GC values come from v8.GCProfiler, which records V8's own heap statistics at the end of
 * every collection. Reading the heap from a PerformanceObserver 'gc' callback instead measures
 * it later, after the service has allocated again: bench/exporter-gc.ts compares the two.
 *
 * Usage: `require('leakcheck/exporter')` (or `node --require leakcheck/exporter server.js`)
 * starts it with settings from the environment; {@link startExporter} gives control.
 */
import * as diagnostics from 'node:diagnostics_channel';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v8 from 'node:v8';
import type * as PromClient from 'prom-client';
import type { Metric, Registry } from 'prom-client';
import { EXPORTER_METRICS } from './names';

export { EXPORTER_METRICS } from './names';

/** The GC type V8's GCProfiler names a full (major) mark-sweep-compact collection. */
const MAJOR_GC_TYPE = 'MarkSweepCompact';
/** Default period of draining the profiler when nobody scrapes (bounds its buffer). */
const DEFAULT_DRAIN_MS = 10_000;

/** Options of {@link startExporter}. */
export interface ExporterOptions {
  /** Registry to register the metrics in (default: prom-client's global registry). */
  registry?: Registry;
  /** Serve GET /metrics on this port (0: any free port). Omit to serve nothing. */
  port?: number;
  /** Address the metrics server binds to (default 127.0.0.1: not reachable from outside). */
  host?: string;
  /** How often to drain the GC profiler between scrapes, ms (default 10,000). */
  drainIntervalMs?: number;
}

/** A running exporter. */
export interface Exporter {
  /** The registry holding the metrics. */
  registry: Registry;
  /** The metrics in Prometheus text format (drains the GC profiler first). */
  metrics(): Promise<string>;
  /** Content-Type of {@link Exporter.metrics}' text. */
  contentType: string;
  /** Resolves once the metrics server listens (at once when there is none). */
  ready: Promise<void>;
  /** Address of the metrics server, null when there is none or it is not listening yet. */
  address(): AddressInfo | null;
  /** What was observed so far (for tests and diagnostics). */
  stats(): ExporterStats;
  /** Stops observing, closes the server and unregisters the metrics. */
  close(): Promise<void>;
}

/** Counts the exporter keeps. */
export interface ExporterStats {
  /** Major GCs observed. */
  majorGcs: number;
  /** Heap used after the latest major GC, null before the first. */
  heapAfterGc: number | null;
  /** Responses counted. */
  requests: number;
}

/** Heap statistics as GCProfiler really reports them (camelCase, unlike @types/node's type). */
interface ProfilerHeapStatistics {
  usedHeapSize?: number;
  externalMemory?: number;
}

const EXPORTER_KEY = Symbol.for('leakcheck.exporter');

/**
 * Starts the exporter, once per process: a second call returns the running one (and registers its
 * metrics in `options.registry` too when that is another registry).
 *
 * @param options - registry, optional metrics server port and host, drain interval
 * @returns the running exporter
 */
export function startExporter(options: ExporterOptions = {}): Exporter {
  const holder = globalThis as unknown as Record<symbol, Running | undefined>;
  const running = holder[EXPORTER_KEY];
  if (running) {
    const extra = options.registry;
    if (extra && extra !== running.exporter.registry) {
      for (const metric of running.metrics) {
        if (!extra.getSingleMetric(metricName(metric))) extra.registerMetric(metric);
      }
    }
    return running.exporter;
  }
  const created = createExporter(options, () => {
    delete holder[EXPORTER_KEY];
  });
  holder[EXPORTER_KEY] = created;
  return created.exporter;
}

/** The process-wide exporter and its metric objects. */
interface Running {
  exporter: Exporter;
  metrics: Array<Metric<string>>;
}

function metricName(metric: Metric<string>): string {
  return (metric as unknown as { name: string }).name;
}

/** The one line shown when the service does not have prom-client (an optional peer dependency). */
export const PROM_CLIENT_MISSING =
  'leakcheck/exporter needs prom-client, which is not installed: npm install prom-client';

/**
 * prom-client is an optional peer dependency: only the exporter uses it, so it is loaded here, from
 * the service's own node_modules, and never installed for users of the CLI.
 */
function loadPromClient(): typeof PromClient {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('prom-client') as typeof PromClient;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes("'prom-client'"))
      throw new Error(PROM_CLIENT_MISSING);
    throw err;
  }
}

function createExporter(options: ExporterOptions, onClose: () => void): Running {
  const { Counter, Gauge, register: globalRegistry } = loadPromClient();
  const registry = options.registry ?? globalRegistry;
  const state: ExporterStats = { majorGcs: 0, heapAfterGc: null, requests: 0 };
  let lastExternal: number | null = null;
  let lastMajorAt: number | null = null;

  const profiler = new v8.GCProfiler();
  profiler.start();
  let profiling = true;
  // Statistics pile up inside the profiler until stop(); draining on every scrape and on a timer
  // keeps that buffer small whether or not anyone scrapes.
  const drain = (): void => {
    if (!profiling) return;
    const result = profiler.stop();
    profiler.start();
    for (const entry of result.statistics) {
      if (entry.gcType !== MAJOR_GC_TYPE) continue;
      const after = entry.afterGC.heapStatistics as unknown as ProfilerHeapStatistics;
      if (typeof after.usedHeapSize !== 'number') continue;
      state.majorGcs++;
      majorGcs.inc();
      state.heapAfterGc = after.usedHeapSize;
      lastExternal = typeof after.externalMemory === 'number' ? after.externalMemory : lastExternal;
      lastMajorAt = Date.now() / 1000;
    }
  };

  // Gauges stay absent until the first major GC: a value from before it would not be post-GC.
  const heapAfterGc = new Gauge({
    name: EXPORTER_METRICS.heapAfterGc,
    help: 'V8 heap in use right after the latest major GC (observed, never forced), bytes',
    registers: [registry],
    collect() {
      drain();
      if (state.heapAfterGc !== null) this.set(state.heapAfterGc);
    },
  });
  const externalAfterGc = new Gauge({
    name: EXPORTER_METRICS.externalAfterGc,
    help: 'Memory of C++ objects bound to JavaScript (Buffers) right after the latest major GC, bytes',
    registers: [registry],
    collect() {
      drain();
      if (lastExternal !== null) this.set(lastExternal);
    },
  });
  const majorGcs = new Counter({
    name: EXPORTER_METRICS.majorGcs,
    help: 'Major (mark-sweep-compact) garbage collections observed',
    registers: [registry],
    collect() {
      drain();
    },
  });
  const lastMajorGc = new Gauge({
    name: EXPORTER_METRICS.lastMajorGc,
    help: 'Unix time of the latest major GC, seconds',
    registers: [registry],
    collect() {
      drain();
      if (lastMajorAt !== null) this.set(lastMajorAt);
    },
  });
  const requests = new Counter({
    name: EXPORTER_METRICS.requests,
    help: 'HTTP responses finished by node:http servers in this process (the metrics server excluded)',
    registers: [registry],
  });
  const heapLimit = new Gauge({
    name: EXPORTER_METRICS.heapLimit,
    help: "V8's heap size limit, bytes",
    registers: [registry],
    collect() {
      this.set(v8.getHeapStatistics().heap_size_limit);
    },
  });

  let server: http.Server | null = null;
  const onFinish = (message: unknown): void => {
    // Scrapes of our own /metrics are not the service's traffic.
    if (server && (message as { server?: unknown } | null)?.server === server) return;
    state.requests++;
    requests.inc();
  };
  diagnostics.subscribe('http.server.response.finish', onFinish);

  const timer = setInterval(drain, options.drainIntervalMs ?? DEFAULT_DRAIN_MS);
  timer.unref();

  let ready: Promise<void> = Promise.resolve();
  if (options.port !== undefined) {
    const metricsServer = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    server = metricsServer;
    // The metrics server must never keep the service alive on its own.
    metricsServer.unref();
    ready = new Promise((resolve, reject) => {
      metricsServer.once('error', reject);
      metricsServer.listen(options.port, options.host ?? '127.0.0.1', () => {
        metricsServer.off('error', reject);
        resolve();
      });
    });
  }

  const metrics: Array<Metric<string>> = [
    heapAfterGc,
    externalAfterGc,
    majorGcs,
    lastMajorGc,
    requests,
    heapLimit,
  ];
  const exporter: Exporter = {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    ready,
    address: () => {
      const address = server?.address();
      return address && typeof address === 'object' ? address : null;
    },
    stats: () => {
      drain();
      return { ...state };
    },
    close: async () => {
      drain();
      profiling = false;
      profiler.stop();
      clearInterval(timer);
      diagnostics.unsubscribe('http.server.response.finish', onFinish);
      for (const metric of metrics) registry.removeSingleMetric(metricName(metric));
      onClose();
      if (server?.listening) {
        const closing = server;
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      }
    },
  };
  return { exporter, metrics };
}

/**
 * Exporter options from the environment: LEAKCHECK_EXPORTER_PORT (serve /metrics on it; unset:
 * serve nothing), LEAKCHECK_EXPORTER_HOST (bind address, default 127.0.0.1).
 *
 * @param env - environment to read
 * @returns options for {@link startExporter}
 * @throws RangeError when the port is not a whole number in [0, 65535]
 */
export function exporterOptionsFromEnv(env: NodeJS.ProcessEnv): ExporterOptions {
  const options: ExporterOptions = {};
  const port = env.LEAKCHECK_EXPORTER_PORT;
  if (port !== undefined && port !== '') {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new RangeError(`LEAKCHECK_EXPORTER_PORT must be a port number (0-65535), got "${port}"`);
    }
    options.port = n;
  }
  if (env.LEAKCHECK_EXPORTER_HOST) options.host = env.LEAKCHECK_EXPORTER_HOST;
  return options;
}
