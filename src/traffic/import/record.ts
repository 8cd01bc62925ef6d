/**
 * What every log parser produces: one request as the log recorded it (secrets still in it; the
 * importer replaces them before anything is kept), or the reason the line was skipped.
 */

/** One request read from a log. */
export interface LogRecord {
  method: string;
  /** Origin-form request target: path and optional query. */
  target: string;
  status?: number;
  /** Epoch milliseconds. */
  time?: number;
  client?: string;
  remoteUser?: string;
  userAgent?: string;
  /** Request headers, lower-case names (HAR and JSON logs). */
  headers?: Array<[string, string]>;
  body?: { text: string; contentType?: string };
}

/** Why a line or entry was skipped; the reason is a fixed phrase, so skips can be counted by reason. */
export interface Skip {
  skip: string;
  /** HAR only: the entry was for another origin (counted separately, by origin). */
  origin?: string;
}

/** A parser's answer for one line or entry. */
export type ParseResult = LogRecord | Skip;

/** Parses one log line. */
export type LineParser = (line: string) => ParseResult;

/** Methods the load generator can send (autocannon refuses the others). */
export const REPLAYABLE_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

/** True when `r` is a skip. */
export function isSkip(r: ParseResult): r is Skip {
  return (r as Skip).skip !== undefined;
}

/**
 * The origin-form target of a request: an absolute URL (ALB, HAR, proxies) loses its scheme and
 * host. Returns null when the target is neither a path nor an http(s) URL.
 */
export function originForm(target: string): string | null {
  if (target.startsWith('/')) return target;
  const m = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
  if (!m) return null;
  const rest = m[1] as string;
  if (rest === '') return '/';
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** Parses a request line (`GET /path HTTP/1.1`). Targets with stray spaces are kept, spaces encoded. */
export function parseRequestLine(line: string): { method: string; target: string } | Skip {
  if (line === '' || line === '-') return { skip: 'no request line recorded' };
  const first = line.indexOf(' ');
  if (first <= 0) return { skip: 'request line is not an HTTP request' };
  const method = line.slice(0, first);
  if (!/^[A-Z]+$/.test(method)) return { skip: 'request line is not an HTTP request' };
  let rest = line.slice(first + 1);
  const last = rest.lastIndexOf(' ');
  if (last >= 0 && /^HTTP\/\d/.test(rest.slice(last + 1))) rest = rest.slice(0, last);
  if (rest === '') return { skip: 'request line has no target' };
  return { method, target: rest };
}

const HEX = '0123456789ABCDEF';

/**
 * A target safe to put on the wire and in a report: control characters, spaces, quotes and
 * non-ASCII are percent-encoded (as UTF-8); `#` fragments are dropped (never sent by clients).
 */
export function normalizeTarget(target: string): string {
  let t = target;
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(0, hash);
  // Fast path: the common target has nothing to encode.
  if (/^[\x21-\x7e]*$/.test(t) && !/["<>\\^`{|}]/.test(t)) return t;
  let out = '';
  for (const ch of t) {
    const c = ch.codePointAt(0) as number;
    if (c > 0x20 && c < 0x7f && !'"<>\\^`{|}'.includes(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Header value safe to send: no CR, LF or other control characters (no header injection). */
export function cleanHeaderValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x08\x0a-\x1f\x7f]/g;
  return control.test(value) ? value.replace(control, '') : value;
}
