/**
 * The sequential procedure: fits, alpha spending, looks, and its false-alarm rate on seeded
 * autocorrelated clean series (a bounded count of series, the same every run).
 */
import {
  autocorrelatedFit,
  covariateFit,
  cycleRampFit,
  cyclingStopped,
  findResets,
  recentThroughput,
} from '../../src/analysis/autocorrelated';
import { tQuantile } from '../../src/analysis/distributions';
import {
  alphaAtLook,
  ESTIMATE_PRECISION,
  evaluateLook,
  precise,
  lookSchedule,
  requestsNeeded,
  sequentialReason,
  sequentialTest,
} from '../../src/analysis/sequential';
import { sequentialPlan } from '../../src/config/adapt';
import { configSchema } from '../../src/config/schema';
import {
  decayingWarmupSeries,
  sequentialSeries as series,
  timedSawtooth,
  type SeriesShape,
  type TimedSawtoothShape,
} from './analysis-synthetic';

const SCHEDULE = lookSchedule(30, 290);
const ALPHA = 0.025;

function verdicts(shape: SeriesShape, runs: number): { leak: number; pass: number; inconclusive: number } {
  const out = { leak: 0, pass: 0, inconclusive: 0 };
  for (let s = 0; s < runs; s++) {
    const { x, y } = series(s * 9973 + 1, 290, shape);
    out[sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, true).verdict]++;
  }
  return out;
}

describe('autocorrelatedFit', () => {
  it('recovers a slope and widens its error for autocorrelated noise', () => {
    const white = series(3, 200, { slope: 10, sd: 10_000 });
    const red = series(3, 200, { slope: 10, sd: 10_000, rho: 0.8 });
    const a = autocorrelatedFit(white.x, white.y);
    const b = autocorrelatedFit(red.x, red.y);
    expect(a.estimable).toBe(true);
    expect(Math.abs(a.slope - 10)).toBeLessThan(4 * a.se);
    expect(b.rho).toBeGreaterThan(a.rho);
    expect(b.df).toBeLessThan(a.df);
  });

  it('is not estimable below 4 points or without spread in x', () => {
    expect(autocorrelatedFit([1, 2, 3], [1, 2, 3]).estimable).toBe(false);
    expect(autocorrelatedFit([5, 5, 5, 5], [1, 2, 3, 4]).estimable).toBe(false);
  });
});

describe('alpha spending', () => {
  it('spends exactly alpha over the planned looks, more on early looks, none past them', () => {
    const looks = 12;
    let sum = 0;
    for (let j = 1; j <= looks; j++) sum += alphaAtLook(j, looks, 0.05);
    expect(sum).toBeCloseTo(0.05, 12);
    expect(alphaAtLook(1, looks, 0.05)).toBeGreaterThan(alphaAtLook(2, looks, 0.05));
    expect(alphaAtLook(13, looks, 0.05)).toBe(0);
  });

  it('plans looks geometrically from the minimum window to the budget', () => {
    const s = lookSchedule(30, 290);
    expect(s[0]).toBe(30);
    expect(s.at(-1)).toBeGreaterThanOrEqual(290);
    for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThan(s[i - 1] as number);
    expect(s.length).toBeLessThan(15);
  });
});

