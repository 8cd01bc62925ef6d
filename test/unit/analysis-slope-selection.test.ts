/**
 * Exact slope selection must give the numbers the O(n²) sort gave, bit for bit: the oracle here
 * is the sorting implementation of Theil-Sen and Mann-Kendall's S as they were before selection
 * replaced them, kept verbatim.
 */
import { mannKendall, normalQuantile, theilSen, type TheilSenFit } from '../../src/analysis';
import { trendFits } from '../../src/analysis/robust';
import { ss } from '../../src/analysis/simple-statistics';
import { medianResidual, selectSlopes } from '../../src/analysis/slope-selection';
import { gaussian, mulberry32 } from './analysis-synthetic';

/** The original sort-every-slope Theil-Sen (n ≤ 2,000 branch). */
function referenceTheilSen(x: number[], y: number[], confidence: number): TheilSenFit {
  const n = x.length;
  const all = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = (x[j] as number) - (x[i] as number);
      if (dx !== 0) all[k++] = ((y[j] as number) - (y[i] as number)) / dx;
    }
  }
  const slopes = all.subarray(0, k).sort();
  const rank = (r: number): number => {
    const position = Math.min(Math.max(r - 1, 0), slopes.length - 1);
    const below = Math.floor(position);
    const above = Math.min(below + 1, slopes.length - 1);
    const fraction = position - below;
    return (slopes[below] as number) + fraction * ((slopes[above] as number) - (slopes[below] as number));
  };
  const slope = rank(1 + 0.5 * (slopes.length - 1));
  const total = slopes.length;
  const c = normalQuantile(1 - (1 - confidence) / 2) * Math.sqrt(referenceVariance(y));
  return {
    estimable: true,
    slope,
    intercept: ss.median(x.map((xi, i) => (y[i] as number) - slope * xi)),
    low: rank(((total - c) / 2 / total) * total),
    high: rank((((total + c) / 2 + 1) / total) * total),
    n,
    pairs: total,
    subsampled: false,
    confidence,
  };
}

function referenceS(y: number[]): number {
  let s = 0;
  for (let i = 0; i < y.length - 1; i++) {
    for (let j = i + 1; j < y.length; j++) {
      const d = (y[j] as number) - (y[i] as number);
      if (d > 0) s++;
      else if (d < 0) s--;
    }
  }
  return s;
}

function referenceVariance(y: number[]): number {
  const n = y.length;
  const sorted = [...y].sort((a, b) => a - b);
  let tie = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && sorted[i] === sorted[i - 1]) run++;
    else {
      if (run > 1) tie += run * (run - 1) * (2 * run + 5);
      run = 1;
    }
  }
  return Math.max(0, (n * (n - 1) * (2 * n + 5) - tie) / 18);
}

/** Field-by-field identity, -0 and +0 told apart. */
function expectIdentical(actual: TheilSenFit, expected: TheilSenFit, label: string): void {
  for (const key of Object.keys(expected) as Array<keyof TheilSenFit>) {
    if (!Object.is(actual[key], expected[key])) {
      throw new Error(`${label}: ${key} is ${String(actual[key])}, expected ${String(expected[key])}`);
    }
  }
}

type Shape = (n: number, seed: number) => { x: number[]; y: number[] };

