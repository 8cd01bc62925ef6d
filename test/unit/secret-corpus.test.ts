/**
 * The secret corpus: a few hundred fake secrets in the shapes real ones have (bearer tokens, JWTs,
 * AWS keys, GitHub and Stripe tokens, basic-auth URLs, session cookies, API keys in query strings,
 * passwords in JSON and form bodies, private keys, e-mail and client IP addresses, Luhn-valid card
 * numbers, national id numbers, identity-proxy JWTs, non-ASCII passwords percent-encoded),
 * generated here from a seeded generator (never real ones), planted where production traffic and a
 * service's output carry them: an access log (combined), JSON lines (pino-http), an ALB log and a
 * HAR file through traffic import, and a report's untrusted text (command line, log tail,
 * warnings, findings, endpoint names) through the one redaction step (redactReport, built on
 * src/privacy/secrets.ts) and every renderer, the pull-request comment and the target log
 * included. None may come out, raw or percent-encoded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importTraffic } from '../../src/traffic/import/import';
import { REDACTED, redactReport } from '../../src/report/redact';
import { renderReport, REPORT_FORMATS } from '../../src/report/render';
import { renderMarkdown, renderMarkdownSummary } from '../../src/report/markdown';
import { RedactedLog } from '../../src/target/log';
import type { Report } from '../../src/report/report';
import { makeReport } from './report-data';

/** Deterministic generator (mulberry32): the corpus is the same on every run. */
function generator(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
const rand = generator(20261129);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_NUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = `${ALNUM}-_`;
const pick = (alphabet: string, n: number): string =>
  Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('');
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** One fake secret: its text, and a context line (as a service or a proxy would log it). */
interface Secret {
  kind: string;
  value: string;
}

/** A 16-digit card number with a valid Luhn check digit. */
function cardNumber(): string {
  const digits = [4, ...Array.from({ length: 14 }, () => rand(10))];
  const sum = digits
    .slice()
    .reverse()
    .reduce((acc, d, k) => acc + (k % 2 === 0 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

const PER_KIND = 25;
const KINDS = 17;
const corpus: Secret[] = [];
for (let i = 0; i < PER_KIND; i++) {
  corpus.push(
    { kind: 'bearer', value: pick(B64URL, 40) },
    {
      kind: 'jwt',
      value: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: `user-${pick(ALNUM, 8)}`, iat: 1764400000 + i })}.${pick(B64URL, 43)}`,
    },
    { kind: 'aws-access-key', value: `AKIA${pick(UPPER_NUM, 16)}` },
    { kind: 'aws-secret-key', value: pick(`${ALNUM}+/`, 40) },
    { kind: 'github', value: `ghp_${pick(ALNUM, 36)}` },
    { kind: 'stripe', value: `sk_live_${pick(ALNUM, 24)}` },
    { kind: 'basic-auth-password', value: `Pw${pick(ALNUM, 10)}!${i}` },
    { kind: 'cookie', value: pick(ALNUM, 32) },
    { kind: 'api-key', value: pick(ALNUM, 32) },
    { kind: 'json-password', value: `Correct-Horse-${pick(ALNUM, 6)}-${i}` },
    { kind: 'private-key', value: pick(`${ALNUM}+/`, 64) },
    {
      kind: 'email',
      value: `${pick('abcdefghijklmnopqrstuvwxyz', 7)}.${i}@${pick('abcdefghijklmnopqrstuvwxyz', 6)}-corp.com`,
    },
    { kind: 'card', value: cardNumber() },
    {
      kind: 'national-id',
      value:
        i % 2 === 0
          ? `${100 + rand(500)}-${10 + rand(89)}-${1000 + rand(8999)}`
          : `${pick('ABCEGHJKLMNPRSTWXYZ', 1)}${pick('ABCEGHJKLMNPRSTWXYZ', 1)}${100000 + rand(899999)}${pick('ABCD', 1)}`,
    },
    // Public addresses only: loopback and private ranges are kept on purpose (not personal data).
    {
      kind: 'ip',
      value: `${[23, 34, 52, 81, 91, 145, 185, 203][rand(8)]}.${rand(256)}.${rand(256)}.${1 + rand(254)}`,
    },
    {
      kind: 'identity-jwt',
      value: `${b64url({ alg: 'ES256', kid: pick(ALNUM, 8) })}.${b64url({ email: `u${i}@example.org`, exp: 1764400000 + i })}.${pick(B64URL, 86)}`,
    },
    { kind: 'unicode-password', value: `€${pick(ALNUM, 6)}ü${i}🔑` },
  );
}
const of = (kind: string): Secret[] => corpus.filter((s) => s.kind === kind);

/** A secret must appear neither as it is nor percent-encoded. */
function leaked(text: string): string[] {
  return corpus
    .filter((s) => text.includes(s.value) || text.includes(encodeURIComponent(s.value)))
    .map((s) => `${s.kind}: ${s.value}`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-corpus-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the corpus holds a few hundred secrets of every shape', () => {
  expect(corpus.length).toBe(KINDS * PER_KIND);
  expect(new Set(corpus.map((s) => s.kind)).size).toBe(KINDS);
  expect(new Set(corpus.map((s) => s.value)).size).toBe(corpus.length);
  // The check can fail: the corpus is found in text that carries it.
  expect(leaked(`x ${of('github')[0]?.value} y`)).toHaveLength(1);
  expect(leaked(`q=${encodeURIComponent(of('aws-secret-key')[0]?.value ?? '')}`)).toHaveLength(1);
});

/** Combined-format lines: secrets in query strings, path segments and a form-like query. */
function accessLog(): string {
  const lines: string[] = [];
  const at = '[29/Nov/2026:10:00:00 +0000]';
  for (let i = 0; i < PER_KIND; i++) {
    const s = (kind: string): string => encodeURIComponent(of(kind)[i]?.value ?? '');
    const ua = '"Mozilla/5.0 (X11; Linux x86_64)"';
    const req = (target: string): string =>
      `203.0.113.${i + 1} - - ${at} "GET ${target} HTTP/1.1" 200 512 "-" ${ua}`;
    lines.push(
      req(`/api/orders?api_key=${s('api-key')}&page=${i}`),
      req(`/api/session?access_token=${s('jwt')}`),
      req(`/hooks/github/${s('github')}`),
      req(`/v1/charges?key=${s('stripe')}`),
      req(`/s3/upload?AWSAccessKeyId=${s('aws-access-key')}&Signature=${s('aws-secret-key')}`),
      req(`/login?user=jane${i}&password=${s('json-password')}`),
      req(`/cart;jsessionid=${s('cookie')}?token=${s('bearer')}`),
      req(`/users/${s('email')}/cards/${s('card')}?ssn=${s('national-id')}`),
      req(`/geo?ip=${s('ip')}&pin=${s('unicode-password')}`),
    );
  }
  return lines.join('\n') + '\n';
}

/** HAR entries: secrets in headers, cookies, query strings, JSON and form bodies, URL credentials. */
function har(): string {
  const entries = [];
  for (let i = 0; i < PER_KIND; i++) {
    const s = (kind: string): string => of(kind)[i]?.value ?? '';
    const entry = (
      method: string,
      url: string,
      headers: Record<string, string>,
      body?: { mimeType: string; text: string },
    ): unknown => ({
      startedDateTime: new Date(Date.UTC(2026, 10, 29, 10, 0, i)).toISOString(),
      time: 12,
      request: {
        method,
        url,
        httpVersion: 'HTTP/1.1',
        headers: Object.entries(headers).map(([name, value]) => ({ name, value })),
        queryString: [...new URL(url).searchParams].map(([name, value]) => ({ name, value })),
        cookies: [],
        headersSize: -1,
        bodySize: body ? body.text.length : 0,
        ...(body ? { postData: body } : {}),
      },
      response: {
        status: 200,
        statusText: 'OK',
        httpVersion: 'HTTP/1.1',
        headers: [],
        cookies: [],
        content: { size: 2, mimeType: 'application/json', text: '{}' },
        redirectURL: '',
        headersSize: -1,
        bodySize: 2,
      },
      cache: {},
      timings: { send: 1, wait: 10, receive: 1 },
    });
    entries.push(
      entry('GET', `https://api.example.com/me?page=${i}`, {
        authorization: `Bearer ${s('jwt')}`,
        cookie: `session=${s('cookie')}; theme=dark`,
        'x-api-key': s('api-key'),
        accept: 'application/json',
      }),
      entry('GET', `https://api.example.com/repos?access_token=${s('github')}`, {
        authorization: `Bearer ${s('bearer')}`,
      }),
      entry(
        'POST',
        'https://api.example.com/login',
        { 'content-type': 'application/json' },
        {
          mimeType: 'application/json',
          text: JSON.stringify({ user: { email: `jane${i}@example.com`, password: s('json-password') } }),
        },
      ),
      entry(
        'POST',
        'https://api.example.com/v1/charges',
        {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`sk:${s('stripe')}`).toString('base64')}`,
        },
        {
          mimeType: 'application/x-www-form-urlencoded',
          text: `amount=100&api_key=${encodeURIComponent(s('stripe'))}&aws_secret_access_key=${encodeURIComponent(s('aws-secret-key'))}`,
        },
      ),
      entry(
        'POST',
        'https://api.example.com/keys',
        { 'content-type': 'application/json' },
        {
          mimeType: 'application/json',
          text: JSON.stringify({
            note: `deploy with ${s('aws-access-key')}`,
            pem: `-----BEGIN RSA PRIVATE KEY-----\n${s('private-key')}\n-----END RSA PRIVATE KEY-----`,
            callback: `https://bot:${s('basic-auth-password')}@hooks.example.com/notify`,
          }),
        },
      ),
      entry(
        'POST',
        `https://api.example.com/profile/${encodeURIComponent(s('email'))}`,
        {
          'content-type': 'application/x-www-form-urlencoded',
          'x-amzn-oidc-data': s('identity-jwt'),
          'cf-access-jwt-assertion': s('identity-jwt'),
          'x-goog-iap-jwt-assertion': s('identity-jwt'),
          'x-forwarded-for': `${s('ip')}, 10.0.0.1`,
          'x-real-ip': s('ip'),
          'x-user-email': s('email'),
        },
        {
          mimeType: 'application/x-www-form-urlencoded',
          text: `pass=${encodeURIComponent(s('unicode-password'))}&card=${s('card')}&nid=${encodeURIComponent(s('national-id'))}`,
        },
      ),
      entry(
        'PUT',
        'https://api.example.com/accounts',
        { 'content-type': 'application/json' },
        {
          mimeType: 'application/json',
          text: JSON.stringify({
            a: { b: [{ c: { authorization: `Bearer ${s('identity-jwt')}`, contact: s('email') } }] },
            billing: { card: s('card'), nationalId: s('national-id'), lastIp: s('ip') },
            message: `reset done, password=${s('unicode-password')}`,
          }),
        },
      ),
    );
  }
  return JSON.stringify({ log: { version: '1.2', creator: { name: 'corpus', version: '1' }, entries } });
}