describe('evaluateLook and sequentialTest', () => {
  it('calls a steep leak at the first look', () => {
    const { x, y } = series(11, 30, { slope: 300, burst: 400_000, tail: 30_000 });
    const r = sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, false);
    expect(r.verdict).toBe('leak');
    expect(r.looks).toHaveLength(1);
    expect(r.last?.low).toBeGreaterThan(2);
  });

  it('does not call a leak before the minimum window, and asks for more data', () => {
    const { x, y } = series(11, 29, { slope: 300 });
    const r = sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, false);
    expect(r.verdict).toBe('inconclusive');
    expect(r.looks).toHaveLength(0);
  });

  it('estimates a 16 B/request leak without the warm-up growth in it', () => {
    const { x, y } = series(5, 290, { slope: 16, burst: 400_000, tail: 30_000 });
    const r = sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, true);
    expect(r.verdict).toBe('leak');
    const slope = r.last?.slope ?? 0;
    expect(slope).toBeGreaterThan(16 * 0.85);
    expect(slope).toBeLessThan(16 * 1.15);
  });

  it('does not call growth that is still slowing down a leak (warm-up), even when it is steep', () => {
    // Only the burst's tail is in the window: steep, but the recent half grows at a fraction of the early one.
    const x = Array.from({ length: 30 }, (_, i) => 400 * (i + 1));
    const y = x.map((v) => 6e6 + 2e6 * (1 - Math.exp(-v / 4000)));
    const look = evaluateLook(x, y, 1, { threshold: 2, alpha: ALPHA, looks: 10 });
    expect(look.settled).toBe(false);
    expect(look.decision).not.toBe('leak');
  });

  it('holds warm-ups that decay slower than the early half shows (the quarter before the recent half)', () => {
    // Clean series whose own growth (84 B/request at first) decays over 10,000 requests, sampled
    // as hapi 21 was on a busy core (~580 requests apart from request 1,150): the recent half
    // grows at ~0.6 of the early half's rate, so the early-half check (half) rarely holds it.
    const plan = lookSchedule(18, 171);
    const shape = { slope: 0, A: 84, tau: 10_000, sd: 10_000, step: 580, start: 1150 };
    const falseLeaks = (localSettling: boolean): number => {
      let leaks = 0;
      for (let s = 0; s < 100; s++) {
        const { x, y } = decayingWarmupSeries(s * 7717 + 5, 171, shape);
        const options = { threshold: 2, alpha: ALPHA, minSpan: 10_000, localSettling };
        if (sequentialTest(x, y, plan, options, true).verdict === 'leak') leaks++;
      }
      return leaks;
    };
    const before = falseLeaks(false);
    const now = falseLeaks(true);
    expect(before).toBeGreaterThan(30); // the case the check is for...
    expect(now).toBeLessThan(before * 0.75); // ...held in a good share of the series
  });

  it('costs a leak under a warm-up no verdict (16 B/request, noisy)', () => {
    const plan = lookSchedule(18, 171);
    const shape = { slope: 16, A: 60, tau: 6000, sd: 40_000, step: 400, start: 1000 };
    for (let s = 0; s < 100; s++) {
      const { x, y } = decayingWarmupSeries(s * 7717 + 5, 171, shape);
      const r = sequentialTest(x, y, plan, { threshold: 2, alpha: ALPHA, minSpan: 10_000 }, true);
      expect(r.verdict).toBe('leak');
    }
  });

  it('still calls a leak whose warm-up is over at once, however it began', () => {
    // 16 B/request plus a warm-up burst over the first ~1,500 requests: the early half's rate is
    // far above the recent one's, but the quarter before the recent half grows alike.
    const x = Array.from({ length: 30 }, (_, i) => 1000 + 400 * (i + 1));
    const y = x.map((v, i) => 6e6 + 16 * v + 200_000 * (1 - Math.exp(-v / 1500)) + 2000 * Math.sin(i * 2.1));
    const look = evaluateLook(x, y, 1, { threshold: 2, alpha: ALPHA, looks: 10 });
    expect(look.settled).toBe(true);
    expect(look.decision).toBe('leak');
    expect(look.slope).toBeGreaterThan(16 * 0.95);
    expect(look.slope).toBeLessThan(16 * 1.05);
  });

  it('does not call a recorded clean express warm-up a leak (the first look of a busy run)', () => {
    // fixtures/shop-esm-clean with one core busy: heapUsed after GC (kB) over its first 14k
    // requests. Concave all along (46 B/request early, ~9 recent); the early half's curvature
    // must not be taken for noise that hides the slowing down.
    const x = [
      1172, 1411, 1692, 1976, 2290, 2627, 2982, 3349, 3740, 4141, 4563, 4993, 5449, 5913, 6383, 6863, 7348,
      7841, 8339, 8847, 9356, 9867, 10383, 10900, 11416, 11934, 12451, 12972, 13494, 14024,
    ];
    const kb = [
      8523, 8566, 8586, 8651, 8666, 8708, 8727, 8748, 8758, 8777, 8792, 8793, 8800, 8815, 8811, 8832, 8836,
      8828, 8818, 8850, 8838, 8854, 8858, 8867, 8863, 8865, 8870, 8875, 8870, 8893,
    ];
    const look = evaluateLook(
      x,
      kb.map((v) => v * 1000),
      1,
      { threshold: 2, alpha: ALPHA, looks: 10 },
    );
    expect(look.low).toBeGreaterThan(2); // the recent slope alone would say leak...
    expect(look.settled).toBe(false); // ...but it is still slowing down
    expect(look.decision).toBe('continue');
  });

  it('does not call a recorded sawtooth whose base still rises from warm-up a leak', () => {
    // fixtures/shop-sawtooth (a per-user map replaced every 3 s) at ~1,000 requests/s on a busy
    // machine: heap without code space (kB) over its first 11.7k requests, 4 resets. The base of
    // the first cycles rises with the process's own warm-up (13 B/request, 95% CI 4-22, at look 3
    // of 12, when the ramp was fitted as a line; with its curve levelled in bands, 6.7, CI -8.6 to
    // 22: three cycles hold little of the base); the base's lift over the early cycles cannot yet
    // be compared with the recent ones'.
    const x = [
      674, 819, 978, 1173, 1367, 1570, 1774, 1983, 2203, 2432, 2667, 2896, 3131, 3374, 3627, 3885, 4147, 4412,
      4675, 4944, 5221, 5492, 5761, 6028, 6285, 6536, 6787, 7038, 7280, 7520, 7758, 7995, 8232, 8468, 8709,
      8949, 9180, 9411, 9642, 9877, 10108, 10338, 10570, 10800, 11028, 11257, 11483, 11706,
    ];
    const kb = [
      7886, 7937, 7991, 8096, 8174, 8265, 8351, 8422, 8567, 8628, 7928, 8016, 8100, 8168, 8294, 8333, 8406,
      8477, 8545, 8695, 8766, 8811, 8882, 8946, 7980, 8057, 8155, 8202, 8286, 8389, 8444, 8490, 8582, 8663,
      8740, 8778, 8030, 8108, 8194, 8236, 8351, 8433, 8474, 8545, 8595, 8707, 8769, 7997,
    ];
    const look = evaluateLook(
      x,
      kb.map((v) => v * 1000),
      3,
      { threshold: 2, alpha: ALPHA, looks: 12 },
    );
    expect(look.resets.total).toBe(4);
    expect(look.high).toBeGreaterThan(2); // the base's slope does not rule a leak out...
    expect(look.settled).toBe(false); // ...and too few cycles show whether it has stopped rising
    expect(look.decision).toBe('continue');
  });

  it('passes a clean process with warm-up growth', () => {
    expect(verdicts({ slope: 0, burst: 400_000, tail: 30_000 }, 40)).toEqual({
      leak: 0,
      pass: 40,
      inconclusive: 0,
    });
  });

  it('never calls a bounded structure that is reset (a sawtooth) a leak', () => {
    const v = verdicts({ slope: 0, saw: 500_000, period: 8000 }, 40);
    expect(v.leak).toBe(0);
    expect(v.pass).toBeGreaterThan(0);
  });

  it('calls a leak under a sawtooth (the base of the sawtooth rises)', () => {
    const v = verdicts({ slope: 16, saw: 500_000, period: 8000 }, 40);
    expect(v.leak).toBe(40);
  });

  it('passes a flat heap after a one-off drop, but never a ramp after too few resets', () => {
    // One drop far beyond the noise (warm-up garbage freed at once), flat before and after.
    const flat = series(4, 60, { slope: 0, sd: 2_000 });
    const dropped = flat.y.map((v, i) => (i >= 10 ? v - 2_000_000 : v));
    expect(findResets(dropped)).toEqual([10]);
    const look = evaluateLook(flat.x, dropped, 1, { threshold: 2, alpha: ALPHA, looks: 10 });
    expect(look.decision).toBe('pass');
    expect(look.from).toBeGreaterThanOrEqual(flat.x[10] as number);
    // A bounded structure filling again after its first reset looks like a leak: no pass, no leak.
    const ramp = series(5, 60, { slope: 0, sd: 2_000, saw: 3_000_000, period: 16_000 });
    expect(findResets(ramp.y).length).toBeGreaterThan(0);
    expect(findResets(ramp.y).length).toBeLessThan(3);
    const rampLook = evaluateLook(ramp.x, ramp.y, 1, { threshold: 2, alpha: ALPHA, looks: 10 });
    expect(rampLook.decision).toBe('continue');
  });

  it('calls a leak after a one-off early drop: a drop that never comes back is not a period', () => {
    // fixtures/shop-leak16 (16 B/request) at one sample per 353 ms: heap without code space (kB)
    // over its first 36 measured samples. Warm-up garbage freed once (141 KiB at 12,333 requests,
    // 2.2 s after the start), then a steady climb; with the drop taken for a sawtooth's first
    // reset, every look waited for three resets and the run ended inconclusive at the budget
    // after 450,000 requests.
    const x = [
      5436, 7336, 9895, 12333, 14770, 17254, 19797, 22378, 24994, 27643, 30298, 32963, 35626, 38280, 40913,
      43541, 46153, 48758, 51372, 53991, 56617, 59251, 61899, 64548, 67212, 69887, 72570, 75238, 77908, 80589,
      83272, 85953, 88628, 91299, 93973, 96642,
    ];
    const kb = [
      8008, 8066, 8171, 8026, 8060, 8103, 8149, 8192, 8238, 8283, 8335, 8386, 8423, 8476, 8505, 8552, 8601,
      8640, 8685, 8728, 8771, 8812, 8860, 8898, 8946, 8972, 9021, 9078, 9122, 9150, 9204, 9249, 9294, 9340,
      9386, 9428,
    ];
    const y = kb.map((v) => v * 1000);
    expect(findResets(y)).toEqual([3]);
    expect(cyclingStopped(x, [3])).toBe(true);
    // Within three first cycles of the drop it still counts as one.
    expect(cyclingStopped(x.slice(0, 14), [3])).toBe(false);
    const look = evaluateLook(x, y, 4, { threshold: 2, alpha: ALPHA, looks: 11 });
    expect(look.decision).toBe('leak');
    expect(look.resets).toEqual({ total: 0, recent: 0, ended: 1 });
    expect(look.from).toBeGreaterThanOrEqual(x[3] as number);
    expect(look.samples).toBe(36);
    expect(Math.abs(look.slope - 16.1) / 16.1).toBeLessThan(0.15);
    // A sawtooth keeps resetting: its resets never go stale.
    const saw = series(2, 100, { slope: 0, saw: 1_000_000, period: 8000 });
    const sawResets = findResets(saw.y);
    for (let n = 20; n <= 100; n += 10)
      expect(
        cyclingStopped(
          saw.x.slice(0, n),
          sawResets.filter((i) => i < n),
        ),
      ).toBe(false);
  });

  it('fits the base of a sawtooth with its ramp modelled', () => {
    const { x, y } = series(3, 200, { slope: 5, saw: 800_000, period: 9000, sd: 5_000 });
    const fit = cycleRampFit(x, y, findResets(y));
    expect(fit.estimable).toBe(true);
    expect(Math.abs(fit.slope - 5)).toBeLessThan(3 * fit.se);
    expect(fit.se).toBeLessThan(1);
    expect(cycleRampFit(x, y, []).estimable).toBe(false);
  });

  it('fits the base of a sawtooth whose ramp is a curve: a narrow interval that mostly covers the truth', () => {
    // A curve left in the residuals made them correlated within each cycle, and the fit allowed
    // for it with a standard error about seven times too large (fixtures/shop-sawtooth passed
    // only near the budget). Levelled in bands the interval is narrow, but short of its nominal
    // 95%: each cycle's unknown phase (where the reset fell between two samples) is more than the
    // lag-1 correction allows for. Measured over 200 series each: 86-89% on this curve, 76-80%
    // on a straight ramp (the line fitted before: 55-66% on a straight ramp).
    let covered = 0;
    const ses: number[] = [];
    for (let seed = 1; seed <= 100; seed++) {
      const { x, y } = series(seed * 31, 150, { slope: 3, saw: 700_000, period: 6000, curve: 4, sd: 10_000 });
      const fit = cycleRampFit(x, y, findResets(y));
      expect(fit.estimable).toBe(true);
      const t = tQuantile(0.975, fit.df);
      if (Math.abs(fit.slope - 3) <= t * fit.se) covered++;
      ses.push(fit.se);
    }
    expect(covered).toBeGreaterThanOrEqual(80);
    expect([...ses].sort((a, b) => a - b)[50]).toBeLessThan(1);
  });

  it('passes a bounded structure with a curved ramp early, and calls a leak under one', () => {
    const bounded = { slope: 0, saw: 700_000, period: 6000, curve: 4, sd: 10_000 };
    const passes = [];
    let leaks = 0;
    for (let s = 0; s < 40; s++) {
      const { x, y } = series(s * 9973 + 1, 290, bounded);
      const r = sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, true);
      if (r.verdict === 'leak') leaks++;
      if (r.verdict === 'pass') passes.push(r.decided?.samples ?? 290);
    }
    expect(leaks).toBe(0);
    // The ramp fitted as a line: 7 passes and 33 inconclusive at the budget (290 samples).
    expect(passes.length).toBe(40);
    // Half of them by the look at 118 samples (measured: median 94, the slowest at 185).
    expect([...passes].sort((a, b) => a - b)[20]).toBeLessThanOrEqual(118);
    expect(verdicts({ ...bounded, slope: 8 }, 40).leak).toBe(40);
  });

  it('calls a leak whose store enlarges its table in jumps on the growth between them', () => {
    // A dictionary that keeps growing doubles its backing store at 2^k entries: the copy lands in
    // one sample as a jump (here 40 B per entry held, at 4,000 · 2^k requests).
    const doublings = (x: readonly number[], y: readonly number[]): number[] =>
      y.map((v, i) => {
        let jumps = 0;
        for (let at = 4000; at <= (x[i] as number); at *= 2) jumps += 40 * at;
        return v + jumps;
      });
    const options = { threshold: 2, alpha: ALPHA, looks: 11 };
    let between = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const { x, y } = series(seed, 18, { slope: 150, step: 600 });
      const look = evaluateLook(x, doublings(x, y), 1, options);
      if (look.jumps === undefined) continue;
      between++;
      expect(look.decision).toBe('leak');
      // Decided on the growth between the jumps (the entries); reported with the doublings.
      expect(Math.abs(look.jumps.between - 150) / 150).toBeLessThan(0.15);
      expect(look.slope).toBeGreaterThan(look.jumps.between);
    }
    // A first look's recent half (from ~5,600 to ~10,800 requests) holds the doubling at 8,000
    // in every one: the line through it had intervals of ±600-1,500 B/request. Between the jumps,
    // 17 of 20 were called (the other three: two stretches of 4-5 samples left too few degrees of
    // freedom for their autocorrelation).
    expect(between).toBeGreaterThanOrEqual(15);
    const { x, y } = series(3, 18, { slope: 150, step: 600 });
    const r = sequentialTest(x, doublings(x, y), [18, 23, 29], { threshold: 2, alpha: ALPHA }, false);
    expect(sequentialReason(r, 2, ALPHA, { requests: null, seconds: null }).reason).toMatch(
      /its table's jumps counted \(a store enlarged as it filled: \d+ jumps? in the recent half/,
    );
    // A flat heap with a one-off jump in its recent half (a module initialised late) is never
    // called a leak: the growth between its stretches is nil.
    for (let seed = 1; seed <= 200; seed++) {
      const flat = series(seed * 31, 18, { slope: 0, step: 600 });
      const once = flat.y.map((v, i) => ((flat.x[i] as number) > 8000 ? v + 500_000 : v));
      expect(evaluateLook(flat.x, once, 1, options).decision).not.toBe('leak');
    }
  });

  it('finds the resets of a sawtooth and none in a leak', () => {
    const saw = series(2, 100, { slope: 0, saw: 1_000_000, period: 8000 });
    expect(findResets(saw.y).length).toBeGreaterThanOrEqual(4);
    const leak = series(2, 100, { slope: 40 });
    expect(findResets(leak.y)).toEqual([]);
  });

  it('refines an imprecise leak estimate with later looks, the verdict and its look kept', () => {
    // A leak ten times the threshold is called long before its rate is known.
    const { x, y } = series(21, 290, { slope: 20, sd: 40_000 });
    const plain = sequentialTest(x, y, SCHEDULE, { threshold: 2, alpha: ALPHA }, false);
    expect(plain.verdict).toBe('leak');
    const called = plain.last as NonNullable<typeof plain.last>;
    expect(precise(called, ESTIMATE_PRECISION)).toBe(false);
    const refined = sequentialTest(
      x,
      y,
      SCHEDULE,
      { threshold: 2, alpha: ALPHA, precision: ESTIMATE_PRECISION },
      false,
    );
    expect(refined.verdict).toBe('leak');
    expect(refined.decided?.look).toBe(called.look);
    expect(refined.last?.look).toBeGreaterThan(called.look);
    expect(refined.refining).toBe(false);
    const last = refined.last as NonNullable<typeof refined.last>;
    expect(last.decision).toBe('leak');
    expect((last.high - last.low) / 2).toBeLessThanOrEqual(ESTIMATE_PRECISION * last.slope);
    expect(Math.abs(last.slope - 20)).toBeLessThan(Math.abs(called.slope - 20) + 20 * 0.15);
    // Cut short (the run stopped sampling), it says it is still refining.
    const short = sequentialTest(
      x.slice(0, called.samples + 1),
      y.slice(0, called.samples + 1),
      SCHEDULE,
      { threshold: 2, alpha: ALPHA, precision: ESTIMATE_PRECISION },
      false,
    );
    expect(short.verdict).toBe('leak');
    expect(short.refining).toBe(true);
    expect(short.last?.look).toBe(called.look);
  });

  it('reports a Map that leaks with its table doublings counted, not a recent half between two of them', () => {
    // A Map that leaks an entry per request: 106 B/request of entries, and its hash table doubling
    // at 16k, 32k, 64k, ... entries (14 B per entry of capacity), so 120 B/request in the long run.
    // Sampled every 4,598 requests from 3,016 on (the warm-up's requests before the first sample).
    let state = 1;
    const uniform = (): number => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const gauss = (): number =>
      Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 1; i <= 171; i++) {
      const requests = 3_016 + i * 4_598;
      let tables = 0;
      for (let capacity = 16_384; capacity <= requests; capacity *= 2) tables += 14 * capacity;
      x.push(requests);
      y.push(10e6 + 106 * requests + tables + 5_000 * gauss());
    }
    const schedule = lookSchedule(18, 171);
    const options = { threshold: 2, alpha: ALPHA, precision: ESTIMATE_PRECISION };
    const result = sequentialTest(x, y, schedule, options, false);
    expect(result.verdict).toBe('leak');
    // Called at the first look on the growth between the doublings in its recent half (before, a
    // staircase called it at look 4).
    expect(result.decided?.look).toBe(1);
    expect(result.decided?.jumps).toBeDefined();
    // A later look's recent half falls between two doublings: alone, it is a precise leak at the
    // entries' rate only (what was reported before).
    const between = evaluateLook(x.slice(0, schedule[8]), y.slice(0, schedule[8]), 9, {
      ...options,
      looks: schedule.length,
    });
    expect(between.decision).toBe('leak');
    expect(between.staircase).toBeUndefined();
    expect(precise(between, ESTIMATE_PRECISION)).toBe(true);
    expect(Math.abs(between.slope - 120)).toBeGreaterThan(0.1 * 120);
    // Reported with the doublings counted over the whole series: 126 against the long run's 120
    // (a staircase's rate, reported before, 125; the entries alone, 106).
    const last = result.last as NonNullable<typeof result.last>;
    expect(last.jumps).toBeDefined();
    expect(Math.abs(last.slope - 120)).toBeLessThanOrEqual(0.06 * 120);
  });

  it('keeps refining a precise estimate while its growth still slows down, and a steady one only until its first precise look', () => {
    // A 16 B/request leak over a slow warm-up tail, with little noise: called at the first look
    // with a narrow interval, but the recent half still grows faster than the leak.
    const options = { threshold: 2, alpha: ALPHA, precision: ESTIMATE_PRECISION };
    const steady = series(31, 290, { slope: 16, sd: 3_000 });
    const warm = {
      x: steady.x,
      y: steady.y.map((v, i) => v + 100_000 * (1 - Math.exp(-(steady.x[i] as number) / 5_000))),
    };
    const plain = sequentialTest(warm.x, warm.y, SCHEDULE, { threshold: 2, alpha: ALPHA }, false);
    const called = plain.last as NonNullable<typeof plain.last>;
    expect(plain.verdict).toBe('leak');
    expect(precise(called, ESTIMATE_PRECISION)).toBe(true);
    expect(called.warming).toBe(true);
    const refined = sequentialTest(warm.x, warm.y, SCHEDULE, options, false);
    expect(refined.decided?.look).toBe(called.look);
    expect(refined.last?.look).toBeGreaterThan(called.look);
    const last = refined.last as NonNullable<typeof refined.last>;
    expect(Math.abs(last.slope - 16)).toBeLessThan(Math.abs(called.slope - 16) / 2);
    // It stops once the warm-up has left the early half too.
    expect(last.warming).toBe(false);
    expect(refined.refining).toBe(false);
    // Cut short at the call, it says the estimate still carries warm-up growth.
    const short = sequentialTest(
      warm.x.slice(0, called.samples),
      warm.y.slice(0, called.samples),
      SCHEDULE,
      options,
      false,
    );
    expect(short.refining).toBe(true);
    expect(short.warming).toBe(true);
    // The same leak without the warm-up: refined only until its first precise look.
    const once = sequentialTest(steady.x, steady.y, SCHEDULE, options, false);
    expect(once.verdict).toBe('leak');
    expect(once.looks.some((l) => l.warming)).toBe(false);
    expect(once.refining).toBe(false);
    expect(precise(once.last as NonNullable<typeof once.last>, ESTIMATE_PRECISION)).toBe(true);
    expect(once.looks.slice(0, -1).some((l) => precise(l, ESTIMATE_PRECISION))).toBe(false);
  });

  it('says how many requests an undecided look would have needed', () => {
    const { x, y } = series(8, 30, { slope: 2.5, sd: 30_000 });
    const look = evaluateLook(x, y, 1, { threshold: 2, alpha: ALPHA, looks: 10 });
    expect(look.decision).toBe('continue');
    const needed = requestsNeeded(look, 2);
    expect(needed).toBeGreaterThan(x.at(-1) as number);
  });
});

