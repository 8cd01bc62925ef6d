/**
 * Readiness: the target is ready when its agent reports an HTTP server listening (or, with
 * `--url`, when that URL accepts connections), and, with `--ready`, when the health path answers
 * 2xx. Bounded by a deadline.
 *
 * A service may listen on more than one HTTP server: a metrics or admin port, an
 * OpenTelemetry Prometheus exporter started before the app, a stub of an upstream in the same
 * process. The first to listen is not always the one the traffic is for, so discovery waits
 * {@link SETTLE_MS} for others, and when there are several, sends each a few of the traffic's own
 * GET requests and drives the one that serves them ({@link chooseServer}); the report names the
 * others and says why (`--url` chooses).
 */
import * as http from 'node:http';
import type { AgentChannel } from './channel';
import type { ListenAddress } from '../agent/protocol';
import type { OutgoingRequest } from '../traffic/scenario';
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';

/** The target did not become ready in time; the message says what was awaited. */
export class ReadyError extends LeakcheckError {
  /** @param message - one line for the user */
  constructor(message: string) {
    super(message, EXIT.infrastructure);
  }
}

/**
 * The target listens on more than one HTTP server and the probe cannot tell which one the traffic
 * is for: bad usage (exit 2), with what to pass.
 */
export class AmbiguousTargetError extends LeakcheckError {
  /** @param message - one line for the user */
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** Options of {@link waitForReady}. */
export interface ReadyOptions {
  channel: AgentChannel;
  url?: string;
  readyPath?: string;
  timeoutMs: number;
  /**
   * The traffic's next request: when more than one HTTP server listens, each is sent the same few
   * GET requests of it to tell which one serves the traffic.
   */
  traffic?: () => OutgoingRequest;
  /** The port the target was told to listen on (its PORT variable): chosen on a tie. */
  preferredPort?: number;
}

/** The target is ready: where the load goes, and the servers it was chosen from. */
export interface Ready {
  url: string;
  /** Every HTTP server the target listened on before the load started, in order (discovery only). */
  servers: ServerProbe[];
  /** Why `url` was chosen, when there was more than one server. */
  reason?: string;
}

/** One HTTP server of the target and how it answered the traffic's probe requests. */
export interface ServerProbe {
  url: string;
  /**
   * Probe requests it answered as the traffic expects: in the class of status the replayed log
   * recorded for the endpoint (below 400, 4xx, 5xx), or, where the traffic records none, with
   * anything but 404, 405, 501 or a failure.
   */
  served: number;
  probed: number;
}

/** How long discovery waits, after the first HTTP server listens, for more to listen. */
export const SETTLE_MS = 250;
/** GET requests of the traffic each server is sent when there is more than one. */
export const PROBE_REQUESTS = 16;
/** Requests of the traffic looked through for {@link PROBE_REQUESTS} GET requests. */
const PROBE_DRAW = 128;
/**
 * GET requests a lone server is sent at most, one after another until one is answered as
 * expected: a log replayed against a service whose routes differ from the logged one's (a log of
 * another service, a route renamed since) is answered 404 now and then, and one unlucky request
 * made every such run wait {@link LATE_SERVER_MS}.
 */
export const LONE_PROBES = 3;
/** With one server that serves none of the probe requests: how long to wait for another. */
export const LATE_SERVER_MS = 5_000;
/** Share of the probe requests a server must answer as expected to be taken for the app. */
export const PLAUSIBLE_SHARE = 0.5;
/** Statuses that say "not this server's route". */
const NOT_SERVED = new Set([404, 405, 501]);

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

/** Resolves once the target is ready; rejects with {@link ReadyError}. */
export async function waitForReady(options: ReadyOptions): Promise<Ready> {
  const deadline = Date.now() + options.timeoutMs;
  const chosen: Ready = options.url
    ? { url: options.url, servers: [] }
    : await discoverServer(options, deadline);
  const url = chosen.url;
  const probe = options.readyPath ? new URL(options.readyPath, url).toString() : url;
  let lastError = '';
  // Poll until the probe answers (2xx for a health path, anything for a plain URL), bounded by
  // the deadline.
  while (Date.now() < deadline) {
    const status = await get(probe, Math.max(100, deadline - Date.now())).catch((e: Error) => {
      lastError = e.message;
      return 0;
    });
    if (status > 0 && (!options.readyPath || (status >= 200 && status < 300))) return chosen;
    if (status > 0) lastError = `status ${status}`;
    await new Promise((r) => setTimeout(r, 100).unref());
  }
  throw new ReadyError(
    `${probe} was not ready within ${options.timeoutMs / 1000} s${lastError ? ` (last answer: ${lastError})` : ''}`,
  );
}

/** Every distinct HTTP server URL the target's processes listen on, in the order they listened. */
function httpServers(channel: AgentChannel): string[] {
  return distinctServers(
    channel.live().flatMap((agent) => agent.listens.filter((l) => l.http).map((l) => l.address)),
  );
}

/**
 * The distinct servers among listening addresses, as URLs, in the order they first listened. One
 * port is one server: cluster workers share their primary's port, and a framework that binds a
 * host name to each of its addresses (fastify on `localhost`: 127.0.0.1 and ::1) listens on one
 * port with one handler. Its IPv4 address is preferred.
 *
 * @param addresses - listening addresses, in order
 * @returns one URL per port
 */
export function distinctServers(addresses: readonly ListenAddress[]): string[] {
  const byPort = new Map<number, string>();
  for (const address of addresses) {
    const u = urlFromAddress(address);
    if (!u || address === null || typeof address === 'string') continue;
    const known = byPort.get(address.port);
    if (known === undefined || (known.includes('[') && !u.includes('['))) byPort.set(address.port, u);
  }
  return [...byPort.values()];
}

/**
 * Waits for the target's HTTP servers and picks the one the traffic is for: the first to listen,
 * after {@link SETTLE_MS} for others; with several, the one that serves the most of the traffic's
 * probe requests ({@link chooseServer}).
 *
 * A probe is traffic the service acts on, so a lone server (nearly every service) gets one GET
 * request, not {@link PROBE_REQUESTS}: sixteen requests down a path that never releases a pool
 * connection drained fixtures/pool-exhaustion's pool of ten before the load began, and the rule
 * that calls a drained pool a leak never saw the endpoint answer. Only when that request is not
 * answered as expected does it get another, up to {@link LONE_PROBES}; if none is, it gets up to
 * {@link LATE_SERVER_MS} for another server to listen (an exporter's port opens before the app's).
 */
async function discoverServer(options: ReadyOptions, deadline: number): Promise<Ready> {
  const { channel } = options;
  await nextListen(channel, deadline, 0, options.timeoutMs);
  await settle(Math.min(deadline, Date.now() + SETTLE_MS));
  let servers = httpServers(channel);
  if (servers.length === 1) {
    const lone = await probeServer(
      servers[0] as string,
      probeRequests(options.traffic, LONE_PROBES),
      deadline,
      true,
    );
    if (lone.probed === 0 || lone.served > 0) return chooseServer([lone]);
    const late = Math.min(deadline, Date.now() + LATE_SERVER_MS);
    if (!(await nextListen(channel, late, 1, options.timeoutMs, false))) return chooseServer([lone]);
    await settle(Math.min(deadline, Date.now() + SETTLE_MS));
    servers = httpServers(channel);
  }
  const probes = probeRequests(options.traffic, PROBE_REQUESTS);
  const scored = await Promise.all(servers.map((u) => probeServer(u, probes, deadline)));
  return chooseServer(scored, options.preferredPort);
}

/**
 * The server the load goes to. One server is it. Of several, the one that answers at least
 * {@link PLAUSIBLE_SHARE} of the probe requests as expected, if only one does (if none does, the
 * one that answers the most); if that leaves more than one, the one on the port the target was
 * told to use (its PORT variable). Anything else is a guess, and a guess that drives the wrong
 * server passes a leaking service, so it is refused: {@link AmbiguousTargetError} asks for `--url`.
 *
 * @param servers - each server and its probe score, in the order they listened (at least one)
 * @param preferredPort - the target's PORT variable, if set
 * @returns the chosen server, all of them, and why (when there were several)
 * @throws AmbiguousTargetError when the probe cannot tell the servers apart
 */
export function chooseServer(servers: readonly ServerProbe[], preferredPort?: number): Ready {
  const list = [...servers];
  if (list.length <= 1) return { url: (list[0] as ServerProbe).url, servers: list };
  const plausible = list.filter((s) => s.probed > 0 && s.served >= PLAUSIBLE_SHARE * s.probed);
  const best = Math.max(...list.map((s) => s.served));
  const candidates = plausible.length > 0 ? plausible : list.filter((s) => s.served === best);
  const probed = list[0]?.probed ?? 0;
  if (candidates.length === 1) {
    const pick = candidates[0] as ServerProbe;
    return {
      url: pick.url,
      servers: list,
      reason:
        plausible.length === 1
          ? `it is the only one that answered the traffic's GET requests as expected`
          : `it answered the most of the traffic's GET requests as expected`,
    };
  }
  const onPort = candidates.find(
    (s) => preferredPort !== undefined && new URL(s.url).port === String(preferredPort),
  );
  if (onPort)
    return { url: onPort.url, servers: list, reason: `it listens on the target's PORT (${preferredPort})` };
  const each = candidates.map((s) => (probed > 0 ? `${s.url} ${s.served} of ${s.probed}` : s.url)).join(', ');
  throw new AmbiguousTargetError(
    probed > 0
      ? `the target listens on ${list.length} HTTP servers, and ${candidates.length} answer the traffic's GET requests as expected (${each}): say which to load with --url, or set PORT for the target to the port its app listens on`
      : `the target listens on ${list.length} HTTP servers (${each}) and the traffic has no GET request to tell them apart: say which to load with --url, or set PORT for the target to the port its app listens on`,
  );
}

/** Resolves true once more than `known` HTTP servers listen; false (or a ReadyError) at the deadline. */
function nextListen(
  channel: AgentChannel,
  deadline: number,
  known: number,
  timeoutMs: number,
  failAtDeadline = true,
): Promise<boolean> {
  if (httpServers(channel).length > known) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        channel.off('listen', onListen);
        if (!failAtDeadline) {
          resolve(false);
          return;
        }
        const agents = channel.agents.size;
        reject(
          new ReadyError(
            agents === 0
              ? `no agent reported within ${timeoutMs / 1000} s: is the target a Node.js process that honours NODE_OPTIONS? (use --url to point at it)`
              : `the target did not start an HTTP server within ${timeoutMs / 1000} s (use --url if it listens elsewhere)`,
          ),
        );
      },
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    const onListen = (): void => {
      if (httpServers(channel).length <= known) return;
      clearTimeout(timer);
      channel.off('listen', onListen);
      resolve(true);
    };
    channel.on('listen', onListen);
  });
}

