/**
 * Renderers of a {@link CompareReport}: terminal text and GitHub-flavoured Markdown (for job
 * summaries and pull-request comments). Pure: a report in, a string out; everything that came from
 * the user's repository or the target is escaped in Markdown.
 */
import { REQUESTS } from '../analysis/axis';
import { formatNumber, formatRate, formatRateWithInterval } from '../analysis/format';
import { isMetricName, METRICS } from '../analysis/metrics';
import { escapeMarkdown, markdownCodeBlock } from '../report/escape';
import { collapsedTable, markdownTable, renderMarkdownSummary } from '../report/markdown';
import { closingLines, terminalTable } from '../report/terminal';
import type { TextTable } from '../report/view';
import type { Report, ReportVerdict } from '../report/report';
import { dependencyLines, dependencyMarkdown, growthSiteLines } from '../deps/render';
import type { MetricDifference } from './difference';
import type { CompareReport, RunWindow } from './report';

const HEADLINE: Readonly<Record<ReportVerdict, string>> = {
  leak: '❌ leakcheck: this change adds a leak',
  pass: '✅ leakcheck: no leak added',
  inconclusive: '⚠️ leakcheck: inconclusive',
  error: '🛑 leakcheck: no verdict',
};

const WORD: Readonly<Record<ReportVerdict, string>> = {
  leak: 'LEAK ADDED',
  pass: 'PASS',
  inconclusive: 'INCONCLUSIVE',
  error: 'ERROR',
};

function label(metric: string): string {
  return isMetricName(metric) ? METRICS[metric].label : metric;
}

function short(commit: string): string {
  return commit.slice(0, 12);
}

function differenceText(d: MetricDifference): string {
  return formatRateWithInterval(d.mean, d.low, d.high, d.unit, d.confidence, REQUESTS);
}

/** The summary without its "LEAK ADDED: " style prefix. */
function sentence(report: CompareReport): string {
  return report.summary.replace(/^[A-Z ]+: /, '');
}

/** Metrics worth a row: the gating ones, and any other whose difference is not a pass. */
function shownDifferences(report: CompareReport): MetricDifference[] {
  return report.differences.filter((d) => d.gating || d.verdict !== 'pass');
}

/** The per-metric differences as one table, for the terminal and for Markdown. */
function differenceTable(report: CompareReport, rows: readonly MetricDifference[]): TextTable {
  return {
    headers: [
      'metric',
      'base',
      'head',
      // The intervals' own level: a comparison that stopped early widened them (alpha spent).
      `head − base (${formatNumber((rows[0]?.confidence ?? report.settings.confidence) * 100, 1)}% CI)`,
      'verdict',
    ],
    rows: rows.map((d) => [
      label(d.metric),
      formatRate(d.base.mean, d.unit, REQUESTS),
      formatRate(d.head.mean, d.unit, REQUESTS),
      differenceText(d),
      d.verdict,
    ]),
  };
}

/** "2 pairs, stopped early (at most 4)", "3 pairs (fixed)": how many pairs ran and why that many. */
function pairWords(report: CompareReport): string {
  const plan = report.pairPlan;
  const n = `${report.pairs} pair${report.pairs === 1 ? '' : 's'}`;
  if (!plan) return n;
  if (plan.mode === 'fixed') return `${n} (--pairs)`;
  return report.pairs < plan.maxPairs
    ? `${n}, decided early (at most ${plan.maxPairs})`
    : `${n} (the most allowed)`;
}

/**
 * One run's windows in words: "1.5 s warm-up + 5 s measured", or in requests when the run was
 * bounded by requests ("500 requests warm-up + 3,000 requests measured").
 *
 * @param w - the per-run window of a compare or bisect report
 * @returns the words
 */
export function runWindowText(w: RunWindow): string {
  const warmup =
    w.warmupRequests !== undefined
      ? `${formatNumber(w.warmupRequests)} requests`
      : `${formatNumber(w.warmupSeconds, 1)} s`;
  const measured =
    w.requests !== undefined
      ? `${formatNumber(w.requests)} requests`
      : `${formatNumber(w.durationSeconds, 1)} s`;
  return `${warmup} warm-up + ${measured} measured`;
}

/**
 * Terminal text for a comparison.
 *
 * @param report - the comparison
 * @param options - the compare.json path to point at; the last head run's report, whose growing
 *   sites are listed after a leak
 * @returns the text, ending with a newline
 */
