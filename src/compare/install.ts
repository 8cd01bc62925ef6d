/**
 * Installing the base checkout the way the head was installed: the package manager whose lock file
 * is there, in its clean-install mode, or a command the user gives.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { onForcedExit } from '../cleanup';
import { installEnvironment } from '../target/environment';
import { RedactedLog } from '../target/log';

/** What will be run to install the base, and where. */
export interface InstallPlan {
  /** Shell command, or null when there is nothing to install. */
  command: string | null;
  /** Folder it runs in. */
  cwd: string;
  /** Why this command (the lock file found, or "given with --install"). */
  why: string;
}

const LOCK_FILES: ReadonlyArray<[file: string, command: string]> = [
  ['package-lock.json', 'npm ci'],
  ['npm-shrinkwrap.json', 'npm ci'],
  ['pnpm-lock.yaml', 'pnpm install --frozen-lockfile'],
  ['yarn.lock', 'yarn install --frozen-lockfile'],
];

/**
 * Decides how to install: `given` wins ("none" installs nothing); otherwise the nearest lock file
 * from the service's folder up to the checkout's top decides the package manager.
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
  let dir = serviceDir;
  for (;;) {
    for (const [file, command] of LOCK_FILES) {
      if (fs.existsSync(path.join(dir, file))) return { command, cwd: dir, why: `${file} found` };
    }
    const rel = path.relative(topDir, dir);
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) break;
    dir = path.dirname(dir);
  }
  return {
    command: null,
    cwd: serviceDir,
    why: 'no lock file found, nothing installed (give --install "<command>" if the base needs one)',
  };
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
 * Runs the plan's command through the shell with its output appended to `logFile`, killed (whole
 * process group) when `timeoutMs` passes or `signal` aborts.
 *
 * @param plan - what to run
 * @param logFile - file receiving the output
 * @param timeoutMs - bound on the install
 * @param signal - aborts the install
 * @returns how it ended
 */
export function runInstall(
  plan: InstallPlan,
  logFile: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<InstallOutcome> {
  const started = performance.now();
  if (plan.command === null) return Promise.resolve({ ok: true, code: 0, tail: [], ms: 0 });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  // The install's output can print registry URLs with credentials: redacted like the target's.
  const log = new RedactedLog(logFile);
  log.write(`$ ${plan.command}   (in ${plan.cwd})\n`);
  return new Promise((resolve) => {
    // A process group of its own, so a timeout ends npm and everything it started.
    const child = spawn(plan.command as string, {
      cwd: plan.cwd,
      shell: true,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...installEnvironment(process.env), npm_config_audit: 'false', npm_config_fund: 'false' },
    });
    child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const unregister = onForcedExit(kill);
    const timer = setTimeout(kill, timeoutMs);
    signal?.addEventListener('abort', kill, { once: true });
    let done = false;
    const finish = (code: number | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unregister();
      signal?.removeEventListener('abort', kill);
      void log
        .end()
        .then(() =>
          resolve({ ok: code === 0, code, tail: lastLines(logFile, 20), ms: performance.now() - started }),
        );
    };
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
