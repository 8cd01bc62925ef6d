/** Fits every metric, applies the rules, and combines per-metric verdicts into the run's verdict. */
import { combineVerdicts } from '../outcome';
import { REQUESTS, type Axis } from './axis';
import type { RateEstimate } from './format';
import { METRICS, type MetricName, type MetricThreshold, type MetricUnit } from './metrics';
import {
  defaultAnalysisOptions,
  isGating,
  thresholdFor,
  validateAnalysisOptions,
  type AnalysisOptions,
} from './options';
import { plateauFit, type PlateauFit } from './plateau';
import { olsFit, type OlsFit } from './regression';
import { trendFits, type MannKendall, type TheilSenFit } from './robust';
import { decide, type RuleName, type Verdict } from './rules';
import type { SequentialRule } from './sequential';
import { at, cleanSeries } from './series';

/** Everything the analysis found about one metric; all numbers finite (JSON-safe). */
export interface MetricAnalysis {
  /** Metric name. */
  metric: MetricName;
  /** Unit of the values and of growth. */
  unit: MetricUnit;
  /** What x was ("requests", "calls", "hours"): growth is per one of these. */
  axis: string;
  /** Whether this metric's verdict counts towards the run's verdict. */
  gating: boolean;
  /** Samples fitted (after dropping non-finite ones). */
  samples: number;
  /** Samples dropped because a value was missing or not a finite number. */
  skipped: number;
  /** x at the first fitted sample (requests served, calls made, hours). Was `firstRequests`. */
  xFirst: number;
  /** x at the last fitted sample. Was `lastRequests`. */
  xLast: number;
  /** Thresholds the verdict was judged against. */
  threshold: MetricThreshold;
  /** Least-squares fit of value against x. */
  ols: OlsFit;
  /** Theil-Sen fit with Sen's interval. */
  theilSen: TheilSenFit;
  /** Mann-Kendall trend test. */
  mannKendall: MannKendall;
  /** Early-versus-late growth rates. */
  plateau: PlateauFit;
  /** Fitted growth over the window: robust slope × (xLast − xFirst). */
  growth: number;
  /** Last sample minus first sample. */
  observedGrowth: number;
  /**
   * Growth per unit of the axis. Was `perRequest`. The robust (Theil-Sen) slope, or, when a
   * sequential rule decided the metric, the deciding look's recent slope.
   */
  perUnit: number;
  /**
   * The interval of `perUnit`, from the same fit: Sen's interval of the Theil-Sen slope, or the
   * deciding look's interval (valid together over all looks, at `confidence`). Reports written
   * before this field get it on load (report/migrate.ts).
   */
  perUnitInterval: { low: number; high: number; confidence: number };
  /** This metric's verdict. */
  verdict: Verdict;
  /** The rule that decided it (a sequential rule when a sequential run decided the heap). */
  rule: RuleName | SequentialRule;
  /** Why, in words with numbers. */
  reason: string;
}

/** A metric as the rules decided it (before any sequential decision replaces the heap's). */
export type RuleMetricAnalysis = MetricAnalysis & { rule: RuleName };

/** One metric's samples: x = where on the axis it was sampled (requests served), y = its value. */
export interface MetricSeries {
  /** Metric name. */
  metric: MetricName;
  /** x of each sample: requests served, calls made or hours passed. */
  x: readonly number[];
  /** Metric value at each sample. */
  y: readonly number[];
}

/** Rule names a run-level decision can cite: a metric's rule, or the lack of any gating metric. */
export type RunRuleName = RuleName | SequentialRule | 'no-gating-metrics';

/** The run's verdict and the metric and rule it came from. */
export interface RunAnalysis {
  /** Leak if any gating metric leaks, else inconclusive if any is, else pass. */
  verdict: Verdict;
  /** The metric and rule that decided the run (metric null only when nothing gated). */
  decidedBy: { metric: MetricName | null; rule: RunRuleName; reason: string };
  /** Every metric's analysis, in input order. */
  metrics: MetricAnalysis[];
}

/** Analysis options plus the axis; fields left out take the defaults (catalogue, 95%, 8). */
export interface AnalyseOptions extends Partial<AnalysisOptions> {
  /** What x is: its words and scale (default {@link REQUESTS}). */
  axis?: Axis;
}

