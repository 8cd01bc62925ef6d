/**
 * The agent's cost on the service's throughput: the same process, load alternating between
 * windows with no samples and windows sampled at the default spacing, as a ratio.
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ATTRIBUTION_ENV } from '../src/attribution/probe';
import { configSchema } from '../src/config/schema';
import type { AgentSample } from '../src/agent/protocol';
import { AgentChannel } from '../src/target/channel';
import { TargetProcess } from '../src/target/process';
import { waitForReady } from '../src/target/ready';

/** One fixture's on/off windows. */
export interface OverheadResult {
  fixture: string;
  samplesPerSecond: number;
  offRps: number[];
  onRps: number[];
  /** Median of on/off ratios of adjacent window pairs. */
  ratio: number;
  /**
   * The same from the target's CPU time per request (Linux /proc), median over pairs of
   * off/on: what throughput would be if the service had a core to itself. It moves far less than
   * throughput when other processes share the machine.
   */
  cpuRatio: number | null;
  /** Microseconds of the target's CPU per request, per window. */
  offCpuUs: Array<number | null>;
  onCpuUs: Array<number | null>;
  /** Samples by where their post-GC figure came from (forced GC, or a major GC V8 ran itself). */
  sources: { forced: number; natural: number; inResponse: number };
  /** Median pause of the forced GCs, in ms: a leaking service's heap grows, and so does each GC. */
  medianPauseMs: number;
}

/** How the sampled windows sample. */
export interface OverheadOptions {
  pairs: number;
  seconds: number;
  samplesPerSecond: number;
  connections: number;
  /**
   * Let the agent take V8's own major GCs as samples (REUSE=true; REUSE=both runs each way). Off by
   * default, as in runs: their figures carry floating garbage (bench/natural-gc.ts).
   */
  reuse?: boolean;
  /**
   * Node flags on the service's command line (TARGET_ARGS=), for controls: `--no-opt
   * --no-sparkplug` shows what a forced GC costs when there is no optimised code to lose.
   */
  nodeArgs?: string[];
  /**
   * Samples per burst (BURST=, default 1: evenly spaced). A burst takes its samples `burstGapMs`
   * apart and bursts start `burst / samplesPerSecond` seconds apart, so the number of forced GCs
   * per second is the same as evenly spaced: what changes is how often the optimised code is lost.
   */
  burst?: number;
  /** Time between the samples of one burst (BURST_GAP=, default 40 ms). */
  burstGapMs?: number;
  /**
   * AT=now: the agent forces each sample's GC from the command, as agents before 2026-11-30 did,
   * instead of at the start of the next response's `end()` (the default).
   */
  atOnce?: boolean;
}

async function window(url: string, seconds: number, connections: number): Promise<number> {
  return (await timedWindow(url, seconds, connections, null)).rps;
}

/** Seconds of CPU (user + system) a process has used, from /proc; null elsewhere. */
function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** One load window: requests per second, and the target's CPU microseconds per request. */
async function timedWindow(
  url: string,
  seconds: number,
  connections: number,
  pid: number | null,
): Promise<{ rps: number; cpuUs: number | null }> {
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: 'Bearer user-1' },
  });
  const cpu1 = cpuSeconds(pid);
  const cpuUs =
    cpu0 !== null && cpu1 !== null && r.requests.total > 0 ? ((cpu1 - cpu0) * 1e6) / r.requests.total : null;
  return { rps: r.requests.total / seconds, cpuUs };
}

