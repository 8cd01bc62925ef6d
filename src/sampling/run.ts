/**
 * The run loop: start the target with the agent, wait for it to listen, drive traffic through
 * warm-up, measurement (./measure.ts: a post-GC sample every K requests, the looks, the probes)
 * and cool-down, then stop the whole tree. Returns everything measured, including when the run
 * ends early (the partial report).
 *
 * Measurement is sequential unless a fixed window is asked for: after the minimum window the
 * evidence is weighed at each planned look, and the run stops as soon as it decides (or at the
 * budget). A target that dies of heap exhaustion is reported as such (`out-of-memory`).
 */
import { AgentChannel, type AgentConnection } from '../target/channel';
import { TargetProcess, type ExitInfo } from '../target/process';
import { waitForReady, ReadyError, AmbiguousTargetError, type ServerProbe } from '../target/ready';
import { targetEnvironment } from '../target/environment';
import { loadDriver, TrafficDriver, type TrafficStats } from '../traffic/driver';
import type { RateSpec } from '../traffic/pacer';
import type { RequestSource } from '../traffic/scenario';
import type { AgentSample } from '../agent/protocol';
import type { Phase, Sample } from './samples';
import type { Evidence, EvidenceSettings } from './evidence';
import { measureWindow } from './measure';
import type { RunProbe, RunVerdict } from './probes';
import { delay, errorText, RunEnded } from './wait';

export type { ProbeContext, RunProbe, RunVerdict, VerdictContext } from './probes';

/** Everything the run loop needs; built from the config by the caller. */
export interface RunOptions {
  command: string[] | string;
  cwd: string;
  env: Record<string, string>;
  /** Base URL to drive; discovered from the agent when unset. */
  url?: string;
  /** Health path that must answer 2xx before load starts. */
  readyPath?: string;
  readyTimeoutMs: number;
  /** Bound on the whole run, start-up included. */
  deadlineMs: number;
  source: RequestSource;
  connections: number;
  rate?: RateSpec;
  warmup: { seconds: number; requests?: number };
  /** The fixed measured window; ignored when `sequential` is set. */
  measure: { seconds: number; requests?: number };
  /** Samples in the measured window (the baseline included); sequential: in the minimum window. */
  samples: number;
  /** Measure until the evidence decides, within a budget (absent: the fixed window `measure`). */
  sequential?: SequentialPlan;
  /** Stop a sequential run once a resource ran out (`findExhaustion`); on unless false. */
  exhaustion?: boolean;
  /** File receiving the target's output. */
  logFile: string;
  /** Grace period between SIGTERM and SIGKILL when stopping the target. */
  stopGraceMs: number;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
  /** Extra measurements that ride along the run (allocation profiles, snapshots...). */
  probes?: RunProbe[];
  /**
   * The verdict of the samples so far, for probes with `afterVerdict` (the run loop asks once the
   * measured window has decided, before the load stops). `heap` is the sequential measurement's
   * heap verdict (null for a fixed window): the judge adds what else gates (external memory,
   * handles). Without a judge, probes get the sequential verdict alone.
   */
  judge?: (samples: Sample[], heap: RunVerdict | null) => RunVerdict;
  /**
   * A run for the probes alone (attribution in a new process after a leak verdict): after the
   * warm-up the probes are handed this verdict at once; there is no measured window.
   */
  givenVerdict?: RunVerdict;
}

/** Sequential measurement: minimum window, budget, and how the evidence is weighed. */
export interface SequentialPlan extends EvidenceSettings {
  /** Measured time before the first look (long enough to see a bounded structure's reset). */
  minWindowMs: number;
  /** Budget: measured time. */
  maxMs: number;
  /** Budget: requests served in the measured window. */
  maxRequests?: number;
}

/** Why the measured window ended. */
export type StopReason =
  'leak' | 'pass' | 'max-duration' | 'max-requests' | 'fixed-window' | 'ended-early' | 'resource-exhausted';

