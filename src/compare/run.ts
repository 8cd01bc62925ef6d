/**
 * `leakcheck compare` as a library call: check the merge base out in a temporary worktree, install
 * it, then measure base and head in alternating runs with the same configuration and traffic, and
 * judge the difference. The worktree is removed at the end, whatever happened.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REQUESTS } from '../analysis/axis';
import { formatRate } from '../analysis/format';
import type { Config } from '../config/types';
import { FIXED_WINDOW, measurementWindow } from '../config/adapt';
import { UsageError } from '../errors';
import { exitCodeFor, type FailOn } from '../outcome';
import type { Report, ReportVerdict } from '../report/report';
import { prepareOutDir } from '../report/files';
import { redactReport } from '../report/redact';
import { blameSentence, dependencyChanges, packagesInFindings } from '../deps/changes';
import { commitReader, resolveRevisions, workingTreeReader } from './git';
import {
  checkoutRevision,
  decideDifferences,
  exhaustionFinding,
  labelOf,
  measureRun,
  metricDifferences,
  type Checkout,
} from './measure';
import { DEFAULT_MAX_PAIRS, lookConfidence, MIN_PAIRS, stopAfter, type PairPlan } from './looks';
import {
  COMPARE_SCHEMA_VERSION,
  type CompareReport,
  type CompareRun,
  type PairLook,
  type PreExistingLeak,
  type RunWindow,
} from './report';

/**
 * Pairs a run's window is split over: the least that measures how much runs of the same code
 * differ. With `--pairs` the window is split over that many instead.
 */
export const DEFAULT_PAIRS = MIN_PAIRS;

/**
 * Why a base run attributes nothing after its verdict: the comparison reports the last head run's
 * findings only, and attribution after a leak verdict starts the service again.
 */
const BASE_NEEDS_VERDICT = "a base run needs only its verdict (the comparison shows the head's findings)";

/** Options of {@link compareWithBase}. */
export interface CompareOptions {
  /** The base branch or commit; the merge base of HEAD and it is measured. */
  baseRef: string;
  /** Folder the configuration's relative paths resolve against (the head's service folder). */
  baseDir: string;
  command?: string[] | string;
  /** A fixed number of pairs (at least 2), judged once at the end; default: stop early. */
  pairs?: number;
  /** Without `pairs`: the most pairs to run, looking after each from the second (default 4). */
  maxPairs?: number;
  /** Install command for the base checkout; "none" for none; undefined picks by lock file. */
  install?: string;
  /** Bound on the install (default 10 minutes). */
  installTimeoutMs?: number;
  failOn?: FailOn;
  version?: string;
  signal?: AbortSignal;
  /** Told when each step starts, for progress lines. */
  onStep?: (step: CompareStep) => void;
}

/** A step of the comparison, for progress output. */
export type CompareStep =
  | { kind: 'install'; command: string | null; why: string }
  | { kind: 'run'; side: 'base' | 'head'; pair: number; order: number; total: number }
  | { kind: 'ran'; run: CompareRun }
  | { kind: 'look'; pairs: number; confidence: number; verdict: ReportVerdict };

/** A finished comparison. */
export interface CompareResult {
  report: CompareReport;
  /** Folder everything was written to. */
  outDir: string;
  /** compare.json. */
  reportFile: string;
  /** The last head run's report (for renderers that show one run: chart, findings, traffic). */
  headReport: Report | null;
}

/**
 * The configuration of one run of the comparison: the measured budget of a single run (warm-up,
 * duration, request bounds) split evenly over the pairs, so the whole comparison measures each
 * side for as long as one `leakcheck run` would.
 *
 * @param config - the validated configuration
 * @param pairs - pairs of runs
 * @param outDir - this run's report folder
 * @returns the run's configuration
 */
export function perRunConfig(config: Config, pairs: number, outDir: string): Config {
  const w = perRunWindow(config, pairs);
  return {
    ...config,
    out: outDir,
    run: {
      ...config.run,
      warmupSeconds: w.warmupSeconds,
      durationSeconds: w.durationSeconds,
      warmupRequests: w.warmupRequests,
      requests: w.requests,
    },
  };
}

