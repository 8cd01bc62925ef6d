/**
 * The search of `leakcheck bisect`, apart from git and processes: given the commits after a good
 * revision up to a bad one and a way to measure one of them against the good revision, find the
 * first commit that adds a leak. Pure logic over an injected measurer, so it is tested with a fake.
 *
 * - The bad revision is measured first: if it does not leak there is nothing to find.
 * - Then binary search between the last commit known good and the first known bad. A commit that
 *   cannot be measured (install or start fails) is skipped, like `git bisect skip`; a verdict the
 *   measurer is unsure of is measured again (more runs), up to `maxAttempts`, and only then set
 *   aside like a skipped one.
 * - Before a commit is named, the boundary is measured again: the first bad commit and the last
 *   good one (unless that is the good revision itself) get more runs, and if that changes a
 *   verdict the search continues from the new boundary.
 * - Every measurement counts against `maxSteps`; when the budget is spent the smallest range is
 *   named instead of a commit.
 */

/** A commit in the searched range. */
export interface Candidate {
  sha: string;
  subject: string;
  author: string;
  /** Commit date, ISO 8601. */
  date: string;
}

/** What one measurement of a candidate against the good revision said. */
export interface Measurement {
  /** leak / pass / inconclusive; `skip` when it could not be measured (install or start failed). */
  verdict: 'leak' | 'pass' | 'inconclusive' | 'skip';
  /** Growth per request the candidate adds over the good revision (the deciding metric), if measured. */
  growth?: { metric: string; unit: 'bytes' | 'count'; mean: number; low: number; high: number };
  /** One line: why. */
  reason: string;
  /** Runs of the candidate so far (all attempts). */
  runs: number;
}

/** Why a step was taken. */
export type StepRole = 'bad' | 'bisect' | 'confirm' | 'remeasure';

/**
 * Measures a candidate against the good revision. `attempt` counts from 1; a later attempt adds
 * runs to the earlier ones and returns the verdict over all of them. `role` says why (a measurer
 * can afford heap snapshots only where a commit is about to be named, on `confirm`).
 */
export type Measurer = (candidate: Candidate, attempt: number, role: StepRole) => Promise<Measurement>;

/** One measurement the search made. */
export interface SearchStep {
  /** Position from 1. */
  step: number;
  sha: string;
  /** Index of the commit in the range, 0 = oldest after good. */
  index: number;
  role: StepRole;
  attempt: number;
  measurement: Measurement;
  /** The range still open after this step: (lastGood, firstBad] as indices (-1 = the good revision). */
  lastGood: number;
  firstBad: number;
}

/** Options of {@link searchFirstBad}. */
export interface SearchOptions {
  /** Most measurements in all (default {@link defaultBudget}). */
  maxSteps?: number;
  /** Most measurements of one commit when its verdict stays inconclusive (default 2). */
  maxAttempts?: number;
  /** Told after each step. */
  onStep?: (step: SearchStep) => void;
  /** Stops the search between steps. */
  signal?: AbortSignal;
}

/** How the search ended. */
export type SearchOutcome =
  /** One commit named: the first bad one, its parent measured (or known) good. */
  | 'found'
  /** A range named: skipped or unsure commits, or the budget, kept it from one commit. */
  | 'range'
  /** The bad revision does not leak against the good one. */
  | 'bad-clean'
  /** The bad revision's verdict stayed inconclusive. */
  | 'bad-unsure'
  /** The bad revision could not be measured. */
  | 'bad-unmeasurable'
  | 'aborted';

/** The search's result. */
export interface SearchResult {
  outcome: SearchOutcome;
  /** Index of the last commit known good (-1: the good revision). */
  lastGood: number;
  /** Index of the first commit known bad (the named one when `found`). */
  firstBad: number;
  steps: SearchStep[];
  /** Commits skipped (could not be measured), by index. */
  skipped: number[];
  /** Commits whose verdict stayed inconclusive, by index. */
  unsure: number[];
  /** The budget ran out before the range was one commit. */
  budgetSpent: boolean;
}

/**
 * The default budget of measurements: the bad revision, at most ⌈log2(n)⌉ bisection steps, and
 * two to confirm the boundary. A re-measured or skipped commit spends from the same budget; when
 * it runs out the range found so far is named (raise it with --max-steps).
 *
 * @param n - commits in the range
 * @returns the most measurements
 */
export function defaultBudget(n: number): number {
  return Math.ceil(Math.log2(Math.max(2, n))) + 3;
}

/**
 * Finds the first commit that leaks.
 *
 * @param commits - the commits after the good revision up to the bad one, oldest first (the bad
 *   revision is the last)
 * @param measure - measures one against the good revision
 * @param options - budget and attempts
 * @returns where the search ended and every step it made
 * @throws RangeError for an empty range
 */
