/**
 * `leakcheck/vitest` and `leakcheck/node-test` as a user meets them: the package as `npm pack`
 * ships it, installed into a fresh project next to the runner, and a small suite run through the
 * real runner's CLI (vitest, `node --test`). Each suite has a clean handler that must pass
 * `.not.toLeak()` / `assertNoLeak`, a leaky one that must pass `.toLeak()` / `assertLeaks`, and
 * the leaky one under `.not.toLeak()` / `assertNoLeak`, which the runner must report as failed
 * with leakcheck's message. Needs dist/ (npm run build).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

const RUNNERS = path.join(ROOT, 'fixtures', 'runners');

interface Finished {
  code: number | null;
  output: string;
}

/** Runs a command in its own process group; kills the whole group if it outlives `timeoutMs`. */
function runBounded(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * A project with leakcheck installed from its packed tarball (only the files it ships), its
 * dependencies and `vitest` linked from this repository's node_modules, and the suite's files.
 */
function project(tmp: string, files: string[]): string {
  const dir = path.join(tmp, 'project');
  const installed = path.join(dir, 'node_modules', 'leakcheck');
  fs.mkdirSync(installed, { recursive: true });
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', tmp], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (pack.status !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
  const tarball = path.join(tmp, pack.stdout.trim().split('\n').pop() as string);
  const untar = spawnSync('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
  if (untar.status !== 0) throw new Error(`tar failed: ${String(untar.stderr)}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(installed, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true, type: 'module' }),
  );
  for (const file of files) fs.copyFileSync(file, path.join(dir, path.basename(file)));
  return dir;
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  testResults: Array<{
    assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
  }>;
}

describe('leak assertions under other test runners', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-runners-'));
  let dir = '';

  beforeAll(() => {
    dir = project(tmp, [
      path.join(RUNNERS, 'handlers.mjs'),
      path.join(RUNNERS, 'vitest', 'leak.test.ts'),
      path.join(RUNNERS, 'node-test', 'leak.test.mjs'),
    ]);
  }, 90_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('vitest: toLeak passes on the clean and the leaky handler and fails .not on the leak', async () => {
    const vitest = path.join(dir, 'node_modules', 'vitest', 'vitest.mjs');
    const run = await runBounded(
      process.execPath,
      [vitest, 'run', 'leak.test.ts', '--reporter=json', '--outputFile=vitest.json'],
      dir,
      120_000,
    );
    expect(run.code).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'vitest.json'), 'utf8')) as VitestJson;
    const results = report.testResults.flatMap((f) => f.assertionResults);
    const status = Object.fromEntries(results.map((r) => [r.title, r.status]));
    expect(status).toEqual({
      'clean handler does not leak': 'passed',
      'leaky handler is found leaking': 'passed',
      'leaky handler does not leak': 'failed',
    });
    const failure = results.find((r) => r.status === 'failed')?.failureMessages.join('\n') ?? '';
    expect(failure).toMatch(
      /expect\(fn\)\.not\.toLeak\(\)\n\nExpected: no leak \(growth per call below 64 B\/call\)/,
    );
    // How many calls the sequential test needs depends on the noise of this run (10,000 at its
    // first look on a quiet machine, 16,000 at its third once on a busy one): any count is fine.
    expect(failure).toMatch(
      /\nReceived: leaks: heapUsed grew \d+ B\/call \(95% CI \d+–\d+\) over [\d,]+ calls/,
    );
    expect(failure).toMatch(/handlers\.mjs:\d+:\d+ \(leakyHandler\), \+/);
  }, 150_000);

  it('node --test: assertNoLeak throws an AssertionError with the same message on the leak only', async () => {
    const run = await runBounded(
      process.execPath,
      ['--test', '--test-reporter=tap', 'leak.test.mjs'],
      dir,
      120_000,
    );
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/^ok \d+ - clean handler does not leak$/m);
    expect(run.output).toMatch(/^ok \d+ - leaky handler is found leaking$/m);
    expect(run.output).toMatch(/^not ok \d+ - leaky handler does not leak$/m);
    expect(run.output).toMatch(/^# pass 2$/m);
    expect(run.output).toMatch(/^# fail 1$/m);
    // The failure is an assertion (not a crash), with toLeak's message headed by the assertion
    // as written (not jest's wording).
    const failure = run.output.slice(run.output.indexOf('not ok'));
    expect(failure).toContain("code: 'ERR_ASSERTION'");
    expect(failure).toContain("operator: 'notToLeak'");
    expect(failure).toMatch(
      /assertNoLeak\(fn\)\n\s*\n\s*Expected: no leak \(growth per call below 64 B\/call\)/,
    );
    expect(failure).not.toContain('expect(fn)');
    expect(failure).toMatch(/Received: leaks: heapUsed grew \d+ B\/call \(95% CI \d+–\d+\)/);
    expect(failure).toMatch(/handlers\.mjs:\d+:\d+ \(leakyHandler\), \+/);
  }, 150_000);
});
