/** The terminal summary: verdict line, per-metric table, heap chart, projection, warnings. */
import {
  formatAmount,
  formatBytes,
  formatDuration,
  formatNumber,
  formatRateWithInterval,
} from '../analysis/format';
import { barChart } from './chart';
import type { ProcessReport, Report } from './report';

/** Rendering options. */
export interface TerminalOptions {
  reportFile?: string;
  /** ANSI colours (default: off; the CLI turns them on for terminals). */
  color?: boolean;
}

const COLORS = {
  leak: '\x1b[31m',
  pass: '\x1b[32m',
  inconclusive: '\x1b[33m',
  error: '\x1b[31m',
  reset: '\x1b[0m',
  dim: '\x1b[2m',
};

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Renders the report for a terminal; pure. */
export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
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
  const header = `  ${pad('metric', 13)}${pad('per request (95% CI)', 38)}${pad('growth', 12)}${pad('samples', 9)}${pad('R²', 7)}verdict`;
  out.push(header);
  for (const m of p.metrics) {
    const rate = formatRateWithInterval(m.perRequest, m.theilSen.low, m.theilSen.high, m.unit, 0.95)
      .replace('/request', '')
      .replace(/\(\d+(\.\d+)?% CI /, '[')
      .replace(/\)$/, ']');
    const growth = (m.growth >= 0 ? '+' : '') + formatAmount(m.growth, m.unit);
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
  // A projection from a slope the analysis called noise would only alarm: show it when the heap grows.
  const heapVerdict = p.metrics.find((m) => m.metric === 'heapUsed')?.verdict;
  if (p.projection && p.projection.secondsToLimit !== null && heapVerdict !== 'pass') {
    out.push('');
    out.push(
      `  projection: at ${formatNumber(p.projection.requestsPerSecond)} requests/s the heap reaches its ` +
        `${formatBytes(p.projection.heapLimit)} limit in about ${formatDuration(p.projection.secondsToLimit)}`,
    );
  }
  return out;
}