/** pino-http lines: secrets in the URL, headers and the remote address. */
function pinoLog(): string {
  const lines: string[] = [];
  for (let i = 0; i < PER_KIND; i++) {
    const s = (kind: string): string => of(kind)[i]?.value ?? '';
    const line = (url: string, headers: Record<string, string>): string =>
      JSON.stringify({
        level: 30,
        time: Date.UTC(2026, 10, 29, 10, 0, i),
        msg: 'request completed',
        req: { method: 'GET', url, headers, remoteAddress: s('ip'), remotePort: 50000 + i },
        res: { statusCode: 200 },
        responseTime: 3,
      });
    lines.push(
      line(`/api/me?token=${encodeURIComponent(s('github'))}&email=${encodeURIComponent(s('email'))}`, {
        authorization: `Bearer ${s('identity-jwt')}`,
        cookie: `sid=${s('cookie')}`,
        'x-forwarded-for': s('ip'),
      }),
      line(
        `/pay/${s('card')}?key=${encodeURIComponent(s('stripe'))}&ssn=${encodeURIComponent(s('national-id'))}`,
        {
          'x-api-key': s('api-key'),
          'x-amzn-oidc-data': s('jwt'),
        },
      ),
    );
  }
  return lines.join('\n') + '\n';
}

/** ALB lines: the client address, and secrets in the request URL. */
function albLog(): string {
  const lines: string[] = [];
  for (let i = 0; i < PER_KIND; i++) {
    const s = (kind: string): string => encodeURIComponent(of(kind)[i]?.value ?? '');
    const at = new Date(Date.UTC(2026, 10, 29, 10, 0, i)).toISOString();
    const request = (url: string): string =>
      `https ${at} app/my-alb/50dc6c495c0c9188 ${of('ip')[i]?.value ?? ''}:4${i}00 10.0.1.5:8080 0.001 0.010 0.000 200 200 120 512 ` +
      `"GET https://api.example.com:443${url} HTTP/1.1" "curl/8.4.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 ` +
      `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 ${at} "forward" "-" "-" "10.0.1.5:8080" "200" "-" "-"`;
    lines.push(
      request(`/v1/orders?api_key=${s('api-key')}&access_token=${s('jwt')}`),
      request(
        `/u/${s('email')}/card/${s('card')}?password=${s('unicode-password')}&AWSAccessKeyId=${s('aws-access-key')}`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}

describe('traffic import stores no secret in the model (traffic.json)', () => {
  test('JSON lines (pino-http)', async () => {
    const file = path.join(tmp, 'app.jsonl');
    fs.writeFileSync(file, pinoLog());
    const model = await importTraffic(file, { format: 'pino-http' });
    expect(model.endpoints.length).toBeGreaterThan(0);
    expect(leaked(JSON.stringify(model))).toEqual([]);
  });

  test('ALB', async () => {
    const file = path.join(tmp, 'alb.log');
    fs.writeFileSync(file, albLog());
    const model = await importTraffic(file, { format: 'alb' });
    expect(model.endpoints.length).toBeGreaterThan(0);
    expect(model.source.records).toBe(2 * PER_KIND);
    expect(leaked(JSON.stringify(model))).toEqual([]);
  });

  test('access log (combined)', async () => {
    const file = path.join(tmp, 'access.log');
    fs.writeFileSync(file, accessLog());
    const model = await importTraffic(file, { format: 'combined' });
    const json = JSON.stringify(model);
    expect(model.endpoints.length).toBeGreaterThan(0);
    expect(leaked(json)).toEqual([]);
  });

  test('HAR', async () => {
    const file = path.join(tmp, 'session.har');
    fs.writeFileSync(file, har());
    const model = await importTraffic(file, { format: 'har', origin: 'https://api.example.com' });
    const json = JSON.stringify(model);
    expect(model.endpoints.length).toBeGreaterThan(0);
    expect(leaked(json)).toEqual([]);
  });
});

/** Lines a service might print: each carries secrets in a form a log line has them. */
function serviceLines(i: number): string[] {
  const s = (kind: string): string => of(kind)[i]?.value ?? '';
  return [
    `auth: Authorization: Bearer ${s('bearer')}`,
    `verified token ${s('jwt')}`,
    `AWS_ACCESS_KEY_ID=${s('aws-access-key')} AWS_SECRET_ACCESS_KEY=${s('aws-secret-key')}`,
    `GITHUB_TOKEN=${s('github')}`,
    `stripe: api_key: ${s('stripe')}`,
    `connecting to postgres://admin:${s('basic-auth-password')}@db.internal:5432/app`,
    `Set-Cookie: session=${s('cookie')}; HttpOnly`,
    `GET /export?api_key=${s('api-key')} 200`,
    `body {"username":"jane","password":"${s('json-password')}"}`,
    `-----BEGIN PRIVATE KEY----- ${s('private-key')} -----END PRIVATE KEY-----`,
    `user ${s('email')} paid with ${s('card')} (id ${s('national-id')}) from ${s('ip')}`,
    `x-amzn-oidc-data: ${s('identity-jwt')}`,
    `password=${encodeURIComponent(s('unicode-password'))}`,
  ];
}

describe('reports, the comment and the target log carry no secret', () => {
  const lines = Array.from({ length: PER_KIND }, (_, i) => serviceLines(i)).flat();

  /** A crashed run's report with the service's text in every untrusted place, redacted as a run does. */
  function plantedReport(): Report {
    const report = makeReport({ bytesPerRequest: 366, crashed: true, findings: true });
    report.target.command = `node server.js --token ${of('github')[0]?.value} --db postgres://u:${of('basic-auth-password')[0]?.value}@h/db`;
    report.warnings.push(...lines.slice(0, 40));
    if (report.failure) report.failure.logTail.push(...lines);
    for (const [k, f] of (report.findings ?? []).entries()) f.title = `${f.title} ${lines[k] ?? ''}`;
    return redactReport(report);
  }

  test('the planted report really carried them before redaction', () => {
    const raw = makeReport({ bytesPerRequest: 366, crashed: true });
    raw.failure?.logTail.push(...lines);
    expect(leaked(JSON.stringify(raw))).toHaveLength(corpus.length);
  });

  test('redaction kept the lines and replaced what was secret in them', () => {
    const report = plantedReport();
    expect(report.failure?.logTail.length).toBeGreaterThanOrEqual(lines.length);
    expect(report.failure?.logTail.filter((l) => l.includes(REDACTED)).length).toBeGreaterThanOrEqual(
      lines.length,
    );
    expect(report.failure?.logTail).toContain(`stripe: api_key: ${REDACTED}`);
  });

  test.each(REPORT_FORMATS)('report %s', (format) => {
    expect(leaked(renderReport(plantedReport(), format))).toEqual([]);
  });

  test('the job summary and the pull-request comment', () => {
    const report = plantedReport();
    expect(leaked(renderMarkdownSummary(report))).toEqual([]);
    expect(
      leaked(renderMarkdown(report, { sections: ['headline', 'failure', 'metrics', 'findings'] })),
    ).toEqual([]);
  });

  test('target.log as kept in the output folder', async () => {
    const file = path.join(tmp, 'target.log');
    const log = new RedactedLog(file);
    // Written in awkward pieces, as a pipe delivers them.
    const text = lines.join('\n') + '\n';
    for (let at = 0; at < text.length; at += 97) log.write(Buffer.from(text.slice(at, at + 97)));
    await log.end();
    const kept = fs.readFileSync(file, 'utf8');
    expect(kept.split('\n').length).toBe(lines.length + 1);
    expect(leaked(kept)).toEqual([]);
  });
});
