import {
  analyseMetric,
  analyseRun,
  defaultAnalysisOptions,
  mergeAnalysisOptions,
  type MetricAnalysis,
  type MetricSeries,
} from '../../src/analysis';
import { HEAP_BASELINE, HEAP_SCATTER_SD, mulberry32, requestGrid, withNoise } from './analysis-synthetic';

/** Post-GC heapUsed sampled every ~3,000 requests with the scatter measured on this machine. */
function heap(samples: number, f: (x: number) => number, seed: number, sd = HEAP_SCATTER_SD): MetricSeries {
  const x = requestGrid({ samples, seed });
  return { metric: 'heapUsed', x, y: withNoise(x, f, sd, seed * 7919) };
}

function analyse(series: MetricSeries): MetricAnalysis {
  return analyseMetric(series);
}

const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

describe('analyseMetric on realistic heap series', () => {
  it('passes a clean service drifting 0.2 B/request', () => {
    for (const seed of SEEDS) {
      const a = analyse(heap(35, (x) => HEAP_BASELINE + 0.2 * x, seed));
      expect(a).toMatchObject({ verdict: 'pass', rule: 'below-threshold' });
      expect(Math.abs(a.perUnit - 0.2)).toBeLessThan(1);
    }
  });

  it('flags a 313 B/request leak and estimates it within 5%', () => {
    for (const seed of SEEDS) {
      const a = analyse(heap(35, (x) => HEAP_BASELINE + 313 * x, seed));
      expect(a).toMatchObject({ verdict: 'leak', rule: 'linear-growth' });
      expect(Math.abs(a.perUnit - 313) / 313).toBeLessThan(0.05);
      expect(Math.abs(a.growth - 313 * (a.xLast - a.xFirst))).toBeLessThan(0.05 * a.growth);
    }
    const one = analyse(heap(35, (x) => HEAP_BASELINE + 313 * x, 1));
    expect(one.reason).toMatch(
      /^heap grew 31\d\.\d B\/request \(95% CI 31\d\.\d–31\d\.\d\), above the 2 B\/request threshold; trend significant \(Mann-Kendall p<0\.001\); 3\d\.\d MB over [\d,]+ requests$/,
    );
  });

  it('flags 16 B/request over ~100,000 requests', () => {
    for (const seed of SEEDS) {
      const a = analyse(heap(34, (x) => HEAP_BASELINE + 16 * x, seed));
      expect(a.xLast).toBeGreaterThan(90_000);
      expect(a.xLast).toBeLessThan(115_000);
      expect(a).toMatchObject({ verdict: 'leak', rule: 'linear-growth' });
      expect(Math.abs(a.perUnit - 16)).toBeLessThan(1);
    }
  });

  it('flags 4 B/request over ~300,000 requests', () => {
    for (const seed of SEEDS) {
      const a = analyse(heap(100, (x) => HEAP_BASELINE + 4 * x, seed));
      expect(a.xLast).toBeGreaterThan(280_000);
      expect(a).toMatchObject({ verdict: 'leak', rule: 'linear-growth' });
      expect(Math.abs(a.perUnit - 4)).toBeLessThan(0.3);
    }
  });

  it('passes a bounded LRU that grows 200 B/request until ~8,500 requests, via plateau', () => {
    for (const seed of SEEDS) {
      const a = analyse(heap(35, (x) => HEAP_BASELINE + 200 * Math.min(x, 8500), seed));
      expect(a).toMatchObject({ verdict: 'pass', rule: 'plateau' });
      expect(a.reason).toContain('looks like a cache that filled and stopped');
      // The whole-run least-squares slope alone would have crossed the threshold.
      expect(a.ols.slope).toBeGreaterThan(2);
    }
  });

  it('passes lazy initialisation: a 5 MB step after the first sample, then flat with a small drift', () => {
    for (const seed of SEEDS) {
      const series = heap(35, (x) => HEAP_BASELINE + 0.5 * x, seed);
      const first = series.x[0] as number;
      const y = series.y.map((v, i) => v + ((series.x[i] as number) > first ? 5_000_000 : 0));
      const a = analyseMetric({ metric: 'heapUsed', x: series.x, y: y });
      expect(a.verdict).toBe('pass');
      expect(['plateau', 'below-threshold']).toContain(a.rule);
      expect(a.observedGrowth).toBeGreaterThan(4_500_000);
    }
  });

  it('calls a heavily noisy leak inconclusive, and never passes it', () => {
    // About the rules' handling of noise, so pinned to the thresholds it was designed with rather
    // than to whatever the heap default is (1 MiB of minimum growth would let a 95% interval's
    // upper tail decide a few seeds).
    const opts = mergeAnalysisOptions({ thresholds: { heapUsed: { perUnit: 2, minGrowth: 262_144 } } });
    const analyse = (series: MetricSeries): MetricAnalysis => analyseMetric(series, opts);
    const leak = (x: number): number => HEAP_BASELINE + 20 * x;
    const one = analyse(heap(35, leak, 2, 4_000_000));
    expect(one).toMatchObject({ verdict: 'inconclusive', rule: 'undecided' });
    expect(one.theilSen.high).toBeGreaterThan(2);
    expect(one.reason).toContain('would likely decide');

    const verdicts = { leak: 0, pass: 0, inconclusive: 0 };
    for (let seed = 1; seed <= 100; seed++) verdicts[analyse(heap(35, leak, seed, 4_000_000)).verdict]++;
    expect(verdicts.pass).toBe(0);
    expect(verdicts.inconclusive).toBeGreaterThan(80);
  });
});

