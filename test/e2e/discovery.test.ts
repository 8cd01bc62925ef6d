/**
 * End to end: which server the load goes to when the service listens on more than one HTTP
 * server (fixtures/two-servers: a side server listens first, then the app, which leaks). The
 * first server to listen is not always the app; a run that loads the side server passes a leaking
 * service. Windows are short and fixed: the verdict only shows which server took the load.
 */
import { explainOnFailure, fixtureConfig, leftoverTargets, runCli } from './helpers';
import { EXIT } from '../../src/outcome';
import { freePort } from './prometheus';

const SHORT = ['--warmup', '1', '--duration', '4', '--no-attribution'];
const config = fixtureConfig('two-servers');
jest.setTimeout(90_000);

afterAll(() => {
  expect(leftoverTargets()).toEqual([]);
});

test('a metrics port that opened first is told apart by the traffic it does not serve: the app is loaded', async () => {
  const run = await runCli(['run', '--config', config, ...SHORT], { env: { SIDE: 'metrics' } });
  await explainOnFailure(run, 'two-servers-metrics', () => {
    expect(run.code).toBe(EXIT.leak);
    const servers = run.report?.target.servers ?? [];
    expect(servers).toHaveLength(2);
    // The side server listened first and answered none of the probe requests; the app all of them.
    expect(servers[0]?.served).toBe(0);
    expect(servers[1]?.served).toBe(servers[1]?.probed);
    expect(run.report?.target.url).toBe(servers[1]?.url);
    expect(run.report?.warnings.join('\n')).toMatch(
      /listens on 2 HTTP servers .* the load went to http:\/\/127\.0\.0\.1:\d+: it is the only one/,
    );
  });
});

test('two servers that both answer the traffic: exit 2 with one line asking for --url, nothing left running', async () => {
  const run = await runCli(['run', '--config', config, ...SHORT], { env: { SIDE: 'stub' } });
  await explainOnFailure(run, 'two-servers-stub', () => {
    expect(run.code).toBe(EXIT.usage);
    expect(run.report?.status).toBe('ambiguous-target');
    expect(run.stderr + run.stdout).toMatch(
      /listens on 2 HTTP servers, and 2 answer the traffic's GET requests as expected .*--url/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

test('the same, with PORT naming the app: the app is loaded', async () => {
  const port = await freePort();
  const run = await runCli(['run', '--config', config, ...SHORT], {
    env: { SIDE: 'stub', PORT: String(port) },
  });
  await explainOnFailure(run, 'two-servers-port', () => {
    expect(run.code).toBe(EXIT.leak);
    expect(run.report?.target.url).toBe(`http://127.0.0.1:${port}`);
    expect(run.report?.warnings.join('\n')).toMatch(
      new RegExp(`it listens on the target's PORT \\(${port}\\)`),
    );
  });
});

test('one app bound to ::1 and 127.0.0.1 on one port (fastify on localhost) is one server: loaded, no question asked', async () => {
  const run = await runCli(['run', '--config', config, ...SHORT], { env: { SIDE: 'dual' } });
  await explainOnFailure(run, 'two-servers-dual', () => {
    expect(run.code).toBe(EXIT.leak);
    expect(run.report?.target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(run.report?.target.servers).toBeUndefined();
    expect(run.report?.warnings.join('\n')).not.toMatch(/HTTP servers/);
  });
});
