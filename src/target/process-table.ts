/**
 * A portable snapshot of the machine's process table: pid, parent, process group, session, start
 * time and name. Linux reads /proc; elsewhere (macOS, the BSDs) the table comes from `ps`. Setting
 * LEAKCHECK_PROCESS_TABLE=ps on Linux selects the `ps` reader so the fallback is tested where the
 * project's CI runs. Open file descriptors are not part of the table: the agent counts its own
 * (/proc/self/fd, else /dev/fd) and reports null where neither exists.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** One process as the table saw it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** Session id. */
  sid: number;
  /**
   * When the process started, as an opaque token that stays equal for the life of one process and
   * differs for a later process reusing the pid (Linux: clock ticks since boot; `ps`: `lstart`).
   * Compare tokens from the same source only.
   */
  start: string;
  /** Executable name (Linux `comm`, at most 15 characters; `ps` `comm`). */
  name: string;
  /** True for a process that has exited and waits to be reaped (Linux state Z): it cannot be signalled. */
  zombie?: boolean;
}

/** Which reader lists processes. */
export type ProcessTableSource = 'proc' | 'ps';

/** Environment variable that forces a reader (`proc` or `ps`); unset: /proc where it exists. */
export const PROCESS_TABLE_ENV = 'LEAKCHECK_PROCESS_TABLE';

/** The reader used on this machine, honouring {@link PROCESS_TABLE_ENV}. */
export function processTableSource(env: NodeJS.ProcessEnv = process.env): ProcessTableSource {
  const forced = env[PROCESS_TABLE_ENV];
  if (forced === 'ps' || forced === 'proc') return forced;
  return process.platform === 'linux' && fs.existsSync('/proc/self/stat') ? 'proc' : 'ps';
}

/**
 * Every process visible to this user, or an empty list when the table cannot be read (no /proc,
 * no `ps`, as on Windows): callers then fall back to the process group alone.
 */
export function listProcesses(source: ProcessTableSource = processTableSource()): ProcessEntry[] {
  return source === 'proc' ? readProc() : readPs();
}

/** Every descendant of `root` in `table`, parents before children. */
export function descendantsIn(table: readonly ProcessEntry[], root: number): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of table) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry);
    children.set(entry.ppid, list);
  }
  const out: ProcessEntry[] = [];
  const seen = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const child of children.get(parent) ?? []) {
      if (seen.has(child.pid)) continue; // a table read mid-fork can show a cycle; never loop
      seen.add(child.pid);
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Parses one /proc/<pid>/stat line; null when it is not one. */
export function parseProcStat(stat: string): ProcessEntry | null {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  // The command name may contain spaces and parentheses: fields resume after the last ')'.
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] is the state (field 3); ppid is field 4, pgrp 5, session 6, starttime 22.
  const pid = Number(stat.slice(0, open).trim());
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const start = rest[19];
  if (![pid, ppid, pgid, sid].every(Number.isInteger) || start === undefined) return null;
  const entry: ProcessEntry = { pid, ppid, pgid, sid, start, name: stat.slice(open + 1, close) };
  if (rest[0] === 'Z') entry.zombie = true;
  return entry;
}

function readProc(): ProcessEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited between readdir and read
    }
    const entry = parseProcStat(stat);
    if (entry) out.push(entry);
  }
  return out;
}

/** Columns asked of `ps`; `lstart` is five words long, so `comm` goes last. */
export const PS_ARGS = ['-A', '-o', 'pid=,ppid=,pgid=,sess=,lstart=,comm='];

/** Parses `ps -A -o pid=,ppid=,pgid=,sess=,lstart=,comm=` output (C locale); skips lines it cannot read. */
export function parsePsOutput(text: string): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+\s+\S+\s+\d+\s+[\d:]+\s+\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      pgid: Number(m[3]),
      sid: Number(m[4]),
      start: (m[5] as string).replace(/\s+/g, ' '),
      name: (m[6] as string).trim(),
    });
  }
  return out;
}

function readPs(): ProcessEntry[] {
  try {
    const text = execFileSync('ps', PS_ARGS, {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 16 * 1024 * 1024,
      timeout: 10_000,
    });
    return parsePsOutput(text);
  } catch {
    return [];
  }
}
