/**
 * Attribution, wired into a check: the probe that rides the run, and the step that turns its
 * data into the report's findings. The pipeline calls these two and nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../config/types';
import { analyseRun, METRIC_NAMES, type AnalysisOptions } from '../analysis';
import { MIN_SHARE } from '../sampling/evidence';
import { runMeasurement, type RunOptions, type RunResult, type RunVerdict } from '../sampling/run';
import { metricValue, type Sample } from '../sampling/samples';
import type { Report } from '../report/report';
import { analyseAttribution } from './analyse';
import {
  ATTRIBUTION_ENV,
  ATTRIBUTION_PROBE,
  AttributionProbe,
  type AttributionData,
  type AttributionProbeOptions,
} from './probe';

export {
  analyseAttribution,
  newProcessNote,
  type AttributionAnalysisOptions,
  type AttributionOutcome,
} from './analyse';
export { AttributionProbe, ATTRIBUTION_ENV, ATTRIBUTION_PROBE, type AttributionData } from './probe';
export { compareSnapshots, type ObjectGroup, type SnapshotComparison } from './heap';
export { describePath } from './retainer-path';
export { readHeapSnapshot, type HeapSnapshot } from './snapshot';
export { encodePprof } from './pprof';
export { SourceMapper } from './sourcemap';

/**
 * Fewest added live samples for a site to be reported. Each sample stands for about one sampling
 * interval of bytes; in-flight requests move a site by a sample or two between profiles.
 */
export const MIN_SITE_SAMPLES = 4;

/**
 * Adds the attribution probe to a run when the config enables it, and tells the agent (through
 * the environment) so it can prepare at preload.
 *
 * @param config - the validated configuration
 * @param run - run options to extend (probes and env are replaced, not mutated in place)
 * @param outDir - the report directory (snapshots go in its `snapshots/` folder)
 * @param analysis - the check's analysis options (the heap threshold, and the verdict the probe
 *   waits for before it takes snapshots)
 * @param skipAfterVerdict - why no profile or snapshot is taken after the verdict, when the
 *   caller only needs the verdict (see AttributionProbeOptions)
 * @returns the run options to use
 */
export function withAttribution(
  config: Config,
  run: RunOptions,
  outDir: string,
  analysis: AnalysisOptions,
  skipAfterVerdict?: string,
): RunOptions {
  if (!config.attribution.enabled) return run;
  const measured = config.attribution.runIn === 'measured-process';
  const probe = new AttributionProbe({
    ...probeOptions(config, outDir, analysis),
    stage: measured ? 'measured-process' : 'verdict-only',
    ...(skipAfterVerdict !== undefined ? { skipAfterVerdict } : {}),
  });
  return {
    ...run,
    // Attribution in a new process (the default): the measured process runs without a profiler.
    ...(measured
      ? { env: { ...run.env, [ATTRIBUTION_ENV]: String(config.attribution.samplingInterval) } }
      : {}),
    probes: [...(run.probes ?? []), probe],
    judge: run.judge ?? ((samples, heap) => probeVerdict(samples, heap, analysis)),
  };
}

function probeOptions(
  config: Config,
  outDir: string,
  analysis: AnalysisOptions,
): Omit<AttributionProbeOptions, 'stage'> {
  return {
    samplingInterval: config.attribution.samplingInterval,
    snapshots: config.attribution.snapshots,
    snapshotDir: path.join(outDir, 'snapshots'),
    threshold: analysis.thresholds.heapUsed?.perUnit ?? 2,
  };
}

/** The first of attribution's steps (`attribution.timings`) when it ran in a new process. */
export const NEW_PROCESS_PHASE = 'new process: start';

/** Name of the new process's output file, beside the measured run's. */
export const ATTRIBUTION_LOG = 'target-attribution.log';

/**
 * Attribution in a new process of the service, when the measured run wants it (its probe's
 * `pending` verdict: a leak, or `snapshots: 'always'`). The same command, environment and
 * traffic source, with V8's sampling heap profiler and inlining off from preload; after the
 * measured run's warm-up the probe is handed the measured run's verdict and attributes as it would
 * have in the measured process. Its data replaces the measured run's in `result.probes`, its start
 * and warm-up ahead of its steps; when the new process fails (does not start, exits, times out,
 * is interrupted), the data says why and the verdict stands.
 *
 * @param config - the validated configuration
 * @param run - the measured run's options (as withAttribution returned them)
 * @param result - the measured run's result (its attribution entry is replaced)
 * @param outDir - the report directory
 * @param analysis - the check's analysis options
 */
