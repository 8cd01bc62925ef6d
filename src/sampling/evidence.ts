/**
 * Sequential measurement, as the run loop uses it: the look schedule, the sample spacing, and the
 * evidence so far (every serving process's heap series, and the gating counts' series, through the
 * sequential procedure of analysis/sequential.ts). Pure: samples in, decision out, so the report
 * recomputes the same looks.
 */
import type { MetricName } from '../analysis/metrics';
import {
  lookSchedule,
  sequentialTest,
  type SequentialLook,
  type SequentialResult,
} from '../analysis/sequential';
import { metricValue, type Sample } from './samples';

/** A process must serve at least this share of requests to count (wrappers serve none). */
export const MIN_SHARE = 0.1;

/** V8 spaces holding compiled machine code: a leak of data never lives there (as detectLeak). */
const CODE_SPACES = ['code_space', 'code_large_object_space'] as const;

/** What the sequential procedure runs with. */
export interface EvidenceSettings {
  /** Heap growth per request that counts as a leak. */
  threshold: number;
  /** Chance of a false leak over all looks (and, separately, of a false pass). */
  alpha: number;
  /** Sample counts at which to look. */
  schedule: number[];
  /** Requests the measured series must span before a look is taken (a fresh process's compile burst). */
  minRequests: number;
  /**
   * Relative half-width of a leak's interval to refine its estimate to after the leak is called
   * (absent: the deciding look's estimate is reported as it is).
   */
  precision?: number;
  /**
   * Gating counts whose looks may call a leak before the heap decides (never a pass: that is the
   * heap's). They share {@link COUNT_ALPHA_SHARE} of `alpha` between them.
   */
  counts?: readonly CountSettings[];
}

/**
 * The share of the heap's alpha the counts' looks spend between them: a false leak over the heap
 * and every count together is bounded by `alpha` × 1.2 (3% at the default 2.5%). A count that
 * leaks moves in whole steps with no scatter to speak of, so a stricter level costs it little.
 */
export const COUNT_ALPHA_SHARE = 0.2;

/** Counts a look weighs beside the heap: what a pool, a socket or a file left open adds to. */
export const COUNT_METRICS = ['fds', 'handles', 'sockets'] as const;
export type CountMetric = (typeof COUNT_METRICS)[number];

/** One count's test: its threshold per request and the growth its deciding look must show. */
export interface CountSettings {
  metric: CountMetric;
  /** Growth per request that counts as a leak (the metric's threshold). */
  threshold: number;
  /**
   * Least growth of the deciding look's recent half, in the count's units (the metric's
   * `minGrowth`): a pool or a set of keep-alive connections that fills while the load ramps up
   * adds a few and stops; a leak keeps adding.
   */
  minGrowth: number;
}

/** A count whose looks called a leak before the heap decided. */
export interface CountLeak {
  metric: CountMetric;
  /** The count's sequential result (its deciding look is `result.decided`). */
  result: SequentialResult;
  /** Growth over the deciding look's recent half, in the count's units. */
  growth: number;
  threshold: number;
  /** The alpha this count's looks were run at. */
  alpha: number;
}

/** The evidence of every serving process, combined. */
export interface Evidence {
  /** `undecided` while measuring; at the budget it becomes `inconclusive`. */
  verdict: 'leak' | 'pass' | 'inconclusive' | 'undecided';
  /** The process the verdict is about (the leaking one, else the busiest). */
  pid: number | null;
  /** That process's looks; the last is the latest (or deciding) one. */
  looks: SequentialLook[];
  /** Every serving process's result (the heap's), and a count that called a leak, if one did. */
  processes: Array<{ pid: number; result: SequentialResult; count?: CountLeak }>;
  /** What the leak is on: the heap, or a count whose looks called it first; null without a leak. */
  metric: MetricName | null;
  /** A leak was called and its estimate is still being refined (more samples sharpen it). */
  refining: boolean;
  /** A leak was called and its latest leak look's growth is still slowing down (warm-up in its estimate). */
  warming: boolean;
}

/**
 * Heap after GC without the code spaces: compiled code keeps growing while a fresh process
 * compiles (for its first ~150k requests) and is not data anyone can leak.
 *
 * @param s - a sample
 * @returns heapUsed less code space
 */
export function dataHeap(s: Sample): number {
  let code = 0;
  for (const name of CODE_SPACES) code += s.spaces?.[name] ?? 0;
  return s.heapUsed - code;
}

/**
 * The look schedule of a run: the first look when the minimum window is full, then geometric up
 * to the samples the budget allows.
 *
 * @param minWindowMs - minimum measured window
 * @param maxMs - measured-time budget
 * @param spacingMs - time between samples
 * @returns sample counts at which to look
 */
export function planLooks(minWindowMs: number, maxMs: number, spacingMs: number): number[] {
  const first = Math.round(minWindowMs / spacingMs) + 1;
  const last = Math.ceil(Math.max(maxMs, minWindowMs) / spacingMs) + 1;
  return lookSchedule(first, last);
}

/** What the spacing of the next sample depends on. */
export interface StepInput {
  /** Requests per second so far (or during the warm-up, before the second sample). */
  rate: number;
  /** Sequential: the time between samples. */
  spacingMs?: number;
  /** Fixed window bounded by requests: the bound. */
  requestBound?: number;
  /** Fixed window bounded by time: its length and the time spent in it. */
  windowMs?: number;
  spentMs?: number;
  /** Samples planned in a fixed window, and the index of the next one. */
  samples: number;
  index: number;
}

