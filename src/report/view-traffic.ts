/**
 * What the reports say about the traffic that was sent: the endpoint mix and, for a replayed log,
 * how closely the replay followed it. Plain text, escaped by each renderer (see ./view.ts).
 */
import { formatNumber } from '../analysis/format';
import { isRecord, looseTables } from './loose';
import type { Report } from './report';
import type { TitledTable } from './view';

function percent(share: number): string {
  return `${formatNumber(share * 100, 1)}%`;
}

function statusText(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '–' : entries.map(([code, n]) => `${code}: ${formatNumber(n)}`).join(', ');
}

/**
 * The traffic in one line: "10,000 responses in 20 s (500/s), 0% errors, 0 connection errors,
 * 0 timeouts". The terminal's traffic line and the note under the endpoint mix.
 *
 * @param report - the report
 * @returns the text
 */
export function trafficNote(report: Report): string {
  const t = report.traffic;
  return (
    `${formatNumber(t.completed)} responses in ${formatNumber(t.seconds, 1)} s ` +
    `(${formatNumber(t.requestsPerSecond)}/s), ${percent(t.errorRate)} errors, ` +
    `${formatNumber(t.errors)} connection errors, ${formatNumber(t.timeouts)} timeouts`
  );
}

/**
 * The traffic fidelity tables: the endpoint mix that was intended against what was sent, then
 * {@link replayFidelityTables}.
 *
 * @param report - the report
 * @returns the tables, the endpoint mix first
 */
export function fidelityTables(report: Report): TitledTable[] {
  const endpointMix: TitledTable = {
    title: 'Endpoint mix',
    note: trafficNote(report),
    headers: ['endpoint', 'intended share', 'sent share', 'responses', 'statuses'],
    rows: report.traffic.endpoints.map((e) => [
      e.endpoint,
      percent(e.intendedShare),
      percent(e.share),
      formatNumber(e.count),
      statusText(e.statusCounts),
    ]),
  };
  return [endpointMix, ...replayFidelityTables(report)];
}

/**
 * The tables of the report's optional `fidelity` section (traffic replay: the log's mix against
 * what was sent), read by shape so a newer or older report.json still renders; none without one.
 *
 * @param report - the report
 * @returns the tables
 */
export function replayFidelityTables(report: Report): TitledTable[] {
  const fidelity: unknown = report.fidelity;
  if (!isRecord(fidelity)) return [];
  return replayTables(fidelity) ?? looseTables('Traffic fidelity', fidelity);
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
