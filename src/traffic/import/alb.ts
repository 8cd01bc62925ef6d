/**
 * AWS Application Load Balancer access logs: space-separated fields, some quoted, one request per
 * line (`type time elb client:port target:port t1 t2 t3 elb_status target_status received sent
 * "request" "user_agent" ...`). Files are usually gzip-compressed; the reader unpacks them.
 */
import { parseRequestLine, type LineParser, type LogRecord, type ParseResult } from './record';

const TYPES = new Set(['http', 'https', 'h2', 'grpcs', 'ws', 'wss']);

/** Splits on single spaces, keeping "quoted fields" whole (quotes removed, `\"` unescaped). */
export function splitFields(line: string, max = 40): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length && out.length < max) {
    if (line[i] === ' ') {
      i++;
      continue;
    }
    if (line[i] === '"') {
      let j = i + 1;
      let value = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length) {
          value += line[j + 1];
          j += 2;
        } else value += line[j++];
      }
      out.push(value);
      i = j + 1;
    } else {
      const j = line.indexOf(' ', i);
      out.push(line.slice(i, j < 0 ? line.length : j));
      i = j < 0 ? line.length : j;
    }
  }
  return out;
}

/** The address of an `ip:port` field (IPv6 with or without brackets). */
export function addressOf(field: string): string | undefined {
  if (!field || field === '-') return undefined;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(field);
  if (bracket) return bracket[1];
  const colon = field.lastIndexOf(':');
  if (colon < 0) return field;
  // One colon: IPv4 with port. Several: IPv6, whose last group is the port when it is decimal.
  return field.indexOf(':') === colon || /:\d{1,5}$/.test(field) ? field.slice(0, colon) : field;
}

/** A parser for ALB access log lines. */
export function albParser(): LineParser {
  return (line: string): ParseResult => {
    const f = splitFields(line, 14);
    if (f.length < 14 || !TYPES.has(f[0] as string) || !/^\d{4}-\d\d-\d\dT/.test(f[1] as string))
      return { skip: 'does not match the ALB access log format' };
    const request = f[12] as string;
    if (request === '- - -' || request === '-') return { skip: 'no request line recorded' };
    const r = parseRequestLine(request);
    if ('skip' in r) return r;
    const record: LogRecord = { method: r.method, target: r.target };
    const time = Date.parse(f[1] as string);
    if (!Number.isNaN(time)) record.time = time;
    const client = addressOf(f[3] as string);
    if (client) record.client = client;
    const status = Number(f[8]);
    if (Number.isInteger(status) && status >= 100) record.status = status;
    const ua = f[13];
    if (ua && ua !== '-') record.userAgent = ua;
    return record;
  };
}
