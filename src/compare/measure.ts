/**
 * The measuring machinery `compare` and `bisect` share: check a revision out in a temporary
 * worktree and install it, run one measured run of a side, and turn the runs of two sides into
 * per-metric differences and a verdict.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXHAUSTION_RULE } from '../analysis/exhaustion';
import { isMetricName, METRICS } from '../analysis/metrics';
import type { Config } from '../config/types';
import { checkForLeaks, type CheckOptions } from '../pipeline';
import type { ProcessReport, Report, ReportVerdict } from '../report/report';
import { pairedDifference, type MetricDifference, type RunEstimate } from './difference';
import { addWorktree, type Worktree } from './git';
import { DIED_OF_LEAK, type RunStatus } from '../sampling/run';
import { planInstall, runInstall } from './install';
import type { CompareRun } from './report';

/** How a revision's install went. */
export interface InstallRecord {
  command: string | null;
  why: string;
  ok: boolean;
  ms: number;
}

/** Why a revision could not be measured. */
export interface MeasureFailure {
  message: string;
  logTail: string[];
}

/** A revision checked out and installed, ready to run. */
export interface Checkout {
  /** The service's folder inside the worktree. */
  serviceDir: string;
  commit: string;
  install: InstallRecord;
  /** Removes the worktree; safe to call twice. */
  remove(): Promise<void>;
}

/** Options of {@link checkoutRevision}. */
export interface CheckoutOptions {
  /** The repository's top folder. */
  topLevel: string;
  /** The service's folder relative to the top. */
  relDir: string;
  /** Install command; "none" for none; undefined picks by lock file. */
  install?: string;
  installTimeoutMs?: number;
  /** File receiving the install's output. */
  logFile: string;
  /** Words for the revision in messages ("the base", "candidate 1a2b3c"). */
  label: string;
  /** Words before the commit id in "does not exist at ..." (default: nothing). */
  where?: string;
  signal?: AbortSignal;
  /** Told before the install starts. */
  onInstall?: (command: string | null, why: string) => void;
}

/** What {@link checkoutRevision} ended with: a checkout, or why there is none. */
export type CheckoutOutcome =
  | { kind: 'ready'; checkout: Checkout }
  | { kind: 'failed'; failure: MeasureFailure; install: InstallRecord }
  | { kind: 'aborted'; install: InstallRecord };

/**
 * Checks `commit` out in a temporary worktree and installs it. On any outcome but `ready` the
 * worktree is already removed; on `ready` the caller removes it.
 *
 * @param commit - the commit to check out
 * @param options - where the service lives, how to install
 * @returns the checkout, or the failure
 */
export async function checkoutRevision(commit: string, options: CheckoutOptions): Promise<CheckoutOutcome> {
  let install: InstallRecord = { command: null, why: '', ok: false, ms: 0 };
  const worktree: Worktree = await addWorktree(options.topLevel, commit);
  let keep = false;
  try {
    const serviceDir = path.join(worktree.dir, options.relDir);
    if (!fs.existsSync(serviceDir)) {
      return {
        kind: 'failed',
        install,
        failure: {
          message: `the service folder ${options.relDir || '.'} does not exist at ${options.where ? `${options.where} ` : ''}${commit.slice(0, 12)}`,
          logTail: [],
        },
      };
    }
    const plan = planInstall(serviceDir, worktree.dir, options.install);
    options.onInstall?.(plan.command, plan.why);
    const outcome = await runInstall(
      plan,
      options.logFile,
      options.installTimeoutMs ?? 600_000,
      options.signal,
    );
    install = { command: plan.command, why: plan.why, ok: outcome.ok, ms: Math.round(outcome.ms) };
    if (options.signal?.aborted) return { kind: 'aborted', install };
    if (!outcome.ok) {
      return {
        kind: 'failed',
        install,
        failure: {
          message: `installing ${options.label} failed: \`${plan.command ?? ''}\` exited with code ${outcome.code} (see ${path.basename(options.logFile)})`,
          logTail: outcome.tail,
        },
      };
    }
    keep = true;
    return { kind: 'ready', checkout: { serviceDir, commit, install, remove: worktree.remove } };
  } finally {
    if (!keep) await worktree.remove();
  }
}

