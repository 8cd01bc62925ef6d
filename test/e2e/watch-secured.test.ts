/**
 * `leakcheck watch` against secured backends: a real Prometheus (Debian's package) started with a
 * web config that requires basic auth over TLS with a client certificate (a CA, server and client
 * certificate made with openssl for the test), and a small gateway in front of it, as Mimir,
 * Cortex or Thanos deployments put one, that requires a bearer token and a tenant header
 * (X-Scope-OrgID). Prometheus scrapes a gauge served by this test. Secrets come from a file and
 * from the environment and must appear in no output and no report. Skipped only where prometheus
 * or openssl is not installed and CI is not set; in CI it must run.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { WatchReport } from '../../src/watch';
import { runCli } from './helpers';
import { installed, IN_CI, startPrometheus, stopGroup, until } from './prometheus';

const HAVE_TOOLS = installed('prometheus') && installed('openssl', ['version']);
if (!HAVE_TOOLS && !IN_CI) {
  process.stderr.write('watch-secured.test.ts: SKIPPED: prometheus or openssl is not installed\n');
}
const describeSecured = HAVE_TOOLS || IN_CI ? describe : describe.skip;

const USER = 'alice';
const PASSWORD = 'leakcheck-test-password';
// bcrypt of PASSWORD (cost 10), as Prometheus' web config wants it; made once with bcryptjs.
const PASSWORD_BCRYPT = '$2a$10$SuekA8cqINagJshfHs5c2uozwKasD9gE0zvRWFRFKthJZ4vlZh7F.';
const TOKEN = 'gateway-token-for-tests-3f9a';
const TENANT = 'team-a';

function openssl(cwd: string, args: string[]): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr}`);
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=test-ca',
  ]);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  }
}

describeSecured('leakcheck watch against secured Prometheus backends', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-secured-'));
  const file = (name: string): string => path.join(tmp, name);
  let prometheus: ChildProcess | undefined;
  let target: http.Server | undefined;
  let gateway: http.Server | undefined;
  let promUrl = '';
  let gatewayUrl = '';
  const gatewaySaw: Array<string | undefined> = [];

  /** GET on the secured Prometheus with everything it requires (the test's own client). */
  function promGet(pathAndQuery: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = https.get(
        `${promUrl}${pathAndQuery}`,
        {
          ca: fs.readFileSync(file('ca.pem')),
          cert: fs.readFileSync(file('client.pem')),
          key: fs.readFileSync(file('client.key')),
          auth: `${USER}:${PASSWORD}`,
          timeout: 5000,
        },
        (response) => {
          let body = '';
          response.on('data', (d: Buffer) => (body += d.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', reject);
    });
  }

  beforeAll(async () => {
    if (!HAVE_TOOLS) throw new Error('CI is set but prometheus/openssl are not installed');
    makeCertificates(tmp);
    fs.writeFileSync(file('password'), `${PASSWORD}\n`, { mode: 0o600 });
    fs.writeFileSync(file('token'), `${TOKEN}\n`, { mode: 0o600 });

    // The scraped service: one gauge per scrape, flat with a little noise.
    let scrapes = 0;
    target = http.createServer((_req, res) => {
      scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE app_heap_bytes gauge\napp_heap_bytes ${50_000_000 + (scrapes % 7) * 1000}\n`);
    });
    await new Promise<void>((r) => target?.listen(0, '127.0.0.1', () => r()));
    const targetPort = (target.address() as net.AddressInfo).port;

    fs.writeFileSync(
      file('web.yml'),
      [
        'tls_server_config:',
        `  cert_file: ${JSON.stringify(file('server.pem'))}`,
        `  key_file: ${JSON.stringify(file('server.key'))}`,
        '  client_auth_type: RequireAndVerifyClientCert',
        `  client_ca_file: ${JSON.stringify(file('ca.pem'))}`,
        'basic_auth_users:',
        `  ${USER}: ${JSON.stringify(PASSWORD_BCRYPT)}`,
        '',
      ].join('\n'),
    );
    const started = await startPrometheus({
      dir: tmp,
      jobs: { app: [`127.0.0.1:${targetPort}`] },
      webConfigFile: file('web.yml'),
      ready: async (url) => {
        promUrl = url;
        return (await promGet('/-/ready')).status === 200;
      },
    });
    prometheus = started.child;
    promUrl = started.url;

    // The gateway: bearer token and tenant header required; forwards with its own credentials.
    gateway = http.createServer((req, res) => {
      gatewaySaw.push(req.headers['x-scope-orgid'] as string | undefined);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('unauthorized\n');
        return;
      }
      if (req.headers['x-scope-orgid'] !== TENANT) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('no org id\n');
        return;
      }
      const upstream = https.request(
        `${promUrl}${req.url ?? '/'}`,
        {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
          ca: fs.readFileSync(file('ca.pem')),
          cert: fs.readFileSync(file('client.pem')),
          key: fs.readFileSync(file('client.key')),
          auth: `${USER}:${PASSWORD}`,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? '' });
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => gateway?.listen(0, '127.0.0.1', () => r()));
    gatewayUrl = `http://127.0.0.1:${(gateway.address() as net.AddressInfo).port}`;

    // Enough points for a verdict: 12 scrapes of the gauge.
    await until('12 scraped points', 60_000, async () => {
      const q = encodeURIComponent('count_over_time(app_heap_bytes[5m])');
      const answer = await promGet(`/api/v1/query?query=${q}`);
      const parsed = JSON.parse(answer.body) as { data: { result: Array<{ value: [number, string] }> } };
      return Number(parsed.data.result[0]?.value[1] ?? 0) >= 12;
    });
  }, 120_000);

  afterAll(async () => {
    await stopGroup(prometheus);
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    gateway?.closeAllConnections();
    await new Promise<void>((r) => (gateway ? gateway.close(() => r()) : r()));
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  const tlsFlags = (): string[] => [
    '--ca-file',
    file('ca.pem'),
    '--cert-file',
    file('client.pem'),
    '--key-file',
    file('client.key'),
  ];
  const watch = (base: string, extra: string[], env: NodeJS.ProcessEnv = {}): ReturnType<typeof runCli> =>
    runCli(
      [
        'watch',
        '--prometheus',
        base,
        '--query',
        'app_heap_bytes',
        '--range',
        '12s',
        '--step',
        '1s',
        '--format',
        'json',
        ...extra,
      ],
      { env, timeoutMs: 60_000 },
    );

  function noSecrets(...texts: string[]): void {
    for (const text of texts) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
    }
  }

  it('queries Prometheus with basic auth from a file, a CA and a client certificate', async () => {
    const out = file('report.json');
    const run = await watch(promUrl, [
      '--username',
      USER,
      '--password-file',
      file('password'),
      ...tlsFlags(),
      '--output',
      out,
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    const report = JSON.parse(text) as WatchReport;
    expect(report.verdict).toBe('pass');
    expect(report.instances).toHaveLength(1);
    expect(report.instances[0]?.perHour.samples).toBeGreaterThanOrEqual(8);
    expect(report.access).toEqual({ auth: 'basic', headers: [], ca: true, clientCertificate: true });
    noSecrets(run.stdout, run.stderr, text);
  }, 60_000);

  it('takes the password from the environment, and says when it is refused (exit 2, no secret shown)', async () => {
    const ok = await watch(promUrl, ['--username', USER, '--password-env', 'PROM_PASSWORD', ...tlsFlags()], {
      PROM_PASSWORD: PASSWORD,
    });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as WatchReport).access.auth).toBe('basic');
    noSecrets(ok.stdout, ok.stderr);

    const wrong = await watch(
      promUrl,
      ['--username', USER, '--password-env', 'PROM_PASSWORD', ...tlsFlags()],
      {
        PROM_PASSWORD: 'not-the-password',
      },
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /^leakcheck watch: Prometheus at https:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range answered HTTP 401 .*the basic credentials given were refused/,
    );
    expect(wrong.stderr).not.toContain('not-the-password');

    const none = await watch(promUrl, tlsFlags());
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/answered HTTP 401 .*no credentials were given/);

    const unset = await watch(promUrl, [
      '--username',
      USER,
      '--password-env',
      'PROM_PASSWORD_UNSET',
      ...tlsFlags(),
    ]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toBe(
      'leakcheck watch: --password-env: the environment variable PROM_PASSWORD_UNSET is not set or empty\n',
    );
  }, 90_000);

  it("needs the server's CA and a client certificate: clear errors without them", async () => {
    const basic = ['--username', USER, '--password-file', file('password')];
    const noCa = await watch(promUrl, [
      ...basic,
      '--cert-file',
      file('client.pem'),
      '--key-file',
      file('client.key'),
    ]);
    expect(noCa.code).toBe(3);
    expect(noCa.stderr).toMatch(
      /cannot reach Prometheus at https:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range: [A-Z_]+ \(.*give its CA with --ca-file\)/,
    );

    const noCert = await watch(promUrl, [...basic, '--ca-file', file('ca.pem')]);
    expect(noCert.code).not.toBe(0);
    expect(noCert.stdout).toBe('');

    const halfCert = await watch(promUrl, [
      ...basic,
      '--ca-file',
      file('ca.pem'),
      '--cert-file',
      file('client.pem'),
    ]);
    expect(halfCert.code).toBe(2);
    expect(halfCert.stderr).toBe(
      'leakcheck watch: --cert-file and --key-file: a client certificate needs both\n',
    );
  }, 90_000);

  it('reaches Prometheus through a gateway that wants a bearer token and X-Scope-OrgID', async () => {
    const token = ['--bearer-token-file', file('token')];
    const noTenant = await watch(gatewayUrl, token);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toMatch(
      /answered HTTP 401 "no org id": the bearer credentials given were refused/,
    );

    gatewaySaw.length = 0;
    const run = await watch(gatewayUrl, [...token, '--header', `X-Scope-OrgID: ${TENANT}`]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as WatchReport;
    expect(report.access).toEqual({
      auth: 'bearer',
      headers: ['X-Scope-OrgID'],
      ca: false,
      clientCertificate: false,
    });
    expect(report.instances).toHaveLength(1);
    expect(gatewaySaw).toEqual([TENANT]);
    noSecrets(run.stdout, run.stderr);

    const fromEnv = await watch(
      gatewayUrl,
      ['--bearer-token-env', 'GW_TOKEN', '--header', `X-Scope-OrgID: ${TENANT}`],
      {
        GW_TOKEN: TOKEN,
      },
    );
    expect(fromEnv.code).toBe(0);
  }, 90_000);

  it('refuses credentials on the command line', async () => {
    const inUrl = await watch(`https://${USER}:${PASSWORD}@127.0.0.1:1`, []);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toMatch(/^leakcheck watch: --prometheus: credentials in the URL are not accepted/);
    noSecrets(inUrl.stderr);
    const asHeader = await watch(gatewayUrl, ['--header', `Authorization: Bearer ${TOKEN}`]);
    expect(asHeader.code).toBe(2);
    expect(asHeader.stderr).toMatch(/Authorization carries credentials: give them with --bearer-token-file/);
  }, 60_000);
});