const shapes: Record<string, Shape> = {
  'noisy linear growth over request counts': (n, seed) => {
    const noise = gaussian(seed);
    const x: number[] = [];
    let r = 1000;
    for (let i = 0; i < n; i++) x.push((r += 2000 + Math.round(1000 * mulberry32(seed + i)())));
    return { x, y: x.map((v) => 6e6 + 312 * v + 24_000 * noise()) };
  },
  'flat noise over hours': (n, seed) => {
    const noise = gaussian(seed);
    const x = Array.from({ length: n }, (_, i) => i / 120);
    return { x, y: x.map(() => 5e7 + 2e5 * noise()) };
  },
  'step function (a gauge updated only at major GCs)': (n, seed) => {
    const uniform = mulberry32(seed);
    const x = Array.from({ length: n }, (_, i) => i * 15);
    let level = 4e7;
    return {
      x,
      y: x.map(() => {
        if (uniform() < 0.05) level += Math.round((uniform() - 0.3) * 2e6);
        return level;
      }),
    };
  },
  'flat step function (mostly equal values)': (n, seed) => {
    const uniform = mulberry32(seed);
    const x = Array.from({ length: n }, (_, i) => i);
    let level = 24_000_000;
    return {
      x,
      y: x.map(() => {
        if (uniform() < 0.02) level = 24_000_000 + Math.round((uniform() - 0.5) * 4e5);
        return level;
      }),
    };
  },
  'constant series': (n) => ({ x: Array.from({ length: n }, (_, i) => i), y: Array(n).fill(7) as number[] }),
  'exact line (all slopes equal up to rounding)': (n) => {
    const x = Array.from({ length: n }, (_, i) => i * 3 + 1);
    return { x, y: x.map((v) => 0.1 * v + 1e6) };
  },
  'integer counts with ties in x': (n, seed) => {
    const uniform = mulberry32(seed);
    const x = Array.from({ length: n }, (_, i) => Math.floor(i / 3) * 100);
    return { x, y: x.map((v) => Math.floor(v / 500) + (uniform() < 0.2 ? 1 : 0)) };
  },
  'outliers on a decreasing trend': (n, seed) => {
    const noise = gaussian(seed);
    const uniform = mulberry32(seed + 1);
    const x = Array.from({ length: n }, (_, i) => i * 1.5);
    return { x, y: x.map((v) => 1e5 - 20 * v + (uniform() < 0.05 ? 5e4 : 0) + 100 * noise()) };
  },
};

describe('exact slope selection', () => {
  for (const [name, shape] of Object.entries(shapes)) {
    it(`matches sorting every slope: ${name}`, () => {
      for (const n of [64, 65, 97, 200, 511, 1000]) {
        for (const seed of [1, 2, 3]) {
          const { x, y } = shape(n, seed);
          for (const confidence of [0.95, 0.8, 0.999]) {
            expectIdentical(
              theilSen(x, y, confidence),
              referenceTheilSen(x, y, confidence),
              `n=${n} seed=${seed}`,
            );
          }
        }
      }
    });
  }

  it('certifies its answer itself (no fallback to sorting) for the shapes a fleet has', () => {
    for (const name of [
      'noisy linear growth over request counts',
      'flat noise over hours',
      'step function (a gauge updated only at major GCs)',
      'flat step function (mostly equal values)',
      'constant series',
    ]) {
      const { x, y } = (shapes[name] as Shape)(1000, 7);
      const pairs = (1000 * 999) / 2;
      const ranks = [pairs / 2 - 10_000, pairs / 2 - 9_999, pairs / 2, pairs / 2 + 1, pairs / 2 + 10_000];
      const values = selectSlopes(x, y, ranks);
      if (!values) throw new Error(`${name}: selection fell back to sorting`);
      const all: number[] = [];
      for (let i = 0; i < 999; i++)
        for (let j = i + 1; j < 1000; j++)
          all.push(((y[j] as number) - (y[i] as number)) / ((x[j] as number) - (x[i] as number)));
      const sorted = Float64Array.from(all).sort();
      expect(values).toEqual(ranks.map((r) => sorted[r]));
    }
  });

  it('selects runs of adjacent ranks, repeated ranks and ranks far from the median exactly', () => {
    // Adjacent ranks take the minimum-scan path, lone ones Floyd-Rivest; far ranks walk first.
    for (const name of [
      'noisy linear growth over request counts',
      'flat step function (mostly equal values)',
    ]) {
      const { x, y } = (shapes[name] as Shape)(700, 3);
      const all: number[] = [];
      for (let i = 0; i < 699; i++)
        for (let j = i + 1; j < 700; j++)
          all.push(((y[j] as number) - (y[i] as number)) / ((x[j] as number) - (x[i] as number)));
      const sorted = Float64Array.from(all).sort();
      const pairs = sorted.length;
      const ranks = [
        0,
        1,
        2,
        2,
        5000,
        5001,
        5002,
        pairs >> 1,
        (pairs >> 1) + 1,
        pairs - 7000,
        pairs - 2,
        pairs - 1,
      ];
      const values = selectSlopes(x, y, ranks);
      if (!values) throw new Error(`${name}: selection fell back to sorting`);
      expect(values).toEqual(ranks.map((r) => sorted[r]));
    }
  });

  it('matches at the largest size that still sorts (2,000 points)', () => {
    const shape = shapes['noisy linear growth over request counts'] as Shape;
    const { x, y } = shape(2000, 9);
    expectIdentical(theilSen(x, y, 0.95), referenceTheilSen(x, y, 0.95), 'n=2000');
  });

  it('falls back to sorting, with the same answer, when x is not ascending', () => {
    const shape = shapes['flat noise over hours'] as Shape;
    const { x, y } = shape(300, 4);
    const order = x.map((_, i) => (i * 7919) % 300);
    const xs = order.map((i) => x[i] as number);
    const ys = order.map((i) => y[i] as number);
    expectIdentical(theilSen(xs, ys, 0.95), referenceTheilSen(xs, ys, 0.95), 'shuffled');
  });
});