/** One measured run to make. */
export interface RunRequest {
  side: 'base' | 'head';
  pair: number;
  order: number;
  /** The service's folder for this side. */
  dir: string;
  /** This run's report folder. */
  runDir: string;
  command: string[] | string;
  /** The run's configuration (see perRunConfig in run.ts). */
  config: Config;
  signal?: AbortSignal;
  version?: string;
  /** Why no profile or snapshot follows the verdict (see CheckOptions); unset: as configured. */
  skipAttributionAfterVerdict?: string;
}

/** A finished run: its summary, its report, and why it cannot be used when that is the case. */
export interface MeasuredRun {
  run: CompareRun;
  report: Report;
  /** Set when the run measured nothing usable (the target failed, served nothing). */
  failure?: MeasureFailure;
  aborted: boolean;
}

/**
 * Makes one measured run of one side, gating nothing (the comparison decides).
 *
 * @param request - which side, where, with which configuration
 * @returns the run
 */
export async function measureRun(request: RunRequest): Promise<MeasuredRun> {
  const started = performance.now();
  const check: CheckOptions = {
    baseDir: request.dir,
    command: request.command,
    failOn: 'never',
    signal: request.signal,
    version: request.version,
    ...(request.skipAttributionAfterVerdict !== undefined
      ? { skipAttributionAfterVerdict: request.skipAttributionAfterVerdict }
      : {}),
  };
  const { report, reportFile } = await checkForLeaks(request.config, check);
  const top: ProcessReport | undefined = report.processes[0];
  const run: CompareRun = {
    side: request.side,
    pair: request.pair,
    order: request.order,
    status: report.status,
    verdict: report.verdict,
    summary: report.summary,
    reportFile,
    requests: top?.requests ?? 0,
    node: report.target.node,
    ms: Math.round(performance.now() - started),
  };
  const aborted = report.status === 'aborted' || request.signal?.aborted === true;
  // A run whose target died of a leak (heap or descriptors) is a finding, not a failure.
  const failure =
    !aborted && !ranOut(report) && (report.status !== 'completed' || !top || top.metrics.length === 0)
      ? {
          message: report.failure?.message ?? 'measured nothing (no process served requests)',
          logTail: report.failure?.logTail ?? [],
        }
      : undefined;
  return { run, report, aborted, ...(failure ? { failure } : {}) };
}

/** Short words for a metric ("heap"). */
export function labelOf(metric: string): string {
  return isMetricName(metric) ? METRICS[metric].label : metric;
}

/**
 * Per-metric differences head − base over the runs of each side, for metrics every run measured.
 *
 * @param base - the base side's reports, in run order (at least 2)
 * @param head - the head side's reports, in run order (at least 2)
 * @param confidence - confidence level of the intervals
 * @returns one difference per metric, empty when a side has fewer than 2 runs
 */
export function metricDifferences(
  base: readonly Report[],
  head: readonly Report[],
  confidence: number,
): MetricDifference[] {
  const estimate = (r: Report, metric: string): (RunEstimate & { gating: boolean }) | null => {
    const m = r.processes[0]?.metrics.find((x) => x.metric === metric);
    if (!m) return null;
    return {
      perRequest: m.perUnit,
      ...m.perUnitInterval,
      span: m.xLast - m.xFirst,
      verdict: m.verdict,
      gating: m.gating,
    };
  };
  const first = base[0]?.processes[0];
  if (!first || base.length < 2 || head.length < 2) return [];
  const out: MetricDifference[] = [];
  for (const m of first.metrics) {
    const b = base.map((r) => estimate(r, m.metric));
    const h = head.map((r) => estimate(r, m.metric));
    if (b.some((e) => e === null) || h.some((e) => e === null)) continue;
    const bs = b as Array<RunEstimate & { gating: boolean }>;
    const hs = h as Array<RunEstimate & { gating: boolean }>;
    out.push(
      pairedDifference(bs, hs, {
        metric: m.metric,
        label: labelOf(m.metric),
        unit: m.unit,
        gating: m.gating || hs.some((e) => e.gating),
        threshold: m.threshold,
        confidence,
      }),
    );
  }
  return out;
}

