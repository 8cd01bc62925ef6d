/**
 * The configuration's types, written out as plain TypeScript. Why not `z.infer` of the schema: the
 * published .d.ts files would then import zod, which users do not get (it is bundled into the
 * code). src/config/schema.ts checks at compile time that these types and the schema agree, so the
 * schema stays the one place for fields, bounds and defaults.
 */
import type { MetricName } from '../analysis/metrics';

/** How fast requests arrive: requests per second, constant, a ramp, or a shape of steps. */
export type RateInput =
  | number
  | { kind: 'constant'; rps: number }
  | { kind: 'ramp'; from: number; to: number; seconds: number }
  | { kind: 'shape'; rps: number[]; secondsPerStep: number };

/** One weighted request of the traffic mix, as written. */
export interface EndpointInput {
  name?: string;
  /** Default GET. */
  method?: string;
  /** Starts with `/`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown> | unknown[];
  /** Default 1. */
  weight?: number;
}

/** One weighted request with its defaults filled in. */
export interface Endpoint extends EndpointInput {
  method: string;
  weight: number;
}

/** Growth per request and least total growth that count as a leak, for one metric. */
export interface ThresholdInput {
  perRequest?: number;
  minGrowth?: number;
}

/** A configuration as written (before defaults); see the README's table for each field. */
export interface ConfigInput {
  command?: string | string[];
  cwd?: string;
  env?: Record<string, string>;
  url?: string;
  ready?: string;
  readyTimeoutSeconds?: number;
  timeoutSeconds?: number;
  stopGraceSeconds?: number;
  traffic?: {
    connections?: number;
    users?: number;
    seed?: number;
    rate?: RateInput;
    requests?: EndpointInput[];
  };
  run?: {
    warmupSeconds?: number;
    warmupRequests?: number;
    durationSeconds?: number;
    requests?: number;
    minDurationSeconds?: number;
    minRequests?: number;
    maxDurationSeconds?: number;
    maxRequests?: number;
    samples?: number;
  };
  analysis?: {
    confidence?: number;
    minSamples?: number;
    thresholds?: Partial<Record<MetricName, ThresholdInput>>;
    gating?: Partial<Record<MetricName, boolean>>;
    /**
     * Judge a resource that runs out from the responses (rule `resource-exhausted`): on unless
     * false. Off for a service that sheds load with 503 by design.
     */
    exhaustion?: boolean;
  };
  projection?: { requestsPerSecond?: number };
  out?: string;
  attribution?: {
    enabled?: boolean;
    snapshots?: 'auto' | 'always' | 'never';
    keepSnapshots?: boolean;
    samplingInterval?: number;
    /**
     * Where attribution runs after a leak verdict: a new process of the service, started with the
     * allocation profiler on from its first line (the measured run pays nothing for attribution;
     * the default), or the measured process, whose profiler then samples from preload.
     */
    runIn?: 'new-process' | 'measured-process';
  };
}

type Defined<T> = Exclude<T, undefined>;

/** A configuration with defaults filled in. */
export interface Config extends ConfigInput {
  env: Record<string, string>;
  readyTimeoutSeconds: number;
  timeoutSeconds: number;
  stopGraceSeconds: number;
  traffic: Omit<Defined<ConfigInput['traffic']>, 'connections' | 'users' | 'seed' | 'requests'> & {
    connections: number;
    users: number;
    seed: number;
    requests?: Endpoint[];
  };
  run: Defined<ConfigInput['run']> & {
    minDurationSeconds: number;
    minRequests: number;
    maxDurationSeconds: number;
    samples: number;
  };
  analysis: Defined<ConfigInput['analysis']> & { confidence: number };
  projection: Defined<ConfigInput['projection']>;
  out: string;
  attribution: Required<Defined<ConfigInput['attribution']>>;
}
