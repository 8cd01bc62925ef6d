/**
 * leakcheck's public library API: what users call, the same calls the CLI and the GitHub Action
 * make. Internals (the run loop, the statistics, the traffic driver, the renderers' helpers) are
 * not exported; test runners have their own entry points (`leakcheck/jest`, `leakcheck/vitest`,
 * `leakcheck/node-test`) and a service's metrics theirs (`leakcheck/exporter`).
 *
 * ```ts
 * import { loadConfig, checkForLeaks } from 'leakcheck';
 * const { config, baseDir } = await loadConfig({ cwd: process.cwd() });
 * const { report } = await checkForLeaks(config, { baseDir, command: ['node', 'server.js'] });
 * ```
 */

// Run a check against a service (what `leakcheck run` does), and how it ends.
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
export { compareWithBase, type CompareOptions, type CompareResult } from './compare/run';
export type { CompareReport } from './compare/report';
export { EXIT, EXIT_CODES, type ExitCode, type FailOn } from './outcome';
export { LeakcheckError, UsageError } from './errors';
export type { Verdict } from './analysis/rules';
export type { MetricName } from './analysis/metrics';
export type { MetricAnalysis } from './analysis/verdict';

// Leak tests of one function inside a test process.
export {
  DETECT_LEAK_DEFAULTS,
  detectLeak,
  formatPerCall,
  formatSite,
  middlewareCall,
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
} from './inprocess';
export type { GrowingSite, StackFrame } from './attribution/profile';

// The matcher behind `expect(fn).toLeak()`, for any runner with jest-style matchers.
export {
  toLeak,
  leakMessage,
  type MatcherContextLike,
  type MatcherResultLike,
  type ToLeakOptions,
} from './jest/matcher';

// Reading a saved report.json and rendering it.
export { parseReport, validateReport, ReportFormatError } from './report/validate';
export { renderReport, REPORT_FORMATS, type ReportFormat, type RenderOptions } from './report/render';
export { renderMarkdownSummary } from './report/markdown';
export {
  REPORT_SCHEMA_VERSION,
  type AttributionSummary,
  type Decision,
  type Finding,
  type ProcessReport,
  type Report,
  type ReportVerdict,
} from './report/report';

// Memory trends of a running fleet from Prometheus (what `leakcheck watch` does).
export {
  watchFleet,
  analyseInstance,
  defaultWatchOptions,
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

// Prometheus alerting rules for the exporter's metrics (what `leakcheck alerts` does).
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
