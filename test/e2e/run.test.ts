/**
 * End to end: the built CLI starts each fixture service, drives real traffic and must reach the
 * fixture's known answer. Windows are kept short for CI; the benchmark runs the defaults.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expected, fixtureConfig, leftoverTargets, runCli, survivors } from './helpers';

// Short windows so the suite stays within CI's budget; thresholds stay at their defaults.
const SHORT = ['--warmup', '2', '--duration', '8'];

function metric(run: Awaited<ReturnType<typeof runCli>>, name: string) {
  const m = run.report?.processes[0]?.metrics.find((x) => x.metric === name);
  if (!m) throw new Error(`no ${name} in report: ${run.stderr}`);
  return m;
}

afterAll(() => {
  expect(leftoverTargets()).toEqual([]);
});

describe('leaking fixtures are flagged on the right metric', () => {
  test.each([
    ['incident-auth', 'heapUsed'],
    ['slow-leak', 'heapUsed'],
    ['buffer-leak', 'external'],
    ['handle-leak', 'handles'],
    ['ts-service', 'heapUsed'],
  ])('%s leaks on %s', async (fixture, metricName) => {
    const run = await runCli(['run', '--config', fixtureConfig(fixture), ...SHORT]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe('leak');
    expect(run.code).toBe(1);
    const m = metric(run, metricName);
    expect(m.verdict).toBe('leak');
    const truth = expected(fixture);
    if (truth.bytesPerRequest) {
      expect(Math.abs(m.perUnit - truth.bytesPerRequest) / truth.bytesPerRequest).toBeLessThan(0.15);
    }
    if (truth.unitPerRequest) {
      expect(Math.abs(m.perUnit - truth.unitPerRequest) / truth.unitPerRequest).toBeLessThan(0.15);
    }
    expect(run.stdout).toContain('LEAK');
    expect(survivors(run.report)).toEqual([]);
  });
});

describe('clean and bounded fixtures pass', () => {
  test.each(['clean-http', 'clean-express', 'lru-cache', 'lazy-init', 'cluster-clean'])(
    '%s passes',
    async (fixture) => {
      const run = await runCli(['run', '--config', fixtureConfig(fixture), ...SHORT]);
      expect(run.report?.status).toBe('completed');
      const leaks = run.report?.processes.flatMap((p) =>
        p.metrics
          .filter((m) => m.gating && m.verdict === 'leak')
          .map((m) => `${p.pid} ${m.metric}: ${m.reason}`),
      );
      expect(leaks).toEqual([]);
      expect(run.report?.verdict).toBe('pass');
      expect(run.code).toBe(0);
      expect(survivors(run.report)).toEqual([]);
    },
  );
});

describe('failures', () => {
  test('a target that crashes mid-run gives exit 3 and still writes the partial report', async () => {
    // Bounded by requests, so the crash falls inside the measured window on any machine.
    const run = await runCli(
      ['run', '--config', fixtureConfig('clean-http'), '--warmup-requests', '5000', '--requests', '100000'],
      { env: { CRASH_AFTER: '40000' } },
    );
    expect(run.code).toBe(3);
    expect(run.report?.verdict).toBe('error');
    expect(run.report?.status).toBe('target-exited');
    expect(run.report?.failure?.message).toMatch(/exited with code 70/);
    expect(run.report?.failure?.logTail.join('\n')).toMatch(/CRASH_AFTER|crash/i);
    expect(run.report?.processes[0]?.series.filter((s) => s.phase === 'measure').length).toBeGreaterThan(3);
    expect(run.stdout).toMatch(/run ended early/);
  });

  test('bad config: one line naming the field, exit 2', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-cfg-'));
    const file = path.join(dir, 'leakcheck.config.json');
    fs.writeFileSync(file, JSON.stringify({ command: ['node', 'x.js'], traffic: { connections: 'ten' } }));
    const run = await runCli(['run', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/leakcheck\.config\.json: traffic\.connections: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('bad flag: one line naming the flag, exit 2', async () => {
    const run = await runCli(['run', '--connections', 'many', '--', 'node', 'x.js']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--connections/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('a command that never listens times out as exit 3', async () => {
    const run = await runCli(
      ['run', '--ready-timeout', '3', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      {
        env: {},
      },
    );
    expect(run.code).toBe(3);
    expect(run.report?.status).toMatch(/not-ready|timeout/);
  }, 60_000);
});
