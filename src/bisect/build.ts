/**
 * bisect.json from what a bisect measured: the outcome and the range it names, each step's
 * record, the summary line and the exit code. Pure: the search's result and the runs' reports in,
 * the BisectReport out (./run.ts measures, reads the dependency changes and writes the file).
 */
import type { MeasureFailure } from '../compare/measure';
import { blameSentence, packagesInFindings, type DependencyChanges } from '../deps/changes';
import { growthFindings } from '../deps/render';
import { exitCodeFor } from '../outcome';
import type { Report } from '../report/report';
import {
  BISECT_SCHEMA_VERSION,
  type BisectOutcome,
  type BisectReport,
  type BisectStepReport,
} from './report';
import type { Candidate, SearchResult, SearchStep } from './search';

/** What a step's record adds to the search's: install and measuring time, the runs' folders. */
export type StepExtras = ReadonlyMap<string, { installMs: number; ms: number; runDirs: string[] }>;

/**
 * How the bisect ended and the commit or range it names.
 *
 * @param commits - the range's commits, oldest first
 * @param goodSha - the good revision
 * @param search - the search's result (null when it did not run)
 * @param aborted - interrupted
 * @param failure - why a revision could not be measured, or git failed
 * @returns the outcome, the failure (the bad revision's when it could not be measured), the range
 */
export function bisectOutcome(
  commits: readonly Candidate[],
  goodSha: string,
  search: SearchResult | null,
  aborted: boolean,
  failure: MeasureFailure | undefined,
): { outcome: BisectOutcome; failure: MeasureFailure | undefined; range: BisectReport['range'] } {
  const outcome: BisectOutcome = aborted
    ? 'aborted'
    : failure
      ? 'error'
      : search
        ? search.outcome === 'bad-unmeasurable'
          ? 'error'
          : search.outcome
        : 'error';
  const why =
    !failure && search?.outcome === 'bad-unmeasurable'
      ? {
          message: `the bad revision could not be measured: ${search.steps[0]?.measurement.reason ?? ''}`,
          logTail: [],
        }
      : failure;
  const named = outcome === 'found' || outcome === 'range';
  const firstBadIndex = search?.firstBad ?? commits.length - 1;
  const lastGoodIndex = search?.lastGood ?? -1;
  const range = named
    ? {
        lastGood: lastGoodIndex < 0 ? goodSha : (commits[lastGoodIndex] as Candidate).sha,
        firstBad: (commits[firstBadIndex] as Candidate).sha,
        commits: commits.slice(lastGoodIndex + 1, firstBadIndex + 1),
      }
    : null;
  return { outcome, failure: why, range };
}

/** Everything bisect.json is built from. */
export interface BisectFacts {
  outcome: BisectOutcome;
  failure: MeasureFailure | undefined;
  range: BisectReport['range'];
  commits: readonly Candidate[];
  search: SearchResult | null;
  stepExtras: StepExtras;
  /** What the named change moved in the lock files (absent when nothing was named). */
  dependencies: DependencyChanges | undefined;
  /** The runs of the first bad commit (their findings name the packages to blame). */
  badReports: readonly Report[];
  good: { ref: string; sha: string };
  bad: { ref: string; sha: string };
  firstParent: boolean;
  baseline: readonly Report[];
  maxSteps: number;
  perRun: BisectReport['perRun'];
  warnings: string[];
  version?: string;
  timings: BisectReport['timings'];
}

/**
 * The bisect.json object.
 *
 * @param f - what the bisect found and measured
 * @returns the report, with its summary line and exit code
 */
