/**
 * The process table as the tests and benchmarks that check for leftovers read it (Linux /proc):
 * live (non-zombie) pids that match, so a check never counts a process that has already exited.
 */
import * as fs from 'node:fs';

/**
 * Whether a pid names a live process (present and not a zombie).
 *
 * @param pid - a process id
 * @returns false when it is gone, a zombie or unreadable
 */
export function isLive(pid: number | string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Live pids for which `matches` holds; a process that vanishes or cannot be read while being
 * looked at does not match.
 *
 * @param matches - reads what it needs from /proc/<pid>/ (environ, cmdline, ...)
 * @returns the matching pids
 */
export function livePids(matches: (pid: string) => boolean): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || !isLive(name)) continue;
    try {
      if (matches(name)) out.push(Number(name));
    } catch {
      // gone, or not readable
    }
  }
  return out;
}

/**
 * Live pids whose environment holds `needle` (a run's unique marker).
 *
 * @param needle - text to look for in /proc/<pid>/environ
 * @returns the matching pids
 */
export function processesWith(needle: string): number[] {
  return livePids((pid) => fs.readFileSync(`/proc/${pid}/environ`).includes(needle));
}
