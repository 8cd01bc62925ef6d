/**
 * The one Report type every renderer takes. report.json is this object; renderers are pure
 * functions of it. Bump REPORT_SCHEMA_VERSION on any incompatible change.
 */
import type { MetricAnalysis } from '../analysis';

/** Version of the report.json layout. */
export const REPORT_SCHEMA_VERSION = 1;

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
  target: { command: string; cwd: string; url?: string; node?: string; logFile: string };
  settings: Record<string, unknown>;
  processes: ProcessReport[];
  traffic: TrafficReport;
  warnings: string[];
  timings: { readyMs?: number; warmupEndMs?: number; measureEndMs?: number; totalMs: number };
}
