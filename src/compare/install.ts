/**
 * Installing the base checkout the way the head was installed: the package manager that
 * package.json's `packageManager` field or the lock file names, in its clean-install mode, or a
 * command the user gives.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onForcedExit } from '../cleanup';
import { LOCKFILE_NAMES, type LockfileFormat } from '../deps/lockfile';
import { installEnvironment } from '../target/environment';
import { RedactedLog } from '../target/log';
import {
  newRunMarker,
  ProcessTracker,
  RUN_MARKER_ENV,
  systemReader,
  type ProcessReader,
} from '../target/ownership';
import { startReaper } from '../target/reaper';

/** What will be run to install the base, and where. */
export interface InstallPlan {
  /** Shell command, or null when there is nothing to install. */
  command: string | null;
  /** Folder it runs in. */
  cwd: string;
  /** Why this command (the lock file found, or "given with --install"). */
  why: string;
}

/** The package managers leakcheck can install the base with: one per lock file format. */
export type PackageManager = LockfileFormat;

/** Clean install from the lock file, failing instead of updating it: each manager's own flag. */
export const FROZEN_INSTALL: Readonly<Record<PackageManager, string>> = {
  npm: 'npm ci',
  pnpm: 'pnpm install --frozen-lockfile',
  'yarn-classic': 'yarn install --frozen-lockfile',
  'yarn-berry': 'yarn install --immutable',
  bun: 'bun install --frozen-lockfile',
};

/** Install without a lock file (a base commit that has none). */
const PLAIN_INSTALL: Readonly<Record<PackageManager, string>> = {
  npm: 'npm install',
  pnpm: 'pnpm install',
  'yarn-classic': 'yarn install',
  'yarn-berry': 'yarn install',
  bun: 'bun install',
};

/**
 * The manager package.json's `packageManager` field names ("pnpm@9.1.0", "yarn@4.1.1"), or null
 * when the field is missing or names something else.
 */
export function managerFromField(field: unknown): PackageManager | null {
  if (typeof field !== 'string') return null;
  const m = /^(npm|pnpm|yarn|bun)@(\d+)/.exec(field.trim());
  if (!m) return null;
  if (m[1] === 'yarn') return Number(m[2]) >= 2 ? 'yarn-berry' : 'yarn-classic';
  return m[1] as PackageManager;
}

function readPackageManagerField(dir: string): PackageManager | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      packageManager?: unknown;
    };
    return managerFromField(pkg.packageManager);
  } catch {
    return null;
  }
}

/** Yarn 2+ writes `__metadata:` into yarn.lock and reads .yarnrc.yml; classic does neither. */
function yarnFlavour(dir: string): PackageManager {
  if (fs.existsSync(path.join(dir, '.yarnrc.yml'))) return 'yarn-berry';
  try {
    const head = fs.readFileSync(path.join(dir, 'yarn.lock'), 'utf8').slice(0, 2048);
    return /^__metadata:/m.test(head) ? 'yarn-berry' : 'yarn-classic';
  } catch {
    return 'yarn-classic';
  }
}

function locksIn(dir: string): { file: string; manager: PackageManager }[] {
  return LOCKFILE_NAMES.filter(({ file }) => fs.existsSync(path.join(dir, file))).map(
    ({ file, manager }) => ({
      file,
      manager: manager === 'yarn' ? yarnFlavour(dir) : manager,
    }),
  );
}

/**
 * Decides how to install: `given` wins ("none" installs nothing). Otherwise, from the service's
 * folder up to the checkout's top, the nearest `packageManager` field of a package.json names the
 * manager and the nearest lock file says where to run it; without a field the lock file names the
 * manager. The install is frozen (each manager's own flag: npm ci, --frozen-lockfile, --immutable)
 * whenever the manager's lock file is there.
 *
 * @param serviceDir - the service's folder inside the checkout
 * @param topDir - the checkout's top folder (the search stops there)
 * @param given - the user's install command, "none", or undefined for automatic
 * @returns the plan
 */
