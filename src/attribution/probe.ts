/**
 * The attribution probe: rides along the measured window (see `RunProbe`), makes sure V8's sampling
 * heap profiler runs in every serving process when the window starts (the agent started it at
 * preload; see ATTRIBUTION_ENV for why), takes the live-object profile
 * at a quarter, half, three quarters and the end of the window, and writes three heap snapshots
 * at the half, three-quarter and end points when they are wanted.
 *
 * When are snapshots wanted? The verdict is only known after the run, when the processes are
 * gone, so the probe decides during it: with `snapshots: 'always'` (`--snapshots`) they are always
 * taken; with `'auto'` they are taken when, at the half-way point, the profiles of the first
 * half already show a site in the user's code growing faster than the threshold. That is the
 * same linear growth a leak verdict needs, seen early; the report keeps the snapshot findings
 * only if the verdict is a leak (or snapshots were asked for).
 */
import * as fs from 'node:fs';
import type { AgentConnection } from '../target/channel';
import type { ProbeContext, RunProbe } from '../sampling/run';
import { significantSites } from './growth';
import type { SamplingProfile } from './profile';
import type { ScriptInfo } from './sourcemap';

/** How the probe runs. */
export interface AttributionProbeOptions {
  /** Average bytes between samples of the sampling heap profiler. */
  samplingInterval: number;
  /** When to take heap snapshots (see the module comment). */
  snapshots: 'auto' | 'always' | 'never';
  /** Directory the agents write snapshots into (created when needed). */
  snapshotDir: string;
  /** Growth per request of one site above which 'auto' takes snapshots. */
  threshold: number;
  /** Fewest added live samples for a site to count as growing (noise floor). */
  minSamples: number;
  /** Bound on one snapshot write, in milliseconds (they block the target while written). */
  snapshotTimeoutMs?: number;
}

/** One live-object profile. */
export interface ProfilePoint {
  /** Requests the process had served when the profile was taken. */
  requests: number;
  /** Index of the measured sample it follows. */
  sampleIndex: number;
  profile: SamplingProfile;
}

/** One heap snapshot written by the agent. */
export interface SnapshotPoint {
  file: string;
  requests: number;
  bytes: number;
}

/** What the probe gathered in one process. */
export interface ProcessAttribution {
  pid: number;
  profiles: ProfilePoint[];
  snapshots: SnapshotPoint[];
  scripts: ScriptInfo[];
  /** Commands that failed, in words. */
  errors: string[];
}

/** What the probe returns (kept in `RunResult.probes.attribution`). */
export interface AttributionData {
  samplingInterval: number;
  snapshotMode: 'auto' | 'always' | 'never';
  /** Why snapshots were or were not taken. */
  snapshotReason: string;
  processes: ProcessAttribution[];
}

/**
 * Environment variable that tells the agent, at preload, that attribution will run and at which
 * sampling interval: it starts sampling there and then (so objects allocated during the warm-up
 * are tracked too) and turns TurboFan inlining off (so allocations are blamed on the function
 * that makes them).
 */
export const ATTRIBUTION_ENV = 'LEAKCHECK_AGENT_ATTRIBUTION';

/** Name under which the run loop keeps this probe's result. */
export const ATTRIBUTION_PROBE = 'attribution';

/** The probe; one instance per run. */
export class AttributionProbe implements RunProbe {
  readonly name = ATTRIBUTION_PROBE;
  private readonly byPid = new Map<number, ProcessAttribution>();
  private profileAt = new Set<number>();
  private snapshotAt: number[] = [];
  private snapshotting = false;
  private snapshotReason = '';
  private last = -1;

  constructor(private readonly options: AttributionProbeOptions) {}

