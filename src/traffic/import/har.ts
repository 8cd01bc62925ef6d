/**
 * HAR 1.2 files. A HAR is one JSON document, often hundreds of megabytes of recorded response
 * bodies, so it is not parsed whole: a small scanner walks the text as it streams in and hands
 * over each element of `log.entries` as its own JSON text (bounded: an entry over MAX_ENTRY
 * characters is counted and skipped). Memory is one entry, not the file.
 *
 * Entries are cleaned before replay: the origin is rewritten to the service under test (entries
 * for other origins are counted by origin and skipped, never sent to `/`), and the header rules
 * in privacy.ts drop pseudo-headers, hop-by-hop headers and the recorded content-length.
 */
import type { LogRecord, ParseResult } from './record';
import { LeakcheckError } from '../../errors';

/** Largest single entry parsed (recorded response bodies included). */
export const MAX_ENTRY = 32 * 1024 * 1024;

/** A HAR that is not one: the message says where and what was expected. */
export class HarFormatError extends LeakcheckError {}

type Frame =
  { type: 'object'; key: string | null; expectKey: boolean; path: string } | { type: 'array'; path: string };

/**
 * Streams a HAR's `log.entries` elements. Push text chunks; `onEntry` gets each entry's JSON text
 * (or null when it was over the size bound) and its index.
 */
export class HarEntryScanner {
  private readonly stack: Frame[] = [];
  private inString = false;
  private escape = false;
  /** Collecting a string token that may be an object key. */
  private keyBuffer: string | null = null;
  private capture: string[] | null = null;
  private captureLength = 0;
  private captureDepth = 0;
  private oversized = false;
  private index = 0;
  private sawRoot = false;
  private sawEntries = false;
  private line = 1;

  constructor(private readonly onEntry: (json: string | null, index: number) => void) {}

  /** Entries handed over so far. */
  get entries(): number {
    return this.index;
  }

  /** Feeds a chunk of the document. */
  push(chunk: string): void {
    let captureFrom = this.capture ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) {
          this.inString = false;
          if (this.keyBuffer !== null) this.endKeyString();
          continue;
        }
        if (this.keyBuffer !== null && this.keyBuffer.length < 64) this.keyBuffer += chunk[i];
        continue;
      }
      if (c === 10) this.line++;
      if (c === 32 || c === 10 || c === 13 || c === 9) continue;
      const top = this.stack[this.stack.length - 1];
      // Starting a value directly inside log.entries: begin capturing it. Entries are objects;
      // anything else is handed over as 'null' (and skipped as "not an object").
      if (!this.capture && top?.type === 'array' && top.path === 'log.entries' && c !== 93 && c !== 44) {
        if (c === 123) {
          this.capture = [];
          this.captureLength = 0;
          this.captureDepth = this.stack.length;
          this.oversized = false;
          captureFrom = i;
        } else this.onEntry('null', this.index++);
      }
      switch (c) {
        case 34: // "
          this.inString = true;
          this.keyBuffer = top?.type === 'object' && top.expectKey ? '' : null;
          break;
        case 123: // {
          this.open({ type: 'object', key: null, expectKey: true, path: this.childPath() });
          break;
        case 91: // [
          this.open({ type: 'array', path: this.childPath() });
          break;
        case 125: // }
        case 93: // ]
          if (!top || (c === 125) !== (top.type === 'object')) this.fail(`unexpected '${chunk[i]}'`);
          this.stack.pop();
          break;
        case 58: // :
          if (top?.type !== 'object' || top.key === null) this.fail("unexpected ':'");
          break;
        case 44: // ,
          if (top?.type === 'object') {
            top.expectKey = true;
            top.key = null;
          }
          break;
        default:
          if (!top) this.fail('expected a JSON object');
          // number, true, false, null: their characters need no tracking
          if (!/[-0-9.eE+a-z]/.test(chunk[i] as string)) this.fail(`unexpected '${chunk[i]}'`);
      }
      // A captured entry ends when the stack is back to the entries array.
      if (this.capture && this.stack.length === this.captureDepth && c === 125) {
        this.collect(chunk.slice(captureFrom, i + 1));
        this.emit();
        captureFrom = -1;
      }
    }
    if (this.capture && captureFrom >= 0) this.collect(chunk.slice(captureFrom));
  }

  /** Ends the document; throws unless it was a HAR with `log.entries`. */
  end(): void {
    if (!this.sawRoot) throw new HarFormatError('empty document: expected a HAR 1.2 JSON object');
    if (this.stack.length > 0 || this.inString) this.fail('document ends early (truncated file?)');
    if (!this.sawEntries) throw new HarFormatError('no log.entries array: expected a HAR 1.2 document');
  }

  private open(frame: Frame): void {
    if (this.stack.length === 0) {
      if (this.sawRoot) this.fail('more than one JSON document');
      this.sawRoot = true;
      if (frame.type !== 'object') this.fail('expected a JSON object at the top level');
    }
    if (frame.path === 'log.entries' && frame.type === 'array') this.sawEntries = true;
    this.stack.push(frame);
    if (this.stack.length > 512) this.fail('nesting deeper than 512 levels');
  }

  private childPath(): string {
    const top = this.stack[this.stack.length - 1];
    if (!top) return '';
    if (top.type === 'array') return `${top.path}[]`;
    const key = top.key ?? '';
    return top.path ? `${top.path}.${key}` : key;
  }

  private endKeyString(): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.type === 'object' && top.expectKey) {
      top.key = this.keyBuffer;
      top.expectKey = false;
    }
    this.keyBuffer = null;
  }

  private collect(text: string): void {
    if (this.oversized) return;
    this.captureLength += text.length;
    if (this.captureLength > MAX_ENTRY) {
      this.oversized = true;
      this.capture = [];
      return;
    }
    (this.capture as string[]).push(text);
  }

  private emit(): void {
    const json = this.oversized ? null : (this.capture as string[]).join('');
    this.capture = null;
    this.onEntry(json, this.index++);
  }

  private fail(message: string): never {
    throw new HarFormatError(`line ${this.line}: ${message}; expected a HAR 1.2 JSON document`);
  }
}

