/** Per-instance analysis of Prometheus-shaped series: per hour, per request, resets, projection. */
import {
  analyseInstance,
  defaultWatchOptions,
  formatPerHourWithInterval,
  seriesName,
  type WatchAnalysisOptions,
} from '../../src/watch';
import { gaussian } from './analysis-synthetic';

const T0 = 1_700_000_000;
const MB = 1e6;

/** A grid of `n` points `step` seconds apart, values from `f(seconds since start)`. */
function grid(n: number, step: number, f: (s: number) => number): { t: number[]; v: number[] } {
  const t = Array.from({ length: n }, (_, i) => T0 + i * step);
  return { t, v: t.map((x) => f(x - T0)) };
}

function options(patch: Partial<WatchAnalysisOptions> = {}): WatchAnalysisOptions {
  return { ...defaultWatchOptions('heapUsed'), ...patch };
}

describe('analyseInstance per hour', () => {
  it('flags steady growth above the per-hour threshold and projects to the limit', () => {
    const noise = gaussian(1);
    // 6 h at 30 s, growing 10 MB/h around 200 MB with 1 MB of scatter.
    const { t, v } = grid(721, 30, (s) => 200 * MB + (10 * MB * s) / 3600 + MB * noise());
    const a = analyseInstance({ labels: { instance: 'a:1', job: 'api' }, t, v, limit: 1000 * MB }, options());
    expect(a).toMatchObject({
      verdict: 'leak',
      basis: 'per-hour',
      rule: 'linear-growth',
      name: '{instance="a:1", job="api"}',
    });
    expect(a.perHour.rate).toBeGreaterThan(9 * MB);
    expect(a.perHour.rate).toBeLessThan(11 * MB);
    expect(a.reason).toMatch(/^heap grew [\d.]+ MB\/h \(95% CI [\d.]+–[\d.]+\), above the 1 MB\/h threshold/);
    expect(a.reason).not.toContain('request');
    // (1000 − ~260) MB at ~10 MB/h: about 74 h.
    const hours = (a.projection?.secondsToLimit ?? 0) / 3600;
    expect(hours).toBeGreaterThan(65);
    expect(hours).toBeLessThan(85);
    expect(a.projection?.earliestSeconds).toBeLessThan(a.projection?.secondsToLimit ?? 0);
    expect(a.projection?.text).toMatch(
      /^260 MB reaches the 1 GB limit in about 3 d 2 h \(95% CI .* at the current growth \(10 MB\/h\)$/,
    );
  });

  it('passes a flat series and says it is not growing', () => {
    const noise = gaussian(2);
    const { t, v } = grid(721, 30, () => 200 * MB + MB * noise());
    const a = analyseInstance({ labels: { instance: 'b:1' }, t, v, limit: 1000 * MB }, options());
    expect(a.verdict).toBe('pass');
    expect(a.perHour.high).toBeLessThan(MB);
    expect(a.projection?.text).toMatch(/not growing|reaches/);
  });

  it('passes a cache that filled and stopped (plateau rule)', () => {
    const noise = gaussian(3);
    // +80 MB over the first hour, flat for five more.
    const { t, v } = grid(721, 30, (s) => 100 * MB + 80 * MB * Math.min(s / 3600, 1) + 0.2 * MB * noise());
    const a = analyseInstance({ labels: {}, t, v }, options());
    expect(a).toMatchObject({ verdict: 'pass', rule: 'plateau' });
    expect(a.reason).toMatch(/then flattened to .* MB\/h .* cache that filled/);
    expect(a.projection).toBeNull();
  });

  it('treats a step function (a gauge that moves only at major GCs) like its trend', () => {
    // A new post-GC value every 10 minutes, 5 MB higher each time; scraped every 30 s.
    const { t, v } = grid(721, 30, (s) => 100 * MB + 5 * MB * Math.floor(s / 600));
    expect(analyseInstance({ labels: {}, t, v }, options()).verdict).toBe('leak');
    const flat = grid(721, 30, (s) => 100 * MB + 0.1 * MB * (Math.floor(s / 600) % 2));
    expect(analyseInstance({ labels: {}, ...flat }, options()).verdict).toBe('pass');
  });

  it('is inconclusive with too few points, and counts points without a finite value', () => {
    const { t, v } = grid(5, 30, (s) => MB * s);
    const a = analyseInstance({ labels: {}, t, v: [...v.slice(0, 4), Number.NaN] }, options());
    expect(a).toMatchObject({ verdict: 'inconclusive', rule: 'too-few-samples' });
    expect(a.perHour.skipped).toBe(1);
    expect(a.reason).toMatch(
      /only 4 heap points \(need at least 8\).*1 point without a finite value skipped/,
    );
  });
});

describe('analyseInstance per request', () => {
  it('fits growth per request from the counter and lets it decide', () => {
    const noise = gaussian(4);
    // 100 requests/s, 300 bytes retained per request.
    const n = 241;
    const counter = grid(n, 15, (s) => 1e6 + 100 * s);
    const memory = grid(n, 15, (s) => 150 * MB + 300 * 100 * s + 50_000 * noise());
    const a = analyseInstance({ labels: { pod: 'p' }, ...memory, requests: counter }, options());
    expect(a).toMatchObject({ verdict: 'leak', basis: 'per-request' });
    expect(a.perRequest?.rate).toBeGreaterThan(280);
    expect(a.perRequest?.rate).toBeLessThan(320);
    expect(a.reason).toMatch(/B\/request/);
    expect(a.requests).toMatchObject({ resets: 0, unmatched: 0 });
    expect(a.requests?.requestsPerSecond).toBeCloseTo(100, 5);
    // Per hour is still reported: 300 B × 360,000 requests/h ≈ 108 MB/h.
    expect(a.perHour.rate / MB).toBeGreaterThan(100);
  });

  it('fits only the latest process after a counter reset, and counts what it dropped', () => {
    // Restart at 300 s: the counter starts again from 0, the heap from 50 MB; 1,000 B/request.
    const counter = grid(60, 10, (s) => (s < 300 ? 5000 + 50 * s : 50 * (s - 300)));
    const memory = grid(60, 10, (s) => (s < 300 ? 500 * MB : 50 * MB) + 1000 * 50 * (s % 300));
    const a = analyseInstance({ labels: {}, ...memory, requests: counter }, options());
    expect(a.requests).toMatchObject({ resets: 1, beforeReset: 30 });
    expect(a.perRequest?.samples).toBe(30);
    expect(a.perRequest?.rate).toBeCloseTo(1000, 6);
    expect(a.reason).toMatch(
      /request counter reset 1 time: 30 earlier points of a previous process not fitted/,
    );
  });

  it('counts memory points with no counter value at the same time', () => {
    const counter = grid(50, 10, (s) => 10 * s);
    const memory = grid(60, 10, (s) => MB + s);
    const a = analyseInstance({ labels: {}, ...memory, requests: counter }, options());
    expect(a.requests?.unmatched).toBe(10);
    expect(a.perRequest?.samples).toBe(50);
  });

  it('falls back to per hour when the counter has too few points', () => {
    const counter = grid(3, 10, (s) => 10 * s);
    const memory = grid(60, 60, () => MB);
    const a = analyseInstance({ labels: {}, ...memory, requests: counter }, options());
    expect(a.basis).toBe('per-hour');
  });
});

describe('watch formatting', () => {
  it('names series by their labels without __name__, sorted', () => {
    expect(seriesName({ __name__: 'x', job: 'a', instance: 'h:1' })).toBe('{instance="h:1", job="a"}');
    expect(seriesName({})).toBe('{}');
  });

  it('writes per-hour rates for bytes and counts', () => {
    expect(formatPerHourWithInterval(5.2e6, 4.9e6, 5.5e6, 'heapUsed', 0.95)).toBe(
      '5.2 MB/h (95% CI 4.9–5.5)',
    );
    expect(formatPerHourWithInterval(3, 2, 4, 'fds', 0.95)).toBe('3/h (95% CI 2–4)');
  });
});
