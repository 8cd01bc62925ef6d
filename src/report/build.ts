/**
 * Report building: what a run measured (samples, traffic counts, status) turned into the Report.
 * Pure apart from the creation time: processes are grouped and analysed, warnings and the verdict
 * derived. Redaction happens once, in the pipeline, on the finished report (report/redact.ts).
 */
import {
  analyseRun,
  formatSignificant,
  METRIC_NAMES,
  METRICS,
  projectTimeToLimit,
  REQUESTS,
  withSequentialVerdict,
  type AnalysisOptions,
  type SequentialDecision,
} from '../analysis';
import { analysisOptionsFrom, measurementWindow, sequentialPlan } from '../config/adapt';
import type { Config } from '../config/types';
import { EXIT, exitCodeFor, VERDICT_SEVERITY, type FailOn } from '../outcome';
import { requestsNeeded, sequentialReason, type SequentialResult } from '../analysis/sequential';
import { DIED_OF_LEAK, type RunResult } from '../sampling/run';
import { metricValue, type Sample } from '../sampling/samples';
import { dataHeap, type CountLeak } from '../sampling/evidence';
import { EXHAUSTION_RULE, findExhaustion } from '../analysis/exhaustion';
import {
  REPORT_SCHEMA_VERSION,
  type SequentialReport,
  type Decision,
  type ProcessReport,
  type Report,
  type TrafficReport,
} from './report';

/** A process must serve at least this share of requests to be analysed (wrappers serve none). */
const MIN_SHARE = 0.1;
/** Responses that are errors above this share make the report warn. */
const ERROR_RATE_WARNING = 0.05;

