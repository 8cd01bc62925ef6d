/**
 * `leakcheck watch` and `leakcheck alerts` against a real Prometheus (Debian's package) scraping
 * two services that use the exporter: fixtures/prometheus/leaky.js (preloaded exporter, metrics on
 * their own port) and clean.js (exporter as a library, /metrics on the service's port).
 *
 * The test starts its own Prometheus on 127.0.0.1 with a 1 s scrape and rule-evaluation interval
 * and the generated rules (short windows given as flags; the production defaults stay as they
 * are), drives both services at the same paced rate, and stops every process at the end.
 * Skipped only where prometheus is not installed and CI is not set; in CI it must run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import type { WatchReport } from '../../src/watch';
import { CLI, ROOT, runCli } from './helpers';
import { freePort, getJson, installed, IN_CI, startPrometheus, stopGroup, until } from './prometheus';

const HAVE_PROMETHEUS = installed('prometheus') && installed('promtool');
if (!HAVE_PROMETHEUS && !IN_CI) {
  process.stderr.write(
    'watch.test.ts: SKIPPED: prometheus/promtool are not installed (apt-get install -y prometheus); ' +
      'in CI (CI set) these tests run and fail without them\n',
  );
}
const describeProm = HAVE_PROMETHEUS || IN_CI ? describe : describe.skip;

/** Requests per second each service gets; ~40 KB retained per request in the leaky one. */
const RATE = 50;
/** Old-space limit of both services: a leak of ~2 MB/s then reaches it within the 10 min horizon. */
const OLD_SPACE_MB = 512;

interface Service {
  child: ChildProcess;
  port: number;
  metricsPort: number;
}

