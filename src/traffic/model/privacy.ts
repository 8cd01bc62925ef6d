/**
 * Secrets never reach the traffic model. Credentials (Authorization, cookies, API-key headers),
 * token-like query values and path segments, client addresses and user names are replaced, as
 * soon as a record is parsed, by synthetic values: a keyed hash (HMAC with a random key that is
 * never stored) of the original, rendered in the original's shape. Equal secrets map to equal
 * synthetic values, so the model keeps their cardinality and frequencies, and nothing written can
 * be turned back into the original.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  decodeDeep,
  isSafeHeader,
  isSecretName,
  luhn,
  replaceSecrets,
  secretShape,
} from '../../privacy/secrets';
import { detach } from './sketch';

export { isSecretName };

const JWT = /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/;

/** Request headers that describe one hop or one recording, not the request: never replayed. */
const DROPPED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'content-length',
  'content-encoding',
  'expect',
  'http2-settings',
]);

/** Headers naming the client's address (set by proxies and CDNs): synthesised like the client. */
const CLIENT_HEADERS = new Set([
  'x-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'true-client-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
  'forwarded',
]);

/** True for a value that looks like a credential whatever its name: a JWT, or a long random-looking string. */
export function isTokenLike(value: string): boolean {
  if (value.length < 20) return false;
  if (JWT.test(value)) return true;
  if (!/^[\w.~+/=%-]+$/.test(value)) return false;
  // Percent-encoded text and '+'-joined words are search phrases, not credentials.
  if (/%[0-9A-F]{2}/i.test(value) || value.includes('+')) {
    const decoded = decodeDeep(value.replace(/\+/g, ' '));
    if (/\s/.test(decoded) || /[^ -~]/.test(decoded)) return false;
  }
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return false;
  // Random strings mix letters and digits; words joined by dashes (slugs) do not.
  return /\d/.test(value) && /[a-z]/i.test(value) && !/^[a-z]+(-[a-z0-9]+)*$/i.test(value);
}

/** True for a standalone value (query value, path segment, JSON string) that must not be kept. */
export function isSecretValue(value: string): boolean {
  return isTokenLike(value) || secretShape(value) !== null;
}

/** What happens to a request header on import. */
export type HeaderFate =
  'drop' | 'authorization' | 'cookie' | 'user-agent' | 'client' | 'url' | 'secret' | 'keep';

/**
 * Decides what happens to a request header: dropped, an identity, anonymised, or kept. Default
 * deny: only the headers in the documented allow-list (SAFE_HEADERS) keep their values.
 */
export function headerFate(name: string): HeaderFate {
  const n = name.toLowerCase();
  // HTTP/2 and HTTP/3 pseudo-headers (:method, :path, :authority, :scheme) are not headers.
  if (n.startsWith(':') || DROPPED_HEADERS.has(n)) return 'drop';
  if (n === 'authorization' || n === 'proxy-authorization') return 'authorization';
  if (n === 'cookie') return 'cookie';
  if (n === 'user-agent') return 'user-agent';
  if (CLIENT_HEADERS.has(n)) return 'client';
  if (n === 'referer' || n === 'origin') return 'url';
  return isSafeHeader(n) ? 'keep' : 'secret';
}

/** Cookie names that carry the visitor's session (the identity); other cookies are preferences. */
export function isSessionCookie(name: string): boolean {
  return /sess|sid|token|auth|jwt|user|login|remember/i.test(name);
}

/** Replaces secrets by synthetic values of the same shape; one key per import, never stored. */
export class Anonymizer {
  private readonly key: Buffer;
  /**
   * Recent answers: logs repeat the same client, user and session on many lines, and an HMAC per
   * line would cost more than parsing the line. Bounded; cleared when full.
   */
  private readonly memo = {
    t: new Map<string, string>(),
    c: new Map<string, string>(),
    u: new Map<string, string>(),
    x: new Map<string, string>(),
  };

  /** `key` is for tests that need repeatable output; by default a fresh random key. */
  constructor(key?: Buffer) {
    this.key = key ?? randomBytes(32);
  }

  /**
   * A synthetic value with the original's shape: digits stay digits, letters stay letters of the
   * same case, everything else (dots, dashes) is kept, so routes that validate a format still match.
   */
  token(value: string): string {
    return this.remember('t', value, () => {
      if (!/%[0-9A-Fa-f]{2}/.test(value)) return this.reshape(value);
      // Percent-encoded: the decoded characters are what is secret (an escape kept byte for byte
      // would keep the secret); re-encoded so the synthetic value travels the same way.
      const decoded = decodeDeep(value);
      return encodeURIComponent(this.reshape(decoded)).replace(/%20/g, '+');
    });
  }

