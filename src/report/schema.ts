/**
 * The schema a saved report.json is checked against (validate.ts): the Report type of report.ts
 * (where each field is documented), checked against it at compile time. Two parts are owned by
 * other modules (a metric's analysis, the replay's fidelity): there the fields the renderers read
 * are checked, and `.pipe(z.custom<Owner>())` only type-checks while the owner's type has those
 * fields. Not published: the package's .d.ts files do not import zod.
 */
import { z } from 'zod';
import type { MetricAnalysis } from '../analysis';
import type { Agree } from '../type-agreement';
import type { FidelityReport } from '../traffic/fidelity';
import { REPORT_SCHEMA_VERSION, type Report } from './report';

const num = z.number();
const verdict = z.enum(['leak', 'pass', 'inconclusive']);

/** Overall outcome. `error` means the run could not measure (see `failure`). */
const reportVerdictSchema = z.enum(['leak', 'pass', 'inconclusive', 'error']);

/** What decided a verdict, in words. */
const decisionSchema = z.object({
  pid: num.optional(),
  metric: z.string(),
  rule: z.string(),
  reason: z.string(),
});

/** Time until the heap limit at a given request rate. */
const projectionSchema = z.object({
  requestsPerSecond: num,
  heapLimit: num,
  secondsToLimit: num.nullable(),
  requestsToLimit: num.nullable(),
  text: z.string(),
});

const fitChecks = z.object({ slope: num, intercept: num, low: num, high: num, estimable: z.boolean() });
/** One metric's analysis (type owned by src/analysis): the fields the renderers read are checked. */
const metricAnalysisSchema = z
  .object({
    metric: z.string(),
    unit: z.enum(['bytes', 'count']),
    axis: z.string(),
    gating: z.boolean(),
    samples: num,
    xFirst: num,
    xLast: num,
    ols: z.object({ rSquared: num, estimable: z.boolean() }),
    theilSen: fitChecks.extend({ confidence: num }),
    growth: num,
    perUnit: num,
    perUnitInterval: z.object({ low: num, high: num, confidence: num }),
    verdict,
    rule: z.string(),
    reason: z.string(),
  })
  .pipe(z.custom<MetricAnalysis>());

/** One post-GC sample of a process, for charts. */
const seriesPointSchema = z.object({
  requests: num,
  heapUsed: num,
  external: num,
  handles: num,
  phase: z.string(),
  t: num,
  arrayBuffers: num.optional(),
  rss: num.optional(),
  sockets: num.optional(),
  fds: num.nullable().optional(),
  codeSpace: num.optional(),
});

/** Analysis of one target process. */
const processReportSchema = z.object({
  pid: num,
  argv: z.array(z.string()),
  requests: num,
  share: num,
  verdict,
  decidedBy: decisionSchema.nullable(),
  metrics: z.array(metricAnalysisSchema),
  projection: projectionSchema.nullable(),
  series: z.array(seriesPointSchema),
});

/** Traffic sent and received. */
const trafficReportSchema = z.object({
  completed: num,
  errors: num,
  timeouts: num,
  seconds: num,
  requestsPerSecond: num,
  errorRate: num,
  statusCounts: z.record(z.string(), num),
  endpoints: z.array(
    z.object({
      endpoint: z.string(),
      intendedShare: num,
      share: num,
      count: num,
      statusCounts: z.record(z.string(), num),
    }),
  ),
  exhaustion: z
    .object({
      kind: z.enum(['endpoint', 'service']),
      endpoint: z.string().optional(),
      answeredFirst: num,
      late: z.object({ fromSecond: num, toSecond: num, responses: num, failed: num, unanswered: num }),
      rate: z.object({ best: num, late: num }).optional(),
      reason: z.string(),
    })
    .optional(),
});

/** One step of a retainer path, from the GC root towards the object. */
const retainerStepSchema = z.object({
  holder: z.string(),
  edge: z.string(),
  edgeType: z.string(),
});

/**
 * Something attribution found. `allocation-site`: a place in the code whose live allocations grew
 * per request (from the sampling heap profiler; V8 attributes allocations to functions, so the line
 * is the allocating function's). `object-group`: objects of one constructor that were new between
 * two heap snapshots and still alive at a third, with the path that keeps them alive.
 * `growing-object`: an object whose own storage grew between the first and the third snapshot
 * (or several, held by the same object: `objects`).
 */
