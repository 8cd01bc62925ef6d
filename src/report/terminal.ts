/**
 * The terminal summary: verdict line, per-metric table, heap chart, projection, findings, replay
 * fidelity, warnings. Every fact comes from the view model (./view.ts, ./view-findings.ts,
 * ./view-traffic.ts), as in the Markdown and HTML reports; this file only lays it out for a
 * fixed-width screen.
 */
import { formatBytes, formatNumber } from '../analysis/format';
import {
  VERDICT_LABEL,
  decidedByText,
  measuredHeap,
  metricTable,
  processTitle,
  projectionText,
  summarySentence,
  type TextTable,
  type TitledTable,
} from './view';
import { findingPosition, findingRate, relativeBelow, topFindings, attributionText } from './view-findings';
import { replayFidelityTables, trafficNote } from './view-traffic';
import { barChart } from './chart';
import { stripControlDeep } from './escape';
import type { ProcessReport, Report } from './report';

/** Rendering options. */
export interface TerminalOptions {
  reportFile?: string;
  /** ANSI colours (default: off; the CLI turns them on for terminals). */
  color?: boolean;
  /** Print each allocation site's full stack, not only the nearest user frame. */
  stacks?: boolean;
}

const COLORS = {
  leak: '\x1b[31m',
  pass: '\x1b[32m',
  inconclusive: '\x1b[33m',
  error: '\x1b[31m',
  reset: '\x1b[0m',
  dim: '\x1b[2m',
};

/** Paints a laid-out cell's text (row index into the table's rows, column index); colour codes only. */
export type CellPaint = (row: number, column: number, text: string) => string;

/**
 * The lines a long command's terminal text ends with: its warnings, then where the full report is.
 *
 * @param warnings - one line each
 * @param reportFile - the report's path, as the user should see it
 * @returns the lines, each with a blank line before its group
 */
export function closingLines(warnings: readonly string[], reportFile: string | undefined): string[] {
  const out: string[] = [];
  if (warnings.length > 0) out.push('', ...warnings.map((w) => `  warning: ${w}`));
  if (reportFile) out.push('', `  report: ${reportFile}`);
  return out;
}

/**
 * A plain-text table for the terminal: columns as wide as their widest cell, two spaces apart,
 * indented two spaces (the run's metrics, compare's metrics, bisect's steps). Cells must hold no
 * colour codes; `paint` adds them after the layout.
 *
 * @param table - headings and rows
 * @param rightAligned - indexes of the columns aligned right (numbers)
 * @param paint - colours a body cell after padding (default: none)
 * @returns the lines, heading first, without trailing spaces
 */
export function terminalTable(
  table: TextTable,
  rightAligned: readonly number[] = [],
  paint?: CellPaint,
): string[] {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[], row: number | null): string =>
    `  ${cells
      .map((c, i) => {
        const padded = rightAligned.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0);
        // Trailing padding stays outside the colour, so trimEnd below still trims it.
        if (row === null || !paint) return padded;
        const text = padded.trimEnd();
        return paint(row, i, text) + padded.slice(text.length);
      })
      .join('  ')}`.trimEnd();
  return [line(table.headers, null), ...table.rows.map((r, i) => line(r, i))];
}

type Colour = (key: keyof typeof COLORS, text: string) => string;

/** Endpoint rows of a replay table shown; the rest are counted in one line. */
const FIDELITY_ROWS = 12;

/** Longest endpoint shown in full; longer ones are cut with an ellipsis. */
const ENDPOINT_WIDTH = 56;

/** Lines of the target's output shown when the run ended early. */
const LOG_TAIL_LINES = 15;

/** Attribution files shown; the rest are counted. */
const FILES_SHOWN = 4;

/** Attribution notes shown; the rest are counted. */
const NOTES_SHOWN = 5;

/**
 * Renders the report for a terminal; pure. Every string of the report is stripped of control
 * sequences first: `leakcheck report` prints report.json files that someone else may have written.
 *
 * @param untrusted - the report
 * @param options - colours, stacks, the report file to point at
 * @returns the text
 */
export function renderTerminal(untrusted: Report, options: TerminalOptions = {}): string {
  const report = stripControlDeep(untrusted);
  const c: Colour = (key, text) => (options.color ? `${COLORS[key]}${text}${COLORS.reset}` : text);
  const out: string[] = [];
  out.push('');
  out.push(`${c(report.verdict, VERDICT_LABEL[report.verdict])}  ${summarySentence(report)}`);
  out.push('');
  out.push(`  target   ${report.target.command}${report.target.url ? `  (${report.target.url})` : ''}`);
  out.push(`  traffic  ${trafficNote(report)}`);
  if (report.failure) {
    out.push('');
    out.push(`  ${c('error', 'run ended early:')} ${report.failure.message}`);
    if (report.failure.logTail.length > 0) {
      out.push(`  last lines of the target's output (${report.target.logFile}):`);
      for (const line of report.failure.logTail.slice(-LOG_TAIL_LINES))
        out.push(`  ${c('dim', '│')} ${line}`);
    }
  }
  for (const p of report.processes) out.push(...renderProcess(p, report.processes.length > 1, c));
  out.push(...renderFindings(report, Boolean(options.stacks), c));
  for (const table of replayFidelityTables(report)) out.push(...renderTitledTable(table));
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(`  ${c('inconclusive', 'warning:')} ${w}`);
  }
  if (options.reportFile) {
    out.push('');
    out.push(`  report   ${options.reportFile}`);
  }
  out.push('');
  return out.join('\n');
}

