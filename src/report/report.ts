/**
 * The one Report every renderer takes, written down once: the zod schema below is what
 * report.json holds and what a reader checks (validate.ts), and the TypeScript types are inferred
 * from it. Renderers are pure functions of a Report. Bump REPORT_SCHEMA_VERSION on any
 * incompatible change and add an upgrade step to migrate.ts.
 *
 * Two parts are owned by other modules and only referenced here: a metric's analysis
 * (`MetricAnalysis`, src/analysis/verdict.ts) and the replay's fidelity (`FidelityReport`,
 * src/traffic/fidelity.ts). For those the schema checks the fields the renderers read and the
 * type is the owner's; the compiler checks that the owner's type has those fields (`.pipe` into
 * `z.custom<Owner>()` only type-checks when the owner's type fits the checked fields).
 *
 * Objects are `z.object`: a reader keeps fields it does not know (validate.ts returns the report
 * as written), but the inferred types list only the fields leakcheck writes.
 */
import { z } from 'zod';
import type { MetricAnalysis } from '../analysis';
import type { FidelityReport } from '../traffic/fidelity';

/** Version of the report.json layout. */
export const REPORT_SCHEMA_VERSION = 2;

const num = z.number();
const verdict = z.enum(['leak', 'pass', 'inconclusive']);

/** Overall outcome. `error` means the run could not measure (see `failure`). */
export const reportVerdictSchema = z.enum(['leak', 'pass', 'inconclusive', 'error']);
/** Overall outcome. `error` means the run could not measure (see `failure`). */
export type ReportVerdict = z.infer<typeof reportVerdictSchema>;

/** What decided a verdict, in words. */
const decisionSchema = z.object({
  /** The process the decision is about (absent for a single-process summary). */
  pid: num.optional(),
  metric: z.string(),
  rule: z.string(),
  reason: z.string(),
});
/** What decided a verdict, in words. */
export type Decision = z.infer<typeof decisionSchema>;

/** Time until the heap limit at a given request rate. */
const projectionSchema = z.object({
  requestsPerSecond: num,
  heapLimit: num,
  secondsToLimit: num.nullable(),
  requestsToLimit: num.nullable(),
  text: z.string(),
});
/** Time until the heap limit at a given request rate. */
export type ReportProjection = z.infer<typeof projectionSchema>;

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
    verdict,
    rule: z.string(),
    reason: z.string(),
  })
  .pipe(z.custom<MetricAnalysis>());

/** One post-GC sample of a process, for charts. */
const seriesPointSchema = z.object({
  /** Requests served when sampled. */
  requests: num,
  heapUsed: num,
  external: num,
  handles: num,
  /** Run phase: warm-up, measure or cool-down. */
  phase: z.string(),
  /** Milliseconds since the run started. */
  t: num,
  /** The other fitted metrics, for a chart per metric (absent in reports written before them). */
  arrayBuffers: num.optional(),
  rss: num.optional(),
  sockets: num.optional(),
  fds: num.nullable().optional(),
  /** Bytes in V8's code spaces (compiled code); the sequential verdict weighs heapUsed less this. */
  codeSpace: num.optional(),
});

/** Analysis of one target process. */
const processReportSchema = z.object({
  pid: num,
  argv: z.array(z.string()),
  /** Requests this process served in the measured window. */
  requests: num,
  /** Its share of all requests served. */
  share: num,
  verdict,
  decidedBy: decisionSchema.nullable(),
  metrics: z.array(metricAnalysisSchema),
  projection: projectionSchema.nullable(),
  /** Post-GC samples of this process for charts: requests served, heap, phase. */
  series: z.array(seriesPointSchema),
});
/** Analysis of one target process. */
export type ProcessReport = z.infer<typeof processReportSchema>;

/** Traffic sent and received. */
const trafficReportSchema = z.object({
  completed: num,
  errors: num,
  timeouts: num,
  seconds: num,
  requestsPerSecond: num,
  /** Share of responses that were errors (status >= 400, connection errors, timeouts). */
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
});
/** Traffic sent and received. */
export type TrafficReport = z.infer<typeof trafficReportSchema>;

/** One step of a retainer path, from the GC root towards the object. */
const retainerStepSchema = z.object({
  /** The holding object in a few words ("EventEmitter", "(closure) auth", "(context)"). */
  holder: z.string(),
  /** Property, index, variable or internal slot it holds the next one by. */
  edge: z.string(),
  /** V8's edge kind (property, element, context, internal...). */
  edgeType: z.string(),
});
/** One step of a retainer path, from the GC root towards the object. */
export type RetainerStepReport = z.infer<typeof retainerStepSchema>;

/**
 * Something attribution found. `allocation-site`: a place in the code whose live allocations grew
 * per request (from the sampling heap profiler; V8 attributes allocations to functions, so the line
 * is the allocating function's). `object-group`: objects of one constructor that were new between
 * two heap snapshots and still alive at a third, with the path that keeps them alive.
 */
