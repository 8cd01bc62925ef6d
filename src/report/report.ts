/**
 * The one Report type every renderer takes. report.json is this object; renderers are pure
 * functions of it. The schema a reader checks (validate.ts) must agree with these types field for
 * field, or the typecheck fails. Bump REPORT_SCHEMA_VERSION on any incompatible change.
 */
import type { Exhaustion } from '../analysis/exhaustion';
import type { MetricAnalysis } from '../analysis';
import type { FidelityReport } from '../traffic/fidelity';

/** Version of the report.json layout. */
export const REPORT_SCHEMA_VERSION = 2;

/** Overall outcome. `error` means the run could not measure (see `failure`). */
export type ReportVerdict = 'leak' | 'pass' | 'inconclusive' | 'error';

/** What decided a verdict, in words. */
export interface Decision {
  pid?: number;
  metric: string;
  rule: string;
  reason: string;
}

/** Time until the heap limit at a given request rate. */
export interface ReportProjection {
  requestsPerSecond: number;
  heapLimit: number;
  secondsToLimit: number | null;
  requestsToLimit: number | null;
  text: string;
}

/** Analysis of one target process. */
export interface ProcessReport {
  pid: number;
  argv: string[];
  /** Requests this process served in the measured window, and its share of all served. */
  requests: number;
  share: number;
  verdict: Exclude<ReportVerdict, 'error'>;
  decidedBy: Decision | null;
  metrics: MetricAnalysis[];
  projection: ReportProjection | null;
  /** Post-GC samples of this process for charts: requests served, heap, phase. */
  series: Array<{
    requests: number;
    heapUsed: number;
    external: number;
    handles: number;
    phase: string;
    t: number;
    /** The other fitted metrics, for a chart per metric (absent in reports written before them). */
    arrayBuffers?: number;
    rss?: number;
    sockets?: number;
    fds?: number | null;
    /** Bytes in V8's code spaces (compiled code); the sequential verdict weighs heapUsed less this. */
    codeSpace?: number;
  }>;
}

/** Traffic sent and received. */
export interface TrafficReport {
  completed: number;
  errors: number;
  timeouts: number;
  seconds: number;
  requestsPerSecond: number;
  /** Share of responses that were errors (status >= 400, connection errors, timeouts). */
  errorRate: number;
  statusCounts: Record<string, number>;
  endpoints: Array<{
    endpoint: string;
    intendedShare: number;
    share: number;
    count: number;
    statusCounts: Record<string, number>;
  }>;
  /**
   * Set when a resource ran out during the load: an endpoint that answered its first requests
   * failed from some point on, or the service stopped answering (`findExhaustion`).
   */
  exhaustion?: Exhaustion;
}

/** The complete result of a run. */
export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'leakcheck'; version: string };
  createdAt: string;
  verdict: ReportVerdict;
  exitCode: number;
  /** One line for humans. */
  summary: string;
  decidedBy: Decision | null;
  status: string;
  failure?: { message: string; logTail: string[] };
  target: {
    command: string;
    cwd: string;
    url?: string;
    /** When the target listened on more than one HTTP server: each, and how it answered the probe. */
    servers?: Array<{ url: string; served: number; probed: number }>;
    node?: string;
    logFile: string;
  };
  settings: Record<string, unknown>;
  processes: ProcessReport[];
  traffic: TrafficReport;
  warnings: string[];
  timings: { readyMs?: number; warmupEndMs?: number; measureEndMs?: number; totalMs: number };
  /** What grew and where (allocation sites, object groups, retainer paths); absent when turned off. */
  findings?: Finding[];
  /** How the findings were made: profiles, snapshots, exported files, anything skipped. */
  attribution?: AttributionSummary;
  /** Replayed traffic only: the log's mix next to what was sent and received. */
  fidelity?: FidelityReport;
  /** Sequential measurement only: the looks, the stop reason and the time to verdict. */
  sequential?: SequentialReport;
}

/** One step of a retainer path, from the GC root towards the object. */
export interface RetainerStepReport {
  /** The holding object in a few words ("EventEmitter", "(closure) auth", "(context)"). */
  holder: string;
  /** Property, index, variable or internal slot it holds the next one by. */
  edge: string;
  /** V8's edge kind (property, element, context, internal...). */
  edgeType: string;
}

/**
 * Something attribution found. `allocation-site`: a place in the code whose live allocations grew
 * per request (from the sampling heap profiler; V8 attributes allocations to functions, so the line
 * is the allocating function's). `object-group`: objects of one constructor that were new between
 * two heap snapshots and still alive at a third, with the path that keeps them alive.
 * `growing-object`: an object (an Array, Map, Set, dictionary) that existed at the first snapshot
 * and whose own storage grew by the third, or several such objects held by the same object (the
 * arrays in one Map), with the path that keeps it (the largest) alive.
 */