export async function searchFirstBad(
  commits: readonly Candidate[],
  measure: Measurer,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const n = commits.length;
  if (n === 0) throw new RangeError('searchFirstBad needs at least one commit');
  const maxSteps = options.maxSteps ?? defaultBudget(n);
  const maxAttempts = Math.max(1, options.maxAttempts ?? 2);
  const steps: SearchStep[] = [];
  const attempts = new Map<number, number>();
  /** Settled verdicts by index: leak, pass, or set aside (skip / unsure). */
  const known = new Map<number, 'leak' | 'pass' | 'skip' | 'unsure'>();
  const confirmed = new Set<number>();
  let budgetSpent = false;

  const bounds = (): { lastGood: number; firstBad: number } => {
    let firstBad = n; // n: no leak known (only before the bad revision is measured)
    for (const [i, v] of known) if (v === 'leak' && i < firstBad) firstBad = i;
    let lastGood = -1;
    for (const [i, v] of known) if (v === 'pass' && i < firstBad && i > lastGood) lastGood = i;
    return { lastGood, firstBad };
  };
  const canMeasure = (): boolean => {
    if (options.signal?.aborted) return false;
    if (steps.length >= maxSteps) {
      budgetSpent = true;
      return false;
    }
    return true;
  };
  /** One measurement; returns the verdict, or null when the search must stop. */
  const step = async (index: number, role: StepRole): Promise<Measurement | null> => {
    if (!canMeasure()) return null;
    const attempt = (attempts.get(index) ?? 0) + 1;
    attempts.set(index, attempt);
    const m = await measure(commits[index] as Candidate, attempt, role);
    if (m.verdict === 'leak' || m.verdict === 'pass') known.set(index, m.verdict);
    else if (m.verdict === 'skip') known.set(index, 'skip');
    const b = bounds();
    const s: SearchStep = {
      step: steps.length + 1,
      sha: (commits[index] as Candidate).sha,
      index,
      role,
      attempt,
      measurement: m,
      lastGood: b.lastGood,
      firstBad: b.firstBad,
    };
    steps.push(s);
    options.onStep?.(s);
    return m;
  };
  /** Measures until the verdict is leak, pass or skip, or this call's attempts run out (then: unsure). */
  const settle = async (index: number, role: StepRole): Promise<boolean> => {
    for (let tries = 1; ; tries++) {
      const m = await step(index, tries === 1 ? role : 'remeasure');
      if (!m) return false;
      if (m.verdict !== 'inconclusive') return true;
      if (tries >= maxAttempts) {
        known.set(index, 'unsure');
        return true;
      }
    }
  };
  const result = (ended: SearchOutcome): SearchResult => {
    // An interrupted measurement looks like a skip; the interruption is what happened.
    const outcome: SearchOutcome = options.signal?.aborted ? 'aborted' : ended;
    const b = bounds();
    const indices = (v: string): number[] =>
      [...known]
        .filter(([, x]) => x === v)
        .map(([i]) => i)
        .sort((a, c) => a - c);
    return {
      outcome,
      lastGood: b.lastGood,
      firstBad: Math.min(b.firstBad, n - 1),
      steps,
      skipped: indices('skip'),
      unsure: indices('unsure'),
      budgetSpent,
    };
  };

  // The bad revision first: without a leak there, there is nothing to look for.
  if (!(await settle(n - 1, 'bad'))) return result(options.signal?.aborted ? 'aborted' : 'range');
  const badVerdict = known.get(n - 1);
  if (badVerdict === 'pass') return result('bad-clean');
  if (badVerdict === 'unsure') return result('bad-unsure');
  if (badVerdict === 'skip') return result('bad-unmeasurable');

  for (;;) {
    const { lastGood, firstBad } = bounds();
    const open: number[] = [];
    for (let i = lastGood + 1; i < firstBad; i++) if (!known.has(i)) open.push(i);
    if (open.length > 0) {
      // The open commit nearest the middle of the range (the lower one on a tie).
      const middle = (lastGood + firstBad) / 2;
      let pick = open[0] as number;
      for (const i of open) if (Math.abs(i - middle) < Math.abs(pick - middle)) pick = i;
      if (!(await settle(pick, 'bisect'))) break;
      continue;
    }
    // Nothing left to bisect: confirm the boundary before naming it, the first bad commit first
    // (it is the one named), then the last good one when it was measured (not the good revision).
    // A changed verdict moves the boundary, and the loop bisects or confirms again from there.
    const next = [firstBad, lastGood].find((i) => i >= 0 && i < n && !confirmed.has(i));
    if (next === undefined) break;
    confirmed.add(next);
    if (!(await settle(next, 'confirm'))) break;
  }
  if (options.signal?.aborted) return result('aborted');
  const { lastGood, firstBad } = bounds();
  const exact =
    firstBad === lastGood + 1 && confirmed.has(firstBad) && (lastGood < 0 || confirmed.has(lastGood));
  return result(exact ? 'found' : 'range');
}