export function renderCompareTerminal(
  report: CompareReport,
  options: { reportFile?: string; headReport?: Report | null } = {},
): string {
  const out: string[] = [''];
  out.push(`${WORD[report.verdict]}  ${sentence(report)}`);
  out.push('');
  out.push(`  base     ${report.base.ref} → merge base ${short(report.base.commit)}`);
  out.push(`  head     ${short(report.head.commit)}${report.head.dirty ? ' + uncommitted changes' : ''}`);
  out.push(
    `  runs     ${report.runs.length} (${pairWords(report)}, alternating), each ${runWindowText(report.perRun)}`,
  );
  if (report.base.install.command !== null || report.base.install.why) {
    out.push(
      `  install  ${report.base.install.command ?? '(none)'}: ${report.base.install.why}` +
        (report.base.install.ms > 0 ? ` (${formatNumber(report.base.install.ms / 1000, 1)} s)` : ''),
    );
  }
  if (report.failure) {
    out.push('');
    out.push(`  failed: ${report.failure.message}`);
    for (const line of report.failure.logTail.slice(-15)) out.push(`  │ ${line}`);
  }
  const rows = shownDifferences(report);
  if (rows.length > 0) {
    out.push('', ...terminalTable(differenceTable(report, rows)));
  }
  for (const p of report.preExisting) {
    out.push('');
    out.push(`  already on the base: ${p.reason}`);
  }
  const deps = dependencyLines(report.dependencies, 'base → head');
  if (deps.length > 0) out.push('', ...deps);
  if (report.verdict === 'leak' && options.headReport) {
    const where = growthSiteLines(options.headReport.findings ?? [], 'the last head run');
    if (where.length > 0) out.push('', ...where);
  }
  out.push(...closingLines(report.warnings, options.reportFile));
  out.push('');
  return out.join('\n');
}

/** Options of {@link renderCompareMarkdown}. */
export interface CompareMarkdownOptions {
  /** The last head run's report: its chart, findings and traffic are appended. */
  headReport?: Report | null;
  /** Level of the top heading (default 2). */
  headingLevel?: number;
  /** A line under the headline pointing at the full report. */
  reportLink?: { text: string; url?: string };
}

/**
 * Markdown for a comparison: headline, base and head, the per-metric differences, any leak that
 * predates the change, the runs, and the last head run's own summary.
 *
 * @param report - the comparison
 * @param options - extras
 * @returns the Markdown, ending with a newline
 */
export function renderCompareMarkdown(report: CompareReport, options: CompareMarkdownOptions = {}): string {
  const level = Math.min(4, Math.max(1, Math.round(options.headingLevel ?? 2)));
  const h = (depth: number, text: string): string => `${'#'.repeat(level + depth)} ${text}`;
  const e = escapeMarkdown;
  const blocks: string[] = [];
  blocks.push(h(0, HEADLINE[report.verdict]));
  blocks.push(e(sentence(report)));
  blocks.push(
    `Base: ${e(report.base.ref)} at merge base \`${short(report.base.commit)}\` · head \`${short(report.head.commit)}\`` +
      `${report.head.dirty ? ' with uncommitted changes' : ''} · ${pairWords(report)} of alternating runs, each ${runWindowText(report.perRun)}`,
  );
  if (options.reportLink) {
    const text = e(options.reportLink.text);
    blocks.push(
      options.reportLink.url
        ? `[${text}](${encodeURI(options.reportLink.url).replace(/[()]/g, encodeURIComponent)})`
        : text,
    );
  }
  if (report.failure) {
    blocks.push(h(1, 'Comparison ended early'));
    blocks.push(e(report.failure.message));
    if (report.failure.logTail.length > 0) {
      blocks.push(
        `<details><summary>Last lines of output</summary>\n\n${markdownCodeBlock(report.failure.logTail.slice(-30))}\n\n</details>`,
      );
    }
  }
  const rows = shownDifferences(report);
  if (rows.length > 0) {
    blocks.push(h(1, 'Growth per request, head − base'));
    blocks.push(markdownTable(differenceTable(report, rows)));
    if (report.decidedBy)
      blocks.push(e(`Decided by ${label(report.decidedBy.metric)}: ${report.decidedBy.reason}`));
  }
  if (report.preExisting.length > 0) {
    blocks.push(h(1, 'Already on the base'));
    blocks.push(report.preExisting.map((p) => `- ${e(p.reason)}`).join('\n'));
  }
  const deps = dependencyMarkdown(report.dependencies, 'Dependencies changed, base → head', level + 1);
  if (deps) blocks.push(deps.trimEnd());
  if (report.runs.length > 0) {
    blocks.push(
      collapsedTable(`Runs (${report.runs.length})`, {
        headers: ['#', 'side', 'pair', 'verdict', 'requests', 'seconds'],
        rows: report.runs.map((r) => [
          String(r.order),
          r.side,
          String(r.pair),
          r.verdict,
          formatNumber(r.requests),
          formatNumber(r.ms / 1000, 1),
        ]),
      }),
    );
  }
  if (report.warnings.length > 0) {
    blocks.push(h(1, 'Warnings'));
    blocks.push(report.warnings.map((w) => `- ${e(w)}`).join('\n'));
  }
  let text = blocks.join('\n\n') + '\n';
  if (options.headReport) {
    text +=
      `\n${h(1, 'Last head run')}\n\n` +
      renderMarkdownSummary(options.headReport, { headingLevel: level + 2 });
  }
  return text;
}
