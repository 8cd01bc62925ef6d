/**
 * The reference sampler: measures a fixture's true heap growth per request, independently of
 * leakcheck's agent and analysis. Starts the fixture with --expose-gc and bench/truth-preload.cjs
 * (a forced full GC every N responses), drives the fixture's own traffic (its config's scenario,
 * or the replay named in its expected.json) for a long run, and fits growth over the second half
 * by least squares: the first half holds the process's own warm-up (compilation, inline caches,
 * lazy initialisation). Writes truth.json beside the fixture, with the command that produced it.
 *
 * With --curve the series itself (requests, heap less code) is kept in truth.json too: for a
 * fixture whose growth per request is not constant along its traffic (a cache keyed by URL grows
 * with the URLs not seen before, fewer as a replay goes on), bench/run.ts then takes each run's
 * truth as the slope over the requests that run measured, not the second half of this one.
 *
 *   npx tsx bench/truth.ts shop-leak16 [--requests 400000] [--every 2000] [--curve] [--out FILE]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { olsFit } from '../src/analysis/regression';
import { loadConfig } from '../src/config/load';
import { prepareReplay } from '../src/cli/traffic';
import { TargetProcess } from '../src/target/process';
import { TrafficDriver } from '../src/traffic/driver';
import { compileScenario, defaultScenario } from '../src/traffic/scenario';

const ROOT = path.resolve(__dirname, '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Least-squares slope of y on x (the analysis' own fit), 0 when it cannot be estimated. */
function slope(points: Array<[number, number]>): number {
  return olsFit(
    points.map((p) => p[0]),
    points.map((p) => p[1]),
    0.95,
  ).slope;
}

/** The port the fixture printed; with `wanted` (its PORT), that one (it may listen on others first). */
async function waitForPort(log: string, deadline: number, wanted?: number): Promise<number> {
  for (;;) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    const ports = [...text.matchAll(/listening on (\d+)/g)].map((m) => Number(m[1]));
    const port = wanted === undefined ? ports[0] : ports.find((p) => p === wanted);
    if (port !== undefined) return port;
    if (Date.now() > deadline) throw new Error(`the fixture did not print its port (see ${log})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const fixture = process.argv[2];
  if (!fixture) throw new Error('usage: tsx bench/truth.ts <fixture> [--requests N] [--every N]');
  const dir = path.join(ROOT, 'fixtures', fixture);
  const total = Number(arg('--requests') ?? 400_000);
  const every = Number(arg('--every') ?? 2000);
  const curve = process.argv.includes('--curve');
  const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as {
    replay?: string;
  };
  const { config } = await loadConfig({ cwd: dir, explicitFile: 'leakcheck.config.json' });
  const source = expected.replay
    ? (await prepareReplay({ replay: path.resolve(dir, expected.replay) }, config, dir)).source
    : compileScenario(
        config.traffic.requests
          ? { requests: config.traffic.requests, users: config.traffic.users, seed: config.traffic.seed }
          : defaultScenario(config.traffic.users, config.traffic.seed),
      );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-truth-'));
  const out = path.join(tmp, 'points.json');
  const log = path.join(tmp, 'target.log');
  const command = config.command as string[];
  const target = TargetProcess.launch({
    command: [
      command[0] as string,
      '--expose-gc',
      '--require',
      path.join(__dirname, 'truth-preload.cjs'),
      ...command.slice(1),
    ],
    cwd: dir,
    env: { ...config.env, TRUTH_EVERY: String(every), TRUTH_OUT: out },
    logFile: log,
  });
  try {
    const wanted = config.env.PORT === undefined ? undefined : Number(config.env.PORT);
    const port = await waitForPort(log, Date.now() + 30_000, wanted);
    const driver = new TrafficDriver({
      url: `http://127.0.0.1:${port}`,
      source,
      connections: config.traffic.connections,
      maxSeconds: 1800,
    });
    const started = performance.now();
    await driver.whenCompleted(total);
    await driver.stop();
    const seconds = (performance.now() - started) / 1000;
    await target.stop(10_000);
    const { points } = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      points: Array<[number, number, number]>;
    };
    const half = points.filter((p) => p[0] >= (points.at(-1)?.[0] ?? 0) / 2);
    const truth = {
      fixture,
      bytesPerRequest: Math.round(slope(half.map((p) => [p[0], p[2]])) * 10) / 10,
      heapUsedPerRequest: Math.round(slope(half.map((p) => [p[0], p[1]])) * 10) / 10,
      method:
        'forced full GC every `every` responses (bench/truth-preload.cjs, independent of the agent); least-squares slope over the second half of the run; bytesPerRequest is heapUsed less the code spaces',
      command: `npx tsx bench/truth.ts ${fixture} --requests ${total} --every ${every}${curve ? ' --curve' : ''}`,
      traffic: expected.replay ? `replay of ${expected.replay}` : 'the config scenario',
      requests: points.at(-1)?.[0] ?? 0,
      ...(curve
        ? {
            curve: points.map((p) => [p[0], p[2]]),
            curveNote:
              'the series (requests served, heapUsed less the code spaces, after a forced full GC): bench/run.ts fits each run its own truth over the requests that run measured',
          }
        : {}),
      every,
      samples: points.length,
      seconds: Math.round(seconds),
      node: process.version,
      date: new Date().toISOString().slice(0, 10),
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    };
    fs.writeFileSync(arg('--out') ?? path.join(dir, 'truth.json'), JSON.stringify(truth, null, 2) + '\n');
    process.stdout.write(JSON.stringify(truth) + '\n');
  } finally {
    await target.stop(2000);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
