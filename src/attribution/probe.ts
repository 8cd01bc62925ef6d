/**
 * The attribution probe. Attribution needs two things detection does not: V8's sampling heap
 * profiler running from the process's first line (see ATTRIBUTION_ENV: a live-object profile only
 * sees objects sampled when they were allocated, so a bounded cache evicting early entries would
 * otherwise look like growth), and inlining off (so the profile names the function that allocates,
 * not a caller it was inlined into). Where it runs (`stage`):
 *
 * - `verdict-only` (the default's measured run): nothing at all in the measured process; once the
 *   verdict is known, the probe only records whether attribution is wanted (`pending`), and the
 *   caller starts a new process of the service for it (./index.ts `attributeInNewProcess`). The
 *   profiler from preload costs a sixth to a fifth of a service's throughput (bench/overhead.ts,
 *   detection phase), which detection would otherwise pay on every run, clean ones included.
 * - `new-process`: that new process, started with sampling and inlining off from preload and
 *   handed the measured run's verdict after its warm-up.
 * - `measured-process`: the profiler samples from preload in the measured process, inlining stays
 *   on, and attribution follows the verdict there (same process, same traffic), after switching
 *   inlining off and deoptimising all code.
 *
 * Attribution itself, for a leak (or always, with `snapshots: 'always'`): a heap snapshot (it does
 * not depend on how code is compiled), more of the same traffic (long enough to optimise again), a
 * live-object profile and a second snapshot, as much traffic again, and a final profile and
 * snapshot. Each half is sized from the verdict's growth estimate: enough requests for the leak to
 * add `TARGET_SAMPLES` profiler samples, within `windowMs`. Each step's wall time is kept
 * (`phases`). A clean run takes no profile and no snapshot.
 */
import * as fs from 'node:fs';
import type { AgentConnection } from '../target/channel';
import type { ProbeContext, RunProbe, RunVerdict, VerdictContext } from '../sampling/run';
import { snapshotIds } from './heap';
import type { SamplingProfile } from './profile';
import type { ScriptInfo } from './sourcemap';

/** How the probe runs. */
export interface AttributionProbeOptions {
  /** Which process this probe attributes in (see the module comment). */
  stage: AttributionStage;
  /** Average bytes between samples of the sampling heap profiler. */
  samplingInterval: number;
  /** When to take heap snapshots (see the module comment). */
  snapshots: 'auto' | 'always' | 'never';
  /** Directory the agents write snapshots into (created when needed). */
  snapshotDir: string;
  /** Heap growth per request that counts as a leak: sizes the window when no estimate is given. */
  threshold: number;
  /** Bound on one snapshot write, in milliseconds (they block the target while written). */
  snapshotTimeoutMs?: number;
  /** Bound on the traffic served for attribution after the verdict (default 6 s). */
  windowMs?: number;
  /**
   * Why nothing is looked for after the verdict, when the caller will not use it (a bisect step
   * that only needs the verdict): the measured run is the same as any other run's (in the
   * measured process, the profiler still samples from preload), but no profile, snapshot or new
   * process follows.
   */
  skipAfterVerdict?: string;
}

/** One live-object profile. */
export interface ProfilePoint {
  /** Requests the process had served when the profile was taken. */
  requests: number;
  /** 0 for the profile taken when attribution starts, 1 for the one at its end. */
  sampleIndex: number;
  profile: SamplingProfile;
}

/** One heap snapshot written by the agent. */
export interface SnapshotPoint {
  file: string;
  requests: number;
  bytes: number;
  /**
   * The first two snapshots' sorted node ids, read in this process while the target goes on
   * serving (only their ids are compared), so the analysis after the run does not wait for them.
   */
  ids?: Promise<Uint32Array>;
}

/** What the probe gathered in one process. */
export interface ProcessAttribution {
  pid: number;
  profiles: ProfilePoint[];
  snapshots: SnapshotPoint[];
  scripts: ScriptInfo[];
  /**
   * Requests the process had served when its sampling heap profiler started (0 from preload);
   * absent when the agent did not say (then the growth test's check against structures refilled
   * since the first profile is off).
   */
  samplingSince?: number;
  /** Commands that failed, in words. */
  errors: string[];
}

/** Where the probe attributes: see the module comment. */
export type AttributionStage = 'verdict-only' | 'new-process' | 'measured-process';