  /**
   * Free text (a text body, a user agent) with every secret found by name or shape replaced by a
   * synthetic value of the same shape.
   */
  text(value: string): string {
    if (value.length < 6) return value;
    return this.remember('x', value, () => replaceSecrets(value, (secret) => this.token(secret)));
  }

  /** A synthetic value for an identity header: addresses stay addresses, lists keep their length. */
  identity(value: string): string {
    return value
      .split(/(\s*,\s*)/)
      .map((part, i) => {
        if (i % 2 === 1 || part === '') return part;
        const bare = part.replace(/^for=/i, '').replace(/^"?\[?|\]?"?$/g, '');
        const ip = /^(\d{1,3}\.){3}\d{1,3}(:\d+)?$|^[0-9a-f:]+$/i.test(bare);
        return ip ? this.client(bare.replace(/:\d+$/, '')) : this.token(part);
      })
      .join('');
  }

  private remember(kind: 't' | 'c' | 'u' | 'x', value: string, make: () => string): string {
    const memo = this.memo[kind];
    const hit = memo.get(value);
    if (hit !== undefined) return hit;
    const made = make();
    if (memo.size >= 20_000) memo.clear();
    // detach: a key sliced from a log line would keep that line's whole read chunk alive.
    memo.set(detach(value), made);
    return made;
  }

  private reshape(value: string): string {
    let bytes = this.digest(value, 0);
    let out = '';
    let block = 0;
    for (let i = 0; i < value.length; i++) {
      const j = i % 32;
      if (i > 0 && j === 0) bytes = this.digest(value, ++block);
      const b = bytes[j] as number;
      const c = value.charCodeAt(i);
      // Percent-escapes stay as they are (they encode structure such as '+' or '/', and an
      // altered one would not decode).
      if (c === 37 && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
        out += value.slice(i, i + 3);
        i += 2;
        continue;
      }
      if (c >= 48 && c <= 57) out += String.fromCharCode(48 + (b % 10));
      else if (c >= 97 && c <= 122) out += String.fromCharCode(97 + (b % 26));
      else if (c >= 65 && c <= 90) out += String.fromCharCode(65 + (b % 26));
      // Letters outside ASCII (and emoji) are as secret as the rest: a lowercase letter instead.
      else if (c > 127) out += String.fromCharCode(97 + (b % 26));
      else out += value[i];
    }
    return out;
  }

  /** A synthetic Authorization value: the scheme is kept, the credential replaced. */
  authorization(value: string): string {
    const m = /^(\S+)\s+(.*)$/.exec(value.trim());
    if (!m) return this.token(value);
    const scheme = m[1] as string;
    if (scheme.toLowerCase() === 'basic') {
      return `Basic ${Buffer.from(`user-${this.hex(value, 8)}:synthetic`).toString('base64')}`;
    }
    return `${scheme} ${this.token(m[2] as string)}`;
  }

  /** A Cookie header with every value replaced; names kept. */
  cookie(value: string): string {
    return value
      .split(';')
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq < 0) return part.trim();
        return `${part.slice(0, eq).trim()}=${this.token(part.slice(eq + 1).trim())}`;
      })
      .filter(Boolean)
      .join('; ');
  }

  /** A synthetic client address: 10.x.x.x for IPv4, fd00::/8 (unique local) for IPv6. */
  client(address: string): string {
    return this.remember('c', address, () => this.syntheticClient(address));
  }

  private syntheticClient(address: string): string {
    const b = this.digest(address, 0);
    if (address.includes(':')) {
      const g = (i: number): string => (((b[i] as number) << 8) | (b[i + 1] as number)).toString(16);
      return `fd00::${g(0)}:${g(2)}:${g(4)}`;
    }
    return `10.${b[0] as number}.${b[1] as number}.${b[2] as number}`;
  }

  /** A synthetic user name. */
  user(name: string): string {
    return this.remember('u', name, () => `user-${this.hex(name, 10)}`);
  }

  private hex(value: string, length: number): string {
    return this.digest(value, 0).toString('hex').slice(0, length);
  }

  private digest(value: string, block: number): Buffer {
    return createHmac('sha256', this.key)
      .update(block === 0 ? value : `${value}\u0000${block}`)
      .digest();
  }
}

