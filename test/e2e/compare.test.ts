/**
 * Base versus head on throw-away git repositories built from fixtures/pr-compare: a clean base
 * with a leaking head must be blamed (exit 1); a head whose leak is already on the base must not
 * be (exit 0, the leak reported as pre-existing). The first goes through the CLI, the second
 * through the bundled Action on a pull_request event. Each run is 1 s warm-up + 5 s measured
 * (--warmup 2 --duration 10 split over 2 pairs).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareReport } from '../../src/compare/report';
import { commandLines, removeActionRuns, runAction } from './action-helpers';
import { leftoverTargets, ROOT, runCli } from './helpers';

const FIXTURE = path.join(ROOT, 'fixtures', 'pr-compare');
const WINDOWS = ['--warmup', '2', '--duration', '10', '--pairs', '2'];
const made: string[] = [];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

/**
 * A repository whose main branch has `base` as server.js and whose `feature` branch has `head`;
 * `config`, when given, replaces pr-compare's leakcheck.config.json on both.
 */
function makeRepo(base: string, head: string, config?: object): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-repo-')));
  made.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.invalid');
  git(dir, 'config', 'user.name', 'leakcheck test');
  for (const f of ['package.json', 'package-lock.json', 'leakcheck.config.json']) {
    fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, '.gitignore'), '.leakcheck/\nnode_modules/\n');
  if (config) fs.writeFileSync(path.join(dir, 'leakcheck.config.json'), JSON.stringify(config));
  fs.copyFileSync(path.join(FIXTURE, base), path.join(dir, 'server.js'));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'checkout', '-q', '-b', 'feature');
  fs.copyFileSync(path.join(FIXTURE, head), path.join(dir, 'server.js'));
  git(dir, 'commit', '-q', '-a', '--allow-empty', '-m', 'head');
  // What actions/checkout with fetch-depth: 0 leaves: the base branch as a remote-tracking ref.
  git(dir, 'update-ref', 'refs/remotes/origin/main', 'main');
  return dir;
}

function worktrees(dir: string): number {
  return git(dir, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree ')).length;
}

function baseTemps(): Set<string> {
  return new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('leakcheck-base-')));
}

afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  removeActionRuns();
  expect(leftoverTargets()).toEqual([]);
});

test('a leak added by the head is blamed: exit 1, head − base above the threshold', async () => {
  const repo = makeRepo('clean.js', 'leak.js');
  const before = baseTemps();
  const out = path.join(repo, '.leakcheck');
  const run = await runCli(['compare', '--base', 'main', ...WINDOWS, '--out', out, '--no-progress'], {
    cwd: repo,
    timeoutMs: 150_000,
  });
  const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(run.stderr).toBe('');
  expect(run.code).toBe(1);
  expect(report.verdict).toBe('leak');
  expect(report.exitCode).toBe(1);
  const heap = report.differences.find((d) => d.metric === 'heapUsed');
  expect(heap?.verdict).toBe('leak');
  expect(heap?.low).toBeGreaterThan(heap?.threshold.perUnit ?? Infinity);
  expect(heap?.baseLeaks).toBe(false);
  expect(report.preExisting).toEqual([]);
  // Alternating, the order flipped in the second pair.
  expect(report.runs.map((r) => `${r.pair}${r.side}`)).toEqual(['1base', '1head', '2head', '2base']);
  expect(report.runs.every((r) => r.status === 'completed')).toBe(true);
  expect(report.base.commit).toBe(git(repo, 'rev-parse', 'main').trim());
  expect(report.head.commit).toBe(git(repo, 'rev-parse', 'HEAD').trim());
  expect(report.base.install).toMatchObject({ command: 'npm ci', ok: true });
  expect(report.perRun).toMatchObject({ warmupSeconds: 1, durationSeconds: 5 });
  expect(run.stdout).toMatch(/^\nLEAK ADDED {2}the head adds/);
  // The worktree is gone and git has forgotten it.
  expect(worktrees(repo)).toBe(1);
  expect([...baseTemps()].filter((n) => !before.has(n))).toEqual([]);
});

test('a head that drains a connection pool is blamed at its first pair, though no metric grows', async () => {
  // The head is fixtures/pool-exhaustion's service, leaking (VARIANT reaches both sides; the base
  // ignores it).
  const repo = makeRepo('clean.js', '../pool-exhaustion/server.js');
  const out = path.join(repo, '.leakcheck');
  const run = await runCli(['compare', '--base', 'main', '--warmup', '1', '--out', out, '--no-progress'], {
    cwd: repo,
    timeoutMs: 150_000,
    env: { VARIANT: 'leak' },
  });
  const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(run.code).toBe(1);
  expect(report.verdict).toBe('leak');
  expect(report.decidedBy).toMatchObject({ metric: 'responses', rule: 'resource-exhausted' });
  expect(report.decidedBy?.reason).toMatch(
    /^head run 1: .* answered its first [\d,]+ requests and then failed/,
  );
  expect(report.decidedBy?.reason).toMatch(/none of the 1 base runs ran out$/);
  expect(report.pairs).toBe(1);
  expect(report.preExisting).toEqual([]);
  expect(run.stdout).toContain('LEAK ADDED');
});