function complete(options: AnalyseOptions): AnalysisOptions {
  const base = defaultAnalysisOptions();
  return {
    confidence: options.confidence ?? base.confidence,
    minSamples: options.minSamples ?? base.minSamples,
    thresholds: options.thresholds ?? base.thresholds,
    gating: options.gating ?? base.gating,
  };
}

/**
 * Analyses one metric: drops non-finite samples (counting them), sorts by x, fits least squares,
 * Theil-Sen, Mann-Kendall and the plateau windows, and applies the rules, whose reasons speak in
 * the axis' words and scale.
 *
 * @param series - the metric and its samples (x on the axis, y the metric's value)
 * @param options - the axis and analysis options (defaults when omitted)
 * @returns the fits, growth figures and the verdict with the deciding rule and its reason
 */
export function analyseMetric(series: MetricSeries, options: AnalyseOptions = {}): RuleMetricAnalysis {
  const axis = options.axis ?? REQUESTS;
  const settings = complete(options);
  validateAnalysisOptions(settings);
  const { metric } = series;
  const info = METRICS[metric];
  const clean = cleanSeries(series.x, series.y);
  const n = clean.x.length;
  const { confidence } = settings;
  const threshold = thresholdFor(metric, settings);
  const ols = olsFit(clean.x, clean.y, confidence);
  const { theilSen: ts, mannKendall: mk } = trendFits(clean.x, clean.y, confidence);
  const shape = plateauFit(clean.x, clean.y, confidence);
  const xFirst = n > 0 ? at(clean.x, 0) : 0;
  const xLast = n > 0 ? at(clean.x, n - 1) : 0;
  const result = decide({
    metric,
    unit: info.unit,
    axis,
    label: info.label,
    threshold,
    confidence,
    minSamples: settings.minSamples,
    samples: n,
    distinctX: distinctSorted(clean.x),
    xFirst,
    xLast,
    ols,
    theilSen: ts,
    mannKendall: mk,
    plateau: shape,
  });
  const skipped = clean.skipped;
  const reason =
    skipped > 0
      ? `${result.reason} (${skipped} ${axis.point}${skipped === 1 ? '' : 's'} without a finite value skipped)`
      : result.reason;
  return {
    metric,
    unit: info.unit,
    axis: axis.name,
    gating: isGating(metric, settings),
    samples: n,
    skipped,
    xFirst,
    xLast,
    threshold,
    ols,
    theilSen: ts,
    mannKendall: mk,
    plateau: shape,
    growth: ts.slope * (xLast - xFirst),
    observedGrowth: n > 0 ? at(clean.y, n - 1) - at(clean.y, 0) : 0,
    perUnit: ts.slope,
    perUnitInterval: { low: ts.low, high: ts.high, confidence: ts.confidence },
    verdict: result.verdict,
    rule: result.rule,
    reason,
  };
}

/** Distinct values of an ascending array (the size of its Set, without hashing every value). */
function distinctSorted(sorted: readonly number[]): number {
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return distinct;
}

/**
 * Analyses every metric of a run and combines the gating ones: leak if any gating metric leaks,
 * else inconclusive if any is inconclusive, else pass. Informational metrics (rss and
 * arrayBuffers by default) are analysed and reported but never change the run's verdict.
 *
 * `decidedBy` cites the metric and rule behind the verdict: for a leak, the leaking gating metric
 * with the largest growth relative to its `minGrowth`; for inconclusive, the first inconclusive
 * gating metric; for a pass, the first gating metric, its reason prefixed with how many passed.
 *
 * @param series - one entry per metric (each metric at most once)
 * @param options - the axis and analysis options (defaults when omitted)
 * @returns the run verdict, what decided it, and every metric's analysis
 * @throws RangeError when a metric appears twice
 */
