/**
 * The harness itself killed with SIGKILL mid-run (a CI hard cancel, the OOM killer): nothing of
 * leakcheck's can run any more, so the agent inside the target must notice its channel closing
 * without a goodbye and end the target's whole tree: the service (which ignores SIGTERM), a
 * `setsid` child in a session of its own and a double-forked child re-parented to init. A process
 * the test started itself, outside leakcheck, must survive: only processes leakcheck started are
 * ever signalled. A second case kills it during start-up with a target in which no agent runs:
 * the reaper (src/target/reaper.ts) ends that tree. A third kills `leakcheck compare` mid-run:
 * the target tree ends, and the base worktree, its temporary folder and the channel's folder go too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, makeHostileRepo } from '../hostile-repo';
import { isLive, processesWith } from '../proc';
import { CLI, ROOT } from './helpers';

const FIXTURE = path.join(ROOT, 'fixtures', 'hostile');

/** Polls `check` every 100 ms until it holds or `ms` pass; returns its last value. */
async function until<T>(check: () => T, done: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = check();
  while (!done(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = check();
  }
  return v;
}

const started: ChildProcess[] = [];
const tags: string[] = [];

afterEach(() => {
  // Whatever a failed case left behind, this test ends (it started all of it).
  for (const tag of tags.splice(0)) {
    for (const pid of processesWith(`HOSTILE_SLEEP=${tag}\0`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('SIGKILL to leakcheck mid-run: the agent ends the whole target tree, and nothing else', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-kill-'));
  const out = path.join(tmp, 'out');
  // A unique sleep length marks every process of this target (and only them) in /proc.
  const tag = String(50_000 + (process.pid % 10_000));
  tags.push(tag);
  // A bystander: started by the test, not by leakcheck, in a group of its own.
  const bystander = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  started.push(bystander);

  const harness = spawn(
    process.execPath,
    [CLI, 'run', '--no-progress', '--out', out, '--warmup', '1', '--duration', '120', '--timeout', '180'],
    {
      cwd: FIXTURE,
      env: {
        ...process.env,
        TMPDIR: tmp,
        HOSTILE_MODE: 'ignore-term,setsid,double-fork',
        HOSTILE_SLEEP: tag,
        HOSTILE_ANNOUNCE: '200',
      },
      stdio: 'ignore',
    },
  );
  started.push(harness);
  const harnessExit = new Promise<NodeJS.Signals | number | null>((resolve) =>
    harness.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const needle = `HOSTILE_SLEEP=${tag}\0`;

  // Mid-run: the service has answered 200 requests (the agent said hello, traffic flows) and its
  // two sleeping children exist.
  const log = path.join(out, 'target.log');
  const underWay = await until(
    () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('served 200'),
    (v) => v,
    60_000,
  );
  expect(underWay).toBe(true);
  const tree = await until(
    () => processesWith(needle),
    (v) => v.length >= 3,
    10_000,
  );
  // The service, the setsid sleep and the double-forked sleep (the setsid wrapper may be one more).
  expect(tree.length).toBeGreaterThanOrEqual(3);
  expect(harness.exitCode).toBeNull();

  harness.kill('SIGKILL');
  expect(await harnessExit).toBe('SIGKILL');

  // The agent's grace period for SIGTERM is 3 s, then SIGKILL: bounded wait well beyond that.
  const left = await until(
    () => processesWith(needle),
    (v) => v.length === 0,
    15_000,
  );
  expect(left).toEqual([]);
  expect(tree.every((pid) => !isLive(pid))).toBe(true);
  // Only the target's processes were signalled: the bystander lives on.
  expect(bystander.pid !== undefined && isLive(bystander.pid)).toBe(true);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('SIGKILL to leakcheck during start-up, with no agent in the target: the reaper ends the tree', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-kill-'));
  // A target in which no agent runs (not Node), that never listens: only the reaper can end it.
  const tag = String(51_000 + (process.pid % 10_000));
  tags.push(tag);
  const harness = spawn(
    process.execPath,
    [
      CLI,
      'run',
      '--no-progress',
      '--out',
      path.join(tmp, 'out'),
      '--ready-timeout',
      '120',
      '--',
      'sh',
      '-c',
      `setsid sleep ${tag} & exec sleep ${tag}`,
    ],
    { cwd: FIXTURE, env: { ...process.env, TMPDIR: tmp, HOSTILE_SLEEP: tag }, stdio: 'ignore' },
  );
  started.push(harness);
  const harnessExit = new Promise<NodeJS.Signals | number | null>((resolve) =>
    harness.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const needle = `HOSTILE_SLEEP=${tag}\0`;
  // Both sleeps running (the harness carries the tag too: three processes).
  const tree = await until(
    () => processesWith(needle).filter((pid) => pid !== harness.pid),
    (v) => v.length >= 2,
    30_000,
  );
  expect(tree.length).toBe(2);
  harness.kill('SIGKILL');
  expect(await harnessExit).toBe('SIGKILL');
  const left = await until(
    () => processesWith(needle),
    (v) => v.length === 0,
    15_000,
  );
  expect(left).toEqual([]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('SIGKILL to leakcheck compare mid-run: the target tree ends and no worktree or folder is left', async () => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lc-kill-')));
  // A repository whose main branch is the base and whose feature branch (checked out) is the head.
  const repo = path.join(tmp, 'repo');
  makeHostileRepo(repo);
  const runTmp = path.join(tmp, 'tmp');
  fs.mkdirSync(runTmp);
  const tag = String(52_000 + (process.pid % 10_000));
  tags.push(tag);
  const harness = spawn(
    process.execPath,
    [
      CLI,
      'compare',
      '--base',
      'main',
      '--install',
      'none',
      '--pairs',
      '2',
      '--warmup',
      '1',
      '--duration',
      '240',
      '--no-progress',
      '--out',
      path.join(tmp, 'out'),
    ],
    {
      cwd: repo,
      env: {
        ...process.env,
        TMPDIR: runTmp,
        HOSTILE_MODE: 'ignore-term,setsid,double-fork',
        HOSTILE_SLEEP: tag,
      },
      stdio: 'ignore',
    },
  );
  started.push(harness);
  const harnessExit = new Promise<NodeJS.Signals | number | null>((resolve) =>
    harness.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const needle = `HOSTILE_SLEEP=${tag}\0`;
  const leftovers = (): string[] => fs.readdirSync(runTmp).filter((n) => n.startsWith('leakcheck-'));
  // Mid-run: the base is checked out (its folder and the channel's exist) and a target runs with
  // its two sleeping children (the harness carries the tag too: it is not counted).
  const running = await until(
    () => ({
      tree: processesWith(needle).filter((pid) => pid !== harness.pid),
      folders: leftovers(),
    }),
    (v) => v.tree.length >= 3 && v.folders.some((n) => n.startsWith('leakcheck-base-')),
    90_000,
  );
  expect(running.tree.length).toBeGreaterThanOrEqual(3);
  expect(running.folders.filter((n) => n.startsWith('leakcheck-base-')).length).toBe(1);
  expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length).toBe(2);
  expect(harness.exitCode).toBeNull();

  harness.kill('SIGKILL');
  expect(await harnessExit).toBe('SIGKILL');

  // The reapers: SIGTERM, 3 s grace, SIGKILL, then the worktree and folders; bounded wait.
  const after = await until(
    () => ({
      processes: processesWith(needle),
      folders: leftovers(),
      worktrees: git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length,
    }),
    (v) => v.processes.length === 0 && v.folders.length === 0 && v.worktrees === 1,
    20_000,
  );
  expect(after).toEqual({ processes: [], folders: [], worktrees: 1 });
  expect(running.tree.every((pid) => !isLive(pid))).toBe(true);
  // The repository's own checkout is untouched, and git keeps no entry for the removed worktree.
  expect(git(repo, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('feature');
  expect(
    fs.existsSync(path.join(repo, '.git', 'worktrees'))
      ? fs.readdirSync(path.join(repo, '.git', 'worktrees'))
      : [],
  ).toEqual([]);
  fs.rmSync(tmp, { recursive: true, force: true });
});
