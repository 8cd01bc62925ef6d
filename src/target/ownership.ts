/**
 * Which processes are the target's. Only these are ever signalled: a pid an agent claims, or a pid
 * that was the target's once and has since been reused by someone else, is never trusted by itself.
 *
 * The tracker scans the process table (process-table.ts) while the run lasts and remembers every
 * process that belongs to the target, with its start time: descendants of the leader and of every
 * process already known (so a child re-parented to init after its parent exited stays known), the
 * members of the leader's process group and session, and (Linux) every process whose environment
 * carries the run's marker (a `setsid` grandchild whose parent is gone is found this way). Before
 * a signal, each remembered pid is checked against the table again: same pid and same start time,
 * or it is left alone.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { listProcesses, type ProcessEntry } from './process-table';

/** Environment variable carrying the run's marker into every process the target starts. */
export const RUN_MARKER_ENV = 'LEAKCHECK_RUN_ID';

/** A fresh marker, unique to one run. */
export function newRunMarker(): string {
  return crypto.randomBytes(16).toString('hex');
}

/** Reads processes and their markers; swapped in tests, and on platforms without /proc. */
export interface ProcessReader {
  /** The process table now (empty when it cannot be read). */
  list(): ProcessEntry[];
  /** Whether process `pid` carries `marker` in its environment (false when it cannot be read). */
  hasMarker(pid: number, marker: string): boolean;
}

/** The machine's process table, and /proc/<pid>/environ for markers where it exists. */
export const systemReader: ProcessReader = {
  list: () => listProcesses(),
  hasMarker: (pid, marker) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`).includes(`${RUN_MARKER_ENV}=${marker}\0`);
    } catch {
      return false;
    }
  },
};

/** Tracks the processes of one target and signals only those. */
export class ProcessTracker {
  /** Known processes of the target: pid -> start time when first seen. */
  private readonly known = new Map<number, string>();
  /** Pids (with start time) already read for the marker and found without it. */
  private readonly strangers = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  /** False once the leader's group and session are seen empty: their ids may then be reused. */
  private groupLive = true;
  private leaderReaped = false;

  constructor(
    /** Pid of the leading process (also its process group and session id: it is started detached). */
    readonly leader: number,
    /** The run's marker, in the target's environment as {@link RUN_MARKER_ENV}. */
    readonly marker: string,
    private readonly reader: ProcessReader = systemReader,
  ) {}

  /** Scans every `intervalMs` until {@link ProcessTracker.close}; the timer never keeps leakcheck alive. */
  watch(intervalMs = 500): void {
    this.scan();
    this.timer ??= setInterval(() => this.scan(), intervalMs).unref();
  }

  /** Stops the periodic scan (what is known stays known). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** To be called when the leader has been reaped: its pid may be reused from now on. */
  leaderExited(): void {
    this.leaderReaped = true;
  }

  /** Reads the table once and adds the target's processes to what is known. Returns the table. */
  scan(): ProcessEntry[] {
    // A zombie has exited: nothing to signal, and it must not count as left behind.
    const table = this.reader.list().filter((e) => !e.zombie);
    const byPid = new Map(table.map((e) => [e.pid, e]));
    // Forget what is gone or was reused: a remembered pid counts only with its start time.
    for (const [pid, start] of this.known) {
      const e = byPid.get(pid);
      if (!e || e.start !== start) this.known.delete(pid);
    }
    if (!this.leaderReaped) {
      const leader = byPid.get(this.leader);
      if (leader && !this.known.has(this.leader)) this.known.set(this.leader, leader.start);
    }
    let inGroup = false;
    for (const e of table) {
      if (this.groupLive && (e.pgid === this.leader || e.sid === this.leader)) {
        inGroup = true;
        if (e.pid !== process.pid) this.known.set(e.pid, e.start);
      }
    }
    // Children of known processes, to any depth (the table may list a child before its parent).
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of table) {
        if (!this.known.has(e.pid) && this.known.has(e.ppid) && e.pid !== process.pid) {
          this.known.set(e.pid, e.start);
          grew = true;
        }
      }
    }
    // The marker: processes that left the tree and the group (setsid + double fork).
    for (const e of table) {
      if (this.known.has(e.pid) || e.pid === process.pid) continue;
      if (this.strangers.get(e.pid) === e.start) continue;
      if (this.reader.hasMarker(e.pid, this.marker)) this.known.set(e.pid, e.start);
      else this.strangers.set(e.pid, e.start);
    }
    if (this.strangers.size > 100_000) this.strangers.clear();
    if (!inGroup && this.leaderReaped) this.groupLive = false;
    return table;
  }

  /** True when `pid` is, right now, a verified process of the target. */
  owns(pid: number): boolean {
    const table = this.scan();
    const e = table.find((x) => x.pid === pid);
    return e !== undefined && this.known.get(pid) === e.start;
  }

  /** The target's processes alive now (verified by pid and start time). */
  alive(): number[] {
    this.scan();
    return [...this.known.keys()];
  }

  /**
   * Sends `signal` to every verified process of the target, and to its process group while the
   * group can still only be the target's. Returns how many processes were signalled.
   */
  signal(signal: NodeJS.Signals): number {
    const pids = this.alive();
    if (this.groupLive) {
      try {
        process.kill(-this.leader, signal);
      } catch {
        // group already gone
      }
    }
    let sent = 0;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
        sent++;
      } catch {
        // gone since the scan
      }
    }
    return sent;
  }
}
