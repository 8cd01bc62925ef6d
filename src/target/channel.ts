/**
 * The harness side of the agent's private channel: a Unix socket inside a 0700 temporary
 * directory, and a per-run token that every agent must present before it is listened to.
 */
import { EventEmitter } from 'node:events';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { onForcedExit } from '../cleanup';
import { CHANNEL_DIR_PREFIX, claimFolder, removeAbandonedFolders } from './abandoned';
import { listProcesses } from './process-table';
import { AGENT_ENV, isAgentEvent, isAgentReply, type HelloEvent, type ListenEvent } from '../agent/protocol';

/** Bytes a connection may send before its hello. */
const MAX_BEFORE_HELLO = 64 * 1024;
/** Longest single message from an agent (heap profiles are large). */
const MAX_MESSAGE = 256 * 1024 * 1024;
/** Sent before the harness closes the channel on purpose. */
const GOODBYE = JSON.stringify({ id: 0, cmd: 'goodbye', args: {} }) + '\n';

/** One agent, inside one process of the target. */
export class AgentConnection {
  /** Servers this process listens on, in order. */
  readonly listens: ListenEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private closedFlag = false;

  constructor(
    /** What the agent said about itself. */
    readonly hello: HelloEvent,
    private readonly socket: net.Socket,
  ) {}

  /** Process id of the target process this agent runs in. */
  get pid(): number {
    return this.hello.pid;
  }

  /** True once the process has gone (exited or closed the channel). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends a command and resolves with the agent's result; rejects on error, timeout or exit. */
  call(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<unknown> {
    if (this.closedFlag) return Promise.reject(new Error(`process ${this.pid} has exited`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`agent in process ${this.pid} did not answer '${cmd}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(JSON.stringify({ id, cmd, args }) + '\n');
    });
  }

  /** @internal */
  settle(id: number, ok: boolean, value: unknown): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (ok) p.resolve(value);
    else p.reject(new Error(String(value)));
  }

  /** @internal */
  markClosed(): void {
    this.closedFlag = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`process ${this.pid} closed the channel`));
      this.pending.delete(id);
    }
  }
}

/** Events of {@link AgentChannel}. */
export interface AgentChannelEvents {
  agent: [AgentConnection];
  listen: [AgentConnection, ListenEvent];
  disconnect: [AgentConnection];
}

/** Listens for agents of one run. Create with {@link AgentChannel.open}. */
export class AgentChannel extends EventEmitter<AgentChannelEvents> {
  /** Connected agents by pid (kept after they disconnect, marked closed). */
  readonly agents = new Map<number, AgentConnection>();
  /** Connections refused for a missing or wrong token. */
  rejected = 0;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    /** The private folder (socket); removed on close. */
    readonly dir: string,
    /** Path of the Unix socket. */
    readonly socketPath: string,
    private readonly token: string,
    private readonly server: net.Server,
  ) {
    super();
    // A forced exit still removes the private folder (socket and token location).
    this.unregister = onForcedExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  }

  private readonly unregister: () => void;

  /** Creates the private directory, the token and the listening socket. */
  static async open(): Promise<AgentChannel> {
    // Folders of earlier harnesses that were SIGKILLed go first (abandoned.ts).
    const table = listProcesses();
    removeAbandonedFolders(os.tmpdir(), table);
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), CHANNEL_DIR_PREFIX));
    await fs.promises.chmod(dir, 0o700);
    claimFolder(dir, table);
    const socketPath = path.join(dir, 'agent.sock');
    const token = crypto.randomBytes(24).toString('hex');
    const server = net.createServer();
    const channel = new AgentChannel(dir, socketPath, token, server);
    server.on('connection', (socket) => channel.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return channel;
  }

  /** Environment variables that point the agent at this channel. */
  env(): Record<string, string> {
    return { [AGENT_ENV.socket]: this.socketPath, [AGENT_ENV.token]: this.token };
  }

  /** Agents still connected. */
  live(): AgentConnection[] {
    return [...this.agents.values()].filter((a) => !a.closed);
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let conn: AgentConnection | undefined;
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      // Bounded: a stranger gets 64 KiB to say hello; an agent's single message at most 256 MiB.
      if (buffered.length > (conn ? MAX_MESSAGE : MAX_BEFORE_HELLO)) {
        if (!conn) this.rejected++;
        socket.destroy();
        return;
      }
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        let msg: unknown;
        try {
          msg = JSON.parse(line);
        } catch {
          socket.destroy();
          return;
        }
        if (!conn) {
          if (!isAgentEvent(msg) || msg.event !== 'hello' || !this.tokenMatches(msg.token)) {
            this.rejected++;
            socket.destroy();
            return;
          }
          const existing = this.agents.get(msg.pid);
          if (existing && !existing.closed) {
            // One agent per process: a duplicate would shadow the one that counts requests.
            this.rejected++;
            socket.destroy();
            return;
          }
          conn = new AgentConnection(msg, socket);
          this.agents.set(conn.pid, conn);
          this.emit('agent', conn);
        } else if (isAgentReply(msg)) {
          conn.settle(msg.id, msg.ok, msg.ok ? msg.result : msg.error);
        } else if (isAgentEvent(msg) && msg.event === 'listen') {
          conn.listens.push(msg);
          this.emit('listen', conn, msg);
        }
      }
    });
    const closed = (): void => {
      this.sockets.delete(socket);
      if (conn && !conn.closed) {
        conn.markClosed();
        this.emit('disconnect', conn);
      }
    };
    socket.on('close', closed);
    socket.on('error', closed);
  }

  private tokenMatches(candidate: string): boolean {
    const a = Buffer.from(String(candidate));
    const b = Buffer.from(this.token);
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }

  /**
   * Stops listening, says goodbye to every agent still connected (an agent whose channel closes
   * without a goodbye takes the harness for dead and ends its process), drops them and removes the
   * private directory.
   */
  async close(): Promise<void> {
    await Promise.all(
      [...this.sockets].map(
        (s) =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              clearTimeout(timer);
              s.destroy();
              resolve();
            };
            const timer = setTimeout(done, 500);
            if (!s.destroyed && s.writable) s.end(GOODBYE, done);
            else done();
          }),
      ),
    );
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await fs.promises.rm(this.dir, { recursive: true, force: true });
    this.unregister();
  }
}
