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
import { METRICS } from '../analysis/metrics';
import { ESTIMATE_PRECISION } from '../analysis/sequential';
import { COUNT_METRICS, planLooks } from '../sampling/evidence';
import type { RunOptions, SequentialPlan } from '../sampling/run';
import type { RateSpec } from '../traffic/pacer';
import { compileScenario, defaultScenario } from '../traffic/scenario';
import type { Config } from './types';

/** Warm-up and window of a fixed-window run when the config gives none (the 0.1 defaults). */
export const FIXED_WINDOW = { warmupSeconds: 3, durationSeconds: 10 } as const;
/**
 * Warm-up of a sequential run: connections and first compilation only. The rest of a process's
 * own early growth is left to the evidence (the tested slope is the recent half's, and a leak is
 * only called once growth has stopped slowing down).
 */
export const SEQUENTIAL_WARMUP_SECONDS = 1;

/** How a configuration measures: sequentially, or in a fixed window (durationSeconds or requests given). */
export interface MeasurementWindow {
  sequential: boolean;
  warmupSeconds: number;
  /** Fixed window: its length; sequential: the measured-time budget. */
  durationSeconds: number;
}

/**
 * Resolves the measured window of a configuration.
 *
 * @param config - the validated configuration
 * @returns sequential or fixed, with the warm-up and duration in force
 */
export function measurementWindow(config: Config): MeasurementWindow {
  const r = config.run;
  const sequential = r.durationSeconds === undefined && r.requests === undefined;
  return sequential
    ? {
        sequential,
        warmupSeconds: r.warmupSeconds ?? SEQUENTIAL_WARMUP_SECONDS,
        durationSeconds: r.maxDurationSeconds,
      }
    : {
        sequential,
        warmupSeconds: r.warmupSeconds ?? FIXED_WINDOW.warmupSeconds,
        durationSeconds: r.durationSeconds ?? FIXED_WINDOW.durationSeconds,
      };
}

/**
 * Seconds of load one period of a rate shape spans (`--pace-from-log` squeezes a log's rate curve
 * into it; the load goes round it again after). A fixed window: its warm-up and window, so the
 * run replays the curve once. A sequential run: its warm-up and minimum window, so the first look
 * has seen the whole curve; spread over the budget instead, a run that stops at its first looks
 * (most do) replays only the curve's first part, say a log's night.
 *
 * @param config - the validated configuration
 * @returns the period in seconds
 */
export function shapePeriodSeconds(config: Config): number {
  const window = measurementWindow(config);
  return window.sequential
    ? window.warmupSeconds + config.run.minDurationSeconds
    : window.warmupSeconds + window.durationSeconds;
}

/** Builds the run loop's options from a validated configuration. */
export function runOptionsFrom(config: Config, options: CheckOptions): { run: RunOptions; outDir: string } {
  const command = options.command ?? config.command;
  if (!command || command.length === 0) {
    throw new UsageError(
      'no command to start: give it after -- (leakcheck run -- node server.js) or as "command" in the config',
    );
  }
  const outDir = path.resolve(config.out);
  const window = measurementWindow(config);
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
      warmup: { seconds: window.warmupSeconds, requests: config.run.warmupRequests },
      measure: { seconds: window.durationSeconds, requests: config.run.requests },
      samples: config.run.samples,
      sequential: window.sequential ? sequentialPlan(config) : undefined,
      exhaustion: config.analysis.exhaustion !== false,
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

/**
 * The sequential plan of a configuration: minimum window, budget, the heap threshold, alpha per
 * side ((1 − confidence)/2, so all the looks' intervals hold together at the confidence level) and
 * the look schedule for the sample spacing (the minimum window over `samples`).
 *
 * @param config - the validated configuration
 * @returns the plan the run loop measures by
 */
export function sequentialPlan(config: Config): SequentialPlan {
  const analysis = analysisOptionsFrom(config);
  const r = config.run;
  const minWindowMs = r.minDurationSeconds * 1000;
  const maxMs = Math.max(r.maxDurationSeconds * 1000, minWindowMs);
  const spacingMs = minWindowMs / Math.max(1, r.samples - 1);
  return {
    minWindowMs,
    maxMs,
    maxRequests: r.maxRequests,
    minRequests: r.minRequests,
    threshold: analysis.thresholds.heapUsed?.perUnit ?? METRICS.heapUsed.threshold.perUnit,
    alpha: (1 - analysis.confidence) / 2,
    schedule: planLooks(minWindowMs, maxMs, spacingMs),
    precision: ESTIMATE_PRECISION,
    counts: COUNT_METRICS.filter((m) => analysis.gating?.[m] ?? METRICS[m].gatingByDefault).map((metric) => {
      const t = analysis.thresholds[metric] ?? METRICS[metric].threshold;
      return { metric, threshold: t.perUnit, minGrowth: t.minGrowth };
    }),
  };
}
