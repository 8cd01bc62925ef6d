/**
 * What a secret looks like: by its name (a query parameter, form field, JSON key, header,
 * environment variable or `key=value` in a log line) and by its shape (JWTs, provider token
 * prefixes, URL credentials, e-mail addresses, IP addresses, card numbers with a valid checksum,
 * national id numbers, long random-looking strings). One list, used by the traffic model (which
 * replaces secrets by synthetic values) and by the report redaction (which replaces them by a
 * placeholder). Names and values are matched after percent-decoding.
 */

/** Name words that mark a credential or personal data wherever they appear in a name. */
const SECRET_NAME_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'session',
  'sessid',
  'cookie',
  'csrf',
  'xsrf',
  'signature',
  'authorization',
  'bearer',
  'cardnumber',
  'creditcard',
  'ccnum',
  'cvv',
  'email',
  'phone',
  'mobile',
  'username',
  'socialsecurity',
  'nationalid',
  'taxid',
  'passport',
  'birth',
  'iban',
  'jwt',
  'otp',
  'dsn',
];

/** Short name parts that mark a secret only as a whole part (`key`, `x_key`; not `keyword`). */
const SECRET_NAME_PARTS = new Set([
  'key',
  'pass',
  'pwd',
  'pw',
  'pin',
  'sid',
  'sig',
  'code',
  'auth',
  'ssn',
  'cvc',
  'tan',
  'mfa',
  'totp',
  'nonce',
  'mail',
  'user',
  'login',
  'ip',
  'card',
  'account',
  'dob',
  'salt',
]);

const NAME_WORDS = new RegExp(SECRET_NAME_WORDS.join('|'));

/**
 * True for a name (query parameter, form field, JSON key, header, variable) whose value is a
 * credential or personal data. Percent-escapes are decoded and case, `-`, `_` and `.` ignored, so
 * `api-key`, `API_KEY`, `apiKey` and `api%5Fkey` all match.
 *
 * @param name - the name as it appeared
 * @returns whether its value must not be kept
 */
export function isSecretName(name: string): boolean {
  const decoded = decodeDeep(name);
  // camelCase parts: "userPin" -> "user pin"
  const spaced = decoded.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const parts = spaced.split(/[^a-z0-9]+/).filter(Boolean);
  if (parts.some((p) => SECRET_NAME_PARTS.has(p) || SECRET_NAME_PARTS.has(p.replace(/s$/, '')))) return true;
  return NAME_WORDS.test(parts.join(''));
}

/**
 * Request headers whose values are kept in traffic models and reports: they shape which code path
 * a request takes and carry no identity. Every other header's value is replaced (default deny).
 */
export const SAFE_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'pragma',
  'user-agent',
  'x-requested-with',
  'upgrade-insecure-requests',
  'dnt',
  'sec-fetch-dest',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-user',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
]);

/**
 * True for a header whose value may be kept as it is (see {@link SAFE_HEADERS}).
 *
 * @param name - header name, any case
 * @returns whether the value is kept
 */
export function isSafeHeader(name: string): boolean {
  return SAFE_HEADERS.has(name.toLowerCase());
}

/** The kinds of secret recognised by shape. */
export type SecretKind =
  | 'named'
  | 'url-credentials'
  | 'authorization'
  | 'jwt'
  | 'provider-token'
  | 'private-key'
  | 'email'
  | 'ip'
  | 'card'
  | 'national-id'
  | 'high-entropy';

/** Tokens whose prefix names the service that issued them. */
const PROVIDER_TOKEN =
  /\b(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{10,}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}|AIza[0-9A-Za-z_-]{30,}|ya29\.[0-9A-Za-z_-]{20,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{30,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|dop_v1_[a-f0-9]{40,}|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{20,}|sq0(?:atp|csp)-[A-Za-z0-9_-]{20,}|EAA[A-Za-z0-9]{30,})/g;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g;
/** `scheme://user:password@host`: the user and password. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{1,20}:\/\/)([^\s/:@'"<>]+:[^\s/@'"<>]*)@/gi;
const AUTH_SCHEME = /\b(Bearer|Basic|Token|Digest|Negotiate|NTLM|ApiKey)(\s+)([A-Za-z0-9._~+/=:-]{6,})/g;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const IPV4 = /(?<![\d.])(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}(?![\d.])/g;
const IPV6 = /(?<![0-9A-Za-z:])(?:[0-9a-fA-F]{1,4}:){1,7}:?(?::?[0-9a-fA-F]{1,4}){1,7}(?![0-9A-Za-z:])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
/** US social security numbers, UK National Insurance numbers. */
const NATIONAL_ID =
  /\b\d{3}-\d{2}-\d{4}\b|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g;
/** `name=value`, `name: value`, `"name": "value"`: the value when the name says secret. */
const NAMED_VALUE = /(["']?)(-{0,2}[A-Za-z_][A-Za-z0-9_.-]{0,80})\1(\s*[:=]\s*)(["']?)([^\s"'&,;}\]<>]+)/g;
/**
 * `--name value`, `-name value`: the same, for a flag and its value. A pattern of its own: as an
 * alternative of {@link NAMED_VALUE}, a bare `word value` ("GET /callback?code=…") was consumed
 * as a name and its value, and the `code=…` inside it never looked at.
 */