describe("Mann-Kendall's S by merge sort", () => {
  it('equals the count over every pair, with and without ties', () => {
    for (const [name, shape] of Object.entries(shapes)) {
      for (const n of [63, 64, 100, 777]) {
        const { y } = shape(n, 5);
        const mk = mannKendall(y);
        if (mk.s !== referenceS(y)) throw new Error(`${name} n=${n}: S ${mk.s} vs ${referenceS(y)}`);
        expect(mk.variance).toBe(referenceVariance(y));
      }
    }
  });
});

/**
 * Random series of the kinds that take the selection's shortcuts: probes placed from the first
 * probe's exact count and reached by count-only insertion sorts (every series), a probe exactly
 * at 0 with slopes equal to 0 around the median (quantised values on a step function), brackets
 * across 0 settled on one side (flat series), equal x (repeated timestamps) and -0.
 */
function randomSeries(seed: number): { x: number[]; y: number[]; kind: string } {
  const uniform = mulberry32(seed);
  const noise = gaussian(seed + 17);
  const n = 64 + Math.floor(uniform() * 900);
  const kind = ['trend', 'flat', 'steps', 'quantised', 'repeated-x', 'signed-zero'][seed % 6] as string;
  const x: number[] = [];
  const y: number[] = [];
  let level = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    t += kind === 'repeated-x' && uniform() < 0.3 ? 0 : 0.5 + uniform();
    x.push(t);
    if (kind === 'trend') y.push(1e6 + (uniform() - 0.3) * 5e3 * t + 2e4 * noise());
    else if (kind === 'flat') y.push(5e7 + 2e5 * noise());
    else if (kind === 'steps') {
      if (uniform() < 1 / 15) level = Math.round(2e6 * noise());
      y.push(8e7 + level);
    } else if (kind === 'quantised') y.push(Math.round(3 * noise()) + (uniform() < 0.01 ? 40 : 0));
    else if (kind === 'repeated-x') y.push(Math.round(1e3 * t + 2e3 * noise()));
    else y.push(uniform() < 0.4 ? -0 : uniform() < 0.5 ? 0 : Math.round(4 * noise()));
  }
  return { x, y, kind };
}

describe('slope selection on random series (reference: sorting every slope)', () => {
  it('gives Theil-Sen and Mann-Kendall exactly, also through trendFits (one tie count for both)', () => {
    for (let seed = 1; seed <= 48; seed++) {
      const { x, y, kind } = randomSeries(seed);
      const label = `seed=${seed} (${kind}, n=${x.length})`;
      const reference = referenceTheilSen(x, y, 0.95);
      expectIdentical(theilSen(x, y, 0.95), reference, label);
      const both = trendFits(x, y, 0.95);
      expectIdentical(both.theilSen, reference, `${label} via trendFits`);
      expect(both.mannKendall).toEqual(mannKendall(y));
      if (both.mannKendall.s !== referenceS(y)) throw new Error(`${label}: S ${both.mannKendall.s}`);
      expect(both.mannKendall.variance).toBe(referenceVariance(y));
    }
  });

  it("takes the Theil-Sen intercept as simple-statistics' median does, -0 and ties included", () => {
    for (let seed = 1; seed <= 60; seed++) {
      const { x, y } = randomSeries(seed);
      for (const length of [1, 2, 3, 700, 701, x.length]) {
        const xs = x.slice(0, length);
        const ys = y.slice(0, length);
        for (const slope of [0, -0, 1.5, -1234.5]) {
          const expected = ss.median(xs.map((xi, i) => (ys[i] as number) - slope * xi));
          const actual = medianResidual(xs, ys, slope);
          if (!Object.is(actual, expected)) {
            throw new Error(`seed=${seed} n=${length} slope=${slope}: ${actual} vs ${expected}`);
          }
        }
      }
    }
  });
});