export async function attributeInNewProcess(
  config: Config,
  run: RunOptions,
  result: RunResult,
  outDir: string,
  analysis: AnalysisOptions,
): Promise<void> {
  const raw = result.probes[ATTRIBUTION_PROBE];
  if (!isAttributionData(raw) || !raw.pending) return;
  const { pending, ...rest } = raw;
  if (run.signal?.aborted || result.status !== 'completed') {
    const why = run.signal?.aborted ? 'interrupted' : `the measured run ended early (${result.status})`;
    result.probes[ATTRIBUTION_PROBE] = { ...rest, reason: `did not run: ${why}` };
    return;
  }
  const probe = new AttributionProbe({ ...probeOptions(config, outDir, analysis), stage: 'new-process' });
  const interval = config.attribution.samplingInterval;
  const second = await runMeasurement({
    ...run,
    env: { ...run.env, [ATTRIBUTION_ENV]: `${interval},no-inlining` },
    logFile: path.join(path.dirname(run.logFile), ATTRIBUTION_LOG),
    probes: [probe],
    judge: undefined,
    sequential: undefined,
    givenVerdict: pending,
    onProgress: run.onProgress ? (p) => run.onProgress?.({ ...p, phase: 'attribution' }) : undefined,
  });
  const data = second.probes[ATTRIBUTION_PROBE];
  if (second.status !== 'completed' || !isAttributionData(data)) {
    const why =
      second.failure?.message ?? String((data as { error?: unknown } | undefined)?.error ?? 'no data');
    result.probes[ATTRIBUTION_PROBE] = { ...rest, reason: `did not run: the new process failed: ${why}` };
    return;
  }
  const t = second.timings;
  const ready = t.readyMs ?? 0;
  const warm = t.warmupEndMs ?? ready;
  data.phases = [
    { phase: NEW_PROCESS_PHASE, ms: ready },
    { phase: 'new process: warm-up', ms: warm - ready },
    ...(data.phases ?? []),
    { phase: 'new process: stop', ms: Math.max(0, t.totalMs - (t.measureEndMs ?? t.totalMs)) },
  ];
  data.newProcess = { requests: second.traffic.completed, logFile: ATTRIBUTION_LOG };
  // Findings are the measured process's (SARIF locations, the Action, the terminal group them by
  // process): each new process stands for the measured one of the same rank by requests served.
  const measured = busiestFirst(result.samples);
  const fresh = busiestFirst(second.samples);
  for (const proc of data.processes) {
    const stand = measured[fresh.indexOf(proc.pid)];
    if (stand !== undefined) proc.pid = stand;
  }
  result.probes[ATTRIBUTION_PROBE] = data;
}

/** The pids of a run's samples, the process that served the most requests first. */
function busiestFirst(samples: readonly Sample[]): number[] {
  const served = new Map<number, number>();
  for (const s of samples) served.set(s.pid, Math.max(served.get(s.pid) ?? 0, s.requests));
  return [...served.entries()].sort((a, b) => b[1] - a[1]).map(([pid]) => pid);
}

/**
 * The verdict attribution waits for, from the measured samples: a leak when the heap leaks (the
 * sequential measurement's verdict when given, else the busiest process's heap fit) or any other
 * gating metric of a serving process does (a Buffer leak grows external memory, whose JS objects
 * are still the profiler's to find). The report's verdict is built later from the same samples;
 * this one only decides whether the probe looks for the growing objects while the process is
 * still serving.
 *
 * @param samples - the run's samples so far
 * @param heap - the sequential heap verdict, or null for a fixed window
 * @param analysis - the check's analysis options
 * @returns the verdict and the heap growth per request behind it
 */
