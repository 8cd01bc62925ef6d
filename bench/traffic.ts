/**
 * Traffic benchmarks (`npx tsx bench/traffic.ts`, results in bench/results-traffic.md):
 *
 * 1. Import of a 1,000,000-line combined log in under 10 s, with memory that does not grow with
 *    the file's length: peak RSS importing 100k lines vs 1M lines (each import in its own process,
 *    so each peak is its own).
 * 2. Replay fidelity: the 1M-line log's model replayed for 30 s against a plain HTTP service; the
 *    endpoint shares sent must be within 1 percentage point of the log's.
 *
 * The logs are generated into /tmp by fixtures/traffic/generate.js (same traffic as the samples).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrafficDriver } from '../src/traffic/driver';
import { baselineFromModel, compareFidelity } from '../src/traffic/fidelity';
import { importTraffic } from '../src/traffic/import/import';
import { loadModel, saveModel } from '../src/traffic/model/model';
import { replaySource } from '../src/traffic/model/replay';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generate } = require('../fixtures/traffic/generate.js') as {
  generate: (
    format: 'combined',
    count: number,
    write: (text: string) => void,
    options?: { odd?: boolean },
  ) => void;
};

const ROOT = path.resolve(__dirname, '..');
// 2M is there to show where RSS settles: V8 lets more garbage pile up at a higher allocation
// volume, so RSS rises from 100k to 1M lines, then stays.
const SIZES = [100_000, 1_000_000, 2_000_000];
const REPLAY_SECONDS = 30;

interface ImportRun {
  lines: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Largest heap still in use after a forced GC, sampled during a second import (memory run). */
  liveHeapMiB: number;
  requests: number;
  endpoints: number;
  skipped: number;
}

/**
 * Child mode: import one file, report time and peak RSS on stdout. With `--live`, also force a GC
 * every 250 ms and report the largest heap still in use (what the import keeps, not its garbage).
 */
async function child(file: string, out: string, live: boolean): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  let liveHeap = 0;
  const timer =
    live && gc
      ? setInterval(() => {
          gc();
          liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
        }, 250)
      : null;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const model = await importTraffic(file);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (timer) clearInterval(timer);
  saveModel(model, out);
  const result = {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    liveHeapMiB: liveHeap / 1024 / 1024,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    requests: model.summary.requests,
    endpoints: model.endpoints.length,
    skipped: model.source.skipped.total,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function logFile(lines: number): string {
  const file = path.join(os.tmpdir(), `leakcheck-bench-combined-${lines}.log`);
  if (!fs.existsSync(file)) {
    const fd = fs.openSync(file, 'w');
    try {
      generate('combined', lines, (t) => fs.writeSync(fd, t), { odd: true });
    } finally {
      fs.closeSync(fd);
    }
  }
  return file;
}

function runChild(file: string, out: string, live = false): Promise<Omit<ImportRun, 'lines' | 'bytes'>> {
  return new Promise((resolve, reject) => {
    const flags = live ? ['--expose-gc', ...process.execArgv] : process.execArgv;
    const args = [...flags, __filename, '--child', file, out, ...(live ? ['--live'] : [])];
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`import child exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split('\n').at(-1) as string));
    });
  });
}

/** Starts clean-http (no agent: the benchmark measures the load generator's fidelity). */
function startService(): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['server.js'], {
      cwd: path.join(ROOT, 'fixtures', 'clean-http'),
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const timer = setTimeout(() => reject(new Error('clean-http did not listen within 15 s')), 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      const m = /listening on (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1]}`, stop: () => proc.kill('SIGTERM') });
      }
    });
    proc.on('exit', () => clearTimeout(timer));
  });
}

