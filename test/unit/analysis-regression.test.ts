import { olsFit, tQuantile, type OlsFit } from '../../src/analysis';
import { ss } from '../../src/analysis/simple-statistics';
import { HEAP_BASELINE, HEAP_SCATTER_SD, mulberry32, requestGrid, withNoise } from './analysis-synthetic';

describe('olsFit', () => {
  it('recovers an exact line with a zero-width interval', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const fit = olsFit(
      x,
      x.map((v) => 7 + 3 * v),
      0.95,
    );
    expect(fit.estimable).toBe(true);
    expect(fit.slope).toBeCloseTo(3, 12);
    expect(fit.intercept).toBeCloseTo(7, 12);
    expect(fit.high - fit.low).toBeCloseTo(0, 9);
    expect(fit.rSquared).toBeCloseTo(1, 12);
    expect(fit.n).toBe(6);
  });

  it('matches a hand-computed fit and t interval', () => {
    // x̄ = 2, ȳ = 3, Sxx = 10, Sxy = 9 → slope 0.9, intercept 1.2;
    // residuals 0.8, -1.1, 0.0, 0.1, 0.2 → SSE = 1.9, se = √(1.9/3/10) = 0.25166;
    // t(0.975, 3) = 3.18245 → half-width 0.80091.
    const fit = olsFit([0, 1, 2, 3, 4], [2, 1, 3, 4, 5], 0.95);
    expect(fit.slope).toBeCloseTo(0.9, 10);
    expect(fit.intercept).toBeCloseTo(1.2, 10);
    expect(fit.stdErr).toBeCloseTo(0.25166, 4);
    expect(fit.low).toBeCloseTo(0.9 - 0.80091, 3);
    expect(fit.high).toBeCloseTo(0.9 + 0.80091, 3);
    // R² = 1 − SSE/SST = 1 − 1.9/10.
    expect(fit.rSquared).toBeCloseTo(0.81, 10);
  });

  it('recovers a known heap slope through realistic scatter, and its interval covers it', () => {
    const x = requestGrid({ samples: 35, seed: 11 });
    const y = withNoise(x, (v) => HEAP_BASELINE + 313 * v, HEAP_SCATTER_SD, 12);
    const fit = olsFit(x, y, 0.95);
    expect(Math.abs(fit.slope - 313) / 313).toBeLessThan(0.01);
    expect(fit.low).toBeLessThan(313);
    expect(fit.high).toBeGreaterThan(313);
    expect(fit.intercept).toBeGreaterThan(HEAP_BASELINE - 100_000);
    expect(fit.intercept).toBeLessThan(HEAP_BASELINE + 100_000);
  });

  it('has close to nominal coverage over many seeded series', () => {
    let covered = 0;
    const runs = 400;
    for (let seed = 1; seed <= runs; seed++) {
      const x = requestGrid({ samples: 12, seed });
      const y = withNoise(x, (v) => 1000 + 5 * v, 20_000, seed + 1000);
      const fit = olsFit(x, y, 0.9);
      if (fit.low <= 5 && 5 <= fit.high) covered++;
    }
    // Binomial(400, 0.9): sd 6 → 0.9 ± 3 sd is [342, 378].
    expect(covered).toBeGreaterThanOrEqual(342);
    expect(covered).toBeLessThanOrEqual(378);
  });

  it('keeps precision with large offsets in x and y', () => {
    const x = Array.from({ length: 20 }, (_, i) => 5e8 + i * 1000);
    // Residual pattern +,-,-,+ per block of four is uncorrelated with x, so the slope is exactly 0.5.
    const pattern = [10, -10, -10, 10];
    const y = x.map((v, i) => 2e9 + 0.5 * (v - 5e8) + (pattern[i % 4] as number));
    const fit = olsFit(x, y, 0.95);
    expect(fit.slope).toBeCloseTo(0.5, 8);
    expect(fit.intercept + fit.slope * 5e8).toBeCloseTo(2e9, 0);
  });

  it('is not estimable, and all zeros, for fewer than 3 points', () => {
    for (const [x, y] of [
      [[], []],
      [[1], [5]],
      [
        [1, 2],
        [5, 9],
      ],
    ] as const) {
      const fit = olsFit(x, y, 0.95);
      expect(fit).toMatchObject({ estimable: false, slope: 0, low: 0, high: 0, stdErr: 0, n: x.length });
    }
  });

  it('is not estimable when x does not vary', () => {
    const fit = olsFit([3000, 3000, 3000, 3000], [1, 2, 3, 4], 0.95);
    expect(fit.estimable).toBe(false);
    expect(fit.slope).toBe(0);
  });

  it('handles constant y: slope 0, R² 1, zero-width interval', () => {
    const fit = olsFit([1, 2, 3, 4], [12, 12, 12, 12], 0.95);
    expect(fit).toMatchObject({ estimable: true, slope: 0, low: 0, high: 0, rSquared: 1 });
  });

  it('always returns JSON-safe numbers', () => {
    for (const fit of [
      olsFit([1, 2], [1, 2], 0.95),
      olsFit([1, 1, 1], [1, 2, 3], 0.95),
      olsFit([1, 2, 3], [5, 5, 5], 0.95),
    ]) {
      expect(JSON.parse(JSON.stringify(fit))).toEqual(fit);
    }
  });

  it('rejects mismatched lengths, non-finite values and bad confidence', () => {
    expect(() => olsFit([1, 2, 3], [1, 2], 0.95)).toThrow(RangeError);
    expect(() => olsFit([1, 2, 3], [1, Number.NaN, 3], 0.95)).toThrow(RangeError);
    expect(() => olsFit([1, 2, 3], [1, 2, 3], 1)).toThrow(RangeError);
  });
});

