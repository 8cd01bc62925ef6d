/**
 * `importTraffic(file)`: reads a log or HAR file as a stream, parses it in the named (or
 * detected) format, and builds the traffic model. Bad lines are counted by reason and the first
 * few reported with their line numbers; a file that yields no request at all is an
 * {@link ImportError} naming the format that was expected.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelBuilder, type BuilderOptions } from '../model/builder';
import type { SkipExample, TrafficModel } from '../model/model';
import { albParser } from './alb';
import { HarEntryScanner, HarFormatError, harEntryRecord, MAX_ENTRY } from './har';
import {
  FieldMappingError,
  jsonLineParser,
  parseFieldMapping,
  PINO_HTTP_FIELDS,
  type FieldMapping,
} from './jsonl';
import { InputError, LineSplitter, MAX_LINE, readHead, textChunks, type TextInfo } from './lines';
import { COMBINED_FORMAT, COMMON_FORMAT, compileLogFormat, LogFormatError } from './nginx';
import { isSkip, type LineParser, type ParseResult } from './record';
import { LeakcheckError } from '../../errors';
import { redactReport } from '../../report/redact';

/** Formats the importer reads. */
export const IMPORT_FORMATS = ['combined', 'common', 'nginx', 'jsonl', 'pino-http', 'alb', 'har'] as const;
/** One of {@link IMPORT_FORMATS}. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Options of {@link importTraffic}. */
export interface ImportOptions extends BuilderOptions {
  /** The format; detected from the first lines when unset or 'auto'. */
  format?: ImportFormat | 'auto';
  /** nginx `log_format` string (format 'nginx'). */
  logFormat?: string;
  /** JSON-lines field mapping, `method=req.method,url=req.url,...` (format 'jsonl'). */
  fields?: string;
  /** HAR: the origin to replay (default: the first entry's); entries for others are counted and skipped. */
  origin?: string;
  /** Longest line parsed (default 64 KiB). */
  maxLineLength?: number;
}

/** A file that cannot be imported: one line naming the file and what was expected. */
export class ImportError extends LeakcheckError {}

/** Skipped examples reported. */
const EXAMPLES = 5;
/** Origins listed by name in the report; the rest are summed. */
const MAX_ORIGINS = 50;

const ANY_FORMAT =
  'an nginx/Apache combined or common access log, JSON lines (pino-http or --fields), an AWS ALB access log or a HAR 1.2 file';

/** What a format looks like, for error messages. */
export function describeFormat(format: ImportFormat, logFormat?: string): string {
  switch (format) {
    case 'combined':
      return 'nginx/Apache combined log lines, e.g. 203.0.113.7 - - [10/Oct/2023:13:55:36 +0000] "GET /path HTTP/1.1" 200 512 "-" "curl/8.4.0"';
    case 'common':
      return 'Common Log Format lines, e.g. 203.0.113.7 - - [10/Oct/2023:13:55:36 +0000] "GET /path HTTP/1.1" 200 512';
    case 'nginx':
      return `lines in the nginx log_format '${logFormat ?? ''}'`;
    case 'jsonl':
      return 'JSON lines with a method and a URL field (name them with --fields method=...,url=...)';
    case 'pino-http':
      return 'pino-http JSON lines ({"req":{"method":"GET","url":"/path"},"res":{"statusCode":200},...})';
    case 'alb':
      return 'AWS ALB access log lines (http 2023-10-10T13:55:36.123456Z app/... "GET https://host:443/path HTTP/1.1" ...)';
    case 'har':
      return 'a HAR 1.2 JSON document ({"log":{"entries":[...]}})';
  }
}

