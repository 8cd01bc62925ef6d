/**
 * Channel folders of a SIGKILLed harness are removed by the next run; nothing else is: not a
 * folder whose owner still runs, not one without an owner file, not other names. Base folders of
 * a SIGKILLed compare take their git worktree with them, and only theirs.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BASE_FOLDERS } from '../../src/compare/git';
import { claimFolder, removeAbandonedFolders } from '../../src/target/abandoned';
import type { ProcessEntry } from '../../src/target/process-table';

const entry = (pid: number, start: string): ProcessEntry => ({
  pid,
  ppid: 1,
  pgid: pid,
  sid: pid,
  start,
  name: 'node',
});

describe('folders of a harness that was killed', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-abandoned-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const folder = (name: string, owner?: string): string => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'agent.sock'), '');
    if (owner !== undefined) fs.writeFileSync(path.join(dir, 'owner'), owner);
    return dir;
  };

  test('go when their owner is gone or its pid was reused; stay otherwise', () => {
    const table = [entry(1, '1'), entry(process.pid, '500'), entry(4242, '900')];
    const dead = folder('leakcheck-aaaaaa', '31337 700\n');
    const reused = folder('leakcheck-bbbbbb', '4242 800\n'); // pid 4242 now started at 900
    const running = folder('leakcheck-cccccc', '4242 900\n');
    const mine = folder('leakcheck-dddddd');
    claimFolder(mine, table);
    const unowned = folder('leakcheck-eeeeee');
    const other = folder('leakcheck-test-ffffff', '31337 700\n');
    expect(fs.readFileSync(path.join(mine, 'owner'), 'utf8')).toBe(`${process.pid} 500\n`);
    expect(removeAbandonedFolders(tmp, table).sort()).toEqual([dead, reused]);
    for (const kept of [running, mine, unowned, other]) expect(fs.existsSync(kept)).toBe(true);
    expect(fs.existsSync(dead) || fs.existsSync(reused)).toBe(false);
  });

  test('nothing is removed when the process table cannot be read', () => {
    const dead = folder('leakcheck-gggggg', '31337 700\n');
    expect(removeAbandonedFolders(tmp, [])).toEqual([]);
    expect(fs.existsSync(dead)).toBe(true);
  });
});

describe('base folders of a compare that was killed', () => {
  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lc-abandoned-base-')));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  const repo = path.join(tmp, 'repo');
  fs.mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  git(
    repo,
    '-c',
    'user.email=t@example.invalid',
    '-c',
    'user.name=t',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'x',
  );
  const worktrees = (): number =>
    git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length ?? 0;

  /** A base folder as addWorktree leaves it: owner, repository, and the worktree in tree/. */
  const baseFolder = (name: string, owner: string): string => {
    const parent = path.join(tmp, name);
    fs.mkdirSync(parent);
    fs.writeFileSync(path.join(parent, 'owner'), owner);
    fs.writeFileSync(path.join(parent, 'repository'), `${repo}\n`);
    git(repo, 'worktree', 'add', '-q', '--detach', path.join(parent, 'tree'), 'HEAD');
    return parent;
  };

  test('the worktree of a gone owner is removed and pruned; a live owner keeps its own', () => {
    const table = [entry(1, '1'), entry(4242, '900')];
    const dead = baseFolder('leakcheck-base-aaaaaa', '31337 700\n');
    const running = baseFolder('leakcheck-base-bbbbbb', '4242 900\n');
    expect(worktrees()).toBe(3);
    // Channel folders' sweep does not touch base folders, and the reverse.
    expect(removeAbandonedFolders(tmp, table)).toEqual([]);
    expect(removeAbandonedFolders(tmp, table, BASE_FOLDERS)).toEqual([dead]);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(path.join(running, 'tree', '.git'))).toBe(true);
    expect(worktrees()).toBe(2);
    expect(fs.readdirSync(path.join(repo, '.git', 'worktrees'))).toEqual(['tree1']);
  });

  test('a base folder killed before its worktree was added is removed all the same', () => {
    const early = path.join(tmp, 'leakcheck-base-cccccc');
    fs.mkdirSync(early);
    fs.writeFileSync(path.join(early, 'owner'), '31337 700\n');
    expect(removeAbandonedFolders(tmp, [entry(1, '1'), entry(4242, '900')], BASE_FOLDERS)).toEqual([early]);
    expect(fs.existsSync(early)).toBe(false);
  });
});
