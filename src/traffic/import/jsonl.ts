/**
 * JSON-lines logs: one JSON object per line, with a field mapping saying where the method, URL,
 * status, time, client, user, headers and body are (dotted paths such as `req.method`). A preset
 * covers pino-http; without a mapping, common field names are tried.
 */
import type { LineParser, LogRecord, ParseResult } from './record';
import { LeakcheckError } from '../../errors';

/** Where each field of a request lives in a JSON log record (dotted paths). */
export interface FieldMapping {
  method?: string;
  url?: string;
  status?: string;
  time?: string;
  client?: string;
  user?: string;
  userAgent?: string;
  headers?: string;
  body?: string;
}

const FIELDS = ['method', 'url', 'status', 'time', 'client', 'user', 'userAgent', 'headers', 'body'] as const;

/** pino-http's `request completed` lines (req/res serialisers, epoch-millisecond time). */
export const PINO_HTTP_FIELDS: FieldMapping = {
  method: 'req.method',
  url: 'req.url',
  status: 'res.statusCode',
  time: 'time',
  client: 'req.remoteAddress',
  headers: 'req.headers',
  body: 'req.body',
};

/** Names tried when no mapping is given, in order. */
const CANDIDATES: Record<keyof FieldMapping, string[]> = {
  method: [
    'method',
    'req.method',
    'request.method',
    'http.method',
    'http.request.method',
    'httpRequest.requestMethod',
  ],
  url: [
    'url',
    'req.url',
    'req.originalUrl',
    'request.url',
    'request.uri',
    'uri',
    'path',
    'http.url',
    'http.target',
    'url.original',
    'httpRequest.requestUrl',
  ],
  status: [
    'status',
    'statusCode',
    'status_code',
    'res.statusCode',
    'response.status',
    'response.statusCode',
    'http.status_code',
    'http.response.status_code',
    'httpRequest.status',
  ],
  time: ['time', 'timestamp', '@timestamp', 'ts', 'date', 'datetime'],
  client: [
    'ip',
    'client_ip',
    'remote_addr',
    'remoteAddress',
    'req.remoteAddress',
    'req.ip',
    'client.ip',
    'httpRequest.remoteIp',
  ],
  user: ['user', 'userId', 'user_id', 'req.user', 'user.id'],
  userAgent: ['userAgent', 'user_agent', 'http.user_agent', 'user_agent.original', 'httpRequest.userAgent'],
  headers: ['headers', 'req.headers', 'request.headers', 'http.request.headers'],
  body: ['body', 'req.body', 'request.body'],
};

/** A --fields value that cannot be used. */
export class FieldMappingError extends LeakcheckError {}

/** Parses `method=req.method,url=req.url,...`; names the field it does not know. */
export function parseFieldMapping(spec: string): FieldMapping {
  const out: FieldMapping = {};
  for (const part of spec.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim();
    const path = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (!(FIELDS as readonly string[]).includes(key))
      throw new FieldMappingError(`--fields: unknown field "${key}" (expected ${FIELDS.join(', ')})`);
    if (!path) throw new FieldMappingError(`--fields: ${key}: expected ${key}=<dotted.path>`);
    out[key as keyof FieldMapping] = path;
  }
  if (!out.url && !out.method && Object.keys(out).length === 0)
    throw new FieldMappingError('--fields: expected at least one field=path pair, e.g. url=req.url');
  return out;
}

function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function pick(obj: unknown, mapped: string | undefined, field: keyof FieldMapping): unknown {
  if (mapped) return get(obj, mapped);
  for (const c of CANDIDATES[field]) {
    const v = get(obj, c);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

/** Epoch milliseconds from a number (seconds or milliseconds) or a date string. */
export function parseJsonTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return parseJsonTime(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** A parser for JSON lines with `mapping` (or the common names when undefined). */
export function jsonLineParser(mapping: FieldMapping = {}, preset?: string): LineParser {
  const expected = preset
    ? `${preset} request lines (${mapping.method} and ${mapping.url})`
    : `a method and a URL field (${mapping.method ?? 'method'}, ${mapping.url ?? 'url'}; map them with --fields)`;
  return (line: string): ParseResult => {
    const t = line.trimStart();
    if (t[0] !== '{') return { skip: 'not a JSON object' };
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      return { skip: 'not valid JSON' };
    }
    const method = pick(obj, mapping.method, 'method');
    const url = pick(obj, mapping.url, 'url');
    if (typeof method !== 'string' || typeof url !== 'string' || !method || !url)
      return { skip: `not a request record (expected ${expected})` };
    const record: LogRecord = { method: method.toUpperCase(), target: url };
    const status = Number(pick(obj, mapping.status, 'status'));
    if (Number.isInteger(status) && status >= 100 && status < 600) record.status = status;
    const time = parseJsonTime(pick(obj, mapping.time, 'time'));
    if (time !== undefined) record.time = time;
    const client = pick(obj, mapping.client, 'client');
    if (typeof client === 'string' && client) record.client = client;
    const user = pick(obj, mapping.user, 'user');
    if ((typeof user === 'string' && user) || typeof user === 'number') record.remoteUser = String(user);
    const headers = pick(obj, mapping.headers, 'headers');
    if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
      const list: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(headers)) {
        if (typeof v === 'string') list.push([k.toLowerCase(), v]);
        else if (typeof v === 'number') list.push([k.toLowerCase(), String(v)]);
        else if (Array.isArray(v))
          list.push([k.toLowerCase(), v.map(String).join(k.toLowerCase() === 'cookie' ? '; ' : ', ')]);
      }
      if (list.length > 0) record.headers = list;
    }
    const ua = pick(obj, mapping.userAgent, 'userAgent');
    if (typeof ua === 'string' && ua) record.userAgent = ua;
    const body = pick(obj, mapping.body, 'body');
    if (typeof body === 'string' && body) record.body = { text: body };
    else if (body && typeof body === 'object') {
      const text = JSON.stringify(body);
      // pino's serialisers log an empty object for requests without a body.
      if (text !== '{}') record.body = { text, contentType: 'application/json' };
    }
    return record;
  };
}