/** Pure: turns what a run measured into the Report (analysis, verdict, warnings, exit code). */
export function buildReport(
  result: RunResult,
  config: Config,
  meta: {
    command: string[] | string;
    cwd: string;
    logFile: string;
    failOn: FailOn;
    version: string;
    sampleEvery: number;
  },
): Report {
  const analysis = analysisOptionsFrom(config);
  const sequential = sequentialReport(result, config);
  const window = measurementWindow(config);
  const measured = result.samples.filter((s) => s.phase === 'measure');
  // A run that ended during the warm-up still reports its processes (with their warm-up samples).
  const byPid = groupBy(measured.length > 0 ? measured : result.samples, (s) => s.pid);
  const served = new Map<number, number>();
  for (const [pid, list] of byPid)
    served.set(pid, list.length > 1 ? (list.at(-1) as Sample).requests - (list[0] as Sample).requests : 0);
  const total = [...served.values()].reduce((a, b) => a + b, 0);
  const processes: ProcessReport[] = [];
  for (const [pid, list] of byPid) {
    const requests = served.get(pid) ?? 0;
    const share = total > 0 ? requests / total : 0;
    if (total > 0 && share < MIN_SHARE) continue;
    processes.push(
      analyseProcess(
        pid,
        measured.length > 0 ? list : [],
        result,
        config,
        analysis,
        requests,
        share,
        sequential,
      ),
    );
  }
  processes.sort((a, b) => b.requests - a.requests);

  const traffic = trafficReport(result);
  // A resource that ran out shows in the responses, not the heap: judged from the load's timeline.
  const exhaustion =
    result.status === 'completed' && config.analysis.exhaustion !== false && result.traffic.timeline
      ? findExhaustion(result.traffic.timeline, result.traffic.seconds)
      : null;
  if (exhaustion) traffic.exhaustion = exhaustion;
  const warnings: string[] = [];
  if (traffic.completed > 0 && traffic.errorRate > ERROR_RATE_WARNING) {
    warnings.push(
      `${(traffic.errorRate * 100).toFixed(1)}% of responses were errors (status >= 400, failed or timed out): leakcheck may be measuring error paths, not the service's real work`,
    );
  }
  if (result.status === 'completed' && measured.length > 0 && !result.sequential) {
    const perPid = Math.max(...[...byPid.values()].map((l) => l.length));
    if (perPid < config.run.samples) {
      warnings.push(
        `only ${perPid} of ${config.run.samples} planned samples were taken: throughput fell after the warm-up`,
      );
    }
  }
  if (result.status === 'completed' && total === 0)
    warnings.push('no process of the target counted any HTTP response: is the load reaching it?');
  if (result.servers) {
    const each = result.servers.urls
      .map((s) => (s.probed > 0 ? `${s.url} answered ${s.served} of ${s.probed}` : s.url))
      .join(', ');
    warnings.push(
      `the target listens on ${result.servers.urls.length} HTTP servers (${each}${result.servers.urls[0]?.probed ? " of the traffic's GET requests as expected" : ''}); the load went to ${result.url ?? '?'}: ${result.servers.reason} (--url chooses)`,
    );
  }

  if (sequential && config.analysis.thresholds?.heapUsed?.minGrowth !== undefined) {
    warnings.push(
      'heap minGrowth (--min-growth) applies to fixed windows only (--duration or --requests): sequential measurement decides by the interval of the recent slope against the threshold and handles warm-up growth by evidence',
    );
  }
  if (sequential?.verdict === 'inconclusive' && result.status === 'completed' && !exhaustion) {
    warnings.push(`INCONCLUSIVE at the budget: ${sequential.reason}`);
  }

  let verdict: Report['verdict'];
  let decidedBy: Decision | null = null;
  const worst = pickWorst(processes);
  const died = DIED_OF_LEAK[result.status];
  if (died) {
    // Heap or descriptor exhaustion is the leak's end state: a leak, with whatever was measured before it.
    verdict = 'leak';
    decidedBy = {
      metric: died.metric,
      rule: result.status,
      reason: result.failure?.message ?? `the target ran out of ${died.resource}`,
    };
  } else if (result.status !== 'completed') {
    verdict = 'error';
  } else if (!worst) {
    verdict = 'inconclusive';
  } else {
    verdict = worst.verdict;
    decidedBy = worst.decidedBy;
  }
  if (exhaustion && verdict !== 'error') {
    // The end state of a leak of something the heap does not hold (a pool's connections): a leak,
    // as heap exhaustion is. A heap leak found as well keeps deciding; this is then a warning.
    if (verdict === 'leak') warnings.push(`a resource ran out as well: ${exhaustion.reason}`);
    else {
      verdict = 'leak';
      decidedBy = { metric: 'responses', rule: EXHAUSTION_RULE, reason: exhaustion.reason };
    }
  }
  // Which server to load is the user's to say: bad usage, not a failure of the target.
  const exitCode =
    result.status === 'ambiguous-target'
      ? EXIT.usage
      : exitCodeFor(verdict, meta.failOn, result.status === 'aborted');

  const commandText = Array.isArray(meta.command) ? meta.command.join(' ') : meta.command;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'leakcheck', version: meta.version },
    createdAt: new Date().toISOString(),
    verdict,
    exitCode,
    summary: summarise(verdict, decidedBy, result),
    decidedBy,
    status: result.status,
    failure: result.failure
      ? { message: result.failure.message, logTail: result.failure.logTail }
      : undefined,
    target: {
      command: commandText,
      cwd: meta.cwd,
      url: result.url,
      ...(result.servers ? { servers: result.servers.urls } : {}),
      node: result.processes[0]?.node,
      logFile: meta.logFile,
    },
    settings: {
      connections: config.traffic.connections,
      rate: config.traffic.rate ?? null,
      users: config.traffic.users,
      seed: config.traffic.seed,
      requests: (config.traffic.requests ?? null)?.map((r) => ({
        ...r,
        path: r.path,
        headers: r.headers,
        body: r.body === undefined ? undefined : '[body]',
      })),
      warmup: { seconds: window.warmupSeconds, requests: config.run.warmupRequests ?? null },
      // Sequential: the window is decided by the evidence, between the minimum and the budget.
      measure: window.sequential
        ? {
            sequential: true,
            minSeconds: config.run.minDurationSeconds,
            maxSeconds: config.run.maxDurationSeconds,
            maxRequests: config.run.maxRequests ?? null,
          }
        : { seconds: window.durationSeconds, requests: config.run.requests ?? null },
      samples: config.run.samples,
      sampleEvery: meta.sampleEvery,
      confidence: analysis.confidence,
      thresholds: analysis.thresholds,
      failOn: meta.failOn,
    },
    processes,
    traffic,
    warnings,
    timings: result.timings,
    ...(sequential ? { sequential } : {}),
  };
}