interface HarHeader {
  name?: unknown;
  value?: unknown;
}

/** Converts one HAR entry (parsed) to a record; `origin` is the origin replayed. */
export function harEntryRecord(entry: unknown, origin: { value: string | null }): ParseResult {
  if (!entry || typeof entry !== 'object') return { skip: 'entry is not an object' };
  const e = entry as {
    request?: Record<string, unknown>;
    response?: Record<string, unknown>;
    startedDateTime?: unknown;
  };
  const req = e.request;
  if (!req || typeof req.method !== 'string' || typeof req.url !== 'string')
    return { skip: 'entry has no request.method and request.url' };
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { skip: 'entry request.url is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { skip: 'entry is not an http(s) request', origin: url.protocol.replace(/:$/, '') };
  // The first entry's origin is the one replayed unless --origin says otherwise.
  origin.value ??= url.origin;
  if (url.origin !== origin.value) return { skip: 'entry for another origin', origin: url.origin };
  const record: LogRecord = { method: req.method.toUpperCase(), target: url.pathname + url.search };
  const status = Number(e.response?.status);
  // HAR records 0 for requests that got no response (blocked, aborted).
  if (Number.isInteger(status) && status >= 100) record.status = status;
  if (typeof e.startedDateTime === 'string') {
    const t = Date.parse(e.startedDateTime);
    if (!Number.isNaN(t)) record.time = t;
  }
  const headers: Array<[string, string]> = [];
  if (Array.isArray(req.headers)) {
    for (const h of req.headers as HarHeader[]) {
      if (typeof h?.name === 'string' && typeof h.value === 'string')
        headers.push([h.name.toLowerCase(), h.value]);
    }
  }
  const ua = headers.find(([n]) => n === 'user-agent');
  if (ua) record.userAgent = ua[1];
  if (headers.length > 0) record.headers = headers;
  const post = req.postData as { mimeType?: unknown; text?: unknown; params?: unknown } | undefined;
  if (post && typeof post === 'object') {
    const contentType = typeof post.mimeType === 'string' && post.mimeType ? post.mimeType : undefined;
    if (typeof post.text === 'string' && post.text) record.body = { text: post.text, contentType };
    else if (Array.isArray(post.params) && post.params.length > 0) {
      const text = (post.params as HarHeader[])
        .filter((p) => typeof p?.name === 'string')
        .map((p) => `${encodeURIComponent(p.name as string)}=${encodeURIComponent(String(p.value ?? ''))}`)
        .join('&');
      record.body = { text, contentType: contentType ?? 'application/x-www-form-urlencoded' };
    }
  }
  return record;
}
