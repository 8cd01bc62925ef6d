/**
 * The one redaction step. Everything a report, a stored file or a comment shows that came from the
 * service, a log, the traffic or the environment (log tails, warnings, command lines, findings,
 * failure messages, the target and install logs) goes through {@link redactText} before it is
 * written or posted: secrets are recognised by name and by shape (src/privacy/secrets.ts) and
 * replaced by a placeholder, and control characters are removed. leakcheck's own metadata (commit
 * ids, package names, file paths, numbers) is left alone by {@link redactReport}.
 */
import { isSafeHeader, isSecretName, replaceSecrets } from '../privacy/secrets';
import { stripControl } from './escape';

/** The placeholder written instead of a secret. */
export const REDACTED = '[redacted]';

/** True for a header whose value must not be shown (every header outside the allow-list). */
export function isSecretHeader(name: string): boolean {
  return !isSafeHeader(name);
}

/**
 * Headers with every value outside the allow-list replaced. Template-only values (e.g.
 * `Bearer {{user}}`) are kept: only a synthetic identity is substituted at send time.
 */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = isSafeHeader(k) || isPureTemplate(v) ? redactText(v) : REDACTED;
  }
  return out;
}

function isPureTemplate(value: string): boolean {
  return (
    /\{\{[^}]+\}\}/.test(value) &&
    value
      .replace(/\{\{[^}]+\}\}/g, '')
      .replace(/^(Bearer|Basic)\s*/i, '')
      .trim() === ''
  );
}

/** Redacts secret-named and secret-shaped query values, path parameters and segments in a URL. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  const cleanPath = pathPart
    .split('/')
    .map((segment) => {
      // `;jsessionid=...` path parameters
      const [head, ...params] = segment.split(';');
      const cleanParams = params.map((p) => {
        const eq = p.indexOf('=');
        return eq >= 0 && isSecretName(p.slice(0, eq)) ? `${p.slice(0, eq)}=${REDACTED}` : p;
      });
      return [redactText(head as string), ...cleanParams].join(';');
    })
    .join('/');
  if (q < 0) return cleanPath;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return redactText(part);
      const name = part.slice(0, eq);
      const value = part.slice(eq + 1);
      return isSecretName(name) && value !== '' ? `${name}=${REDACTED}` : `${name}=${redactText(value)}`;
    })
    .join('&');
  return `${cleanPath}?${query}`;
}

/**
 * Redacts secrets inside free text such as a log line, a command line or a message, and removes
 * control characters (terminal escapes) other than tab and newline.
 *
 * @param text - untrusted text
 * @returns the text with every secret replaced by {@link REDACTED}
 */
export function redactText(text: string): string {
  return replaceSecrets(stripControl(text), () => REDACTED);
}

/**
 * Keys whose string values are leakcheck's own metadata, never text from the service or a log:
 * left as they are (a commit id or a file path is not a secret, and must stay usable).
 */
const OWN_METADATA = new Set([
  'schemaVersion',
  'tool',
  'createdAt',
  'verdict',
  'status',
  'metric',
  'phase',
  'cwd',
  'dir',
  'logFile',
  'reportFile',
  'file',
  'files',
  'pprof',
  'head',
  'base',
  'mergeBase',
  'sha',
  'headSha',
  'commit',
  'ref',
  'rule',
  'kind',
  'unit',
  'format',
]);

/**
 * The redaction pass over a whole report (or any JSON value about to be written or posted): every
 * string is passed through {@link redactText}, except leakcheck's own metadata.
 *
 * @param value - a report, or any JSON-shaped value
 * @returns a redacted copy
 */
export function redactReport<T>(value: T): T {
  return walk(value, false) as T;
}

function walk(value: unknown, own: boolean): unknown {
  if (typeof value === 'string') return own ? value : redactText(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, own));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Header maps: values outside the allow-list go whatever they look like.
      if (k === 'headers' && v && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = redactHeaders(v as Record<string, string>);
        continue;
      }
      if ((k === 'path' || k === 'endpoint' || k === 'target') && typeof v === 'string' && !own) {
        out[k] = redactUrl(stripControl(v));
        continue;
      }
      out[k] = walk(v, own || OWN_METADATA.has(k));
    }
    return out;
  }
  return value;
}