function medianOf(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Measures throughput with sampling off and on, alternated `pairs` times. */
export async function measureOverhead(fixtureDir: string, options: OverheadOptions): Promise<OverheadResult> {
  const channel = await AgentChannel.open();
  const target = TargetProcess.launch({
    command: ['node', ...(options.nodeArgs ?? []), 'server.js'],
    cwd: fixtureDir,
    env: channel.env(),
    logFile: path.join('/tmp', `leakcheck-bench-${path.basename(fixtureDir)}.log`),
  });
  try {
    const url = (await waitForReady({ channel, timeoutMs: 15_000 })).url;
    await window(url, 3, options.connections); // warm-up, not counted
    const offRps: number[] = [];
    const onRps: number[] = [];
    const offCpuUs: Array<number | null> = [];
    const onCpuUs: Array<number | null> = [];
    const pid = channel.live()[0]?.pid ?? null;
    const sources = { forced: 0, natural: 0, inResponse: 0 };
    const pausesMs: number[] = [];
    for (let i = 0; i < options.pairs; i++) {
      const off = await timedWindow(url, options.seconds, options.connections, pid);
      offRps.push(off.rps);
      offCpuUs.push(off.cpuUs);
      let sampling = true;
      const loop = (async () => {
        const gap = 1000 / options.samplesPerSecond;
        const burst = Math.max(1, options.burst ?? 1);
        const inBurst = options.burstGapMs ?? 40;
        for (let n = 0; sampling && n < 100_000; n++) {
          const started = performance.now();
          const got = await Promise.all(
            channel.live().map((a) =>
              a.call('sample', {
                ...(options.reuse ? { reuse: true } : {}),
                ...(options.atOnce ? { at: 'now' } : {}),
              }),
            ),
          );
          for (const s of got as AgentSample[]) {
            sources[s.gcSource === 'natural' ? 'natural' : 'forced']++;
            if (s.gcAt === 'response') sources.inResponse++;
            if (s.gcSource !== 'natural') pausesMs.push(s.forcedGcMs);
          }
          // The last sample of a burst waits out the rest of the burst's period.
          const wait = (n + 1) % burst === 0 ? gap * burst - inBurst * (burst - 1) : inBurst;
          await new Promise((r) => setTimeout(r, Math.max(0, wait - (performance.now() - started))));
        }
      })();
      const on = await timedWindow(url, options.seconds, options.connections, pid);
      onRps.push(on.rps);
      onCpuUs.push(on.cpuUs);
      sampling = false;
      await loop;
    }
    const ratios = onRps.map((on, i) => on / (offRps[i] as number)).sort((a, b) => a - b);
    const cpuRatios = onCpuUs.flatMap((on, i) => {
      const off = offCpuUs[i];
      return on && off ? [off / on] : [];
    });
    return {
      fixture: path.basename(fixtureDir),
      samplesPerSecond: options.samplesPerSecond,
      offRps,
      onRps,
      ratio: ratios[Math.floor(ratios.length / 2)] as number,
      cpuRatio: medianOf(cpuRatios),
      offCpuUs,
      onCpuUs,
      sources,
      medianPauseMs: medianOf(pausesMs) ?? 0,
    };
  } finally {
    await target.stop(2000);
    await channel.close();
  }
}

/** The config schema's defaults, as a run without a config file gets them. */
const DEFAULTS = configSchema.parse({ command: ['node', 'server.js'] });

/**
 * Samples per second of a default sequential run: `samples` over the minimum window (18 in 6 s,
 * one every 353 ms), read from the config schema's defaults.
 */
export function defaultSamplesPerSecond(): number {
  return (DEFAULTS.run.samples - 1) / DEFAULTS.run.minDurationSeconds;
}

/** The default spacing in words, for the results' headings. */
export function defaultSpacingText(): string {
  return `a default sequential run: ${DEFAULTS.run.samples} samples in the ${DEFAULTS.run.minDurationSeconds} s minimum window`;
}

if (require.main === module) {
  void (async () => {
    const only = process.env.ONLY?.split(',') ?? ['clean-http', 'clean-express', 'incident-auth'];
    const pairs = Number(process.env.PAIRS ?? 3);
    const nodeArgs = process.env.TARGET_ARGS?.split(' ').filter(Boolean) ?? [];
    const sps = Number(process.env.SPS ?? defaultSamplesPerSecond());
    const interval = Number(process.env.INTERVAL ?? DEFAULTS.attribution.samplingInterval);
    const burst = Number(process.env.BURST ?? 1);
    const burstGapMs = Number(process.env.BURST_GAP ?? 40);
    const loadBefore = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const rows: string[] = [];
    const round = (xs: number[]): string => xs.map((v) => Math.round(v)).join(', ');
    const us = (xs: Array<number | null>): string =>
      xs.map((v) => (v === null ? '-' : v.toFixed(1))).join(', ');
    // Attribution as the config does it (ATTRIBUTION_IN overrides): in a new process after a leak
    // verdict (the default), the measured process runs no profiler; in the measured process, the
    // profiler samples from preload.
    const attributionIn = process.env.ATTRIBUTION_IN ?? DEFAULTS.attribution.runIn;
    const profiled = !process.env.NO_ATTRIBUTION && attributionIn === 'measured-process';
    if (process.env.DETECTION) {
      for (const f of only) {
        const r = await measureDetectionCost(path.join(__dirname, '..', 'fixtures', f), {
          pairs,
          seconds: 4,
          samplesPerSecond: sps,
          connections: 10,
          samplingInterval: profiled ? interval : 0,
        });
        console.log(JSON.stringify(r));
        rows.push(
          `| ${r.fixture} | ${round(r.bareRps)} | ${round(r.agentRps)} | ${r.ratio.toFixed(2)} | ${us(r.bareCpuUs)} | ${us(r.agentCpuUs)} | ${r.cpuRatio?.toFixed(2) ?? '-'} |`,
        );
      }
    } else {
      for (const f of only) {
        for (const reuse of process.env.REUSE === 'both' ? [false, true] : [process.env.REUSE === 'true']) {
          const r = await measureOverhead(path.join(__dirname, '..', 'fixtures', f), {
            pairs,
            seconds: 4,
            samplesPerSecond: sps,
            connections: 10,
            reuse,
            nodeArgs,
            burst,
            burstGapMs,
            atOnce: process.env.AT === 'now',
          });
          console.log(JSON.stringify({ reuse, ...r }));
          rows.push(
            `| ${r.fixture} | ${round(r.offRps)} | ${round(r.onRps)} | ${r.sources.forced} / ${r.sources.natural} | ${r.sources.inResponse} | ${r.medianPauseMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${us(r.offCpuUs)} | ${us(r.onCpuUs)} | ${r.cpuRatio?.toFixed(2) ?? '-'} |`,
          );
        }
      }
    }
    const out = process.env.OUT;
    if (!out) return;
    const loadAfter = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const command = `${process.env.TARGET_ARGS ? `TARGET_ARGS="${nodeArgs.join(' ')}" ` : ''}${process.env.DETECTION ? 'DETECTION=1 ' : ''}${process.env.NO_ATTRIBUTION ? 'NO_ATTRIBUTION=1 ' : ''}${process.env.ATTRIBUTION_IN ? `ATTRIBUTION_IN=${attributionIn} ` : ''}${process.env.INTERVAL ? `INTERVAL=${interval} ` : ''}${process.env.ONLY ? `ONLY=${process.env.ONLY} ` : ''}PAIRS=${pairs}${process.env.SPS ? ` SPS=${sps}` : ''}${process.env.REUSE ? ` REUSE=${process.env.REUSE}` : ''}${burst > 1 ? ` BURST=${burst} BURST_GAP=${burstGapMs}` : ''}${process.env.AT ? ` AT=${process.env.AT}` : ''} npx tsx bench/overhead.ts`;
    const head = process.env.DETECTION
      ? [
          `### Detection phase ${process.env.NO_ATTRIBUTION ? 'without attribution' : profiled ? 'with attribution in the measured process' : 'with attribution on (in a new process, the default)'}, against no agent (\`${command}\`)`,
          '',
          `Fresh processes of each fixture, alternating: one without the agent, one as \`leakcheck run\` starts it ${process.env.NO_ATTRIBUTION ? 'with attribution off (--no-attribution)' : profiled ? `with attribution in the measured process (sampling heap profiler from preload at ${interval} B, inlining on)` : 'with attribution on (the default: it runs in a new process after a leak verdict, so the measured process runs no profiler)'} and sampled at ${sps.toFixed(2)} samples/s; each gets a 3 s warm-up and a 4 s measured window, ${pairs} pairs. Ratio = median of agent/bare over the pairs; CPU ratio = the same from the service's CPU time per request (bare/agent). Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`,
          '',
          `| fixture | no agent req/s | agent${profiled ? ' + profiler' : ''} req/s | ratio | no agent CPU µs/request | agent CPU µs/request | CPU ratio |`,
          '|---|---|---|---|---|---|---|',
        ]
      : [
          `### Sampling on vs off, same process (\`${command}\`)`,
          '',
          `Load alternating between 4 s windows without samples and 4 s windows sampled at ${sps.toFixed(2)} samples/s${process.env.SPS ? '' : ` (${defaultSpacingText()})`}${process.env.AT === 'now' ? ', each GC forced from the sample command (AT=now)' : ", each GC at the start of the next response's end() (the default)"}${burst > 1 ? `, in bursts of ${burst} samples ${burstGapMs} ms apart every ${(burst / sps).toFixed(2)} s` : ''}, ${pairs} pairs after a 3 s warm-up${nodeArgs.length ? `, the service started as \`node ${nodeArgs.join(' ')} server.js\`` : ''}. Ratio = median of sampled/unsampled over adjacent pairs; CPU ratio = the same from the service's CPU time per request (unsampled/sampled), which other processes on the machine disturb far less than throughput. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`,
          '',
          '| fixture | unsampled req/s | sampled req/s | samples forced / natural GC | GC in a response | forced GC pause, median ms | ratio | unsampled CPU µs/request | sampled CPU µs/request | CPU ratio |',
          '|---|---|---|---|---|---|---|---|---|---|',
        ];
    fs.appendFileSync(out, [...head, ...rows, '', ''].join('\n'));
  })();
}

