/**
 * A harness killed with SIGKILL (a CI hard cancel, the OOM killer) cannot remove its channel's
 * temporary folder; the agent ends the target, but the folder (a socket, nothing else) stays. Each
 * folder names the harness that owns it (pid and start time), and the next run in the same
 * temporary directory removes the folders whose owner is gone. A folder without an owner file, or
 * whose owner lives (another leakcheck running now), or that belongs to another user, is left alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listProcesses, type ProcessEntry } from './process-table';

/** Prefix of the channel's folders in the temporary directory. */
export const CHANNEL_DIR_PREFIX = 'leakcheck-';
/** File in each folder naming its owner: `<pid> <start>`. */
const OWNER_FILE = 'owner';
/** mkdtemp's six-character suffix: other leakcheck-* names (a test's, a user's) do not match. */
const CHANNEL_DIR = /^leakcheck-[A-Za-z0-9]{6}$/;

/** Writes the owner file of a channel folder: this process, with its start time. */
export function claimFolder(dir: string, table: readonly ProcessEntry[] = listProcesses()): void {
  const me = table.find((e) => e.pid === process.pid);
  if (me) fs.writeFileSync(path.join(dir, OWNER_FILE), `${me.pid} ${me.start}\n`, { mode: 0o600 });
}

/**
 * Removes the channel folders in `tmp` whose owning harness is no longer running.
 *
 * @param tmp - the temporary directory (os.tmpdir())
 * @param table - the process table (tests pass their own); when empty nothing is removed
 * @returns the folders removed
 */
export function removeAbandonedFolders(
  tmp: string,
  table: readonly ProcessEntry[] = listProcesses(),
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
    if (!CHANNEL_DIR.test(name)) continue;
    const dir = path.join(tmp, name);
    try {
      const stat = fs.lstatSync(dir);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      const owner = fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8').trim();
      if (!/^\d+ \S+$/.test(owner) || live.has(owner)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // No owner file (another version, or a folder being made right now), or gone already.
    }
  }
  return removed;
}
