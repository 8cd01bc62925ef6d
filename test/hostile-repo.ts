/**
 * A git repository of fixtures/hostile for `leakcheck compare`: the base on `main`, the head (one
 * comment more) on `feature`, checked out. Shared by test/e2e/harness-kill.test.ts and
 * bench/reliability.ts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'hostile');

/** Runs git in `cwd` (bounded: 60 s) and returns its output. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 60_000 });
}

/**
 * Creates the repository in `dir` (which must not exist yet).
 *
 * @param dir - where the repository goes
 */
export function makeHostileRepo(dir: string): void {
  fs.mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'test@example.invalid');
  git(dir, 'config', 'user.name', 'leakcheck test');
  for (const f of ['server.js', 'leakcheck.config.json'])
    fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'checkout', '-q', '-b', 'feature');
  fs.appendFileSync(path.join(dir, 'server.js'), '// the head\n');
  git(dir, 'commit', '-q', '-a', '-m', 'head');
}
