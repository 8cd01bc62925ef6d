/**
 * End to end, sequential measurement (the default: no --duration): the incident is flagged by an
 * early look, a leak into one array (a staircase) is flagged and the array named, a clean service passes before the budget, a target that dies of heap exhaustion is a
 * leak with its partial report. Bounded by the 60 s budget of each run.
 */
import * as path from 'node:path';
import { explainOnFailure, fixtureConfig, leftoverTargets, runCli, survivors } from './helpers';

afterAll(() => {
  expect(leftoverTargets()).toEqual([]);
});

describe('sequential measurement', () => {
  test('the incident is flagged by a look before the budget', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('incident-auth')], { timeoutMs: 150_000 });
    await explainOnFailure(run, 'sequential-incident', () => {
      expect(run.report?.status).toBe('completed');
      expect(run.report?.verdict).toBe('leak');
      expect(run.code).toBe(1);
      const seq = run.report?.sequential;
      // On a quiet machine a look stops it early; on a loaded one the 10,000 requests of the minimum
      // window may only be reached at the budget, whose last look must then decide.
      expect(['leak', 'max-duration']).toContain(seq?.stopReason);
      expect(seq?.rule).toBe('sequential-leak');
      const last = seq?.looks.at(-1);
      expect(last?.decision).toBe('leak');
      expect(last?.low ?? 0).toBeGreaterThan(seq?.threshold ?? Infinity);
      // Looks after the call only refine the estimate: each is a leak look, and the rate reported
      // is the last one's.
      const looks = seq?.looks ?? [];
      const called = looks.findIndex((l) => l.decision === 'leak');
      expect(looks.slice(called).every((l) => l.decision === 'leak')).toBe(true);
      const heap = run.report?.processes[0]?.metrics.find((m) => m.metric === 'heapUsed');
      expect(heap?.perUnit).toBeCloseTo(last?.slope ?? Number.NaN, 6);
    });
    expect(survivors(run.report)).toEqual([]);
  }, 180_000);

  test('a leak into one array of numbers (a staircase) is flagged, not left inconclusive, and its array named', async () => {
    // The heap after GC is level between the array store's enlargements: a recent-half slope
    // straddles the threshold until the budget (it ended INCONCLUSIVE, exit 0, before the
    // staircase was read as one).
    const run = await runCli(['run', '--config', fixtureConfig('array-leak')], {
      timeoutMs: 150_000,
    });
    await explainOnFailure(run, 'sequential-array-leak', () => {
      expect(run.report?.verdict).toBe('leak');
      expect(run.code).toBe(1);
      // The look that called it read the staircase; any later ones (a leak's estimate may be
      // refined) are leak looks too, and the rate reported is the last one's.
      const looks = run.report?.sequential?.looks ?? [];
      const called = looks.findIndex((l) => l.decision === 'leak');
      expect(looks[called]?.staircase?.steps ?? 0).toBeGreaterThanOrEqual(3);
      expect(looks.slice(called).every((l) => l.decision === 'leak')).toBe(true);
      const last = looks.at(-1);
      expect(last?.low ?? 0).toBeGreaterThan(run.report?.sequential?.threshold ?? Infinity);
      const heap = run.report?.processes[0]?.metrics.find((m) => m.metric === 'heapUsed');
      expect(heap?.perUnit).toBeCloseTo(last?.slope ?? Number.NaN, 6);
      // Its elements are numbers (nothing for the snapshots' groups) and its storage only changes
      // when it is enlarged: attribution names it because its window reaches the next enlargement.
      const grown = run.report?.findings?.find((f) => f.kind === 'growing-object');
      expect(grown?.retainerPath).toBe('Array retained by kept');
    });
    expect(survivors(run.report)).toEqual([]);
  }, 180_000);

  test('a clean service passes on evidence', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('clean-http'), '--no-attribution'], {
      timeoutMs: 150_000,
    });
    await explainOnFailure(run, 'sequential-clean-http', () => {
      expect(run.report?.verdict).toBe('pass');
      expect(run.code).toBe(0);
      const seq = run.report?.sequential;
      expect(seq?.looks.at(-1)?.decision).toBe('pass');
      expect(seq?.looks.at(-1)?.high ?? Infinity).toBeLessThan(seq?.threshold ?? 0);
    });
    expect(survivors(run.report)).toEqual([]);
  }, 180_000);

  test('a fixed window (--duration) keeps sequential testing off', async () => {
    const run = await runCli(
      [
        'run',
        '--config',
        fixtureConfig('clean-http'),
        '--no-attribution',
        '--warmup',
        '1',
        '--duration',
        '4',
      ],
      { timeoutMs: 90_000 },
    );
    expect(run.report?.verdict).toBe('pass');
    expect(run.report?.sequential).toBeUndefined();
  }, 120_000);

  test('a target that dies of heap exhaustion is a leak with its partial report', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('heap-exhaustion'), '--no-attribution'], {
      timeoutMs: 150_000,
    });
    expect(run.report?.status).toBe('out-of-memory');
    expect(run.report?.verdict).toBe('leak');
    expect(run.report?.decidedBy?.rule).toBe('out-of-memory');
    expect(run.code).toBe(1);
    expect(run.report?.failure?.logTail.join('\n')).toMatch(/heap out of memory/i);
  }, 180_000);

  test('a target that dies of file-descriptor exhaustion (EMFILE) is a leak with its partial report', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('fd-exhaustion'), '--no-attribution'], {
      timeoutMs: 90_000,
    });
    expect(run.report?.status).toBe('out-of-descriptors');
    expect(run.report?.verdict).toBe('leak');
    expect(run.report?.decidedBy).toMatchObject({ metric: 'fds', rule: 'out-of-descriptors' });
    expect(run.code).toBe(1);
    expect(run.report?.failure?.logTail.join('\n')).toMatch(/EMFILE/);
  }, 120_000);

  test("descriptors that keep growing are called a leak by the counts' own looks", async () => {
    // One descriptor per 50 requests, no ulimit: a few thousand by the first look, far below any
    // usual limit, while the heap stays flat.
    const run = await runCli(
      ['run', '--no-attribution', '--', 'node', path.join('fixtures', 'fd-exhaustion', 'server.js')],
      { timeoutMs: 90_000, env: { EVERY: '50' } },
    );
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe('leak');
    expect(run.code).toBe(1);
    expect(run.report?.decidedBy).toMatchObject({ metric: 'fds', rule: 'sequential-leak' });
    expect(run.report?.sequential).toMatchObject({
      verdict: 'leak',
      stopReason: 'leak',
      count: { metric: 'fds' },
    });
    expect(run.report?.sequential?.count?.slope).toBeGreaterThan(0.015);
    expect(run.report?.sequential?.count?.slope).toBeLessThan(0.025);
    expect(run.stdout).toMatch(/LEAK .*file descriptors grow/);
  }, 120_000);

  test('a drained connection pool is a leak, called when the minimum window ends, though the heap is flat', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('pool-exhaustion'), '--no-attribution'], {
      timeoutMs: 90_000,
    });
    expect(run.report?.status).toBe('completed');
    expect(run.report?.verdict).toBe('leak');
    expect(run.code).toBe(1);
    expect(run.report?.decidedBy).toMatchObject({ metric: 'responses', rule: 'resource-exhausted' });
    expect(run.report?.traffic.exhaustion).toMatchObject({
      kind: 'endpoint',
      endpoint: 'GET /users/{{int 1 500}}',
    });
    expect(run.report?.traffic.exhaustion?.answeredFirst).toBeGreaterThanOrEqual(10);
    // Stopped for it, not at the budget.
    expect(run.report?.sequential?.stopReason).toBe('resource-exhausted');
    expect(run.report?.processes[0]?.metrics.find((m) => m.metric === 'heapUsed')?.verdict).not.toBe('leak');
    expect(run.stdout).toMatch(
      /LEAK {2}GET \/users\/\{\{int 1 500\}\} answered its first \d+ requests and then failed/,
    );
    expect(run.report?.warnings.join('\n')).not.toMatch(/INCONCLUSIVE at the budget/);
  }, 120_000);

  test('a pool that waits forever: the service stops answering, its requests time out, and that is a leak too', async () => {
    const run = await runCli(['run', '--config', fixtureConfig('pool-exhaustion'), '--no-attribution'], {
      timeoutMs: 120_000,
      env: { POOL_WAIT: 'forever' },
    });
    expect(run.report?.verdict).toBe('leak');
    expect(run.code).toBe(1);
    expect(run.report?.decidedBy?.rule).toBe('resource-exhausted');
    expect(run.report?.traffic.exhaustion?.kind).toBe('service');
    // autocannon's 10 s time-out, counted as time-outs (not as connection errors).
    expect(run.report?.traffic.timeouts).toBeGreaterThanOrEqual(5);
    expect(run.report?.traffic.errors).toBe(0);
    expect(run.report?.sequential?.stopReason).toBe('resource-exhausted');
    expect(run.stdout).toMatch(
      /LEAK {2}the service answered its first [\d,]+ requests, up to [\d,]+ requests a second and then stopped/,
    );
  }, 150_000);

  test("the pool's clean twin passes: every path gives its connection back", async () => {
    const run = await runCli(['run', '--config', fixtureConfig('pool-clean'), '--no-attribution'], {
      timeoutMs: 90_000,
    });
    expect(run.report?.verdict).toBe('pass');
    expect(run.code).toBe(0);
    expect(run.report?.traffic.exhaustion).toBeUndefined();
  }, 120_000);
});
