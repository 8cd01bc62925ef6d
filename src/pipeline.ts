/**
 * One leak check, end to end, as a library call: configuration in, Report out. The CLI and the
 * GitHub Action are thin adapters over this. The stages live apart: the config adapter
 * (config/adapt.ts), the run loop (sampling/run.ts), report building (report/build.ts) and file
 * writing (report/files.ts); this file only calls them in order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addAttribution, ATTRIBUTION_LOG, attributeInNewProcess, withAttribution } from './attribution';
import { analysisOptionsFrom, runOptionsFrom } from './config/adapt';
import type { Config } from './config/types';
import { buildReport } from './report/build';
import { redactReport } from './report/redact';
import { prepareOutDir, writeReportFiles } from './report/files';
import type { Report } from './report/report';
import { runMeasurement, type RunProgress, type RunResult } from './sampling/run';
import type { FailOn } from './outcome';
import { compareFidelity, type FidelityBaseline } from './traffic/fidelity';
import type { RequestSource } from './traffic/scenario';

/** Options of {@link checkForLeaks} beyond the configuration. */
export interface CheckOptions {
  /** Folder relative paths in the config are resolved against (the config file's folder). */
  baseDir: string;
  /** The command, when given on the command line rather than in the config. */
  command?: string[] | string;
  /** Which verdicts fail: 'leak' (default), 'inconclusive' (leak or inconclusive), 'never'. */
  failOn?: FailOn;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
  /** Traffic source to use instead of the config's scenario (log replay plugs in here). */
  source?: RequestSource;
  /** With a replayed log as `source`: the log's mix, for the report's fidelity section. */
  fidelity?: FidelityBaseline;
  version?: string;
  /**
   * Why no profile or snapshot is taken after the verdict (a bisect step away from the boundary
   * needs only the verdict); the measured run is the same as any other (see
   * AttributionProbeOptions.skipAfterVerdict).
   */
  skipAttributionAfterVerdict?: string;
}

/** A finished check: the report and where its files were written. */
export interface CheckResult {
  report: Report;
  result: RunResult;
  outDir: string;
  reportFile: string;
  /** The self-contained HTML report beside report.json. */
  htmlFile?: string;
  /** The Markdown report beside report.json. */
  markdownFile?: string;
}

/** Runs a check: starts the target, drives load, samples, analyses, writes report.json. */
export async function checkForLeaks(config: Config, options: CheckOptions): Promise<CheckResult> {
  const { run: plain, outDir } = runOptionsFrom(config, options);
  const analysis = analysisOptionsFrom(config);
  const run = withAttribution(config, plain, outDir, analysis, options.skipAttributionAfterVerdict);
  prepareOutDir(outDir);
  fs.rmSync(run.logFile, { force: true });
  fs.rmSync(path.join(path.dirname(run.logFile), ATTRIBUTION_LOG), { force: true });
  const result = await runMeasurement(run);
  await attributeInNewProcess(config, run, result, outDir, analysis);
  const report = buildReport(result, config, {
    command: run.command,
    cwd: run.cwd,
    logFile: run.logFile,
    failOn: options.failOn ?? 'leak',
    version: options.version ?? '0.0.0',
    sampleEvery: result.sampleEvery,
  });
  await addAttribution(report, result, config, outDir);
  if (options.fidelity) {
    report.fidelity = compareFidelity(options.fidelity, result.traffic);
    report.warnings.push(...report.fidelity.warnings);
  }
  // The one redaction step: every string that came from the service, a log, the traffic or the
  // environment, before anything is written, printed or posted.
  const safe = redactReport(report);
  const files = writeReportFiles(outDir, safe, result.samples);
  return { report: safe, result, outDir, ...files };
}