export function buildBisectReport(f: BisectFacts): BisectReport {
  const { outcome, range, commits, search } = f;
  const steps = search ? search.steps.map((s) => stepReport(s, commits, f.stepExtras)) : [];
  const firstBad = outcome === 'found' ? (commits[search?.firstBad ?? commits.length - 1] ?? null) : null;
  const lastReport = f.badReports[f.badReports.length - 1];
  const blame = range ? blameSentence(packagesInFindings(lastReport?.findings), f.dependencies) : null;
  // Naming a commit or range is the bisect's "leak"; the outcome module maps it to the exit code.
  const verdict =
    outcome === 'found' || outcome === 'range'
      ? 'leak'
      : outcome === 'bad-clean'
        ? 'pass'
        : outcome === 'bad-unsure'
          ? 'inconclusive'
          : 'error';
  return {
    schemaVersion: BISECT_SCHEMA_VERSION,
    kind: 'bisect',
    tool: { name: 'leakcheck', version: f.version ?? '0.0.0' },
    createdAt: new Date().toISOString(),
    outcome,
    exitCode: exitCodeFor(verdict, 'leak', outcome === 'aborted'),
    summary: summarise(outcome, firstBad, range, search, f.failure, blame),
    good: f.good,
    bad: f.bad,
    firstParent: f.firstParent,
    commits: commits.length,
    firstBad,
    range,
    steps,
    skipped: (search?.skipped ?? []).map((i) => {
      const c = commits[i] as Candidate;
      return { sha: c.sha, reason: [...steps].reverse().find((s) => s.sha === c.sha)?.reason ?? '' };
    }),
    unsure: (search?.unsure ?? []).map((i) => (commits[i] as Candidate).sha),
    baseline: { runs: f.baseline.length, verdicts: f.baseline.map((r) => r.verdict) },
    ...(f.dependencies ? { dependencies: f.dependencies } : {}),
    ...(blame ? { blame } : {}),
    // The largest allocation sites and the largest held object groups: what allocates and what
    // holds can be different packages (express allocates what express-form-data's handler keeps).
    findings: growthFindings(lastReport?.findings ?? [], 5, 3),
    budget: { maxSteps: f.maxSteps, used: steps.length, spent: search?.budgetSpent ?? false },
    perRun: f.perRun,
    ...(f.failure ? { failure: f.failure } : {}),
    warnings: f.warnings,
    timings: f.timings,
  };
}

/**
 * One step's record: the search's step with its commit, timings and run folders.
 *
 * @param s - a step of the search
 * @param commits - the range's commits
 * @param extras - install and measuring time and run folders, by "sha attempt"
 * @returns the record in bisect.json (and the terminal's progress)
 */
export function stepReport(
  s: SearchStep,
  commits: readonly Candidate[],
  extras: StepExtras,
): BisectStepReport {
  const c = commits[s.index] as Candidate;
  const extra = extras.get(`${s.sha} ${s.attempt}`);
  return {
    step: s.step,
    sha: s.sha,
    subject: c.subject,
    position: s.index + 1,
    role: s.role,
    attempt: s.attempt,
    verdict: s.measurement.verdict,
    reason: s.measurement.reason,
    runs: s.measurement.runs,
    ...(s.measurement.growth ? { growth: s.measurement.growth } : {}),
    open: { lastGood: s.lastGood + 1, firstBad: s.firstBad + 1 },
    installMs: Math.round(extra?.installMs ?? 0),
    ms: Math.round(extra?.ms ?? 0),
    runDirs: extra?.runDirs ?? [],
  };
}

function summarise(
  outcome: BisectOutcome,
  firstBad: Candidate | null,
  range: BisectReport['range'],
  search: SearchResult | null,
  failure: MeasureFailure | undefined,
  blame: string | null,
): string {
  const tail = blame ? `; ${blame}` : '';
  switch (outcome) {
    case 'found':
      return `FIRST LEAKING COMMIT: ${(firstBad as Candidate).sha.slice(0, 12)} ${(firstBad as Candidate).subject}${tail}`;
    case 'range': {
      const n = range?.commits.length ?? 0;
      const why =
        search?.budgetSpent === true
          ? 'the step budget ran out (raise --max-steps)'
          : [
              search && search.skipped.length > 0
                ? `${search.skipped.length} commit(s) could not be measured`
                : '',
              search && search.unsure.length > 0 ? `${search.unsure.length} stayed inconclusive` : '',
            ]
              .filter(Boolean)
              .join(', ') || 'the boundary was not confirmed';
      return `LEAK ADDED IN A RANGE: one of ${n} commit(s) after ${(range?.lastGood ?? '').slice(0, 12)} up to ${(range?.firstBad ?? '').slice(0, 12)} (${why})${tail}`;
    }
    case 'bad-clean':
      return 'NO LEAK: the bad revision adds no growth over the good one';
    case 'bad-unsure':
      return 'INCONCLUSIVE: the bad revision does not clearly leak against the good one, even measured again; nothing to search';
    case 'aborted':
      return 'no result: the bisect was interrupted';
    default:
      return `no result: ${failure?.message ?? 'a step failed'}`;
  }
}