const findingSchema = z.object({
  kind: z.enum(['allocation-site', 'object-group']),
  /** Process it was found in. */
  pid: num,
  /** One line for humans. */
  title: z.string(),
  /** Source file (a path; the original .ts for source-mapped code), when known. */
  file: z.string().optional(),
  /** 1-based line, when known. */
  line: num.optional(),
  /** 1-based column, when known. */
  column: num.optional(),
  /** Function name, when known. */
  function: z.string().optional(),
  /** Live bytes added per request served. */
  bytesPerRequest: num.optional(),
  /** Objects added per request served (object groups). */
  countPerRequest: num.optional(),
  /** Average self size of one object, bytes (object groups). */
  sizeEach: num.optional(),
  /** The shortest path from a GC root, in words (object groups). */
  retainerPath: z.string().optional(),
  /** The same path step by step, root side first (object groups). */
  retainers: z.array(retainerStepSchema).optional(),
  /** The full allocation stack, innermost first, as "function (file:line:column)" (allocation sites). */
  stack: z.array(z.string()).optional(),
  /**
   * The dependency the growth is allocated in (the innermost frame under node_modules), with the
   * version that ran; `file`/`line` then still name the nearest frame in the user's code.
   */
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
/** Something attribution found (see the schema's description above). */
export type Finding = z.infer<typeof findingSchema>;

/** How attribution ran. */
const attributionSummarySchema = z.object({
  /** Average bytes between heap profiler samples. */
  samplingInterval: num,
  /** Live-object profiles taken, over all processes. */
  profiles: num,
  /** Heap snapshots: whether they were taken and why, and the files. */
  snapshots: z.object({ taken: z.boolean(), reason: z.string(), files: z.array(z.string()) }),
  /** The growing-allocation profiles in pprof format (gzipped protobuf), one per process. */
  pprof: z.array(z.string()),
  /** Anything skipped or failed, counted and said in words. */
  notes: z.array(z.string()),
});
/** How attribution ran. */
export type AttributionSummary = z.infer<typeof attributionSummarySchema>;

/** Sequential measurement: what the looks found, why the run stopped and when. */
const sequentialReportSchema = z.object({
  verdict,
  /** `sequential-leak`, `sequential-pass` or `sequential-budget`. */
  rule: z.string(),
  reason: z.string(),
  /** `leak`, `pass`, `max-duration`, `max-requests` (the budget), or `ended-early`. */
  stopReason: z.string(),
  /** The process the verdict is about. */
  pid: num.nullable(),
  /** What is tested: the post-GC heap without the code spaces. */
  series: z.string(),
  /** Bytes per request the interval is held against. */
  threshold: num,
  /** Chance of a false leak over all looks (and separately of a false pass). */
  alpha: num,
  /** Simultaneous confidence of all the looks' intervals. */
  confidence: num,
  minWindowSeconds: num,
  maxDurationSeconds: num,
  maxRequests: num.nullable(),
  plannedLooks: num,
  spacingMs: num,
  /** From the start of the run (start-up included) to the verdict. */
  timeToVerdictMs: num,
  measuredMs: num,
  measuredRequests: num,
  /** Inconclusive: what a decision would have needed. */
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
      resets: z.object({ total: num, recent: num }),
      decision: z.string(),
    }),
  ),
});
/** Sequential measurement: what the looks found, why the run stopped and when. */
export type SequentialReport = z.infer<typeof sequentialReportSchema>;

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
  /** ISO 8601 time the report was written. */
  createdAt: z.string(),
  verdict: reportVerdictSchema,
  /** The exit code the check ended with (src/outcome.ts). */
  exitCode: num,
  /** One line for humans. */
  summary: z.string(),
  decidedBy: decisionSchema.nullable(),
  /** How the run ended (`completed`, `out-of-memory`, `target-exited`...). */
  status: z.string(),
  /** When the run could not measure: why, and the end of the target's log. */
  failure: z.object({ message: z.string(), logTail: z.array(z.string()) }).optional(),
  target: z.object({
    command: z.string(),
    cwd: z.string(),
    url: z.string().optional(),
    node: z.string().optional(),
    logFile: z.string(),
  }),
  /** The settings the run used (thresholds, run plan, traffic), as written by the pipeline. */
  settings: z.record(z.string(), z.unknown()),
  processes: z.array(processReportSchema),
  traffic: trafficReportSchema,
  warnings: z.array(z.string()),
  /** Milliseconds from the start: ready, end of warm-up, end of measurement, total. */
  timings: z.object({
    readyMs: num.optional(),
    warmupEndMs: num.optional(),
    measureEndMs: num.optional(),
    totalMs: num,
  }),
  /** What grew and where (allocation sites, object groups, retainer paths); absent when turned off. */
  findings: z.array(findingSchema).optional(),
  /** How the findings were made: profiles, snapshots, exported files, anything skipped. */
  attribution: attributionSummarySchema.optional(),
  /** Replayed traffic only: the log's mix next to what was sent and received. */
  fidelity: fidelitySchema.optional(),
  /** Sequential measurement only: the looks, the stop reason and the time to verdict. */
  sequential: sequentialReportSchema.optional(),
});
/** The complete result of a run: report.json. */
export type Report = z.infer<typeof reportSchema>;
