/**
 * Log and HAR parsing: the formats, their real-world edge cases, and bad input (counted, never a
 * crash; an unusable file is one ImportError naming the format expected).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { albParser, addressOf } from '../../src/traffic/import/alb';
import { HarEntryScanner, HarFormatError, harEntryRecord, MAX_ENTRY } from '../../src/traffic/import/har';
import { detectFormat, ImportError, importTraffic } from '../../src/traffic/import/import';
import {
  FieldMappingError,
  jsonLineParser,
  parseFieldMapping,
  PINO_HTTP_FIELDS,
} from '../../src/traffic/import/jsonl';
import { LineSplitter } from '../../src/traffic/import/lines';
import {
  COMBINED_FORMAT,
  COMMON_FORMAT,
  compileLogFormat,
  LogFormatError,
  parseClfTime,
} from '../../src/traffic/import/nginx';
import { isSkip, normalizeTarget, type LogRecord, type ParseResult } from '../../src/traffic/import/record';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'traffic');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-import-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
}

function record(r: ParseResult): LogRecord {
  if (isSkip(r)) throw new Error(`skipped: ${r.skip}`);
  return r;
}

describe('nginx/Apache combined and common', () => {
  const combined = compileLogFormat(COMBINED_FORMAT, { trailing: true });

  test('a plain combined line', () => {
    const r = record(
      combined(
        '203.0.113.7 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"',
      ),
    );
    expect(r).toMatchObject({
      method: 'GET',
      target: '/apache_pb.gif?x=1',
      status: 200,
      client: '203.0.113.7',
      remoteUser: 'frank',
      userAgent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
    });
    expect(r.time).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
  });

  test('escaped quotes in user agents: Apache \\" and nginx \\x22', () => {
    const apache = record(
      combined(
        '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (compatible; \\"Bot\\"/1.0)"',
      ),
    );
    expect(apache.userAgent).toBe('Mozilla/5.0 (compatible; "Bot"/1.0)');
    const nginx = record(
      combined(
        '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (compatible; \\x22Bot\\x22/1.0)"',
      ),
    );
    expect(nginx.userAgent).toBe('Mozilla/5.0 (compatible; "Bot"/1.0)');
  });

  test('IPv6 clients, missing bytes and referer, HTTP/1.0 without user agent', () => {
    const r = record(
      combined('2001:db8::7 - - [10/Oct/2023:13:55:36 +0000] "GET /health HTTP/1.0" 200 - "-" "-"'),
    );
    expect(r.client).toBe('2001:db8::7');
    expect(r.userAgent).toBeUndefined();
    expect(r.status).toBe(200);
  });

  test('UTF-8 bytes escaped by nginx become percent-escapes in the target', () => {
    const r = record(
      combined(
        '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /search?q=caf\\xC3\\xA9 HTTP/1.1" 200 5 "-" "-"',
      ),
    );
    expect(r.target).toBe('/search?q=caf%C3%A9');
  });

  test('broken request lines are skipped with a reason', () => {
    const tls = combined(
      '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01" 400 157 "-" "-"',
    );
    expect(isSkip(tls) && tls.skip).toBe('request line is not an HTTP request');
    const dash = combined('10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "-" 400 0 "-" "-"');
    expect(isSkip(dash) && dash.skip).toBe('no request line recorded');
    const truncated = combined('10.0.0.1 - - [10/Oct/2023:13:55:');
    expect(isSkip(truncated) && truncated.skip).toBe('does not match the log format');
  });

  test('extra fields appended after combined are allowed; common reads combined lines', () => {
    const line =
      '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8" "198.51.100.1" rt=0.003';
    expect(record(combined(line)).target).toBe('/a');
    expect(record(compileLogFormat(COMMON_FORMAT, { trailing: true })(line)).status).toBe(200);
  });

  test('a target with a stray space keeps it, encoded on the wire', () => {
    const r = record(combined('10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /a b HTTP/1.1" 400 5 "-" "-"'));
    expect(r.target).toBe('/a b');
    expect(normalizeTarget(r.target)).toBe('/a%20b');
    expect(normalizeTarget('/x?q=<script>#frag')).toBe('/x?q=%3Cscript%3E');
  });

  test('CLF times with offsets', () => {
    expect(parseClfTime('10/Oct/2000:13:55:36 -0700')).toBe(Date.UTC(2000, 9, 10, 20, 55, 36));
    expect(parseClfTime('01/Jan/2024:00:00:00 +0530')).toBe(Date.UTC(2023, 11, 31, 18, 30, 0));
    expect(parseClfTime('32/Foo/2024:00:00:00 +0000')).toBeUndefined();
  });
});

describe('custom nginx log_format', () => {
  test('a whole directive copied from nginx.conf, with cookies, X-Forwarded-For and extra variables', () => {
    const parse = compileLogFormat(fs.readFileSync(path.join(FIXTURES, 'custom-nginx.format.txt'), 'utf8'));
    const r = record(
      parse(
        '10.0.0.5 - - [10/Oct/2023:00:05:44 +0000] "GET /api/users/12939 HTTP/1.1" 200 3880 "-" "okhttp/4.12.0" "203.0.10.120, 10.0.0.2" rt=0.078 sid=s1ab2c',
      ),
    );
    expect(r).toMatchObject({
      target: '/api/users/12939',
      client: '203.0.10.120',
      headers: [['cookie', 'sid=s1ab2c']],
    });
  });

  test('multi-piece directives and $request_method/$uri/$args instead of $request', () => {
    const parse = compileLogFormat(
      `log_format api escape=json '$time_iso8601 $remote_addr '\n  '$request_method $uri $args $status';`,
    );
    const r = record(parse('2023-10-10T13:55:36+00:00 10.1.1.1 POST /api/orders page=2 201'));
    expect(r).toMatchObject({
      method: 'POST',
      target: '/api/orders?page=2',
      status: 201,
      client: '10.1.1.1',
    });
    expect(r.time).toBe(Date.UTC(2023, 9, 10, 13, 55, 36));
  });

  test('a format without the request is refused, naming what is needed', () => {
    expect(() => compileLogFormat('$remote_addr $status')).toThrow(LogFormatError);
    expect(() => compileLogFormat('$remote_addr $status')).toThrow(/\$request/);
    expect(() => compileLogFormat('no variables here')).toThrow(/no \$variables/);
  });
});

describe('JSON lines', () => {
  test('pino-http request lines; other lines are skipped as not requests', () => {
    const parse = jsonLineParser(PINO_HTTP_FIELDS, 'pino-http');
    const r = record(
      parse(
        JSON.stringify({
          level: 30,
          time: 1696896000123,
          req: {
            method: 'get',
            url: '/a?b=1',
            headers: { authorization: 'Bearer x', 'X-Multi': ['a', 'b'] },
            remoteAddress: '::1',
          },
          res: { statusCode: 404 },
          msg: 'request completed',
        }),
      ),
    );
    expect(r).toMatchObject({
      method: 'GET',
      target: '/a?b=1',
      status: 404,
      client: '::1',
      time: 1696896000123,
    });
    expect(r.headers).toEqual([
      ['authorization', 'Bearer x'],
      ['x-multi', 'a, b'],
    ]);
    const other = parse('{"level":30,"msg":"server listening"}');
    expect(isSkip(other) && other.skip).toMatch(/not a request record/);
    const broken = parse('{"level":30,"ti');
    expect(isSkip(broken) && broken.skip).toBe('not valid JSON');
  });

  test('a field mapping; bodies as objects; times as ISO strings or epoch seconds', () => {
    const parse = jsonLineParser(
      parseFieldMapping('method=http.method,url=http.url,status=http.status_code,time=ts,body=payload'),
    );
    const r = record(
      parse(
        '{"ts":"2023-10-10T00:00:01.500Z","http":{"method":"POST","url":"https://shop.example.com/api/orders","status_code":201},"payload":{"qty":1}}',
      ),
    );
    expect(r).toMatchObject({ method: 'POST', target: 'https://shop.example.com/api/orders', status: 201 });
    expect(r.time).toBe(Date.UTC(2023, 9, 10, 0, 0, 1, 500));
    expect(r.body).toEqual({ text: '{"qty":1}', contentType: 'application/json' });
    const seconds = record(jsonLineParser({ time: 't' })('{"method":"GET","url":"/","t":1696896000}'));
    expect(seconds.time).toBe(1696896000000);
  });

  test('a bad mapping names the field and what is expected', () => {
    expect(() => parseFieldMapping('verb=req.method')).toThrow(FieldMappingError);
    expect(() => parseFieldMapping('verb=req.method')).toThrow(/unknown field "verb"/);
    expect(() => parseFieldMapping('url=')).toThrow(/url=<dotted.path>/);
  });
});

describe('AWS ALB', () => {
  const parse = albParser();
  test('a line with quoted fields, escaped quotes and an absolute request URL', () => {
    const r = record(
      parse(
        'https 2023-10-10T00:05:44.487123Z app/shop/50dc 203.0.10.120:40000 10.0.1.17:8080 0.001 0.078 0.000 200 200 312 3880 "GET https://shop.example.com:443/api/users/1?x=1 HTTP/1.1" "Mozilla/5.0 (\\"Bot\\")" ECDHE TLSv1.2 arn:tg "Root=1" "shop.example.com" "-" 0 2023-10-10T00:05:44.487123Z "forward" "-" "-" "10.0.1.17:8080" "200" "-" "-"',
      ),
    );
    expect(r).toMatchObject({
      method: 'GET',
      target: 'https://shop.example.com:443/api/users/1?x=1',
      status: 200,
      client: '203.0.10.120',
      userAgent: 'Mozilla/5.0 ("Bot")',
    });
  });

  test('requests the ALB could not parse ("- - -") and foreign lines are skipped', () => {
    const dash = parse(
      'http 2023-10-10T00:00:01.000000Z app/shop/50dc 198.51.100.9:5113 - -1 -1 -1 400 - 0 272 "- - - " "-" - - - "-" "-" "-" -',
    );
    expect(isSkip(dash)).toBe(true);
    expect(isSkip(parse('10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET / HTTP/1.1" 200 5'))).toBe(true);
  });

  test('client addresses: IPv4, bracketed and bare IPv6, with ports', () => {
    expect(addressOf('203.0.113.7:443')).toBe('203.0.113.7');
    expect(addressOf('[2001:db8::1]:40000')).toBe('2001:db8::1');
    expect(addressOf('2001:db8::1:40000')).toBe('2001:db8::1');
  });
});

describe('HAR', () => {
  const har = {
    log: {
      version: '1.2',
      creator: { name: 'x', version: '1', comment: 'log.entries is not [here] {"entries": []}' },
      entries: [
        {
          startedDateTime: '2023-10-10T00:00:00.000Z',
          request: {
            method: 'POST',
            url: 'https://shop.example.com/api/orders?x=1',
            headers: [
              { name: ':authority', value: 'shop.example.com' },
              { name: 'Content-Type', value: 'application/x-www-form-urlencoded' },
            ],
            postData: {
              mimeType: 'application/x-www-form-urlencoded',
              params: [{ name: 'a b', value: 'c&d' }],
            },
          },
          response: { status: 201, content: { text: '{"a":"}]\\"["}' } },
        },
        { request: { method: 'GET', url: 'https://cdn.example.net/x.js' }, response: { status: 200 } },
        'not an entry',
      ],
    },
  };

  test('the scanner hands over each entry, whatever the chunk boundaries', () => {
    const text = JSON.stringify(har, null, 2);
    for (const size of [1, 7, text.length]) {
      const got: string[] = [];
      const s = new HarEntryScanner((json) => got.push(json ?? 'OVERSIZED'));
      for (let i = 0; i < text.length; i += size) s.push(text.slice(i, i + size));
      s.end();
      expect(got.map((j) => JSON.parse(j) as unknown)).toEqual(
        har.log.entries.map((e) => (typeof e === 'string' ? null : e)),
      );
    }
  });

  test('entries are cleaned: origin rewritten, other origins counted, form bodies encoded', () => {
    const origin = { value: null as string | null };
    const r = record(harEntryRecord(har.log.entries[0], origin));
    expect(origin.value).toBe('https://shop.example.com');
    expect(r).toMatchObject({ method: 'POST', target: '/api/orders?x=1', status: 201 });
    expect(r.body).toEqual({ text: 'a%20b=c%26d', contentType: 'application/x-www-form-urlencoded' });
    const other = harEntryRecord(har.log.entries[1], origin);
    expect(isSkip(other) && other.origin).toBe('https://cdn.example.net');
  });

  test('not a HAR, truncated, or an oversized entry: errors or counted skips, no crash', () => {
    const run = (text: string): void => {
      const s = new HarEntryScanner(() => undefined);
      s.push(text);
      s.end();
    };
    expect(() => run('{"foo": [1, 2]}')).toThrow(/no log.entries/);
    expect(() => run('{"log": {"entries": [{"a": 1}')).toThrow(/ends early/);
    expect(() => run('[1, 2]')).toThrow(HarFormatError);
    expect(() => run('\u0000\u0001garbage')).toThrow(HarFormatError);
    expect(() => run('')).toThrow(/empty document/);
    const got: Array<string | null> = [];
    const s = new HarEntryScanner((json) => got.push(json));
    s.push('{"log":{"entries":[{"big":"');
    const chunk = 'x'.repeat(1024 * 1024);
    for (let n = 0; n <= MAX_ENTRY / chunk.length; n++) s.push(chunk);
    s.push('"},{"small":1}]}}');
    s.end();
    expect(got).toEqual([null, '{"small":1}']);
  });
});

describe('line reading', () => {
  test('CRLF, a last line without newline, and lines over the bound are counted, not kept', () => {
    const lines: string[] = [];
    const long: number[] = [];
    const s = new LineSplitter(
      (t, n) => lines.push(`${n}:${t}`),
      (n) => long.push(n),
      10,
    );
    s.push('a\r\nbb\n0123456789');
    s.push('ABC\nok\nxyz');
    s.end();
    expect(lines).toEqual(['1:a', '2:bb', '4:ok', '5:xyz']);
    expect(long).toEqual([3]);
  });
});

describe('importTraffic', () => {
  test('every committed sample imports, with its odd lines counted by reason and line number', async () => {
    const m = await importTraffic(path.join(FIXTURES, 'combined.log'));
    expect(m.source.format).toBe('combined');
    expect(m.source.skipped.total).toBe(4);
    expect(m.source.skipped.examples.map((e) => e.where)).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(m.source.requests).toBe(m.source.records - 4);
    expect(m.endpoints.map((e) => e.key)).toEqual(
      expect.arrayContaining([
        'GET /api/users/{id}',
        'GET /api/users/{id}/profile',
        'POST /api/orders',
        'GET /articles/{param}',
      ]),
    );
    const custom = await importTraffic(path.join(FIXTURES, 'custom-nginx.log'), {
      format: 'nginx',
      logFormat: fs.readFileSync(path.join(FIXTURES, 'custom-nginx.format.txt'), 'utf8'),
    });
    expect(custom.source.skipped.total).toBe(0);
    expect(custom.identities.cookie?.name).toBe('sid');
    for (const [name, format] of [
      ['common.log', 'common'],
      ['pino-http.jsonl', 'pino-http'],
      ['alb.log', 'alb'],
      ['session.har', 'har'],
    ] as const) {
      const model = await importTraffic(path.join(FIXTURES, name));
      expect(model.source.format).toBe(format);
      expect(model.summary.requests).toBeGreaterThan(200);
    }
    const mapped = await importTraffic(path.join(FIXTURES, 'custom.jsonl'), {
      format: 'jsonl',
      fields:
        'method=http.method,url=http.url,status=http.status_code,time=ts,client=client.ip,userAgent=ua,body=payload',
    });
    expect(mapped.endpoints.find((e) => e.key === 'POST /api/orders')?.bodies.length).toBeGreaterThan(0);
    expect(mapped.rate).not.toBeNull();
  });

  test('HAR: other origins counted by origin, pseudo- and hop-by-hop headers and content-length dropped', async () => {
    const m = await importTraffic(path.join(FIXTURES, 'session.har'));
    expect(m.source.otherOrigins?.origin).toBe('https://shop.example.com');
    expect(Object.keys(m.source.otherOrigins?.byOrigin ?? {}).sort()).toEqual([
      'https://cdn.example.net',
      'https://www.google-analytics.com',
    ]);
    expect(m.source.requests + (m.source.otherOrigins?.total ?? 0)).toBe(m.source.records);
    const names = new Set(m.endpoints.flatMap((e) => e.headers.map((h) => h.name)));
    for (const dropped of [
      ':method',
      ':authority',
      ':path',
      ':scheme',
      'connection',
      'content-length',
      'host',
    ])
      expect(names.has(dropped)).toBe(false);
    expect(names.has('accept')).toBe(true);
    const other = await importTraffic(path.join(FIXTURES, 'session.har'), {
      origin: 'https://cdn.example.net',
    });
    expect(other.endpoints.every((e) => e.template === '/collect')).toBe(true);
  });

  test('gzip, UTF-16 and invalid UTF-8 are read; notes say so', async () => {
    const line = '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"\n';
    const gz = await importTraffic(file('a.log.gz', gzipSync(line.repeat(3))));
    expect(gz.summary.requests).toBe(3);
    expect(gz.source.notes.join(' ')).toMatch(/gzip/);
    const utf16 = await importTraffic(
      file('b.log', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(line.repeat(2), 'utf16le')])),
    );
    expect(utf16.summary.requests).toBe(2);
    expect(utf16.source.notes.join(' ')).toMatch(/UTF-16LE/);
    const latin1 = Buffer.from(line.replace('curl/8', 'caf\u00e9'), 'latin1');
    const bad = await importTraffic(file('c.log', Buffer.concat([latin1, latin1])));
    expect(bad.summary.requests).toBe(2);
    expect(bad.source.notes.join(' ')).toMatch(/2 lines had bytes that are not UTF-8/);
  });

  test('a huge line, binary garbage inside a log: counted and skipped', async () => {
    const ok = '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "-"\n';
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    const m = await importTraffic(
      file(
        'd.log',
        Buffer.concat([
          Buffer.from(ok),
          Buffer.from('x'.repeat(200_000) + '\n'),
          garbage,
          Buffer.from('\n' + ok),
        ]),
      ),
      { format: 'combined' },
    );
    expect(m.summary.requests).toBe(2);
    expect(m.source.skipped.byReason['line longer than 64 KiB']).toBe(1);
    expect(m.source.skipped.total).toBeGreaterThanOrEqual(2);
  });

  test('empty or wholly unparseable files are one ImportError naming the expected format', async () => {
    await expect(importTraffic(file('empty.log', ''))).rejects.toThrow(ImportError);
    await expect(importTraffic(file('empty2.log', '\n\n'))).rejects.toThrow(
      /empty; expected an nginx\/Apache combined/,
    );
    const junk = file('junk.bin', Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31 + 7) % 256)));
    await expect(importTraffic(junk)).rejects.toThrow(/not a log format leakcheck recognises/);
    await expect(importTraffic(junk, { format: 'alb' })).rejects.toThrow(
      /no request could be read .* expected AWS ALB access log lines/,
    );
    await expect(importTraffic(junk, { format: 'har' })).rejects.toThrow(/expected a HAR 1.2 JSON document/);
    await expect(importTraffic(path.join(dir, 'missing.log'))).rejects.toThrow(/file not found/);
    await expect(importTraffic(junk, { format: 'nginx' })).rejects.toThrow(/--log-format/);
  });

  test('format detection from the first lines', () => {
    const read = (name: string): string =>
      fs.readFileSync(path.join(FIXTURES, name), 'utf8').slice(0, 64 * 1024);
    expect(detectFormat(read('combined.log'))).toBe('combined');
    expect(detectFormat(read('common.log'))).toBe('common');
    expect(detectFormat(read('alb.log'))).toBe('alb');
    expect(detectFormat(read('pino-http.jsonl'))).toBe('pino-http');
    expect(detectFormat(read('custom.jsonl'))).toBe('jsonl');
    expect(detectFormat(read('session.har'))).toBe('har');
    expect(detectFormat('hello world\nthis is prose\n')).toBeNull();
  });
});