/**
 * Requests until the next sample. Sequential: the throughput times the spacing. Fixed window by
 * requests: the bound spread over the samples. Fixed window by time: the throughput over the time
 * left, spread over the samples left (re-estimated after each sample, since sampling itself slows
 * the service down).
 *
 * @param p - throughput and plan
 * @returns requests to the next sample, at least 1
 */
export function sampleStep(p: StepInput): number {
  if (p.spacingMs !== undefined) return Math.max(1, Math.round((p.rate * p.spacingMs) / 1000));
  if (p.requestBound) return Math.max(1, Math.round(p.requestBound / (p.samples - 1)));
  const windowMs = p.windowMs ?? 0;
  const leftMs = Math.max(windowMs - (p.spentMs ?? 0), windowMs / (p.samples - 1) / 2);
  return Math.max(1, Math.round((p.rate * leftMs) / 1000 / Math.max(1, p.samples - p.index)));
}

/**
 * Weighs the evidence of the measured samples so far.
 *
 * @param samples - every sample of the run (warm-up and cool-down ones are ignored)
 * @param settings - threshold, alpha, schedule
 * @param final - the budget is spent: take the last look and say inconclusive if it does not decide
 * @returns the combined verdict: leak if any serving process leaks, pass when all pass
 */
export function weighEvidence(
  samples: readonly Sample[],
  settings: EvidenceSettings,
  final: boolean,
): Evidence {
  const byPid = new Map<number, Sample[]>();
  for (const s of samples) {
    if (s.phase !== 'measure') continue;
    const list = byPid.get(s.pid);
    if (list) list.push(s);
    else byPid.set(s.pid, [s]);
  }
  const served = (list: Sample[]): number => (list.at(-1)?.requests ?? 0) - (list[0]?.requests ?? 0);
  const total = [...byPid.values()].reduce((a, l) => a + served(l), 0);
  const serving = [...byPid.entries()]
    .filter(([, list]) => total > 0 && served(list) / total >= MIN_SHARE)
    .sort((a, b) => served(b[1]) - served(a[1]));
  const processes = serving.map(([pid, list]) => {
    const result = sequentialTest(
      list.map((s) => s.requests),
      list.map(dataHeap),
      settings.schedule,
      {
        threshold: settings.threshold,
        alpha: settings.alpha,
        minSpan: settings.minRequests,
        clock: list.map((s) => s.uptimeMs),
        ...(settings.precision !== undefined ? { precision: settings.precision } : {}),
      },
      final,
    );
    const count = result.verdict === 'leak' ? undefined : countLeak(list, settings);
    return { pid, result, ...(count ? { count } : {}) };
  });
  const leak = processes.find((p) => p.result.verdict === 'leak') ?? processes.find((p) => p.count);
  const shown = leak ?? processes[0];
  const verdict = leak
    ? 'leak'
    : processes.length > 0 && processes.every((p) => p.result.verdict === 'pass')
      ? 'pass'
      : final
        ? 'inconclusive'
        : 'undecided';
  const heapLeak = leak?.result.verdict === 'leak';
  return {
    verdict,
    pid: shown?.pid ?? null,
    looks: shown?.result.looks ?? [],
    processes,
    metric: leak ? (heapLeak ? 'heapUsed' : (leak.count?.metric ?? null)) : null,
    refining: heapLeak ? leak.result.refining : false,
    warming: heapLeak ? leak.result.warming : false,
  };
}

/**
 * The first gating count whose looks call a leak on a process's series: the same sequential
 * procedure as the heap's (its looks, its interval against the count's threshold), at an alpha
 * the counts share. A leak look counts only when its recent half grew by the count's `minGrowth`;
 * a look that passes, or a leak look that grew less, decides nothing and the next look is taken
 * (`leakOnly`, `leakIf`): the heap decides a pass, and the report judges every metric over the
 * whole window when the run ends.
 *
 * @param list - one process's measured samples
 * @param settings - the counts, schedule and alpha
 * @returns the count that leaks, or undefined
 */
function countLeak(list: readonly Sample[], settings: EvidenceSettings): CountLeak | undefined {
  const counts = settings.counts ?? [];
  if (counts.length === 0) return undefined;
  const alpha = (settings.alpha * COUNT_ALPHA_SHARE) / counts.length;
  const x = list.map((s) => s.requests);
  for (const c of counts) {
    const values = list.map((s) => metricValue(s, c.metric));
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) continue;
    const y = values as number[];
    const at = (requests: number): number => y[x.indexOf(requests)] ?? Number.NaN;
    const growth = (look: SequentialLook): number => at(look.to) - at(look.from);
    const result = sequentialTest(
      x,
      y,
      settings.schedule,
      {
        threshold: c.threshold,
        alpha,
        minSpan: settings.minRequests,
        clock: list.map((s) => s.uptimeMs),
        leakOnly: true,
        leakIf: (look) => growth(look) >= c.minGrowth,
      },
      false,
    );
    const look = result.decided;
    if (result.verdict === 'leak' && look)
      return { metric: c.metric, result, growth: growth(look), threshold: c.threshold, alpha };
  }
  return undefined;
}
