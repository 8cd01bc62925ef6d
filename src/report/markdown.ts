/**
 * The Markdown report: the same content for a pull-request comment, a job summary and a file.
 * GitHub-flavoured: tables, <details>, and a Mermaid `xychart-beta` chart with a table fallback.
 * Pure: a Report in, a string out.
 */
import { formatNumber } from '../analysis/format';
import { escapeMarkdown, markdownCodeBlock } from './escape';
import type { ProcessReport, Report, ReportVerdict } from './report';
import {
  VERDICT_LABEL,
  decidedByText,
  measuredHeap,
  metricTable,
  processTitle,
  projectionText,
  resampleEvenly,
  sampleTable,
  settingsTable,
  summarySentence,
  type ChartPoint,
  type TextTable,
} from './view';
import { findingLocation, findingRate, topFindings } from './view-findings';
import { fidelityTables } from './view-traffic';

/** Parts of the Markdown report, in the order they are written. */
export type MarkdownSection =
  'headline' | 'metrics' | 'chart' | 'findings' | 'fidelity' | 'failure' | 'warnings' | 'settings';

/** Every section: the full report. */
export const ALL_MARKDOWN_SECTIONS: readonly MarkdownSection[] = [
  'headline',
  'failure',
  'metrics',
  'chart',
  'findings',
  'fidelity',
  'warnings',
  'settings',
];

/** The sections of a GitHub job summary or pull-request comment. */
export const SUMMARY_MARKDOWN_SECTIONS: readonly MarkdownSection[] = [
  'headline',
  'failure',
  'metrics',
  'chart',
  'findings',
  'fidelity',
  'warnings',
];

/** Rendering options. */
export interface MarkdownOptions {
  /** Sections to write (default: all). */
  sections?: readonly MarkdownSection[];
  /** Findings to list at most (default 5). */
  maxFindings?: number;
  /** Points of the Mermaid chart at most (default 40; samples are resampled evenly). */
  chartPoints?: number;
  /** Level of the top heading, 1–4 (default 2, as a job summary or comment wants). */
  headingLevel?: number;
  /** A line under the headline pointing at the full report (e.g. the HTML artifact); plain text. */
  reportLink?: { text: string; url?: string };
}

const ICON: Readonly<Record<ReportVerdict, string>> = {
  leak: '❌',
  pass: '✅',
  inconclusive: '⚠️',
  error: '🛑',
};

/**
 * Renders the report as GitHub-flavoured Markdown. Everything that came from traffic, logs or the
 * target is escaped (table cells cannot be split by `|`, HTML is shown as text).
 *
 * @param report - the report
 * @param options - sections and limits
 * @returns the Markdown text, ending with a newline
 */
export function renderMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const sections = new Set(options.sections ?? ALL_MARKDOWN_SECTIONS);
  const level = Math.min(4, Math.max(1, Math.round(options.headingLevel ?? 2)));
  const h = (depth: number, text: string): string => `${'#'.repeat(Math.min(6, level + depth))} ${text}`;
  const blocks: string[] = [];
  const many = report.processes.length > 1;

  if (sections.has('headline')) {
    blocks.push(h(0, `${ICON[report.verdict]} leakcheck: ${VERDICT_LABEL[report.verdict]}`));
    blocks.push(escapeMarkdown(summarySentence(report)));
    const t = report.traffic;
    blocks.push(
      `Target: ${escapeMarkdown(report.target.command)} · ${formatNumber(t.completed)} responses in ` +
        `${formatNumber(t.seconds, 1)} s · leakcheck ${escapeMarkdown(report.tool.version)}`,
    );
    if (options.reportLink) {
      const text = escapeMarkdown(options.reportLink.text);
      blocks.push(options.reportLink.url ? `[${text}](${linkTarget(options.reportLink.url)})` : text);
    }
  }

  if (sections.has('failure') && report.failure) {
    blocks.push(h(1, 'Run ended early'));
    blocks.push(escapeMarkdown(report.failure.message));
    if (report.failure.logTail.length > 0) {
      blocks.push(
        `<details><summary>Last lines of the target's output</summary>\n\n${markdownCodeBlock(report.failure.logTail.slice(-30))}\n\n</details>`,
      );
    }
  }

  if (sections.has('metrics')) {
    for (const p of report.processes) {
      blocks.push(h(1, many ? escapeMarkdown(capitalise(processTitle(p))) : 'Growth per request'));
      if (p.metrics.length > 0) blocks.push(markdownTable(metricTable(p)));
      else blocks.push('No samples were taken in the measured window.');
      const decided = decidedByText(p);
      if (many && decided) blocks.push(escapeMarkdown(decided));
      const projection = projectionText(p);
      if (projection) blocks.push(projection);
    }
  }

  if (sections.has('chart')) {
    for (const p of report.processes) {
      const chart = mermaidHeapChart(p, options.chartPoints ?? 40);
      if (!chart) continue;
      blocks.push(h(1, `Heap after GC over requests served${many ? ` (process ${p.pid})` : ''}`));
      blocks.push(chart);
      blocks.push(collapsedTable(`Samples as a table (${p.series.length})`, sampleTable(p)));
    }
  }

  if (sections.has('findings')) {
    const findings = topFindings(report, options.maxFindings ?? 5);
    if (findings.length > 0) {
      blocks.push(h(1, 'Top findings'));
      blocks.push(
        findings
          .map((f, i) => {
            const where = findingLocation(f);
            const rate = findingRate(f);
            const head = [escapeMarkdown(f.title), rate ? `**${escapeMarkdown(rate)}**` : null]
              .filter((s) => s !== null)
              .join(' — ');
            const lines = [`${i + 1}. ${head}`];
            if (where) lines.push(`   at ${escapeMarkdown(where)}`);
            if (typeof f.retainerPath === 'string')
              lines.push(`   kept alive by ${escapeMarkdown(f.retainerPath)}`);
            return lines.join('<br>\n');
          })
          .join('\n'),
      );
    }
  }

  if (sections.has('fidelity')) {
    blocks.push(h(1, 'Traffic'));
    for (const table of fidelityTables(report)) {
      if (table.title !== 'Endpoint mix') blocks.push(`**${escapeMarkdown(table.title)}**`);
      if (table.note) blocks.push(escapeMarkdown(table.note));
      if (table.rows.length > 0) blocks.push(markdownTable(table));
    }
  }

  if (sections.has('warnings') && report.warnings.length > 0) {
    blocks.push(h(1, 'Warnings'));
    blocks.push(report.warnings.map((w) => `- ${escapeMarkdown(w)}`).join('\n'));
  }

  if (sections.has('settings')) {
    blocks.push(collapsedTable('Run settings', settingsTable(report)));
  }
  return blocks.join('\n\n') + '\n';
}