/** What the probe returns (kept in `RunResult.probes.attribution`). */
export interface AttributionData {
  samplingInterval: number;
  /** Whether attribution ran after the verdict (it does not on a clean run). */
  ran?: boolean;
  /**
   * `verdict-only`: the verdict attribution is wanted for, in a new process (absent when it is not
   * wanted). Replaced by the new process's data once that has run.
   */
  pending?: RunVerdict;
  /** Why it ran or not, in words. */
  reason?: string;
  snapshotMode: 'auto' | 'always' | 'never';
  /** Why snapshots were or were not taken. */
  snapshotReason: string;
  processes: ProcessAttribution[];
  /** Wall time of each step after the verdict, in order (empty when attribution did not run). */
  phases?: AttributionPhase[];
  /** Attribution in a new process: the requests it served and its output file (in the report folder). */
  newProcess?: { requests: number; logFile: string };
}

/** One step of attribution after the verdict and how long it took. */
export interface AttributionPhase {
  phase: string;
  ms: number;
}

/**
 * Environment variable that tells the agent, at preload, that attribution may run and at which
 * sampling interval: it starts sampling there and then, so objects allocated during the warm-up
 * are tracked too.
 */
export const ATTRIBUTION_ENV = 'LEAKCHECK_AGENT_ATTRIBUTION';

/** Name under which the run loop keeps this probe's result. */
export const ATTRIBUTION_PROBE = 'attribution';

/** Profiler samples a leak should add between the two profiles (a site's noise is ~√n). */
const TARGET_SAMPLES = 48;
/** Fewest requests in each half of the attribution window, whatever the estimate says. */
const MIN_HALF_REQUESTS = 1000;
/** Requests (or time, whichever comes first) to let code be optimised again after the deopt. */
const REOPTIMISE = { requests: 2000, ms: 1000 };
/**
 * Longest second half when a staircase decided the leak and the second half waits for the store's
 * next enlargement (`RunVerdict.nextStep`). A store of numbers (an array of timestamps) is
 * invisible to the snapshots otherwise: its elements are not objects, and its storage only changes
 * at an enlargement (a fastify service with such an array was flagged at 9.8 B/request, its last
 * jump 4,241 requests before the call after a stretch of 86,187: nothing grew between the
 * snapshots, and attribution named nothing).
 */
const NEXT_STEP_MS = 15_000;

/** Where the new process's attribution is said to have run (`AttributionData.reason`). */
export const NEW_PROCESS_REASON = 'after the leak verdict, in a new process of the service';

/** The probe; one instance per run. */
export class AttributionProbe implements RunProbe {
  readonly name = ATTRIBUTION_PROBE;
  private readonly byPid = new Map<number, ProcessAttribution>();
  private ran = false;
  private reason = 'no verdict was reached while the target served';
  private snapshotReason = '';
  private readonly phases: AttributionPhase[] = [];
  private phaseStart = 0;
  private pending: RunVerdict | undefined;

  constructor(private readonly options: AttributionProbeOptions) {}

  /** Makes sure sampling runs in every serving process (it normally started at preload). */
  async measureStart(ctx: ProbeContext): Promise<void> {
    this.snapshotReason =
      this.options.snapshots === 'never' ? 'turned off' : 'taken only once a leak is called';
    if (this.options.stage === 'verdict-only') return;
    await Promise.all(
      serving(ctx.agents).map(async (agent) => {
        const entry = this.entry(agent.pid);
        await agent
          .call('profiler.start', { samplingInterval: this.options.samplingInterval })
          .then((started) => {
            const since = (started as { since?: unknown } | null)?.since;
            if (typeof since === 'number' && Number.isFinite(since) && since >= 0)
              entry.samplingSince = since;
          })
          .catch((err: unknown) => entry.errors.push(`profiler.start: ${message(err)}`));
      }),
    );
  }