async function main(): Promise<void> {
  const imports: ImportRun[] = [];
  let model1m = '';
  for (const lines of SIZES) {
    const file = logFile(lines);
    const out = path.join(os.tmpdir(), `leakcheck-bench-${lines}.traffic.json`);
    const r = await runChild(file, out);
    const m = await runChild(file, out, true);
    imports.push({ lines, bytes: fs.statSync(file).size, ...r, liveHeapMiB: m.liveHeapMiB });
    process.stderr.write(
      `import ${lines} lines: ${r.seconds.toFixed(2)} s (${r.cpuSeconds.toFixed(2)} s CPU), peak RSS ${r.peakRssMiB.toFixed(0)} MiB, live heap ${m.liveHeapMiB.toFixed(1)} MiB\n`,
    );
    if (lines === 1_000_000) model1m = out;
  }

  const model = loadModel(model1m);
  const service = await startService();
  let fidelity;
  try {
    const driver = new TrafficDriver({
      url: service.url,
      source: replaySource(model, { seed: 1 }),
      connections: 10,
      maxSeconds: REPLAY_SECONDS,
    });
    fidelity = compareFidelity(baselineFromModel(model, 'model'), await driver.done);
  } finally {
    service.stop();
  }
  const [small, big, huge] = imports as [ImportRun, ImportRun, ImportRun];
  const target1 = big.seconds < 10;
  // The heap the import keeps must not grow with the file; RSS also holds garbage awaiting GC.
  const memFlat = big.liveHeapMiB < small.liveHeapMiB * 1.5 + 4 && huge.peakRssMiB < big.peakRssMiB * 1.15;
  const load = os.loadavg()[0] ?? 0;
  const target2 = fidelity.maxShareDifference <= 0.01;
  const pp = (x: number): string => (x * 100).toFixed(2);
  const md: string[] = [
    '# Traffic benchmarks',
    '',
    `Run with \`npx tsx bench/traffic.ts\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    `The machine is shared with other developers running load tests (load average ${load.toFixed(1)} on ${os.cpus().length} cores when this finished), so wall times vary between runs; CPU time is the steadier figure.`,
    '',
    '## Import of a combined log',
    '',
    "Each import runs in its own process (compiled by tsx). Peak RSS is that process's `maxRSS`, Node itself included; live heap is the largest `heapUsed` right after a forced GC, sampled every 250 ms in a second import of the same file: what the import actually keeps.",
    '',
    '| lines | file size | wall time | CPU time | lines/s (wall) | peak RSS | live heap | requests modelled | endpoints | skipped |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...imports.map(
      (r) =>
        `| ${r.lines.toLocaleString('en-US')} | ${(r.bytes / 1024 / 1024).toFixed(0)} MiB | ${r.seconds.toFixed(2)} s | ${r.cpuSeconds.toFixed(2)} s | ${Math.round(r.lines / r.seconds).toLocaleString('en-US')} | ${r.peakRssMiB.toFixed(0)} MiB | ${r.liveHeapMiB.toFixed(1)} MiB | ${r.requests.toLocaleString('en-US')} | ${r.endpoints} | ${r.skipped} |`,
    ),
    '',
    `- Target: 1,000,000 lines in under 10 s: **${target1 ? 'met' : 'NOT met'}** (${big.seconds.toFixed(2)} s wall, ${big.cpuSeconds.toFixed(2)} s CPU).`,
    `- Target: memory that does not grow with the file's length: **${memFlat ? 'met' : 'NOT met'}**. Live heap ${small.liveHeapMiB.toFixed(1)} MiB at 100k lines, ${big.liveHeapMiB.toFixed(1)} MiB at 1M, ${huge.liveHeapMiB.toFixed(1)} MiB at 2M. Peak RSS ${small.peakRssMiB.toFixed(0)} MiB at 100k, ${big.peakRssMiB.toFixed(0)} MiB at 1M, ${huge.peakRssMiB.toFixed(0)} MiB at 2M: it rises from 100k to 1M (V8 lets more garbage pile up between collections at a higher allocation volume) and then stays, while the file doubles again.`,
    '',
    `## Replay fidelity (${REPLAY_SECONDS} s)`,
    '',
    `The 1M-line model replayed (model mode, seed 1, 10 connections, unpaced) against fixtures/clean-http for ${REPLAY_SECONDS} s: ${fidelity.sent.toLocaleString('en-US')} requests sent, ${fidelity.received.toLocaleString('en-US')} responses.`,
    '',
    '| endpoint | log share | sent share | difference (points) |',
    '|---|---:|---:|---:|',
    ...fidelity.endpoints.map(
      (e) =>
        `| \`${e.endpoint}\` | ${pp(e.logShare)}% | ${pp(e.sentShare)}% | ${pp(Math.abs(e.logShare - e.sentShare))} |`,
    ),
    '',
    `| per ${fidelity.distinctUrls.window.toLocaleString('en-US')} requests | log | sent |`,
    '|---|---:|---:|',
    `| distinct URLs | ${fidelity.distinctUrls.log.toLocaleString('en-US')} | ${fidelity.distinctUrls.sent.toLocaleString('en-US')} |`,
    `| distinct identities (clients) | ${fidelity.distinctIdentities.log.toLocaleString('en-US')} | ${fidelity.distinctIdentities.sent.toLocaleString('en-US')} |`,
    '',
    `- Target: endpoint shares within 1 percentage point of the log's: **${target2 ? 'met' : 'NOT met'}** (largest difference ${pp(fidelity.maxShareDifference)} points).`,
    fidelity.warnings.length > 0 ? `- Warnings: ${fidelity.warnings.join(' ')}` : '- No fidelity warnings.',
    '',
  ];
  fs.writeFileSync(path.join(__dirname, 'results-traffic.md'), md.join('\n'));
  process.stdout.write(md.join('\n'));
  if (!target1 || !memFlat || !target2) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as string, process.argv[4] as string, process.argv[5] === '--live').catch(
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
