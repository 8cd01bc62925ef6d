/**
 * Starting and stopping the service under test as a whole process tree, with its output captured
 * to a log file and the agent preloaded through NODE_OPTIONS (so wrappers like `npm start` pass it
 * on to the real server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_PATH } from '../agent/protocol';
import { descendantsIn, listProcesses } from './process-table';

/** How to start the target. */
export interface LaunchOptions {
  /** argv (spawned directly) or one string (run through the shell, like an npm script). */
  command: string[] | string;
  cwd: string;
  /** Extra environment for the target, on top of the harness's own. */
  env: Record<string, string>;
  /** File that receives the target's stdout and stderr. */
  logFile: string;
  /** Lines of output kept in memory for error messages. */
  tailLines?: number;
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

/** A running target: its process group, output tail and exit. */
export class TargetProcess {
  /** Resolves when the leading process exits. */
  readonly exited: Promise<ExitInfo>;
  /** Resolves once the leading process exited and its output streams closed (all output seen). */
  readonly closed: Promise<void>;
  private exitInfo: ExitInfo | null = null;
  private readonly tail: string[] = [];
  private partial = '';
  private readonly log: fs.WriteStream;

  private constructor(
    private readonly child: ChildProcess,
    logFile: string,
    private readonly tailLines: number,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
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
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      child.once('error', (err) => {
        this.remember(`leakcheck: could not start the target: ${err.message}\n`);
        this.exitInfo = { code: 127, signal: null };
        resolve(this.exitInfo);
      });
    });
  }

  /** Starts the target in a process group of its own, so the whole tree can be stopped. */
  static launch(options: LaunchOptions): TargetProcess {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      NODE_OPTIONS: withAgentPreload(options.env.NODE_OPTIONS ?? process.env.NODE_OPTIONS),
    };
    const shell = typeof options.command === 'string';
    const [file, ...args] = shell ? [options.command as string] : (options.command as string[]);
    if (!file) throw new Error('the target command is empty');
    const child = spawn(file, args, {
      cwd: options.cwd,
      env,
      shell,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new TargetProcess(child, options.logFile, options.tailLines ?? 40);
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
   * Stops the whole tree: SIGTERM to the process group and every descendant found under the
   * leader (some wrappers start a session of their own), then SIGKILL to whatever is left once
   * the grace period ends.
   */
  async stop(graceMs = 3000, extraPids: number[] = []): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const targets = new Set<number>([...descendants(pid), ...extraPids]);
    signalAll(pid, targets, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    // Wait for the group and the known descendants to go, bounded by the grace period.
    while (Date.now() < deadline && anyAlive(pid, targets)) {
      await new Promise((r) => setTimeout(r, 25));
    }
    if (anyAlive(pid, targets)) {
      for (const p of descendants(pid)) targets.add(p);
      signalAll(pid, targets, 'SIGKILL');
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000))]);
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }

  /** Last-resort synchronous kill, for process exit handlers. */
  killNow(): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    signalAll(pid, new Set(descendants(pid)), 'SIGKILL');
  }
}

function signalAll(groupId: number, pids: Set<number>, signal: NodeJS.Signals): void {
  try {
    process.kill(-groupId, signal);
  } catch {
    // group already gone
  }
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function anyAlive(groupId: number, pids: Set<number>): boolean {
  return alive(-groupId) || [...pids].some(alive);
}

/**
 * Every descendant of `root` (from /proc on Linux, `ps` elsewhere; empty where neither can be read,
 * and the process group then covers the tree).
 */
export function descendants(root: number): number[] {
  return descendantsIn(listProcesses(), root).map((entry) => entry.pid);
}
