/**
 * The production exporter: post-GC heap from V8's GC profiler, requests from node:http's
 * diagnostics channel (its own /metrics scrapes excluded), heap limit, options from the env.
 */
import * as http from 'node:http';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Registry } from 'prom-client';
import { EXPORTER_METRICS, exporterOptionsFromEnv, startExporter, type Exporter } from '../../src/exporter';

/** A major GC for the test to observe (the exporter itself never forces one). */
function majorGc(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function get(port: number, path: string, agent: http.Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function value(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : null;
}

describe('exporter', () => {
  let exporter: Exporter | undefined;
  afterEach(async () => {
    await exporter?.close();
    exporter = undefined;
  });

  it('exports the heap right after an observed major GC, and counts major GCs', async () => {
    const registry = new Registry();
    exporter = startExporter({ registry });
    const before = await exporter.metrics();
    // Gauges stay absent until a major GC has been seen.
    const beforeGcs = value(before, EXPORTER_METRICS.majorGcs) ?? 0;
    majorGc();
    const usedRightAfter = process.memoryUsage().heapUsed;
    const text = await exporter.metrics();
    const after = value(text, EXPORTER_METRICS.heapAfterGc);
    expect(value(text, EXPORTER_METRICS.majorGcs)).toBeGreaterThanOrEqual(beforeGcs + 1);
    expect(after).not.toBeNull();
    // V8's own after-GC figure: at most what is in use a moment later, and close to it.
    expect(after as number).toBeLessThanOrEqual(usedRightAfter);
    expect(usedRightAfter - (after as number)).toBeLessThan(2 * 1024 * 1024);
    expect(value(text, EXPORTER_METRICS.heapLimit)).toBe(v8.getHeapStatistics().heap_size_limit);
    expect(value(text, EXPORTER_METRICS.lastMajorGc)).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('counts responses of the service, not scrapes of its own metrics server', async () => {
    const registry = new Registry();
    exporter = startExporter({ registry, port: 0 });
    await exporter.ready;
    const metricsPort = exporter.address()?.port as number;
    expect(exporter.address()?.address).toBe('127.0.0.1');
    const service = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', () => r()));
    const port = (service.address() as { port: number }).port;
    const agent = new http.Agent({ keepAlive: true });
    try {
      for (let i = 0; i < 25; i++) await get(port, '/', agent);
      for (let i = 0; i < 3; i++) expect((await get(metricsPort, '/metrics', agent)).status).toBe(200);
      const scraped = await get(metricsPort, '/metrics', agent);
      expect(value(scraped.body, EXPORTER_METRICS.requests)).toBe(25);
      expect(exporter.stats().requests).toBe(25);
      expect((await get(metricsPort, '/other', agent)).status).toBe(404);
    } finally {
      agent.destroy();
      await new Promise<void>((r) => service.close(() => r()));
    }
  });

  it('is one per process: a second start returns it and registers its metrics in another registry', async () => {
    const first = new Registry();
    const second = new Registry();
    exporter = startExporter({ registry: first });
    expect(startExporter({ registry: second })).toBe(exporter);
    expect(second.getSingleMetric(EXPORTER_METRICS.heapAfterGc)).toBeDefined();
    await exporter.close();
    expect(first.getSingleMetric(EXPORTER_METRICS.heapAfterGc)).toBeUndefined();
    exporter = startExporter({ registry: first });
    expect(first.getSingleMetric(EXPORTER_METRICS.heapAfterGc)).toBeDefined();
  });

  it('reads its port and host from the environment, refusing a bad port', () => {
    expect(exporterOptionsFromEnv({})).toEqual({});
    expect(
      exporterOptionsFromEnv({ LEAKCHECK_EXPORTER_PORT: '9464', LEAKCHECK_EXPORTER_HOST: '0.0.0.0' }),
    ).toEqual({
      port: 9464,
      host: '0.0.0.0',
    });
    expect(() => exporterOptionsFromEnv({ LEAKCHECK_EXPORTER_PORT: 'http' })).toThrow(
      'LEAKCHECK_EXPORTER_PORT must be a port number (0-65535), got "http"',
    );
  });
});