/**
 * The job-summary / pull-request-comment subset of {@link renderMarkdown}: headline, metrics,
 * chart, findings, traffic and warnings, without the run settings.
 *
 * @param report - the report
 * @param options - as for renderMarkdown (its `sections` is ignored)
 * @returns the Markdown text
 */
export function renderMarkdownSummary(
  report: Report,
  options: Omit<MarkdownOptions, 'sections'> = {},
): string {
  return renderMarkdown(report, { ...options, sections: SUMMARY_MARKDOWN_SECTIONS });
}

/**
 * A GFM table; every cell escaped.
 *
 * @param table - headings and rows of plain text
 * @returns the table's lines joined
 */
export function markdownTable(table: TextTable): string {
  const row = (cells: readonly string[]): string => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [row(table.headers), `|${table.headers.map(() => ' --- |').join('')}`, ...table.rows.map(row)].join(
    '\n',
  );
}

/**
 * A {@link markdownTable} folded under a `<details>` summary (runs, steps, samples, settings).
 *
 * @param summary - the summary line (plain text, escaped here)
 * @param table - headings and rows of plain text
 * @returns the details block
 */
export function collapsedTable(summary: string, table: TextTable): string {
  return `<details><summary>${escapeMarkdown(summary)}</summary>\n\n${markdownTable(table)}\n\n</details>`;
}

/**
 * A Mermaid `xychart-beta` of the measured window's heap after GC over requests served, with the
 * fitted (Theil-Sen) line as a second line. Null when fewer than two measured samples exist.
 *
 * @param p - one analysed process
 * @param maxPoints - points per line at most
 * @returns the fenced mermaid block, or null
 */
export function mermaidHeapChart(p: ProcessReport, maxPoints: number): string | null {
  const measured = measuredHeap(p);
  if (measured.length < 2) return null;
  const points = resampleEvenly(measured, Math.max(2, Math.min(maxPoints, measured.length)));
  const first = points[0] as ChartPoint;
  const last = points.at(-1) as ChartPoint;
  if (last.x <= first.x) return null;
  const heap = p.metrics.find((m) => m.metric === 'heapUsed');
  const fit = heap?.theilSen.estimable
    ? points.map((pt) => heap.theilSen.intercept + heap.theilSen.slope * pt.x)
    : [];
  const all = [...points.map((pt) => pt.y), ...fit];
  const max = Math.max(...all.map(Math.abs));
  const [div, unit] = max >= 1e9 ? [1e9, 'GB'] : max >= 1e6 ? [1e6, 'MB'] : [1e3, 'KB'];
  const num = (v: number): string => String(Math.round((v / div) * 1000) / 1000);
  const lo = Math.min(...all) / div;
  const hi = Math.max(...all) / div;
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "Heap after GC (${fit.length > 0 ? 'samples and fitted line' : 'samples'})"`,
    `  x-axis "requests served" ${Math.round(first.x)} --> ${Math.round(last.x)}`,
    `  y-axis "heap (${unit})" ${num(Math.max(0, lo - pad) * div)} --> ${num((hi + pad) * div)}`,
    `  line [${points.map((pt) => num(pt.y)).join(', ')}]`,
  ];
  if (fit.length > 0) lines.push(`  line [${fit.map(num).join(', ')}]`);
  lines.push('```');
  return lines.join('\n');
}

/** A URL safe inside Markdown's (...) link syntax: spaces, parentheses and the like percent-encoded. */
function linkTarget(url: string): string {
  return encodeURI(url).replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
