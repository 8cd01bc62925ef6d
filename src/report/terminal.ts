/** The terminal summary: verdict line, per-metric table, heap chart, projection, warnings. */
import { axisNamed } from '../analysis/axis';
import { formatBytes, formatConfidence, formatNumber } from '../analysis/format';
import { growthText, projectionText, rateText, type TextTable } from './view';
import { barChart } from './chart';
import { stripControlDeep } from './escape';
import * as path from 'node:path';
import type { Finding, ProcessReport, Report } from './report';
import type { FidelityReport } from '../traffic/fidelity';

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
 * indented two spaces (compare's metrics, bisect's steps). Cells must hold no colour codes.
 *
 * @param table - headings and rows
 * @param rightAligned - indexes of the columns aligned right (numbers)
 * @returns the lines, heading first, without trailing spaces
 */
export function terminalTable(table: TextTable, rightAligned: readonly number[] = []): string[] {
  const widths = table.headers.map((h, i) =>
    Math.max(h.length, ...table.rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `  ${cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')}`.trimEnd();
  return [line(table.headers), ...table.rows.map(line)];
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/**
 * Renders the report for a terminal; pure. Every string of the report is stripped of control
 * sequences first: `leakcheck report` prints report.json files that someone else may have written.
 */
export function renderTerminal(untrusted: Report, options: TerminalOptions = {}): string {
  const report = stripControlDeep(untrusted);
  const c = (key: keyof typeof COLORS, text: string): string =>
    options.color ? `${COLORS[key]}${text}${COLORS.reset}` : text;
  const out: string[] = [];
  out.push('');
  out.push(`${c(report.verdict, report.verdict.toUpperCase())}  ${report.summary.replace(/^[A-Z]+: /, '')}`);
  out.push('');
  const t = report.traffic;
  out.push(`  target   ${report.target.command}${report.target.url ? `  (${report.target.url})` : ''}`);
  out.push(
    `  traffic  ${formatNumber(t.completed)} responses in ${formatNumber(t.seconds, 1)} s (${formatNumber(t.requestsPerSecond)}/s), ` +
      `${formatNumber(t.errorRate * 100, 1)}% errors, ${String(report.settings.connections)} connections`,
  );
  if (report.failure) {
    out.push('');
    out.push(`  ${c('error', 'run ended early:')} ${report.failure.message}`);
    if (report.failure.logTail.length > 0) {
      out.push(`  last lines of the target's output (${report.target.logFile}):`);
      for (const line of report.failure.logTail.slice(-15)) out.push(`  ${c('dim', '│')} ${line}`);
    }
  }
  for (const p of report.processes) out.push(...renderProcess(p, report.processes.length > 1, c));
  out.push(...renderFindings(report, Boolean(options.stacks), c));
  if (report.fidelity) out.push(...renderFidelity(report.fidelity));
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

function renderProcess(
  p: ProcessReport,
  many: boolean,
  c: (key: keyof typeof COLORS, text: string) => string,
): string[] {
  const out: string[] = [''];
  if (many)
    out.push(`  process ${p.pid} (${formatNumber(p.share * 100)}% of requests): ${p.verdict.toUpperCase()}`);
  const confidence = p.metrics[0]?.theilSen.confidence ?? 0.95;
  const unit = axisNamed(p.metrics[0]?.axis).unit;
  const header = `  ${pad('metric', 13)}${pad(`per ${unit} (${formatConfidence(confidence)} CI)`, 38)}${pad('growth', 12)}${pad('samples', 9)}${pad('R²', 7)}verdict`;
  out.push(header);
  for (const m of p.metrics) {
    // The view's rate, compacted for a fixed-width column: no unit suffix, the interval in brackets.
    const rate = rateText(m)
      .replace(axisNamed(m.axis).bytesRate, '')
      .replace(/\(\d+(\.\d+)?% CI /, '[')
      .replace(/\)$/, ']');
    const growth = growthText(m);
    const verdict = m.gating
      ? `${c(m.verdict, m.verdict.toUpperCase())} (${m.rule})`
      : c('dim', `info (${m.rule})`);
    out.push(
      `  ${pad(m.metric, 13)}${pad(rate, 38)}${pad(growth, 12)}${pad(String(m.samples), 9)}${pad(m.ols.rSquared.toFixed(2), 7)}${verdict}`,
    );
  }
  const measured = p.series.filter((s) => s.phase === 'measure');
  if (measured.length > 1) {
    const ys = measured.map((s) => s.heapUsed);
    const lines = barChart(
      measured.map((s) => s.requests),
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
    const span = (measured.at(-1)?.requests ?? 0) - (measured[0]?.requests ?? 0);
    out.push(`  ${' '.repeat(w)} └${'─'.repeat(lines[0]?.length ?? 0)} ${formatNumber(span)} requests`);
  }
  const projection = projectionText(p);
  if (projection) {
    out.push('');
    out.push(`  projection: ${projection.charAt(0).toLowerCase()}${projection.slice(1).replace(/\.$/, '')}`);
  }
  return out;
}

/** "What grew and where": allocation sites, then object groups with their retainer paths. */
function renderFindings(
  report: Report,
  stacks: boolean,
  c: (key: keyof typeof COLORS, text: string) => string,
): string[] {
  const findings = report.findings;
  if (!findings) return [];
  const out: string[] = ['', '  what grew and where'];
  const where = (f: Finding): string =>
    f.file ? `${shortPath(f.file, report.target.cwd)}:${f.line ?? '?'}${f.column ? `:${f.column}` : ''}` : '';
  const pids = new Set(findings.map((f) => f.pid));
  const sites = findings.filter((f) => f.kind === 'allocation-site');
  const groups = findings.filter((f) => f.kind === 'object-group');
  if (sites.length === 0) out.push(`  ${c('dim', 'no allocation site grew above the threshold')}`);
  else {
    out.push('  allocation sites (live bytes added per request; the function that allocates, in your code):');
    for (const f of sites) {
      const bytes = pad(formatBytes(f.bytesPerRequest ?? 0), 9);
      const pid = pids.size > 1 ? `[${f.pid}] ` : '';
      out.push(`    ${bytes} ${pid}${f.function ?? '(unknown)'}  ${where(f)}`);
      if (stacks) for (const frame of f.stack ?? []) out.push(`      ${c('dim', `at ${frame}`)}`);
    }
  }
  if (groups.length > 0) {
    out.push('  objects new between heap snapshots 1 and 2, still alive at 3:');
    for (const f of groups) {
      const loc = where(f);
      // Property names on retainer paths can hold anything: no control characters get through.
      out.push(`    ${visible(f.title)}${loc ? `  (${loc})` : ''}`);
      if (f.retainerPath) out.push(`      ${c('dim', visible(f.retainerPath))}`);
    }
  }
  const a = report.attribution;
  if (a) {
    for (const file of a.pprof.slice(0, 3)) out.push(`  pprof    ${shortPath(file, report.target.cwd)}`);
    if (a.snapshots.files.length > 0)
      out.push(`  heap snapshots  ${shortPath(path.dirname(a.snapshots.files[0] ?? ''), report.target.cwd)}`);
    for (const note of a.notes.slice(0, 5)) out.push(`  ${c('dim', `note: ${note}`)}`);
    if (a.notes.length > 5) out.push(`  ${c('dim', `note: ${a.notes.length - 5} more in report.json`)}`);
  }
  return out;
}

/** A path relative to `base` when it lies below it. */
function shortPath(file: string, base: string): string {
  const rel = path.relative(base, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** Endpoint rows shown; the rest are summed into one line. */
const FIDELITY_ROWS = 12;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Log text shown as is, minus anything that could drive the terminal (escapes, control characters). */
function visible(text: string): string {
  return text.replace(CONTROL, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function sharePct(share: number): string {
  return `${formatNumber(share * 100, 1)}%`;
}

function topCodes(shares: Record<string, number>, n = 2): string {
  return Object.entries(shares)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([code, v]) => `${visible(code)} ${formatNumber(v * 100)}%`)
    .join(' ');
}

/** The replay fidelity table: the log's mix next to what was sent and received. */
function renderFidelity(f: FidelityReport): string[] {
  const out: string[] = [''];
  const skipped = f.source.skipped > 0 ? `, ${formatNumber(f.source.skipped)} skipped` : '';
  const origins = f.source.otherOrigins
    ? `, ${formatNumber(f.source.otherOrigins)} other-origin entries skipped`
    : '';
  out.push(
    `  replay   ${visible(f.source.file)} (${visible(f.source.format)}, ${formatNumber(f.source.requests)} requests${skipped}${origins}), ${f.source.mode} mode: ${formatNumber(f.sent)} sent, ${formatNumber(f.received)} received`,
  );
  const per = (window: number): string => `per ${formatNumber(window)} requests`;
  const labels = [
    `distinct URLs ${per(f.distinctUrls.window)}`,
    `distinct identities ${per(f.distinctIdentities.window)}`,
  ];
  const w = Math.min(
    56,
    Math.max(
      ...labels.map((l) => l.length + 2),
      ...f.endpoints.slice(0, FIDELITY_ROWS).map((e) => visible(e.endpoint).length + 2),
    ),
  );
  out.push(
    `  ${pad('endpoint', w)}${'log'.padStart(7)}${'sent'.padStart(8)}   ${pad('log status', 18)}received`,
  );
  for (const e of f.endpoints.slice(0, FIDELITY_ROWS)) {
    let name = visible(e.endpoint);
    if (name.length > w - 2) name = name.slice(0, w - 3) + '…';
    out.push(
      `  ${pad(name, w)}${sharePct(e.logShare).padStart(7)}${sharePct(e.sentShare).padStart(8)}   ${pad(topCodes(e.logStatus), 18)}${topCodes(e.receivedStatus)}`,
    );
  }
  const rest = f.endpoints.slice(FIDELITY_ROWS);
  if (rest.length > 0) {
    const log = rest.reduce((a, e) => a + e.logShare, 0);
    const sent = rest.reduce((a, e) => a + e.sentShare, 0);
    out.push(`  ${pad(`(${rest.length} more)`, w)}${sharePct(log).padStart(7)}${sharePct(sent).padStart(8)}`);
  }
  out.push(
    `  ${pad(labels[0] as string, w)}${formatNumber(f.distinctUrls.log).padStart(7)}${formatNumber(f.distinctUrls.sent).padStart(8)}` +
      (f.distinctUrls.sentWindow !== f.distinctUrls.window
        ? `   (sent: ${per(f.distinctUrls.sentWindow)})`
        : ''),
  );
  out.push(
    `  ${pad(labels[1] as string, w)}${formatNumber(f.distinctIdentities.log).padStart(7)}${formatNumber(f.distinctIdentities.sent).padStart(8)}`,
  );
  out.push(
    `  ${pad('status mix', w)}log ${topCodes(f.statusMix.log, 4)}   received ${topCodes(f.statusMix.received, 4)}`,
  );
  return out;
}
