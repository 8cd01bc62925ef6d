/**
 * `leakcheck bisect` as a library call: list the commits between a good and a bad revision,
 * measure the good one once (its runs are the baseline every step is compared with), then let the
 * search measure candidates in temporary worktrees with compare's machinery, and name the first
 * commit that adds a leak, with the dependencies it changed. Every worktree is removed at the end,
 * whatever happened. bisect.json is built from what was measured in ./build.ts and written here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config/types';
import { perRunConfig, perRunWindow } from '../compare/run';
import { GitError } from '../compare/git';
import {
  checkoutRevision,
  decideDifferences,
  measureRun,
  metricDifferences,
  type Checkout,
  type InstallRecord,
  type MeasureFailure,
} from '../compare/measure';
import { commitReader } from '../compare/git';
import { dependencyChanges } from '../deps/changes';
import { UsageError } from '../errors';
import type { Report } from '../report/report';
import { redactText } from '../report/redact';
import { bisectOutcome, buildBisectReport, stepReport } from './build';
import { bisectRange } from './range';
import {
  defaultBudget,
  searchFirstBad,
  type Candidate,
  type Measurement,
  type SearchResult,
  type StepRole,
} from './search';
import type { BisectReport, BisectStepReport } from './report';

/** Runs per measurement of one revision: the least that measures how much runs of the same code differ. */
export const DEFAULT_RUNS = 2;

/** Options of {@link bisectLeak}. */
export interface BisectOptions {
  /** A revision without the leak. */
  good: string;
  /** A revision with it (default HEAD). */
  bad?: string;
  /** The service's folder (the configuration's folder) in the current checkout. */
  baseDir: string;
  command?: string[] | string;
  /** Install command for each checkout; "none" for none; undefined picks by lock file. */
  install?: string;
  installTimeoutMs?: number;
  /** Every commit (`git rev-list`), not only the first-parent line. */
  allCommits?: boolean;
  /** Most measured steps (default ⌈log2(commits)⌉ + 3). */
  maxSteps?: number;
  /** Runs per measurement of a revision (default 2); each gets 1/runs of the run windows. */
  runs?: number;
  version?: string;
  signal?: AbortSignal;
  onEvent?: (event: BisectEvent) => void;
}

/** Progress of a bisect, for the terminal. */
export type BisectEvent =
  | { kind: 'range'; commits: number; firstParent: boolean; maxSteps: number }
  | { kind: 'baseline'; sha: string }
  | { kind: 'install'; sha: string; command: string | null; why: string }
  | { kind: 'run'; sha: string; run: number; of: number }
  | { kind: 'step'; step: BisectStepReport; open: number };

/** A finished bisect. */
export interface BisectResult {
  report: BisectReport;
  outDir: string;
  reportFile: string;
}

/**
 * Finds the first commit between `options.good` and `options.bad` that adds a leak. Bad refs, a
 * good revision that is not an ancestor of the bad one, and a good revision that leaks itself are
 * usage errors ({@link UsageError}); install, start and git trouble end in an `error` outcome.
 *
 * @param config - the validated configuration (used for every revision)
 * @param options - the range, install, budget
 * @returns the report and where it was written
 */