export function probeVerdict(
  samples: readonly Sample[],
  heap: RunVerdict | null,
  analysis: AnalysisOptions,
): RunVerdict {
  const byPid = new Map<number, Sample[]>();
  for (const s of samples) {
    if (s.phase !== 'measure') continue;
    const list = byPid.get(s.pid) ?? [];
    list.push(s);
    byPid.set(s.pid, list);
  }
  const served = (list: Sample[]): number => (list.at(-1)?.requests ?? 0) - (list[0]?.requests ?? 0);
  const lists = [...byPid.values()].filter((l) => l.length >= 2).sort((a, b) => served(b) - served(a));
  const total = lists.reduce((sum, l) => sum + served(l), 0);
  let heapVerdict = heap;
  let other: RunVerdict | null = null;
  for (const list of lists) {
    if (total > 0 && served(list) / total < MIN_SHARE) continue;
    const x = list.map((s) => s.requests);
    const series = METRIC_NAMES.flatMap((metric) => {
      if (heap && metric === 'heapUsed') return [];
      const ys = list.map((s) => metricValue(s, metric));
      return ys.some((v) => v === null) ? [] : [{ metric, x, y: ys as number[] }];
    });
    const run = analyseRun(series, analysis);
    const heapFit = run.metrics.find((m) => m.metric === 'heapUsed');
    if (!heapVerdict && heapFit) heapVerdict = { verdict: heapFit.verdict, perRequest: heapFit.perUnit };
    if (!other && run.metrics.some((m) => m.gating && m.metric !== 'heapUsed' && m.verdict === 'leak'))
      other = { verdict: 'leak', perRequest: heap?.perRequest ?? heapFit?.perUnit ?? null };
  }
  if (heapVerdict?.verdict === 'leak') return heapVerdict;
  return other ?? heapVerdict ?? { verdict: 'inconclusive', perRequest: null };
}

/**
 * Fills `report.findings` and `report.attribution` from the probe's result, when there is one.
 * Snapshot findings are kept when the verdict is a leak or snapshots were asked for.
 *
 * @param report - the report built from the run (changed in place)
 * @param result - the run's result
 * @param config - the validated configuration
 * @param outDir - the report directory
 * @returns the same report
 */
export async function addAttribution(
  report: Report,
  result: RunResult,
  config: Config,
  outDir: string,
): Promise<Report> {
  const raw = result.probes[ATTRIBUTION_PROBE];
  try {
    return await attribute(report, raw, config, outDir);
  } finally {
    // Heap snapshots hold every secret in the service's memory: read, then deleted unless the
    // user asked to keep them (--keep-snapshots). The Action never uploads them.
    if (!config.attribution.keepSnapshots) {
      fs.rmSync(path.join(outDir, 'snapshots'), { recursive: true, force: true });
      const snap = report.attribution?.snapshots;
      if (snap && snap.files.length > 0) {
        snap.files = [];
        report.attribution?.notes.push(SNAPSHOTS_DELETED_NOTE);
      }
    }
  }
}

/** The note a report carries when its heap snapshots were analysed and then deleted. */
export const SNAPSHOTS_DELETED_NOTE =
  "heap snapshots were analysed and deleted (they hold the service's memory, secrets included); --keep-snapshots keeps them";

async function attribute(report: Report, raw: unknown, config: Config, outDir: string): Promise<Report> {
  if (!config.attribution.enabled || raw === undefined) return report;
  if (!isAttributionData(raw)) {
    const error = (raw as { error?: unknown } | null)?.error;
    report.findings = [];
    report.attribution = {
      samplingInterval: config.attribution.samplingInterval,
      profiles: 0,
      snapshots: { taken: false, reason: 'attribution failed', files: [] },
      pprof: [],
      notes: [`attribution failed: ${String(error ?? 'no data')}`],
    };
    return report;
  }
  if (raw.ran === false) {
    // A clean run pays nothing for attribution beyond the sampling profiler: nothing to show.
    report.attribution = {
      samplingInterval: raw.samplingInterval,
      profiles: 0,
      snapshots: { taken: false, reason: raw.snapshotReason, files: [] },
      pprof: [],
      notes: [`attribution ${raw.reason ?? 'did not run'}`],
    };
    return report;
  }
  const threshold = report.settings.thresholds as Record<string, { perRequest?: number }> | undefined;
  const outcome = await analyseAttribution(raw, {
    threshold: threshold?.heapUsed?.perRequest ?? 2,
    minSamples: MIN_SITE_SAMPLES,
    keepSnapshots: report.verdict === 'leak' || config.attribution.snapshots === 'always',
    outDir,
  });
  // Property names on retainer paths can be keys that came from traffic (tokens, user names): the
  // pipeline's redaction step (redactReport) covers them with the rest of the report.
  report.findings = outcome.findings;
  report.attribution = outcome.summary;
  return report;
}

function isAttributionData(value: unknown): value is AttributionData {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { processes?: unknown }).processes) &&
    typeof (value as { samplingInterval?: unknown }).samplingInterval === 'number'
  );
}