/** The sequential measurement's part of the report: looks, stop reason, time to verdict. */
function sequentialReport(result: RunResult, config: Config): SequentialReport | undefined {
  const outcome = result.sequential;
  if (!outcome || !measurementWindow(config).sequential) return undefined;
  const plan = sequentialPlan(config);
  const e = outcome.evidence;
  const own = e.processes.find((p) => p.pid === e.pid);
  const verdict = e.verdict === 'undecided' ? 'inconclusive' : e.verdict;
  const last = e.looks.at(-1);
  const perSecond = outcome.measuredMs > 0 ? outcome.measuredRequests / (outcome.measuredMs / 1000) : 0;
  const needed = last && verdict === 'inconclusive' ? requestsNeeded(last, plan.threshold) : null;
  const count = own?.count;
  const reason = count
    ? countReason(count)
    : own
      ? sequentialReason(own.result, plan.threshold, plan.alpha, {
          requests: needed,
          seconds: needed !== null && perSecond > 0 ? Math.round(needed / perSecond) : null,
        })
      : { rule: 'sequential-budget' as const, reason: 'no process served enough requests to weigh' };
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  const countLook = count?.result.decided;
  return {
    verdict,
    rule: reason.rule,
    reason: reason.reason,
    stopReason: outcome.stopReason,
    pid: e.pid,
    series: 'heapUsed without code space',
    threshold: plan.threshold,
    alpha: plan.alpha,
    confidence: 1 - 2 * plan.alpha,
    minWindowSeconds: plan.minWindowMs / 1000,
    maxDurationSeconds: plan.maxMs / 1000,
    maxRequests: plan.maxRequests ?? null,
    plannedLooks: plan.schedule.length,
    spacingMs: outcome.spacingMs,
    timeToVerdictMs: outcome.timeToVerdictMs,
    measuredMs: outcome.measuredMs,
    measuredRequests: outcome.measuredRequests,
    needed:
      needed !== null
        ? { requests: needed, seconds: perSecond > 0 ? Math.round(needed / perSecond) : null }
        : null,
    looks: e.looks.map((l) => ({
      look: l.look,
      samples: l.samples,
      alpha: l.alpha,
      from: l.from,
      to: l.to,
      slope: l.slope,
      low: finite(l.low),
      high: finite(l.high),
      earlySlope: l.earlySlope,
      settled: l.settled,
      resets: l.resets,
      ...(l.staircase ? { staircase: l.staircase } : {}),
      ...(l.jumps !== undefined ? { jumps: l.jumps } : {}),
      ...(l.throughput !== undefined ? { throughput: l.throughput } : {}),
      decision: l.decision,
    })),
    ...(count && countLook
      ? {
          count: {
            metric: count.metric,
            threshold: count.threshold,
            alpha: count.alpha,
            look: countLook.look,
            from: countLook.from,
            to: countLook.to,
            growth: count.growth,
            slope: countLook.slope,
            low: finite(countLook.low),
            high: finite(countLook.high),
          },
        }
      : {}),
  };
}

/** A count's leak in words: its deciding look against the count's threshold. */
function countReason(count: CountLeak): SequentialDecision {
  const info = METRICS[count.metric];
  const words = sequentialReason(
    count.result,
    count.threshold,
    count.alpha,
    { requests: null, seconds: null },
    REQUESTS,
    {
      label: info.label,
      plural: true,
      unit: info.unit,
    },
  );
  return {
    verdict: 'leak',
    ...words,
    reason: `${words.reason} (${formatSignificant(count.growth)} more over that half; called before the heap decided)`,
  };
}

/** Replaces the heap metric's verdict by the sequential one and recombines the process verdict. */
function withSequentialHeap(
  outcome: ReturnType<typeof analyseRun>,
  result: SequentialResult | undefined,
  report: SequentialReport,
): ReturnType<typeof analyseRun> {
  const words = result
    ? sequentialReason(result, report.threshold, report.alpha, {
        requests: report.needed?.requests ?? null,
        seconds: report.needed?.seconds ?? null,
      })
    : { rule: 'sequential-budget' as const, reason: 'this process was not weighed', rate: null };
  return withSequentialVerdict(outcome, 'heapUsed', { verdict: result?.verdict ?? 'inconclusive', ...words });
}