export async function bisectLeak(config: Config, options: BisectOptions): Promise<BisectResult> {
  const started = performance.now();
  const runs = options.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 2) {
    throw new UsageError(`--runs ${runs}: expected a whole number, 2 or more (one run cannot measure noise)`);
  }
  const command = options.command ?? config.command;
  if (!command || command.length === 0) {
    throw new UsageError(
      'no command to start: give it after -- (leakcheck bisect --good v1.2.0 -- node server.js) or as "command" in the config',
    );
  }
  const { topLevel, relDir, good, bad, commits, firstParent } = await bisectRange(options);
  const maxSteps = options.maxSteps ?? defaultBudget(commits.length);
  const outDir = path.resolve(config.out);
  fs.mkdirSync(outDir, { recursive: true });
  const warnings: string[] = [];
  const commandText = Array.isArray(command) ? command.join(' ') : command;
  if (commandText.includes(topLevel)) {
    warnings.push(
      `the command names a path inside the checkout (${redactText(topLevel)}): every revision may start the same code; use paths relative to the service folder`,
    );
  }
  const emit = options.onEvent ?? ((): void => undefined);
  emit({ kind: 'range', commits: commits.length, firstParent, maxSteps });

  const checkouts = new Map<string, Checkout>();
  const installs: InstallRecord[] = [];
  let measureMs = 0;
  const baseline: Report[] = [];
  const candidateReports = new Map<string, Report[]>();
  /** Commits confirmed at the boundary: their remeasures keep the attribution too. */
  const confirming = new Set<string>();
  const stepExtras = new Map<string, { installMs: number; ms: number; runDirs: string[] }>();
  let failure: MeasureFailure | undefined;
  let search: SearchResult | null = null;
  let goodLeaks: string | null = null;
  let aborted = false;

  const open = async (sha: string, label: string): Promise<Checkout | MeasureFailure | 'aborted'> => {
    const have = checkouts.get(sha);
    if (have) return have;
    // Two worktrees at most: a re-measurement is nearly always of one of the last two commits.
    while (checkouts.size >= 2) {
      const [oldest, co] = checkouts.entries().next().value as [string, Checkout];
      checkouts.delete(oldest);
      await co.remove();
    }
    const outcome = await checkoutRevision(sha, {
      topLevel,
      relDir,
      install: options.install,
      installTimeoutMs: options.installTimeoutMs,
      logFile: path.join(outDir, 'install', `${sha.slice(0, 12)}.log`),
      label,
      signal: options.signal,
      onInstall: (cmd, why) => emit({ kind: 'install', sha, command: cmd, why }),
    });
    if (outcome.kind !== 'ready') installs.push(outcome.install);
    if (outcome.kind === 'aborted') return 'aborted';
    if (outcome.kind === 'failed') return outcome.failure;
    installs.push(outcome.checkout.install);
    checkouts.set(sha, outcome.checkout);
    return outcome.checkout;
  };
  /** `runs` measured runs of one revision; their reports, or why there are none. */
  const measureRevision = async (
    sha: string,
    dir: string,
    side: 'base' | 'head',
    attempt: number,
    boundary: boolean,
  ): Promise<{ reports: Report[]; ms: number; runDirs: string[] } | MeasureFailure | 'aborted'> => {
    const reports: Report[] = [];
    const runDirs: string[] = [];
    let ms = 0;
    for (let i = 1; i <= runs; i++) {
      emit({ kind: 'run', sha, run: i, of: runs });
      const runDir = path.join(outDir, 'runs', `${sha.slice(0, 12)}-${attempt}-${i}`);
      const measured = await measureRun({
        side,
        pair: (attempt - 1) * runs + i,
        order: i,
        dir,
        runDir,
        command,
        config: withSnapshots(perRunConfig(config, runs, runDir), boundary),
        signal: options.signal,
        version: options.version,
        ...(boundary ? {} : { skipAttributionAfterVerdict: AWAY_FROM_BOUNDARY }),
      });
      ms += measured.run.ms;
      runDirs.push(path.relative(outDir, runDir));
      if (measured.aborted) return 'aborted';
      if (measured.failure) return measured.failure;
      reports.push(measured.report);
    }
    measureMs += ms;
    return { reports, ms, runDirs };
  };

  try {
    // The good revision, once: every step is compared with these runs.
    emit({ kind: 'baseline', sha: good.sha });
    const goodCheckout = await open(good.sha, `the good revision ${good.ref}`);
    if (goodCheckout === 'aborted') aborted = true;
    else if (!('serviceDir' in goodCheckout)) failure = prefix(goodCheckout, `good revision ${good.ref}`);
    else {
      const measured = await measureRevision(good.sha, goodCheckout.serviceDir, 'base', 1, false);
      if (measured === 'aborted') aborted = true;
      else if (!('reports' in measured)) failure = prefix(measured, `good revision ${good.ref}`);
      else {
        baseline.push(...measured.reports);
        if (baseline.every((r) => r.verdict === 'leak')) {
          goodLeaks = baseline[0]?.summary ?? 'every run leaks';
        }
      }
      checkouts.delete(good.sha);
      await goodCheckout.remove();
    }

    if (!failure && !aborted && goodLeaks === null) {
      const measurer = async (c: Candidate, attempt: number, role: StepRole): Promise<Measurement> => {
        const installBefore = installs.reduce((s, i) => s + i.ms, 0);
        const co = await open(c.sha, `commit ${c.sha.slice(0, 12)}`);
        const installMs = installs.reduce((s, i) => s + i.ms, 0) - installBefore;
        const done = (m: Measurement, ms: number, runDirs: string[]): Measurement => {
          stepExtras.set(`${c.sha} ${attempt}`, { installMs, ms, runDirs });
          return m;
        };
        if (co === 'aborted') return done({ verdict: 'skip', reason: 'interrupted', runs: 0 }, 0, []);
        if (!('serviceDir' in co)) {
          return done({ verdict: 'skip', reason: redactText(co.message), runs: 0 }, 0, []);
        }
        const boundary = role === 'confirm' || (role === 'remeasure' && confirming.has(c.sha));
        if (role === 'confirm') confirming.add(c.sha);
        const measured = await measureRevision(c.sha, co.serviceDir, 'head', attempt, boundary);
        if (measured === 'aborted') return done({ verdict: 'skip', reason: 'interrupted', runs: 0 }, 0, []);
        if (!('reports' in measured)) {
          checkouts.delete(c.sha);
          await co.remove();
          return done(
            { verdict: 'skip', reason: `did not start or measure: ${redactText(measured.message)}`, runs: 0 },
            0,
            [],
          );
        }
        const all = [...(candidateReports.get(c.sha) ?? []), ...measured.reports];
        candidateReports.set(c.sha, all);
        const differences = metricDifferences(baseline, all, config.analysis.confidence);
        const { verdict, decidedBy } = decideDifferences(differences, false);
        const d =
          differences.find((x) => x.metric === decidedBy?.metric) ??
          differences.find((x) => x.metric === 'heapUsed');
        return done(
          {
            verdict: verdict === 'error' ? 'skip' : verdict,
            reason: decidedBy?.reason ?? 'no metric measured',
            runs: all.length,
            ...(d
              ? { growth: { metric: d.metric, unit: d.unit, mean: d.mean, low: d.low, high: d.high } }
              : {}),
          },
          measured.ms,
          measured.runDirs,
        );
      };
      search = await searchFirstBad(commits, measurer, {
        maxSteps,
        signal: options.signal,
        onStep: (s) =>
          emit({ kind: 'step', step: stepReport(s, commits, stepExtras), open: s.firstBad - s.lastGood - 1 }),
      });
      if (search.outcome === 'aborted') aborted = true;
    }
  } catch (err) {
    if (!(err instanceof GitError)) throw err;
    failure = { message: err.message, logTail: [] };
  } finally {
    for (const co of checkouts.values()) await co.remove();
    checkouts.clear();
  }
  if (goodLeaks !== null) {
    throw new UsageError(
      `--good ${good.ref} (${good.sha.slice(0, 12)}) leaks too: ${redactText(goodLeaks)}; give an older revision without the leak`,
    );
  }

  const { outcome, failure: why, range } = bisectOutcome(commits, good.sha, search, aborted, failure);
  // The dependencies the named change (or range) moved, read from the two revisions' lock files.
  const dependencies = range
    ? await dependencyChanges(
        commitReader(topLevel, range.lastGood),
        commitReader(topLevel, range.firstBad),
        relDir,
      )
    : undefined;
  const report = buildBisectReport({
    outcome,
    failure: why,
    range,
    commits,
    search,
    stepExtras,
    dependencies,
    badReports: range ? (candidateReports.get(range.firstBad) ?? []) : [],
    good: { ref: options.good, sha: good.sha },
    bad: { ref: options.bad ?? 'HEAD', sha: bad.sha },
    firstParent,
    baseline,
    maxSteps,
    perRun: { runs, ...perRunWindow(config, runs) },
    warnings,
    version: options.version,
    timings: {
      installMs: installs.reduce((s, i) => s + i.ms, 0),
      measureMs: Math.round(measureMs),
      totalMs: Math.round(performance.now() - started),
    },
  });
  const reportFile = path.join(outDir, 'bisect.json');
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2) + '\n');
  return { report, outDir, reportFile };
}

/**
 * Why a step away from the boundary looks for nothing after its verdict: only the named commit's
 * findings are reported, and the profiles and snapshots that follow a leak verdict cost seconds per
 * run (bench/results-bisect.md). Every step is measured alike (attribution, when it runs, runs in
 * a new process after the verdict).
 */
const AWAY_FROM_BOUNDARY =
  'this bisect step needs only its verdict (the boundary is confirmed with attribution)';

/**
 * Heap snapshots cost seconds per run and only serve the named commit's retainer paths: they are
 * taken on the boundary's confirmation ('auto', or as configured), never on the other steps
 * unless the configuration says 'always'.
 */
function withSnapshots(config: Config, wanted: boolean): Config {
  if (wanted || config.attribution.snapshots === 'always') return config;
  return { ...config, attribution: { ...config.attribution, snapshots: 'never' } };
}

function prefix(f: MeasureFailure, what: string): MeasureFailure {
  return { ...f, message: `${what}: ${f.message}` };
}
