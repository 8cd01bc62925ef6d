/**
 * nginx and Apache access logs. The combined and common formats are presets of the general case:
 * an nginx `log_format` string compiled into one anchored regular expression, with the variables
 * the model needs ($remote_addr, $remote_user, $time_local, $request, $status, $http_user_agent,
 * $http_x_forwarded_for, $http_<header>, $cookie_<name>, $request_body...) picked out by position.
 * Both escape styles are understood: nginx's `\x22` and Apache's `\"`.
 */
import { parseRequestLine, type LineParser, type LogRecord, type ParseResult } from './record';
import { LeakcheckError } from '../../errors';

/** `log_format combined` (nginx's default; also Apache's "combined"). */
export const COMBINED_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
/** Common Log Format (Apache `%h %l %u %t "%r" %>s %b`). */
export const COMMON_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent';

/** A log_format string that cannot be used; the message says why. */
export class LogFormatError extends LeakcheckError {}

interface Part {
  literal?: string;
  variable?: string;
}

/**
 * Accepts the bare format text, or a whole `log_format name [escape=...] '...' '...';` directive
 * copied from nginx.conf (its quoted pieces are joined).
 */
export function formatText(input: string): string {
  let s = input.trim();
  const directive = /^log_format\s+\S+\s+(?:escape=\S+\s+)?([\s\S]*?);?\s*$/.exec(s);
  if (directive) s = (directive[1] as string).trim();
  if (/^['"]/.test(s)) {
    const pieces = [...s.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '');
    if (pieces.length > 0) s = pieces.join('');
  }
  return s;
}

function tokenize(format: string): Part[] {
  const parts: Part[] = [];
  const re = /\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)/g;
  let last = 0;
  for (const m of format.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ literal: format.slice(last, at) });
    parts.push({ variable: (m[1] ?? m[2] ?? '').toLowerCase() });
    last = at + m[0].length;
  }
  if (last < format.length) parts.push({ literal: format.slice(last) });
  return parts;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

// Variables with a known shape get a tighter pattern: a line in another format then fails early
// instead of matching by accident.
const SHAPES: Record<string, string> = {
  status: '(\\d{3}|-)',
  body_bytes_sent: '(\\d+|-)',
  bytes_sent: '(\\d+|-)',
  request_length: '(\\d+|-)',
  request_time: '([\\d.]+|-)',
  msec: '([\\d.]+)',
};