/**
 * A request target with secret values replaced: query values whose name (decoded) says secret or
 * whose value (decoded) looks like one, path segments that look like one, and `;name=value` path
 * parameters (`;jsessionid=`). Returns the target unchanged (the same string) when nothing in it is
 * secret, which is the common case.
 */
export function anonymizeTarget(target: string, anonymizer: Anonymizer): string {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  let newPath = path;
  // Cheap test first: only a long segment, an escape, a parameter, an '@' or digits can be secret.
  if (/[^/]{20}|%|;|@|\d/.test(path)) {
    const segments = path.split('/');
    let changed = false;
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i] as string;
      const next = anonymizeSegment(s, anonymizer);
      if (next !== s) {
        segments[i] = next;
        changed = true;
      }
    }
    if (changed) newPath = segments.join('/');
  }
  if (q < 0) return newPath;
  const query = target.slice(q + 1);
  let changed = false;
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (!isSecretValue(part)) return part;
      changed = true;
      return anonymizer.token(part);
    }
    const value = anonymizeField(part.slice(0, eq), part.slice(eq + 1), anonymizer);
    if (value === part.slice(eq + 1)) return part;
    changed = true;
    return `${part.slice(0, eq)}=${value}`;
  });
  if (!changed && newPath === path) return target;
  return `${newPath}?${changed ? parts.join('&') : query}`;
}

/** One path segment: its `;params` by name and shape, the segment itself by shape. */
function anonymizeSegment(segment: string, anonymizer: Anonymizer): string {
  const [head, ...params] = segment.split(';');
  const main = head && isSecretValue(head) ? anonymizer.token(head) : (head as string);
  if (params.length === 0) return main;
  const cleaned = params.map((p) => {
    const eq = p.indexOf('=');
    if (eq < 0) return isSecretValue(p) ? anonymizer.token(p) : p;
    return `${p.slice(0, eq)}=${anonymizeField(p.slice(0, eq), p.slice(eq + 1), anonymizer)}`;
  });
  return [main, ...cleaned].join(';');
}

/** The value of a `name=value` pair (query, form, path parameter), replaced when secret. */
function anonymizeField(name: string, value: string, anonymizer: Anonymizer): string {
  if (value === '') return value;
  if (isSecretName(name) || isSecretValue(value)) return anonymizer.token(value);
  // A search phrase can carry an e-mail address or a card number among ordinary words.
  return /%|\+|@|\d/.test(value) ? anonymizeFreeValue(value, anonymizer) : value;
}

/** An encoded free-text value with the secrets inside it replaced (re-encoded when changed). */
function anonymizeFreeValue(value: string, anonymizer: Anonymizer): string {
  const decoded = decodeDeep(value.replace(/\+/g, ' '));
  const cleaned = anonymizer.text(decoded);
  return cleaned === decoded ? value : encodeURIComponent(cleaned).replace(/%20/g, '+');
}

/**
 * A request body with credential fields replaced: JSON keys (at any depth) and form fields named
 * like secrets get synthetic values of the same shape, as do values shaped like secrets; any other
 * text has the secrets found in it replaced.
 */
export function anonymizeBody(text: string, contentType: string | undefined, anonymizer: Anonymizer): string {
  const type = (contentType ?? '').toLowerCase();
  const trimmed = text.trimStart();
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      return JSON.stringify(scrubJson(parsed, anonymizer));
    } catch {
      // not JSON after all: fall through to the text rules
    }
  }
  if (
    type.includes('x-www-form-urlencoded') ||
    /^[\w.%[\]-]+=[^&\s]*(&[\w.%[\]-]+=[^&\s]*)*$/.test(trimmed)
  ) {
    return text
      .split('&')
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq < 0) return isSecretValue(part) ? anonymizer.token(part) : part;
        return `${part.slice(0, eq)}=${anonymizeField(part.slice(0, eq), part.slice(eq + 1), anonymizer)}`;
      })
      .join('&');
  }
  return anonymizer.text(text);
}

function scrubJson(value: unknown, anonymizer: Anonymizer, secret = false): unknown {
  if (typeof value === 'string') {
    if (secret || isSecretValue(value)) return anonymizer.token(value);
    return anonymizer.text(value);
  }
  if (typeof value === 'number' && (secret || luhn(String(value))))
    return Number(anonymizer.token(String(value))) || 0;
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, anonymizer, secret));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubJson(v, anonymizer, secret || isSecretName(k));
    return out;
  }
  return value;
}