export function analyseRun(series: readonly MetricSeries[], options: AnalyseOptions = {}): RunAnalysis {
  const seen = new Set<MetricName>();
  for (const s of series) {
    if (seen.has(s.metric)) throw new RangeError(`metric "${s.metric}" appears more than once`);
    seen.add(s.metric);
  }
  const metrics = series.map((s) => analyseMetric(s, options));
  const gating = metrics.filter((m) => m.gating);
  const cite = (m: MetricAnalysis, reason = m.reason): RunAnalysis['decidedBy'] => ({
    metric: m.metric,
    rule: m.rule,
    reason,
  });

  // How verdicts combine is the outcome module's rule; which metric to cite is decided here.
  const verdict = combineVerdicts(gating.map((m) => m.verdict));
  if (verdict === 'leak') {
    const leaks = gating.filter((m) => m.verdict === 'leak');
    // The most evident leak: largest fitted growth in units of its own minimum growth.
    const severity = (m: MetricAnalysis): number =>
      m.growth / Math.max(m.threshold.minGrowth, Number.MIN_VALUE);
    const worst = leaks.reduce((a, b) => (severity(b) > severity(a) ? b : a));
    return { verdict: 'leak', decidedBy: cite(worst), metrics };
  }
  const unsure = gating.find((m) => m.verdict === 'inconclusive');
  if (verdict === 'inconclusive' && unsure) return { verdict, decidedBy: cite(unsure), metrics };
  const first = gating[0];
  if (!first) {
    return {
      verdict: 'inconclusive',
      decidedBy: {
        metric: null,
        rule: 'no-gating-metrics',
        reason:
          metrics.length === 0
            ? 'no metrics were measured'
            : `none of the measured metrics (${metrics.map((m) => m.metric).join(', ')}) gates the verdict`,
      },
      metrics,
    };
  }
  const prefix =
    gating.length === 1 ? 'the only gating metric passed' : `all ${gating.length} gating metrics passed`;
  return { verdict: 'pass', decidedBy: cite(first, `${prefix}; ${first.reason}`), metrics };
}

/** A sequential decision on one metric, worded ({@link sequentialReason}). */
export interface SequentialDecision {
  /** The procedure's verdict (`inconclusive` at the budget). */
  verdict: Verdict;
  /** The sequential rule behind it. */
  rule: SequentialRule;
  /** Why, in words with numbers. */
  reason: string;
  /**
   * The deciding look's slope with its interval; null when there was no look or its interval was
   * not yet estimable (the metric then keeps the Theil-Sen slope and interval).
   */
  rate: RateEstimate | null;
}

/**
 * Replaces one metric's verdict by a sequential decision and recombines the verdict the way
 * {@link analyseRun} does (leak if any gating metric leaks, else inconclusive if any is, else
 * pass). The citation prefers a leak, then an inconclusive metric, then the replaced metric.
 * A non-gating or missing metric leaves the analysis as it was. The metric's `perUnit` and
 * `perUnitInterval` become the deciding look's, so the figure and its interval come from one fit.
 *
 * @param outcome - the rules' analysis of every metric
 * @param metric - the metric the sequential procedure decided (the heap)
 * @param decision - its verdict, rule, reason and rate
 * @returns the analysis with that metric replaced and the verdict recombined
 */
export function withSequentialVerdict(
  outcome: RunAnalysis,
  metric: MetricName,
  decision: SequentialDecision,
): RunAnalysis {
  const replaced = outcome.metrics.find((m) => m.metric === metric);
  if (!replaced || !replaced.gating) return outcome;
  const metrics = outcome.metrics.map((m) =>
    m === replaced
      ? {
          ...m,
          verdict: decision.verdict,
          rule: decision.rule,
          reason: decision.reason,
          ...(decision.rate
            ? {
                perUnit: decision.rate.estimate,
                perUnitInterval: {
                  low: decision.rate.low,
                  high: decision.rate.high,
                  confidence: decision.rate.confidence,
                },
              }
            : {}),
        }
      : m,
  );
  const gating = metrics.filter((m) => m.gating);
  const verdict = combineVerdicts(gating.map((m) => m.verdict));
  const cite =
    gating.find((m) => m.verdict === 'leak') ??
    gating.find((m) => m.verdict === 'inconclusive') ??
    metrics.find((m) => m.metric === metric);
  return {
    verdict,
    decidedBy: cite ? { metric: cite.metric, rule: cite.rule, reason: cite.reason } : outcome.decidedBy,
    metrics,
  };
}
