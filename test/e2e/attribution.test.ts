/**
 * End to end: what grew and where, beyond the allocation sites. Heap snapshots on the incident
 * must name the growing object group and the closure that holds it; `runIn: measured-process`
 * still attributes in the measured process; --no-attribution runs no profiler and refuses
 * --snapshots. Each fixture's top allocation site (and no growing site for
 * the clean ones) is checked in run.test.ts, on the same run that checks its verdict.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ATTRIBUTION_LOG, NEW_PROCESS_PHASE } from '../../src/attribution';
import { fixtureConfig, leftoverTargets, ROOT, runCli } from './helpers';

const SHORT = ['--warmup', '2', '--duration', '8'];

/**
 * Target processes whose run is over: they carry the agent's socket variable but the socket is
 * gone (the harness removes it when a run ends). Other developers' runs on the same machine keep
 * their sockets, so they are not counted.
 */
function orphanedTargets(): number[] {
  return leftoverTargets().filter((pid) => {
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      const socket = env
        .find((e) => e.startsWith('LEAKCHECK_AGENT_SOCKET='))
        ?.slice('LEAKCHECK_AGENT_SOCKET='.length);
      return socket !== undefined && !fs.existsSync(socket);
    } catch {
      return false;
    }
  });
}

afterAll(() => {
  expect(orphanedTargets()).toEqual([]);
});

describe('heap snapshots', () => {
  test('--snapshots on the incident: Map +1 per request, held by the bus listener closure', async () => {
    const run = await runCli([
      'run',
      '--config',
      fixtureConfig('incident-auth'),
      ...SHORT,
      '--snapshots',
      '--keep-snapshots',
    ]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.attribution?.snapshots.taken).toBe(true);
    expect(run.report?.attribution?.snapshots.files).toHaveLength(3);
    const groups = (run.report?.findings ?? []).filter((f) => f.kind === 'object-group');
    const map = groups.find((g) => g.title.startsWith('Map:'));
    // Every request carries a Bearer token in the default scenario, so one Map per request.
    expect(map?.countPerRequest).toBeGreaterThan(0.9);
    expect(map?.countPerRequest).toBeLessThan(1.1);
    expect(map?.retainerPath).toMatch(
      /^Map retained by bus\._events\['config-changed'\]\[\d+\] \(closure context\)\.session$/,
    );
    // The closure itself carries its exact line: the bus.on(...) call.
    const closure = groups.find((g) => g.title.startsWith('(closure):'));
    expect(closure?.file).toBe(path.join(ROOT, 'fixtures/incident-auth/server.js'));
    expect(closure?.line).toBe(24);
    expect(run.stdout).toContain("bus._events['config-changed']");
  });

  test('runIn: measured-process attributes the old way: in the measured process, no second start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-measured-process-'));
    try {
      const config = path.join(dir, 'leakcheck.config.json');
      fs.writeFileSync(
        config,
        JSON.stringify({
          command: ['node', path.join(ROOT, 'fixtures/incident-auth/server.js')],
          attribution: { runIn: 'measured-process' },
        }),
      );
      const run = await runCli(['run', '--config', config, ...SHORT]);
      expect(run.report?.verdict).toBe('leak');
      const top = (run.report?.findings ?? []).find((f) => f.kind === 'allocation-site');
      expect([top?.function, top?.file, top?.line]).toEqual([
        'auth',
        path.join(ROOT, 'fixtures/incident-auth/server.js'),
        14,
      ]);
      const steps = (run.report?.attribution?.timings ?? []).map((t) => t.phase);
      expect(steps).toContain('inlining off, deopt');
      expect(steps).not.toContain(NEW_PROCESS_PHASE);
      expect(fs.existsSync(path.join(run.outDir, ATTRIBUTION_LOG))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--no-attribution: no profiler, no findings; with --snapshots it is a usage error', async () => {
    // What --no-attribution leaves out does not depend on the window: a short one is enough.
    const run = await runCli([
      'run',
      '--config',
      fixtureConfig('clean-http'),
      '--warmup',
      '1',
      '--duration',
      '2',
      '--no-attribution',
    ]);
    expect(run.report?.status).toBe('completed');
    expect(run.report?.findings).toBeUndefined();
    // A clean run with attribution on says why it took no profile (run.test.ts); off, there is none.
    expect(run.report?.attribution).toBeUndefined();
    expect(run.stdout).not.toContain('what grew and where');
    const bad = await runCli([
      'run',
      '--config',
      fixtureConfig('clean-http'),
      '--no-attribution',
      '--snapshots',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'leakcheck: --snapshots needs attribution: drop --no-attribution',
    ]);
  });
});
