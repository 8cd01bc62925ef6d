/**
 * The agent's cost on the service's throughput: the same process, load alternating between
 * windows with no samples and windows sampled at the default spacing, as a ratio.
 */
import autocannon from 'autocannon';
import * as path from 'node:path';
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