const FLAG_VALUE =
  /(?<![A-Za-z0-9_.-])(["']?)(-{1,2}[A-Za-z_][A-Za-z0-9_.-]{0,80})\1(\s+(?=["']?[^\s"']{4,}))(["']?)([^\s"'&,;}\]<>]+)/g;
/** A file name with an extension (`auth.js`, `sessions.ts`), and a line[:column] after it. */
const SOURCE_FILE = /\.[A-Za-z][A-Za-z0-9]{0,5}$/;
const POSITION = /^\d+(?::\d+)?\)?$/;
/** A Node or libuv error code: `EMFILE`, `ECONNREFUSED`, `ERR_HTTP_HEADERS_SENT`. */
const ERROR_CODE = /^(?:E[A-Z0-9]{2,15}|ERR_[A-Z0-9_]{2,60})$/;
/** Runs of token characters long enough to be a random credential. */
const LONG_RUN = /[A-Za-z0-9+/=_-]{24,}/g;

/** One secret found in a text. */
export interface SecretSpan {
  start: number;
  end: number;
  kind: SecretKind;
}

/**
 * Finds the secrets in free text (a log line, a command line, a message, a body that is not JSON or
 * a form). Spans never overlap; a value named as a secret is found whatever its shape.
 *
 * @param text - untrusted text
 * @returns the spans, in order
 */
export function findSecrets(text: string): SecretSpan[] {
  const spans: SecretSpan[] = [];
  const add = (start: number, end: number, kind: SecretKind): void => {
    if (end > start) spans.push({ start, end, kind });
  };
  for (const m of text.matchAll(PRIVATE_KEY)) add(m.index, m.index + m[0].length, 'private-key');
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const start = m.index + (m[1] as string).length;
    add(start, start + (m[2] as string).length, 'url-credentials');
  }
  for (const m of text.matchAll(AUTH_SCHEME)) {
    const start = m.index + (m[1] as string).length + (m[2] as string).length;
    add(start, start + (m[3] as string).length, 'authorization');
  }
  for (const m of [...text.matchAll(NAMED_VALUE), ...text.matchAll(FLAG_VALUE)]) {
    const name = (m[2] as string).replace(/^-+/, '');
    const value = m[5] as string;
    // `PASS: all 5 metrics passed`, `AUTH: ok`: a capitalised label in prose, not an assignment.
    if (/^[A-Z]+$/.test(name) && (m[3] as string).includes(':') && /^[a-z]+$/.test(value)) continue;
    if (!isSecretName(name) || isHarmlessValue(value)) continue;
    // `sessions.ts:19:7` in a stack frame: a file's position, not a name and its value.
    if (SOURCE_FILE.test(name) && POSITION.test(value)) continue;
    // An error's `code: 'EMFILE'` (Node and libuv error codes) is the diagnosis, not an OAuth code.
    if (name.toLowerCase() === 'code' && ERROR_CODE.test(value)) continue;
    const start = m.index + m[0].length - value.length;
    add(start, start + value.length, 'named');
  }
  for (const m of text.matchAll(JWT)) add(m.index, m.index + m[0].length, 'jwt');
  for (const m of text.matchAll(PROVIDER_TOKEN)) add(m.index, m.index + m[0].length, 'provider-token');
  for (const m of text.matchAll(EMAIL)) add(m.index, m.index + m[0].length, 'email');
  for (const m of text.matchAll(IPV4)) if (!isLocalAddress(m[0])) add(m.index, m.index + m[0].length, 'ip');
  for (const m of text.matchAll(IPV6)) if (isIpv6(m[0])) add(m.index, m.index + m[0].length, 'ip');
  for (const m of text.matchAll(CARD)) if (luhn(m[0])) add(m.index, m.index + m[0].length, 'card');
  for (const m of text.matchAll(NATIONAL_ID)) add(m.index, m.index + m[0].length, 'national-id');
  for (const m of text.matchAll(LONG_RUN))
    if (isHighEntropy(m[0])) add(m.index, m.index + m[0].length, 'high-entropy');
  return merge(spans);
}

/**
 * The kind of secret a whole value is, or null: for a value that stands alone (a query value, a
 * path segment, a JSON string, a header value), after percent-decoding.
 *
 * @param value - the value as it appeared
 * @returns the kind, or null when it looks harmless
 */
export function secretShape(value: string): SecretKind | null {
  if (value.length < 6) return null;
  const decoded = decodeDeep(value);
  const found = findSecrets(decoded);
  if (found[0]) return found[0].kind;
  return isHighEntropy(decoded) ? 'high-entropy' : null;
}

