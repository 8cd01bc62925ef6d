/**
 * Staircases: a leak into one growable store (an array of numbers, a hash table) climbs in jumps
 * with level stretches between them. It must be called a leak while its jumps keep coming, with
 * the long-run rate; a bounded structure that filled, a fill that slows down, outliers and smooth
 * series must not be taken for one.
 */
import { findStaircase } from '../../src/analysis/staircase';
import { lookSchedule, sequentialTest } from '../../src/analysis/sequential';
import { olsFit } from '../../src/analysis/regression';
import { gaussian } from './analysis-synthetic';

interface Store {
  /** Elements appended per request, bytes per element. */
  perRequest: number;
  bytes: number;
  /** Growth factor of the store when it fills (V8 arrays: 1.5, hash tables: 2). */
  factor: number;
  /** Requests after which nothing more is appended (a bounded structure that filled). */
  stopAt?: number;
}

/**
 * Post-GC heap of a process whose one store grows as V8 grows it: capacity = old × factor + 16
 * when it fills; samples `every` requests apart with white noise of `sd` bytes.
 */
function stairs(seed: number, n: number, every: number, store: Store, sd = 25_000) {
  const g = gaussian(seed);
  const x: number[] = [];
  const y: number[] = [];
  const heap: number[] = [];
  let length = 0;
  let capacity = 0;
  for (let i = 1; i <= n; i++) {
    const served = i * every;
    length = Math.min(served, store.stopAt ?? Infinity) * store.perRequest;
    while (length > capacity) capacity = Math.floor(capacity * store.factor) + 16;
    x.push(served);
    heap.push(8_000_000 + capacity * store.bytes);
    y.push((heap.at(-1) as number) + sd * g());
  }
  return { x, y, heap };
}

/**
 * What a reference sampler would call the growth over the requests from `from` on: the
 * least-squares slope of the noise-free heap (the bench's truth over a run's window, computed the
 * same way).
 */
function truthFrom(x: readonly number[], heap: readonly number[], from: number): number {
  const i = x.findIndex((v) => v >= from);
  const fit = olsFit(x.slice(i), heap.slice(i), 0.95);
  return fit.slope;
}

const ARRAY: Store = { perRequest: 2, bytes: 8, factor: 1.5 };

describe('findStaircase', () => {
  it('finds an array store that keeps growing, with the long-run rate', () => {
    const { x, y, heap } = stairs(1, 290, 600, ARRAY);
    const s = findStaircase(x, y, 0.001);
    expect(s).not.toBeNull();
    expect(s?.climbing).toBe(true);
    expect(s?.steps.length).toBeGreaterThanOrEqual(3);
    // The heap holds the store's spare capacity too: over whole cycles it grows faster than the
    // 16 B/request the elements take (a full store), and the rate must say so.
    const truth = truthFrom(x, heap, x[s?.steps[0] ?? 0] as number);
    expect(truth).toBeGreaterThan(16 * 1.1);
    expect(s?.rate ?? 0).toBeGreaterThan(truth * 0.85);
    expect(s?.rate ?? 0).toBeLessThan(truth * 1.15);
    expect(s?.low ?? 0).toBeGreaterThan(2);
    expect(s?.high ?? 0).toBeGreaterThan(s?.rate ?? Infinity);
  });

  it('finds a hash table that doubles', () => {
    const { x, y } = stairs(2, 290, 600, { perRequest: 1, bytes: 24, factor: 2 });
    const s = findStaircase(x, y, 0.001);
    expect(s?.climbing).toBe(true);
    expect(s?.low ?? 0).toBeGreaterThan(2);
    // A doubling table's heap is at 24 B/request when the table is full and at twice that right
    // after a jump (the reference sampler's slope over a window falls anywhere between, by where
    // the window cuts the cycles): the rate must lie between the two, not at the full-store end.
    expect(s?.rate ?? 0).toBeGreaterThan(24 * 1.15);
    expect(s?.rate ?? 0).toBeLessThan(48 * 0.85);
  });

  it('says a store that stopped growing is no longer climbing', () => {
    const { x, y } = stairs(3, 300, 600, { ...ARRAY, stopAt: 60_000 });
    const s = findStaircase(x, y, 0.001);
    // Its last jump came before 60,000 requests; 180,000 requests later none has followed.
    expect(s === null || !s.climbing).toBe(true);
  });

  it('rejects jumps whose pace slows down (a fill that is ending, warm-up)', () => {
    // Jumps of the same height at 5k, 10k, 20k, 40k requests: each stretch twice as long, so the
    // growth per request halves each time.
    const g = gaussian(4);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const served = i * 500;
      const jumps = [5_000, 10_000, 20_000, 40_000].filter((at) => served >= at).length;
      x.push(served);
      y.push(8_000_000 + jumps * 300_000 + 5_000 * g());
    }
    expect(findStaircase(x, y, 0.001)).toBeNull();
  });

  it('does not take one-sample spikes or smooth growth for jumps', () => {
    const g = gaussian(5);
    const x: number[] = [];
    const spiky: number[] = [];
    const smooth: number[] = [];
    for (let i = 1; i <= 150; i++) {
      x.push(i * 600);
      const noise = 20_000 * g();
      spiky.push(8_000_000 + noise + (i % 30 === 0 ? 900_000 : 0));
      smooth.push(8_000_000 + 40 * i * 600 + noise);
    }
    expect(findStaircase(x, spiky, 0.001)).toBeNull();
    expect(findStaircase(x, smooth, 0.001)).toBeNull();
  });

  it('gives back nothing: a series with a jump given back is not a staircase', () => {
    const { x, y } = stairs(6, 290, 600, ARRAY);
    const dropped = y.map((v, i) => (i >= 250 ? v - 2_000_000 : v));
    expect(findStaircase(x, dropped, 0.001)).toBeNull();
  });
});

describe('the sequential procedure on a staircase', () => {
  const schedule = lookSchedule(30, 290);

  it('calls an array leak that the recent-half slope leaves undecided', () => {
    const { x, y } = stairs(7, 290, 600, ARRAY);
    const r = sequentialTest(x, y, schedule, { threshold: 2, alpha: 0.025 }, true);
    expect(r.verdict).toBe('leak');
    expect(r.last?.staircase?.steps).toBeGreaterThanOrEqual(3);
    expect(r.last?.low ?? 0).toBeGreaterThan(2);
  });

  it('does not call a store that filled and stayed level a leak', () => {
    const { x, y } = stairs(8, 290, 600, { ...ARRAY, stopAt: 20_000 });
    const r = sequentialTest(x, y, schedule, { threshold: 2, alpha: 0.025 }, true);
    expect(r.verdict).not.toBe('leak');
  });
});
