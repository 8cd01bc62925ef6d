/**
 * Replay end to end, through the built CLI: the incident's lesson as a test. A service whose leak
 * grows with the variety of URLs is flagged when production's log is replayed and passes under the
 * single-URL load test that missed it; a clean service passes under the same replay; a service
 * whose routes do not match the log gets a fidelity warning naming the endpoints. Bad replay input
 * (exit 2 before anything starts) is in traffic-input.test.ts, which starts no service.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  expected,
  fixtureConfig,
  leftoverTargets,
  ROOT,
  runCli as runCliAnywhere,
  suiteMark,
  survivors,
} from './helpers';

const LOG = path.join(ROOT, 'fixtures', 'traffic', 'combined.log');
// Every run here is bounded by requests, not seconds, with the same settings whatever the traffic:
// a Node service's heap keeps rising for its first ~150k requests under this harness (300-500 KB,
// slower and slower, then flat; seen in clean-http and in this fixture under one URL alike), and
// a short run can end inside that rise. 100k warm-up requests put most of it behind the warm-up on
// any machine. Attribution is another feature's cost, not needed here.
const RUN = ['--warmup-requests', '100000', '--requests', '30000', '--no-attribution'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-traffic-e2e-'));
// Marks the processes this suite starts, so the leftover check ignores other suites running
// at the same time on the machine.
const SUITE = suiteMark('LEAKCHECK_TRAFFIC_E2E');
const runCli = (args: string[]): ReturnType<typeof runCliAnywhere> =>
  runCliAnywhere(args, { env: SUITE.env, timeoutMs: 170_000 });

// 100k requests per run on a shared two-core machine.
jest.setTimeout(180_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  expect(leftoverTargets(SUITE.mark)).toEqual([]);
});

describe('the incident, replayed', () => {
  const truth = expected('cardinality-leak') as ReturnType<typeof expected> & {
    singleUrlVerdict: string;
    replay: string;
  };

  test('a leak keyed by the raw URL is flagged under replay of a realistic log', async () => {
    const log = path.resolve(ROOT, 'fixtures', 'cardinality-leak', truth.replay);
    const run = await runCli(['run', '--config', fixtureConfig('cardinality-leak'), '--replay', log, ...RUN]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe(truth.verdict);
    expect(run.code).toBe(1);
    const heap = run.report?.processes[0]?.metrics.find((m) => m.metric === truth.metric);
    expect(heap?.verdict).toBe('leak');
    const f = run.report?.fidelity;
    expect(f?.source).toMatchObject({ file: 'combined.log', format: 'combined', mode: 'model', skipped: 4 });
    // The routes match, so no divergence warning; the replay keeps the log's variety.
    expect(run.report?.warnings.filter((w) => w.startsWith('replay:'))).toEqual([]);
    expect(f?.maxShareDifference).toBeLessThan(0.02);
    expect(f?.distinctUrls.sent).toBeGreaterThan((f?.distinctUrls.log ?? Infinity) * 0.8);
    expect(f?.endpoints.find((e) => e.endpoint === 'GET /api/users/{id}')?.receivedStatus).toEqual({
      '200': 1,
    });
    expect(run.stdout).toMatch(/Replayed combined\.log \(combined, model\)/);
    expect(survivors(run.report)).toEqual([]);
  });

  test('the same service passes under the single-URL load test that missed it', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('cardinality-leak'), ...RUN]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe(truth.singleUrlVerdict);
    expect(run.code).toBe(0);
    expect(run.report?.fidelity).toBeUndefined();
    expect(Object.keys(run.report?.traffic.statusCounts ?? {})).toEqual(['200']);
    expect(survivors(run.report)).toEqual([]);
  });
});

describe('replays that must pass', () => {
  test('a clean service passes under the same replay (from traffic.json)', async () => {
    const model = path.join(tmp, 'traffic.json');
    const imported = await runCli(['traffic', 'import', LOG, '-o', model]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/3,002 requests from 3,006 lines, 17 endpoints/);
    expect(imported.stdout).toMatch(/skipped 4 lines/);
    const run = await runCli(['run', '--config', fixtureConfig('clean-http'), '--replay', model, ...RUN]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe('pass');
    expect(run.code).toBe(0);
    expect(run.report?.fidelity?.sent).toBeGreaterThan(130_000);
    expect(run.report?.fidelity?.maxShareDifference).toBeLessThan(0.02);
    expect(survivors(run.report)).toEqual([]);
  });

  test('routes that do not match the log: a warning naming the endpoints (paced by the log)', async () => {
    const run = await runCli([
      'run',
      '--config',
      fixtureConfig('clean-express'),
      '--replay',
      LOG,
      '--pace-from-log',
      '--rate',
      '5000',
      ...RUN,
    ]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe('pass');
    // The day squeezed into the configured warm-up + window seconds, 60 steps, mean 5,000/s.
    const settings = run.report?.settings as { warmup: { seconds: number }; measure: { seconds: number } };
    const rate = run.report?.settings.rate as { kind: string; rps: number[]; secondsPerStep: number };
    expect(rate.kind).toBe('shape');
    expect(rate.rps).toHaveLength(60);
    expect(rate.secondsPerStep).toBeCloseTo((settings.warmup.seconds + settings.measure.seconds) / 60, 9);
    expect(Math.abs(rate.rps.reduce((a, b) => a + b, 0) / 60 - 5000)).toBeLessThan(50);
    const warning = run.report?.warnings.find((w) => /routes probably do not match/.test(w)) ?? '';
    expect(warning).toMatch(/GET \/api\/users\/\{id\} got 100% 404 vs 0% in the log/);
    expect(warning).not.toMatch(/GET \/health|GET \/api\/items /);
    expect(run.stdout).toContain(warning);
  });
});
