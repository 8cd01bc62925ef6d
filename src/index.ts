/**
 * leakcheck's public library API: the same calls the CLI and the GitHub Action make.
 *
 * ```ts
 * import { loadConfig, checkForLeaks } from 'leakcheck';
 * const { config, baseDir } = await loadConfig({ cwd: process.cwd() });
 * const { report } = await checkForLeaks(config, { baseDir, command: ['node', 'server.js'] });
 * ```
 */
export { loadConfig, ConfigError, type LoadedConfig } from './config/load';
export { configSchema, type Config, type ConfigInput } from './config/schema';
export {
  checkForLeaks,
  buildReport,
  runOptionsFrom,
  analysisOptionsFrom,
  UsageError,
  EXIT,
  type CheckOptions,
  type CheckResult,
} from './pipeline';
export { runMeasurement, type RunOptions, type RunResult, type RunProbe, type ProbeContext } from './sampling/run';
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
export { TrafficDriver, type TrafficStats } from './traffic/driver';
export * from './analysis';
export { REPORT_SCHEMA_VERSION, type Report, type ProcessReport, type Decision } from './report/report';
export { renderTerminal } from './report/terminal';
