/** Analysis options: confidence, minimum samples, per-metric thresholds and gating. */
import { METRICS, isMetricName, type MetricName, type MetricThreshold } from './metrics';

/** Default confidence level of every interval and test. */
export const DEFAULT_CONFIDENCE = 0.95;
/** Default fewest samples needed before any verdict other than inconclusive. */
export const DEFAULT_MIN_SAMPLES = 8;

/** Options the analysis runs with. Metrics missing from `thresholds` or `gating` use the catalogue. */
export interface AnalysisOptions {
  /** Confidence level of intervals and tests, in (0, 1). */
  confidence: number;
  /** Fewer samples than this → inconclusive. At least 3. */
  minSamples: number;
  /** Per-metric thresholds overriding {@link METRICS}. */
  thresholds: Partial<Record<MetricName, MetricThreshold>>;
  /** Per-metric gating overriding {@link METRICS} (true: a leak fails the run). */
  gating?: Partial<Record<MetricName, boolean>>;
}

/** Partial options as a user or config file gives them; thresholds may set one field only. */
export interface AnalysisOptionsInput {
  /** Confidence level, in (0, 1). */
  confidence?: number;
  /** Minimum samples, an integer ≥ 3. */
  minSamples?: number;
  /** Threshold overrides; a missing field keeps the base value. */
  thresholds?: Partial<Record<MetricName, MetricThresholdInput>>;
  /** Gating overrides. */
  gating?: Partial<Record<MetricName, boolean>>;
}

/** A threshold override as given: any field may be missing. */
export interface MetricThresholdInput extends Partial<MetricThreshold> {
  /** @deprecated since report schema 2: use `perUnit` (same meaning); read for one release. */
  perRequest?: number;
}

/**
 * The defaults: 95% confidence, 8 samples, catalogue thresholds and gating spelled out per metric.
 *
 * @returns a fresh options object (safe to modify)
 */
export function defaultAnalysisOptions(): AnalysisOptions {
  const thresholds: Partial<Record<MetricName, MetricThreshold>> = {};
  const gating: Partial<Record<MetricName, boolean>> = {};
  for (const info of Object.values(METRICS)) {
    thresholds[info.name] = { ...info.threshold };
    gating[info.name] = info.gatingByDefault;
  }
  return { confidence: DEFAULT_CONFIDENCE, minSamples: DEFAULT_MIN_SAMPLES, thresholds, gating };
}

/**
 * Lays `overrides` over `base` (the defaults unless given) and validates the result.
 *
 * @param overrides - partial options; per-metric thresholds may override one field
 * @param base - options to start from
 * @returns complete options
 * @throws RangeError for an unknown metric name or an out-of-range value
 */
export function mergeAnalysisOptions(
  overrides: AnalysisOptionsInput = {},
  base: AnalysisOptions = defaultAnalysisOptions(),
): AnalysisOptions {
  const thresholds: Partial<Record<MetricName, MetricThreshold>> = {};
  for (const [name, value] of Object.entries(base.thresholds)) {
    if (value) thresholds[checkedName(name)] = { ...value };
  }
  for (const [name, value] of Object.entries(overrides.thresholds ?? {})) {
    const metric = checkedName(name);
    const current = thresholds[metric] ?? METRICS[metric].threshold;
    const { perRequest, ...rest } = value ?? {};
    const perUnit = rest.perUnit ?? perRequest;
    thresholds[metric] = { ...current, ...rest, ...(perUnit !== undefined ? { perUnit } : {}) };
  }
  const merged: AnalysisOptions = {
    confidence: overrides.confidence ?? base.confidence,
    minSamples: overrides.minSamples ?? base.minSamples,
    thresholds,
    gating: { ...base.gating },
  };
  for (const [name, value] of Object.entries(overrides.gating ?? {})) {
    if (value !== undefined && merged.gating) merged.gating[checkedName(name)] = value;
  }
  validateAnalysisOptions(merged);
  return merged;
}

/**
 * Throws unless the options are usable: confidence in (0, 1), minSamples an integer ≥ 3, every
 * threshold finite and ≥ 0, every metric name known.
 *
 * @param options - options to check
 * @throws RangeError describing the first problem
 */
export function validateAnalysisOptions(options: AnalysisOptions): void {
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw new RangeError(`confidence must be in (0, 1), got ${options.confidence}`);
  }
  // Fewer than 3 points leave no degrees of freedom for an interval.
  if (!Number.isInteger(options.minSamples) || options.minSamples < 3) {
    throw new RangeError(`minSamples must be an integer >= 3, got ${options.minSamples}`);
  }
  for (const [name, value] of Object.entries(options.thresholds)) {
    checkedName(name);
    if (!value) continue;
    for (const field of ['perUnit', 'minGrowth'] as const) {
      if (!(Number.isFinite(value[field]) && value[field] >= 0)) {
        throw new RangeError(`thresholds.${name}.${field} must be a finite number >= 0, got ${value[field]}`);
      }
    }
  }
  for (const name of Object.keys(options.gating ?? {})) checkedName(name);
}

/**
 * Threshold for a metric under these options (the catalogue default when not overridden).
 *
 * @param metric - metric name
 * @param options - analysis options
 * @returns the threshold
 */
export function thresholdFor(metric: MetricName, options: AnalysisOptions): MetricThreshold {
  return { ...(options.thresholds[metric] ?? METRICS[metric].threshold) };
}

/**
 * Whether a leak in this metric fails the run under these options.
 *
 * @param metric - metric name
 * @param options - analysis options
 * @returns true when the metric gates the verdict
 */
export function isGating(metric: MetricName, options: AnalysisOptions): boolean {
  return options.gating?.[metric] ?? METRICS[metric].gatingByDefault;
}

function checkedName(name: string): MetricName {
  if (!isMetricName(name)) throw new RangeError(`unknown metric "${name}"`);
  return name;
}
