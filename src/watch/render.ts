/**
 * Renderers of a watch report: terminal and Markdown (JSON is the report itself). Pure. Label
 * values and reasons come from the user's Prometheus, so they are escaped for each medium with the
 * run report's escaping (src/report/escape.ts): Markdown mentions, references and autolinks neutralised.
 */
import {
  formatAmount,
  formatDuration,
  formatNumber,
  formatRateWithInterval,
  METRICS,
  REQUESTS,
} from '../analysis';
import { formatPerHourWithInterval, type InstanceAnalysis } from './analyse';
import type { WatchReport } from './index';
import { escapeMarkdown, stripControl } from '../report/escape';

const COLORS = {
  leak: '\x1b[31m',
  pass: '\x1b[32m',
  inconclusive: '\x1b[33m',
  reset: '\x1b[0m',
  dim: '\x1b[2m',
};

/** Options of {@link renderWatchTerminal}. */
export interface WatchTerminalOptions {
  /** ANSI colours. */
  color?: boolean;
}

/**
 * Renders the report for a terminal.
 *
 * @param report - the watch report
 * @param options - colours
 * @returns the text, ending in a newline
 */
export function renderWatchTerminal(report: WatchReport, options: WatchTerminalOptions = {}): string {
  const c = (key: keyof typeof COLORS, text: string): string =>
    options.color ? `${COLORS[key]}${text}${COLORS.reset}` : text;
  const out: string[] = [''];
  out.push(
    `${c(report.verdict, report.verdict.toUpperCase())}  ${stripControl(report.summary.replace(/^[A-Z]+: /, ''))}`,
  );
  out.push('');
  out.push(`  prometheus  ${stripControl(report.prometheus)}`);
  out.push(
    `  query       ${stripControl(report.query)}${report.requestsQuery ? `  per request: ${stripControl(report.requestsQuery)}` : ''}`,
  );
  out.push(
    `  range       ${formatDuration(report.range.seconds)} to ${new Date(report.range.end * 1000).toISOString()}, ` +
      `step ${formatNumber(report.range.step)} s; ${report.counts.series} series: ${report.counts.leak} leak, ` +
      `${report.counts.inconclusive} inconclusive, ${report.counts.pass} pass`,
  );
  for (const instance of report.instances) {
    out.push('');
    out.push(
      `  ${c(instance.verdict, instance.verdict.toUpperCase().padEnd(12))} ${stripControl(instance.name)}`,
    );
    out.push(`    ${c('dim', 'growth')}    ${rates(instance, report)}`);
    out.push(
      `    ${c('dim', 'why')}       ${stripControl(instance.reason)} [${instance.rule}, ${instance.basis}]`,
    );
    if (instance.projection)
      out.push(`    ${c('dim', 'limit')}     ${stripControl(instance.projection.text)}`);
  }
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(`  warning: ${stripControl(w)}`);
  }
  out.push('');
  return out.join('\n');
}

/** "5.2 MB/h (95% CI 4.9–5.5); 312 B/request (…)": both rates when both were fitted. */
function rates(instance: InstanceAnalysis, report: WatchReport): string {
  const metric = report.metric;
  const h = instance.perHour;
  const parts = [formatPerHourWithInterval(h.rate, h.low, h.high, metric, report.confidence)];
  const r = instance.perRequest;
  if (r && r.samples > 0) {
    parts.push(
      formatRateWithInterval(r.rate, r.low, r.high, METRICS[metric].unit, report.confidence, REQUESTS),
    );
  }
  const current =
    instance.current !== null ? `; now ${formatAmount(instance.current, METRICS[metric].unit)}` : '';
  return parts.join('; ') + current;
}

/**
 * Renders the report as Markdown (for a pull request comment, a job summary or a cron mail).
 *
 * @param report - the watch report
 * @returns the Markdown, ending in a newline
 */
export function renderWatchMarkdown(report: WatchReport): string {
  const icon: Record<string, string> = { leak: '🔴', inconclusive: '🟡', pass: '🟢' };
  const out: string[] = [];
  out.push(`## leakcheck watch: ${icon[report.verdict] ?? ''} ${report.verdict.toUpperCase()}`);
  out.push('');
  out.push(escapeMarkdown(report.summary));
  out.push('');
  out.push(
    `Query \`${report.query.replace(/`/g, "'")}\`${report.requestsQuery ? ` per request of \`${report.requestsQuery.replace(/`/g, "'")}\`` : ''}, ` +
      `${formatDuration(report.range.seconds)} to ${new Date(report.range.end * 1000).toISOString()} ` +
      `(step ${formatNumber(report.range.step)} s): ${report.counts.series} series, ${report.counts.leak} leak, ` +
      `${report.counts.inconclusive} inconclusive, ${report.counts.pass} pass.`,
  );
  out.push('');
  out.push('| Instance | Verdict | Growth | Time to limit | Rule |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const i of report.instances) {
    // A passing instance's projection stays in the JSON; next to "pass" it would read as an alarm.
    const limit =
      !i.projection || i.verdict === 'pass'
        ? '—'
        : i.projection.secondsToLimit === null
          ? 'not growing'
          : formatDuration(i.projection.secondsToLimit);
    out.push(
      `| ${escapeMarkdown(i.name)} | ${icon[i.verdict] ?? ''} ${i.verdict} | ${escapeMarkdown(rates(i, report))} | ${limit} | ${i.rule} (${i.basis}) |`,
    );
  }
  out.push('');
  for (const i of report.instances.filter((x) => x.verdict !== 'pass')) {
    out.push(`- **${escapeMarkdown(i.name)}**: ${escapeMarkdown(i.reason)}`);
    if (i.projection) out.push(`  - ${escapeMarkdown(i.projection.text)}`);
  }
  if (report.warnings.length > 0) {
    out.push('');
    for (const w of report.warnings) out.push(`> ⚠️ ${escapeMarkdown(w)}`);
  }
  out.push('');
  return out.join('\n');
}
