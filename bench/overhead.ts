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

/**
 * Samples per second of a default sequential run: `samples` over the minimum window (30 in 6 s,
 * one every 207 ms), read from the config schema's defaults.
 */
export function defaultSamplesPerSecond(): number {
  const cfg = configSchema.parse({ command: ['node', 'server.js'] });
  return (cfg.run.samples - 1) / cfg.run.minDurationSeconds;
}

if (require.main === module) {
  void (async () => {
    const only = process.env.ONLY?.split(',') ?? ['clean-http', 'clean-express', 'incident-auth'];
    const pairs = Number(process.env.PAIRS ?? 3);
    const sps = Number(process.env.SPS ?? defaultSamplesPerSecond());
    const loadBefore = os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
    const rows: string[] = [];
    const round = (xs: number[]): string => xs.map((v) => Math.round(v)).join(', ');
    if (process.env.DETECTION) {
      for (const f of only) {
        const r = await measureDetectionCost(path.join(__dirname, '..', 'fixtures', f), {
          pairs,
          seconds: 4,
          samplesPerSecond: sps,
          connections: 10,
          samplingInterval: 8192,
        });
        console.log(JSON.stringify(r));
        rows.push(`| ${r.fixture} | ${round(r.bareRps)} | ${round(r.agentRps)} | ${r.ratio.toFixed(2)} |`);
      }
    } else {
      for (const f of only) {
        for (const reuse of process.env.REUSE === 'both' ? [false, true] : [process.env.REUSE !== 'false']) {
          const r = await measureOverhead(path.join(__dirname, '..', 'fixtures', f), {
            pairs,
            seconds: 4,
            samplesPerSecond: sps,
            connections: 10,
            reuse,
          });
          console.log(JSON.stringify({ reuse, ...r }));
          rows.push(
            `| ${r.fixture} | ${round(r.offRps)} | ${round(r.onRps)} | ${r.sources.forced} / ${r.sources.natural} | ${r.ratio.toFixed(2)} |`,
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
    const command = `${process.env.DETECTION ? 'DETECTION=1 ' : ''}PAIRS=${pairs}${process.env.SPS ? ` SPS=${sps}` : ''} npx tsx bench/overhead.ts`;
    const head = process.env.DETECTION
      ? [
          `### Detection phase with attribution on, against no agent (\`${command}\`)`,
          '',
          `Fresh processes of each fixture, alternating: one without the agent, one as \`leakcheck run\` starts it with attribution on (sampling heap profiler from preload at 8192 B, inlining on) and sampled at ${sps.toFixed(2)} samples/s; each gets a 3 s warm-up and a 4 s measured window, ${pairs} pairs. Ratio = median of agent/bare over the pairs. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`,
          '',
          '| fixture | no agent req/s | agent + attribution req/s | ratio |',
          '|---|---|---|---|',
        ]
      : [
          `### Sampling on vs off, same process (\`${command}\`)`,
          '',
          `Load alternating between 4 s windows without samples and 4 s windows sampled at ${sps.toFixed(2)} samples/s (a default sequential run: 30 samples in the 6 s minimum window), ${pairs} pairs after a 3 s warm-up. Ratio = median of sampled/unsampled over adjacent pairs. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAfter}.`,
          '',
          '| fixture | unsampled req/s | sampled req/s | samples forced / natural GC | ratio |',
          '|---|---|---|---|---|',
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
