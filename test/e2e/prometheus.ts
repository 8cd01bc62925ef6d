/**
 * A real Prometheus (Debian's package) for the watch tests: started on 127.0.0.1 with a 1 s scrape
 * interval, its data in the test's temporary folder, in its own process group so the test ends it
 * whole. Also the small helpers those tests share (free port, bounded polling, ending a group).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** Whether a command answers its version question (`--version`; openssl wants `version`). */
export function installed(command: string, args: readonly string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** In CI the Prometheus tests must run (.ci/run installs prometheus); elsewhere they may be skipped. */
export const IN_CI = Boolean(process.env.CI);

/** A free TCP port on 127.0.0.1 (bound and released; the tiny race is acceptable here). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` every `everyMs` until it returns a value other than null or false, at most until
 * `deadlineMs` from now; errors count as not yet (the last one is quoted on timeout).
 */
export async function until<T>(
  what: string | (() => string),
  deadlineMs: number,
  check: () => Promise<T | null | false>,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const name = typeof what === 'string' ? what : what();
  throw new Error(
    `timed out after ${deadlineMs} ms waiting for ${name}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

/** Ends a process group: SIGTERM, then SIGKILL if it is still there after a bounded wait. */
export async function stopGroup(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
  }
}

/** GET a JSON document, bounded by 5 s. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** What {@link startPrometheus} starts. */
export interface PrometheusOptions {
  /** Folder for prometheus.yml and the TSDB (the test's temporary folder). */
  dir: string;
  /** Scrape jobs: job name → `host:port` targets. */
  jobs: Record<string, readonly string[]>;
  /** Rule files to load; rules are then evaluated every second too. */
  ruleFiles?: readonly string[];
  /** A web config (TLS, basic auth): Prometheus then serves https. */
  webConfigFile?: string;
  /** Readiness check (default: GET /-/ready answers 2xx); a secured server needs the test's client. */
  ready?: (url: string) => Promise<boolean>;
}

/** A started Prometheus. */
export interface StartedPrometheus {
  child: ChildProcess;
  /** Base URL, http or https. */
  url: string;
  /** The last 4,000 characters of its log (warnings and errors). */
  log: () => string;
}

/**
 * Writes prometheus.yml (1 s scrapes), starts Prometheus in its own process group and waits
 * (bounded, 30 s) until it is ready. The caller ends it with {@link stopGroup}.
 *
 * @param options - jobs, rule files, web config
 * @returns the process, its URL and its log
 */
export async function startPrometheus(options: PrometheusOptions): Promise<StartedPrometheus> {
  const config = path.join(options.dir, 'prometheus.yml');
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s'];
  if (options.ruleFiles) {
    lines.push('  evaluation_interval: 1s', 'rule_files:');
    for (const file of options.ruleFiles) lines.push(`  - ${JSON.stringify(file)}`);
  }
  lines.push('scrape_configs:');
  for (const [job, targets] of Object.entries(options.jobs)) {
    lines.push(`  - job_name: ${job}`, '    static_configs:', `      - targets: ${JSON.stringify(targets)}`);
  }
  fs.writeFileSync(config, lines.join('\n') + '\n');
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      ...(options.webConfigFile ? [`--web.config.file=${options.webConfigFile}`] : []),
      `--storage.tsdb.path=${path.join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `${options.webConfigFile ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ready =
    options.ready ??
    (async (base: string) => (await fetch(`${base}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok);
  try {
    await until(
      () => `Prometheus ready (log: ${log})`,
      30_000,
      () => ready(url),
    );
  } catch (err) {
    await stopGroup(child);
    throw err;
  }
  return { child, url, log: () => log };
}