/** Guesses the format from the start of a file; null when nothing fits. */
export function detectFormat(head: string, file = ''): ImportFormat | null {
  const text = head.replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (file.toLowerCase().endsWith('.har') || /^\{\s*"log"\s*:/.test(trimmed)) return 'har';
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  // The last line of the head may be cut off.
  if (lines.length > 1 && !text.endsWith('\n')) lines.pop();
  const sample = lines.slice(0, 25);
  if (sample.length === 0) return null;
  if (trimmed.startsWith('{')) {
    const objects = sample.flatMap((l) => {
      try {
        const v: unknown = JSON.parse(l);
        return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
    if (objects.length === 0) return /"entries"\s*:/.test(text) ? 'har' : null;
    const pino = objects.some((o) => {
      const req = o.req as Record<string, unknown> | undefined;
      return typeof req?.method === 'string' && typeof req.url === 'string';
    });
    return pino ? 'pino-http' : 'jsonl';
  }
  const candidates: Array<[ImportFormat, LineParser]> = [
    ['alb', albParser()],
    ['combined', compileLogFormat(COMBINED_FORMAT, { trailing: true })],
    ['common', compileLogFormat(COMMON_FORMAT, { trailing: false })],
  ];
  let best: ImportFormat | null = null;
  let bestScore = 0;
  for (const [format, parse] of candidates) {
    // A skip for a bad request line still means the line had the format's shape.
    const score = sample.filter((l) => {
      const r = parse(l);
      return !isSkip(r) || !/does not match/.test(r.skip);
    }).length;
    if (score > bestScore) {
      best = format;
      bestScore = score;
    }
  }
  return bestScore >= Math.max(1, Math.ceil(sample.length * 0.3)) ? best : null;
}

function lineParser(format: Exclude<ImportFormat, 'har'>, options: ImportOptions): LineParser {
  switch (format) {
    case 'combined':
      return compileLogFormat(COMBINED_FORMAT, { trailing: true });
    case 'common':
      // Also accepts combined lines (the extra fields trail), which is what Apache users expect.
      return compileLogFormat(COMMON_FORMAT, { trailing: true });
    case 'nginx':
      if (!options.logFormat)
        throw new ImportError("--format nginx: expected --log-format '<the log_format string>'");
      return compileLogFormat(options.logFormat);
    case 'jsonl': {
      const mapping: FieldMapping = options.fields ? parseFieldMapping(options.fields) : {};
      return jsonLineParser(mapping);
    }
    case 'pino-http':
      return jsonLineParser(
        options.fields ? { ...PINO_HTTP_FIELDS, ...parseFieldMapping(options.fields) } : PINO_HTTP_FIELDS,
        'pino-http',
      );
    case 'alb':
      return albParser();
  }
}

/** Counts skips by reason and keeps the first few. */
class SkipLog {
  total = 0;
  readonly byReason: Record<string, number> = {};
  readonly examples: SkipExample[] = [];

  add(where: string, reason: string): void {
    this.total++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
    if (this.examples.length < EXAMPLES) this.examples.push({ where, reason });
  }
}

/** One line for a path that is not a readable regular file (a folder, a device, missing). */
function checkReadableFile(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportError(
      `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? 'error'})`}`,
    );
  }
  if (stat.isDirectory()) throw new ImportError(`${file}: is a folder; expected a log or HAR file`);
  if (!stat.isFile() && !stat.isFIFO())
    throw new ImportError(`${file}: not a regular file or a pipe; expected a log or HAR file`);
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new ImportError(`${file}: not readable`);
  }
}

/** Imports a log or HAR file into a traffic model. Throws {@link ImportError} for unusable input. */
export async function importTraffic(file: string, options: ImportOptions = {}): Promise<TrafficModel> {
  try {
    return await importFile(file, options);
  } catch (err) {
    if (err instanceof InputError || err instanceof LogFormatError || err instanceof FieldMappingError)
      throw new ImportError(err.message);
    if (err instanceof HarFormatError) throw new ImportError(`${file}: ${err.message}`);
    throw err;
  }
}

async function importFile(file: string, options: ImportOptions): Promise<TrafficModel> {
  checkReadableFile(file);
  let format = options.format && options.format !== 'auto' ? options.format : null;
  if (!format) {
    const head = await readHead(file);
    if (head.trim() === '') throw new ImportError(`${file}: the file is empty; expected ${ANY_FORMAT}`);
    format = detectFormat(head, file);
    if (!format) {
      throw new ImportError(
        `${file}: not a log format leakcheck recognises; expected ${ANY_FORMAT} (name the format with --format, or give an nginx --log-format)`,
      );
    }
  }
  const builder = new ModelBuilder(options);
  const skips = new SkipLog();
  const info: TextInfo = { encoding: 'utf-8', gzip: false, bytes: 0 };
  const notes: string[] = [];
  const origins: Record<string, number> = {};
  let otherOriginTotal = 0;
  let records = 0;
  let invalidUtf8 = 0;
  let blank = 0;
  const take = (result: ParseResult, where: string): void => {
    if (isSkip(result)) {
      if (result.origin !== undefined) {
        otherOriginTotal++;
        const key =
          result.origin in origins || Object.keys(origins).length < MAX_ORIGINS ? result.origin : '(others)';
        origins[key] = (origins[key] ?? 0) + 1;
        return;
      }
      skips.add(where, result.skip);
      return;
    }
    const why = builder.add(result);
    if (why) skips.add(where, why);
  };

  let harOrigin: string | null = null;
  if (format === 'har') {
    if (options.origin) {
      try {
        harOrigin = new URL(options.origin).origin;
      } catch {
        throw new ImportError(
          `--origin: expected an origin such as https://shop.example.com, got "${options.origin}"`,
        );
      }
    }
    const origin = { value: harOrigin };
    const scanner = new HarEntryScanner((json, index) => {
      records++;
      const where = `entries[${index}]`;
      if (json === null) return skips.add(where, `entry larger than ${MAX_ENTRY / 1024 / 1024} MiB`);
      let entry: unknown;
      try {
        entry = JSON.parse(json);
      } catch {
        return skips.add(where, 'entry is not valid JSON');
      }
      take(harEntryRecord(entry, origin), where);
    });
    for await (const chunk of textChunks(file, info)) scanner.push(chunk);
    scanner.end();
    harOrigin = origin.value;
  } else {
    const parse = lineParser(format, options);
    const splitter = new LineSplitter(
      (text, line) => {
        if (text.trim() === '') {
          blank++;
          return;
        }
        records++;
        if (text.includes('\uFFFD')) invalidUtf8++;
        take(parse(text), `line ${line}`);
      },
      (line) => {
        records++;
        skips.add(
          `line ${line}`,
          `line longer than ${Math.round((options.maxLineLength ?? MAX_LINE) / 1024)} KiB`,
        );
      },
      options.maxLineLength ?? MAX_LINE,
    );
    for await (const chunk of textChunks(file, info)) splitter.push(chunk);
    splitter.end();
  }

  if (info.gzip) notes.push('gzip-compressed; read decompressed');
  if (info.encoding !== 'utf-8') notes.push(`decoded as ${info.encoding.toUpperCase()}`);
  if (invalidUtf8 > 0)
    notes.push(`${invalidUtf8} lines had bytes that are not UTF-8 (kept, with replacement characters)`);
  if (blank > 0) notes.push(`${blank} blank lines ignored`);

  const expected = describeFormat(format, options.logFormat);
  if (records === 0 && otherOriginTotal === 0)
    throw new ImportError(`${file}: the file is empty; expected ${expected}`);
  const sourceBase = {
    file: path.basename(file),
    format,
    records,
    // Skip reasons and notes can quote the log: the one redaction step before they are stored.
    skipped: {
      total: skips.total,
      byReason: redactReport(skips.byReason),
      examples: redactReport(skips.examples),
    },
    notes: redactReport(notes),
    ...(format === 'har' && harOrigin
      ? { otherOrigins: { origin: harOrigin, total: otherOriginTotal, byOrigin: origins } }
      : {}),
  };
  const model = builder.finish(sourceBase);
  if (model.summary.requests === 0) {
    const first = skips.examples.map((e) => `${e.where}: ${e.reason}`).join('; ');
    const others =
      otherOriginTotal > 0
        ? `; ${otherOriginTotal} entries were for other origins than ${harOrigin ?? '?'} (choose one with --origin)`
        : '';
    throw new ImportError(
      `${file}: no request could be read from ${records} ${format === 'har' ? 'entries' : 'lines'}; expected ${expected}${first ? ` (${first})` : ''}${others}`,
    );
  }
  return model;
}
