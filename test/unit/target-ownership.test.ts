/**
 * Own processes only: the tracker finds the target's processes (descendants, re-parented ones,
 * group and session members, marker carriers) and refuses everything else, including a pid that
 * was the target's and has been reused. The least environment withholds CI credentials.
 */
import { ProcessTracker, type ProcessReader } from '../../src/target/ownership';
import type { ProcessEntry } from '../../src/target/process-table';
import { installEnvironment, isWithheld, targetEnvironment } from '../../src/target/environment';
import { onForcedExit, pendingCleanups, runForcedCleanup } from '../../src/cleanup';

/** A process table that tests change between scans. */
class FakeTable implements ProcessReader {
  entries: ProcessEntry[] = [];
  markers = new Set<number>();
  list(): ProcessEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
  hasMarker(pid: number): boolean {
    return this.markers.has(pid);
  }
  add(pid: number, ppid: number, pgid: number, sid: number, start = `s${pid}`): void {
    this.entries.push({ pid, ppid, pgid, sid, start, name: 'p' });
  }
  remove(pid: number): void {
    this.entries = this.entries.filter((e) => e.pid !== pid);
  }
}

describe('process ownership', () => {
  test('descendants, group members and marker carriers are the target; strangers are not', () => {
    const t = new FakeTable();
    t.add(1, 0, 1, 1); // init
    t.add(500, 1, 500, 500); // an unrelated process
    t.add(100, 1, 100, 100); // the leader (its own session and group)
    t.add(101, 100, 100, 100); // a child
    t.add(102, 101, 102, 100); // a grandchild in its own group, same session
    t.add(103, 1, 103, 103); // setsid + double fork: only the marker says it is ours
    t.markers.add(103);
    const tracker = new ProcessTracker(100, 'm', t);
    expect(tracker.alive().sort()).toEqual([100, 101, 102, 103]);
    expect(tracker.owns(500)).toBe(false);
    expect(tracker.owns(1)).toBe(false);
  });

  test('a child re-parented to init after its parent exits stays known', () => {
    const t = new FakeTable();
    t.add(100, 1, 100, 100);
    t.add(101, 100, 101, 101); // setsid child, no marker readable (not Linux)
    const tracker = new ProcessTracker(100, 'm', t);
    expect(tracker.owns(101)).toBe(true);
    t.remove(100);
    t.entries.find((e) => e.pid === 101)!.ppid = 1;
    tracker.leaderExited();
    expect(tracker.alive()).toEqual([101]);
  });

  test('a reused pid (same pid, another start time) is not the target any more', () => {
    const t = new FakeTable();
    t.add(100, 1, 100, 100);
    t.add(101, 100, 100, 100);
    const tracker = new ProcessTracker(100, 'm', t);
    expect(tracker.owns(101)).toBe(true);
    t.remove(101);
    t.add(101, 1, 101, 101, 'later');
    expect(tracker.owns(101)).toBe(false);
  });

  test('after the group is seen empty and the leader reaped, a new group with that id is not ours', () => {
    const t = new FakeTable();
    t.add(100, 1, 100, 100);
    const tracker = new ProcessTracker(100, 'm', t);
    t.remove(100);
    tracker.leaderExited();
    expect(tracker.alive()).toEqual([]);
    // pid 100 reused by a stranger, who starts a group of its own with the same id
    t.add(100, 1, 100, 100, 'stranger');
    t.add(130, 100, 100, 100);
    expect(tracker.alive()).toEqual([]);
  });

  test('zombies are neither signalled nor counted as left behind', () => {
    const t = new FakeTable();
    t.add(100, 1, 100, 100);
    t.add(101, 100, 100, 100);
    const tracker = new ProcessTracker(100, 'm', t);
    t.entries.find((e) => e.pid === 101)!.zombie = true;
    expect(tracker.alive()).toEqual([100]);
  });
});

describe('least environment', () => {
  const harness = {
    PATH: '/usr/bin',
    HOME: '/root',
    GITHUB_TOKEN: 'ghs_x',
    GH_TOKEN: 'x',
    ACTIONS_RUNTIME_TOKEN: 'x',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
    'INPUT_GITHUB-TOKEN': 'x',
    NODE_AUTH_TOKEN: 'npm-x',
    NPM_TOKEN: 'npm-y',
    'npm_config_//registry.example.com/:_authToken': 'npm-z',
    DATABASE_URL: 'postgres://localhost/app',
    CI: 'true',
  };

  test('the target gets the environment minus CI, Actions and registry credentials', () => {
    const env = targetEnvironment(harness);
    expect(Object.keys(env).sort()).toEqual(['CI', 'DATABASE_URL', 'HOME', 'PATH']);
  });

  test('the config may set any variable explicitly, a withheld one included', () => {
    expect(targetEnvironment(harness, { GITHUB_TOKEN: 'on-purpose', PORT: '0' })).toMatchObject({
      GITHUB_TOKEN: 'on-purpose',
      PORT: '0',
    });
  });

  test('the base install keeps registry credentials, never GitHub or Actions tokens', () => {
    const env = installEnvironment(harness);
    expect(env.NODE_AUTH_TOKEN).toBe('npm-x');
    expect(env.NPM_TOKEN).toBe('npm-y');
    expect(env['npm_config_//registry.example.com/:_authToken']).toBe('npm-z');
    for (const k of ['GITHUB_TOKEN', 'GH_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'INPUT_GITHUB-TOKEN'])
      expect(env[k]).toBeUndefined();
  });

  test('names are matched without regard to case; ordinary names are kept', () => {
    expect(isWithheld('github_token')).toBe(true);
    expect(isWithheld('input_foo')).toBe(true);
    expect(isWithheld('NODE_ENV')).toBe(false);
    expect(isWithheld('npm_config_cache')).toBe(false);
  });
});

describe('forced-exit cleanup', () => {
  test('runs newest first, each once; unregistered ones do not run', () => {
    const order: string[] = [];
    onForcedExit(() => order.push('channel'));
    const un = onForcedExit(() => order.push('gone'));
    onForcedExit(() => {
      order.push('target');
      throw new Error('the next one still runs');
    });
    un();
    runForcedCleanup();
    runForcedCleanup();
    expect(order).toEqual(['target', 'channel']);
    expect(pendingCleanups()).toBe(0);
  });
});