/** Lets other servers of the target listen until `until` (a settle period, not a poll). */
function settle(until: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
    timer.unref();
  });
}

/** Up to `count` GET requests of the traffic (a GET, so that a probe changes as little as it can). */
function probeRequests(traffic: (() => OutgoingRequest) | undefined, count: number): OutgoingRequest[] {
  const out: OutgoingRequest[] = [];
  if (!traffic) return out;
  for (let i = 0; i < PROBE_DRAW && out.length < count; i++) {
    const r = traffic();
    if (r.method.toUpperCase() === 'GET') out.push(r);
  }
  return out;
}

/** Whether a probe's status is what the traffic expects ({@link ServerProbe.served}). */
export function answersAsExpected(status: number, expected?: number): boolean {
  if (status <= 0) return false;
  if (expected === undefined) return !NOT_SERVED.has(status);
  const kind = (code: number): number => (code < 400 ? 0 : code < 500 ? 1 : 2);
  return kind(status) === kind(expected);
}

/**
 * Sends a server the probe requests one after another and counts those it answered as expected.
 *
 * @param url - the server
 * @param probes - GET requests of the traffic
 * @param deadline - epoch ms after which no more are sent
 * @param untilServed - stop at the first answered as expected (a lone server)
 * @returns the server, requests answered as expected, and requests sent
 */
export async function probeServer(
  url: string,
  probes: readonly OutgoingRequest[],
  deadline: number,
  untilServed = false,
): Promise<ServerProbe> {
  let served = 0;
  let probed = 0;
  for (const r of probes) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    probed++;
    const status = await get(new URL(r.path, url).toString(), left, r.headers).catch(() => 0);
    if (answersAsExpected(status, r.expectedStatus)) served++;
    if (untilServed && served > 0) break;
  }
  return { url, served, probed };
}

function get(url: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: Math.min(timeoutMs, 2000), headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}
