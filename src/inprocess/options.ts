/**
 * detectLeak's options: what each one means, its measured default, and the validation that names
 * the first bad field.
 */
/** Options of {@link detectLeak}; every field has a measured default ({@link DETECT_LEAK_DEFAULTS}). */
export interface DetectLeakOptions {
  /**
   * Calls in the minimum measured window (default 10,000). Sequential measurement looks first when
   * they are made and keeps calling, batch by batch, until the evidence decides or
   * `maxIterations` is reached; with `sequential: false` they are the whole window.
   */
  iterations?: number;
  /**
   * Sequential measurement (default true): after the minimum window, judge after every few batches
   * and stop as soon as growth above `bytesPerCall` is shown (leak) or ruled out (pass); false
   * gives the fixed window of `iterations` calls judged once by the rules.
   */
  sequential?: boolean;
  /** Most calls a sequential measurement makes before it ends inconclusive (default 5 × `iterations`). */
  maxIterations?: number;
  /** Calls before the first sample, to fill caches, compile and warm up (default 1,000). */
  warmup?: number;
  /** Batches the measured calls are split into; one GC and sample after each, plus one before the
   *  first (default 20, so 21 samples). */
  batches?: number;
  /** Growth per call above which the function leaks, in bytes (default 64). */
  bytesPerCall?: number;
  /** Fitted growth over the measured window below which nothing is called a leak (default 64 KiB). */
  minGrowth?: number;
  /** Confidence level of the intervals and the trend test (default 0.95). */
  confidence?: number;
  /** Look for the growing allocation site with V8's sampling heap profiler (default true). */
  attribution?: boolean;
  /** Average bytes between heap-profile samples (default 4,096). */
  samplingInterval?: number;
}

/** The options in force, every field set. */
export type ResolvedDetectLeakOptions = Required<DetectLeakOptions>;

/** The sequential budget, in units of the minimum window, when `maxIterations` is not given. */
export const DEFAULT_BUDGET_WINDOWS = 5;

/**
 * Defaults, chosen from measurements on Node 20 (README, "Leak tests in unit tests"):
 * - forced GCs, not calls, are the cost (a few ms each in a small heap, 0.1 s or more in jest's
 *   200 MB heap), so the window is 20 batches of 500 cheap calls rather than more batches;
 * - each batch picks up a few KB that are not the function's (recompiled code, the test runner's
 *   timers and reporter), i.e. noise per call that shrinks as batches get longer. Clean functions
 *   measured 0–5.5 B/call (upper bounds ≤ 7.6, 20 runs each) in a plain process and 2–7 B/call
 *   (upper bounds ≤ 11) in jest; with 2,000 calls in 8 batches jest showed 15–29 B/call (upper
 *   bounds up to 37). The planted 200 B/call leak measured 200–202 B/call;
 * - 64 B/call sits about 3× below the 200 B/call target and well above the noise of the default
 *   window, even in jest (and still above that of a short window);
 * - 64 KiB minimum growth replaces the service defaults (1 MiB heap, 256 KiB external, meant for load tests with noisy
 *   heaps) so a short custom window can still decide, while one-off steps (tens of KB) cannot.
 */
export const DETECT_LEAK_DEFAULTS: Readonly<ResolvedDetectLeakOptions> = Object.freeze({
  iterations: 10000,
  sequential: true,
  maxIterations: 10000 * DEFAULT_BUDGET_WINDOWS,
  warmup: 1000,
  batches: 20,
  bytesPerCall: 64,
  minGrowth: 64 * 1024,
  confidence: 0.95,
  attribution: true,
  samplingInterval: 4096,
});

/**
 * Validates and completes options.
 *
 * @param options - partial options
 * @returns every field set
 * @throws RangeError naming the first bad field and what was expected
 */
export function resolveDetectLeakOptions(options: DetectLeakOptions = {}): ResolvedDetectLeakOptions {
  const o: ResolvedDetectLeakOptions = { ...DETECT_LEAK_DEFAULTS };
  if (options.maxIterations === undefined && options.iterations !== undefined) {
    o.maxIterations = options.iterations * DEFAULT_BUDGET_WINDOWS;
  }
  for (const [key, value] of Object.entries(options) as [keyof DetectLeakOptions, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DETECT_LEAK_DEFAULTS)) throw new RangeError(`detectLeak: unknown option "${String(key)}"`);
    (o as Record<string, unknown>)[key] = value;
  }
  const integer = (name: keyof ResolvedDetectLeakOptions, min: number): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new RangeError(`detectLeak: ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  const nonNegative = (name: keyof ResolvedDetectLeakOptions): void => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`detectLeak: ${name} must be a finite number >= 0, got ${String(v)}`);
    }
  };
  integer('warmup', 0);
  // The analysis needs 8 samples (minSamples) and distinct call counts for a slope.
  integer('batches', 7);
  integer('iterations', o.batches);
  integer('maxIterations', o.iterations);
  nonNegative('bytesPerCall');
  nonNegative('minGrowth');
  integer('samplingInterval', 1);
  if (!(typeof o.confidence === 'number' && o.confidence > 0 && o.confidence < 1)) {
    throw new RangeError(`detectLeak: confidence must be in (0, 1), got ${String(o.confidence)}`);
  }
  if (typeof o.sequential !== 'boolean') {
    throw new RangeError(`detectLeak: sequential must be true or false, got ${String(o.sequential)}`);
  }
  if (typeof o.attribution !== 'boolean') {
    throw new RangeError(`detectLeak: attribution must be true or false, got ${String(o.attribution)}`);
  }
  return o;
}