function analyseProcess(
  pid: number,
  list: Sample[],
  result: RunResult,
  config: Config,
  analysis: AnalysisOptions,
  requests: number,
  share: number,
  sequential?: SequentialReport,
): ProcessReport {
  const x = list.map((s) => s.requests);
  const series = METRIC_NAMES.flatMap((metric) => {
    const ys = list.map((s) => metricValue(s, metric));
    if (ys.some((v) => v === null)) return [];
    return [{ metric, x, y: ys as number[] }];
  });
  const fitted = analyseRun(series, analysis);
  const weighed = result.sequential?.evidence.processes.find((p) => p.pid === pid);
  const heapOutcome = sequential ? withSequentialHeap(fitted, weighed?.result, sequential) : fitted;
  // A count whose looks called the leak before the heap decided: that metric's verdict is the looks'.
  const outcome =
    sequential && weighed?.count
      ? withSequentialVerdict(heapOutcome, weighed.count.metric, countReason(weighed.count))
      : heapOutcome;
  const info = result.processes.find((p) => p.pid === pid);
  const heap = outcome.metrics.find((m) => m.metric === 'heapUsed');
  const last = list.at(-1);
  const rps =
    config.projection.requestsPerSecond ??
    (result.traffic.seconds > 0 ? (result.traffic.completed / result.traffic.seconds) * share : 0);
  const projection =
    heap && last && rps > 0
      ? {
          requestsPerSecond: Math.round(rps),
          heapLimit: last.heapLimit,
          ...projectTimeToLimit({
            current: last.heapUsed,
            limit: last.heapLimit,
            bytesPerRequest: heap.perUnit,
            requestsPerSecond: rps,
          }),
        }
      : null;
  const all = result.samples.filter((s) => s.pid === pid);
  return {
    pid,
    argv: info?.argv ?? [],
    requests,
    share,
    verdict: outcome.verdict,
    decidedBy: { pid, ...outcome.decidedBy, metric: outcome.decidedBy.metric ?? 'all' },
    metrics: outcome.metrics,
    projection,
    series: all.map((s) => ({
      requests: s.requests,
      heapUsed: s.heapUsed,
      external: s.external,
      handles: s.handles,
      phase: s.phase,
      t: s.t,
      arrayBuffers: s.arrayBuffers,
      rss: s.rss,
      sockets: s.sockets,
      fds: s.fds,
      codeSpace: s.heapUsed - dataHeap(s),
    })),
  };
}

function pickWorst(processes: ProcessReport[]): ProcessReport | undefined {
  return [...processes].sort(
    (a, b) => VERDICT_SEVERITY[b.verdict] - VERDICT_SEVERITY[a.verdict] || b.requests - a.requests,
  )[0];
}

function trafficReport(result: RunResult): TrafficReport {
  const t = result.traffic;
  const errorResponses = Object.entries(t.statusCounts)
    .filter(([code]) => Number(code) >= 400)
    .reduce((s, [, n]) => s + n, 0);
  const attempts = t.completed + t.errors + t.timeouts;
  const intended = new Map(t.mix.map((m) => [m.endpoint, m.share]));
  const names = new Set([...intended.keys(), ...Object.keys(t.endpoints)]);
  return {
    completed: t.completed,
    errors: t.errors,
    timeouts: t.timeouts,
    seconds: Math.round(t.seconds * 100) / 100,
    requestsPerSecond: t.seconds > 0 ? Math.round(t.completed / t.seconds) : 0,
    errorRate: attempts > 0 ? (errorResponses + t.errors + t.timeouts) / attempts : 0,
    statusCounts: t.statusCounts,
    endpoints: [...names].map((endpoint) => {
      const e = t.endpoints[endpoint];
      return {
        endpoint,
        intendedShare: intended.get(endpoint) ?? 0,
        share: t.completed > 0 ? (e?.count ?? 0) / t.completed : 0,
        count: e?.count ?? 0,
        statusCounts: e?.statusCounts ?? {},
      };
    }),
  };
}

function summarise(verdict: Report['verdict'], decidedBy: Decision | null, result: RunResult): string {
  switch (verdict) {
    case 'error':
      return `no verdict: ${result.failure?.message ?? result.status}`;
    case 'leak':
      return `LEAK: ${decidedBy?.reason ?? ''}`.trim();
    case 'pass':
      return `PASS: ${decidedBy?.reason ?? 'no metric grew beyond its threshold'}`;
    case 'inconclusive':
      return `INCONCLUSIVE: ${decidedBy?.reason ?? 'not enough data to decide'}`;
  }
}

function groupBy<T, K>(items: T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