/**
 * What one of `split` runs measures, for the report: its share of the seconds, or of the requests
 * when the windows are bounded by requests (as {@link perRunConfig} splits them).
 *
 * @param config - the validated configuration
 * @param split - runs the window is split over
 * @returns the per-run window
 */
export function perRunWindow(config: Config, split: number): RunWindow {
  const count = (v: number | undefined): number | undefined =>
    v === undefined ? undefined : Math.max(1, Math.ceil(v / split));
  const warmupRequests = count(config.run.warmupRequests);
  const requests = count(config.run.requests);
  return {
    warmupSeconds: pairWindow(config).warmupSeconds / split,
    durationSeconds: pairWindow(config).durationSeconds / split,
    ...(warmupRequests !== undefined ? { warmupRequests } : {}),
    ...(requests !== undefined ? { requests } : {}),
  };
}

/**
 * The window the pairs share: the configured fixed window, or the fixed-window defaults (the
 * comparison's pairs measure fixed windows; each one's requests are paired with the other side's).
 * Bisect's runs use the same.
 *
 * @param config - the validated configuration
 * @returns warm-up and measured seconds of one whole run
 */
export function pairWindow(config: Config): { warmupSeconds: number; durationSeconds: number } {
  const w = measurementWindow(config);
  return w.sequential ? { ...FIXED_WINDOW } : w;
}

/**
 * Measures the merge base of HEAD and `options.baseRef` against the head, in alternating runs.
 * Throws {@link UsageError} for a bad ref or folder; target and install trouble end in an `error`
 * verdict (exit 3) with the reason, like a single run.
 *
 * @param config - the head's validated configuration (used for both sides)
 * @param options - base ref, pairs, install
 * @returns the report and where it was written
 */
