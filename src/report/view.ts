/**
 * What the terminal, Markdown, HTML, JUnit and SARIF reports show, derived once from a Report so
 * every format says the same thing; a renderer only chooses which parts to show and how to lay
 * them out. Values are plain (unescaped) text: each renderer escapes for its own format when it
 * writes them. The findings are in ./view-findings.ts, the traffic in ./view-traffic.ts.
 */
import { REQUESTS, axisNamed, type MetricAnalysis, type MetricName } from '../analysis';
import {
  formatAmount,
  formatBytes,
  formatDuration,
  formatNumber,
  rateLine,
  rateWithIntervalParts,
  type RateParts,
} from '../analysis/format';
import { valueText } from './loose';
import type { ProcessReport, Report, ReportVerdict } from './report';

/** A table of plain text cells, escaped by whichever renderer writes it. */
export interface TextTable {
  /** Column headings. */
  headers: string[];
  /** Rows, each as long as `headers`. */
  rows: string[][];
}

/** A titled table; the traffic fidelity section is a list of these. */
export interface TitledTable extends TextTable {
  /** Heading of the table. */
  title: string;
  /** A line of explanation under the heading, when there is one. */
  note?: string;
}

/** Words for each verdict, upper case as the terminal prints them. */
export const VERDICT_LABEL: Readonly<Record<ReportVerdict, string>> = {
  leak: 'LEAK',
  pass: 'PASS',
  inconclusive: 'INCONCLUSIVE',
  error: 'ERROR',
};

/**
 * The report's one-line summary without its "LEAK: " style prefix (renderers show the verdict
 * themselves).
 *
 * @param report - the report
 * @returns the summary sentence
 */
export function summarySentence(report: Report): string {
  return report.summary.replace(/^[A-Z]+: /, '');
}

/**
 * The rate per unit of the metric's axis with its interval, both from the same fit (Theil-Sen, or
 * the deciding look of a sequential verdict), e.g. "312.9 B/request (95% CI 312.6–313.3)".
 *
 * @param m - one metric's analysis
 * @returns the text
 */
export function rateText(m: MetricAnalysis): string {
  return rateLine(rateParts(m));
}

/**
 * What a metric's rate is per, in the words of its axis: "per request", "per call", "per hour".
 *
 * @param m - one metric's analysis (requests when absent)
 * @returns the words
 */
export function perUnitLabel(m: MetricAnalysis | undefined): string {
  return `per ${axisNamed(m?.axis).unit}`;
}

/**
 * Fitted growth over the measured window with its sign, e.g. "+4.1 MB".
 *
 * @param m - one metric's analysis
 * @returns the text
 */
export function growthText(m: MetricAnalysis): string {
  return (m.growth >= 0 ? '+' : '') + formatAmount(m.growth, m.unit);
}

/**
 * A metric's verdict as a cell: the verdict for gating metrics, "info" for the others.
 *
 * @param m - one metric's analysis
 * @returns "LEAK", "PASS", "INCONCLUSIVE" or "info"
 */
export function metricVerdictText(m: MetricAnalysis): string {
  return m.gating ? VERDICT_LABEL[m.verdict] : 'info';
}

/** How a rate cell is written: in full, or compact for a fixed-width terminal column. */
export type RateStyle = 'full' | 'compact';

/**
 * The per-metric table of one process: rate with interval, growth, samples, R², verdict, rule.
 * Row i is `p.metrics[i]`. A full rate reads "312.9 B/request (95% CI 312.6–313.3)"; a compact one
 * "312.9 B/request [312.6–313.3]" with the confidence level in the heading.
 *
 * @param p - one analysed process
 * @param style - how the rate is written (default full)
 * @returns the table
 */
export function metricTable(p: ProcessReport, style: RateStyle = 'full'): TextTable {
  const first = p.metrics[0];
  const rateHeading =
    style === 'compact' ? `rate (${rateParts(first).confidence} CI)` : `${perUnitLabel(first)} (interval)`;
  return {
    headers: ['metric', rateHeading, 'growth', 'samples', 'R²', 'verdict', 'rule'],
    rows: p.metrics.map((m) => {
      const r = rateParts(m);
      return [
        m.metric,
        style === 'compact' ? `${r.estimate}${r.per} [${r.interval}]` : rateText(m),
        growthText(m),
        String(m.samples),
        m.ols.estimable ? m.ols.rSquared.toFixed(2) : '–',
        metricVerdictText(m),
        m.rule,
      ];
    }),
  };
}

/** The parts of {@link rateText}; a process without metrics gets the default confidence's words. */
function rateParts(m: MetricAnalysis | undefined): RateParts {
  if (!m) return rateWithIntervalParts({ estimate: 0, low: 0, high: 0, confidence: 0.95 }, 'bytes', REQUESTS);
  return rateWithIntervalParts({ estimate: m.perUnit, ...m.perUnitInterval }, m.unit, axisNamed(m.axis));
}

