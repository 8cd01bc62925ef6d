/**
 * Reading a saved report.json back: checks the schema version and every field of the report, so
 * `leakcheck report` and the Action's comment workflow fail with one clear line on a file that is
 * not a report, or a report of another version. Version 1 reports are upgraded on load
 * (migrate.ts). Unknown extra fields are kept. The schema is schema.ts's.
 */
import type { z } from 'zod';
import { migrateReport } from './migrate';
import { REPORT_SCHEMA_VERSION, type Report } from './report';
import { reportSchema } from './schema';
import { LeakcheckError } from '../errors';

/** The file is not a report this version of leakcheck can read. */
export class ReportFormatError extends LeakcheckError {}

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
  // The report as written (field order and unknown fields kept), now known to match the schema.
  return value as Report;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `must be ${issue.expected}`;
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message.toLowerCase();
}
