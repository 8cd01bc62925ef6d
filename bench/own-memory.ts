/**
 * leakcheck must not leak itself: its own post-GC heap over a long `run`, and over many
 * `detectLeak` calls in one process (the library API), written to bench/results-own-memory.md.
 *
 *   npm run build && npx tsx bench/own-memory.ts --phase run [--seconds 600] [--samples 300]
 *   npx tsx bench/own-memory.ts --phase detect [--runs 200]
 *   node --no-opt --no-sparkplug --import tsx bench/own-memory.ts --phase detect [--runs 50]
 *   npx tsx bench/own-memory.ts --phase render   (the Markdown again from the recorded JSON)
 *   npx tsx bench/own-memory.ts --phase detect --snapshots <dir>   (heap snapshots at calls 10 and
 *     50, compared with bench/heap-diff.ts; the results are not recorded)
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
 * Target: no growth per call beyond noise (nothing is kept between calls). The heap also holds what
 * V8 compiles: optimised code (code space) with its deoptimisation data, relocation info and
 * source positions (old space), re-made after the deoptimisations forced GCs cause and growing as
 * more of leakcheck's functions get optimised. A heap snapshot diff between calls 10 and 50 found
 * nothing else new but this harness's own log strings. So the phase fits calls 2-50 and the last
 * half of a longer run (does the compiled code level off?), and, run with the optimising
 * compilers off (`node --no-opt --no-sparkplug`, recorded as `detectNoJit`), it measures the
 * retained data alone.
 *
 * Each phase records its result in bench/results-own-memory.json and the Markdown is written from
 * every phase recorded, so the two can run in separate holds of the load lock
 * (`flock -x /work/load.lock`: the `run` phase starts a service and drives traffic).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
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
  /** False when run with the optimising compilers off (--no-opt --no-sparkplug). */
  jit: boolean;
  verdicts: Record<string, number>;
  heaps: number[];
  /** Code space used after each call (compiled machine code). */
  code?: number[];
  /** Fit over calls 2-50 (or 2-runs when fewer). */
  perRun: Fit;
  /** Fit over the second half of the calls (when more than 50). */
  lastHalf?: Fit;
  growth: number;
}

interface Recorded {
  run?: RunPhase;
  detect?: DetectPhase;
  detectNoJit?: DetectPhase;
}

/** Whether this process runs with V8's optimising compilers on. */
const JIT = !process.execArgv.includes('--no-opt');

function codeSpaceUsed(): number {
  return v8
    .getHeapSpaceStatistics()
    .filter((s) => s.space_name.startsWith('code_'))
    .reduce((sum, s) => sum + s.space_used_size, 0);
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

async function detectPhase(runs: number, snapshots?: string): Promise<DetectPhase> {
  const heaps: number[] = [heapAfterGc()];
  const code: number[] = [codeSpaceUsed()];
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
    code.push(codeSpaceUsed());
    if (snapshots && (i + 1 === 10 || i + 1 === 50))
      v8.writeHeapSnapshot(path.join(snapshots, `call-${i + 1}.heapsnapshot`));
    process.stderr.write(`detectLeak ${i + 1}/${runs}: ${key}, own heap ${(heaps.at(-1) ?? 0) / 1e6} MB\n`);
  }
  // From the second call on: the first compiles and caches what every later call reuses.
  const x = heaps.map((_, i) => i);
  const upTo = Math.min(runs, 50);
  const perRun = fit(x.slice(1, upTo + 1), heaps.slice(1, upTo + 1));
  const half = Math.floor(runs / 2);
  const lastHalf = runs > 50 ? fit(x.slice(half), heaps.slice(half)) : undefined;
  return {
    when: new Date().toISOString(),
    load: load(),
    runs,
    jit: JIT,
    verdicts,
    heaps,
    code,
    perRun,
    lastHalf,
    growth: (heaps[upTo] ?? 0) - (heaps[1] ?? 0),
  };
}

const kb = (b: number): string => `${(b / 1024).toFixed(2)} KB`;

