/**
 * `detectLeak`: the service run's measurement, shrunk to one function in this process. Warm up,
 * then call the function in batches with a full GC and a heap sample between batches, keyed by
 * calls made, and judge the samples with the same analysis code (and rules) as a load test.
 */
import * as v8 from 'node:v8';
import {
  analyseRun,
  CALLS,
  withSequentialVerdict,
  formatBytes,
  formatNumber,
  formatRateWithInterval,
  mergeAnalysisOptions,
  type AnalysisOptions,
  type MetricAnalysis,
  type MetricName,
  type MetricSeries,
  type RunAnalysis,
} from '../analysis';
import {
  lookSchedule,
  requestsNeeded,
  sequentialReason,
  sequentialTest,
  type SequentialResult,
} from '../analysis/sequential';
import { isUserUrl } from '../attribution/frames';
import { significantSites } from '../attribution/growth';
import {
  formatFrame,
  scriptsInProfile,
  type GrowingSite,
  type SamplingProfile,
} from '../attribution/profile';
import { nodeHasSourceMap, SourceMapper, type ScriptInfo } from '../attribution/sourcemap';
import { fullGc } from './gc';
import { InProcessHeapSampler } from './profiler';
import { resolveDetectLeakOptions, type DetectLeakOptions, type ResolvedDetectLeakOptions } from './options';
import { isThenable } from './thenable';

/** The function under test: called with the 0-based call number; may return a promise. */
export type LeakTestFunction = (call: number) => unknown;

/** Growth per call of one metric, with its interval (the Theil-Sen slope the rules judge). */
export interface PerCallGrowth {
  /** The metric the figure is for. */
  metric: MetricName;
  /** Estimated bytes per call. */
  estimate: number;
  /** Lower bound of the interval. */
  low: number;
  /** Upper bound of the interval. */
  high: number;
  /** Confidence level of the interval. */
  confidence: number;
}

/** Whether allocation sites were looked for, and if not why. */
export type AttributionStatus =
  | { status: 'profiled'; samplingInterval: number }
  | { status: 'off' }
  | { status: 'unavailable'; reason: string };

/**
 * What {@link detectLeak} found: the same verdict, deciding rule and per-metric analyses as a
 * service run (`RunAnalysis`), measured and worded per call (the CALLS axis), plus the per-call figure, the raw
 * series and the growing allocation sites.
 */
export interface LeakDetection extends RunAnalysis {
  /** Growth per call of the deciding metric (heapUsed when no metric decided). */
  perCall: PerCallGrowth;
  /** Calls in the measured window (sequential: up to the look that decided, or the budget). */
  calls: number;
  /** Looks the sequential measurement took (0 for a fixed window). */
  looks: number;
  /** Calls made before the first sample. */
  warmupCalls: number;
  /**
   * The samples fitted: x = calls made when sampled, y = bytes after a full GC. `heapUsed` here is
   * V8's heap used without the code spaces (compiled machine code; see README), `external` is
   * process.memoryUsage().external.
   */
  series: MetricSeries[];
  /** Sites whose live bytes grew during the measured window, largest first (at most 5). */
  sites: GrowingSite[];
  /** Whether the sites were looked for. */
  attribution: AttributionStatus;
  /** Wall time of the whole detection, warm-up included, in milliseconds (informational). */
  elapsedMs: number;
  /** The options in force. */
  options: ResolvedDetectLeakOptions;
  /** One line: verdict, per-call growth with interval, the top site when known. */
  summary: string;
}

// Only memory is measured in process: handles and fds belong to the whole test runner.
const METRICS_MEASURED: readonly MetricName[] = ['heapUsed', 'external'];
const MAX_SITES = 5;
const WARMUP_GCS = 3;
const CODE_SPACES = new Set(['code_space', 'code_large_object_space']);
/**
 * Fewest added live samples for a site to be shown: about two sampling intervals of bytes, the
 * floor below which a site's growth is indistinguishable from sampling noise.
 */
const MIN_SITE_SAMPLES = 2;

/**
 * Calls `fn` `warmup + iterations` times in this process and tells whether it leaks memory per
 * call. Between batches of calls it forces a full GC (without --expose-gc) and samples heapUsed
 * and external, keyed by calls made; the samples are judged by the service run's analysis
 * (Theil-Sen and least-squares slopes, Mann-Kendall trend, plateau rule) against a per-call
 * threshold. With `attribution` on, V8's sampling heap profiler runs during the measured window
 * and the stacks whose live bytes grew are reported.
 *
 * Run it where little else allocates concurrently (a unit test): anything else the process keeps
 * alive in the meantime counts as the function's growth.
 *
 * @param fn - the function under test, called with the call number; sync or async (awaited)
 * @param options - iterations, batches, threshold, confidence, attribution
 * @returns the verdict with its rule and reason, the per-call growth with its interval, the
 *   metric analyses, the samples and the growing allocation sites
 * @throws RangeError for bad options; rethrows whatever `fn` throws or rejects with
 */