/**
 * Replaces every secret in free text, decoding percent-escaped words first so an encoded secret
 * (`password%3Dhunter2`, `bob%40example.com`) is found too.
 *
 * @param text - untrusted text
 * @param replace - what to write instead of one secret
 * @returns the text without secrets
 */
export function replaceSecrets(text: string, replace: (secret: string, kind: SecretKind) => string): string {
  let out = replaceSpans(text, replace);
  if (!/%[0-9A-Fa-f]{2}/.test(out)) return out;
  out = out.replace(/[^\s"'<>]*%[0-9A-Fa-f]{2}[^\s"'<>]*/g, (word) => {
    const decoded = decodeDeep(word.replace(/\+/g, ' '));
    if (decoded === word) return word;
    const cleaned = replaceSpans(decoded, replace);
    return cleaned === decoded ? word : cleaned;
  });
  return out;
}

function replaceSpans(text: string, replace: (secret: string, kind: SecretKind) => string): string {
  const spans = findSecrets(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const s of spans) {
    out += text.slice(at, s.start) + replace(text.slice(s.start, s.end), s.kind);
    at = s.end;
  }
  return out + text.slice(at);
}

/** Percent-decodes up to three times (double-encoded values are common in logs); never throws. */
export function decodeDeep(s: string): string {
  let out = s;
  for (let i = 0; i < 3 && /%[0-9A-Fa-f]{2}/.test(out); i++) {
    let next: string;
    try {
      next = decodeURIComponent(out);
    } catch {
      // A stray '%' or a broken UTF-8 sequence: decode the escapes that do decode.
      next = out.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
        try {
          return decodeURIComponent(run);
        } catch {
          return run;
        }
      });
    }
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * True for a long run of token characters that is random rather than words or an identifier:
 * at least 24 characters mixing digits with letters, or 32 hex digits, with high per-character
 * entropy. Slugs (`how-to-fold-a-shirt`), UUIDs and git commit ids are not.
 */
export function isHighEntropy(value: string): boolean {
  if (value.length < 24 || !/^[A-Za-z0-9+/=_.~-]+$/.test(value)) return false;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  // A commit id (40 or 64 lowercase hex) is leakcheck's own metadata as often as anything else.
  if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(value)) return false;
  if (!/\d/.test(value)) return false;
  const hex = /^[0-9a-fA-F]+$/.test(value);
  if (hex) return value.length >= 32 && /[a-fA-F]/.test(value);
  const classes = Number(/[a-z]/.test(value)) + Number(/[A-Z]/.test(value)) + Number(/\d/.test(value));
  if (classes < 2) return false;
  // Words joined by dashes, underscores or dots are identifiers, not credentials.
  if (/^[a-z]+(?:[-_.][a-z0-9]+)*$/i.test(value) && !/[A-Z].*[a-z].*[A-Z]/.test(value)) return false;
  // So is a path of such words (`/tmp/ci-final3/fixtures/incident-auth/server`): a checkout whose
  // folder name holds a digit had every stack frame of its own code redacted.
  const words = /^[a-z][a-z0-9]*(?:[-_.][a-z0-9]+)*$/i;
  if (
    value.includes('/') &&
    !/[A-Z].*[a-z].*[A-Z]/.test(value) &&
    value.split('/').every((segment) => segment === '' || words.test(segment))
  )
    return false;
  return entropy(value) >= 3.5;
}

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Card numbers: 13 to 19 digits (spaces or dashes between) with a valid Luhn checksum. */
export function luhn(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (!/^\d{13,19}$/.test(digits) || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function isIpv6(s: string): boolean {
  const groups = s.split(':');
  if (groups.length < 3) return false;
  // Times (12:30:45) and ratios are digits only in short groups; an address has '::' or 8 groups.
  if (!s.includes('::') && groups.length < 8) return false;
  if (s === '::1' || s === '::') return false;
  return groups.every((g) => /^[0-9a-fA-F]{0,4}$/.test(g));
}

/** Loopback and unspecified addresses say nothing about anyone (and leakcheck's own URLs use them). */
function isLocalAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '0.0.0.0' || ip === '255.255.255.255';
}

/** Values a secret-named key can hold that are not secrets: placeholders, booleans, empties. */
function isHarmlessValue(value: string): boolean {
  return /^(?:true|false|null|undefined|none|yes|no|on|off|\d{1,3}|\[redacted\]|\*+|x+|<[^>]*>|\{\{[^}]*\}\}|\$\{?[A-Z_]+\}?)$/i.test(
    value,
  );
}

function merge(spans: SecretSpan[]): SecretSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: SecretSpan[] = [];
  for (const s of spans) {
    const last = out.at(-1);
    if (last && s.start < last.end) {
      if (s.end > last.end) last.end = s.end;
      continue;
    }
    out.push({ ...s });
  }
  return out;
}
