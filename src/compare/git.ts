/**
 * The git side of base-versus-head: find the merge base, check it out in a temporary worktree
 * (the user's checkout, index and branches are left alone) and remove it again.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onForcedExit } from '../cleanup';
import { UsageError } from '../errors';
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';
import { claimFolder, removeAbandonedFolders, type FolderKind } from '../target/abandoned';
import { newRunMarker, RUN_MARKER_ENV } from '../target/ownership';
import { listProcesses } from '../target/process-table';
import { startReaper } from '../target/reaper';

/** Output of one git command. */
interface GitOutput {
  stdout: string;
  stderr: string;
}

/** Git failed for a reason that is the environment's, not the user's input. */
export class GitError extends LeakcheckError {
  /** @param message - one line for the user */
  constructor(message: string) {
    super(message, EXIT.infrastructure);
  }
}

/**
 * Runs git with arguments (never through a shell), bounded by a timeout; `env` is added to the
 * harness's environment (a run marker, so a reaper can find the command and its hooks).
 */
export function git(
  cwd: string,
  args: string[],
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' },
      },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: unknown };
          const first = (String(stderr).trim().split('\n')[0] ?? '').trim();
          const message =
            e.code === 'ENOENT' ? 'git is not installed (or not on PATH)' : first || e.message.split('\n')[0];
          reject(new GitError(`git ${args.join(' ')}: ${message}`));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Where the head is and which commit the base is. */
export interface Revisions {
  /** Top folder of the repository the service lives in. */
  topLevel: string;
  /** Commit checked out now (the head; uncommitted changes are part of what is measured). */
  head: string;
  /** `git merge-base HEAD <ref>`: the commit the pull request branched from. */
  mergeBase: string;
  /** The ref as given. */
  ref: string;
  /** Whether the working tree has uncommitted changes to tracked files. */
  dirty: boolean;
}

/**
 * Resolves the head and the merge base with `ref`. A bad ref, or a shallow clone without the
 * common history, is the user's to fix: it throws a {@link UsageError} saying what to do.
 *
 * @param dir - a folder inside the repository (the service's folder)
 * @param ref - the base branch or commit, e.g. origin/main
 * @returns the revisions
 */
export async function resolveRevisions(dir: string, ref: string): Promise<Revisions> {
  let topLevel: string;
  try {
    topLevel = (await git(dir, ['rev-parse', '--show-toplevel'])).stdout.trim();
  } catch (err) {
    throw new UsageError(`${dir}: not inside a git repository (${(err as Error).message})`);
  }
  const head = (await git(dir, ['rev-parse', '--verify', 'HEAD^{commit}'])).stdout.trim();
  try {
    await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError(
      `--base ${ref}: no such branch or commit here (in CI, fetch it first: actions/checkout with fetch-depth: 0)`,
    );
  }
  let mergeBase: string;
  try {
    mergeBase = (await git(dir, ['merge-base', 'HEAD', ref])).stdout.trim();
  } catch {
    throw new UsageError(
      `--base ${ref}: no common ancestor with HEAD (a shallow clone? fetch the history: actions/checkout with fetch-depth: 0)`,
    );
  }
  const status = (await git(dir, ['status', '--porcelain', '--untracked-files=no'])).stdout.trim();
  return { topLevel: fs.realpathSync(topLevel), head, mergeBase, ref, dirty: status.length > 0 };
}

/** A checked-out base commit and how to get rid of it. */
export interface Worktree {
  /** The worktree's top folder. */
  dir: string;
  /** Removes the worktree and its temporary folder; safe to call twice. */
  remove(): Promise<void>;
}

/** File in a base folder naming the repository its worktree belongs to. */
const REPO_FILE = 'repository';

/** Removes a worktree and its entry in the repository, synchronously (a forced exit, a sweep). */
function removeWorktreeSync(repoDir: string, parent: string): void {
  const opts = { cwd: repoDir, stdio: 'ignore', timeout: 10_000 } as const;
  spawnSync('git', ['worktree', 'remove', '--force', '--force', path.join(parent, 'tree')], opts);
  fs.rmSync(parent, { recursive: true, force: true });
  spawnSync('git', ['worktree', 'prune'], opts);
}

/**
 * Base folders (`leakcheck-base-XXXXXX`) of a compare or bisect that was killed: the worktree is
 * removed from the repository the folder names, then the folder.
 */
export const BASE_FOLDERS: FolderKind = {
  name: /^leakcheck-base-[A-Za-z0-9]{6}$/,
  remove: (parent) => {
    let repoDir: string | undefined;
    try {
      repoDir = fs.readFileSync(path.join(parent, REPO_FILE), 'utf8').trim();
    } catch {
      // Killed before the worktree was added: only the folder is there.
    }
    if (repoDir && fs.existsSync(repoDir)) removeWorktreeSync(repoDir, parent);
    else fs.rmSync(parent, { recursive: true, force: true });
  },
};

/**
 * Checks `commit` out, detached, in a new worktree under the system's temporary folder. A reaper
 * (reaper.ts) removes it if leakcheck is killed before it does: it ends a `git worktree add` still
 * running (and its hooks, which carry a marker of their own), then removes the worktree. Where no
 * reaper runs, the next compare or bisect removes base folders whose owner is gone (abandoned.ts).
 *
 * @param repoDir - a folder inside the repository
 * @param commit - the commit to check out
 * @returns the worktree
 */
export async function addWorktree(repoDir: string, commit: string): Promise<Worktree> {
  const table = listProcesses();
  removeAbandonedFolders(os.tmpdir(), table, BASE_FOLDERS);
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-base-'));
  claimFolder(parent, table);
  fs.writeFileSync(path.join(parent, REPO_FILE), `${repoDir}\n`, { mode: 0o600 });
  const dir = path.join(parent, 'tree');
  const marker = newRunMarker();
  const reaper = startReaper({ marker, worktree: { repo: repoDir, dir }, folders: [parent] });
  let removed = false;
  // A forced exit (second Ctrl-C, a hang) still removes the worktree, synchronously.
  const unregister = onForcedExit(() => {
    removeWorktreeSync(repoDir, parent);
    reaper.release();
  });
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    try {
      await git(repoDir, ['worktree', 'remove', '--force', '--force', dir]);
    } catch {
      // Already gone, or half-made: the folder is removed below and prune forgets it.
    }
    fs.rmSync(parent, { recursive: true, force: true });
    await git(repoDir, ['worktree', 'prune']).catch(() => undefined);
    unregister();
    reaper.release();
  };
  try {
    await git(repoDir, ['worktree', 'add', '--detach', dir, commit], 300_000, { [RUN_MARKER_ENV]: marker });
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, remove };
}

/**
 * Reads files of one commit without checking it out (`git show <commit>:<path>`).
 *
 * @param repoDir - a folder inside the repository
 * @param commit - the commit
 * @returns a reader: path from the repository's top → text, or null when the commit lacks it
 */
export function commitReader(repoDir: string, commit: string): (relPath: string) => Promise<string | null> {
  return async (relPath) => {
    try {
      return (await git(repoDir, ['show', `${commit}:${relPath}`])).stdout;
    } catch {
      return null;
    }
  };
}

/**
 * Reads files of the working tree (what is checked out now, uncommitted changes included).
 *
 * @param topLevel - the repository's top folder
 * @returns a reader: path from the top → text, or null when absent
 */
export function workingTreeReader(topLevel: string): (relPath: string) => Promise<string | null> {
  return (relPath) => {
    try {
      return Promise.resolve(fs.readFileSync(path.join(topLevel, relPath), 'utf8'));
    } catch {
      return Promise.resolve(null);
    }
  };
}
