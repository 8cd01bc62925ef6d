/**
 * Readiness: the target is ready when its agent reports an HTTP server listening (or, with
 * `--url`, when that URL accepts connections), and, with `--ready`, when the health path answers
 * 2xx. Bounded by a deadline.
 */
import * as http from 'node:http';
import type { AgentChannel } from './channel';
import type { ListenAddress } from '../agent/protocol';
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';

/** The target did not become ready in time; the message says what was awaited. */
export class ReadyError extends LeakcheckError {
  /** @param message - one line for the user */
  constructor(message: string) {
    super(message, EXIT.infrastructure);
  }
}

/** Options of {@link waitForReady}. */
export interface ReadyOptions {
  channel: AgentChannel;
  url?: string;
  readyPath?: string;
  timeoutMs: number;
}

/** Turns a listening address into a URL the load generator can reach on this machine. */
export function urlFromAddress(address: ListenAddress): string | null {
  if (address === null || typeof address === 'string') return null;
  const host =
    address.address === '0.0.0.0' || address.address === '::' || address.address === ''
      ? '127.0.0.1'
      : address.family === 'IPv6' || address.address.includes(':')
        ? `[${address.address}]`
        : address.address;
  return `http://${host}:${address.port}`;
}

/** Resolves with the base URL once the target is ready; rejects with {@link ReadyError}. */
export async function waitForReady(options: ReadyOptions): Promise<string> {
  const deadline = Date.now() + options.timeoutMs;
  const url = options.url ?? (await discoverUrl(options.channel, options.timeoutMs));
  const probe = options.readyPath ? new URL(options.readyPath, url).toString() : url;
  let lastError = '';
  // Poll until the probe answers (2xx for a health path, anything for a plain URL), bounded by
  // the deadline.
  while (Date.now() < deadline) {
    const status = await get(probe, Math.max(100, deadline - Date.now())).catch((e: Error) => {
      lastError = e.message;
      return 0;
    });
    if (status > 0 && (!options.readyPath || (status >= 200 && status < 300))) return url;
    if (status > 0) lastError = `status ${status}`;
    await new Promise((r) => setTimeout(r, 100).unref());
  }
  throw new ReadyError(
    `${probe} was not ready within ${options.timeoutMs / 1000} s${lastError ? ` (last answer: ${lastError})` : ''}`,
  );
}

function discoverUrl(channel: AgentChannel, timeoutMs: number): Promise<string> {
  for (const agent of channel.live()) {
    for (const l of agent.listens) {
      const u = l.http ? urlFromAddress(l.address) : null;
      if (u) return Promise.resolve(u);
    }
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.off('listen', onListen);
      const agents = channel.agents.size;
      reject(
        new ReadyError(
          agents === 0
            ? `no agent reported within ${timeoutMs / 1000} s: is the target a Node.js process that honours NODE_OPTIONS? (use --url to point at it)`
            : `the target did not start an HTTP server within ${timeoutMs / 1000} s (use --url if it listens elsewhere)`,
        ),
      );
    }, timeoutMs);
    timer.unref();
    const onListen = (_: unknown, l: { address: ListenAddress; http: boolean }): void => {
      const u = l.http ? urlFromAddress(l.address) : null;
      if (!u) return;
      clearTimeout(timer);
      channel.off('listen', onListen);
      resolve(u);
    };
    channel.on('listen', onListen);
  });
}

function get(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: Math.min(timeoutMs, 2000) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