/** Detection-phase throughput with attribution on, against the same service without the agent. */
export interface DetectionCostResult {
  fixture: string;
  samplesPerSecond: number;
  /** Per window: a fresh process without the agent. */
  bareRps: number[];
  /** Per window: a fresh process with the agent, attribution's preload and sampling. */
  agentRps: number[];
  ratio: number;
  /** Microseconds of the target's CPU per request, per window, and the median bare/agent ratio. */
  bareCpuUs: Array<number | null>;
  agentCpuUs: Array<number | null>;
  cpuRatio: number | null;
}

/**
 * Alternates fresh processes of the fixture: one without the agent, one with it, attribution on
 * (the sampling heap profiler from preload, as `leakcheck run` starts it) and samples at the
 * given rate; each gets the same warm-up and a measured window.
 */
export async function measureDetectionCost(
  fixtureDir: string,
  options: {
    pairs: number;
    seconds: number;
    samplesPerSecond: number;
    connections: number;
    /** The sampling heap profiler's interval from preload; 0: attribution off (sampling alone). */
    samplingInterval: number;
  },
): Promise<DetectionCostResult> {
  const bareRps: number[] = [];
  const agentRps: number[] = [];
  const bareCpuUs: Array<number | null> = [];
  const agentCpuUs: Array<number | null> = [];
  for (let i = 0; i < options.pairs; i++) {
    for (const withAgent of [false, true]) {
      const channel = await AgentChannel.open();
      // One log per process: the port is read from it when there is no agent to report it.
      const log = path.join(
        '/tmp',
        `leakcheck-bench-detect-${process.pid}-${i}-${withAgent ? 'agent' : 'bare'}.log`,
      );
      fs.rmSync(log, { force: true });
      const target = TargetProcess.launch({
        command: ['node', 'server.js'],
        cwd: fixtureDir,
        env: withAgent
          ? {
              ...channel.env(),
              ...(options.samplingInterval > 0
                ? { [ATTRIBUTION_ENV]: String(options.samplingInterval) }
                : {}),
            }
          : {},
        logFile: log,
      });
      try {
        const url = withAgent
          ? (await waitForReady({ channel, timeoutMs: 15_000 })).url
          : await waitForLogPort(log);
        await window(url, 3, options.connections);
        let sampling = withAgent;
        const loop = (async () => {
          const gap = 1000 / options.samplesPerSecond;
          for (let n = 0; sampling && n < 100_000; n++) {
            const started = performance.now();
            await Promise.all(channel.live().map((a) => a.call('sample')));
            await new Promise((r) => setTimeout(r, Math.max(0, gap - (performance.now() - started))));
          }
        })();
        const w = await timedWindow(url, options.seconds, options.connections, target.pid ?? null);
        (withAgent ? agentRps : bareRps).push(w.rps);
        (withAgent ? agentCpuUs : bareCpuUs).push(w.cpuUs);
        sampling = false;
        await loop;
      } finally {
        await target.stop(2000);
        await channel.close();
        fs.rmSync(log, { force: true });
      }
    }
  }
  const ratios = agentRps.map((a, i) => a / (bareRps[i] as number)).sort((a, b) => a - b);
  const cpuRatios = agentCpuUs.flatMap((a, i) => {
    const b = bareCpuUs[i];
    return a && b ? [b / a] : [];
  });
  return {
    fixture: path.basename(fixtureDir),
    samplesPerSecond: options.samplesPerSecond,
    bareRps,
    agentRps,
    ratio: ratios[Math.floor(ratios.length / 2)] as number,
    bareCpuUs,
    agentCpuUs,
    cpuRatio: medianOf(cpuRatios),
  };
}

/** The URL a fixture prints ("listening on <port>") when no agent reports it. */
async function waitForLogPort(log: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = /listening on (\d+)/.exec(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
    if (m) return `http://127.0.0.1:${m[1]}`;
    if (Date.now() > deadline) throw new Error(`no "listening on" line in ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