describe('false-alarm rate under optional stopping (200 seeded series per case)', () => {
  // Worst case of the null hypothesis: growth exactly at the threshold, every look taken.
  const runs = 200;
  const bound = ALPHA * runs + 3 * Math.sqrt(runs * ALPHA * (1 - ALPHA));
  it.each([0, 0.3, 0.5])('stays within alpha for AR(1) noise with rho %s', (rho) => {
    const v = verdicts({ slope: 2, rho }, runs);
    expect(v.leak).toBeLessThanOrEqual(bound);
  });

  it.each([0, 0.3, 0.5])(
    "stays within alpha at the default plan's looks (%s): fewer samples a look, the same guarantee",
    (rho) => {
      // A default run: `run.samples` in the minimum window, evenly spaced up to the budget.
      const plan = sequentialPlan(configSchema.parse({ command: ['node', 'server.js'] }));
      const schedule = plan.schedule;
      const length = schedule.at(-1) as number;
      let leaks = 0;
      for (let s = 0; s < runs; s++) {
        const { x, y } = series(s * 9973 + 1, length, { slope: 2, rho });
        if (sequentialTest(x, y, schedule, { threshold: 2, alpha: plan.alpha }, true).verdict === 'leak')
          leaks++;
      }
      expect(leaks).toBeLessThanOrEqual(bound);
    },
  );

  it('misses no leak of 8 B/request (4x the threshold) within the budget', () => {
    expect(verdicts({ slope: 8, burst: 400_000, tail: 30_000, rho: 0.5 }, 50).leak).toBe(50);
  });
});