export interface Finding {
  kind: 'allocation-site' | 'object-group' | 'growing-object';
  /** Process it was found in. */
  pid: number;
  /** One line for humans. */
  title: string;
  /** Source file (a path; the original .ts for source-mapped code), when known. */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  /** Function name, when known. */
  function?: string;
  /** Live bytes added per request served. */
  bytesPerRequest?: number;
  /** Objects added per request served (object groups). */
  countPerRequest?: number;
  /**
   * Object groups: live bytes per request of the new objects the group holds, its own included
   * (each new object counts for every group on its shortest path from a root while that path runs
   * through new objects). Ranks the groups: a leaked listener before the Map it keeps, the Map
   * before its entries.
   */
  heldBytesPerRequest?: number;
  /**
   * Growing objects: how many grew together (objects of one constructor held by the same object,
   * such as the arrays in one Map's entries); 1 for a single object.
   */
  objects?: number;
  /** Average self size of one object, bytes (object groups). */
  sizeEach?: number;
  /** The shortest path from a GC root, in words (object groups). */
  retainerPath?: string;
  /** The same path step by step, root side first (object groups). */
  retainers?: RetainerStepReport[];
  /** The full allocation stack, innermost first, as "function (file:line:column)" (allocation sites). */
  stack?: string[];
  /**
   * The dependency the growth is allocated in (the innermost frame under node_modules), with the
   * version that ran; `file`/`line` then still name the nearest frame in the user's code.
   */
  package?: { name: string; version: string | null; file: string; line?: number; function?: string };
}

/** How attribution ran. */
export interface AttributionSummary {
  /** Average bytes between heap profiler samples. */
  samplingInterval: number;
  /** Live-object profiles taken, over all processes. */
  profiles: number;
  /** Heap snapshots: whether they were taken and why, and the files. */
  snapshots: { taken: boolean; reason: string; files: string[] };
  /** The growing-allocation profiles in pprof format (gzipped protobuf), one per process. */
  pprof: string[];
  /** Anything skipped or failed, counted and said in words. */
  notes: string[];
  /**
   * Wall time of each step of attribution after the verdict (inlining off, re-optimisation,
   * snapshots, profiles, the traffic between them) and of the analysis, in order.
   */
  timings?: { phase: string; ms: number }[];
}

/** Sequential measurement: what the looks found, why the run stopped and when. */
export interface SequentialReport {
  verdict: 'leak' | 'pass' | 'inconclusive';
  /** `sequential-leak`, `sequential-pass` or `sequential-budget`. */
  rule: string;
  reason: string;
  /** `leak`, `pass`, `max-duration`, `max-requests` (the budget), or `ended-early`. */
  stopReason: string;
  /** The process the verdict is about. */
  pid: number | null;
  /** What is tested: the post-GC heap without the code spaces. */
  series: string;
  /** Bytes per request the interval is held against. */
  threshold: number;
  /** Chance of a false leak over all looks (and separately of a false pass). */
  alpha: number;
  /** Simultaneous confidence of all the looks' intervals. */
  confidence: number;
  minWindowSeconds: number;
  maxDurationSeconds: number;
  maxRequests: number | null;
  plannedLooks: number;
  spacingMs: number;
  /** From the start of the run (start-up included) to the verdict. */
  timeToVerdictMs: number;
  measuredMs: number;
  measuredRequests: number;
  /** Inconclusive: what a decision would have needed. */
  needed: { requests: number; seconds: number | null } | null;
  looks: Array<{
    look: number;
    samples: number;
    alpha: number;
    from: number;
    to: number;
    slope: number;
    low: number | null;
    high: number | null;
    earlySlope: number;
    settled: boolean;
    resets: { total: number; recent: number; ended?: number };
    /** Set when the look called a staircase a leak: its jumps, requests since the last, the last stretch. */
    staircase?: { steps: number; open: number; lastStretch: number };
    /**
     * Set when the look called a leak on the growth between the jumps of its recent half (a
     * store's table enlarged as it filled): how many, and that growth. Its slope and interval add
     * what the series' jumps came to per request over its whole span.
     */
    jumps?: { count: number; between: number };
    /**
     * Set when the look checked its decision against the recent growth with the throughput of the
     * 2 s before each sample held fixed: that slope and interval, the throughput's t, whether it
     * agreed (a look it did not agree with continued).
     */
    throughput?: { slope: number; low: number; high: number; t: number; agreed: boolean };
    decision: string;
  }>;
  /**
   * Set when a count's looks called the leak before the heap decided (`verdict`, `rule` and
   * `reason` are then the count's; `looks` stay the heap's): the count, its threshold per request,
   * the alpha its looks ran at, and its deciding look's recent half (requests from and to, the
   * growth over it, the slope with its interval).
   */
  count?: {
    metric: string;
    threshold: number;
    alpha: number;
    look: number;
    from: number;
    to: number;
    growth: number;
    slope: number;
    low: number | null;
    high: number | null;
  };
}
