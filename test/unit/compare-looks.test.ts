/**
 * Compare's early stop: the looks' confidence (alpha spent across the looks, as a single run's
 * sequential test) and when the pairs stop.
 */
import { alphaAtLook } from '../../src/analysis/sequential';
import {
  DEFAULT_MAX_PAIRS,
  lookConfidence,
  plannedLooks,
  stopAfter,
  type PairPlan,
} from '../../src/compare/looks';

const sequential: PairPlan = { mode: 'sequential', maxPairs: DEFAULT_MAX_PAIRS };
const fixed: PairPlan = { mode: 'fixed', maxPairs: 3 };

describe('compare looks', () => {
  test('one look per pair from the second; a fixed plan looks once', () => {
    expect(plannedLooks(sequential)).toBe(3);
    expect(plannedLooks({ mode: 'sequential', maxPairs: 2 })).toBe(1);
    expect(plannedLooks(fixed)).toBe(1);
  });

  test('the looks spend the configured alpha in all: 1/j over H_L per side', () => {
    const levels = [2, 3, 4].map((p) => lookConfidence(p, sequential, 0.95));
    // H_3 = 11/6: look 1 gets 0.025·6/11 per side, look 2 half that, look 3 a third.
    expect(levels[0]).toBeCloseTo(1 - 2 * ((0.025 * 6) / 11), 10);
    expect(levels[1]).toBeCloseTo(1 - 2 * ((0.025 * 3) / 11), 10);
    expect(levels[2]).toBeCloseTo(1 - 2 * ((0.025 * 2) / 11), 10);
    const spent = levels.reduce((a, c) => a + (1 - c) / 2, 0);
    expect(spent).toBeCloseTo(0.025, 10);
    expect(spent).toBeCloseTo(
      [1, 2, 3].reduce((a, j) => a + alphaAtLook(j, 3, 0.025), 0),
      12,
    );
  });

  test('a fixed plan keeps the configured confidence', () => {
    expect(lookConfidence(3, fixed, 0.9)).toBe(0.9);
  });

  test('stops on a decided verdict from the second pair, or when out of pairs', () => {
    expect(stopAfter(1, 'pass', sequential)).toBe(false);
    expect(stopAfter(2, 'pass', sequential)).toBe(true);
    expect(stopAfter(2, 'leak', sequential)).toBe(true);
    expect(stopAfter(2, 'inconclusive', sequential)).toBe(false);
    expect(stopAfter(3, 'inconclusive', sequential)).toBe(false);
    expect(stopAfter(4, 'inconclusive', sequential)).toBe(true);
    // A fixed plan runs all its pairs whatever the verdict.
    expect(stopAfter(2, 'pass', fixed)).toBe(false);
    expect(stopAfter(3, 'inconclusive', fixed)).toBe(true);
  });
});
