/**
 * `leakcheck bisect` on the throw-away repository of test/e2e/bisect-repo.ts: the commit that adds
 * a leak in the service's code is found among 20; on the deps branch the commit that only moves
 * leaky-lib 1.0.0 → 1.0.1 is found and the package and both versions are named (and `compare`
 * says the same of that change); a good revision that leaks is a usage error (exit 2); a bad
 * revision that does not leak ends with exit 0 (a merge: --all-commits lists the merged branch's
 * commits too); Ctrl-C stops the started service, writes the partial result and exits 130. Each
 * run is bounded by requests, not seconds (--warmup-requests 1000 --requests 6000 over 2 runs per
 * revision: 500 + 3,000 requests, about 2 s; the leak adds 8 KB to each, 24 MB a run), so a slow
 * machine measures the same evidence for longer instead of less evidence. Worktrees and target
 * processes are gone afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BisectReport } from '../../src/bisect/report';
import type { CompareReport } from '../../src/compare/report';
import { makeBisectRepo, type BisectRepo } from './bisect-repo';
import { CLI, leftoverTargets, runCli } from './helpers';

const WINDOWS = ['--warmup-requests', '1000', '--requests', '6000'];
let repo: BisectRepo;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: repo.dir, encoding: 'utf8', timeout: 60_000 });
}

function worktrees(): number {
  return git('worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree ')).length;
}

function baseTemps(): Set<string> {
  return new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('leakcheck-base-')));
}

async function bisect(
  args: string[],
  timeoutMs = 420_000,
): Promise<{ code: number | null; stdout: string; stderr: string; report: BisectReport | null }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bisect-out-'));
  const run = await runCli(['bisect', ...args, ...WINDOWS, '--out', out, '--no-progress'], {
    cwd: repo.dir,
    timeoutMs,
  });
  const file = path.join(out, 'bisect.json');
  const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BisectReport) : null;
  fs.rmSync(out, { recursive: true, force: true });
  return { ...run, report };
}

beforeAll(() => {
  repo = makeBisectRepo({ commits: 20, leakAt: 11, depCommits: 6, depLeakAt: 4 });
}, 180_000);

afterAll(() => {
  repo?.remove();
  expect(leftoverTargets()).toEqual([]);
});

test('finds the commit that adds a leak in the service code among 20', async () => {
  const before = baseTemps();
  // Room for re-measurements on a busy machine; bench/bisect.ts holds the default budget to its target.
  const run = await bisect(['--good', 'good', '--bad', 'main', '--max-steps', '12']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(1);
  const report = run.report as BisectReport;
  expect(`${report.outcome}: ${report.summary}`).toMatch(/^found: /);
  expect(report.firstBad?.sha).toBe(repo.leakCommit);
  expect(report.firstBad?.subject).toBe('keep a request history for debugging (11)');
  expect(report.range?.commits.map((c) => c.sha)).toEqual([repo.leakCommit]);
  expect(report.steps.length).toBeLessThanOrEqual(12);
  // The bad revision first; the named commit measured again before it was named.
  expect(report.steps[0]).toMatchObject({ role: 'bad', sha: repo.main[19], verdict: 'leak' });
  expect(report.steps.filter((s) => s.sha === repo.leakCommit && s.role === 'confirm')).toHaveLength(1);
  expect(report.steps.find((s) => s.sha === repo.leakCommit && s.role === 'confirm')?.verdict).toBe('leak');
  expect(report.dependencies?.changed).toEqual([]);
  expect(report.findings.some((f) => f.kind === 'allocation-site' && f.file?.endsWith('server.js'))).toBe(
    true,
  );
  expect(run.stdout).toMatch(/^\nFIRST LEAKING COMMIT {2}[0-9a-f]{12} keep a request history/);
  expect(worktrees()).toBe(1);
  expect([...baseTemps()].filter((n) => !before.has(n))).toEqual([]);
}, 480_000);

test('a leak that only a dependency bump brings: the commit, the package and both versions', async () => {
  const run = await bisect(['--good', 'good', '--bad', 'deps', '--max-steps', '10']);
  expect(run.stderr).toBe('');
  const report = run.report as BisectReport;
  expect(`${report.outcome}: ${report.summary}`).toMatch(/^found: /);
  expect(run.code).toBe(1);
  expect(report.firstBad?.sha).toBe(repo.depLeakCommit);
  expect(report.dependencies?.changed).toEqual([
    { name: 'leaky-lib', from: '1.0.0', to: '1.0.1', direct: true },
  ]);
  const site = report.findings.find((f) => f.kind === 'allocation-site' && f.package);
  expect(site?.package).toMatchObject({ name: 'leaky-lib', version: '1.0.1', file: 'index.js' });
  expect(site?.title).toMatch(
    /^leaky-lib@1\.0\.1 index\.js:\d+ \(tag\) allocates .* called from handle \(server\.js:\d+\)$/,
  );
  expect(report.summary).toContain(
    'growth allocated inside leaky-lib, changed 1.0.0 → 1.0.1 in this change; the project was on leaky-lib@1.0.0 before',
  );
  expect(run.stdout).toMatch(/leaky-lib +1\.0\.0 → 1\.0\.1 {2}direct/);
  expect(worktrees()).toBe(1);
}, 420_000);

test('compare names the dependency change too (base: the commit before the bump)', async () => {
  git('checkout', '-q', 'deps');
  // compare measures the head where it is: installed, as a developer's checkout would be.
  execFileSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: repo.dir, timeout: 120_000 });
  try {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bisect-out-'));
    const run = await runCli(
      [
        'compare',
        '--base',
        `${repo.depLeakCommit}~1`,
        ...WINDOWS,
        '--pairs',
        '2',
        '--out',
        out,
        '--no-progress',
      ],
      { cwd: repo.dir, timeoutMs: 240_000 },
    );
    const report = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareReport;
    fs.rmSync(out, { recursive: true, force: true });
    expect(report.summary).toMatch(/^LEAK ADDED/);
    expect(run.code).toBe(1);
    expect(report.dependencies?.changed).toEqual([
      { name: 'leaky-lib', from: '1.0.0', to: '1.0.1', direct: true },
    ]);
    expect(report.summary).toContain(
      'growth allocated inside leaky-lib, changed 1.0.0 → 1.0.1 in this change',
    );
    expect(run.stdout).toMatch(/dependencies changed, base → head/);
  } finally {
    fs.rmSync(path.join(repo.dir, 'node_modules'), { recursive: true, force: true });
    git('checkout', '-q', 'main');
  }
}, 300_000);

test('a good revision that leaks too is a usage error: one line, exit 2, no worktree left', async () => {
  const run = await bisect(['--good', repo.main[12] as string, '--bad', 'main'], 120_000);
  expect(run.report?.summary).toBeUndefined();
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    /^leakcheck: --good [0-9a-f]{40} \([0-9a-f]{12}\) leaks too: .*give an older revision without the leak\n$/,
  );
  expect(worktrees()).toBe(1);
}, 180_000);

test('a bad revision that does not leak after all (a merge; --all-commits lists the merged branch too): exit 0 after one step', async () => {
  const run = await bisect(['--good', 'good', '--bad', 'merged', '--all-commits'], 180_000);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.report?.outcome).toBe('bad-clean');
  expect(run.report?.steps).toHaveLength(1);
  expect(run.report?.steps[0]).toMatchObject({ role: 'bad', sha: repo.merged.sha, verdict: 'pass' });
  expect(run.report?.firstBad).toBeNull();
  // Every commit: the first-parent line and the merged branch's commits (first-parent alone: 6).
  expect(run.report?.firstParent).toBe(false);
  expect(run.report?.commits).toBe(repo.merged.firstParent.length + repo.merged.side.length);
  expect(repo.merged.firstParent.length).toBeLessThan(run.report?.commits ?? 0);
  expect(run.stdout).toMatch(/^\nNO LEAK {2}the bad revision adds no growth/);
  expect(worktrees()).toBe(1);
}, 240_000);

test('Ctrl-C during a bisect: the started service stops, the partial result is printed and written, exit 130', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bisect-out-'));
  const before = baseTemps();
  const child = spawn(
    process.execPath,
    [CLI, 'bisect', '--good', 'good', '--bad', 'main', ...WINDOWS, '--out', out],
    { cwd: repo.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Interrupt once the first step (the bad revision) is measured and the next one's service is
  // running: a partial result to keep, and a process to stop.
  const interrupted = new Promise<boolean>((resolve) => {
    const deadline = setTimeout(() => resolve(false), 120_000);
    let stepped = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!stepped && /\nleakcheck: step 1: /.test(stderr)) {
        stepped = true;
        const poll = setInterval(() => {
          if (leftoverTargets().length === 0) return;
          clearInterval(poll);
          clearTimeout(deadline);
          child.kill('SIGINT');
          resolve(true);
        }, 50);
        deadline.refresh();
        child.on('exit', () => clearInterval(poll));
      }
    });
    child.on('exit', () => clearTimeout(deadline));
  });
  const sent = await interrupted;
  if (!sent) child.kill('SIGKILL');
  const code = await exited;
  const file = path.join(out, 'bisect.json');
  const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BisectReport) : null;
  fs.rmSync(out, { recursive: true, force: true });
  expect(sent).toBe(true);
  expect(code).toBe(130);
  expect(stderr).toMatch(
    /\nleakcheck: SIGINT: stopping the target and removing the worktrees \(again to force\)\n/,
  );
  expect(report?.outcome).toBe('aborted');
  expect(report?.exitCode).toBe(130);
  expect(report?.steps[0]).toMatchObject({ role: 'bad', sha: repo.main[19], verdict: 'leak' });
  // The partial result on stdout too: the headline and the bad revision's step.
  expect(stdout).toMatch(/^\nINTERRUPTED {2}/);
  expect(stdout).toContain(repo.main[19]?.slice(0, 12));
  expect(leftoverTargets()).toEqual([]);
  expect(worktrees()).toBe(1);
  expect([...baseTemps()].filter((n) => !before.has(n))).toEqual([]);
}, 180_000);

test('bad input: an unknown ref, and a good revision after the bad one', async () => {
  const unknown = await bisect(['--good', 'no-such-ref'], 30_000);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toBe(
    'leakcheck: --good no-such-ref: no such branch or commit here (in CI, fetch the history: fetch-depth: 0)\n',
  );
  const reversed = await bisect(['--good', 'main', '--bad', 'good'], 30_000);
  expect(reversed.code).toBe(2);
  expect(reversed.stderr).toBe(
    'leakcheck: --good main is not an ancestor of --bad good: nothing between them to search\n',
  );
}, 90_000);
