/**
 * Secrets never reach a report: Authorization, Cookie and similar header values, bearer tokens
 * and token-like query values are replaced before anything is written.
 */

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-auth-token',
]);
const SECRET_QUERY =
  /([?&](?:token|access_token|id_token|api_key|apikey|key|secret|password|auth|session|sig|signature)=)[^&#\s]*/gi;
const SECRET_IN_TEXT =
  /\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token)(["']?\s*[:=]\s*["']?)([^"'\r\n,}]*)/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** The placeholder written instead of a secret. */
export const REDACTED = '[redacted]';

/** True for a header whose value is a credential. */
export function isSecretHeader(name: string): boolean {
  return SECRET_HEADERS.has(name.toLowerCase());
}

/** Headers with credential values replaced. Template-only values (e.g. `Bearer {{user}}`) are kept. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = isSecretHeader(k) && !isPureTemplate(v) ? REDACTED : v;
  }
  return out;
}

function isPureTemplate(value: string): boolean {
  // "Bearer {{user}}" carries no secret: only a synthetic identity is substituted at send time.
  return (
    /\{\{[^}]+\}\}/.test(value) &&
    value
      .replace(/\{\{[^}]+\}\}/g, '')
      .replace(/^(Bearer|Basic)\s*/i, '')
      .trim() === ''
  );
}

/** Redacts token-like query values in a URL or path. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, `$1${REDACTED}`);
}

/** Redacts credentials inside free text such as a log line. */
export function redactText(text: string): string {
  return redactUrl(text)
    .replace(SECRET_IN_TEXT, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
}