/** Starts a fixture in its own process group and reads the {"port"} line it prints. */
async function startService(
  file: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: string[],
): Promise<ChildProcess & { port: Promise<number> }> {
  const child = spawn(process.execPath, [`--max-old-space-size=${OLD_SPACE_MB}`, ...nodeArgs, file], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before listening: ${stderr}`)));
  });
  return Object.assign(child, { port });
}

async function requestsServed(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('leakcheck_http_requests_total '));
  return line ? Number(line.split(' ')[1]) : 0;
}

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

describeProm('leakcheck watch and alerts against Prometheus', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-watch-'));
  const rulesFile = path.join(tmp, 'rules.yml');
  let leaky: Service | undefined;
  let clean: Service | undefined;
  let prometheus: ChildProcess | undefined;
  let promUrl = '';
  let promStartedAt = 0;
  const loads: autocannon.Instance[] = [];
  const loadsDone: Array<Promise<void>> = [];

  beforeAll(async () => {
    if (!HAVE_PROMETHEUS) {
      throw new Error('CI is set but prometheus/promtool are not installed: .ci/run must install them');
    }
    const leakyMetricsPort = await freePort();
    const leakyChild = await startService(
      path.join(ROOT, 'fixtures', 'prometheus', 'leaky.js'),
      { LEAKCHECK_EXPORTER_PORT: String(leakyMetricsPort) },
      ['--require', path.join(ROOT, 'exporter')],
    );
    const cleanChild = await startService(path.join(ROOT, 'fixtures', 'prometheus', 'clean.js'), {}, []);
    leaky = { child: leakyChild, port: await leakyChild.port, metricsPort: leakyMetricsPort };
    const cleanPort = await cleanChild.port;
    clean = { child: cleanChild, port: cleanPort, metricsPort: cleanPort };

    for (const service of [leaky, clean]) {
      loadsDone.push(
        new Promise((resolve) => {
          loads.push(
            autocannon(
              {
                url: `http://127.0.0.1:${service.port}/`,
                connections: 2,
                overallRate: RATE,
                duration: 300, // bounded even if the test never stops it (afterAll stops it)
                sampleInt: 100,
              },
              () => resolve(),
            ),
          );
        }),
      );
    }
    // Warm-up by count: the clean service's cache (250 entries) fills, both have run major GCs.
    for (const service of [leaky, clean]) {
      const url = `http://127.0.0.1:${service.metricsPort}/metrics`;
      await until('warm-up requests', 40_000, async () => ((await requestsServed(url)) >= 400 ? true : null));
    }

    // Test-scale rules: short windows and `for`, thresholds for a 2 MB/s leak. Flags only.
    const generated = await runCli([
      'alerts',
      '--out',
      rulesFile,
      '--interval',
      '1s',
      '--predict-window',
      '20s',
      '--horizon',
      '10m',
      '--limit-for',
      '5s',
      '--growth-window',
      '30s',
      '--growth-for',
      '5s',
      '--threshold-per-hour',
      '500MB',
      '--min-growth',
      '8MB',
      '--min-major-gcs',
      '2',
      '--absent-window',
      '10m',
      '--absent-for',
      '2s',
    ]);
    expect(generated.code).toBe(0);

    promStartedAt = Date.now();
    const started = await startPrometheus({
      dir: tmp,
      jobs: {
        leaky: [`127.0.0.1:${leaky.metricsPort}`],
        clean: [`127.0.0.1:${clean.metricsPort}`],
      },
      ruleFiles: [rulesFile],
    });
    prometheus = started.child;
    promUrl = started.url;
    await until('both targets up', 30_000, async () => {
      const targets = await getJson<{ data: { activeTargets: Array<{ health: string }> } }>(
        `${promUrl}/api/v1/targets`,
      );
      const up = targets.data.activeTargets.filter((t) => t.health === 'up').length;
      return up === 2 ? true : null;
    });
  }, 100_000);

  afterAll(async () => {
    for (const load of loads) load.stop();
    await Promise.race([Promise.all(loadsDone), new Promise((r) => setTimeout(r, 5000).unref())]);
    await stopGroup(prometheus);
    await stopGroup(leaky?.child);
    await stopGroup(clean?.child);
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('generates rules that promtool accepts, with the production defaults and with test windows', () => {
    const defaults = path.join(tmp, 'defaults.yml');
    const out = spawnSync(
      process.execPath,
      [CLI, 'alerts', '-o', defaults, '--threshold-per-request', '64'],
      {
        encoding: 'utf8',
      },
    );
    expect(out.status).toBe(0);
    const text = fs.readFileSync(defaults, 'utf8');
    expect(text).toContain('predict_linear(leakcheck_heap_used_after_gc_bytes[1h], 3600)');
    expect(text).toContain('record: instance:leakcheck_heap_used_after_gc_bytes_per_hour:deriv6h');
    expect(text).toContain('alert: LeakcheckExporterAbsent');
    expect(text).toContain('runbook_url: https://www.npmjs.com/package/leakcheck#runbook-');
    expect(text).toContain('for: 10m');
    for (const file of [defaults, rulesFile]) {
      const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toContain('SUCCESS');
      expect(check.status).toBe(0);
    }
  });

  it('fires the limit and growth alerts for the leaking instance only', async () => {
    const cleanSeen: PromAlert[] = [];
    const firing = await until('both alerts firing for the leaky instance', 90_000, async () => {
      const answer = await getJson<{ data: { alerts: PromAlert[] } }>(`${promUrl}/api/v1/alerts`);
      cleanSeen.push(...answer.data.alerts.filter((a) => a.labels.job === 'clean'));
      const names = new Set(
        answer.data.alerts
          .filter((a) => a.labels.job === 'leaky' && a.state === 'firing')
          .map((a) => a.labels.alertname),
      );
      return names.has('LeakcheckHeapLimitWithinHorizon') && names.has('LeakcheckSustainedHeapGrowth')
        ? answer.data.alerts
        : null;
    });
    expect(firing.filter((a) => a.labels.job === 'leaky' && a.state === 'firing').length).toBe(2);
    // Not firing, and never even pending, for the clean service at any poll.
    expect(cleanSeen).toEqual([]);
    expect(firing.filter((a) => a.labels.job === 'clean')).toEqual([]);
  }, 100_000);

  /**
   * The post-GC gauge only moves when V8 runs a major GC on its own, so how many distinct points a
   * range holds depends on the machine, not on the clock: wait (bounded) until Prometheus holds
   * enough of them for the analysis' minimum samples, instead of trusting the time that passed.
   */
  async function enoughGcPoints(): Promise<void> {
    await until('12 post-GC heap values of each service in Prometheus', 150_000, async () => {
      const query = encodeURIComponent('changes(leakcheck_heap_used_after_gc_bytes[10m])');
      const answer = await getJson<{
        data: { result: Array<{ metric: { job?: string }; value: [number, string] }> };
      }>(`${promUrl}/api/v1/query?query=${query}`);
      const changes = answer.data.result.map((r) => Number(r.value[1]));
      return changes.length === 2 && changes.every((c) => c >= 12) ? true : null;
    });
  }

  /** Seconds of data Prometheus has, rounded down, minus a scrape or two. */
  function rangeOfData(): string {
    return `${Math.max(20, Math.floor((Date.now() - promStartedAt) / 1000) - 2)}s`;
  }

  function byJob(report: WatchReport, job: string): WatchReport['instances'][number] {
    const found = report.instances.find((i) => i.labels.job === job);
    if (!found)
      throw new Error(`no instance with job="${job}" in ${report.instances.map((i) => i.name).join(', ')}`);
    return found;
  }

  it('watch flags the leaking instance per hour and not the clean one, with a projection', async () => {
    await enoughGcPoints();
    const run = await runCli([
      'watch',
      '--prometheus',
      promUrl,
      '--query',
      'leakcheck_heap_used_after_gc_bytes',
      '--range',
      rangeOfData(),
      '--step',
      '1s',
      '--threshold-per-hour',
      '500MB',
      '--min-growth-per-hour',
      '8MB',
      '--limit',
      'leakcheck_heap_limit_bytes',
      '--format',
      'json',
    ]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as WatchReport;
    expect(run.code).toBe(1);
    expect(report.verdict).toBe('leak');
    expect(report.counts).toMatchObject({ series: 2, leak: 1, pass: 1, withoutLimit: 0 });
    const leak = byJob(report, 'leaky');
    expect(leak).toMatchObject({ verdict: 'leak', basis: 'per-hour', rule: 'linear-growth' });
    // ~2 MB/s retained is ~7 GB/h; the interval must lie well above the 500 MB/h threshold.
    expect(leak.perHour.low).toBeGreaterThan(500e6);
    expect(leak.projection?.secondsToLimit).toBeGreaterThan(0);
    expect(leak.projection?.limit).toBeGreaterThan(OLD_SPACE_MB * 1024 * 1024);
    const ok = byJob(report, 'clean');
    expect(ok.verdict).toBe('pass');
    expect(ok.perHour.high).toBeLessThan(500e6);
    // Includes the bounded wait for post-GC points above.
  }, 180_000);

  it('watch fits growth per request when given the request counter', async () => {
    const run = await runCli([
      'watch',
      '--prometheus',
      promUrl,
      '--query',
      'leakcheck_heap_used_after_gc_bytes',
      '--requests',
      'leakcheck_http_requests_total',
      '--range',
      rangeOfData(),
      '--step',
      '1s',
      '--threshold',
      '2000',
      '--min-growth',
      '8MB',
      '--threshold-per-hour',
      '500MB',
      '--min-growth-per-hour',
      '8MB',
      '--format',
      'json',
    ]);
    const report = JSON.parse(run.stdout) as WatchReport;
    expect(run.code).toBe(1);
    const leak = byJob(report, 'leaky');
    expect(leak).toMatchObject({ verdict: 'leak', basis: 'per-request' });
    // 5,000 array slots of 8 bytes each request: ~40 KB/request.
    expect(leak.perRequest?.rate).toBeGreaterThan(20_000);
    expect(leak.perRequest?.rate).toBeLessThan(80_000);
    expect(leak.requests?.requestsPerSecond).toBeGreaterThan(0);
    const ok = byJob(report, 'clean');
    expect(ok).toMatchObject({ verdict: 'pass', basis: 'per-request' });
  }, 60_000);

  it('watch writes Markdown, and passes with --fail-on never', async () => {
    const run = await runCli([
      'watch',
      '--prometheus',
      promUrl,
      '--query',
      'leakcheck_heap_used_after_gc_bytes',
      '--range',
      rangeOfData(),
      '--step',
      '1s',
      '--threshold-per-hour',
      '500MB',
      '--min-growth-per-hour',
      '8MB',
      '--format',
      'markdown',
      '--fail-on',
      'never',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('## leakcheck watch:');
    // Label values escaped as the run report escapes Markdown (braces are not Markdown syntax).
    expect(run.stdout).toMatch(/\| \{instance="127\.0\.0\.1:\d+", job="leaky"\} \| 🔴 leak \|/);
    expect(run.stdout).toMatch(/job="clean"\} \| 🟢 pass \|/);
  }, 60_000);

  it('exits 2 on a PromQL error and 3 when Prometheus cannot be reached', async () => {
    const bad = await runCli(['watch', '--prometheus', promUrl, '--query', 'rate((', '--range', '1m']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^leakcheck watch: Prometheus: bad_data: /);

    const closed = await freePort();
    const down = await runCli([
      'watch',
      '--prometheus',
      `http://127.0.0.1:${closed}`,
      '--query',
      'up',
      '--range',
      '1m',
      '--timeout',
      '5',
    ]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(
      /^leakcheck watch: cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query_range: ECONNREFUSED/,
    );
  }, 60_000);
  // Last: it stops the clean service. Per job, so it must fire for job="clean" only.
  it('fires the exporter-absent alert for a job whose only instance stopped, and not for the other', async () => {
    await stopGroup(clean?.child);
    const firing = await until('LeakcheckExporterAbsent firing for job="clean"', 60_000, async () => {
      const answer = await getJson<{ data: { alerts: PromAlert[] } }>(`${promUrl}/api/v1/alerts`);
      const absent = answer.data.alerts.filter((a) => a.labels.alertname === 'LeakcheckExporterAbsent');
      return absent.some((a) => a.labels.job === 'clean' && a.state === 'firing') ? absent : null;
    });
    expect(firing.map((a) => a.labels)).toEqual([
      expect.objectContaining({ alertname: 'LeakcheckExporterAbsent', job: 'clean', severity: 'warning' }),
    ]);
    // Per job: no instance label, so a scale-down (another instance still exporting) cannot fire it.
    expect(firing[0]?.labels.instance).toBeUndefined();
  }, 90_000);
});