function renderProcess(p: ProcessReport, many: boolean, c: Colour): string[] {
  const out: string[] = [''];
  if (many) out.push(`  ${processTitle(p)}`);
  const table = metricTable(p, 'compact');
  const verdictColumn = table.headers.indexOf('verdict');
  out.push(
    ...terminalTable(table, [], (row, column, text) => {
      const m = p.metrics[row];
      if (!m || column !== verdictColumn) return text;
      return m.gating ? c(m.verdict, text) : c('dim', text);
    }),
  );
  const decided = decidedByText(p);
  if (many && decided) out.push(`  ${decided}`);
  const measured = measuredHeap(p);
  if (measured.length > 1) {
    const ys = measured.map((s) => s.y);
    const lines = barChart(
      measured.map((s) => s.x),
      ys,
    );
    const top = formatBytes(Math.max(...ys));
    const bottom = formatBytes(Math.min(...ys));
    const w = Math.max(top.length, bottom.length);
    out.push('');
    out.push(`  heap after GC over requests served`);
    lines.forEach((line, i) => {
      const label = i === 0 ? top : i === lines.length - 1 ? bottom : '';
      out.push(`  ${label.padStart(w)} ┤${line}`);
    });
    const span = (measured.at(-1)?.x ?? 0) - (measured[0]?.x ?? 0);
    out.push(`  ${' '.repeat(w)} └${'─'.repeat(lines[0]?.length ?? 0)} ${formatNumber(span)} requests`);
  }
  const projection = projectionText(p);
  if (projection) {
    out.push('');
    out.push(`  ${projection}`);
  }
  return out;
}

/**
 * "What grew and where": allocation sites, then object groups with their retainer paths, each in
 * the view's order (largest growth first), then the attribution files and notes.
 */
function renderFindings(report: Report, stacks: boolean, c: Colour): string[] {
  if (!report.findings) return [];
  const out: string[] = ['', '  what grew and where'];
  const findings = topFindings(report, report.findings.length);
  const where = (f: (typeof findings)[number]): string => findingPosition(f, report.target.cwd) ?? '';
  const many = new Set(findings.map((f) => f.pid)).size > 1;
  const sites = findings.filter((f) => f.kind === 'allocation-site');
  const groups = findings.filter((f) => f.kind === 'object-group');
  const grown = findings.filter((f) => f.kind === 'growing-object');
  if (sites.length === 0) out.push(`  ${c('dim', 'no allocation site grew above the threshold')}`);
  else {
    out.push('  allocation sites (live bytes added per request; the function that allocates, in your code):');
    const rates = sites.map((f) => findingRate(f) ?? '');
    const width = Math.max(...rates.map((r) => r.length));
    sites.forEach((f, i) => {
      const pid = many ? `[${f.pid}] ` : '';
      out.push(
        `    ${(rates[i] ?? '').padEnd(width)}  ${pid}${f.function ?? '(unknown)'}  ${where(f)}`.trimEnd(),
      );
      if (stacks) for (const frame of f.stack ?? []) out.push(`      ${c('dim', `at ${frame}`)}`);
    });
  }
  if (grown.length > 0) {
    out.push('  objects whose own storage grew between heap snapshots 1 and 3:');
    for (const f of grown) {
      const rate = findingRate(f);
      out.push(`    ${oneLine(f.title)}${rate ? `, ~${rate}` : ''}`);
      if (f.retainerPath) out.push(`      ${c('dim', oneLine(f.retainerPath))}`);
    }
  }
  if (groups.length > 0) {
    out.push('  objects new between heap snapshots 1 and 2, still alive at 3:');
    for (const f of groups) {
      const loc = where(f);
      // Property names on retainer paths can hold anything: each stays on its one line.
      out.push(`    ${oneLine(f.title)}${loc ? `  (${loc})` : ''}`);
      if (f.retainerPath) out.push(`      ${c('dim', oneLine(f.retainerPath))}`);
    }
  }
  const t = attributionText(report);
  if (t) {
    const width = Math.max(...t.files.map((f) => f.kind.length));
    for (const f of t.files.slice(0, FILES_SHOWN))
      out.push(`  ${f.kind.padEnd(width)}  ${relativeBelow(f.path, report.target.cwd)}`);
    if (t.files.length > FILES_SHOWN)
      out.push(`  ${c('dim', `${t.files.length - FILES_SHOWN} more files in report.json`)}`);
    for (const note of t.notes.slice(0, NOTES_SHOWN)) out.push(`  ${c('dim', `note: ${note}`)}`);
    if (t.notes.length > NOTES_SHOWN)
      out.push(`  ${c('dim', `note: ${t.notes.length - NOTES_SHOWN} more in report.json`)}`);
  }
  return out;
}

/**
 * One of the view's titled tables: its title and note, then the table with at most
 * FIDELITY_ROWS rows (the rest counted) and long first cells (endpoints) cut.
 */
function renderTitledTable(table: TitledTable): string[] {
  const out: string[] = ['', `  ${table.title}`];
  if (table.note) out.push(`  ${table.note}`);
  if (table.rows.length === 0) return out;
  const cut = (cell: string): string =>
    cell.length > ENDPOINT_WIDTH ? `${cell.slice(0, ENDPOINT_WIDTH - 1)}…` : cell;
  const shown = table.rows
    .slice(0, FIDELITY_ROWS)
    .map((r) => r.map((cell, i) => (i === 0 ? cut(cell) : cell)));
  out.push(...terminalTable({ headers: table.headers, rows: shown }));
  const more = table.rows.length - shown.length;
  if (more > 0) out.push(`  (${formatNumber(more)} more in the report)`);
  return out;
}

/** Text on one line: the newlines and tabs stripControl keeps are shown escaped. */
function oneLine(text: string): string {
  return text.replace(/[\n\t]/g, (ch) => (ch === '\n' ? '\\n' : '\\t'));
}
