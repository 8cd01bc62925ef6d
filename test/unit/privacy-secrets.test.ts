/**
 * What counts as a secret, both ways: every shape the issue lists is found (raw and
 * percent-encoded), and ordinary text, leakcheck's own metadata and harmless values are kept.
 */
import { isHighEntropy, isSecretName, luhn, secretShape } from '../../src/privacy/secrets';
import { REDACTED, redactReport, redactText, redactUrl } from '../../src/report/redact';
import { escapeMarkdown, stripControl } from '../../src/report/escape';
import { anonymizeBody, anonymizeTarget, Anonymizer, headerFate } from '../../src/traffic/model/privacy';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiZW1haWwiOiJhQGIuY29tIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const GHP = 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';

describe('secret names', () => {
  test.each([
    'password',
    'pass',
    'pin',
    'passwd',
    'api_key',
    'apiKey',
    'X-Api-Key',
    'api%5Fkey',
    'authorization',
    'jsessionid',
    'GITHUB_TOKEN',
    'INPUT_GITHUB-TOKEN',
    'client_secret',
    'email',
    'user_email',
    'ssn',
    'card_number',
  ])('%s is a secret name', (name) => expect(isSecretName(name)).toBe(true));

  test.each(['page', 'q', 'sort', 'limit', 'keyword', 'category', 'lang', 'passenger', 'id'])(
    '%s is not',
    (name) => expect(isSecretName(name)).toBe(false),
  );
});

describe('secret shapes', () => {
  test.each([
    [JWT, 'jwt'],
    [GHP, 'provider-token'],
    ['sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'provider-token'],
    ['xoxb-2345678901-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'provider-token'],
    ['AKIAIOSFODNN7EXAMPLE', 'provider-token'],
    ['jane.doe@example.com', 'email'],
    ['jane.doe%40example.com', 'email'],
    ['203.0.113.7', 'ip'],
    ['2001:db8:85a3::8a2e:370:7334', 'ip'],
    ['4111 1111 1111 1111', 'card'],
    ['5500-0000-0000-0004', 'card'],
    ['078-05-1120', 'national-id'],
    ['AB123456C', 'national-id'],
    ['Zx81kQ0pLm2nB7vC4xT9aa8Rp2', 'high-entropy'],
  ])('%s is %s', (value, kind) => expect(secretShape(value)).toBe(kind));

  test.each([
    'hello world',
    'how-to-fold-a-shirt-in-2023',
    '6f1c2a3e-1b2c-4d5e-8f90-123456789abc',
    '4111 1111 1111 1112', // fails Luhn
    '127.0.0.1',
    '12:30:45',
    'node_modules/express/lib/router',
    '0123456789abcdef0123456789abcdef01234567', // a commit id
    'application/json',
    // A stack frame's file in a checkout whose folder name holds a digit (CI clones).
    '/tmp/ci-final3/fixtures/incident-auth/server',
    '/home/runner/work/app2/app2/src/routes/users-v2',
  ])('%s is not a secret', (value) => expect(secretShape(value)).toBeNull());

  test('Luhn and entropy helpers', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('4111111111111112')).toBe(false);
    expect(isHighEntropy('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1')).toBe(false);
  });
});

