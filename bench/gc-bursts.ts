/**
 * What post-GC samples taken in bursts show, against evenly spaced ones (research for the
 * agent's cost: bench/overhead.ts's BURST= shows what bursts cost). One fresh process per
 * fixture and pattern, the agent preloaded, 3 s of load to warm up, then `SECONDS` (24) of load
 * while sampling: evenly every 207 ms (the default spacing until session 14), or bursts of 5 and of 10
 * samples 40/30 ms apart every 2 s. The first 3 s of the window are dropped. For each series:
 * the residual standard deviation around a least-squares line (the noise a slope is read
 * through), and for bursts the level of each position in a burst against the burst's first
 * sample, and the noise of the later samples alone.
 *
 * Usage: npx tsx bench/gc-bursts.ts [fixture ...]   (OUT=file appends the Markdown table)
 */
import autocannon from 'autocannon';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AgentSample } from '../src/agent/protocol';
import { ss } from '../src/analysis/simple-statistics';
import { dataHeap } from '../src/sampling/evidence';
import type { Sample } from '../src/sampling/samples';
import { AgentChannel } from '../src/target/channel';
import { TargetProcess } from '../src/target/process';
import { waitForReady } from '../src/target/ready';

/** One way of spacing the samples. */
interface Pattern {
  name: string;
  burst: number;
  gapMs: number;
  periodMs: number;
}

const PATTERNS: Pattern[] = [
  { name: 'evenly, 207 ms', burst: 1, gapMs: 0, periodMs: 207 },
  { name: 'bursts of 5, 40 ms apart, every 2 s', burst: 5, gapMs: 40, periodMs: 2000 },
  { name: 'bursts of 10, 30 ms apart, every 2 s', burst: 10, gapMs: 30, periodMs: 2000 },
];

interface Row {
  t: number;
  requests: number;
  y: number;
  burst: number;
}

async function series(fixture: string, p: Pattern, seconds: number): Promise<{ rows: Row[]; rps: number }> {
  const channel = await AgentChannel.open();
  const log = path.join(os.tmpdir(), `leakcheck-bench-bursts-${process.pid}.log`);
  const target = TargetProcess.launch({
    command: ['node', 'server.js'],
    cwd: path.join(__dirname, '..', 'fixtures', fixture),
    env: { ...channel.env() },
    logFile: log,
  });
  try {
    const url = (await waitForReady({ channel, timeoutMs: 15_000 })).url;
    await autocannon({ url, connections: 10, duration: 3 });
    const rows: Row[] = [];
    let on = true;
    const t0 = performance.now();
    const loop = (async () => {
      for (let b = 0; on && b < 10_000; b++) {
        const start = performance.now();
        for (let k = 0; k < p.burst; k++) {
          const s0 = performance.now();
          const got = (await Promise.all(channel.live().map((a) => a.call('sample')))) as AgentSample[];
          const s = got[0] as unknown as Sample;
          rows.push({ t: performance.now() - t0, requests: s.requests, y: dataHeap(s), burst: b });
          if (k < p.burst - 1)
            await new Promise((r) => setTimeout(r, Math.max(0, p.gapMs - (performance.now() - s0))));
        }
        await new Promise((r) => setTimeout(r, Math.max(0, p.periodMs - (performance.now() - start))));
      }
    })();
    const r = await autocannon({ url, connections: 10, duration: seconds });
    on = false;
    await loop;
    return { rows: rows.filter((row) => row.t > 3000), rps: r.requests.average };
  } finally {
    await target.stop(2000);
    await channel.close();
    fs.rmSync(log, { force: true });
  }
}

/** Residuals of y around its least-squares line against x (simple-statistics' fit). */
function residuals(x: number[], y: number[]): number[] {
  const { m, b } = ss.linearRegression(x.map((v, i) => [v, y[i] as number]));
  return y.map((v, i) => v - (b + m * (x[i] as number)));
}

const sd = (v: number[]): number => {
  const m = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length));
};
const kib = (v: number): string => `${(v / 1024).toFixed(0)}`;

async function main(): Promise<void> {
  const fixtures = process.argv.slice(2).length
    ? process.argv.slice(2)
    : ['clean-http', 'clean-express', 'shop-clean', 'lru-cache'];
  const seconds = Number(process.env.SECONDS ?? 24);
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const before = load();
  const lines: string[] = [];
  for (const fixture of fixtures) {
    for (const p of PATTERNS) {
      const { rows, rps } = await series(fixture, p, seconds);
      const all = residuals(
        rows.map((r) => r.requests),
        rows.map((r) => r.y),
      );
      let firstDrop = '-';
      let later = '-';
      if (p.burst > 1) {
        const bursts = new Map<number, Row[]>();
        for (const r of rows) bursts.set(r.burst, [...(bursts.get(r.burst) ?? []), r]);
        const drops = [...bursts.values()]
          .filter((b) => b.length > 1)
          .map((b) => (b[0] as Row).y - (b[1] as Row).y);
        firstDrop = `${kib(drops.reduce((a, b) => a + b, 0) / Math.max(1, drops.length))} ± ${kib(sd(drops))}`;
        const rest = [...bursts.values()].flatMap((b) => b.slice(1));
        later = kib(
          sd(
            residuals(
              rest.map((r) => r.requests),
              rest.map((r) => r.y),
            ),
          ),
        );
      }
      const line = `| ${fixture} | ${p.name} | ${Math.round(rps)} | ${rows.length} | ${kib(sd(all))} | ${firstDrop} | ${later} |`;
      console.log(line);
      lines.push(line);
    }
  }
  const out = process.env.OUT;
  if (!out) return;
  fs.appendFileSync(
    out,
    [
      `### Post-GC series sampled in bursts (\`npx tsx bench/gc-bursts.ts ${fixtures.join(' ')}\`)`,
      '',
      `One fresh process per row, ${seconds} s of load after a 3 s warm-up, the first 3 s of the window dropped. Residual SD: around a least-squares line over requests (KiB). First sample above the second: how much more the first full GC of a burst left than the one 30-40 ms later (KiB, mean ± SD over bursts). Later samples' SD: the residual SD of a burst's samples after its first. Load average (1, 5, 15 min) before: ${before}; after: ${load()}.`,
      '',
      "| fixture | sampling | req/s | samples | residual SD | first sample above the second | later samples' residual SD |",
      '|---|---|---|---|---|---|---|',
      ...lines,
      '',
      '',
    ].join('\n'),
  );
}
void main();
