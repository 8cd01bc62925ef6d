/**
 * leakcheck's public library API: the same calls the CLI and the GitHub Action make.
 *
 * ```ts
 * import { loadConfig, checkForLeaks } from 'leakcheck';
 * const { config, baseDir } = await loadConfig({ cwd: process.cwd() });
 * const { report } = await checkForLeaks(config, { baseDir, command: ['node', 'server.js'] });
 * ```
 */
export {
  loadConfig,
  ConfigError,
  publicConfigSchema as configSchema,
  type ConfigIssues,
  type ConfigSchema,
  type LoadedConfig,
} from './config/load';
export type { Config, ConfigInput } from './config/types';
export { checkForLeaks, type CheckOptions, type CheckResult } from './pipeline';
export { buildReport } from './report/build';
export { runOptionsFrom, analysisOptionsFrom } from './config/adapt';
export { UsageError } from './errors';
export { EXIT } from './outcome';
export {
  runMeasurement,
  type RunOptions,
  type RunResult,
  type RunProbe,
  type ProbeContext,
} from './sampling/run';
export type { Sample, Phase } from './sampling/samples';
export {
  compileScenario,
  defaultScenario,
  type RequestSource,
  type OutgoingRequest,
  type ScenarioSpec,
  type EndpointSpec,
} from './traffic/scenario';
export { Pacer, rateFunction, type RateSpec } from './traffic/pacer';
export { TrafficDriver, type TrafficStats, type SentStats } from './traffic/driver';
export {
  importTraffic,
  detectFormat,
  ImportError,
  IMPORT_FORMATS,
  type ImportFormat,
  type ImportOptions,
} from './traffic/import/import';
export {
  loadModel,
  saveModel,
  validateModel,
  TrafficModelError,
  type TrafficModel,
  type EndpointModel,
} from './traffic/model/model';
export { replaySource, type ReplaySource, type ReplayOptions, type ReplayMode } from './traffic/model/replay';
export { compressRate, type RateModel } from './traffic/model/rate';
export {
  compareFidelity,
  baselineFromModel,
  type FidelityBaseline,
  type FidelityReport,
} from './traffic/fidelity';
export * from './analysis';
export { REPORT_SCHEMA_VERSION, type Report, type ProcessReport, type Decision } from './report/report';
export { renderTerminal } from './report/terminal';
export {
  renderMarkdown,
  renderMarkdownSummary,
  markdownTable,
  mermaidHeapChart,
  ALL_MARKDOWN_SECTIONS,
  SUMMARY_MARKDOWN_SECTIONS,
  type MarkdownOptions,
  type MarkdownSection,
} from './report/markdown';
export { renderHtml, HTML_REPORT_CSP, type HtmlOptions } from './report/html';
export { renderJUnit, type JUnitOptions, type JUnitInconclusive } from './report/junit';
export { renderSarif, buildSarif, type SarifOptions, type SarifLog } from './report/sarif';
export { renderReport, REPORT_FORMATS, type ReportFormat, type RenderOptions } from './report/render';
export { parseReport, validateReport, ReportFormatError } from './report/validate';
export { escapeHtml, escapeMarkdown, escapeXml } from './report/escape';
export { topFindings, findingLocation, findingRate, fidelityTables } from './report/view';
export {
  compareWithBase,
  perRunConfig,
  DEFAULT_PAIRS,
  type CompareOptions,
  type CompareResult,
  type CompareStep,
} from './compare/run';
export {
  pairedDifference,
  impliedStdErr,
  type MetricDifference,
  type RunEstimate,
  type SideSummary,
} from './compare/difference';
export {
  COMPARE_SCHEMA_VERSION,
  type CompareReport,
  type CompareRun,
  type PreExistingLeak,
} from './compare/report';
export { renderCompareMarkdown, renderCompareTerminal, type CompareMarkdownOptions } from './compare/render';
export {
  AttributionProbe,
  analyseAttribution,
  compareSnapshots,
  readHeapSnapshot,
  encodePprof,
  SourceMapper,
  type AttributionData,
  type ObjectGroup,
  type SnapshotComparison,
} from './attribution';
export type { Finding, AttributionSummary } from './report/report';
export {
  DETECT_LEAK_DEFAULTS,
  detectLeak,
  formatPerCall,
  formatSite,
  middlewareCall,
  resolveDetectLeakOptions,
  type AttributionStatus,
  type DetectLeakOptions,
  type LeakDetection,
  type LeakTestFunction,
  type Middleware,
  type MiddlewareCallOptions,
  type MockRequest,
  type MockRequestInit,
  type MockResponse,
  type NextFunction,
  type PerCallGrowth,
  type ResolvedDetectLeakOptions,
} from './inprocess';
export {
  diffSites,
  flattenProfile,
  formatFrame,
  growingSites,
  userFrame,
  type AllocationSite,
  type FlattenOptions,
  type GrowingSite,
  type GrowingSitesOptions,
  type ProfileCallFrame,
  type ProfileNode,
  type ProfileSample,
  type SamplingProfile,
  type StackFrame,
} from './attribution/profile';
export { isUserUrl } from './attribution/frames';
export {
  watchFleet,
  analyseInstance,
  defaultWatchOptions,
  queryRange,
  renderWatchMarkdown,
  renderWatchTerminal,
  PrometheusError,
  WatchInputError,
  WATCH_REPORT_SCHEMA_VERSION,
  type WatchOptions,
  type WatchReport,
  type WatchAnalysisOptions,
  type InstanceAnalysis,
  type InstanceInput,
  type GrowthFit,
  type WatchProjection,
} from './watch';
export {
  alertRules,
  renderAlertRules,
  defaultAlertRuleOptions,
  AlertOptionsError,
  RULE_NAMES,
  type AlertRuleOptions,
  type RuleFile,
} from './alerts';
export { EXPORTER_METRICS } from './exporter/names';
