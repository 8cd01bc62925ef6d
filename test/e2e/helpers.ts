/** Runs the built CLI against fixtures, as a user would, and reads back what it wrote. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '../../src/report/report';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** What one CLI invocation produced. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outDir: string;
  report: Report | null;
}

/** Runs `node dist/cli/main.js <args>` with a fresh --out directory; bounded by `timeoutMs`. */
export function runCli(
  args: string[],
  options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-test-'));
  const full =
    args[0] === 'run' ? [...args.slice(0, 1), '--out', outDir, '--no-progress', ...args.slice(1)] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...full], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `leakcheck ${full.join(' ')} did not finish within ${options.timeoutMs ?? 90_000} ms\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const file = path.join(outDir, 'report.json');
      const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Report) : null;
      resolve({ code, stdout, stderr, outDir, report });
    });
  });
}

/** The fixture's config file. */
export function fixtureConfig(name: string): string {
  return path.join(ROOT, 'fixtures', name, 'leakcheck.config.json');
}

/** The fixture's known answer. */
export function expected(name: string): {
  verdict: 'leak' | 'pass';
  metric: string | null;
  bytesPerRequest: number | null;
  unitPerRequest?: number;
} {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', name, 'expected.json'), 'utf8'));
}

/** Pids from the report that are still alive (must be none once leakcheck has exited). */
export function survivors(report: Report | null): number[] {
  const pids = new Set<number>();
  for (const p of report?.processes ?? []) pids.add(p.pid);
  return [...pids].filter((pid) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    // A zombie has exited already: once its parent is gone it waits for PID 1 to reap it, which
    // is not ours to do (cluster workers whose primary ended first are seen this way).
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return true;
    }
  });
}

/**
 * Processes started by any leakcheck run that are still alive: every process the harness starts
 * inherits LEAKCHECK_AGENT_SOCKET, wrappers and shells included (Linux /proc). With a mark
 * ({@link suiteMark}), only those whose environment carries it: another suite's runs on the same
 * machine are not this suite's leftovers.
 *
 * @param mark - an environment entry "NAME=value" the processes must carry (default: any)
 * @returns their pids
 */
export function leftoverTargets(mark?: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = fs.readFileSync(`/proc/${name}/environ`, 'latin1');
      if (!env.includes('LEAKCHECK_AGENT_SOCKET=')) continue;
      if (mark === undefined || env.split('\0').includes(mark)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * An environment variable marking the processes one suite starts, so its leftover check
 * ({@link leftoverTargets} with `mark`) ignores other suites running at the same time.
 *
 * @param name - the variable's name, e.g. "LEAKCHECK_TRAFFIC_E2E"
 * @returns the variable for runCli's `env`, and the mark to look for
 */
export function suiteMark(name: string): { env: Record<string, string>; mark: string } {
  return { env: { [name]: String(process.pid) }, mark: `${name}=${process.pid}` };
}

/**
 * Runs a test's assertions on a CLI run; when they fail, the failure message carries what the
 * run decided and why (the verdict line, every sequential look) and the run's --out folder is
 * copied out of the jest run's temporary folder (which is removed at the end) to
 * `LEAKCHECK_TEST_ARTIFACTS` (default: `leakcheck-failed-runs` in the system temporary folder),
 * so a verdict that only goes wrong now and then on a CI runner can be read afterwards.
 *
 * @param run - the CLI run
 * @param label - names the kept folder (the test's case)
 * @param assertions - the test's expectations on the run
 */
export async function explainOnFailure(
  run: CliRun,
  label: string,
  assertions: () => void | Promise<void>,
): Promise<void> {
  try {
    await assertions();
  } catch (err) {
    const kept = keepRunFolder(run.outDir, label);
    if (err instanceof Error)
      err.message += `\n\n${describeRun(run)}\nrun folder kept at: ${kept ?? '(could not copy)'}`;
    throw err;
  }
}

/** Where failed runs' folders are kept: outside the jest run's temporary folder. */
function artifactsRoot(): string {
  const jestTmp = process.env.LEAKCHECK_JEST_TMPDIR;
  const outer = jestTmp ? path.dirname(jestTmp) : os.tmpdir();
  return process.env.LEAKCHECK_TEST_ARTIFACTS ?? path.join(outer, 'leakcheck-failed-runs');
}

function keepRunFolder(outDir: string, label: string): string | null {
  try {
    const safe = label.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
    const dest = path.join(artifactsRoot(), `${safe}-${process.pid}-${Date.now()}`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.cpSync(outDir, dest, { recursive: true });
    return dest;
  } catch {
    return null;
  }
}

/** The run's verdict, its reason and its sequential looks, a line each. */
export function describeRun(run: CliRun): string {
  const r = run.report;
  if (!r) return `exit ${String(run.code)}, no report.json; stderr:\n${run.stderr.slice(-2000)}`;
  const lines = [`exit ${String(run.code)}, verdict ${r.verdict}, status ${r.status}`];
  const seq = r.sequential;
  if (seq) {
    lines.push(`sequential: ${seq.rule} (${seq.stopReason}) after ${seq.timeToVerdictMs} ms: ${seq.reason}`);
    for (const l of seq.looks) {
      const stairs = l.staircase ? ` staircase ${JSON.stringify(l.staircase)}` : '';
      lines.push(
        `  look ${l.look}: ${l.samples} samples, requests ${l.from}-${l.to}, slope ${l.slope.toFixed(2)} ` +
          `(${l.low?.toFixed(2) ?? '-'} to ${l.high?.toFixed(2) ?? '-'}), early ${l.earlySlope.toFixed(2)}, ` +
          `resets ${l.resets.total}/${l.resets.recent}, settled ${String(l.settled)}${stairs} → ${l.decision}`,
      );
    }
  }
  lines.push(...seriesLines(run.outDir, seq?.pid ?? null));
  for (const p of r.processes) {
    for (const m of p.metrics) {
      if (m.verdict !== 'pass') lines.push(`pid ${p.pid} ${m.metric}: ${m.verdict}`);
    }
  }
  return lines.join('\n');
}

/** The measured series of one process as "requests:KiB" pairs (heap less code space), for replaying a look offline. */
function seriesLines(outDir: string, pid: number | null): string[] {
  try {
    const samples = JSON.parse(fs.readFileSync(path.join(outDir, 'samples.json'), 'utf8')) as Array<{
      pid: number;
      phase?: string;
      requests: number;
      heapUsed: number;
      spaces?: Record<string, number>;
    }>;
    const own = samples.filter((s) => s.phase === 'measure' && (pid === null || s.pid === pid));
    const code = (s: (typeof own)[number]): number =>
      (s.spaces?.code_space ?? 0) + (s.spaces?.code_large_object_space ?? 0);
    const pairs = own.map((s) => `${s.requests}:${((s.heapUsed - code(s)) / 1024).toFixed(1)}`);
    return [`series (requests:KiB, heap less code space, ${pairs.length} samples): ${pairs.join(' ')}`];
  } catch {
    return [];
  }
}
