/**
 * Reading a saved report.json back: checks the schema version and the fields the renderers read,
 * so `leakcheck report` and the Action's comment workflow fail with one clear line on a file that
 * is not a report, or a report of another version. Version 1 reports are upgraded on load
 * (migrate.ts). Unknown extra fields are kept.
 */
import { z } from 'zod';
import { migrateReport } from './migrate';
import { REPORT_SCHEMA_VERSION, type Report } from './report';
import { LeakcheckError } from '../errors';

/** The file is not a report this version of leakcheck can read. */
export class ReportFormatError extends LeakcheckError {}

const num = z.number();
const fit = z.looseObject({ slope: num, intercept: num, low: num, high: num, estimable: z.boolean() });
const metric = z.looseObject({
  metric: z.string(),
  unit: z.enum(['bytes', 'count']),
  axis: z.string(),
  gating: z.boolean(),
  samples: num,
  xFirst: num,
  xLast: num,
  ols: z.looseObject({ rSquared: num, estimable: z.boolean() }),
  theilSen: fit.extend({ confidence: num }),
  growth: num,
  perUnit: num,
  verdict: z.enum(['leak', 'pass', 'inconclusive']),
  rule: z.string(),
  reason: z.string(),
});
const decision = z.looseObject({ metric: z.string(), rule: z.string(), reason: z.string() }).nullable();
const processReport = z.looseObject({
  pid: num,
  argv: z.array(z.string()),
  requests: num,
  share: num,
  verdict: z.enum(['leak', 'pass', 'inconclusive']),
  decidedBy: decision,
  metrics: z.array(metric),
  projection: z.looseObject({ secondsToLimit: num.nullable() }).nullable(),
  series: z.array(
    z.looseObject({ requests: num, heapUsed: num, external: num, handles: num, phase: z.string(), t: num }),
  ),
});
const reportSchema = z.looseObject({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.looseObject({ name: z.literal('leakcheck'), version: z.string() }),
  createdAt: z.string(),
  verdict: z.enum(['leak', 'pass', 'inconclusive', 'error']),
  exitCode: num,
  summary: z.string(),
  decidedBy: decision,
  status: z.string(),
  failure: z.looseObject({ message: z.string(), logTail: z.array(z.string()) }).optional(),
  target: z.looseObject({ command: z.string(), cwd: z.string(), logFile: z.string() }),
  settings: z.record(z.string(), z.unknown()),
  processes: z.array(processReport),
  traffic: z.looseObject({
    completed: num,
    errors: num,
    timeouts: num,
    seconds: num,
    requestsPerSecond: num,
    errorRate: num,
    statusCounts: z.record(z.string(), num),
    endpoints: z.array(
      z.looseObject({
        endpoint: z.string(),
        intendedShare: num,
        share: num,
        count: num,
        statusCounts: z.record(z.string(), num),
      }),
    ),
  }),
  warnings: z.array(z.string()),
  timings: z.looseObject({ totalMs: num }),
  findings: z.array(z.looseObject({ title: z.string() })).optional(),
});

/**
 * Parses report.json text into a Report.
 *
 * @param text - the file's contents
 * @param name - the file's name, for messages
 * @returns the report
 * @throws ReportFormatError naming the file and what is wrong: not JSON, no or another schema
 *   version, or the first field that does not have the expected type
 */
export function parseReport(text: string, name: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(
      `${name} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  return validateReport(value, name);
}

/**
 * Checks that a parsed value is a Report of the supported schema version; a report of the
 * previous version (1) is upgraded first.
 *
 * @param value - parsed JSON
 * @param name - where it came from, for messages
 * @returns the value as a Report
 * @throws ReportFormatError as {@link parseReport}
 */
export function validateReport(input: unknown, name: string): Report {
  const value = migrateReport(input);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReportFormatError(`${name} is not a leakcheck report: expected a JSON object`);
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new ReportFormatError(`${name} is not a leakcheck report: it has no "schemaVersion"`);
  }
  if (version !== REPORT_SCHEMA_VERSION) {
    throw new ReportFormatError(
      `${name} has report schemaVersion ${JSON.stringify(version)}; this leakcheck reads versions 1 and ${REPORT_SCHEMA_VERSION}`,
    );
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue
      ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      : '';
    throw new ReportFormatError(
      `${name}: field "${field.replace(/^\./, '') || '(root)'}" ${issue ? describe(issue) : 'is invalid'}`,
    );
  }
  // The schema checked every field a renderer reads; the rest is carried through as written.
  return value as Report;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `must be ${issue.expected}`;
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message.toLowerCase();
}