  /** For a leak (or always with `snapshots: 'always'`): profiles and snapshots under load. */
  async afterVerdict(ctx: VerdictContext): Promise<void> {
    const { verdict, perRequest, nextStep } = ctx.verdict;
    const always = this.options.snapshots === 'always';
    if (this.options.skipAfterVerdict !== undefined && !always) {
      this.reason = `not needed: ${this.options.skipAfterVerdict}`;
      this.snapshotReason = `not taken: ${this.options.skipAfterVerdict}`;
      return;
    }
    if (verdict !== 'leak' && !always) {
      this.reason = `not needed: the verdict is ${verdict}`;
      this.snapshotReason = 'not taken: no leak was called';
      return;
    }
    const stage = this.options.stage;
    if (stage === 'verdict-only') {
      // The caller attributes in a new process; this one stops serving at once.
      this.pending = ctx.verdict;
      this.reason = 'wanted: attribution runs in a new process of the service';
      return;
    }
    this.ran = true;
    this.phaseStart = performance.now();
    this.reason =
      verdict === 'leak' ? 'after the leak verdict' : `asked for (--snapshots; verdict ${verdict})`;
    if (stage === 'new-process')
      this.reason = verdict === 'leak' ? NEW_PROCESS_REASON : `${this.reason}, in a new process`;
    const agents = this.agentsOf(ctx);
    const rate = perRequest !== null && perRequest > 0 ? perRequest : this.options.threshold;
    const half = Math.max(
      MIN_HALF_REQUESTS,
      Math.ceil((TARGET_SAMPLES * this.options.samplingInterval) / rate),
    );
    const halfMs = (this.options.windowMs ?? 6000) / 2;
    const snapshots = this.options.snapshots !== 'never';
    if (snapshots) {
      fs.mkdirSync(this.options.snapshotDir, { recursive: true });
      this.snapshotReason = verdict === 'leak' ? 'taken after the leak verdict' : 'asked for (--snapshots)';
      if (stage === 'new-process') this.snapshotReason += ', in a new process';
    }
    // Snapshots at the start, middle and end (objects new in the first half and still alive at
    // the end); profiles at the middle and end, so what settles in the first half (a bounded
    // structure refilling, re-optimisation) is not counted, while a leak grows in both halves.
    // The first snapshot does not depend on how code is compiled, so it comes before the deopt.
    if (snapshots) await this.takeSnapshots(agents);
    this.phase('snapshot 1');
    if (stage === 'measured-process') {
      await Promise.all(
        agents.map((agent) =>
          agent
            .call('profiler.noInlining')
            .catch((err: unknown) =>
              this.entry(agent.pid).errors.push(`profiler.noInlining: ${message(err)}`),
            ),
        ),
      );
      this.phase('inlining off, deopt');
    }
    // Deoptimising everything (or a young process's own compiling) makes a burst of allocations
    // (code compiled, its bookkeeping): the first half lasts at least the re-optimisation's
    // requests or time (whichever comes first) to let it pass before the first profile; what it
    // leaves in the snapshots is V8's code, not a group that is reported.
    const halfStart = performance.now();
    await ctx.serve(half, halfMs);
    const spent = performance.now() - halfStart;
    if (half < REOPTIMISE.requests && spent < REOPTIMISE.ms)
      await ctx.serve(REOPTIMISE.requests - half, REOPTIMISE.ms - spent);
    this.phase(stage === 'measured-process' ? 'first half (re-optimise)' : 'first half');
    await this.takeProfiles(agents, 0);
    this.phase('profile 1');
    if (snapshots) await this.takeSnapshots(agents);
    this.phase('snapshot 2');
    // A store that grows in steps: the second half lasts until its next enlargement is due, so
    // the last snapshot holds the enlarged store (within NEXT_STEP_MS). In the measured process,
    // the staircase says when; in a new one the store is young, and V8 enlarges an array by half
    // its length, so one enlargement comes at the latest when the process's requests double.
    const servedAtProfile = agents.reduce(
      (sum, a) => sum + (this.entry(a.pid).profiles[0]?.requests ?? 0),
      0,
    );
    const toStep =
      nextStep === undefined ? 0 : stage === 'new-process' ? servedAtProfile : nextStep - ctx.served();
    const waitStep = toStep > half;
    await ctx.serve(waitStep ? toStep : half, waitStep ? Math.max(halfMs, NEXT_STEP_MS) : halfMs);
    this.phase(waitStep ? "second half (to the heap's next step)" : 'second half');
    await this.takeProfiles(agents, 1);
    this.phase('profile 2');
    if (snapshots) await this.takeSnapshots(agents);
    this.phase('snapshot 3');
  }