/** What the sequential measurement decided and when; in `RunResult.sequential`. */
export interface SequentialOutcome {
  /** The evidence at the end of the measured window. */
  evidence: Evidence;
  stopReason: StopReason;
  /** Milliseconds from the start of the run (start-up included) to the verdict. */
  timeToVerdictMs: number;
  /** Measured milliseconds (warm-up excluded). */
  measuredMs: number;
  /** Requests served in the measured window. */
  measuredRequests: number;
  /** Time between samples. */
  spacingMs: number;
}

/** Live progress, for progress bars. */
export interface RunProgress {
  /** `attribution`: a new process of the service, started for attribution after a leak verdict. */
  phase: Phase | 'starting' | 'attribution';
  completed: number;
  /** Requests the measured window will take, when known. */
  target?: number;
  heapUsed?: number;
  samples: number;
  /** Sequential: the latest look (recent slope, its interval, the threshold). */
  evidence?: Evidence;
  /** Sequential: the threshold the interval is held against. */
  threshold?: number;
}

/** How the run ended. */
export type RunStatus =
  | 'completed'
  | 'target-exited'
  | 'out-of-memory'
  /** The target died of file-descriptor exhaustion (EMFILE): a leak of descriptors (exit 1). */
  | 'out-of-descriptors'
  | 'not-ready'
  /** More than one HTTP server, and the probe could not tell which the traffic is for (exit 2). */
  | 'ambiguous-target'
  | 'timeout'
  | 'aborted'
  | 'failed';

/**
 * Statuses of a run whose target died of what it kept, and the metric it ran out of: a leak
 * (exit 1) with the partial report, in `run` and in `compare` alike.
 */
export const DIED_OF_LEAK: Readonly<
  Partial<Record<RunStatus, { metric: 'heapUsed' | 'fds'; resource: string }>>
> = {
  'out-of-memory': { metric: 'heapUsed', resource: 'memory' },
  'out-of-descriptors': { metric: 'fds', resource: 'file descriptors' },
};

/** One process of the target, as its agent described it. */
export interface TargetProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  node: string;
  heapLimit: number;
  listens: Array<{ address: unknown; http: boolean }>;
}

/** What a run measured. */
export interface RunResult {
  status: RunStatus;
  /** Why the run ended early, in one line, and the target's last output lines. */
  failure?: { message: string; logTail: string[] };
  url?: string;
  /** When the target listened on more than one HTTP server: each, and why `url` was chosen. */
  servers?: { urls: ServerProbe[]; reason: string };
  exit?: ExitInfo | null;
  processes: TargetProcessInfo[];
  samples: Sample[];
  traffic: TrafficStats & { mix: Array<{ endpoint: string; share: number }> };
  /** Requests between samples in the measured window. */
  sampleEvery: number;
  timings: { readyMs?: number; warmupEndMs?: number; measureEndMs?: number; totalMs: number };
  /** Results of the probes, by name. */
  probes: Record<string, unknown>;
  /** Sequential measurement: the evidence, why it stopped, when. */
  sequential?: SequentialOutcome;
}