describe('a store whose size follows throughput (entries that expire)', () => {
  const plan = lookSchedule(18, 171);
  // Entries expire 2 s after they were added (checked every 50 ms), throughput wanders ±20%.
  const store = { rampPerRequest: 100, periodMs: 50, rate: 1.7, lagMs: 1, expiryMs: 2000 };
  function count(shape: TimedSawtoothShape, runs: number, withClock: boolean): Record<string, number> {
    const out: Record<string, number> = { leak: 0, pass: 0, inconclusive: 0 };
    for (let s = 0; s < runs; s++) {
      const { x, y, clock } = timedSawtooth(s * 7919 + 3, 171, shape);
      const options = { threshold: 2, alpha: ALPHA, ...(withClock ? { clock } : {}) };
      const verdict = sequentialTest(x, y, plan, options, true).verdict;
      out[verdict] = (out[verdict] ?? 0) + 1;
    }
    return out;
  }
  const runs = 120;
  const bound = ALPHA * runs + 3 * Math.sqrt(runs * ALPHA * (1 - ALPHA));

  it('keeps a slope at the threshold within alpha both ways once the throughput is held fixed', () => {
    const without = count({ ...store, slope: 2 }, runs, false);
    const held = count({ ...store, slope: 2 }, runs, true);
    // The line alone fits the throughput's wander as growth: far beyond alpha, both ways.
    expect(without.leak).toBeGreaterThan(2 * bound);
    expect(without.pass).toBeGreaterThan(2 * bound);
    expect(held.leak).toBeLessThanOrEqual(bound);
    expect(held.pass).toBeLessThanOrEqual(bound);
  });

  it('still calls a leak of twice the threshold under such a store, and costs series without one nothing', () => {
    expect(count({ ...store, slope: 4 }, 50, true).leak).toBeGreaterThanOrEqual(45);
    const none = { ...store, rampPerRequest: 0 };
    expect(count({ ...none, slope: 4 }, 50, true)).toEqual(count({ ...none, slope: 4 }, 50, false));
    expect(count({ ...none, slope: 0 }, 50, true).pass).toBe(50);
  });

  it('reports the check on the look and says why a look it held did not decide', () => {
    // This seed's bounded store has a look the plain line would have passed and the check held.
    const { x, y, clock } = timedSawtooth(5 * 7919 + 3, 171, { ...store, slope: 0, rampPerRequest: 300 });
    const r = sequentialTest(x, y, plan, { threshold: 2, alpha: ALPHA, clock }, true);
    const checked = r.looks.filter((l) => l.throughput !== undefined);
    expect(checked.length).toBeGreaterThan(0);
    for (const l of checked) expect(l.throughput?.agreed === false).toBe(l.decision === 'continue');
    const held = r.looks.find((l) => l.throughput?.agreed === false);
    expect(held?.high).toBeLessThan(2);
    if (!held) return;
    const text = sequentialReason({ ...r, verdict: 'inconclusive', last: held }, 2, ALPHA, {
      requests: null,
      seconds: null,
    }).reason;
    expect(text).toContain('with the throughput of the 2 s before each sample held fixed');
  });
});

describe('covariateFit and recentThroughput', () => {
  it('recovers the slope on x with a covariate that moves the level', () => {
    const x = Array.from({ length: 60 }, (_, i) => i * 1000);
    const z = x.map((_, i) => Math.sin(i / 3));
    const y = x.map((v, i) => 5 * v + 200_000 * (z[i] as number) + ((i * 7919) % 13) * 100);
    const fit = covariateFit(x, y, z);
    expect(fit.slope).toBeCloseTo(5, 1);
    expect(Math.abs(fit.covariateT)).toBeGreaterThan(10);
    expect(Math.abs(autocorrelatedFit(x, y).slope - 5)).toBeGreaterThan(Math.abs(fit.slope - 5));
  });

  it('reads throughput over a window from the samples', () => {
    const clock = [0, 500, 1000, 1500, 2000, 2500];
    const x = [0, 1000, 2000, 4000, 6000, 8000];
    const r = recentThroughput(x, clock, 1000);
    expect(r[0]).toBeNaN();
    expect(r[1]).toBeCloseTo(2, 6);
    expect(r[2]).toBeCloseTo(2, 6);
    expect(r[3]).toBeCloseTo(3, 6);
    expect(r[5]).toBeCloseTo(4, 6);
  });
});
