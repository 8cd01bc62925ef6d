/**
 * A harness killed with SIGKILL (a CI hard cancel, the OOM killer) cannot remove its temporary
 * folders: the channel's (a socket) and compare's base worktree. The reaper (reaper.ts) removes
 * them where it runs (Linux); where it does not, or when it was killed too, they stay. Each folder
 * names the harness that owns it (pid and start time), and the next run (channel folders) or
 * compare and bisect (base folders, compare/git.ts) in the same temporary directory removes the
 * folders whose owner is gone. A folder without an owner file, or whose owner lives (another
 * leakcheck running now), or that belongs to another user, is left alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listProcesses, type ProcessEntry } from './process-table';

/** Prefix of the channel's folders in the temporary directory. */
export const CHANNEL_DIR_PREFIX = 'leakcheck-';
/** File in each folder naming its owner: `<pid> <start>`. */
const OWNER_FILE = 'owner';

/** A kind of folder leakcheck makes in the temporary directory, and how one is removed. */
export interface FolderKind {
  /** Its names (with mkdtemp's six-character suffix: other names, a test's or a user's, do not match). */
  name: RegExp;
  /** Removes one whose owner is gone; may throw (the folder is then left). Default: the folder. */
  remove?: (dir: string) => void;
}

/** The agent channel's folders. */
export const CHANNEL_FOLDERS: FolderKind = { name: /^leakcheck-[A-Za-z0-9]{6}$/ };

/** Writes the owner file of a channel folder: this process, with its start time. */
export function claimFolder(dir: string, table: readonly ProcessEntry[] = listProcesses()): void {
  const me = table.find((e) => e.pid === process.pid);
  if (me) fs.writeFileSync(path.join(dir, OWNER_FILE), `${me.pid} ${me.start}\n`, { mode: 0o600 });
}

/**
 * Removes the folders of one kind in `tmp` whose owning harness is no longer running.
 *
 * @param tmp - the temporary directory (os.tmpdir())
 * @param table - the process table (tests pass their own); when empty nothing is removed
 * @param kind - which folders (default: the channel's)
 * @returns the folders removed
 */
export function removeAbandonedFolders(
  tmp: string,
  table: readonly ProcessEntry[] = listProcesses(),
  kind: FolderKind = CHANNEL_FOLDERS,
): string[] {
  // A table that could not be read would make every owner look gone.
  if (table.length === 0) return [];
  const live = new Set(table.filter((e) => !e.zombie).map((e) => `${e.pid} ${e.start}`));
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!kind.name.test(name)) continue;
    const dir = path.join(tmp, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      const owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim();
      if (!/^\d+ \S+$/.test(owner) || live.has(owner)) continue;
      if (kind.remove) kind.remove(dir);
      else fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // No owner file (another version, or a folder being made right now), or gone already.
    }
  }
  return removed;
}