export async function detectLeak(
  fn: LeakTestFunction,
  options: DetectLeakOptions = {},
): Promise<LeakDetection> {
  const o = resolveDetectLeakOptions(options);
  const gc = fullGc();
  const started = performance.now();
  let calls = 0;
  const callOnce = async (): Promise<void> => {
    const result = fn(calls++);
    // Await only real thenables, so a sync function does not pay a microtask per call.
    if (isThenable(result)) await result;
  };

  let sampler: InProcessHeapSampler | null = null;
  let attribution: AttributionStatus = { status: 'off' };
  let before: SamplingProfile | null = null;
  let after: SamplingProfile | null = null;
  let sequential: SequentialResult | null = null;
  const x: number[] = [];
  const y: Record<string, number[]> = Object.fromEntries(METRICS_MEASURED.map((m) => [m, []]));
  // One loop turn lets setImmediate clean-ups the function scheduled run, as they would in a
  // service, before the heap is measured.
  const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
  const sample = async (): Promise<void> => {
    await settle();
    gc();
    const heap = heapUsedWithoutCode();
    const external = process.memoryUsage().external;
    x.push(calls - o.warmup);
    for (const m of METRICS_MEASURED) y[m]?.push(m === 'heapUsed' ? heap : external);
  };

  try {
    if (o.attribution) {
      // Sampling starts before the warm-up: objects allocated before it are invisible to the
      // profiles, so a cache filled during warm-up and then turned over would look like growth.
      try {
        sampler = await InProcessHeapSampler.start(o.samplingInterval);
        attribution = { status: 'profiled', samplingInterval: o.samplingInterval };
      } catch (error) {
        attribution = { status: 'unavailable', reason: messageOf(error) };
      }
    }
    // The warm-up runs in batches with a GC after each, like the measurement: the first forced
    // GCs of a process deoptimise and recompile the loop and leave a few KB each, which would
    // otherwise land in the first measured batches as growth.
    for (const batch of splitEvenly(o.warmup, WARMUP_GCS)) {
      for (let i = 0; i < batch; i++) await callOnce();
      await settle();
      gc();
    }
    const perBatch = splitEvenly(o.iterations, o.batches);
    if (sampler) {
      gc();
      // Kept whole until the end: allocated before the first sample, it is the same constant in
      // every sample and adds nothing to the slope.
      before = await sampler.profile();
    }
    await sample();
    for (const batch of perBatch) {
      for (let i = 0; i < batch; i++) await callOnce();
      await sample();
    }
    if (o.sequential) {
      // Batches of the minimum window's size until a look decides or the budget is spent.
      const size = Math.max(1, Math.round(o.iterations / o.batches));
      const schedule = lookSchedule(x.length, x.length + Math.ceil((o.maxIterations - o.iterations) / size));
      const heap = y.heapUsed ?? [];
      const look = (final: boolean): SequentialResult =>
        sequentialTest(x, heap, schedule, { threshold: o.bytesPerCall, alpha: alphaOf(o) }, final);
      sequential = look(o.maxIterations <= o.iterations);
      while (sequential.verdict === 'inconclusive' && calls - o.warmup < o.maxIterations) {
        const batch = Math.min(size, o.maxIterations - (calls - o.warmup));
        for (let i = 0; i < batch; i++) await callOnce();
        await sample();
        sequential = look(calls - o.warmup >= o.maxIterations);
      }
    }
    if (sampler) after = await sampler.profile();
  } catch (error) {
    if (sampler) await sampler.stop().catch(() => undefined);
    throw error;
  }

  const series = seriesOf(x, y);
  const measured = calls - o.warmup;
  const fitted = analyseRun(series, { ...analysisOptions(o), axis: CALLS });
  const run = sequential ? withSequentialHeap(fitted, sequential, o) : fitted;
  let sites: GrowingSite[] = [];
  if (sampler) {
    try {
      if (before && after) {
        sites = await allocationSites(sampler, before, after, o, measured, run.verdict !== 'pass');
      }
    } finally {
      await sampler.stop().catch(() => undefined);
    }
  }
  const decider: MetricAnalysis | undefined =
    run.metrics.find((m) => m.metric === run.decidedBy.metric) ??
    run.metrics.find((m) => m.metric === 'heapUsed');
  // The figure the verdict rests on (the heap's deciding look, when a look decided it) with the
  // interval of the same fit.
  const perCall: PerCallGrowth = {
    metric: decider?.metric ?? 'heapUsed',
    estimate: decider?.perUnit ?? 0,
    low: decider?.perUnitInterval.low ?? 0,
    high: decider?.perUnitInterval.high ?? 0,
    confidence: decider?.perUnitInterval.confidence ?? o.confidence,
  };
  const result: LeakDetection = {
    ...run,
    perCall,
    calls: measured,
    looks: sequential?.looks.length ?? 0,
    warmupCalls: o.warmup,
    series,
    sites,
    attribution,
    elapsedMs: performance.now() - started,
    options: o,
    summary: '',
  };
  result.summary = summarise(result);
  return result;
}

