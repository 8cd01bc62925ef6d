import { plateauFit } from '../../src/analysis';
import { HEAP_BASELINE, HEAP_SCATTER_SD, requestGrid, withNoise } from './analysis-synthetic';

/** A bounded LRU: 200 B per insert until V8 stops growing the Map at ~8,500 inserts. */
const lru = (x: number): number => HEAP_BASELINE + 200 * Math.min(x, 8500);

describe('plateauFit', () => {
  it('sees early growth and a flat second half for a cache that fills and stops', () => {
    const x = requestGrid({ samples: 35, seed: 31 });
    const p = plateauFit(x, withNoise(x, lru, HEAP_SCATTER_SD, 32), 0.95);
    expect(p.applicable).toBe(true);
    expect(p.earlySlope).toBeGreaterThan(5);
    expect(Math.abs(p.lateSlope)).toBeLessThan(1);
    expect(p.lateLow).toBeLessThan(0.5);
    expect(p.lateHigh).toBeLessThan(2);
    expect(p.ratio).not.toBeNull();
    expect(p.ratio as number).toBeLessThan(0.1);
    // The first sample (~3,000 requests) already holds ~600 KB; the cache ends ~1.1 MB higher.
    expect(p.rise).toBeGreaterThan(900_000);
    expect(p.rise).toBeLessThan(1_300_000);
    expect(p.earlySamples + p.lateSamples).toBeGreaterThanOrEqual(35);
    expect(p.lateStartX).toBeGreaterThan(p.earlyEndX - 1);
  });

  it('gives a ratio near 1 for a steady leak', () => {
    const x = requestGrid({ samples: 35, seed: 33 });
    const p = plateauFit(
      x,
      withNoise(x, (v) => HEAP_BASELINE + 313 * v, HEAP_SCATTER_SD, 34),
      0.95,
    );
    expect(p.earlySlope).toBeCloseTo(313, -1);
    expect(p.lateSlope).toBeCloseTo(313, -1);
    expect(p.ratio as number).toBeGreaterThan(0.9);
    expect(p.ratio as number).toBeLessThan(1.1);
  });

  it('uses least squares early so a step in the first samples still counts as growth', () => {
    // Lazy initialisation: 5 MB between the first and second sample, then flat.
    const x = requestGrid({ samples: 35, seed: 35 });
    const y = withNoise(
      x,
      (v) => HEAP_BASELINE + (v > (x[0] as number) ? 5_000_000 : 0),
      HEAP_SCATTER_SD,
      36,
    );
    const p = plateauFit(x, y, 0.95);
    expect(p.earlySlope).toBeGreaterThan(20);
    expect(Math.abs(p.lateSlope)).toBeLessThan(1);
  });

  it('has a null ratio when the early slope is not positive', () => {
    const x = requestGrid({ samples: 20, seed: 37 });
    const p = plateauFit(
      x,
      withNoise(x, (v) => HEAP_BASELINE - 10 * v, 1000, 38),
      0.95,
    );
    expect(p.applicable).toBe(true);
    expect(p.earlySlope).toBeLessThan(0);
    expect(p.ratio).toBeNull();
  });

  it('is not applicable with too few samples in a window or no x range', () => {
    expect(plateauFit([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], 0.95).applicable).toBe(false);
    expect(plateauFit([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95).applicable).toBe(
      false,
    );
    const empty = plateauFit([], [], 0.95);
    expect(empty).toMatchObject({ applicable: false, ratio: null, earlySlope: 0, lateSlope: 0 });
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });
});