/**
 * The verdict of a comparison: the first gating metric that leaks, else one that is inconclusive,
 * else a pass decided by the heap.
 *
 * @param differences - the per-metric differences
 * @param failed - a run or the install failed (no verdict)
 * @returns the verdict and the metric that decided it
 */
export function decideDifferences(
  differences: readonly MetricDifference[],
  failed: boolean,
): { verdict: ReportVerdict; decidedBy: { metric: string; reason: string } | null } {
  if (failed) return { verdict: 'error', decidedBy: null };
  const gating = differences.filter((d) => d.gating);
  const pick = (v: ReportVerdict): MetricDifference | undefined => gating.find((d) => d.verdict === v);
  const decider = pick('leak') ?? pick('inconclusive');
  if (decider)
    return { verdict: decider.verdict, decidedBy: { metric: decider.metric, reason: decider.reason } };
  if (gating.length === 0) {
    return {
      verdict: 'inconclusive',
      decidedBy: { metric: 'all', reason: 'no gating metric was measured on both sides' },
    };
  }
  const heap = gating.find((d) => d.metric === 'heapUsed') ?? (gating[0] as MetricDifference);
  return { verdict: 'pass', decidedBy: { metric: heap.metric, reason: heap.reason } };
}

/** What the runs say of a resource running out (`findExhaustion`, or a run that died of it). */
export type ExhaustionFinding =
  | { side: 'head'; decidedBy: { metric: string; rule: string; reason: string } }
  | { side: 'both'; metric: string; reason: string };

/** A report's status is one whose target died of what it kept (`DIED_OF_LEAK`). */
function isDiedOfLeak(status: string): boolean {
  return Object.hasOwn(DIED_OF_LEAK, status as RunStatus);
}

/**
 * How a run ran out, or null: the responses showed a resource drained (a pool's connections), or
 * the target died of heap or file-descriptor exhaustion.
 *
 * @param report - one run's report
 * @returns the rule that called it and why
 */
export function ranOut(report: Report): { metric: string; rule: string; reason: string } | null {
  const exhaustion = report.traffic.exhaustion;
  if (exhaustion) return { metric: 'responses', rule: EXHAUSTION_RULE, reason: exhaustion.reason };
  if (isDiedOfLeak(report.status) && report.verdict === 'leak' && report.decidedBy?.rule)
    return {
      metric: report.decidedBy.metric ?? 'heapUsed',
      rule: report.decidedBy.rule,
      reason: report.decidedBy.reason,
    };
  return null;
}

/**
 * A resource the head's code drains (a pool's connections taken and never given back, memory or
 * descriptors until the service dies) shows in how its runs ended, not in a metric difference:
 * the head leaks when one of its runs ran out and no base run did. When base runs ran out too, it
 * is the base's own.
 *
 * @param reports - every run's report so far, with its side and pair
 * @returns what was found, or null when no run ran out
 */
export function exhaustionFinding(
  reports: ReadonlyArray<{ side: 'base' | 'head'; pair: number; report: Report }>,
): ExhaustionFinding | null {
  const head = reports
    .map((r) => ({ ...r, out: r.side === 'head' ? ranOut(r.report) : null }))
    .find((r) => r.out);
  if (!head?.out) return null;
  const base = reports.filter((r) => r.side === 'base');
  const baseRanOut = base.filter((r) => ranOut(r.report)).length;
  if (baseRanOut > 0)
    return {
      side: 'both',
      metric: head.out.metric,
      reason: `${baseRanOut} of ${base.length} base runs ran out of a resource as well: ${head.out.reason}`,
    };
  return {
    side: 'head',
    decidedBy: {
      metric: head.out.metric,
      rule: head.out.rule,
      reason: `head run ${head.pair}: ${head.out.reason}; none of the ${base.length} base runs ran out`,
    },
  };
}
