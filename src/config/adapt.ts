/**
 * The configuration adapter: a validated Config (plus the command-line extras) turned into the run
 * loop's options and the analysis options.
 */
import * as path from 'node:path';
import {
  defaultAnalysisOptions,
  mergeAnalysisOptions,
  type AnalysisOptions,
  type AnalysisOptionsInput,
} from '../analysis';
import { UsageError } from '../errors';
import type { CheckOptions } from '../pipeline';
import type { RunOptions } from '../sampling/run';
import type { RateSpec } from '../traffic/pacer';
import { compileScenario, defaultScenario } from '../traffic/scenario';
import type { Config } from './schema';

/** Builds the run loop's options from a validated configuration. */
export function runOptionsFrom(config: Config, options: CheckOptions): { run: RunOptions; outDir: string } {
  const command = options.command ?? config.command;
  if (!command || command.length === 0) {
    throw new UsageError(
      'no command to start: give it after -- (leakcheck run -- node server.js) or as "command" in the config',
    );
  }
  const outDir = path.resolve(config.out);
  const spec = config.traffic.requests
    ? { requests: config.traffic.requests, users: config.traffic.users, seed: config.traffic.seed }
    : defaultScenario(config.traffic.users, config.traffic.seed);
  const source = options.source ?? compileScenario(spec);
  const rate: RateSpec | undefined =
    typeof config.traffic.rate === 'number'
      ? { kind: 'constant', rps: config.traffic.rate }
      : config.traffic.rate;
  return {
    outDir,
    run: {
      command,
      cwd: path.resolve(options.baseDir, config.cwd ?? '.'),
      env: config.env,
      url: config.url,
      readyPath: config.ready,
      readyTimeoutMs: config.readyTimeoutSeconds * 1000,
      deadlineMs: config.timeoutSeconds * 1000,
      source,
      connections: config.traffic.connections,
      rate,
      warmup: { seconds: config.run.warmupSeconds, requests: config.run.warmupRequests },
      measure: { seconds: config.run.durationSeconds, requests: config.run.requests },
      samples: config.run.samples,
      logFile: path.join(outDir, 'target.log'),
      stopGraceMs: config.stopGraceSeconds * 1000,
      onProgress: options.onProgress,
      signal: options.signal,
    },
  };
}

/** Analysis options from the config. */
export function analysisOptionsFrom(config: Config): AnalysisOptions {
  const a = config.analysis;
  return mergeAnalysisOptions(
    {
      confidence: a.confidence,
      ...(a.minSamples !== undefined ? { minSamples: a.minSamples } : {}),
      ...(a.thresholds ? { thresholds: perUnitThresholds(a.thresholds) } : {}),
      ...(a.gating ? { gating: a.gating } : {}),
    },
    defaultAnalysisOptions(),
  );
}

/** The config speaks of a load test, whose axis is requests: its `perRequest` is the per-unit threshold. */
function perUnitThresholds(
  thresholds: NonNullable<Config['analysis']['thresholds']>,
): AnalysisOptionsInput['thresholds'] {
  const out: NonNullable<AnalysisOptionsInput['thresholds']> = {};
  for (const [name, t] of Object.entries(thresholds) as [
    keyof typeof thresholds,
    (typeof thresholds)[keyof typeof thresholds],
  ][]) {
    if (!t) continue;
    out[name] = {
      ...(t.perRequest !== undefined ? { perUnit: t.perRequest } : {}),
      ...(t.minGrowth !== undefined ? { minGrowth: t.minGrowth } : {}),
    };
  }
  return out;
}