/** The Theil-Sen fit of `heaps` over calls `from` to `to`, as "slope [low, high]". */
function fitText(heaps: number[], from: number, to: number): string {
  const x = heaps.map((_, i) => i).slice(from, to + 1);
  const f = fit(x, heaps.slice(from, to + 1));
  return `${kb(f.slope)} [${kb(f.low)}, ${kb(f.high)}]`;
}

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
  for (const d of [r.detect, r.detectNoJit]) {
    if (!d) continue;
    const upTo = Math.min(d.runs, 50);
    const half = Math.floor(d.runs / 2);
    const codeGrowth = d.code ? (d.code[upTo] ?? 0) - (d.code[1] ?? 0) : null;
    lines.push(
      `## ${d.runs} \`detectLeak\` calls in one process (library API)${d.jit === false ? ', optimising compilers off' : ''}`,
      '',
      `${d.when.slice(0, 16)}Z, load average ${d.load} at the end.` +
        (d.jit === false
          ? ' Run as `node --no-opt --no-sparkplug --import tsx bench/own-memory.ts --phase detect`: V8 interprets ' +
            'everything, so no optimised code and no deoptimisation data is made, and what the heap keeps is data.'
          : '') +
        ' Alternating a 200 B/call leak (made fresh ' +
        'for each call, dropped after it) and a clean function. Verdicts: ' +
        Object.entries(d.verdicts)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ') +
        '.',
      '',
      '| | Measured |',
      '| --- | --- |',
      `| Own heap after the first call | ${((d.heaps[1] ?? 0) / 1e6).toFixed(2)} MB |`,
      `| Own heap after call ${upTo} | ${((d.heaps[upTo] ?? 0) / 1e6).toFixed(2)} MB |`,
      `| Growth per call, calls 2-${upTo} (Theil-Sen, 95% CI) | **${kb(d.perRun.slope)}** [${kb(d.perRun.low)}, ${kb(d.perRun.high)}] |`,
      `| Growth per call, calls 25-${upTo}, after the first calls compiled what they use (Theil-Sen, 95% CI) | ${fitText(
        d.heaps,
        25,
        upTo,
      )} |`,
      ...(codeGrowth !== null
        ? [
            `| of which code space (machine code), call 1 to call ${upTo}, per call | ${kb(codeGrowth / (upTo - 1))} per call |`,
          ]
        : []),
      ...(d.lastHalf
        ? [
            `| Growth per call, calls ${half}-${d.runs} (Theil-Sen, 95% CI) | **${kb(d.lastHalf.slope)}** [${kb(d.lastHalf.low)}, ${kb(d.lastHalf.high)}] |`,
          ]
        : []),
      '',
      ...(d.jit === false
        ? []
        : [
            'What grows with the optimising compilers on: a heap snapshot diff between calls 10 and 50 (2026-11-30, ' +
              'the same alternation, written with `v8.writeHeapSnapshot` in one process) found, among the objects new ' +
              'since call 10 and still alive, V8 machine code and its metadata (code objects, deoptimisation data, ' +
              "relocation info, source position tables) held by leakcheck's own functions (linearRegression, " +
              "checkSeries, isUserUrl, binarySearch, ...) as their current optimised code, and the measuring script's own " +
              'log strings; no data of leakcheck (no samples, profiles, arrays or closures of earlier calls). Each ' +
              'forced GC deoptimises code that embeds weak references, and the next calls optimise it again, so a ' +
              'function has one current version at a time; the total grows while more functions get optimised.',
            '',
          ]),
      `Own heap (MB) after each call: ${d.heaps.map((h) => (h / 1e6).toFixed(2)).join(', ')}.`,
      '',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--phase');
  const phase = i >= 0 ? process.argv[i + 1] : undefined;
  if (phase !== 'run' && phase !== 'detect' && phase !== 'render')
    throw new Error('--phase run|detect|render');
  const recorded: Recorded = fs.existsSync(JSON_FILE)
    ? (JSON.parse(fs.readFileSync(JSON_FILE, 'utf8')) as Recorded)
    : {};
  const s = process.argv.indexOf('--snapshots');
  if (phase === 'detect' && s >= 0) {
    const dir = path.resolve(process.argv[s + 1] ?? 'snapshots');
    fs.mkdirSync(dir, { recursive: true });
    await detectPhase(arg('runs', 50), dir);
    process.stdout.write(
      `snapshots in ${dir}: npx tsx bench/heap-diff.ts ${dir}/call-10.heapsnapshot ${dir}/call-50.heapsnapshot\n`,
    );
    return;
  }
  if (phase === 'run') recorded.run = await runPhase(arg('seconds', 600), arg('samples', 300));
  else if (phase === 'render') {
    // The Markdown again from what is recorded (no measurement).
  } else if (JIT) recorded.detect = await detectPhase(arg('runs', 200));
  else recorded.detectNoJit = await detectPhase(arg('runs', 50));
  fs.writeFileSync(JSON_FILE, JSON.stringify(recorded, null, 1) + '\n');
  const md = render(recorded);
  fs.writeFileSync(OUT, md);
  process.stdout.write(md + `\nwrote ${OUT}\n`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