/** Runs one leak measurement end to end. Never throws for target trouble: see `status`. */
export async function runMeasurement(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const samples: Sample[] = [];
  const result: RunResult = {
    status: 'completed',
    processes: [],
    samples,
    traffic: {
      completed: 0,
      errors: 0,
      timeouts: 0,
      statusCounts: {},
      endpoints: {},
      seconds: 0,
      mix: options.source.mix(),
    },
    sampleEvery: 0,
    timings: { totalMs: 0 },
    probes: {},
  };
  const channel = await AgentChannel.open();
  let target: TargetProcess | undefined;
  let driver: TrafficDriver | undefined;
  const killOnExit = (): void => target?.killNow();
  process.once('exit', killOnExit);

  // Every wait in the run races the target's exit, the deadline and the user's Ctrl-C.
  let rejectEnded: (e: RunEnded) => void = () => undefined;
  const ended = new Promise<never>((_, reject) => {
    rejectEnded = reject;
  });
  ended.catch(() => undefined);
  const deadline = setTimeout(
    () =>
      rejectEnded(new RunEnded('timeout', `the run did not finish within ${options.deadlineMs / 1000} s`)),
    options.deadlineMs,
  );
  const onAbort = (): void => rejectEnded(new RunEnded('aborted', 'interrupted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, ended]);

  let phase: Phase = 'warmup';
  let lastHeap: number | undefined;
  let lastEvidence: Evidence | undefined;
  const progress = (): void =>
    options.onProgress?.({
      phase,
      completed: driver?.stats.completed ?? 0,
      heapUsed: lastHeap,
      samples: samples.filter((s) => s.phase === 'measure').length,
      evidence: lastEvidence,
      threshold: options.sequential?.threshold,
    });

  const sampleAll = async (p: Phase): Promise<void> => {
    const live = channel.live();
    const loadCompleted = driver?.stats.completed ?? 0;
    const got = await race(
      Promise.all(
        live.map((a: AgentConnection) =>
          a.call('sample').then(
            (s) => s as AgentSample,
            () => null,
          ),
        ),
      ),
    );
    const t = Math.round(elapsed());
    for (const s of got) if (s) samples.push({ ...s, phase: p, t, loadCompleted });
    const busiest = got
      .filter((s): s is AgentSample => s !== null)
      .sort((a, b) => b.requests - a.requests)[0];
    if (busiest) lastHeap = busiest.heapUsed;
    progress();
  };

  try {
    if (options.signal?.aborted) throw new RunEnded('aborted', 'interrupted');
    target = TargetProcess.launch({
      command: options.command,
      cwd: options.cwd,
      env: { ...options.env, ...channel.env() },
      logFile: options.logFile,
      folders: [channel.dir],
    });
    const t = target;
    void t.exited.then(async (exit) => {
      const during = phase === 'warmup' && !result.url ? 'start-up' : phase;
      // The last output lines arrive after the exit: wait for the streams to close (bounded).
      await Promise.race([t.closed, delay(1000)]);
      const oom = outOfMemory(exit, t.lastLines());
      if (oom) {
        rejectEnded(
          new RunEnded('out-of-memory', `the target ran out of memory during the ${during}: ${oom}`),
        );
        return;
      }
      // Before any load, EMFILE is the service's own trouble (a file watcher, a low limit), not a leak.
      const emfile = during === 'start-up' ? null : outOfDescriptors(exit, t.lastLines());
      if (emfile) {
        rejectEnded(
          new RunEnded(
            'out-of-descriptors',
            `the target ran out of file descriptors during the ${during}: ${emfile}`,
          ),
        );
        return;
      }
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      rejectEnded(new RunEnded('target-exited', `the target ${how} during the ${during}`));
    });
    options.onProgress?.({ phase: 'starting', completed: 0, samples: 0 });
    // The load generator loads while the service starts (on the other core), not after.
    loadDriver();
    try {
      const port = Number(targetEnvironment(process.env, options.env).PORT);
      const ready = await race(
        waitForReady({
          channel,
          url: options.url,
          readyPath: options.readyPath,
          timeoutMs: options.readyTimeoutMs,
          traffic: () => options.source.next(),
          preferredPort: Number.isInteger(port) && port > 0 ? port : undefined,
        }),
      );
      result.url = ready.url;
      if (ready.servers.length > 1) result.servers = { urls: ready.servers, reason: ready.reason ?? '' };
    } catch (err) {
      if (err instanceof AmbiguousTargetError) throw new RunEnded('ambiguous-target', err.message);
      if (err instanceof ReadyError) throw new RunEnded('not-ready', err.message);
      throw err;
    }
    result.timings.readyMs = Math.round(elapsed());

    driver = new TrafficDriver({
      url: result.url,
      source: options.source,
      connections: options.connections,
      rate: options.rate,
      maxSeconds: Math.ceil(options.deadlineMs / 1000),
    });
    const d = driver;
    const ticker = setInterval(progress, 250);
    try {
      // Warm-up: JIT, lazy initialisation and connection setup settle; nothing here is fitted.
      const warmStart = performance.now();
      const warmRequests = options.warmup.requests;
      await race(warmRequests ? d.whenCompleted(warmRequests) : delay(options.warmup.seconds * 1000));
      await sampleAll('warmup');
      const warmSeconds = (performance.now() - warmStart) / 1000;
      result.timings.warmupEndMs = Math.round(elapsed());

      // Measurement: a sample every K requests, until the evidence decides (./measure.ts).
      phase = 'measure';
      await measureWindow({
        options,
        driver: d,
        agents: () => channel.live(),
        samples,
        sample: () => sampleAll('measure'),
        race,
        elapsed,
        evidence: (e, report) => {
          lastEvidence = e;
          if (report) progress();
        },
        // K from the throughput so far (the warm-up's until the second sample).
        warmRate: d.stats.completed / Math.max(0.001, warmSeconds),
        result,
      });
    } finally {
      clearInterval(ticker);
    }

    // Cool-down: load stops, in-flight requests finish, one last post-GC sample (reported, not fitted:
    // with nothing in flight it sits lower than the loaded samples).
    phase = 'cooldown';
    await race(d.stop());
    await sampleAll('cooldown');
  } catch (err) {
    if (err instanceof RunEnded) {
      result.status = err.status;
      result.failure = { message: err.message, logTail: [] };
    } else {
      result.status = 'failed';
      result.failure = { message: errorText(err), logTail: [] };
    }
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onAbort);
    if (driver) result.traffic = { ...(await stopQuietly(driver)), mix: result.traffic.mix };
    result.processes = [...channel.agents.values()].map((a) => ({
      pid: a.pid,
      ppid: a.hello.ppid,
      argv: a.hello.argv,
      node: a.hello.node,
      heapLimit: a.hello.heapLimit,
      listens: a.listens.map((l) => ({ address: l.address, http: l.http })),
    }));
    if (target) {
      await target.stop(options.stopGraceMs, [...channel.agents.keys()]);
      result.exit = target.exit;
      if (result.failure) result.failure.logTail = target.lastLines();
    }
    process.removeListener('exit', killOnExit);
    await channel.close();
    result.timings.totalMs = Math.round(elapsed());
  }
  return result;
}

async function stopQuietly(driver: TrafficDriver): Promise<TrafficStats> {
  let timer: NodeJS.Timeout | undefined;
  const fallback = new Promise<TrafficStats>((r) => {
    timer = setTimeout(() => r(driver.stats), 5000);
  });
  try {
    return await Promise.race([driver.stop(), fallback]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether an exit was heap exhaustion: V8's "heap out of memory" fatal error in the output, or a
 * SIGKILL that leakcheck did not send (the kernel's OOM killer; the run never kills the target
 * while measuring).
 *
 * @param exit - how the target exited
 * @param lines - its last output lines
 * @returns what showed it, or null
 */
export function outOfMemory(exit: ExitInfo, lines: readonly string[]): string | null {
  if (lines.some((l) => /heap out of memory|Allocation failed - JavaScript heap/i.test(l)))
    return 'V8 reported "JavaScript heap out of memory"';
  if (exit.signal === 'SIGKILL') return "it was killed by SIGKILL (the kernel's OOM killer, most likely)";
  return null;
}

/**
 * Whether a target that exited died of file-descriptor exhaustion: an EMFILE error ("too many open
 * files") in its last output lines. A service that opens a descriptor it never closes dies of it
 * once it reaches its limit (`ulimit -n`: 256 on macOS, 1,024 to 65,536 on Linux runners), which a
 * leak of one per request reaches within seconds, before the first look.
 *
 * @param exit - how the target exited
 * @param lines - its last output lines
 * @returns what showed it, or null
 */
export function outOfDescriptors(exit: ExitInfo, lines: readonly string[]): string | null {
  if (exit.code === 0) return null;
  const line = lines.find((l) => /\bEMFILE\b|too many open files/i.test(l));
  return line === undefined ? null : 'it failed with EMFILE (too many open files)';
}