test('a head whose service dies of the file descriptors it keeps is blamed at its first pair', async () => {
  // Both sides run under `ulimit -n 256`; the head is fixtures/fd-exhaustion's service.
  const repo = makeRepo('clean.js', '../fd-exhaustion/server.js', {
    command: ['sh', '-c', 'ulimit -n 256 && exec node server.js'],
  });
  const out = path.join(repo, '.leakcheck');
  const run = await runCli(['compare', '--base', 'main', '--warmup', '1', '--out', out, '--no-progress'], {
    cwd: repo,
    timeoutMs: 150_000,
  });
  const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(run.code).toBe(1);
  expect(report.verdict).toBe('leak');
  expect(report.decidedBy).toMatchObject({ metric: 'fds', rule: 'out-of-descriptors' });
  expect(report.decidedBy?.reason).toMatch(/^head run 1: .*EMFILE.*none of the 1 base runs ran out$/);
  expect(report.pairs).toBe(1);
  expect(report.failure).toBeUndefined();
});

test('a clean pull request: the pairs stop once the difference decides, at most --max-pairs', async () => {
  const repo = makeRepo('clean.js', 'clean.js');
  const out = path.join(repo, '.leakcheck');
  const run = await runCli(
    ['compare', '--base', 'main', '--warmup', '2', '--duration', '10', '--out', out, '--no-progress'],
    { cwd: repo, timeoutMs: 200_000 },
  );
  const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(run.stderr).toBe('');
  expect(report.verdict).not.toBe('leak');
  expect(run.code).toBe(0);
  const plan = report.pairPlan;
  expect(plan).toMatchObject({ mode: 'sequential', maxPairs: 4 });
  // One look per pair from the second; the last look's verdict is the comparison's.
  expect(plan?.looks.map((l) => l.pairs)).toEqual(Array.from({ length: report.pairs - 1 }, (_, i) => i + 2));
  expect(plan?.looks.at(-1)?.verdict).toBe(report.verdict);
  // Stopped before the last allowed pair only on a decided verdict; every look's intervals are
  // wider than the configured 95% (alpha spent across the looks).
  if (report.pairs < 4) expect(report.verdict).toBe('pass');
  for (const look of plan?.looks ?? []) expect(look.confidence).toBeGreaterThan(0.95);
  expect(report.runs).toHaveLength(report.pairs * 2);
  expect(report.perRun).toMatchObject({ warmupSeconds: 1, durationSeconds: 5 });
});

test('a leak already on the base is reported as such, not blamed (the Action, compare: base)', async () => {
  const repo = makeRepo('leak.js', 'leak-v2.js');
  const event = path.join(repo, '..', `${path.basename(repo)}-event.json`);
  made.push(event);
  const headSha = git(repo, 'rev-parse', 'HEAD').trim();
  fs.writeFileSync(
    event,
    JSON.stringify({ pull_request: { number: 42, head: { sha: headSha }, base: { ref: 'main' } } }),
  );
  const reportDir = path.join(repo, '.leakcheck');
  const run = await runAction(
    { compare: 'base', warmup: '2', duration: '10', pairs: '2', 'report-dir': reportDir },
    {
      cwd: repo,
      timeoutMs: 170_000,
      env: { GITHUB_WORKSPACE: repo, GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event },
    },
  );
  const report = JSON.parse(fs.readFileSync(path.join(reportDir, 'compare.json'), 'utf8')) as CompareReport;
  expect(commandLines(run.stdout, 'error')).toEqual([]);
  expect(run.code).toBe(0);
  expect(report.base.ref).toBe('origin/main');
  expect(report.verdict).not.toBe('leak');
  expect(report.preExisting.map((p) => p.metric)).toContain('heapUsed');
  expect(report.differences.find((d) => d.metric === 'heapUsed')?.base.leakRuns).toBe(2);
  expect(run.outputs.verdict).toBe(report.verdict);
  expect(run.outputs['report-path']).toBe(path.join(reportDir, 'compare.json'));
  expect(run.summary).toContain('### Growth per request, head − base');
  expect(run.summary).toContain('### Already on the base');
  expect(run.summary).toContain('### Last head run');
  expect(JSON.parse(fs.readFileSync(path.join(reportDir, 'pr.json'), 'utf8'))).toEqual({
    number: 42,
    headSha,
  });
  // Base and head both started with PATH's node, two runs each (npm ci, a node script, too); each
  // head run called the leak and started the service again for attribution, no base run did (the
  // comparison shows the head's findings).
  expect(run.pathNodeCalls.filter((c) => c === 'server.js')).toHaveLength(6);
  expect(run.pathNodeCalls.filter((c) => c !== 'server.js' && !/\bnpm\b.* ci$/.test(c))).toEqual([]);
  expect(worktrees(repo)).toBe(1);
});

test('a base ref that does not exist is a usage error: one line, exit 2, no worktree', async () => {
  const repo = makeRepo('clean.js', 'clean.js');
  const run = await runCli(['compare', '--base', 'no-such-branch', '--no-progress'], { cwd: repo });
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(
    'leakcheck: --base no-such-branch: no such branch or commit here (in CI, fetch it first: actions/checkout with fetch-depth: 0)\n',
  );
  expect(worktrees(repo)).toBe(1);
});

test('a failed base install ends in no verdict (exit 3), and the worktree is still removed', async () => {
  const repo = makeRepo('clean.js', 'leak.js');
  const before = baseTemps();
  const out = path.join(repo, '.leakcheck');
  const run = await runCli(
    [
      'compare',
      '--base',
      'main',
      '--install',
      'echo broken registry >&2; exit 7',
      '--out',
      out,
      '--no-progress',
    ],
    { cwd: repo },
  );
  const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(run.code).toBe(3);
  expect(report.verdict).toBe('error');
  expect(report.failure?.message).toMatch(/installing the base failed: .* exited with code 7/);
  expect(report.failure?.logTail).toContain('broken registry');
  expect(report.runs).toEqual([]);
  expect(worktrees(repo)).toBe(1);
  expect([...baseTemps()].filter((n) => !before.has(n))).toEqual([]);
});
