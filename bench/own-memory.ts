/**
 * leakcheck must not leak itself: its own post-GC heap over a long `run`, and over many
 * `detectLeak` calls in one process (the library API), written to bench/results-own-memory.md.
 *
 *   npm run build && npx tsx bench/own-memory.ts --phase run [--seconds 600] [--samples 300]
 *   npx tsx bench/own-memory.ts --phase detect [--runs 50]
 *
 * `run`: `checkForLeaks` (what `leakcheck run` calls) on fixtures/clean-http for a fixed measured
 * window, in this process; every 5 s a full GC and leakcheck's own heapUsed. The run keeps every
 * sample it takes (the report is built from them), so its heap grows by that on purpose: after the
 * run the samples are dropped and the heap measured again, which gives the bytes one kept sample
 * costs. The growth beyond the samples is the fitted growth minus samples per second × that.
 * Target: below 1 KB/s.
 *
 * `detect`: `detectLeak` `--runs` times in a row (a 200 B/call leak, made fresh for each call and
 * dropped after it, alternating with a clean function), a full GC and heapUsed after each call.
 * Target: no growth per call beyond noise (nothing is kept between calls).
 *
 * Each phase records its result in bench/results-own-memory.json and the Markdown is written from
 * every phase recorded, so the two can run in separate holds of the load lock
 * (`flock -x /work/load.lock`: the `run` phase starts a service and drives traffic).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { theilSen } from '../src/analysis';
import { loadConfig } from '../src/config/load';
import { detectLeak } from '../src/inprocess';
import { fullGc } from '../src/inprocess/gc';
import { checkForLeaks } from '../src/pipeline';
import { createClean, createLeak200 } from '../fixtures/unit/exact-leak.js';

const ROOT = path.resolve(__dirname, '..');
const JSON_FILE = path.join(__dirname, 'results-own-memory.json');
const OUT = path.join(__dirname, 'results-own-memory.md');
const SAMPLE_EVERY_MS = 5000;
const TARGET_BYTES_PER_SECOND = 1024;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const gc = fullGc();

/** leakcheck's own heap after a full GC (twice: finalisers of the first free more). */
function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

interface Fit {
  slope: number;
  low: number;
  high: number;
}

function fit(x: number[], y: number[]): Fit {
  const f = theilSen(x, y, 0.95);
  return { slope: f.slope, low: f.low, high: f.high };
}

interface RunPhase {
  when: string;
  load: string;
  seconds: number;
  wallSeconds: number;
  samplesKept: number;
  requests: number;
  verdict: string;
  points: Array<{ t: number; heap: number; samples: number }>;
  perSecond: Fit;
  bytesPerSample: number;
  beyondSamples: Fit;
}

interface DetectPhase {
  when: string;
  load: string;
  runs: number;
  verdicts: Record<string, number>;
  heaps: number[];
  perRun: Fit;
  growth: number;
}

interface Recorded {
  run?: RunPhase;
  detect?: DetectPhase;
}

const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

async function runPhase(seconds: number, samples: number): Promise<RunPhase> {
  const fixture = path.join(ROOT, 'fixtures', 'clean-http');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-own-memory-'));
  const { config, baseDir } = await loadConfig({
    cwd: fixture,
    overrides: {
      out: outDir,
      timeoutSeconds: seconds + 300,
      run: { warmupSeconds: 5, durationSeconds: seconds, samples },
    },
  });
  const points: RunPhase['points'] = [];
  let kept = 0;
  const start = performance.now();
  const sampler = setInterval(() => {
    points.push({ t: (performance.now() - start) / 1000, heap: heapAfterGc(), samples: kept });
  }, SAMPLE_EVERY_MS);
  let result = await checkForLeaks(config, {
    baseDir,
    onProgress: (p) => {
      kept = p.samples;
    },
  });
  clearInterval(sampler);
  const wallSeconds = (performance.now() - start) / 1000;
  const verdict = result.report.verdict;
  const requests = result.result.traffic.completed;
  const samplesKept = result.result.samples.length;
  // The measured window: from the first kept sample on (start-up and warm-up allocate once).
  const measured = points.filter((p) => p.samples > 0);
  const perSecond = fit(
    measured.map((p) => p.t),
    measured.map((p) => p.heap),
  );
  // What one kept sample costs: the heap with the run's result alive, then without its samples.
  const withSamples = heapAfterGc();
  result.result.samples.length = 0;
  const withoutSamples = heapAfterGc();
  const bytesPerSample = samplesKept > 0 ? (withSamples - withoutSamples) / samplesKept : 0;
  result = undefined as unknown as typeof result;
  const rate =
    measured.length > 1 ? samplesKept / ((measured.at(-1)?.t ?? 0) - (measured[0]?.t ?? 0) || 1) : 0;
  const samplesPerSecond = Math.min(rate, samples / seconds);
  const explained = samplesPerSecond * bytesPerSample;
  fs.rmSync(outDir, { recursive: true, force: true });
  return {
    when: new Date().toISOString(),
    load: load(),
    seconds,
    wallSeconds,
    samplesKept,
    requests,
    verdict,
    points,
    perSecond,
    bytesPerSample,
    beyondSamples: {
      slope: perSecond.slope - explained,
      low: perSecond.low - explained,
      high: perSecond.high - explained,
    },
  };
}

