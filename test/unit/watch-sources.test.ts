/**
 * Metric sources and the lower envelope: which names `watch` knows and how they are sampled, and
 * fits on scrape-time sawtooth series with a known floor (leaking and flat), against the same
 * series fitted as sampled.
 */
import {
  analyseInstance,
  defaultWatchOptions,
  KNOWN_METRICS,
  knownMetricsIn,
  lowerEnvelope,
  otelPrometheusName,
  resolveDataSource,
  type WatchAnalysisOptions,
} from '../../src/watch';
import { xorshift32 } from '../../src/random';

/** Xorshift32, seeded: the same series every run (src/random.ts, unsalted). */
const uniform = (seed: number): (() => number) => xorshift32(seed, 0);

/**
 * Heap read every second for `seconds`: a floor growing `perHour` bytes/h, plus garbage that
 * builds up at 0.5-1.5 MB/s and is collected at random intervals of 5-25 s (a major GC), plus
 * 200 KB of noise.
 */
function sawtooth(perHour: number, seconds: number, seed: number): { t: number[]; v: number[] } {
  const next = uniform(seed);
  const t: number[] = [];
  const v: number[] = [];
  let garbage = 0;
  let untilGc = 5 + 20 * next();
  for (let s = 0; s < seconds; s++) {
    garbage += 0.5e6 + 1e6 * next();
    if (--untilGc <= 0) {
      garbage = 0.3e6 * next();
      untilGc = 5 + 20 * next();
    }
    t.push(1_700_000_000 + s);
    v.push(40e6 + (perHour * s) / 3600 + garbage + 0.2e6 * next());
  }
  return { t, v };
}

function options(patch: Partial<WatchAnalysisOptions> = {}): WatchAnalysisOptions {
  return { ...defaultWatchOptions('heapUsed'), perHour: { rate: 100e6, minGrowth: 0 }, ...patch };
}

describe('metric sources', () => {
  it('knows prom-client, OpenTelemetry and leakcheck names, and how each is sampled', () => {
    expect(resolveDataSource('nodejs_heap_size_used_bytes{job="api"}')).toEqual({
      source: 'prom-client',
      metricName: 'nodejs_heap_size_used_bytes',
      sampling: 'scrape-time',
      decidedBy: 'query',
    });
    expect(
      resolveDataSource('sum without (v8js_heap_space_name) (v8js_memory_heap_used_bytes)'),
    ).toMatchObject({
      source: 'otel',
      sampling: 'scrape-time',
    });
    expect(resolveDataSource('leakcheck_heap_used_after_gc_bytes')).toMatchObject({
      source: 'leakcheck',
      sampling: 'post-gc',
    });
    expect(
      knownMetricsIn('process_resident_memory_bytes{job="nodejs_heap_size_used_bytes"}').map((m) => m.metric),
    ).toEqual(['rss']);
    // Unknown names: assumed post-GC (fitted as they are), and said so.
    expect(resolveDataSource('my_recorded:heap')).toMatchObject({
      source: null,
      sampling: 'post-gc',
      decidedBy: 'assumed',
    });
    expect(resolveDataSource('my_recorded:heap', 'prom-client')).toMatchObject({
      sampling: 'scrape-time',
      decidedBy: 'flag',
    });
    expect(() => resolveDataSource('nodejs_heap_size_used_bytes', 'leakcheck')).toThrow(
      '--source leakcheck: the query reads nodejs_heap_size_used_bytes, which comes from prom-client',
    );
  });
});

describe('OpenTelemetry names in Prometheus', () => {
  it('maps instrument and attribute names the way the OpenTelemetry Prometheus exporters do', () => {
    expect(otelPrometheusName('v8js.memory.heap.used', 'By')).toBe('v8js_memory_heap_used_bytes');
    expect(otelPrometheusName('v8js.heap.space.name')).toBe('v8js_heap_space_name');
    expect(otelPrometheusName('process.memory.usage', 'By')).toBe('process_memory_usage_bytes');
    expect(otelPrometheusName('nodejs.eventloop.delay.p99', 's')).toBe('nodejs_eventloop_delay_p99_seconds');
    // No double suffix; annotation units and unknown units add nothing.
    expect(otelPrometheusName('http.server.request.size_bytes', 'By')).toBe('http_server_request_size_bytes');
    expect(otelPrometheusName('v8js.gc.count', '{gc}')).toBe('v8js_gc_count');
    expect(otelPrometheusName('a-b..c', undefined)).toBe('a_b_c');
  });

  it('recognises the OpenTelemetry Node runtime metrics under their Prometheus names', () => {
    const otel = KNOWN_METRICS.filter((m) => m.source === 'otel');
    expect(otel.map((m) => [m.name, m.metric, m.splitBy])).toEqual([
      ['v8js_memory_heap_used_bytes', 'heapUsed', 'v8js_heap_space_name'],
      ['process_memory_usage_bytes', 'rss', null],
    ]);
    expect(resolveDataSource('process_memory_usage_bytes{job="api"}')).toMatchObject({
      source: 'otel',
      metricName: 'process_memory_usage_bytes',
      sampling: 'scrape-time',
    });
    // The dotted instrument name is not a Prometheus name: not recognised as such.
    expect(knownMetricsIn('v8js.memory.heap.used')).toEqual([]);
  });
});

describe('lower envelope of scrape-time heap', () => {
  it('keeps one low point per block long enough to hold a collection', () => {
    const { t, v } = sawtooth(0, 600, 7);
    const hours = t.map((s) => (s - (t[0] as number)) / 3600);
    const envelope = lowerEnvelope(hours, v, 8);
    expect(envelope).not.toBeNull();
    // Collections come every 5-25 s: blocks shorter than that would ride the sawtooth.
    expect(envelope?.block).toBeGreaterThanOrEqual(10);
    expect(envelope?.scatter).toBeLessThan((envelope?.rawScatter ?? 0) / 3);
    expect(lowerEnvelope(hours.slice(0, 15), v.slice(0, 15), 8)).toBeNull();
  });

  it('flags a ~700 MB/h leak near its true rate and passes a flat floor on its interval', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const leak = sawtooth(700e6, 180, seed);
      const scrape = analyseInstance(
        { labels: { job: 'leaky' }, ...leak },
        options({ sampling: 'scrape-time' }),
      );
      expect(scrape.verdict).toBe('leak');
      expect(scrape.perHour.data.method).toBe('lower-envelope');
      expect(scrape.perHour.low).toBeLessThan(700e6 * 1.25);
      expect(scrape.perHour.high).toBeGreaterThan(700e6 * 0.75);
      expect(scrape.reason).toMatch(
        /\(fitted on the lower envelope of scrape-time values: \d+ block minima \(\d+ points each\) of 180 points;/,
      );

      const flat = sawtooth(0, 180, seed + 100);
      const clean = analyseInstance(
        { labels: { job: 'clean' }, ...flat },
        options({ sampling: 'scrape-time' }),
      );
      expect(clean.verdict).toBe('pass');
      // Decided by the interval, not by the minimum growth (0 here).
      expect(clean.rule).not.toBe('too-few-samples');
      expect(clean.perHour.high).toBeLessThan(100e6);
    }
  });

  it('fits post-GC values as they are', () => {
    const { t, v } = sawtooth(0, 180, 9);
    const fit = analyseInstance({ labels: {}, t, v }, options()).perHour;
    expect(fit.data).toMatchObject({ sampling: 'post-gc', method: 'as-sampled', fitted: 180 });
    expect(fit.reason).not.toContain('envelope');
  });
});