/**
 * The per-call growth as text: "212.4 B/call (95% CI 208.1–215.0)".
 *
 * @param perCall - growth per call with its interval
 * @returns the text
 */
export function formatPerCall(perCall: PerCallGrowth): string {
  return formatRateWithInterval(
    perCall.estimate,
    perCall.low,
    perCall.high,
    'bytes',
    perCall.confidence,
    CALLS,
  );
}

/**
 * "file:line:column (function), +1.2 MB live (240 B/call)" for an allocation site.
 *
 * @param site - a growing site
 * @returns the text
 */
export function formatSite(site: GrowingSite): string {
  const where = site.userFrame ?? site.frame;
  const place = where ? formatFrame(where) : '(unknown frame)';
  return `${place}, +${formatBytes(site.growth)} live (${formatBytes(site.perUnit)}/call)`;
}

function seriesOf(x: readonly number[], y: Readonly<Record<string, number[]>>): MetricSeries[] {
  return METRICS_MEASURED.map((metric) => ({ metric, x: [...x], y: [...(y[metric] ?? [])] }));
}

/**
 * Growing sites between the two profiles, mapped to original source lines, by the same growth
 * test as a service run's attribution (any growth per call that stands out from sampling noise,
 * in a stack through the user's code). Maps Node knows (tsx, --enable-source-maps) are always
 * used; when `lookForMaps`, scripts a test runner transformed itself get their inline maps from
 * the debugger (a few hundred ms, so only when a site will be shown).
 */
async function allocationSites(
  sampler: InProcessHeapSampler,
  before: SamplingProfile,
  after: SamplingProfile,
  o: ResolvedDetectLeakOptions,
  calls: number,
  lookForMaps: boolean,
): Promise<GrowingSite[]> {
  const scripts: ScriptInfo[] = [];
  if (lookForMaps) {
    const wanted = scriptsInProfile(after, (cf) => isUserUrl(cf.url) && !nodeHasSourceMap(cf.url));
    if (wanted.size > 0) {
      try {
        for (const [scriptId, s] of await sampler.sourceMapUrls(new Set(wanted.keys()))) {
          scripts.push({ scriptId, url: s.url, sourceMapURL: s.sourceMapURL });
        }
      } catch {
        // Without the debugger the generated positions are shown; the function name still is right.
      }
    }
  }
  const mapper = new SourceMapper(scripts, { nodeMaps: true });
  return significantSites(mapper.mapProfile(before), mapper.mapProfile(after), calls, {
    threshold: 0,
    minSamples: MIN_SITE_SAMPLES,
    requireUserFrame: true,
  }).slice(0, MAX_SITES);
}

function summarise(r: LeakDetection): string {
  const head =
    r.verdict === 'leak' ? 'leaks' : r.verdict === 'pass' ? 'does not leak' : 'inconclusive whether it leaks';
  const top = r.sites[0];
  const site = r.verdict !== 'pass' && top ? `; growing allocation site: ${formatSite(top)}` : '';
  return `${head}: ${r.perCall.metric} ${formatPerCall(r.perCall)} over ${formatNumber(r.calls)} calls${site}`;
}

/** One-sided alpha per side of the sequential looks: the rules' two-sided level split in two. */
function alphaOf(o: ResolvedDetectLeakOptions): number {
  return (1 - o.confidence) / 2;
}

/** The heap's verdict from the sequential looks, in words per call; the other metrics keep the rules'. */
function withSequentialHeap(
  fitted: RunAnalysis,
  result: SequentialResult,
  o: ResolvedDetectLeakOptions,
): RunAnalysis {
  const last = result.last;
  const needed = last && result.verdict === 'inconclusive' ? requestsNeeded(last, o.bytesPerCall) : null;
  const words = sequentialReason(
    result,
    o.bytesPerCall,
    alphaOf(o),
    { requests: needed, seconds: null },
    CALLS,
  );
  return withSequentialVerdict(fitted, 'heapUsed', { verdict: result.verdict, ...words });
}

function analysisOptions(o: ResolvedDetectLeakOptions): AnalysisOptions {
  const threshold = { perUnit: o.bytesPerCall, minGrowth: o.minGrowth };
  return mergeAnalysisOptions({
    confidence: o.confidence,
    thresholds: { heapUsed: threshold, external: threshold },
    gating: { heapUsed: true, external: true },
  });
}

/**
 * V8 heap used, less the space holding compiled machine code. Each forced GC deoptimises code
 * that embeds weak objects and the next calls recompile it, so code space creeps up by a few KB
 * per batch (measured in jest: ~3.5 KB per GC) with no data retained; in a unit-sized window that
 * would read as growth per call. A leak of data never lives in code space.
 */
function heapUsedWithoutCode(): number {
  let used = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (!CODE_SPACES.has(space.space_name)) used += space.space_used_size;
  }
  return used;
}

function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