/**
 * Which metric and rule decided a process's verdict, with the rule's reason, or null.
 *
 * @param p - one analysed process
 * @returns "Decided by heapUsed (linear-growth): heap grew …", or null
 */
export function decidedByText(p: ProcessReport): string | null {
  const d = p.decidedBy;
  return d ? `Decided by ${d.metric} (${d.rule}): ${d.reason}` : null;
}

/**
 * A heading for a process: "process 1234 (62% of requests): LEAK".
 *
 * @param p - one analysed process
 * @returns the text
 */
export function processTitle(p: ProcessReport): string {
  return `process ${p.pid} (${formatNumber(p.share * 100)}% of requests): ${VERDICT_LABEL[p.verdict]}`;
}

/**
 * The time-to-heap-limit projection in words, or null when there is none. A projection from a
 * slope the analysis called noise would only alarm, so a heap that passed shows none (in every
 * format).
 *
 * @param p - one analysed process
 * @returns the sentence, or null
 */
export function projectionText(p: ProcessReport): string | null {
  const pr = p.projection;
  if (!pr || pr.secondsToLimit === null) return null;
  if (p.metrics.find((m) => m.metric === 'heapUsed')?.verdict === 'pass') return null;
  return (
    `At ${formatNumber(pr.requestsPerSecond)} requests/s the heap reaches its ` +
    `${formatBytes(pr.heapLimit)} limit in about ${formatDuration(pr.secondsToLimit)}.`
  );
}

/** One sample of a process as the report keeps it. */
export type SeriesEntry = ProcessReport['series'][number];

/**
 * A metric's value in one kept sample, or null when the report does not carry it (older reports
 * kept heap, external and handles only; fds is null where /proc is unavailable).
 *
 * @param entry - one sample
 * @param metric - metric name
 * @returns the value, or null
 */
export function seriesValue(entry: SeriesEntry, metric: MetricName): number | null {
  const v = entry[metric];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * The heap after GC of the measured window's samples, x = requests served, in sample order: what
 * the heap charts draw.
 *
 * @param p - one analysed process
 * @returns the points
 */
export function measuredHeap(p: ProcessReport): ChartPoint[] {
  return p.series.filter((s) => s.phase === 'measure').map((s) => ({ x: s.requests, y: s.heapUsed }));
}

/**
 * The sample table (every phase) of one process: requests served, heap, external, handles, phase.
 *
 * @param p - one analysed process
 * @returns the table
 */
export function sampleTable(p: ProcessReport): TextTable {
  return {
    headers: ['requests served', 'heap after GC', 'external', 'handles', 'phase'],
    rows: p.series.map((s) => [
      formatNumber(s.requests),
      formatBytes(s.heapUsed),
      formatBytes(s.external),
      formatNumber(s.handles),
      s.phase,
    ]),
  };
}

/**
 * The run settings as key/value rows: target, tool, timings, then every setting (objects as
 * compact JSON).
 *
 * @param report - the report
 * @returns the table
 */
export function settingsTable(report: Report): TextTable {
  const rows: string[][] = [
    ['command', report.target.command],
    ['working directory', report.target.cwd],
  ];
  if (report.target.url) rows.push(['url', report.target.url]);
  if (report.target.node) rows.push(['node', report.target.node]);
  rows.push(['leakcheck', report.tool.version], ['created', report.createdAt], ['status', report.status]);
  rows.push(['total time', formatDuration(report.timings.totalMs / 1000)]);
  for (const [key, value] of Object.entries(report.settings)) {
    if (value === undefined) continue;
    rows.push([key, valueText(value)]);
  }
  return { headers: ['setting', 'value'], rows };
}

/** Points of a line chart, x = requests served. */
export interface ChartPoint {
  /** Requests served. */
  x: number;
  /** Value. */
  y: number;
}

/**
 * `count` evenly spaced points (by requests served) linearly interpolated from the samples, so a
 * chart that spaces its points evenly is still true to the x axis.
 *
 * @param points - samples in any order
 * @param count - points wanted (≥ 2)
 * @returns the resampled points, or the sorted samples when there are fewer than two distinct x
 */
export function resampleEvenly(points: readonly ChartPoint[], count: number): ChartPoint[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const first = sorted[0];
  const last = sorted.at(-1);
  if (!first || !last || last.x <= first.x || count < 2) return sorted;
  const out: ChartPoint[] = [];
  let j = 0;
  for (let i = 0; i < count; i++) {
    const x = first.x + ((last.x - first.x) * i) / (count - 1);
    while (j < sorted.length - 2 && (sorted[j + 1] as ChartPoint).x < x) j++;
    const a = sorted[j] as ChartPoint;
    const b = sorted[j + 1] as ChartPoint;
    const y = b.x > a.x ? a.y + ((b.y - a.y) * (x - a.x)) / (b.x - a.x) : b.y;
    out.push({ x, y });
  }
  return out;
}