describe('analyseMetric on counts', () => {
  const grid = (seed: number): number[] => requestGrid({ samples: 35, seed });

  it('flags handles growing one per 500 requests', () => {
    const x = grid(3);
    const jitter = mulberry32(4);
    const y = x.map((v) => 12 + Math.floor(v / 500) + (jitter() < 0.3 ? 1 : 0));
    const a = analyseMetric({ metric: 'handles', x: x, y: y });
    expect(a).toMatchObject({ verdict: 'leak', rule: 'linear-growth', unit: 'count' });
    expect(a.perUnit).toBeCloseTo(0.002, 4);
    expect(a.reason).toContain('per 1,000 requests');
  });

  it('passes a steady handle count with keep-alive jitter', () => {
    const x = grid(5);
    const jitter = mulberry32(6);
    const y = x.map(() => 12 + Math.floor(jitter() * 3) - 1);
    expect(analyseMetric({ metric: 'handles', x: x, y: y })).toMatchObject({ verdict: 'pass', perUnit: 0 });
  });
});

describe('analyseMetric input handling', () => {
  it('is inconclusive with too few samples', () => {
    const a = analyse(heap(5, (x) => HEAP_BASELINE + 313 * x, 1));
    expect(a).toMatchObject({ verdict: 'inconclusive', rule: 'too-few-samples', samples: 5 });
  });

  it('drops non-finite samples, counts them and says so', () => {
    const s = heap(35, (x) => HEAP_BASELINE + 313 * x, 1);
    const y = [...s.y];
    y[3] = Number.NaN;
    y[9] = Number.POSITIVE_INFINITY;
    const a = analyseMetric({ metric: 'heapUsed', x: s.x, y: y });
    expect(a).toMatchObject({ samples: 33, skipped: 2, verdict: 'leak' });
    expect(a.reason).toContain('(2 samples without a finite value skipped)');
  });

  it('sorts samples by requests served before testing for a trend', () => {
    const s = heap(35, (x) => HEAP_BASELINE + 313 * x, 1);
    const order = s.x.map((_, i) => i).reverse();
    const a = analyseMetric({
      metric: 'heapUsed',
      x: order.map((i) => s.x[i] as number),
      y: order.map((i) => s.y[i] as number),
    });
    expect(a.mannKendall.s).toBeGreaterThan(0);
    expect(a.verdict).toBe('leak');
  });

  it('produces JSON-safe output even for degenerate input', () => {
    for (const a of [
      analyseMetric({ metric: 'heapUsed', x: [], y: [] }),
      analyseMetric({
        metric: 'heapUsed',
        x: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
        y: [1, 2, 3, 4, 5, 6, 7, 8],
      }),
      analyse(heap(35, (x) => HEAP_BASELINE + 313 * x, 1)),
    ]) {
      expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    }
    expect(
      analyseMetric({
        metric: 'heapUsed',
        x: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
        y: [1, 2, 3, 4, 5, 6, 7, 8],
      }),
    ).toMatchObject({ verdict: 'inconclusive', rule: 'too-few-samples' });
  });

  it('applies threshold overrides', () => {
    const s = heap(35, (x) => HEAP_BASELINE + 16 * x, 1);
    const strict = analyseMetric({ metric: 'heapUsed', x: s.x, y: s.y });
    const lenient = analyseMetric(
      { metric: 'heapUsed', x: s.x, y: s.y },
      mergeAnalysisOptions({ thresholds: { heapUsed: { perUnit: 50 } } }),
    );
    expect(strict.verdict).toBe('leak');
    expect(lenient).toMatchObject({ verdict: 'pass', threshold: { perUnit: 50, minGrowth: 1_048_576 } });
  });
});

