/**
 * What the Markdown, HTML, JUnit and SARIF reports show, derived once from a Report so every
 * format says the same thing. Values are plain (unescaped) text: each renderer escapes for its own
 * format when it writes them.
 */
import { axisNamed, type MetricAnalysis, type MetricName } from '../analysis';
import {
  formatAmount,
  formatBytes,
  formatDuration,
  formatNumber,
  formatRateWithInterval,
  formatSignificant,
} from '../analysis/format';
import type { Finding, ProcessReport, Report, ReportVerdict } from './report';

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
 * The rate per unit of the metric's axis with its interval, e.g. "312.9 B/request (95% CI 312.6–313.3)".
 *
 * @param m - one metric's analysis
 * @returns the text
 */
export function rateText(m: MetricAnalysis): string {
  return formatRateWithInterval(
    m.perUnit,
    m.theilSen.low,
    m.theilSen.high,
    m.unit,
    m.theilSen.confidence,
    axisNamed(m.axis),
  );
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

/**
 * The per-metric table of one process: rate with interval, growth, samples, R², verdict, rule.
 *
 * @param p - one analysed process
 * @returns the table
 */
export function metricTable(p: ProcessReport): TextTable {
  return {
    headers: ['metric', 'per request (interval)', 'growth', 'samples', 'R²', 'verdict', 'rule'],
    rows: p.metrics.map((m) => [
      m.metric,
      rateText(m),
      growthText(m),
      String(m.samples),
      m.ols.estimable ? m.ols.rSquared.toFixed(2) : '–',
      metricVerdictText(m),
      m.rule,
    ]),
  };
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
 * The findings worth showing first: those of the given processes (all when omitted), largest
 * growth per request first, at most `limit`.
 *
 * @param report - the report
 * @param limit - how many to return
 * @returns the findings, best first
 */
export function topFindings(report: Report, limit: number): Finding[] {
  const findings = Array.isArray(report.findings) ? report.findings.filter(isFinding) : [];
  const weight = (f: Finding): number => f.bytesPerRequest ?? (f.countPerRequest ?? 0) * (f.sizeEach ?? 1);
  return [...findings].sort((a, b) => weight(b) - weight(a)).slice(0, limit);
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
  if (typeof f.file !== 'string' || f.file === '') return null;
  const pos =
    typeof f.line === 'number' ? `:${f.line}${typeof f.column === 'number' ? `:${f.column}` : ''}` : '';
  const fn = typeof f.function === 'string' && f.function !== '' ? ` (${f.function})` : '';
  return `${f.file}${pos}${fn}`;
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

function percent(share: number): string {
  return `${formatNumber(share * 100, 1)}%`;
}

function statusText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '–' : entries.map(([code, n]) => `${code}: ${formatNumber(n)}`).join(', ');
}

/**
 * The traffic fidelity tables: the endpoint mix that was intended against what was sent, and any
 * tables the report's optional `fidelity` section carries (traffic replay), read by shape so a
 * newer or older report.json still renders.
 *
 * @param report - the report
 * @returns the tables, the endpoint mix first
 */
export function fidelityTables(report: Report): TitledTable[] {
  const t = report.traffic;
  const tables: TitledTable[] = [
    {
      title: 'Endpoint mix',
      note:
        `${formatNumber(t.completed)} responses in ${formatNumber(t.seconds, 1)} s ` +
        `(${formatNumber(t.requestsPerSecond)}/s), ${percent(t.errorRate)} errors, ` +
        `${formatNumber(t.errors)} connection errors, ${formatNumber(t.timeouts)} timeouts`,
      headers: ['endpoint', 'intended share', 'sent share', 'responses', 'statuses'],
      rows: t.endpoints.map((e) => [
        e.endpoint,
        percent(e.intendedShare),
        percent(e.share),
        formatNumber(e.count),
        statusText(e.statusCounts),
      ]),
    },
  ];
  const fidelity: unknown = report.fidelity;
  if (isRecord(fidelity))
    tables.push(...(replayTables(fidelity) ?? looseTables('Traffic fidelity', fidelity)));
  return tables;
}

function shareMap(value: unknown): string {
  if (!isRecord(value)) return '–';
  const entries = Object.entries(value).filter((e): e is [string, number] => typeof e[1] === 'number');
  return entries.length === 0 ? '–' : entries.map(([k, v]) => `${k}: ${percent(v)}`).join(', ');
}

function num(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : '–';
}

/**
 * The log-replay fidelity section (src/traffic/fidelity.ts) as tables, or null when the value does
 * not have its shape (a report from another version), so the generic tables are used instead.
 */
function replayTables(f: Record<string, unknown>): TitledTable[] | null {
  const source = f.source;
  const endpoints = f.endpoints;
  if (!isRecord(source) || !Array.isArray(endpoints)) return null;
  const tables: TitledTable[] = [];
  const skipped =
    typeof source.skipped === 'number' && source.skipped > 0 ? `, ${num(source.skipped)} skipped` : '';
  const other =
    typeof source.otherOrigins === 'number' && source.otherOrigins > 0
      ? `, ${num(source.otherOrigins)} for other origins skipped`
      : '';
  tables.push({
    title: 'Replay fidelity',
    note:
      `Replayed ${String(source.file ?? 'a log')} (${String(source.format ?? '?')}, ${String(source.mode ?? '?')}): ` +
      `${num(source.requests)} requests in the log${skipped}${other}; ${num(f.sent)} sent, ${num(f.received)} responses` +
      (typeof f.maxShareDifference === 'number'
        ? `; largest endpoint share difference ${percent(f.maxShareDifference)}`
        : ''),
    headers: ['endpoint', 'log share', 'sent share', 'responses', 'log statuses', 'received statuses'],
    rows: endpoints
      .filter(isRecord)
      .map((e) => [
        String(e.endpoint ?? ''),
        typeof e.logShare === 'number' ? percent(e.logShare) : '–',
        typeof e.sentShare === 'number' ? percent(e.sentShare) : '–',
        num(e.received),
        shareMap(e.logStatus),
        shareMap(e.receivedStatus),
      ]),
  });
  const distinctRows: string[][] = [];
  for (const [key, label] of [
    ['distinctUrls', 'distinct URLs'],
    ['distinctIdentities', 'distinct identities'],
  ] as const) {
    const d = f[key];
    if (isRecord(d)) distinctRows.push([label, num(d.log), num(d.window), num(d.sent), num(d.sentWindow)]);
  }
  if (distinctRows.length > 0)
    tables.push({
      title: 'Replay fidelity: variety',
      headers: ['', 'log, per window', 'log window (requests)', 'sent, per window', 'sent window (requests)'],
      rows: distinctRows,
    });
  const mix = f.statusMix;
  if (isRecord(mix) && isRecord(mix.log) && isRecord(mix.received)) {
    const log = mix.log;
    const received = mix.received;
    const classes = [...new Set([...Object.keys(log), ...Object.keys(received)])].sort();
    tables.push({
      title: 'Replay fidelity: status classes',
      headers: ['status', 'log', 'received'],
      rows: classes.map((c) => [
        c,
        typeof log[c] === 'number' ? percent(log[c]) : '–',
        typeof received[c] === 'number' ? percent(received[c]) : '–',
      ]),
    });
  }
  return tables;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Tables from an object of unknown shape: its scalar fields as one key/value table, each array of
 * objects as a table of their scalar fields, nested objects recursively (bounded depth).
 */
function looseTables(title: string, value: Record<string, unknown>, depth = 0): TitledTable[] {
  const tables: TitledTable[] = [];
  const scalars: string[][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (isScalar(v)) scalars.push([key, scalarText(v)]);
    else if (Array.isArray(v) && v.every(isScalar)) scalars.push([key, v.map(scalarText).join(', ')]);
    else if (Array.isArray(v)) {
      const items = v.filter(isRecord);
      const columns = [...new Set(items.flatMap((i) => Object.keys(i).filter((k) => isScalar(i[k]))))];
      if (columns.length > 0)
        tables.push({
          title: `${title}: ${key}`,
          headers: columns,
          rows: items.map((i) => columns.map((c) => (isScalar(i[c]) ? scalarText(i[c]) : ''))),
        });
    } else if (isRecord(v) && depth < 2) tables.push(...looseTables(`${title}: ${key}`, v, depth + 1));
  }
  if (scalars.length > 0) tables.unshift({ title, headers: ['field', 'value'], rows: scalars });
  return tables;
}

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || ['string', 'number', 'boolean'].includes(typeof v);
}

function scalarText(v: string | number | boolean | null): string {
  if (typeof v === 'number') return Number.isInteger(v) ? formatNumber(v) : formatSignificant(v);
  return v === null ? '–' : String(v);
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

/** A setting's value in words: "seconds: 2, requests: –", nested objects in braces. */
function valueText(value: unknown, depth = 0): string {
  if (isScalar(value)) return scalarText(value);
  if (value === undefined) return '–';
  if (depth > 3) return JSON.stringify(value) ?? '';
  if (Array.isArray(value)) return value.map((v) => valueText(v, depth + 1)).join('; ');
  if (isRecord(value)) {
    const inner = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}: ${valueText(v, depth + 1)}`)
      .join(', ');
    return depth > 0 ? `{${inner}}` : inner;
  }
  return String(value);
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