const findingSchema = z.object({
  kind: z.enum(['allocation-site', 'object-group', 'growing-object']),
  pid: num,
  title: z.string(),
  file: z.string().optional(),
  line: num.optional(),
  column: num.optional(),
  function: z.string().optional(),
  bytesPerRequest: num.optional(),
  countPerRequest: num.optional(),
  heldBytesPerRequest: num.optional(),
  objects: num.optional(),
  sizeEach: num.optional(),
  retainerPath: z.string().optional(),
  retainers: z.array(retainerStepSchema).optional(),
  stack: z.array(z.string()).optional(),
  package: z
    .object({
      name: z.string(),
      version: z.string().nullable(),
      file: z.string(),
      line: num.optional(),
      function: z.string().optional(),
    })
    .optional(),
});

/** How attribution ran. */
const attributionSummarySchema = z.object({
  samplingInterval: num,
  profiles: num,
  snapshots: z.object({ taken: z.boolean(), reason: z.string(), files: z.array(z.string()) }),
  pprof: z.array(z.string()),
  notes: z.array(z.string()),
  timings: z.array(z.object({ phase: z.string(), ms: num })).optional(),
});

/** Sequential measurement: what the looks found, why the run stopped and when. */
const sequentialReportSchema = z.object({
  verdict,
  rule: z.string(),
  reason: z.string(),
  stopReason: z.string(),
  pid: num.nullable(),
  series: z.string(),
  threshold: num,
  alpha: num,
  confidence: num,
  minWindowSeconds: num,
  maxDurationSeconds: num,
  maxRequests: num.nullable(),
  plannedLooks: num,
  spacingMs: num,
  timeToVerdictMs: num,
  measuredMs: num,
  measuredRequests: num,
  needed: z.object({ requests: num, seconds: num.nullable() }).nullable(),
  looks: z.array(
    z.object({
      look: num,
      samples: num,
      alpha: num,
      from: num,
      to: num,
      slope: num,
      low: num.nullable(),
      high: num.nullable(),
      earlySlope: num,
      settled: z.boolean(),
      resets: z.object({ total: num, recent: num, ended: num.optional() }),
      staircase: z.object({ steps: num, open: num, lastStretch: num }).optional(),
      jumps: z.object({ count: num, between: num }).optional(),
      throughput: z.object({ slope: num, low: num, high: num, t: num, agreed: z.boolean() }).optional(),
      decision: z.string(),
    }),
  ),
  count: z
    .object({
      metric: z.string(),
      threshold: num,
      alpha: num,
      look: num,
      from: num,
      to: num,
      growth: num,
      slope: num,
      low: num.nullable(),
      high: num.nullable(),
    })
    .optional(),
});

/** Replayed traffic (type owned by src/traffic/fidelity.ts): the fields the renderers read. */
const fidelitySchema = z
  .object({
    sent: num,
    received: num,
    endpoints: z.array(z.object({ endpoint: z.string() })),
    warnings: z.array(z.string()),
  })
  .pipe(z.custom<FidelityReport>());

/** The complete result of a run: report.json. */
export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('leakcheck'), version: z.string() }),
  createdAt: z.string(),
  verdict: reportVerdictSchema,
  exitCode: num,
  summary: z.string(),
  decidedBy: decisionSchema.nullable(),
  status: z.string(),
  failure: z.object({ message: z.string(), logTail: z.array(z.string()) }).optional(),
  target: z.object({
    command: z.string(),
    cwd: z.string(),
    url: z.string().optional(),
    servers: z.array(z.object({ url: z.string(), served: num, probed: num })).optional(),
    node: z.string().optional(),
    logFile: z.string(),
  }),
  settings: z.record(z.string(), z.unknown()),
  processes: z.array(processReportSchema),
  traffic: trafficReportSchema,
  warnings: z.array(z.string()),
  timings: z.object({
    readyMs: num.optional(),
    warmupEndMs: num.optional(),
    measureEndMs: num.optional(),
    totalMs: num,
  }),
  findings: z.array(findingSchema).optional(),
  attribution: attributionSummarySchema.optional(),
  fidelity: fidelitySchema.optional(),
  sequential: sequentialReportSchema.optional(),
});

// Compile-time: the Report types (report.ts, published without zod) and this schema agree field
// for field, so the shape cannot change on one side only.
const reportAgrees: Agree<z.output<typeof reportSchema>, Report> = true;
void reportAgrees;
