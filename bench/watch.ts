/**
 * `leakcheck watch` analysis speed: 10,000 series of 1,000 points each (a fleet over 6 h at a
 * ~22 s step), made in process, analysed per hour exactly as `watch` does (analyseInstance →
 * analyseMetric). Target: under 10 s. Writes bench/results-watch.md.
 *
 *   npm run build && npx tsx bench/watch.ts [--series 10000] [--points 1000]
 *
 * Reports wall and CPU time (the machine is shared: CPU time is the steadier figure), verdict
 * counts as a sanity check, and a breakdown of one analysis into its fits on a subset.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mannKendall, olsFit, plateauFit, theilSen } from '../src/analysis';
import { xorshift32 } from '../src/random';
import { analyseInstance, defaultWatchOptions, type InstanceAnalysis } from '../src/watch';

// Worker threads load built files: the parallel pass runs dist/ (npm run build first).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const built = require(path.join(__dirname, '..', 'dist', 'watch')) as typeof import('../src/watch');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const SERIES = flag('series', 10_000);
const POINTS = flag('points', 1_000);
const STEP = 21.6; // 6 h / 1,000 points

/** Xorshift32 uniform in [0, 1) and a Box-Muller normal, seeded: the same fleet every run. */
function random(seed: number): { uniform: () => number; normal: () => number } {
  const uniform = xorshift32(seed, 0);
  const normal = (): number =>
    Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-300))) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

type Shape = 'leak' | 'flat' | 'gc-steps' | 'plateau';

