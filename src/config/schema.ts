/**
 * The configuration: one schema, one place for defaults. Files (leakcheck.config.json|yaml|mjs, or
 * a "leakcheck" key in package.json) and CLI flags are both validated against it.
 */
import { z } from 'zod';
import { METRIC_NAMES } from '../analysis/metrics';
import type { Agree } from '../type-agreement';
import type { Config, ConfigInput } from './types';

const endpointSchema = z
  .object({
    name: z.string().min(1).optional(),
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, 'expected an HTTP method such as GET')
      .default('GET'),
    path: z.string().startsWith('/', 'expected a path starting with /'),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    weight: z.number().positive('expected a weight above 0').default(1),
  })
  .strict();

/**
 * Upper bounds of numeric settings: far above any real use, low enough that a typo (`1e9`
 * connections, a timeout in milliseconds) is refused with a message instead of exhausting the
 * machine or waiting for years.
 */
export const LIMITS = {
  connections: 10_000,
  users: 100_000_000,
  requestsPerSecond: 1_000_000,
  requests: 1_000_000_000,
  seconds: 7 * 24 * 3600,
  stopGraceSeconds: 600,
} as const;

const positive = (what: string, max: number = LIMITS.seconds): z.ZodNumber =>
  z.number().positive(`expected ${what} above 0`).max(max, `expected ${what} of at most ${max}`);
const count = (what: string, max: number = LIMITS.requests): z.ZodNumber =>
  z
    .number()
    .int()
    .positive(`expected ${what}, a whole number above 0`)
    .max(max, `expected ${what} of at most ${max}`);

const rateSchema = z.union([
  positive('requests per second', LIMITS.requestsPerSecond),
  z
    .object({ kind: z.literal('constant'), rps: positive('requests per second', LIMITS.requestsPerSecond) })
    .strict(),
  z
    .object({
      kind: z.literal('ramp'),
      from: z.number().nonnegative().max(LIMITS.requestsPerSecond),
      to: z.number().nonnegative().max(LIMITS.requestsPerSecond),
      seconds: positive('seconds'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('shape'),
      rps: z.array(z.number().nonnegative().max(LIMITS.requestsPerSecond)).min(1).max(100_000),
      secondsPerStep: positive('seconds'),
    })
    .strict(),
]);

const thresholdSchema = z
  .object({ perRequest: z.number().nonnegative().optional(), minGrowth: z.number().nonnegative().optional() })
  .strict();

/** The configuration file's schema (every field optional; defaults filled in). */
export const configSchema = z
  .object({
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).default({}),
    url: z.url({ message: 'expected an http:// URL' }).optional(),
    ready: z.string().startsWith('/', 'expected a path starting with /').optional(),
    readyTimeoutSeconds: positive('seconds').default(30),
    timeoutSeconds: positive('seconds').default(600),
    stopGraceSeconds: z.number().nonnegative().max(LIMITS.stopGraceSeconds).default(3),
    traffic: z
      .object({
        connections: count('a connection count', LIMITS.connections).default(10),
        users: count('a number of distinct users', LIMITS.users).default(15_000),
        seed: z.number().int().default(1),
        rate: rateSchema.optional(),
        requests: z.array(endpointSchema).min(1, 'expected at least one request').optional(),
      })
      .strict()
      .default({ connections: 10, users: 15_000, seed: 1 }),
    run: z
      .object({
        // Without durationSeconds or requests the run is sequential: it measures until the
        // evidence decides, between minDurationSeconds and the budget (maxDurationSeconds,
        // maxRequests). Either of them asks for a fixed window instead.
        warmupSeconds: z.number().nonnegative().max(LIMITS.seconds).optional(),
        warmupRequests: count('a request count').optional(),
        durationSeconds: positive('seconds').optional(),
        requests: count('a request count').optional(),
        minDurationSeconds: positive('seconds').default(6),
        minRequests: count('a request count').default(10_000),
        maxDurationSeconds: positive('seconds').default(60),
        maxRequests: count('a request count').optional(),
        samples: z.number().int().min(8, 'expected at least 8 samples').max(10_000).default(18),
      })
      .strict()
      .default({ minDurationSeconds: 6, minRequests: 10_000, maxDurationSeconds: 60, samples: 18 }),
    analysis: z
      .object({
        confidence: z.number().gt(0.5, 'expected a confidence between 0.5 and 1').lt(1).default(0.95),
        minSamples: z.number().int().min(3).optional(),
        thresholds: z.partialRecord(z.enum(METRIC_NAMES), thresholdSchema).optional(),
        gating: z.partialRecord(z.enum(METRIC_NAMES), z.boolean()).optional(),
        // A resource that runs out (rule resource-exhausted); on unless false.
        exhaustion: z.boolean().optional(),
      })
      .strict()
      .default({ confidence: 0.95 }),
    projection: z
      .object({ requestsPerSecond: positive('requests per second', LIMITS.requestsPerSecond).optional() })
      .strict()
      .default({}),
    out: z.string().default('.leakcheck'),
    attribution: z
      .object({
        enabled: z.boolean().default(true),
        snapshots: z.enum(['auto', 'always', 'never']).default('auto'),
        // Snapshots hold the service's memory, secrets included: deleted after analysis unless kept.
        keepSnapshots: z.boolean().default(false),
        samplingInterval: z
          .number()
          .int()
          .min(512, 'expected a sampling interval of at least 512 bytes')
          .max(1024 * 1024, 'expected a sampling interval of at most 1048576 bytes')
          .default(8192),
        runIn: z.enum(['new-process', 'measured-process']).default('new-process'),
      })
      .strict()
      .default({
        enabled: true,
        snapshots: 'auto',
        keepSnapshots: false,
        samplingInterval: 8192,
        runIn: 'new-process',
      }),
  })
  .strict();

export type { Config, ConfigInput } from './types';

// Compile-time: the plain types in ./types (published, zod-free) say what the schema says.
const configAgrees: Agree<z.output<typeof configSchema>, Config> = true;
const inputAgrees: Agree<z.input<typeof configSchema>, ConfigInput> = true;
void configAgrees;
void inputAgrees;
