/**
 * Streaming text input for the importers: gzip is unpacked on the fly, the encoding is taken from
 * the byte-order mark (UTF-8 by default, UTF-16 LE/BE when marked or obviously NUL-interleaved),
 * invalid bytes become U+FFFD instead of errors, and lines are bounded in length so a file with no
 * newline (or binary garbage) cannot grow one string without limit.
 */
import * as fs from 'node:fs';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import { LeakcheckError } from '../../errors';

/** Longest line parsed; longer lines are counted and skipped. */
export const MAX_LINE = 64 * 1024;

/** What the reader learnt about the file. */
export interface TextInfo {
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be';
  gzip: boolean;
  bytes: number;
}

/** Input that cannot be read at all (missing file, broken gzip). */
export class InputError extends LeakcheckError {}

/** Reads the first bytes of a file (for detection), decompressing gzip. */
export async function readHead(file: string, max = 64 * 1024): Promise<string> {
  let out = '';
  for await (const chunk of textChunks(file)) {
    out += chunk;
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

/**
 * The file's text in chunks. `info` is filled in as soon as the first bytes are seen.
 * Throws {@link InputError} for a file that cannot be opened or a corrupt gzip stream.
 */
export async function* textChunks(file: string, info?: TextInfo): AsyncGenerator<string> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(
      e.code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot open: ${e.message}`,
    );
  }
  const magic = Buffer.alloc(2);
  const got = fs.readSync(fd, magic, 0, 2, 0);
  const stat = fs.fstatSync(fd);
  if (stat.isDirectory()) {
    fs.closeSync(fd);
    throw new InputError(`${file}: is a directory, expected a log file`);
  }
  const gzip = got === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  const raw = fs.createReadStream(file, { fd, highWaterMark: 1 << 20 });
  const gunzip = gzip ? raw.pipe(createGunzip()) : null;
  const stream: AsyncIterable<Buffer> = gunzip ?? raw;
  let decoder: TextDecoder | null = null;
  const meta: TextInfo = info ?? { encoding: 'utf-8', gzip, bytes: 0 };
  meta.gzip = gzip;
  try {
    for await (const buf of stream) {
      meta.bytes += buf.length;
      let chunk = buf;
      if (!decoder) {
        const enc = sniffEncoding(buf);
        meta.encoding = enc.encoding;
        chunk = buf.subarray(enc.bom);
        decoder = new TextDecoder(enc.encoding, { fatal: false, ignoreBOM: true });
      }
      const text = decoder.decode(chunk, { stream: true });
      if (text) yield text;
    }
    const tail = decoder?.decode() ?? '';
    if (tail) yield tail;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (
      gzip &&
      (e.code === 'Z_DATA_ERROR' ||
        e.code === 'Z_BUF_ERROR' ||
        /incorrect header|unexpected end/i.test(e.message))
    )
      throw new InputError(`${file}: not a valid gzip file (${e.message})`);
    throw new InputError(`${file}: cannot read: ${e.message}`);
  } finally {
    gunzip?.destroy();
    raw.destroy();
  }
}

function sniffEncoding(buf: Buffer): { encoding: TextInfo['encoding']; bom: number } {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { encoding: 'utf-8', bom: 3 };
  if (buf[0] === 0xff && buf[1] === 0xfe) return { encoding: 'utf-16le', bom: 2 };
  if (buf[0] === 0xfe && buf[1] === 0xff) return { encoding: 'utf-16be', bom: 2 };
  // UTF-16 without a mark: ASCII text has a NUL in every other byte.
  const n = Math.min(buf.length, 512) & ~1;
  if (n >= 8) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < n; i += 2) {
      if (buf[i] === 0) evenNul++;
      if (buf[i + 1] === 0) oddNul++;
    }
    if (oddNul > n * 0.4 && evenNul === 0) return { encoding: 'utf-16le', bom: 0 };
    if (evenNul > n * 0.4 && oddNul === 0) return { encoding: 'utf-16be', bom: 0 };
  }
  return { encoding: 'utf-8', bom: 0 };
}

/** Splits text chunks into lines (LF or CRLF), dropping lines longer than `max`. */
export class LineSplitter {
  private carry = '';
  private discarding = false;
  private line = 0;

  constructor(
    private readonly onLine: (text: string, line: number) => void,
    private readonly onTooLong: (line: number) => void,
    private readonly max: number = MAX_LINE,
  ) {}

  /** Lines read so far (including a final line without a newline once `end` is called). */
  get lines(): number {
    return this.line;
  }

  /** Feeds a chunk. */
  push(chunk: string): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) {
        if (!this.discarding) {
          this.carry += chunk.slice(start);
          if (this.carry.length > this.max) {
            this.carry = '';
            this.discarding = true;
          }
        }
        return;
      }
      this.line++;
      if (this.discarding || this.carry.length + (nl - start) > this.max) {
        this.discarding = false;
        this.carry = '';
        this.onTooLong(this.line);
      } else {
        let text = this.carry ? this.carry + chunk.slice(start, nl) : chunk.slice(start, nl);
        this.carry = '';
        if (text.endsWith('\r')) text = text.slice(0, -1);
        this.onLine(text, this.line);
      }
      start = nl + 1;
    }
  }

  /** Flushes a last line that had no newline. */
  end(): void {
    if (this.discarding) {
      this.line++;
      this.onTooLong(this.line);
    } else if (this.carry.length > 0) {
      this.line++;
      const text = this.carry.endsWith('\r') ? this.carry.slice(0, -1) : this.carry;
      this.carry = '';
      this.onLine(text, this.line);
    }
    this.discarding = false;
  }
}
