/**
 * The messages agent.cjs exchanges with the harness. The agent is plain JavaScript (it runs inside
 * other people's services), so these types are the one place the shape is written down.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Absolute path of the agent file to preload with `--require`: beside this module (compiled
 * output, the Action's bundle) or in dist/agent/ next to a bundled entry (dist/index.js,
 * dist/cli/main.js), where scripts/build-package.mjs copies it.
 */
export const AGENT_PATH: string = findAgent(__dirname);

function findAgent(dir: string): string {
  const candidates = [
    path.join(dir, 'agent.cjs'),
    path.join(dir, 'agent', 'agent.cjs'),
    path.join(dir, '..', 'agent', 'agent.cjs'),
  ];
  return candidates.find((file) => fs.existsSync(file)) ?? (candidates[0] as string);
}

/** Environment variables that carry the private channel to the agent. */
export const AGENT_ENV = { socket: 'LEAKCHECK_AGENT_SOCKET', token: 'LEAKCHECK_AGENT_TOKEN' } as const;

/** Address a server inside the target started listening on (`net.Server#address()`). */
export type ListenAddress = { address: string; family: string; port: number } | string | null;

/** First message of every agent: who it is, proven by the run's token. */
export interface HelloEvent {
  event: 'hello';
  token: string;
  pid: number;
  ppid: number;
  argv: string[];
  node: string;
  heapLimit: number;
}

/** Sent whenever a server inside the target starts listening. */
export interface ListenEvent {
  event: 'listen';
  address: ListenAddress;
  http: boolean;
}

/** Any unsolicited message from the agent. */
export type AgentEvent = HelloEvent | ListenEvent;

/** Reply to a command. */
export type AgentReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** One post-GC measurement taken inside one process of the target. */
export interface AgentSample {
  pid: number;
  /** Completed HTTP responses served by this process so far. */
  requests: number;
  uptimeMs: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  /** Used bytes per V8 heap space. */
  spaces: Record<string, number>;
  /** Active resources by type (`process.getActiveResourcesInfo()`), the agent's own channel excluded. */
  resources: Record<string, number>;
  handles: number;
  sockets: number;
  /** Open file descriptors (/proc/self/fd, else /dev/fd), or null where neither can be read. */
  fds: number | null;
  /**
   * Where the post-GC figures come from: `forced`, a full GC the agent ran for this sample (every
   * sample of a run), or `natural`, the latest major GC V8 ran on its own (after-GC statistics
   * from v8.GCProfiler), taken only when the caller asked for reuse (benchmarks): it came after
   * the previous sample, in the later half of the requests since. Natural figures carry the
   * garbage allocated while V8 marked incrementally. Absent in samples of older agents (forced).
   */
  gcSource?: 'forced' | 'natural';
  /** Requests served between the natural GC and the sample request (0 when forced). */
  gcAgeRequests?: number;
  /**
   * Where the forced GC ran: `response`, at the start of the next response's `end()` (the handler
   * that answers still on the stack, so the shapes its objects reach stay alive and V8 keeps the
   * optimised code that uses them), or `command`, from the sample command itself (no response
   * finished in the last second, none ended within 50 ms, or the caller asked for `at: 'now'`).
   * Absent when natural, and in samples of older agents.
   */
  gcAt?: 'response' | 'command';
  /** Pause of the forced GC taken for this sample (0 when natural). */
  forcedGcMs: number;
  /** The service's own GC pauses and counts since the previous sample (forced ones excluded). */
  gcPauseMs: number;
  gcCount: number;
  majorGcCount: number;
  loopDelayMs: { mean: number; p99: number; max: number };
  heapLimit: number;
}

/** Type guard for the agent's events, which arrive as untrusted JSON. */
export function isAgentEvent(value: unknown): value is AgentEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = (value as { event?: unknown }).event;
  return event === 'hello' || event === 'listen';
}

/** Type guard for replies. */
export function isAgentReply(value: unknown): value is AgentReply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { id?: unknown; ok?: unknown };
  return typeof v.id === 'number' && typeof v.ok === 'boolean';
}