describe('redaction of free text', () => {
  test.each([
    ['postgres://admin:S3cretPass@db.internal:5432/app', 'S3cretPass'],
    ['config api_key: sk_live_4eC39HqLyjWDarjtT1zdp7dc loaded', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
    ['env GITHUB_TOKEN=ghs_abcdefghijklmnopqrstuvwxyz0123456789', 'ghs_abcdefghijklmnopqrstuvwxyz0123'],
    ['INPUT_GITHUB-TOKEN=plainvalue123', 'plainvalue123'],
    ['authorization: Bearer opaqueTokenValue42', 'opaqueTokenValue42'],
    [`token in text ${GHP} here`, GHP],
    ['login failed for jane.doe@example.com from 203.0.113.7', 'jane.doe@example.com'],
    ['login failed for jane.doe@example.com from 203.0.113.7', '203.0.113.7'],
    ['GET /x?password=%F0%9F%94%91k3y&page=2', '%F0%9F%94%91k3y'],
    ['body password%3Dhunter2%26x%3D1', 'hunter2'],
    ['--password hunter2 --port 8080', 'hunter2'],
    ['charged card 4111-1111-1111-1111 ok', '4111-1111-1111-1111'],
    ['"pin":"9182"', '9182'],
    ['GET /callback?code=4/0AX4XfWhQ7sLkJ2&state=x', '4/0AX4XfWhQ7sLkJ2'],
    ['code: TOKEN1234', 'TOKEN1234'],
    ["password: 'EMFILE'", 'EMFILE'],
  ])('%s loses %s', (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  test('ordinary text and numbers are kept', () => {
    for (const text of [
      'PASS: all 5 gating metrics passed; heap grows 85 B/request (95% CI 54–123)',
      'the target exited with code 1 during the start-up',
      'listening on http://127.0.0.1:3000',
      'GET /api/users/12939 200 3880',
      'at Server.<anonymous> (/srv/app/node_modules/express/lib/router/index.js:284:7)',
      // A stack frame's file position, whatever the file is called.
      'createSession (/srv/app/src/sessions.ts:19:20)',
      '/srv/app/auth.js:12',
      // An error's code is the diagnosis of a log tail.
      "  code: 'EMFILE',",
      "{ code: 'ECONNREFUSED', syscall: 'connect' }",
      "code: 'ERR_HTTP_HEADERS_SENT'",
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  test('control sequences are removed, newlines and tabs kept', () => {
    expect(redactText('a\u001b[31mred\u001b[0m\tb\nc\u0007\u001b]0;title\u0007')).toBe('ared\tb\nc');
    expect(stripControl('x\u009b2Jy\u202Ez')).toBe('xyz');
  });

  test('URLs: secret-named query values and path parameters', () => {
    expect(redactUrl('/cb;jsessionid=ABC123?token=s3&page=2')).toBe(
      `/cb;jsessionid=${REDACTED}?token=${REDACTED}&page=2`,
    );
    expect(redactUrl('/users/jane%40example.com/orders')).toBe(`/users/${REDACTED}/orders`);
  });

  test("a report: leakcheck's own metadata kept, the service's text redacted", () => {
    const report = {
      tool: { name: 'leakcheck', version: '1.2.3' },
      target: { command: 'node server.js --token=abc123secret', cwd: '/srv/app', logFile: '/srv/app/t.log' },
      base: { commit: '0123456789abcdef0123456789abcdef01234567' },
      failure: { message: 'boom', logTail: ['DATABASE_URL=postgres://u:p4ss@h/db'] },
      settings: {
        requests: [{ path: '/a?api_key=k1', headers: { 'x-tenant': 'acme', accept: 'text/html' } }],
      },
    };
    const out = redactReport(report);
    expect(out.tool).toEqual(report.tool);
    expect(out.base.commit).toBe(report.base.commit);
    expect(out.target.cwd).toBe('/srv/app');
    expect(out.target.command).toBe(`node server.js --token=${REDACTED}`);
    expect(out.failure.logTail[0]).not.toContain('p4ss');
    expect(out.settings.requests[0]?.path).toBe(`/a?api_key=${REDACTED}`);
    expect(out.settings.requests[0]?.headers).toEqual({ 'x-tenant': REDACTED, accept: 'text/html' });
  });
});

describe('Markdown from untrusted text', () => {
  test('mentions, references and autolinks are broken; the text still reads the same', () => {
    const out = escapeMarkdown(
      'ping @octocat and @org/team about #123, GH-7, see https://evil.test and www.evil.test',
    );
    expect(out).not.toMatch(/@octocat|@org|#123|GH-7|https:\/\/|www\./);
    expect(out.replace(/&#8203;/g, '')).toBe(
      'ping @octocat and @org/team about #123, GH-7, see https://evil.test and www.evil.test',
    );
  });
  test('an e-mail-like word with an @ inside a word is left alone', () => {
    expect(escapeMarkdown('a@b')).toBe('a@b');
  });
});

describe('traffic model privacy', () => {
  const anon = new Anonymizer(Buffer.alloc(32, 3));

  test('percent-encoded secret values are replaced, not kept byte for byte', () => {
    const out = anonymizeTarget('/login?password=%F0%9F%94%91hunter&next=%2Fhome', anon);
    expect(out).not.toContain('%F0%9F%94%91');
    expect(out).not.toContain('hunter');
    expect(out).toContain('next=%2Fhome');
    const form = anonymizeBody(
      'pass=hunter2&pin=4812&amount=%E2%82%AC12',
      'application/x-www-form-urlencoded',
      anon,
    );
    expect(form).not.toMatch(/hunter2|4812/);
    expect(form).toContain('amount=%E2%82%AC12');
  });

  test('path segments, ;params and free-text values', () => {
    const out = anonymizeTarget(
      '/users/jane%40example.com/cart;jsessionid=A1B2C3D4?q=call+me+at+jane@example.com',
      anon,
    );
    expect(out).not.toMatch(/jane|A1B2C3D4/);
    // The whole value goes when a secret is found in it (words and all): nothing of it is kept.
    expect(out).toMatch(/^\/users\/[^/]+\/cart;jsessionid=[A-Z]\d[A-Z]\d[A-Z]\d[A-Z]\d\?q=\S+$/);
  });

  test('JSON at any depth, by name and by shape', () => {
    const body = JSON.stringify({
      a: { b: [{ authorization: `Bearer ${JWT}`, note: `token ${GHP}`, sku: 'AB-123' }] },
      contact: 'jane.doe@example.com',
      card: 4111111111111111,
    });
    const out = anonymizeBody(body, 'application/json', anon);
    for (const s of [JWT.slice(0, 30), GHP, 'jane.doe', '4111111111111111']) expect(out).not.toContain(s);
    expect(JSON.parse(out).a.b[0].sku).toBe('AB-123');
  });

  test('headers are default-deny; identity headers synthesised with the same cardinality', () => {
    expect(headerFate('accept-language')).toBe('keep');
    expect(headerFate('content-type')).toBe('keep');
    expect(headerFate('x-amzn-oidc-data')).toBe('secret');
    expect(headerFate('cf-access-jwt-assertion')).toBe('secret');
    expect(headerFate('x-user-email')).toBe('secret');
    expect(headerFate('x-forwarded-for')).toBe('client');
    expect(headerFate('x-real-ip')).toBe('client');
    const a = anon.identity('203.0.113.7, 198.51.100.2');
    expect(a).toMatch(/^10\.\d+\.\d+\.\d+, 10\.\d+\.\d+\.\d+$/);
    expect(anon.identity('203.0.113.7, 198.51.100.2')).toBe(a);
    expect(anon.identity('203.0.113.8')).not.toBe(anon.identity('203.0.113.7'));
  });
});
