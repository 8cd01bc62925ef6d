/**
 * A small watcher process that outlives leakcheck only to clean up when leakcheck itself is killed
 * (SIGKILL, the OOM killer) and so cannot: it ends the target, removes the run's temporary folders
 * and a compare worktree. The agent inside the service ends the target when its channel closes,
 * but only once it has connected; the reaper also covers a harness killed during start-up, a
 * target in which no agent runs (a wrapper that drops NODE_OPTIONS), a base install, and what is
 * on disk.
 *
 * It is a plain `node -e` script (no file to locate, bundled or not), started in a session of its
 * own (a Ctrl-C to the terminal's group does not reach it) with an environment that holds nothing
 * but PATH. It polls its parent pid: when that changes, leakcheck is gone, and it sends SIGTERM,
 * then after a grace period SIGKILL, to the processes whose environment carries the run's marker
 * (Linux: /proc/<pid>/environ; a value unique to the run, so nothing else matches), then removes
 * the worktree (`git worktree remove --force --force`), the folders, and prunes the worktree's
 * entry. leakcheck ends it when it has cleaned up in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { RUN_MARKER_ENV } from './ownership';

/** How often the reaper checks that leakcheck is still its parent. */
const POLL_MS = 250;
/** SIGTERM to SIGKILL, as the agent's grace (a target that ignores SIGTERM). */
const GRACE_MS = 3000;

/**
 * The watcher's source; argv[1] is its orders as JSON (the marker's `NAME=value` needle, the
 * worktree, the folders), argv[2] leakcheck's pid (given, not read at start: leakcheck may already
 * be gone when a busy machine lets the watcher start).
 */
const SOURCE = `
const fs = require('fs');
const { spawnSync } = require('child_process');
const orders = JSON.parse(process.argv[1]);
const needle = orders.needle ? Buffer.from(orders.needle + '\\0') : null;
const parent = Number(process.argv[2]);
const marked = () => {
  const out = [];
  if (!needle) return out;
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (fs.readFileSync('/proc/' + name + '/environ').includes(needle)) out.push(Number(name)); } catch {}
  }
  return out;
};
const signal = (s) => { for (const pid of marked()) { try { process.kill(pid, s); } catch {} } };
const tidy = () => {
  const w = orders.worktree;
  const git = (args) => { try { spawnSync('git', args, { cwd: w.repo, stdio: 'ignore', timeout: 60000 }); } catch {} };
  if (w) git(['worktree', 'remove', '--force', '--force', w.dir]);
  for (const dir of orders.folders) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
  if (w) git(['worktree', 'prune']);
  process.exit(0);
};
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  if (marked().length === 0) return tidy();
  signal('SIGTERM');
  setTimeout(() => { signal('SIGKILL'); setTimeout(tidy, 200); }, ${GRACE_MS});
}, ${POLL_MS});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
`;

/** What the reaper cleans up if leakcheck dies first. */
export interface ReaperOrders {
  /** A marker (ownership.ts): the processes carrying it in their environment are ended first. */
  marker?: string;
  /** A git worktree to remove: the repository's folder and the worktree's top folder. */
  worktree?: { repo: string; dir: string };
  /** Folders to remove (after the worktree), e.g. the agent channel's or the worktree's parent. */
  folders?: string[];
}

/** A started reaper. */
export interface Reaper {
  /** Everything was cleaned up in order: the reaper exits without doing anything. */
  release(): void;
}

/**
 * Starts a reaper, where /proc can be read (elsewhere it could not find the marked processes, and
 * nothing is started: the channel's folder sweep, abandoned.ts, is the fallback for folders).
 *
 * @param orders - what to clean up if leakcheck is killed
 * @returns the reaper, to release once leakcheck has cleaned up itself
 */
export function startReaper(orders: ReaperOrders): Reaper {
  if (!fs.existsSync('/proc/self/environ')) return { release: () => undefined };
  const json = JSON.stringify({
    needle: orders.marker === undefined ? null : `${RUN_MARKER_ENV}=${orders.marker}`,
    worktree: orders.worktree ?? null,
    folders: orders.folders ?? [],
  });
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['-e', SOURCE, json, String(process.pid)], {
      detached: true,
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    child.on('error', () => undefined);
    // It must never keep leakcheck alive.
    child.unref();
  } catch {
    return { release: () => undefined };
  }
  return {
    release() {
      // Our own child, not yet reaped while it runs: its pid cannot belong to anyone else.
      if (child && child.exitCode === null && child.signalCode === null) {
        try {
          child.kill('SIGTERM');
        } catch {
          // gone
        }
      }
    },
  };
}
