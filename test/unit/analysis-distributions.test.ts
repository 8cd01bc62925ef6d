import { normalCdf, normalQuantile, normalTwoSidedP, tQuantile } from '../../src/analysis';

describe('tQuantile', () => {
  // Two-sided 95% critical values from a standard t table.
  it.each([
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [5, 2.571],
    [10, 2.228],
    [20, 2.086],
    [30, 2.042],
    [120, 1.98],
    [1e6, 1.96],
  ])('t(0.975, df=%s) = %s', (df, expected) => {
    expect(Math.abs(tQuantile(0.975, df) - expected)).toBeLessThan(1e-3);
  });

  it.each([
    [0.95, 2, 2.92],
    [0.95, 10, 1.8125],
    [0.995, 2, 9.9248],
    [0.995, 5, 4.0321],
    [0.995, 30, 2.75],
    [0.9, 4, 1.5332],
    [0.9995, 10, 4.5869],
  ])('t(%s, df=%s) = %s at other levels', (p, df, expected) => {
    expect(Math.abs(tQuantile(p, df) - expected)).toBeLessThan(1e-3);
  });

  it('is symmetric and zero at the median', () => {
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 10);
    expect(tQuantile(0.5, 7)).toBe(0);
  });

  it('decreases towards the normal quantile as df grows', () => {
    const values = [2, 3, 5, 10, 30, 100, 1000].map((df) => tQuantile(0.975, df));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThan(values[i - 1] as number);
    expect(values[values.length - 1]).toBeGreaterThan(1.959964);
  });

  it('rejects impossible arguments', () => {
    expect(() => tQuantile(1, 10)).toThrow(RangeError);
    expect(() => tQuantile(0.975, 0)).toThrow(RangeError);
    expect(() => tQuantile(Number.NaN, 10)).toThrow(RangeError);
  });
});

describe('normal distribution', () => {
  it('normalQuantile corrects ss.probit to table precision', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
  });

  it('normalCdf inverts normalQuantile', () => {
    for (const p of [0.001, 0.1, 0.5, 0.8, 0.999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
  });

  it('normalTwoSidedP gives two-sided tails, small ones included', () => {
    expect(normalTwoSidedP(1.959964)).toBeCloseTo(0.05, 5);
    expect(normalTwoSidedP(-2.575829)).toBeCloseTo(0.01, 5);
    expect(normalTwoSidedP(0)).toBeCloseTo(1, 6);
    // 2·(1 − Φ(4)) = 6.334e-5: far beyond the 4-decimal table of cumulativeStdNormalProbability.
    expect(normalTwoSidedP(4) / 6.334e-5).toBeCloseTo(1, 2);
  });
});
