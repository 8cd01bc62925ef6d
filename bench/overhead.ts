/**
 * The agent's cost on the service's throughput: the same process, load alternating between
 * windows with no samples and windows sampled at the default spacing, as a ratio.
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ATTRIBUTION_ENV } from '../src/attribution/probe';
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
  /** Samples by where their post-GC figure came from (forced GC, or a major GC V8 ran itself). */
  sources: { forced: number; natural: number };
}

/** How the sampled windows sample. */
export interface OverheadOptions {
  pairs: number;
  seconds: number;
  samplesPerSecond: number;
  connections: number;
  /** Let the agent reuse V8's own major GCs (the default); false forces one for every sample. */
  reuse?: boolean;
}

async function window(url: string, seconds: number, connections: number): Promise<number> {
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    headers: { authorization: 'Bearer user-1' },
  });
  return r.requests.total / seconds;
}

/** Measures throughput with sampling off and on, alternated `pairs` times. */
export async function measureOverhead(fixtureDir: string, options: OverheadOptions): Promise<OverheadResult> {
  const channel = await AgentChannel.open();
  const target = TargetProcess.launch({
    command: ['node', 'server.js'],
    cwd: fixtureDir,
    env: channel.env(),
    logFile: path.join('/tmp', `leakcheck-bench-${path.basename(fixtureDir)}.log`),
  });
  try {
    const url = await waitForReady({ channel, timeoutMs: 15_000 });
    await window(url, 3, options.connections); // warm-up, not counted
    const offRps: number[] = [];
    const onRps: number[] = [];
    const sources = { forced: 0, natural: 0 };
    for (let i = 0; i < options.pairs; i++) {
      offRps.push(await window(url, options.seconds, options.connections));
      let sampling = true;
      const loop = (async () => {
        const gap = 1000 / options.samplesPerSecond;
        for (let n = 0; sampling && n < 100_000; n++) {
          const started = performance.now();
          const got = await Promise.all(
            channel.live().map((a) => a.call('sample', options.reuse === false ? { reuse: false } : {})),
          );
          for (const s of got as AgentSample[]) sources[s.gcSource === 'natural' ? 'natural' : 'forced']++;
          await new Promise((r) => setTimeout(r, Math.max(0, gap - (performance.now() - started))));
        }
      })();
      onRps.push(await window(url, options.seconds, options.connections));
      sampling = false;
      await loop;
    }
    const ratios = onRps.map((on, i) => on / (offRps[i] as number)).sort((a, b) => a - b);
    return {
      fixture: path.basename(fixtureDir),
      samplesPerSecond: options.samplesPerSecond,
      offRps,
      onRps,
      ratio: ratios[Math.floor(ratios.length / 2)] as number,
      sources,
    };
  } finally {
    await target.stop(2000);
    await channel.close();
  }
}

if (require.main === module) {
  void (async () => {
    const only = process.env.ONLY?.split(',') ?? ['clean-http', 'clean-express', 'incident-auth'];
    if (process.env.DETECTION) {
      for (const f of only) {
        const r = await measureDetectionCost(path.join(__dirname, '..', 'fixtures', f), {
          pairs: Number(process.env.PAIRS ?? 3),
          seconds: 4,
          samplesPerSecond: Number(process.env.SPS ?? 3),
          connections: 10,
          samplingInterval: 8192,
        });
        console.log(JSON.stringify(r));
      }
      return;
    }
    for (const f of only) {
      for (const reuse of process.env.REUSE === 'both' ? [false, true] : [process.env.REUSE !== 'false']) {
        const r = await measureOverhead(path.join(__dirname, '..', 'fixtures', f), {
          pairs: Number(process.env.PAIRS ?? 3),
          seconds: 4,
          samplesPerSecond: Number(process.env.SPS ?? 3),
          connections: 10,
          reuse,
        });
        console.log(JSON.stringify({ reuse, ...r }));
      }
    }
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
    samplingInterval: number;
  },
): Promise<DetectionCostResult> {
  const bareRps: number[] = [];
  const agentRps: number[] = [];
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
        env: withAgent ? { ...channel.env(), [ATTRIBUTION_ENV]: String(options.samplingInterval) } : {},
        logFile: log,
      });
      try {
        const url = withAgent
          ? await waitForReady({ channel, timeoutMs: 15_000 })
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
        (withAgent ? agentRps : bareRps).push(await window(url, options.seconds, options.connections));
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
  return {
    fixture: path.basename(fixtureDir),
    samplesPerSecond: options.samplesPerSecond,
    bareRps,
    agentRps,
    ratio: ratios[Math.floor(ratios.length / 2)] as number,
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