describe('olsFit without building [x, y] pairs', () => {
  /** The fit as it was written with simple-statistics' linearRegression and rSquared on pairs. */
  function referenceOls(x: number[], y: number[], confidence: number): OlsFit {
    const n = x.length;
    const meanX = ss.mean(x);
    let sxx = 0;
    for (const xi of x) sxx += (xi - meanX) ** 2;
    const points = x.map((xi, i) => [xi, y[i] as number]);
    const { m: slope, b: intercept } = ss.linearRegression(points);
    let sse = 0;
    for (let i = 0; i < n; i++) sse += ((y[i] as number) - (intercept + slope * (x[i] as number))) ** 2;
    const stdErr = Math.sqrt(sse / (n - 2) / sxx);
    const half = tQuantile(1 - (1 - confidence) / 2, n - 2) * stdErr;
    const r2 = sse === 0 ? 1 : ss.rSquared(points, (xi: number) => intercept + slope * xi);
    return {
      estimable: true,
      slope,
      intercept,
      low: slope - half,
      high: slope + half,
      stdErr,
      rSquared: Number.isFinite(r2) ? r2 : 0,
      n,
      confidence,
    };
  }

  it('gives simple-statistics’ numbers bit for bit on random series', () => {
    const uniform = mulberry32(11);
    for (let k = 0; k < 200; k++) {
      const n = 3 + Math.floor(uniform() * 1200);
      const x: number[] = [];
      let t = 1e6 * uniform();
      for (let i = 0; i < n; i++) x.push((t += uniform() < 0.1 ? 0 : uniform() * 2000));
      const slope = (uniform() - 0.5) * 1e3;
      const y = x.map((v) => 1e8 + slope * v + (k % 7 === 0 ? 0 : 1e5 * (uniform() - 0.5)));
      const actual = olsFit(x, y, 0.95);
      const expected = referenceOls(x, y, 0.95);
      for (const key of Object.keys(expected) as Array<keyof OlsFit>) {
        if (!Object.is(actual[key], expected[key])) {
          throw new Error(`series ${k}: ${key} ${String(actual[key])} vs ${String(expected[key])}`);
        }
      }
    }
  });
});