/** Compiles a log_format. `trailing` lets lines carry extra fields after the format's last one. */
export function compileLogFormat(input: string, options: { trailing?: boolean } = {}): LineParser {
  const format = formatText(input);
  const parts = tokenize(format);
  const variables = parts.filter((p) => p.variable).map((p) => p.variable as string);
  if (variables.length === 0)
    throw new LogFormatError(
      `log format "${format}" has no $variables (expected e.g. '$remote_addr [$time_local] "$request" $status')`,
    );
  const hasRequest =
    variables.includes('request') ||
    (variables.includes('request_method') &&
      (variables.includes('request_uri') || variables.includes('uri')));
  if (!hasRequest)
    throw new LogFormatError(
      `log format "${format}" records no request: expected $request, or $request_method with $request_uri or $uri`,
    );
  let source = '^';
  parts.forEach((p, i) => {
    if (p.literal !== undefined) {
      // Runs of spaces in the format match runs of spaces in the line.
      source += escapeRe(p.literal).replace(/ +/g, ' +');
      return;
    }
    const name = p.variable as string;
    const prev = parts[i - 1]?.literal?.slice(-1);
    const next = parts[i + 1]?.literal?.[0];
    if (SHAPES[name]) source += SHAPES[name];
    // Quoted: runs of plain characters with escapes between them ("unrolled", no per-character
    // alternation: several times faster on long user agents).
    else if (prev === '"' && next === '"') source += '([^"\\\\]*(?:\\\\.[^"\\\\]*)*)';
    else if (next === undefined) source += i === parts.length - 1 ? '(\\S*)' : '(.*?)';
    else source += `([^${escapeRe(next)}]*)`;
  });
  source += options.trailing ? '(?:\\s.*)?$' : '\\s*$';
  const re = new RegExp(source);
  const index = (name: string): number => variables.indexOf(name) + 1;
  const at = {
    remoteAddr: index('remote_addr'),
    realIp: index('http_x_real_ip'),
    forwardedFor: index('http_x_forwarded_for'),
    remoteUser: index('remote_user'),
    timeLocal: index('time_local'),
    timeIso: index('time_iso8601'),
    msec: index('msec'),
    request: index('request'),
    method: index('request_method'),
    requestUri: index('request_uri'),
    uri: index('uri'),
    args: Math.max(index('args'), index('query_string')),
    status: index('status'),
    userAgent: index('http_user_agent'),
    body: index('request_body'),
  };
  const headerVars: Array<[string, number]> = [];
  const cookieVars: Array<[string, number]> = [];
  variables.forEach((v, i) => {
    if (
      v.startsWith('http_') &&
      !['http_user_agent', 'http_x_forwarded_for', 'http_referer', 'http_host'].includes(v)
    )
      headerVars.push([v.slice(5).replace(/_/g, '-'), i + 1]);
    else if (v.startsWith('cookie_')) cookieVars.push([v.slice(7), i + 1]);
  });
  const time = timeParser();

  return (line: string): ParseResult => {
    const m = re.exec(line);
    if (!m) return { skip: 'does not match the log format' };
    const field = (i: number): string | undefined => {
      if (i === 0) return undefined;
      const v = m[i];
      return v === undefined || v === '-' || v === '' ? undefined : v;
    };
    let method: string;
    let target: string;
    const request = field(at.request);
    if (at.request) {
      const r = parseRequestLine(request === undefined ? '' : unescapeTarget(request));
      if ('skip' in r) return r;
      method = r.method;
      target = r.target;
    } else {
      const meth = field(at.method);
      const uri = field(at.requestUri) ?? field(at.uri);
      if (!meth || !uri) return { skip: 'no request line recorded' };
      method = meth;
      target = unescapeTarget(uri);
      const args = at.requestUri ? undefined : field(at.args);
      if (args) target += `?${unescapeTarget(args)}`;
    }
    const record: LogRecord = { method, target };
    const status = field(at.status);
    if (status) record.status = Number(status);
    const t = time(field(at.timeLocal), field(at.timeIso), field(at.msec));
    if (t !== undefined) record.time = t;
    const xff = field(at.forwardedFor) ?? field(at.realIp);
    const client = xff ? (xff.split(',')[0] as string).trim() : field(at.remoteAddr);
    if (client) record.client = client;
    const user = field(at.remoteUser);
    if (user) record.remoteUser = unescapeText(user);
    const ua = field(at.userAgent);
    if (ua) record.userAgent = unescapeText(ua);
    if (headerVars.length > 0 || cookieVars.length > 0) {
      const headers: Array<[string, string]> = [];
      for (const [name, i] of headerVars) {
        const v = field(i);
        if (v) headers.push([name, unescapeText(v)]);
      }
      const cookies = cookieVars.flatMap(([name, i]) => {
        const v = field(i);
        return v ? [`${name}=${unescapeText(v)}`] : [];
      });
      if (cookies.length > 0 && !headers.some(([n]) => n === 'cookie'))
        headers.push(['cookie', cookies.join('; ')]);
      if (headers.length > 0) record.headers = headers;
    }
    const body = field(at.body);
    if (body) record.body = { text: unescapeText(body) };
    return record;
  };
}

/** Parses `[10/Oct/2000:13:55:36 -0700]`-style times; remembers the last second (logs repeat it). */
function timeParser(): (local?: string, iso?: string, msec?: string) => number | undefined {
  let lastText = '';
  let lastValue: number | undefined;
  return (local, iso, msec) => {
    if (msec) return Math.round(Number(msec) * 1000);
    if (iso) {
      const t = Date.parse(iso);
      return Number.isNaN(t) ? undefined : t;
    }
    if (!local) return undefined;
    if (local === lastText) return lastValue;
    lastText = local;
    lastValue = parseClfTime(local);
    return lastValue;
  };
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

/** `10/Oct/2000:13:55:36 -0700` → epoch milliseconds, or undefined. */
export function parseClfTime(s: string): number | undefined {
  const m =
    /^(\d{1,2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:\s*([+-])(\d{2}):?(\d{2}))?$/.exec(
      s,
    );
  if (!m) return undefined;
  const month = MONTHS[m[2] as string];
  if (month === undefined) return undefined;
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const offset = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000 : 0;
  return utc - offset;
}

/** Unescapes a logged text field: `\xHH` bytes (nginx) decoded as UTF-8, `\"` and `\\` (Apache). */
export function unescapeText(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 && i + 1 < s.length) {
      const n = s[i + 1] as string;
      if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
        bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
        i += 3;
        continue;
      }
      const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92 };
      if (simple[n] !== undefined) {
        bytes.push(simple[n] as number);
        i++;
        continue;
      }
    }
    if (c < 128) bytes.push(c);
    else for (const b of Buffer.from(s[i] as string, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Unescapes a logged request target: `\xHH` bytes become `%HH` (they are URL bytes), `\"` a quote. */
export function unescapeTarget(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\x([0-9a-fA-F]{2})|\\(["\\])/g, (_m, hex: string | undefined, ch: string | undefined) =>
    hex ? `%${hex.toUpperCase()}` : (ch as string),
  );
}
