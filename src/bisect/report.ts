/**
 * The result of `leakcheck bisect`: bisect.json is this object. Each run's own report.json is kept
 * in runs/ beside it.
 */
import type { RunWindow } from '../compare/report';
import type { DependencyChanges } from '../deps/changes';
import type { Finding } from '../report/report';
import type { Candidate, Measurement, StepRole } from './search';

/** Version of the bisect.json layout. */
export const BISECT_SCHEMA_VERSION = 1;

/**
 * found: one commit named; range: the first leaking commit is one of a few (skipped or unsure
 * commits, or the budget, kept it from one); bad-clean: the bad revision does not leak;
 * bad-unsure: it does not clearly leak even measured again; error: a revision could not be
 * measured (the good or the bad one) or git failed; aborted: interrupted.
 */
export type BisectOutcome = 'found' | 'range' | 'bad-clean' | 'bad-unsure' | 'error' | 'aborted';

/** One measurement of the search. */
export interface BisectStepReport {
  step: number;
  sha: string;
  subject: string;
  /** Position of the commit in the range, 1 = oldest after the good revision. */
  position: number;
  /** bad: the bad revision, first; bisect: a midpoint; confirm: the boundary measured again; remeasure: an unsure verdict measured again. */
  role: StepRole;
  /** Measurements of this commit so far, this one included. */
  attempt: number;
  verdict: Measurement['verdict'];
  reason: string;
  /** Runs of the commit behind the verdict (all attempts). */
  runs: number;
  /** Growth per request over the good revision (the deciding metric) with its interval. */
  growth?: Measurement['growth'];
  /** The range still open after the step, as positions: (lastGood, firstBad] (0 = the good revision). */
  open: { lastGood: number; firstBad: number };
  /** Install time for this step (0 when the worktree was reused or install is off). */
  installMs: number;
  /** Measured runs' time for this step. */
  ms: number;
  /** The runs' report folders, relative to bisect.json. */
  runDirs: string[];
}

/** The outcome of a bisect. */
export interface BisectReport {
  schemaVersion: typeof BISECT_SCHEMA_VERSION;
  kind: 'bisect';
  tool: { name: 'leakcheck'; version: string };
  createdAt: string;
  outcome: BisectOutcome;
  exitCode: number;
  /** One line for humans. */
  summary: string;
  good: { ref: string; sha: string };
  bad: { ref: string; sha: string };
  /** First-parent history (the default) or every commit (--all-commits). */
  firstParent: boolean;
  /** Commits after the good revision up to the bad one. */
  commits: number;
  /** The first commit that adds a leak, when one is named. */
  firstBad: Candidate | null;
  /**
   * Where the first leaking commit is: after `lastGood` (measured good, or the good revision) up
   * to `firstBad` (measured bad); `commits` are those in between, `firstBad` included. One commit
   * when `firstBad` is named.
   */
  range: { lastGood: string; firstBad: string; commits: Candidate[] } | null;
  steps: BisectStepReport[];
  /** Commits that could not be measured (install or start failed), like `git bisect skip`. */
  skipped: Array<{ sha: string; reason: string }>;
  /** Commits whose verdict stayed inconclusive after being measured again. */
  unsure: string[];
  /** The good revision's runs, the baseline of every step. */
  baseline: { runs: number; verdicts: string[] };
  /** Packages whose versions the named commit (or range) changed. */
  dependencies?: DependencyChanges;
  /** When the growth is allocated inside a dependency: which, and whether the change moved it. */
  blame?: string;
  /** The first bad commit's largest growing allocation sites (5) and held object groups (3), from its last run. */
  findings: Finding[];
  /** Measured steps allowed, used, and whether the budget stopped the search. */
  budget: { maxSteps: number; used: number; spent: boolean };
  perRun: RunWindow & { runs: number };
  failure?: { message: string; logTail: string[] };
  warnings: string[];
  /** Installs, measured runs (the baseline included) and everything. */
  timings: { installMs: number; measureMs: number; totalMs: number };
}
