/**
 * Compare's pairs stop early too: after the second pair, and after each pair from then on, the
 * differences are judged at a look's confidence, and the comparison stops as soon as the verdict
 * is `leak` or `pass`. Alpha is spent across the planned looks as in a single run
 * (analysis/sequential.ts: look j of L gets alpha·(1/j)/H_L per side), so the chance of a false
 * leak over all looks together stays at most (1 − confidence)/2, however the looks fall.
 */
import { alphaAtLook } from '../analysis/sequential';

/** Pairs before the first look: one pair cannot measure how much runs of the same code differ. */
export const MIN_PAIRS = 2;
/** Pairs a comparison may run at most when nothing fixes their number (`--max-pairs`). */
export const DEFAULT_MAX_PAIRS = 4;

/** How many pairs a comparison runs, and when it looks. */
export interface PairPlan {
  /** `fixed`: exactly `maxPairs` pairs, one judgement at the end (`--pairs`). */
  mode: 'fixed' | 'sequential';
  maxPairs: number;
}

/**
 * Looks a plan takes: one per pair from {@link MIN_PAIRS} on (fixed: one, at the end).
 *
 * @param plan - the plan
 * @returns the number of looks
 */
export function plannedLooks(plan: PairPlan): number {
  return plan.mode === 'fixed' ? 1 : Math.max(1, plan.maxPairs - MIN_PAIRS + 1);
}

/**
 * The confidence of the differences' intervals after `pairs` complete pairs.
 *
 * @param pairs - complete pairs so far (at least {@link MIN_PAIRS})
 * @param plan - the plan
 * @param confidence - the configured (overall) confidence, two-sided
 * @returns the look's two-sided confidence (the configured one for a fixed plan)
 */
export function lookConfidence(pairs: number, plan: PairPlan, confidence: number): number {
  if (plan.mode === 'fixed') return confidence;
  const look = Math.min(Math.max(1, pairs - MIN_PAIRS + 1), plannedLooks(plan));
  return 1 - 2 * alphaAtLook(look, plannedLooks(plan), (1 - confidence) / 2);
}

/**
 * Whether to stop after `pairs` complete pairs with this verdict.
 *
 * @param pairs - complete pairs so far
 * @param verdict - the verdict of the differences at this look's confidence
 * @param plan - the plan
 * @returns true when the comparison is decided or out of pairs
 */
export function stopAfter(pairs: number, verdict: string, plan: PairPlan): boolean {
  if (pairs >= plan.maxPairs) return true;
  if (plan.mode === 'fixed' || pairs < MIN_PAIRS) return false;
  return verdict === 'leak' || verdict === 'pass';
}
