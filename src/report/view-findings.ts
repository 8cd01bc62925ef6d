/**
 * What the reports say about what grew and where: the findings worth showing first, where each
 * points and how fast it grows. Plain text, escaped by each renderer (see ./view.ts).
 */
import * as path from 'node:path';
import { formatBytes, formatNumber } from '../analysis/format';
import type { Finding, Report } from './report';

/**
 * The findings worth showing first: largest growth per request first, at most `limit`; an
 * allocation site with no file (no JavaScript on its stack: native code allocated it, see
 * attribution's `allocatedByNativeCode`) comes last, as it names no code to change.
 *
 * @param report - the report
 * @param limit - how many to return
 * @returns the findings, best first
 */
export function topFindings(report: Report, limit: number): Finding[] {
  const findings = Array.isArray(report.findings) ? report.findings.filter(isFinding) : [];
  // An object group weighs what it holds of the new objects (a listener before the Map it keeps).
  const weight = (f: Finding): number =>
    (f.kind === 'object-group' ? f.heldBytesPerRequest : undefined) ??
    f.bytesPerRequest ??
    (f.countPerRequest ?? 0) * (f.sizeEach ?? 1);
  const native = (f: Finding): number => (f.kind === 'allocation-site' && f.file === undefined ? 1 : 0);
  return [...findings].sort((a, b) => native(a) - native(b) || weight(b) - weight(a)).slice(0, limit);
}

/** A finding read from an older or newer report.json: only the title is required. */
function isFinding(value: unknown): value is Finding {
  return (
    typeof value === 'object' && value !== null && typeof (value as { title?: unknown }).title === 'string'
  );
}

/**
 * Where a finding points, "src/auth.ts:42:7 (verifyToken)", or null when it has no file.
 *
 * @param f - the finding
 * @returns the location text, or null
 */
export function findingLocation(f: Finding): string | null {
  const position = findingPosition(f);
  if (position === null) return null;
  const fn = typeof f.function === 'string' && f.function !== '' ? ` (${f.function})` : '';
  return `${position}${fn}`;
}

/**
 * A finding's file, line and column, "src/auth.ts:42:7", or null when it has no file. With a base
 * directory, a file below it is shown relative to it (the terminal's choice).
 *
 * @param f - the finding
 * @param base - directory to show paths relative to (default: as recorded)
 * @returns the position text, or null
 */
export function findingPosition(f: Finding, base?: string): string | null {
  if (typeof f.file !== 'string' || f.file === '') return null;
  const pos =
    typeof f.line === 'number' ? `:${f.line}${typeof f.column === 'number' ? `:${f.column}` : ''}` : '';
  return `${base === undefined ? f.file : relativeBelow(f.file, base)}${pos}`;
}

/**
 * A path relative to `base` when it lies below it, else as it is.
 *
 * @param file - a path
 * @param base - a directory
 * @returns the path to show
 */
export function relativeBelow(file: string, base: string): string {
  const rel = path.relative(base, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/**
 * How fast a finding grows, "312 B/request" or "0.5 objects/request (48 B each)", or null.
 *
 * @param f - the finding
 * @returns the text, or null
 */
export function findingRate(f: Finding): string | null {
  if (typeof f.bytesPerRequest === 'number') return `${formatBytes(f.bytesPerRequest)}/request`;
  if (typeof f.countPerRequest === 'number') {
    const each = typeof f.sizeEach === 'number' ? ` (${formatBytes(f.sizeEach)} each)` : '';
    return `${formatNumber(f.countPerRequest, 3)} objects/request${each}`;
  }
  return null;
}

/** A file attribution wrote: a growing-allocation profile or a heap snapshot. */
export interface AttributionFile {
  /** What it is, in words. */
  kind: 'pprof profile' | 'heap snapshot';
  /** Where it is, as recorded. */
  path: string;
}

/** How the findings were made, in words: what was taken, the files written, the notes. */
export interface AttributionText {
  /** "12 heap profiles", "heap snapshots taken: …" */
  facts: string[];
  /** The profiles first, then the snapshots. */
  files: AttributionFile[];
  /** Anything skipped or failed. */
  notes: string[];
}

/**
 * How the findings were made, or null for a run without attribution. Read by shape, so an older
 * report.json without some of the fields still renders.
 *
 * @param report - the report
 * @returns the facts, files and notes
 */
export function attributionText(report: Report): AttributionText | null {
  const a = report.attribution;
  if (!a) return null;
  const facts: string[] = [];
  if (typeof a.profiles === 'number') facts.push(`${formatNumber(a.profiles)} heap profiles`);
  if (a.snapshots && typeof a.snapshots.reason === 'string')
    facts.push(`heap snapshots ${a.snapshots.taken ? 'taken' : 'not taken'}: ${a.snapshots.reason}`);
  const files: AttributionFile[] = [
    ...(a.pprof ?? []).map((f) => ({ kind: 'pprof profile' as const, path: String(f) })),
    ...(a.snapshots?.files ?? []).map((f) => ({ kind: 'heap snapshot' as const, path: String(f) })),
  ];
  return { facts, files, notes: (a.notes ?? []).map(String) };
}