export async function compareWithBase(config: Config, options: CompareOptions): Promise<CompareResult> {
  const started = performance.now();
  const plan: PairPlan =
    options.pairs !== undefined
      ? { mode: 'fixed', maxPairs: options.pairs }
      : { mode: 'sequential', maxPairs: options.maxPairs ?? DEFAULT_MAX_PAIRS };
  if (!Number.isInteger(plan.maxPairs) || plan.maxPairs < MIN_PAIRS) {
    const flag = plan.mode === 'fixed' ? '--pairs' : '--max-pairs';
    throw new UsageError(
      `${flag} ${plan.maxPairs}: expected a whole number, 2 or more (one pair cannot measure noise)`,
    );
  }
  // Each run measures 1/split of the window: --pairs splits it over the pairs; stopping early,
  // every pair gets what one of the default two gets, however many pairs it takes.
  const split = plan.mode === 'fixed' ? plan.maxPairs : DEFAULT_PAIRS;
  const looks: PairLook[] = [];
  const failOn = options.failOn ?? 'leak';
  const command = options.command ?? config.command;
  if (!command || command.length === 0) {
    throw new UsageError(
      'no command to start: give it after -- (leakcheck compare --base main -- node server.js) or as "command" in the config',
    );
  }
  const headBaseDir = fs.realpathSync(path.resolve(options.baseDir));
  const rev = await resolveRevisions(headBaseDir, options.baseRef);
  const relDir = path.relative(rev.topLevel, headBaseDir);
  if (relDir.startsWith('..') || path.isAbsolute(relDir)) {
    throw new UsageError(`${headBaseDir}: the service folder is outside the git repository ${rev.topLevel}`);
  }
  const outDir = path.resolve(config.out);
  prepareOutDir(outDir);
  const warnings: string[] = [];
  const commandText = Array.isArray(command) ? command.join(' ') : command;
  if (commandText.includes(rev.topLevel)) {
    warnings.push(
      `the command names a path inside the head checkout (${rev.topLevel}): the base runs may start the head's code; use paths relative to the service folder`,
    );
  }
  if (rev.mergeBase === rev.head && !rev.dirty) {
    warnings.push(`HEAD is the merge base with ${options.baseRef}: base and head are the same code`);
  }

  const runs: CompareRun[] = [];
  const reports: Array<{ side: 'base' | 'head'; pair: number; report: Report }> = [];
  let failure: CompareReport['failure'];
  let aborted = false;
  let install: CompareReport['base']['install'] = { command: null, why: '', ok: false, ms: 0 };
  let checkout: Checkout | null = null;
  try {
    const outcome = await checkoutRevision(rev.mergeBase, {
      topLevel: rev.topLevel,
      relDir,
      install: options.install,
      installTimeoutMs: options.installTimeoutMs,
      logFile: path.join(outDir, 'base-install.log'),
      label: 'the base',
      where: 'the merge base',
      signal: options.signal,
      onInstall: (cmd, why) => options.onStep?.({ kind: 'install', command: cmd, why }),
    });
    if (outcome.kind === 'ready') {
      checkout = outcome.checkout;
      install = checkout.install;
    } else {
      install = outcome.install;
      if (outcome.kind === 'aborted') aborted = true;
      else failure = outcome.failure;
    }
    if (checkout) {
      const sides = { base: checkout.serviceDir, head: headBaseDir } as const;
      let order = 0;
      outer: for (let pair = 1; pair <= plan.maxPairs; pair++) {
        // Flipping the order every other pair (base-head, head-base, ...) spreads a steady drift
        // in the machine's speed over both sides instead of always favouring one.
        const sequence: Array<'base' | 'head'> = pair % 2 === 1 ? ['base', 'head'] : ['head', 'base'];
        for (const side of sequence) {
          order++;
          options.onStep?.({ kind: 'run', side, pair, order, total: plan.maxPairs * 2 });
          const runDir = path.join(outDir, 'runs', `${String(pair).padStart(2, '0')}-${side}`);
          const measured = await measureRun({
            side,
            pair,
            order,
            dir: sides[side],
            runDir,
            command,
            config: perRunConfig(config, split, runDir),
            signal: options.signal,
            version: options.version,
            ...(side === 'base' ? { skipAttributionAfterVerdict: BASE_NEEDS_VERDICT } : {}),
          });
          runs.push(measured.run);
          reports.push({ side, pair, report: measured.report });
          options.onStep?.({ kind: 'ran', run: measured.run });
          if (measured.aborted) {
            aborted = true;
            break outer;
          }
          if (measured.failure) {
            failure = { ...measured.failure, message: `${side} run ${pair}: ${measured.failure.message}` };
            break outer;
          }
        }
        // A head run that drained a resource no base run did decides at once: it is not a noisy
        // estimate that more pairs would sharpen.
        if (plan.mode === 'sequential' && exhaustionFinding(reports)?.side === 'head') {
          looks.push({ pairs: pair, confidence: config.analysis.confidence, verdict: 'leak' });
          options.onStep?.({
            kind: 'look',
            pairs: pair,
            confidence: config.analysis.confidence,
            verdict: 'leak',
          });
          break;
        }
        if (plan.mode === 'sequential' && pair >= MIN_PAIRS) {
          const level = lookConfidence(pair, plan, config.analysis.confidence);
          const side = (s: 'base' | 'head'): Report[] =>
            reports.filter((r) => r.side === s).map((r) => r.report);
          const { verdict } = decideDifferences(metricDifferences(side('base'), side('head'), level), false);
          looks.push({ pairs: pair, confidence: level, verdict });
          options.onStep?.({ kind: 'look', pairs: pair, confidence: level, verdict });
          if (stopAfter(pair, verdict, plan)) break;
        }
      }
    }
  } finally {
    await checkout?.remove();
  }

  const completePairs = [...new Set(reports.map((r) => r.pair))].filter(
    (p) => reports.filter((r) => r.pair === p).length === 2,
  );
  const sideReports = (side: 'base' | 'head'): Report[] =>
    reports.filter((r) => r.side === side && completePairs.includes(r.pair)).map((r) => r.report);
  const finalConfidence = lookConfidence(completePairs.length, plan, config.analysis.confidence);
  const differences =
    failure || aborted ? [] : metricDifferences(sideReports('base'), sideReports('head'), finalConfidence);
  const preExisting: PreExistingLeak[] = differences
    .filter((d) => d.gating && d.baseLeaks)
    .map((d) => ({
      metric: d.metric,
      perRequest: d.base.mean,
      reason: `every base run (${d.base.runs}) already leaks ${labelOf(d.metric)}: ${formatRate(d.base.mean, d.unit, REQUESTS)} on average`,
    }));
  const decided: { verdict: ReportVerdict; decidedBy: CompareReport['decidedBy'] } = decideDifferences(
    differences,
    failure !== undefined || aborted,
  );
  const exhaustion = failure || aborted ? null : exhaustionFinding(reports);
  if (exhaustion?.side === 'head') {
    decided.verdict = 'leak';
    decided.decidedBy = exhaustion.decidedBy;
  } else if (exhaustion?.side === 'both') {
    preExisting.push({ metric: exhaustion.metric, perRequest: 0, reason: exhaustion.reason });
  }
  const { verdict, decidedBy } = decided;
  const dependencies = await dependencyChanges(
    commitReader(rev.topLevel, rev.mergeBase),
    workingTreeReader(rev.topLevel),
    relDir,
  );
  const lastHead = [...reports].reverse().find((r) => r.side === 'head');
  const blame =
    verdict === 'leak' ? blameSentence(packagesInFindings(lastHead?.report.findings), dependencies) : null;
  const exitCode = exitCodeFor(verdict, failOn, aborted);
  const report: CompareReport = {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: 'compare',
    tool: { name: 'leakcheck', version: options.version ?? '0.0.0' },
    createdAt: new Date().toISOString(),
    verdict,
    exitCode,
    summary: summarise(verdict, decidedBy, preExisting, failure, aborted) + (blame ? `; ${blame}` : ''),
    decidedBy,
    base: { ref: options.baseRef, commit: rev.mergeBase, install },
    head: { commit: rev.head, dirty: rev.dirty, dir: headBaseDir },
    pairs: completePairs.length,
    pairPlan: { mode: plan.mode, maxPairs: plan.maxPairs, looks },
    perRun: { ...perRunWindow(config, split), samples: config.run.samples },
    runs,
    differences,
    preExisting,
    failure,
    dependencies,
    ...(blame ? { blame } : {}),
    warnings,
    settings: { failOn, confidence: config.analysis.confidence },
    timings: { installMs: install.ms, totalMs: Math.round(performance.now() - started) },
  };
  const reportFile = path.join(outDir, 'compare.json');
  // The runs' reports are redacted already; the failure's install log tail and the warnings here.
  const safe = redactReport(report);
  fs.writeFileSync(reportFile, JSON.stringify(safe, null, 2) + '\n');
  return { report: safe, outDir, reportFile, headReport: lastHead?.report ?? null };
}

function summarise(
  verdict: ReportVerdict,
  decidedBy: CompareReport['decidedBy'],
  preExisting: readonly PreExistingLeak[],
  failure: CompareReport['failure'],
  aborted: boolean,
): string {
  if (aborted) return 'no verdict: the comparison was interrupted';
  if (verdict === 'error') return `no verdict: ${failure?.message ?? 'a run failed'}`;
  const before =
    preExisting.length > 0
      ? `; the base already leaks (${preExisting.map((p) => labelOf(p.metric)).join(', ')}), which is not this change's doing`
      : '';
  const why = decidedBy?.reason ?? '';
  switch (verdict) {
    case 'leak':
      return `LEAK ADDED: ${why}${before}`;
    case 'pass':
      return `PASS: the head adds no growth beyond the threshold${before}`;
    default:
      return `INCONCLUSIVE: ${why}${before}`;
  }
}
