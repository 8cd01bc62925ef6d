/**
 * Starting and stopping the service under test as a whole process tree, with its output captured
 * to a log file and the agent preloaded through NODE_OPTIONS (so wrappers like `npm start` pass it
 * on to the real server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_PATH } from '../agent/protocol';
import { onForcedExit } from '../cleanup';
import { targetEnvironment } from './environment';
import { RedactedLog } from './log';
import { newRunMarker, ProcessTracker, RUN_MARKER_ENV, systemReader, type ProcessReader } from './ownership';
import { descendantsIn, listProcesses } from './process-table';
import { startReaper, type Reaper } from './reaper';

/** How to start the target. */
export interface LaunchOptions {
  /** argv (spawned directly) or one string (run through the shell, like an npm script). */
  command: string[] | string;
  cwd: string;
  /** Environment set for the target on top of the harness's (minus withheld credentials, environment.ts). */
  env: Record<string, string>;
  /** File that receives the target's stdout and stderr. */
  logFile: string;
  /** Lines of output kept in memory for error messages. */
  tailLines?: number;
  /** Folders the reaper removes if leakcheck is killed (the agent channel's). */
  folders?: string[];
}

/** How the target's leading process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Appends `--require <agent>` to NODE_OPTIONS, quoting the path as Node's parser expects. */
export function withAgentPreload(nodeOptions: string | undefined, agentPath: string = AGENT_PATH): string {
  const quoted = /[\s"\\]/.test(agentPath) ? `"${agentPath.replace(/(["\\])/g, '\\$1')}"` : agentPath;
  return [nodeOptions?.trim(), `--require ${quoted}`].filter(Boolean).join(' ');
}

/** A running target: its process tree, output tail and exit. */
export class TargetProcess {
  /** Resolves when the leading process exits. */
  readonly exited: Promise<ExitInfo>;
  /** Resolves once the leading process exited and its output streams closed (all output seen). */
  readonly closed: Promise<void>;
  private exitInfo: ExitInfo | null = null;
  private readonly tail: string[] = [];
  private partial = '';
  private readonly log: RedactedLog;
  private readonly tracker: ProcessTracker | undefined;
  private readonly unregister: () => void;
  /** Ends the tree if leakcheck is killed and cannot (reaper.ts). */
  private readonly reaper: Reaper;

  private constructor(
    private readonly child: ChildProcess,
    logFile: string,
    private readonly tailLines: number,
    marker: string,
    reader: ProcessReader,
    reaper: Reaper,
  ) {
    // The target's output is the service's: redacted line by line before it reaches the file.
    this.log = new RedactedLog(logFile);
    const onData = (chunk: Buffer): void => {
      this.log.write(chunk);
      this.remember(chunk.toString('utf8'));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.closed = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    if (child.pid !== undefined) {
      this.tracker = new ProcessTracker(child.pid, marker, reader);
      this.tracker.watch();
    }
    this.reaper = reaper;
    // However leakcheck ends (a second Ctrl-C, a crash), the target's tree ends with it.
    this.unregister = onForcedExit(() => this.killNow());
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.tracker?.leaderExited();
        resolve(this.exitInfo);
      });
      child.once('error', (err) => {
        this.remember(`leakcheck: could not start the target: ${err.message}\n`);
        this.exitInfo = { code: 127, signal: null };
        this.tracker?.leaderExited();
        resolve(this.exitInfo);
      });
    });
  }

  /**
   * Starts the target in a session and process group of its own, with the least environment
   * (environment.ts), the agent preloaded, and the run's marker in its environment, so the whole
   * tree can be found and stopped, and nothing else.
   */
  static launch(options: LaunchOptions, reader: ProcessReader = systemReader): TargetProcess {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    const marker = newRunMarker();
    const env: NodeJS.ProcessEnv = {
      ...targetEnvironment(process.env, options.env),
      NODE_OPTIONS: withAgentPreload(options.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS),
      [RUN_MARKER_ENV]: marker,
    };
    const shell = typeof options.command === 'string';
    const [file, ...args] = shell ? [options.command as string] : (options.command as string[]);
    if (!file) throw new Error('the target command is empty');
    // The reaper first: leakcheck killed right after the target starts must not leave it behind.
    const reaper = startReaper({ marker, folders: options.folders });
    const child = spawn(file, args, {
      cwd: options.cwd,
      env,
      shell,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new TargetProcess(child, options.logFile, options.tailLines ?? 40, marker, reader, reaper);
  }

  /** Pid of the leading process (also the process group id). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Exit of the leading process, or null while it runs. */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  /** The last lines the target printed. */
  lastLines(): string[] {
    return this.partial ? [...this.tail, this.partial] : [...this.tail];
  }

  /** The target's processes alive now, verified (pid and start time); empty once it has ended. */
  processes(): number[] {
    return this.tracker?.alive() ?? [];
  }

  private remember(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.tail.push(line.length > 500 ? line.slice(0, 500) + '…' : line);
      if (this.tail.length > this.tailLines) this.tail.shift();
    }
    if (this.partial.length > 4096) this.partial = this.partial.slice(-4096);
  }

  /**
   * Stops the whole tree: SIGTERM to every verified process of the target (its group, its
   * descendants, re-parented and `setsid` children found by the run's marker), then SIGKILL to
   * whatever is left once the grace period ends. `claimed` pids (what agents said about
   * themselves) are signalled only if they are verified processes of the target.
   */
  async stop(graceMs = 3000, claimed: number[] = []): Promise<void> {
    const tracker = this.tracker;
    if (!tracker) {
      await this.log.end();
      this.unregister();
      this.reaper.release();
      return;
    }
    // A claimed pid is never trusted by itself: the tracker signals only what it verified.
    void claimed;
    tracker.signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    // Wait for the tree to go, bounded by the grace period.
    while (Date.now() < deadline && tracker.alive().length > 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    if (tracker.alive().length > 0) tracker.signal('SIGKILL');
    const killDeadline = Date.now() + 2000;
    while (Date.now() < killDeadline && tracker.alive().length > 0) {
      await new Promise((r) => setTimeout(r, 25));
    }
    // The bound's timer is cleared once the exit is seen: left pending, it kept the CLI alive for
    // up to a second after the report was written.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (bound = setTimeout(r, 1000)))]);
    clearTimeout(bound);
    tracker.close();
    this.reaper.release();
    await this.log.end();
    this.unregister();
  }

  /** Last-resort synchronous kill of every verified process of the target, for forced exits. */
  killNow(): void {
    this.tracker?.signal('SIGKILL');
    this.tracker?.close();
    this.reaper.release();
  }
}

/**
 * Every descendant of `root` (from /proc on Linux, `ps` elsewhere; empty where neither can be read,
 * and the process group then covers the tree).
 */
export function descendants(root: number): number[] {
  return descendantsIn(listProcesses(), root).map((entry) => entry.pid);
}