export function planInstall(serviceDir: string, topDir: string, given?: string): InstallPlan {
  if (given !== undefined) {
    return given.trim() === 'none'
      ? { command: null, cwd: serviceDir, why: 'install turned off (--install none)' }
      : { command: given, cwd: serviceDir, why: 'the given install command' };
  }
  let field: { manager: PackageManager; dir: string } | null = null;
  let lock: { dir: string; locks: { file: string; manager: PackageManager }[] } | null = null;
  let dir = serviceDir;
  for (;;) {
    if (!field) {
      const manager = readPackageManagerField(dir);
      if (manager) field = { manager, dir };
    }
    if (!lock) {
      const locks = locksIn(dir);
      if (locks.length > 0) lock = { dir, locks };
    }
    const rel = path.relative(topDir, dir);
    if ((field && lock) || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) break;
    dir = path.dirname(dir);
  }
  if (field) {
    const own = lock?.locks.find((l) => l.manager === field.manager || sameYarn(l.manager, field.manager));
    if (own && lock) {
      return {
        command: FROZEN_INSTALL[field.manager],
        cwd: lock.dir,
        why: `packageManager ${field.manager} and ${own.file} found`,
      };
    }
    return {
      command: PLAIN_INSTALL[field.manager],
      cwd: field.dir,
      why: `packageManager ${field.manager}, no ${field.manager} lock file: not a frozen install`,
    };
  }
  const first = lock?.locks[0];
  if (lock && first)
    return { command: FROZEN_INSTALL[first.manager], cwd: lock.dir, why: `${first.file} found` };
  return {
    command: null,
    cwd: serviceDir,
    why: 'no lock file found, nothing installed (give --install "<command>" if the base needs one)',
  };
}

/** The field decides classic or berry even when the lock file looks like the other. */
function sameYarn(a: PackageManager, b: PackageManager): boolean {
  return a.startsWith('yarn') && b.startsWith('yarn');
}

/** How an install ended. */
export interface InstallOutcome {
  ok: boolean;
  code: number | null;
  /** The last lines it printed, for the error message. */
  tail: string[];
  ms: number;
}

/**
 * Runs the plan's command through the shell with its output appended to `logFile`. Its processes
 * are tracked like the target's (ProcessTracker: its group and session, descendants, and anything
 * carrying the install's marker, so a `setsid` or double-forked child of a lifecycle script is
 * found too): all of them are killed when `timeoutMs` passes, `signal` aborts (Ctrl-C, SIGTERM,
 * SIGHUP), leakcheck is forced to exit, or the install ends and leaves some behind.
 *
 * @param plan - what to run
 * @param logFile - file receiving the output
 * @param timeoutMs - bound on the install
 * @param signal - aborts the install
 * @param reader - the process table (tests)
 * @returns how it ended
 */
export function runInstall(
  plan: InstallPlan,
  logFile: string,
  timeoutMs: number,
  signal?: AbortSignal,
  reader: ProcessReader = systemReader,
): Promise<InstallOutcome> {
  const started = performance.now();
  if (plan.command === null) return Promise.resolve({ ok: true, code: 0, tail: [], ms: 0 });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // The install's output can print registry URLs with credentials: redacted like the target's.
  const log = new RedactedLog(logFile);
  log.write(`$ ${plan.command}   (in ${plan.cwd})\n`);
  if (signal?.aborted) return log.end().then(() => ({ ok: false, code: null, tail: [], ms: 0 }));
  const marker = newRunMarker();
  // Ends the install's processes if leakcheck is killed while it runs (reaper.ts).
  const reaper = startReaper({ marker });
  return new Promise((resolve) => {
    // A session and process group of its own, so the tracker can tell its processes apart.
    const child = spawn(plan.command as string, {
      cwd: plan.cwd,
      shell: true,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...installEnvironment(process.env),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        [RUN_MARKER_ENV]: marker,
      },
    });
    const tracker = child.pid === undefined ? undefined : new ProcessTracker(child.pid, marker, reader);
    tracker?.watch();
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    const kill = (): void => {
      tracker?.signal('SIGKILL');
    };
    const unregister = onForcedExit(kill);
    const timer = setTimeout(kill, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      endLeftovers();
      tracker?.close();
      unregister();
      reaper.release();
      void log
        .end()
        .then(() =>
          resolve({ ok: code === 0, code, tail: lastLines(logFile, 20), ms: performance.now() - started }),
        );
    };
    // Whatever the install started and left running (a daemon a lifecycle script spawned) ends
    // with it; it may also hold the output pipes open, which would delay 'close'.
    const endLeftovers = (): void => {
      tracker?.leaderExited();
      if (tracker && tracker.alive().length > 0) tracker.signal('SIGKILL');
    };
    child.once('exit', endLeftovers);
    child.once('error', () => finish(127));
    child.once('close', (code) => finish(code));
  });
}

function lastLines(file: string, n: number): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n);
  } catch {
    return [];
  }
}