describe('analyseRun', () => {
  const cleanHeap = heap(35, (x) => HEAP_BASELINE + 0.2 * x, 7);
  const x = cleanHeap.x;
  const flat = (metric: MetricSeries['metric'], level: number): MetricSeries => ({
    metric,
    x,
    y: x.map(() => level),
  });
  const handleLeak: MetricSeries = { metric: 'handles', x, y: x.map((v) => 12 + Math.floor(v / 500)) };

  it('passes when every gating metric passes, citing one', () => {
    const run = analyseRun([cleanHeap, flat('external', 1_200_000), flat('handles', 12), flat('fds', 30)]);
    expect(run.verdict).toBe('pass');
    expect(run.decidedBy.metric).toBe('heapUsed');
    expect(run.decidedBy.reason).toMatch(/^all 4 gating metrics passed; heap grows/);
    expect(run.metrics.map((m) => m.metric)).toEqual(['heapUsed', 'external', 'handles', 'fds']);
  });

  it('is a leak when one gating metric leaks, decided by that metric', () => {
    const run = analyseRun([cleanHeap, handleLeak]);
    expect(run.verdict).toBe('leak');
    expect(run.decidedBy).toMatchObject({ metric: 'handles', rule: 'linear-growth' });
  });

  it('cites the most evident of several leaks', () => {
    const heapLeak = heap(35, (v) => HEAP_BASELINE + 16 * v, 7);
    const run = analyseRun([heapLeak, handleLeak]);
    // Heap: ~1.6 MB / 256 KiB ≈ 6× its minimum; handles: ~204 / 10 ≈ 20×.
    expect(run.decidedBy.metric).toBe('handles');
  });

  it('ignores informational metrics unless gating is switched on', () => {
    const rssLeak: MetricSeries = { metric: 'rss', x, y: x.map((v) => 40e6 + 400 * v) };
    expect(analyseRun([cleanHeap, rssLeak]).verdict).toBe('pass');
    expect(analyseRun([cleanHeap, rssLeak]).metrics[1]).toMatchObject({ gating: false, verdict: 'leak' });
    const gated = analyseRun([cleanHeap, rssLeak], mergeAnalysisOptions({ gating: { rss: true } }));
    expect(gated.decidedBy).toMatchObject({ metric: 'rss', rule: 'linear-growth' });
    expect(gated.verdict).toBe('leak');
  });

  it('is inconclusive when a gating metric is and none leaks', () => {
    const short: MetricSeries = { metric: 'external', x: x.slice(0, 4), y: x.slice(0, 4).map(() => 1e6) };
    const run = analyseRun([cleanHeap, short]);
    expect(run.verdict).toBe('inconclusive');
    expect(run.decidedBy).toMatchObject({ metric: 'external', rule: 'too-few-samples' });
  });

  it('lets a leak win over an inconclusive metric', () => {
    const short: MetricSeries = { metric: 'external', x: x.slice(0, 4), y: x.slice(0, 4).map(() => 1e6) };
    expect(analyseRun([short, handleLeak]).verdict).toBe('leak');
  });

  it('is inconclusive when nothing gates', () => {
    expect(analyseRun([]).decidedBy).toEqual({
      metric: null,
      rule: 'no-gating-metrics',
      reason: 'no metrics were measured',
    });
    const rssOnly = analyseRun([flat('rss', 40e6)]);
    expect(rssOnly.verdict).toBe('inconclusive');
    expect(rssOnly.decidedBy.reason).toContain('rss');
  });

  it('rejects a metric given twice', () => {
    expect(() => analyseRun([cleanHeap, cleanHeap])).toThrow(/more than once/);
  });

  it('is JSON-safe', () => {
    const run = analyseRun([cleanHeap, handleLeak, flat('rss', 40e6)], defaultAnalysisOptions());
    expect(JSON.parse(JSON.stringify(run))).toEqual(run);
  });
});