  /** Starts sampling in every serving process; plans the profile and snapshot points. */
  async measureStart(ctx: ProbeContext): Promise<void> {
    const last = ctx.samples - 1;
    this.last = last;
    this.profileAt = new Set([Math.round(last / 4), Math.round(last / 2), Math.round((3 * last) / 4), last]);
    this.profileAt.delete(0);
    this.snapshotAt = [Math.round(last / 2), Math.round((3 * last) / 4), last];
    this.snapshotting = this.options.snapshots === 'always';
    this.snapshotReason =
      this.options.snapshots === 'always'
        ? 'asked for (--snapshots)'
        : this.options.snapshots === 'never'
          ? 'turned off'
          : 'no site grew above the threshold by the middle of the window';
    await Promise.all(
      serving(ctx.agents).map(async (agent) => {
        const entry = this.entry(agent.pid);
        await agent
          .call('profiler.start', { samplingInterval: this.options.samplingInterval })
          .catch((err: unknown) => entry.errors.push(`profiler.start: ${message(err)}`));
      }),
    );
  }

  /** Takes the planned profiles and snapshots. */
  async afterSample(ctx: ProbeContext): Promise<void> {
    const i = ctx.sampleIndex;
    if (this.profileAt.has(i)) await this.takeProfiles(ctx, i);
    if (this.options.snapshots === 'auto' && !this.snapshotting && i === this.snapshotAt[0]) {
      this.snapshotting = this.growthSeen();
      if (this.snapshotting)
        this.snapshotReason = 'a site grew above the threshold by the middle of the window';
    }
    if (this.snapshotting && this.snapshotAt.includes(i)) await this.takeSnapshots(ctx);
  }

  /** Final profile and snapshot if the window ended early, the scripts' source maps, stop. */
  async measureEnd(ctx: ProbeContext): Promise<AttributionData> {
    const agents = this.agentsOf(ctx);
    for (const agent of agents) {
      const entry = this.entry(agent.pid);
      const lastTaken = entry.profiles.at(-1)?.sampleIndex;
      if (lastTaken !== this.last) await this.takeProfile(agent, entry, this.last);
      if (this.snapshotting && entry.snapshots.length > 0 && entry.snapshots.length < 3)
        await this.takeSnapshot(agent, entry);
      try {
        const got = (await agent.call('profiler.scripts')) as { scripts?: ScriptInfo[] };
        entry.scripts = Array.isArray(got.scripts) ? got.scripts : [];
      } catch (err) {
        entry.errors.push(`profiler.scripts: ${message(err)}`);
      }
      await agent
        .call('profiler.stop')
        .catch((err: unknown) => entry.errors.push(`profiler.stop: ${message(err)}`));
    }
    return {
      samplingInterval: this.options.samplingInterval,
      snapshotMode: this.options.snapshots,
      snapshotReason: this.snapshotReason,
      processes: [...this.byPid.values()],
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

  private async takeProfiles(ctx: ProbeContext, index: number): Promise<void> {
    await Promise.all(this.agentsOf(ctx).map((a) => this.takeProfile(a, this.entry(a.pid), index)));
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

  private async takeSnapshots(ctx: ProbeContext): Promise<void> {
    fs.mkdirSync(this.options.snapshotDir, { recursive: true });
    // One process at a time: each write blocks its process and takes memory while it runs.
    for (const agent of this.agentsOf(ctx)) await this.takeSnapshot(agent, this.entry(agent.pid));
  }

  private async takeSnapshot(agent: AgentConnection, entry: ProcessAttribution): Promise<void> {
    const name = `${agent.pid}-${entry.snapshots.length + 1}.heapsnapshot`;
    try {
      const got = (await agent.call(
        'profiler.snapshot',
        { dir: this.options.snapshotDir, name },
        this.options.snapshotTimeoutMs ?? 120_000,
      )) as SnapshotPoint;
      entry.snapshots.push({ file: got.file, requests: got.requests, bytes: got.bytes });
    } catch (err) {
      entry.errors.push(`profiler.snapshot: ${message(err)}`);
    }
  }

  /** Whether any process's first two profiles show a user site growing above the threshold. */
  private growthSeen(): boolean {
    for (const entry of this.byPid.values()) {
      const [a, b] = entry.profiles;
      if (!a || !b || b.requests <= a.requests) continue;
      const sites = significantSites(a.profile, b.profile, b.requests - a.requests, {
        threshold: this.options.threshold,
        minSamples: this.options.minSamples,
      });
      if (sites.length > 0) return true;
    }
    return false;
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
