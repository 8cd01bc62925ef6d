import { THEIL_SEN_MAX_POINTS, mannKendall, olsFit, theilSen } from '../../src/analysis';
import {
  HEAP_BASELINE,
  HEAP_SCATTER_SD,
  gaussian,
  mulberry32,
  requestGrid,
  withNoise,
} from './analysis-synthetic';

describe('mannKendall', () => {
  it('computes S, variance, z, p and tau for a strictly increasing series', () => {
    // S = 10 (all pairs increase), Var = 5·4·15/18 = 16.667, z = 9/√16.667 = 2.2045, p = 0.0275.
    const mk = mannKendall([1, 2, 3, 4, 5]);
    expect(mk.s).toBe(10);
    expect(mk.variance).toBeCloseTo(16.6667, 3);
    expect(mk.z).toBeCloseTo(2.2045, 3);
    expect(mk.pValue).toBeCloseTo(0.0275, 3);
    expect(mk.tau).toBeCloseTo(1, 10);
  });

  it('corrects the variance and tau for ties', () => {
    // Two tie groups of 2: Var = (5·4·15 − 2·(2·1·9))/18 = 264/18 = 14.667; S = 8;
    // tau-b = 8/√(10·(10 − 2)) = 0.8944; z = 7/√14.667 = 1.8278, p = 0.0676.
    const mk = mannKendall([1, 1, 2, 2, 3]);
    expect(mk.s).toBe(8);
    expect(mk.variance).toBeCloseTo(14.6667, 3);
    expect(mk.tau).toBeCloseTo(0.8944, 3);
    expect(mk.z).toBeCloseTo(1.8278, 3);
    expect(mk.pValue).toBeCloseTo(0.0676, 3);
  });

  it('reports no trend (p = 1) for a constant count series', () => {
    const mk = mannKendall(Array.from({ length: 30 }, () => 12));
    expect(mk).toMatchObject({ s: 0, variance: 0, z: 0, pValue: 1, tau: 0 });
  });

  it('is negative for a decreasing series', () => {
    const mk = mannKendall([9, 7, 8, 5, 4, 2, 1]);
    expect(mk.s).toBeLessThan(0);
    expect(mk.z).toBeLessThan(0);
    expect(mk.tau).toBeLessThan(-0.8);
  });

  it('does not find a trend in pure noise, and finds one in a noisy trend', () => {
    const noise = gaussian(5);
    const flat = Array.from({ length: 35 }, () => HEAP_BASELINE + HEAP_SCATTER_SD * noise());
    expect(mannKendall(flat).pValue).toBeGreaterThan(0.05);

    const x = requestGrid({ samples: 35, seed: 6 });
    const trend = withNoise(x, (v) => HEAP_BASELINE + 4 * v, HEAP_SCATTER_SD, 7);
    const mk = mannKendall(trend);
    expect(mk.pValue).toBeLessThan(0.001);
    expect(mk.tau).toBeGreaterThan(0.5);
  });

  it('counts S by merge sort on long series exactly as comparing every pair, ties included', () => {
    for (const n of [63, 64, 65, 200, 777]) {
      const uniform = mulberry32(n);
      // Quantised values, so many pairs tie.
      const y = Array.from({ length: n }, (_, i) => Math.round(i * 0.02 + 20 * uniform()));
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += Math.sign((y[j] ?? 0) - (y[i] ?? 0));
      expect(mannKendall(y).s).toBe(s);
    }
  });

  it('rejects about 5% of pure-noise series at p < 0.05', () => {
    let rejected = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const noise = gaussian(seed);
      if (mannKendall(Array.from({ length: 30 }, () => noise())).pValue < 0.05) rejected++;
    }
    // Binomial(400, 0.05): mean 20, sd 4.4.
    expect(rejected).toBeGreaterThanOrEqual(7);
    expect(rejected).toBeLessThanOrEqual(33);
  });
});

