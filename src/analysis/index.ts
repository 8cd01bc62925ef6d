/** Public API of the analysis stage: statistics and verdict rules as pure functions over arrays. */
export { AXES, CALLS, HOURS, REQUESTS, axisNamed } from './axis';
export type { Axis } from './axis';
export { normalCdf, normalQuantile, normalTwoSidedP, tQuantile } from './distributions';
export {
  formatAmount,
  formatBytes,
  formatConfidence,
  formatDuration,
  formatNumber,
  formatPValue,
  formatRate,
  formatRateWithInterval,
  formatSignificant,
} from './format';
export { METRICS, METRIC_NAMES, isMetricName, metricInfo } from './metrics';
export type { MetricInfo, MetricName, MetricThreshold, MetricUnit } from './metrics';
export {
  DEFAULT_CONFIDENCE,
  DEFAULT_MIN_SAMPLES,
  defaultAnalysisOptions,
  isGating,
  mergeAnalysisOptions,
  thresholdFor,
  validateAnalysisOptions,
} from './options';
export type { AnalysisOptions, AnalysisOptionsInput, MetricThresholdInput } from './options';
export {
  PLATEAU_EARLY_FRACTION,
  PLATEAU_LATE_FRACTION,
  PLATEAU_MIN_EARLY_SAMPLES,
  PLATEAU_MIN_LATE_SAMPLES,
  plateauFit,
} from './plateau';
export type { PlateauFit } from './plateau';
export { projectTimeToLimit } from './projection';
export type { Projection, ProjectionInput } from './projection';
export { olsFit } from './regression';
export type { OlsFit } from './regression';
export { THEIL_SEN_MAX_POINTS, mannKendall, theilSen } from './robust';
export type { MannKendall, TheilSenFit } from './robust';
export {
  PLATEAU_MAX_RATIO,
  RULES,
  belowThreshold,
  decide,
  linearGrowth,
  noTrend,
  plateau,
  tooFewSamples,
  undecided,
} from './rules';
export type { Rule, RuleContext, RuleName, RuleResult, Verdict } from './rules';
export { cleanSeries } from './series';
export type { CleanSeries } from './series';
export { analyseMetric, analyseRun, withSequentialVerdict } from './verdict';
export type {
  AnalyseOptions,
  MetricAnalysis,
  MetricSeries,
  RunAnalysis,
  RunRuleName,
  SequentialDecision,
} from './verdict';