async function detectPhase(runs: number): Promise<DetectPhase> {
  const heaps: number[] = [heapAfterGc()];
  const verdicts: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const leaky = i % 2 === 0;
    let made: { fn: () => void } | undefined = leaky
      ? { fn: createLeak200().leak200 }
      : { fn: createClean().clean };
    const detection = await detectLeak(made.fn);
    const key = `${leaky ? 'leak200' : 'clean'}: ${detection.verdict}`;
    verdicts[key] = (verdicts[key] ?? 0) + 1;
    made = undefined;
    heaps.push(heapAfterGc());
    process.stderr.write(`detectLeak ${i + 1}/${runs}: ${key}, own heap ${(heaps.at(-1) ?? 0) / 1e6} MB\n`);
  }
  // From the second call on: the first compiles and caches what every later call reuses.
  const x = heaps.map((_, i) => i).slice(1);
  const perRun = fit(x, heaps.slice(1));
  return {
    when: new Date().toISOString(),
    load: load(),
    runs,
    verdicts,
    heaps,
    perRun,
    growth: (heaps.at(-1) ?? 0) - (heaps[1] ?? 0),
  };
}

const kb = (b: number): string => `${(b / 1024).toFixed(2)} KB`;

function render(r: Recorded): string {
  const lines = [
    "# leakcheck's own memory",
    '',
    'Generated by `npx tsx bench/own-memory.ts --phase run|detect` (each phase under `flock -x /work/load.lock`; ' +
      "the load average is the machine's, shared with other developers' builds and tests). " +
      `Node ${process.version}, ${os.cpus().length} CPUs. Heap = \`process.memoryUsage().heapUsed\` of the ` +
      'leakcheck process after two full GCs.',
    '',
  ];
  if (r.run) {
    const p = r.run;
    const beyond = p.beyondSamples;
    lines.push(
      `## A ${Math.round(p.seconds / 60)}-minute \`run\` (checkForLeaks on fixtures/clean-http, in process)`,
      '',
      `${p.when.slice(0, 16)}Z, load average ${p.load} at the end. Measured window ${p.seconds} s ` +
        `(${p.wallSeconds.toFixed(0)} s wall with start-up, warm-up and report), ${p.requests.toLocaleString('en')} requests, ` +
        `${p.samplesKept} samples kept, verdict ${p.verdict}; own heap read every ${SAMPLE_EVERY_MS / 1000} s ` +
        `(${p.points.length} readings, ${p.points.filter((q) => q.samples > 0).length} in the measured window).`,
      '',
      '| | Target | Measured |',
      '| --- | --- | --- |',
      `| Own heap growth over the measured window (Theil-Sen, 95% CI) | | ${kb(p.perSecond.slope)}/s [${kb(p.perSecond.low)}, ${kb(p.perSecond.high)}] |`,
      `| Bytes one kept sample costs (heap with the samples minus without, per sample) | documented | ${(p.bytesPerSample / 1024).toFixed(2)} KB |`,
      `| Growth beyond the samples kept | < 1 KB/s | **${kb(beyond.slope)}/s** [${kb(beyond.low)}, ${kb(beyond.high)}] |`,
      '',
      beyond.high < TARGET_BYTES_PER_SECOND
        ? '**Target met**: the upper end of the interval is below 1 KB/s.'
        : beyond.slope < TARGET_BYTES_PER_SECOND
          ? '**Target met on the estimate**, not on the upper end of its interval.'
          : '**Target not met.**',
      '',
      `Own heap (MB) at each reading: ${p.points.map((q) => (q.heap / 1e6).toFixed(1)).join(', ')}.`,
      '',
    );
  }
  if (r.detect) {
    const d = r.detect;
    lines.push(
      `## ${d.runs} \`detectLeak\` calls in one process (library API)`,
      '',
      `${d.when.slice(0, 16)}Z, load average ${d.load} at the end. Alternating a 200 B/call leak (made fresh ` +
        'for each call, dropped after it) and a clean function. Verdicts: ' +
        Object.entries(d.verdicts)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ') +
        '.',
      '',
      '| | Measured |',
      '| --- | --- |',
      `| Own heap after the first call | ${((d.heaps[1] ?? 0) / 1e6).toFixed(2)} MB |`,
      `| Own heap after the last call | ${((d.heaps.at(-1) ?? 0) / 1e6).toFixed(2)} MB |`,
      `| Growth per call, calls 2-${d.runs} (Theil-Sen, 95% CI) | **${kb(d.perRun.slope)}** [${kb(d.perRun.low)}, ${kb(d.perRun.high)}] |`,
      '',
      `Own heap (MB) after each call: ${d.heaps.map((h) => (h / 1e6).toFixed(2)).join(', ')}.`,
      '',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--phase');
  const phase = i >= 0 ? process.argv[i + 1] : undefined;
  if (phase !== 'run' && phase !== 'detect') throw new Error('--phase run|detect');
  const recorded: Recorded = fs.existsSync(JSON_FILE)
    ? (JSON.parse(fs.readFileSync(JSON_FILE, 'utf8')) as Recorded)
    : {};
  if (phase === 'run') recorded.run = await runPhase(arg('seconds', 600), arg('samples', 300));
  else recorded.detect = await detectPhase(arg('runs', 50));
  fs.writeFileSync(JSON_FILE, JSON.stringify(recorded, null, 1) + '\n');
  const md = render(recorded);
  fs.writeFileSync(OUT, md);
  process.stdout.write(md + `\nwrote ${OUT}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