describe('theilSen', () => {
  it('recovers an exact line', () => {
    const x = [1, 2, 4, 8, 16];
    const fit = theilSen(
      x,
      x.map((v) => 3 - 2 * v),
      0.95,
    );
    expect(fit).toMatchObject({ estimable: true, slope: -2, intercept: 3, low: -2, high: -2, pairs: 10 });
  });

  it('takes Sen interval ranks from the Mann-Kendall variance', () => {
    // n = 10, no ties: Var(S) = 125, C = 1.95996·√125 = 21.913, N = 45,
    // M1 = (45 − C)/2 = 11.54 and M2 + 1 = (45 + C)/2 + 1 = 34.46 (1-based ranks).
    const x = Array.from({ length: 10 }, (_, i) => i);
    const y = [0, 3, 1, 5, 4, 9, 6, 8, 12, 10];
    const slopes: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (let j = i + 1; j < 10; j++) slopes.push(((y[j] as number) - (y[i] as number)) / (j - i));
    }
    slopes.sort((a, b) => a - b);
    const fit = theilSen(x, y, 0.95);
    const between = (v: number, rank: number): void => {
      const lo = slopes[Math.floor(rank) - 1] as number;
      const hi = slopes[Math.floor(rank)] as number;
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    };
    between(fit.low, 11.54);
    between(fit.high, 34.46);
    expect(fit.slope).toBe(slopes[22]); // the 23rd of 45 slopes
  });

  it('widens to the extreme slopes when n is too small for the level', () => {
    // n = 4: C = 1.96·√8.667 = 5.77 > N − 2, so both ranks fall outside 1..6.
    const fit = theilSen([0, 1, 2, 3], [0, 2, 1, 3], 0.95);
    expect(fit.low).toBe(-1);
    expect(fit.high).toBe(2);
  });

  it('resists 10% outliers that pull least squares', () => {
    const x = requestGrid({ samples: 40, seed: 21 });
    const y = withNoise(x, (v) => HEAP_BASELINE + 50 * v, HEAP_SCATTER_SD, 22);
    // Four late samples (10%) caught mid-burst, 3 MB high.
    for (const i of [30, 33, 36, 39]) y[i] = (y[i] as number) + 3_000_000;
    const robust = theilSen(x, y, 0.95);
    const ols = olsFit(x, y, 0.95);
    expect(Math.abs(robust.slope - 50)).toBeLessThan(1.5);
    expect(robust.low).toBeLessThan(50);
    expect(robust.high).toBeGreaterThan(50);
    expect(ols.slope - 50).toBeGreaterThan(10);
  });

  it('has close to nominal coverage on noisy lines', () => {
    let covered = 0;
    const runs = 300;
    for (let seed = 1; seed <= runs; seed++) {
      const x = requestGrid({ samples: 25, seed });
      const y = withNoise(x, (v) => HEAP_BASELINE + 10 * v, HEAP_SCATTER_SD, seed + 500);
      const fit = theilSen(x, y, 0.95);
      if (fit.low <= 10 && 10 <= fit.high) covered++;
    }
    // Binomial(300, 0.95): sd 3.8; Sen's interval is slightly conservative.
    expect(covered).toBeGreaterThanOrEqual(273);
    expect(covered).toBeLessThanOrEqual(300);
  });

  it('skips equal-x pairs and is not estimable when all x are equal', () => {
    const some = theilSen([1, 1, 2, 3], [0, 1, 2, 3], 0.95);
    expect(some.pairs).toBe(5);
    const none = theilSen([5, 5, 5], [1, 2, 3], 0.95);
    expect(none).toMatchObject({ estimable: false, slope: 0, low: 0, high: 0, pairs: 0 });
    expect(theilSen([], [], 0.95).estimable).toBe(false);
  });

  it('subsamples pairs deterministically above the point limit', () => {
    const n = THEIL_SEN_MAX_POINTS + 500;
    const uniform = mulberry32(99);
    const x = Array.from({ length: n }, (_, i) => i * 10);
    const y = x.map((v) => 7 * v + 1000 * (uniform() - 0.5));
    const first = theilSen(x, y, 0.95);
    const second = theilSen(x, y, 0.95);
    expect(first.subsampled).toBe(true);
    expect(first.pairs).toBeLessThanOrEqual((THEIL_SEN_MAX_POINTS * (THEIL_SEN_MAX_POINTS - 1)) / 2);
    expect(first).toEqual(second);
    expect(Math.abs(first.slope - 7)).toBeLessThan(0.01);
    expect(first.low).toBeLessThan(7);
    expect(first.high).toBeGreaterThan(7);
  });
});
