/**
 * A small watcher process that outlives leakcheck only to end the target when leakcheck itself is
 * killed (SIGKILL, the OOM killer) and so cannot. The agent inside the service does the same when
 * its channel closes, but only once it has connected; the reaper also covers a harness killed
 * during start-up and a target in which no agent runs (a wrapper that drops NODE_OPTIONS).
 *
 * It is a plain `node -e` script (no file to locate, bundled or not), started in a session of its
 * own (a Ctrl-C to the terminal's group does not reach it) with an environment that holds nothing
 * but PATH. It polls its parent pid: when that changes, leakcheck is gone, and it sends SIGTERM,
 * then after a grace period SIGKILL, to the processes whose environment carries the run's marker
 * (Linux: /proc/<pid>/environ; a value unique to the run, so nothing else matches). leakcheck ends
 * it when the target has been stopped in order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { RUN_MARKER_ENV } from './ownership';

/** How often the reaper checks that leakcheck is still its parent. */
const POLL_MS = 250;
/** SIGTERM to SIGKILL, as the agent's grace (a target that ignores SIGTERM). */
const GRACE_MS = 3000;

/**
 * The watcher's source; argv[1] is the marker's `NAME=value` needle, argv[2] leakcheck's pid (given,
 * not read at start: leakcheck may already be gone when a busy machine lets the watcher start).
 */
const SOURCE = `
const fs = require('fs');
const needle = Buffer.from(process.argv[1] + '\\0');
const parent = Number(process.argv[2]);
const marked = () => {
  const out = [];
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\\d+$/.test(name) || Number(name) === process.pid) continue;
    try { if (fs.readFileSync('/proc/' + name + '/environ').includes(needle)) out.push(Number(name)); } catch {}
  }
  return out;
};
const signal = (s) => { for (const pid of marked()) { try { process.kill(pid, s); } catch {} } };
const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  signal('SIGTERM');
  setTimeout(() => { signal('SIGKILL'); process.exit(0); }, ${GRACE_MS});
}, ${POLL_MS});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
`;

/** A started reaper. */
export interface Reaper {
  /** The target was stopped in order: the reaper exits without doing anything. */
  release(): void;
}

/**
 * Starts the reaper for one run's marker, where /proc can be read (elsewhere it could not find
 * the marked processes, and nothing is started).
 *
 * @param marker - the run's marker (ownership.ts), in the target's environment
 * @returns the reaper, to release once the target has been stopped
 */
export function startReaper(marker: string): Reaper {
  if (!fs.existsSync('/proc/self/environ')) return { release: () => undefined };
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['-e', SOURCE, `${RUN_MARKER_ENV}=${marker}`, String(process.pid)], {
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
