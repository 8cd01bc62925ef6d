/**
 * The result of `leakcheck compare`: compare.json is this object. Each run's own report.json is
 * kept beside it; this one says what the pairs of runs add up to.
 */
import { z } from 'zod';
import type { ReportVerdict } from '../report/report';
import { ReportFormatError } from '../report/validate';
import type { DependencyChanges } from '../deps/changes';
import type { MetricDifference } from './difference';

/** Version of the compare.json layout. */
export const COMPARE_SCHEMA_VERSION = 1;

/**
 * One run's windows: seconds, or requests when the run is bounded by requests (then the seconds
 * are only the fallback the run did not use). Compare's pairs and bisect's runs share it.
 */
export interface RunWindow {
  warmupSeconds: number;
  durationSeconds: number;
  /** Warm-up bounded by requests instead of seconds (absent for a timed warm-up). */
  warmupRequests?: number;
  /** Measured window bounded by requests instead of seconds. */
  requests?: number;
}

/** One run of the comparison. */
export interface CompareRun {
  side: 'base' | 'head';
  /** Pair it belongs to, from 1. */
  pair: number;
  /** Position in the whole sequence, from 1 (runs alternate). */
  order: number;
  status: string;
  verdict: ReportVerdict;
  summary: string;
  /** Its report.json. */
  reportFile: string;
  /** Requests the analysed process served in the measured window. */
  requests: number;
  /** Node version the target ran on. */
  node?: string;
  ms: number;
}

/** A leak the base already has (the pull request is not blamed for it). */
export interface PreExistingLeak {
  metric: string;
  /** Mean growth per request over the base runs. */
  perRequest: number;
  reason: string;
}

/** The outcome of base versus head. */
export interface CompareReport {
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  kind: 'compare';
  tool: { name: 'leakcheck'; version: string };
  createdAt: string;
  /**
   * leak: the head adds growth beyond the threshold (the pull request is blamed); pass: it adds
   * none; inconclusive: the difference's interval is too wide to say; error: a run or the install
   * failed.
   */
  verdict: ReportVerdict;
  exitCode: number;
  /** One line for humans. */
  summary: string;
  /** The metric difference that decided, when one did. */
  /** `rule` is set when something other than a metric difference decided (`resource-exhausted`). */
  decidedBy: { metric: string; reason: string; rule?: string } | null;
  base: {
    ref: string;
    /** The merge base of HEAD and the ref: what was measured. */
    commit: string;
    install: { command: string | null; why: string; ok: boolean; ms: number };
  };
  head: { commit: string; dirty: boolean; dir: string };
  /** Complete pairs of runs measured, and the windows of each run. */
  pairs: number;
  /**
   * How the number of pairs was chosen: `sequential` looks after each pair from the second and
   * stops once the verdict is leak or pass (at most `maxPairs`); `fixed` runs `--pairs` pairs.
   * Absent in reports written before 0.2.0.
   */
  pairPlan?: { mode: 'fixed' | 'sequential'; maxPairs: number; looks: PairLook[] };
  perRun: RunWindow & { samples: number };
  runs: CompareRun[];
  /** head − base for every metric measured on both sides. */
  differences: MetricDifference[];
  /** Gating metrics that every base run already called a leak. */
  preExisting: PreExistingLeak[];
  failure?: { message: string; logTail: string[] };
  /** Packages whose resolved versions differ between the base's lock file and the head's. */
  dependencies?: DependencyChanges;
  /**
   * When the head's growing allocation sites sit inside a dependency: which, and whether this
   * change moved its version (the same words end the summary).
   */
  blame?: string;
  warnings: string[];
  settings: { failOn: 'leak' | 'inconclusive' | 'never'; confidence: number };
  timings: { installMs: number; totalMs: number };
}

/** One look of a sequential comparison: the verdict after `pairs` pairs at that look's confidence. */
export interface PairLook {
  pairs: number;
  /** Two-sided confidence of the intervals at this look (alpha spent across the looks). */
  confidence: number;
  verdict: 'leak' | 'pass' | 'inconclusive' | 'error';
}

const num = z.number();
const verdict = z.enum(['leak', 'pass', 'inconclusive']);
const side = z.looseObject({ mean: num, perRun: z.array(num), leakRuns: num, runs: num });
const compareSchema = z.looseObject({
  schemaVersion: z.literal(COMPARE_SCHEMA_VERSION),
  kind: z.literal('compare'),
  tool: z.looseObject({ name: z.literal('leakcheck'), version: z.string() }),
  verdict: z.enum(['leak', 'pass', 'inconclusive', 'error']),
  exitCode: num,
  summary: z.string(),
  decidedBy: z.looseObject({ metric: z.string(), reason: z.string() }).nullable(),
  base: z.looseObject({
    ref: z.string(),
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'expected a commit id'),
    install: z.looseObject({ command: z.string().nullable(), why: z.string(), ok: z.boolean(), ms: num }),
  }),
  head: z.looseObject({
    commit: z.string().regex(/^[0-9a-f]{40}$/, 'expected a commit id'),
    dirty: z.boolean(),
    dir: z.string(),
  }),
  pairs: num,
  perRun: z.looseObject({
    warmupSeconds: num,
    durationSeconds: num,
    warmupRequests: num.optional(),
    requests: num.optional(),
    samples: num,
  }),
  runs: z.array(
    z.looseObject({
      side: z.enum(['base', 'head']),
      pair: num,
      order: num,
      verdict: z.enum(['leak', 'pass', 'inconclusive', 'error']),
      requests: num,
      ms: num,
    }),
  ),
  differences: z.array(
    z.looseObject({
      metric: z.string(),
      unit: z.enum(['bytes', 'count']),
      gating: z.boolean(),
      mean: num,
      low: num,
      high: num,
      confidence: num,
      base: side,
      head: side,
      verdict,
      reason: z.string(),
    }),
  ),
  preExisting: z.array(z.looseObject({ metric: z.string(), perRequest: num, reason: z.string() })),
  failure: z.looseObject({ message: z.string(), logTail: z.array(z.string()) }).optional(),
  warnings: z.array(z.string()),
  settings: z.looseObject({ confidence: num }),
});

/**
 * Checks a compare.json read back (the comment workflow reads one from an artifact that the pull
 * request's own code made): the fields the renderers read, with their types.
 *
 * @param value - the parsed JSON
 * @param name - the file's name, for the message
 * @returns the comparison
 * @throws ReportFormatError naming the file and the first field that is wrong
 */
export function validateCompareReport(value: unknown, name: string): CompareReport {
  const parsed = compareSchema.safeParse(value);
  if (parsed.success) return parsed.data as unknown as CompareReport;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(top level)';
  throw new ReportFormatError(
    `${name} is not a leakcheck comparison: ${field}: ${issue?.message ?? 'invalid'}`,
  );
}