  /** Records the time since the previous step under `name`. */
  private phase(name: string): void {
    const now = performance.now();
    this.phases.push({ phase: name, ms: Math.round(now - this.phaseStart) });
    this.phaseStart = now;
  }

  /** The scripts' source maps (when attribution ran); stops sampling. */
  async measureEnd(ctx: ProbeContext): Promise<AttributionData> {
    if (this.options.stage === 'verdict-only') {
      return {
        samplingInterval: this.options.samplingInterval,
        ran: false,
        reason: this.reason,
        ...(this.pending ? { pending: this.pending } : {}),
        snapshotMode: this.options.snapshots,
        snapshotReason: this.snapshotReason,
        processes: [],
        phases: [],
      };
    }
    for (const agent of this.agentsOf(ctx)) {
      const entry = this.entry(agent.pid);
      if (this.ran) {
        try {
          const got = (await agent.call('profiler.scripts')) as { scripts?: ScriptInfo[] };
          entry.scripts = Array.isArray(got.scripts) ? got.scripts : [];
        } catch (err) {
          entry.errors.push(`profiler.scripts: ${message(err)}`);
        }
      }
      await agent
        .call('profiler.stop')
        .catch((err: unknown) => entry.errors.push(`profiler.stop: ${message(err)}`));
    }
    if (this.ran) this.phase('scripts, stop');
    return {
      samplingInterval: this.options.samplingInterval,
      ran: this.ran,
      reason: this.reason,
      snapshotMode: this.options.snapshots,
      snapshotReason: this.snapshotReason,
      processes: [...this.byPid.values()],
      phases: this.phases,
    };
  }

  private entry(pid: number): ProcessAttribution {
    let e = this.byPid.get(pid);
    if (!e) {
      e = { pid, profiles: [], snapshots: [], scripts: [], errors: [] };
      this.byPid.set(pid, e);
    }
    return e;
  }

  /** The live agents this probe started sampling in. */
  private agentsOf(ctx: ProbeContext): AgentConnection[] {
    return ctx.agents.filter((a) => this.byPid.has(a.pid));
  }

  private async takeProfiles(agents: AgentConnection[], index: number): Promise<void> {
    await Promise.all(agents.map((a) => this.takeProfile(a, this.entry(a.pid), index)));
  }

  private async takeProfile(agent: AgentConnection, entry: ProcessAttribution, index: number): Promise<void> {
    try {
      const got = (await agent.call('profiler.profile', { gc: true }, 60_000)) as {
        requests: number;
        profile: SamplingProfile;
      };
      entry.profiles.push({ requests: got.requests, sampleIndex: index, profile: got.profile });
    } catch (err) {
      entry.errors.push(`profiler.profile: ${message(err)}`);
    }
  }

  private async takeSnapshots(agents: AgentConnection[]): Promise<void> {
    // One process at a time: each write blocks its process and takes memory while it runs.
    for (const agent of agents) await this.takeSnapshot(agent, this.entry(agent.pid));
  }

  private async takeSnapshot(agent: AgentConnection, entry: ProcessAttribution): Promise<void> {
    const name = `${agent.pid}-${entry.snapshots.length + 1}.heapsnapshot`;
    try {
      const got = (await agent.call(
        'profiler.snapshot',
        { dir: this.options.snapshotDir, name },
        this.options.snapshotTimeoutMs ?? 120_000,
      )) as SnapshotPoint;
      const point: SnapshotPoint = { file: got.file, requests: got.requests, bytes: got.bytes };
      if (entry.snapshots.length < 2) {
        point.ids = snapshotIds(got.file);
        // A failed read is reported when the analysis awaits it, not as an unhandled rejection.
        point.ids.catch(() => undefined);
      }
      entry.snapshots.push(point);
    } catch (err) {
      entry.errors.push(`profiler.snapshot: ${message(err)}`);
    }
  }
}

/**
 * Agents of processes that serve HTTP (wrappers such as npm or tsx's launcher may listen on an
 * IPC socket but serve nothing); any listener, then every agent, when none reported one.
 */
function serving(agents: AgentConnection[]): AgentConnection[] {
  const http = agents.filter((a) => a.listens.some((l) => l.http));
  if (http.length > 0) return http;
  const listening = agents.filter((a) => a.listens.length > 0);
  return listening.length > 0 ? listening : agents;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
