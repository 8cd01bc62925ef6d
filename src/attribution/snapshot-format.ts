/**
 * The V8 heap snapshot's file format, read as bytes: its self-description (`snapshot.meta`), the
 * error for a file that is not a snapshot, and the streaming tokenizer that turns chunks of the
 * file straight into typed arrays (the nodes, edges and locations) and the strings table, so the
 * text is never held whole. ./snapshot.ts reads a file through it.
 */
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';

/** The snapshot's self-description (`snapshot.meta`). */
export interface SnapshotMeta {
  node_fields: string[];
  /** Per node field: an enum (array of names) or a type name such as "string" or "number". */
  node_types: Array<string[] | string>;
  edge_fields: string[];
  edge_types: Array<string[] | string>;
  location_fields?: string[];
}

/** The snapshot file is not what V8 writes. */
export class SnapshotFormatError extends LeakcheckError {
  /** @param message - one line for the user */
  constructor(message: string) {
    super(message, EXIT.infrastructure);
  }
}

const enum State {
  Header,
  Key,
  Colon,
  Value,
  Numbers,
  Strings,
  StringBody,
  Skip,
  SkipString,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;

/** A Uint32Array that grows when a section holds more numbers than the header announced. */
class NumberSink {
  array: Uint32Array;
  length = 0;
  constructor(expected: number) {
    this.array = new Uint32Array(Math.max(16, expected));
  }
  push(n: number): void {
    if (this.length === this.array.length) {
      const bigger = new Uint32Array(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[this.length++] = n;
  }
  done(): Uint32Array {
    return this.length === this.array.length ? this.array : this.array.slice(0, this.length);
  }
}

/** The tokenizer: feed it chunks in order, then read `meta`, `out` and `strings`. */
export class SnapshotTokenizer {
  private state = State.Header;
  private header: Buffer[] = [];
  private headerLength = 0;
  private key: number[] = [];
  private inKey = false;
  private section = '';
  private sink: NumberSink | null = null;
  private number = 0;
  private inNumber = false;
  private stringParts: Buffer[] = [];
  private stringEscaped = false;
  private afterBackslash = false;
  private skipDepth = 0;
  meta: SnapshotMeta | null = null;
  nodeCount = 0;
  edgeCount = 0;
  readonly out: { nodes?: Uint32Array; edges?: Uint32Array; locations?: Uint32Array } = {};
  readonly strings: string[] = [];

  constructor(private readonly idsOnly: boolean) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  feed(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && this.state !== State.Done) {
      switch (this.state) {
        case State.Header:
          i = this.readHeader(chunk, i);
          break;
        case State.Key:
          i = this.readKey(chunk, i);
          break;
        case State.Colon:
          if (chunk[i] === 0x3a) this.state = State.Value;
          i++;
          break;
        case State.Value:
          i = this.startValue(chunk, i);
          break;
        case State.Numbers:
          i = this.readNumbers(chunk, i);
          break;
        case State.Strings:
        case State.StringBody:
          i = this.readStrings(chunk, i);
          break;
        case State.Skip:
        case State.SkipString:
          i = this.skipValue(chunk, i);
          break;
        default:
          i = n;
      }
    }
  }

  private readKey(chunk: Buffer, start: number): number {
    const n = chunk.length;
    let i = start;
    if (!this.inKey) {
      // Between sections: skip separators up to the next key, or the closing brace.
      for (; i < n; i++) {
        const c = chunk[i] as number;
        if (c === CLOSE_BRACE) {
          this.state = State.Done;
          return i + 1;
        }
        if (c === QUOTE) {
          this.inKey = true;
          this.key = [];
          i++;
          break;
        }
      }
    }
    // Keys are short ASCII names; one may be split across chunks.
    for (; i < n; i++) {
      const c = chunk[i] as number;
      if (c === QUOTE) {
        this.inKey = false;
        this.section = String.fromCharCode(...this.key);
        this.state = State.Colon;
        return i + 1;
      }
      this.key.push(c);
    }
    return n;
  }

  private readHeader(chunk: Buffer, start: number): number {
    // The header (`{"snapshot":{...},`) is small; collect it until the first section key.
    // Copied: the caller reuses its read buffer.
    const piece = Buffer.from(chunk.subarray(start));
    this.header.push(piece);
    this.headerLength += piece.length;
    const text = Buffer.concat(this.header, this.headerLength).toString('utf8');
    const at = text.indexOf('"nodes"');
    if (at < 0) {
      if (this.headerLength > 1 << 20) throw new SnapshotFormatError('no "nodes" section in the first 1 MiB');
      return chunk.length;
    }
    let parsed: { snapshot?: { meta?: SnapshotMeta; node_count?: number; edge_count?: number } };
    try {
      parsed = JSON.parse(text.slice(0, at).replace(/,\s*$/, '') + '}') as typeof parsed;
    } catch {
      throw new SnapshotFormatError('the snapshot header is not valid JSON');
    }
    const meta = parsed.snapshot?.meta;
    if (!meta || !Array.isArray(meta.node_fields) || !Array.isArray(meta.edge_fields)) {
      throw new SnapshotFormatError('the snapshot header has no meta.node_fields / meta.edge_fields');
    }
    this.meta = meta;
    this.nodeCount = parsed.snapshot?.node_count ?? 0;
    this.edgeCount = parsed.snapshot?.edge_count ?? 0;
    this.header = [];
    // Resume right after the "nodes" key. The key was not whole in the earlier pieces (or it
    // would have been found there), so its end lies in this one.
    const consumedBefore = this.headerLength - piece.length;
    const afterKey = Buffer.byteLength(text.slice(0, at + '"nodes"'.length), 'utf8') - consumedBefore;
    this.section = 'nodes';
    this.state = State.Colon;
    return start + afterKey;
  }

  private startValue(chunk: Buffer, i: number): number {
    const c = chunk[i] as number;
    if (c !== OPEN_BRACKET && c !== OPEN_BRACE && c !== QUOTE && !(c >= ZERO && c <= NINE)) return i + 1;
    const meta = this.meta as SnapshotMeta;
    if (c === OPEN_BRACKET && this.section === 'nodes') {
      this.sink = new NumberSink(this.nodeCount * meta.node_fields.length);
      this.state = State.Numbers;
    } else if (
      c === OPEN_BRACKET &&
      !this.idsOnly &&
      (this.section === 'edges' || this.section === 'locations')
    ) {
      const expected =
        this.section === 'edges'
          ? this.edgeCount * meta.edge_fields.length
          : 4 * Math.max(16, this.nodeCount / 8);
      this.sink = new NumberSink(expected);
      this.state = State.Numbers;
    } else if (c === OPEN_BRACKET && !this.idsOnly && this.section === 'strings') {
      this.state = State.Strings;
    } else {
      this.skipDepth = 0;
      this.state = State.Skip;
      return i;
    }
    this.inNumber = false;
    this.number = 0;
    return i + 1;
  }

  private readNumbers(chunk: Buffer, start: number): number {
    const n = chunk.length;
    const sink = this.sink as NumberSink;
    let num = this.number;
    let inNumber = this.inNumber;
    for (let i = start; i < n; i++) {
      const c = chunk[i] as number;
      if (c >= ZERO && c <= NINE) {
        num = num * 10 + (c - ZERO);
        inNumber = true;
      } else if (c === COMMA) {
        if (inNumber) sink.push(num);
        num = 0;
        inNumber = false;
      } else if (c === CLOSE_BRACKET) {
        if (inNumber) sink.push(num);
        this.endNumbers(sink.done());
        return i + 1;
      } else if (c !== 0x0a && c !== 0x0d && c !== 0x20 && c !== 0x09) {
        throw new SnapshotFormatError(
          `unexpected character '${String.fromCharCode(c)}' in "${this.section}"`,
        );
      }
    }
    this.number = num;
    this.inNumber = inNumber;
    return n;
  }

  private endNumbers(values: Uint32Array): void {
    this.sink = null;
    if (this.section === 'nodes') {
      this.out.nodes = values;
      // Ids only: nodes come first, so the rest of the file is not needed.
      this.state = this.idsOnly ? State.Done : State.Key;
      return;
    }
    if (this.section === 'edges') this.out.edges = values;
    else if (this.section === 'locations') this.out.locations = values;
    this.state = State.Key;
  }

  private readStrings(chunk: Buffer, start: number): number {
    const n = chunk.length;
    let i = start;
    while (i < n) {
      if (this.state === State.Strings) {
        const c = chunk[i] as number;
        i++;
        if (c === QUOTE) {
          this.state = State.StringBody;
          this.stringParts = [];
          this.stringEscaped = false;
          this.afterBackslash = false;
        } else if (c === CLOSE_BRACKET) {
          this.state = State.Key;
          return i;
        }
        continue;
      }
      // Inside a string: find the closing quote that is not escaped.
      let j = i;
      let escaped = this.afterBackslash;
      for (; j < n; j++) {
        const c = chunk[j] as number;
        if (escaped) escaped = false;
        else if (c === BACKSLASH) {
          escaped = true;
          this.stringEscaped = true;
        } else if (c === QUOTE) break;
      }
      if (j >= n) {
        this.stringParts.push(Buffer.from(chunk.subarray(i, n)));
        this.afterBackslash = escaped;
        return n;
      }
      this.stringParts.push(chunk.subarray(i, j));
      const bytes =
        this.stringParts.length === 1 ? (this.stringParts[0] as Buffer) : Buffer.concat(this.stringParts);
      const raw = bytes.toString('utf8');
      this.strings.push(this.stringEscaped ? decodeJsonString(raw) : raw);
      this.stringParts = [];
      this.state = State.Strings;
      i = j + 1;
    }
    return n;
  }

  private skipValue(chunk: Buffer, start: number): number {
    const n = chunk.length;
    for (let i = start; i < n; i++) {
      const c = chunk[i] as number;
      if (this.state === State.SkipString) {
        if (this.afterBackslash) this.afterBackslash = false;
        else if (c === BACKSLASH) this.afterBackslash = true;
        else if (c === QUOTE) this.state = State.Skip;
        if (this.state === State.Skip && this.skipDepth === 0) {
          this.state = State.Key;
          return i + 1;
        }
        continue;
      }
      if (c === QUOTE) this.state = State.SkipString;
      else if (c === OPEN_BRACKET || c === OPEN_BRACE) this.skipDepth++;
      else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
        this.skipDepth--;
        if (this.skipDepth === 0) {
          this.state = State.Key;
          return i + 1;
        }
      } else if (this.skipDepth === 0 && (c === COMMA || c === 0x0a)) {
        // A bare scalar value ended.
        this.state = State.Key;
        return i + 1;
      }
    }
    return n;
  }
}

function decodeJsonString(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    // Lone surrogates written by V8 can make a string invalid JSON; keep the raw text.
    return raw;
  }
}