/** One instance's post-GC heap: 10% leaking, 50% flat noise, 30% GC step functions, 10% caches. */
function makeSeries(i: number): { shape: Shape; t: number[]; v: number[] } {
  const { uniform, normal } = random(i * 2654435761);
  const pick = i % 10;
  const shape: Shape = pick === 0 ? 'leak' : pick < 6 ? 'flat' : pick < 9 ? 'gc-steps' : 'plateau';
  // Built by push, as watch's Prometheus reader builds them (packed arrays of doubles; arrays
  // made with new Array(n) are holey, slower to read and to pack for the workers).
  const t: number[] = [];
  const v: number[] = [];
  const base = 80e6 + 100e6 * uniform();
  let level = base;
  for (let k = 0; k < POINTS; k++) {
    const hours = (k * STEP) / 3600;
    t.push(1_700_000_000 + k * STEP);
    if (shape === 'leak') v.push(base + 8e6 * hours + 1e6 * normal());
    else if (shape === 'flat') v.push(base + 1e6 * normal());
    else if (shape === 'gc-steps') {
      // A new post-GC value every ~15 points (a major GC every ~5 min), the same in between.
      if (uniform() < 1 / 15) level = base + Math.round(2e6 * normal());
      v.push(level);
    } else v.push(base + 60e6 * Math.min(hours / 1.5, 1) + 0.5e6 * normal());
  }
  return { shape, t, v };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const fleet = Array.from({ length: SERIES }, (_, i) => makeSeries(i));
  const generateMs = performance.now() - t0;

  const options = defaultWatchOptions('heapUsed');
  const loadBefore = os.loadavg();
  const verdicts: Record<string, Record<string, number>> = {};
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  const single: InstanceAnalysis[] = [];
  for (const s of fleet) {
    const a = analyseInstance({ labels: {}, t: s.t, v: s.v }, options);
    single.push(a);
    const row = (verdicts[s.shape] ??= {});
    row[a.verdict] = (row[a.verdict] ?? 0) + 1;
  }
  const wallMs = performance.now() - wallStart;
  const cpu = cpuMs(cpuStart);

  // What `watch` runs: the same analysis in worker threads, one per core.
  const workers = Math.min(os.availableParallelism(), 8);
  const parallelStart = performance.now();
  const parallelCpuStart = process.cpuUsage();
  const parallel = await built.analyseInstances(
    fleet.map((s) => ({ labels: {}, t: s.t, v: s.v })),
    options,
    { workers },
  );
  const parallelMs = performance.now() - parallelStart;
  // Process CPU time: every thread (main, workers, GC helpers) over the parallel pass.
  const parallelCpu = cpuMs(parallelCpuStart);
  const loadAfter = os.loadavg();
  // Every field of every analysis (fits, intervals, rules, reasons), numbers bit for bit (-0 too).
  const exact = (a: InstanceAnalysis | undefined): string =>
    JSON.stringify(a, (_key, value: unknown) => (Object.is(value, -0) ? '-0' : value));
  const differ = parallel.filter(
    (a, i) =>
      a.verdict !== single[i]?.verdict ||
      a.perHour.rate !== single[i]?.perHour.rate ||
      a.perHour.low !== single[i]?.perHour.low ||
      a.perHour.high !== single[i]?.perHour.high ||
      a.reason !== single[i]?.reason ||
      exact(a) !== exact(single[i]),
  ).length;

  // Breakdown on a subset: each fit analyseMetric runs, timed alone.
  const subset = fleet.slice(0, Math.min(1000, fleet.length));
  const hoursOf = (t: number[]): number[] => t.map((x) => (x - (t[0] as number)) / 3600);
  const xs = subset.map((s) => hoursOf(s.t));
  const parts: Array<[string, (x: number[], y: number[]) => unknown]> = [
    ['Theil-Sen (whole series)', (x, y) => theilSen(x, y, 0.95)],
    ['plateau (OLS early half + Theil-Sen late half)', (x, y) => plateauFit(x, y, 0.95)],
    ['least squares', (x, y) => olsFit(x, y, 0.95)],
    ['Mann-Kendall', (_x, y) => mannKendall(y)],
  ];
  const breakdown = parts.map(([name, f]) => {
    const start = process.cpuUsage();
    subset.forEach((s, i) => f(xs[i] as number[], s.v));
    return { name, msPerSeries: cpuMs(start) / subset.length };
  });
  // The previous method, still the fallback: sort all n(n−1)/2 slopes. Reversed x (descending)
  // makes theilSen take it; the slopes, and so the fit, are the same.
  const before = fleet.slice(0, 20);
  const sortStart = process.cpuUsage();
  before.forEach((s, i) => {
    const x = (xs[i] as number[]).slice().reverse();
    theilSen(x, s.v.slice().reverse(), 0.95);
  });
  const sortingMs = cpuMs(sortStart) / before.length;
  const perSeries = cpu / SERIES;
  const summed = breakdown.reduce((sum, b) => sum + b.msPerSeries, 0);

  const lines = [
    '# `leakcheck watch` analysis benchmark',
    '',
    `Generated by \`npx tsx bench/watch.ts\` on ${new Date().toISOString()}: Node ${process.version}, ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average (1 / 5 / 15 min) ` +
      `${loadBefore.map((l) => l.toFixed(1)).join(' / ')} before the timed passes and ` +
      `${loadAfter.map((l) => l.toFixed(1)).join(' / ')} after them (the machine is shared with other ` +
      "developers' builds and tests; a load above 2 means other processes took part of the two cores).",
    '',
    `Fleet: ${SERIES.toLocaleString('en')} series × ${POINTS.toLocaleString('en')} points (6 h at a ${STEP} s step), ` +
      `made in process in ${(generateMs / 1000).toFixed(1)} s (not counted). Each series analysed per hour as ` +
      "`watch` does: `analyseInstance` → `analyseMetric` (least squares, Theil-Sen with Sen's interval, " +
      'Mann-Kendall, plateau windows, verdict rules). One thread.',
    '',
    `\`watch\` itself analyses a fleet this size in ${workers} worker threads (\`analyseInstances\`, one per core); ` +
      'the single-threaded pass is kept for comparison and to check that both give the same results.',
    '',
    '| | Target | Measured |',
    '| --- | --- | --- |',
    `| Wall time, all series, ${workers} worker threads (what \`watch\` runs) | < 10 s | **${(parallelMs / 1000).toFixed(1)} s** |`,
    `| CPU time, all threads, ${workers} worker threads | | ${(parallelCpu / 1000).toFixed(1)} s |`,
    `| Wall time, all series, one thread | | ${(wallMs / 1000).toFixed(1)} s |`,
    `| CPU time, all series, one thread | | ${(cpu / 1000).toFixed(1)} s (${perSeries.toFixed(2)} ms/series) |`,
    `| Series whose analyses differ between the two (verdict, rate, interval, reason, any fit's number) | 0 | ${differ} |`,
    '',
    parallelMs < 10_000
      ? `**Target met** (wall time under 10 s with ${workers} workers).`
      : `**Target not met** on this run: ${(parallelMs / 1000).toFixed(1)} s wall with ${workers} workers ` +
        `(${(cpu / 1000).toFixed(1)} s of CPU on one thread). Wall time above CPU time / ${workers} is the shared machine (other processes on the same cores).`,
    '',
    'Verdicts (a sanity check that the work was done: leaks are the 10% leaking shape):',
    '',
    '| Shape | leak | pass | inconclusive |',
    '| --- | --- | --- | --- |',
    ...Object.entries(verdicts).map(
      ([shape, v]) => `| ${shape} | ${v.leak ?? 0} | ${v.pass ?? 0} | ${v.inconclusive ?? 0} |`,
    ),
    '',
    `Where the time goes (CPU per series, first ${subset.length} series, each fit timed alone):`,
    '',
    '| Part | ms/series | share |',
    '| --- | --- | --- |',
    ...breakdown.map(
      (b) => `| ${b.name} | ${b.msPerSeries.toFixed(3)} | ${((100 * b.msPerSeries) / summed).toFixed(0)}% |`,
    ),
    '',
    `For comparison, Theil-Sen by sorting all ${((POINTS * (POINTS - 1)) / 2).toLocaleString('en')} slopes ` +
      `(the method before exact slope selection, still the fallback): ${sortingMs.toFixed(1)} ms/series ` +
      `(${before.length} series), ${(sortingMs / (breakdown[0]?.msPerSeries ?? 1)).toFixed(0)}× the selection.`,
    '',
  ];
  const out = path.join(__dirname, 'results-watch.md');
  fs.writeFileSync(out, lines.join('\n'));
  process.stdout.write(lines.join('\n') + `\nwrote ${out}\n`);
}

void main();
