/**
 * The warm-up check on seeded synthetic series, with and without the local settling check (the
 * recent half's slope against the quarter just before it, src/analysis/sequential.ts): how often a
 * clean series whose own growth decays is called a leak, and what the check costs real leaks
 * (verdicts, the sample count of the deciding look, the reported estimate's error).
 *
 * Series: post-GC heap against requests; warm-up growth A·e^(-requests/τ) B/request (a total of
 * A·τ bytes), AR(1) noise (ρ 0.3), the default look plan (18 samples at the first look, 171 at the
 * budget), a 10,000-request minimum window, threshold 2 B/request. Clean: ~580 requests per
 * sample from request 1,150 (hapi 21 on one busy core served ~1,700 requests/s, a sample every
 * ~340 ms); leaks: ~400 per sample from request 1,000. Pure arithmetic, no processes.
 *
 * Usage: RUNS=300 npx tsx bench/warmup.ts [--out bench/results-warmup.md]
 *
 * With `--kept <dir>...` (folders written by `bench/run.ts --keep`): replays each kept run's
 * measured series (heap without code space, its own look plan, the 10,000-request minimum) under
 * both rules and prints, per run, the verdict and the look, requests and seconds it came at. A
 * series ends where its run stopped, so the rule the run did not use is seen only that far.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESTIMATE_PRECISION, sequentialTest } from '../src/analysis/sequential';
import { sequentialPlan } from '../src/config/adapt';
import { configSchema } from '../src/config/schema';
import { dataHeap, planLooks } from '../src/sampling/evidence';
import type { Sample } from '../src/sampling/samples';
import { decayingWarmupSeries, type DecayingWarmupShape } from '../test/unit/analysis-synthetic';

// The default plan: its looks (18 samples at the first, 171 at the budget), threshold, alpha,
// minimum window and estimate precision.
const DEFAULT = sequentialPlan(configSchema.parse({}));

const keptAt = process.argv.indexOf('--kept');
if (keptAt > 0) {
  replayKept(process.argv.slice(keptAt + 1));
  process.exit(0);
}

const runs = Number(process.env.RUNS ?? 300);
const outAt = process.argv.indexOf('--out');
const out = outAt > 0 ? process.argv[outAt + 1] : undefined;

type Shape = DecayingWarmupShape;
const series = decayingWarmupSeries;

const plan = DEFAULT.schedule;
/** Samples the default plan's budget holds (60 s at its spacing; the schedule's last look is past it). */
const budget = 171;
const shapes: Shape[] = [];
for (const tau of [3000, 6000, 10000])
  for (const sd of [10000, 25000])
    for (const A of [40, 84, 150]) shapes.push({ slope: 0, A, tau, sd, step: 580, start: 1150 });
for (const slope of [4, 8, 16, 50])
  for (const sd of [10000, 40000])
    for (const A of [0, 20, 60]) shapes.push({ slope, A, tau: 6000, sd, step: 400, start: 1000 });

interface Tally {
  leak: number;
  pass: number;
  inconclusive: number;
  at: number[];
  err: number[];
}

function tally(shape: Shape, localSettling: boolean): Tally {
  const t: Tally = { leak: 0, pass: 0, inconclusive: 0, at: [], err: [] };
  for (let s = 0; s < runs; s++) {
    const { x, y } = series(s * 7717 + 5, budget, shape);
    const r = sequentialTest(
      x,
      y,
      plan,
      {
        threshold: DEFAULT.threshold,
        alpha: DEFAULT.alpha,
        minSpan: DEFAULT.minRequests,
        precision: DEFAULT.precision,
        localSettling,
      },
      true,
    );
    t[r.verdict]++;
    if (r.decided) t.at.push(r.decided.samples);
    if (r.verdict === 'leak' && r.last && shape.slope > 0)
      t.err.push(Math.abs(r.last.slope / shape.slope - 1));
  }
  return t;
}

const median = (a: number[]): string => {
  if (a.length === 0) return '-';
  const s = [...a].sort((p, q) => p - q);
  return String(s[Math.floor(s.length / 2)]);
};
const cell = (t: Tally, leak: boolean): string =>
  leak
    ? `${t.leak} / ${t.inconclusive} · ${median(t.at)} · ${t.err.filter((e) => e <= ESTIMATE_PRECISION).length}/${t.err.length}`
    : `${t.leak} / ${t.inconclusive} · ${median(t.at)}`;

const lines = [
  `${runs} seeded series per row (\`RUNS=${runs} npx tsx bench/warmup.ts\`). Cells: false leaks (clean) or leaks (leak rows) / inconclusive at the budget · median samples at the deciding look; leak rows also: reported estimates within ±15% of the true slope / leaks.`,
  '',
  '| series | early half only (before) | with the local check (now) |',
  '|---|---|---|',
];
for (const shape of shapes) {
  const leak = shape.slope > 0;
  const name = `${leak ? `leak ${shape.slope} B/request` : 'clean'}, warm-up ${shape.A} B/request decaying over ${shape.tau} requests, noise sd ${shape.sd / 1000} KB`;
  const row = `| ${name} | ${cell(tally(shape, false), leak)} | ${cell(tally(shape, true), leak)} |`;
  lines.push(row);
  console.log(row);
}
if (out) writeFileSync(out, `${lines.join('\n')}\n`);

interface KeptReport {
  settings: {
    thresholds: { heapUsed: { perUnit: number } };
    measure: { minSeconds: number; maxSeconds: number };
  };
  sequential?: { spacingMs: number; alpha: number; pid: number | null };
}

function replayKept(dirs: string[]): void {
  console.log('| run | before: verdict, look, requests, s | now: verdict, look, requests, s |');
  console.log('|---|---|---|');
  for (const dir of dirs)
    for (const name of readdirSync(dir).sort()) {
      const report = JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8')) as KeptReport;
      const samples = JSON.parse(readFileSync(join(dir, name, 'samples.json'), 'utf8')) as Sample[];
      const seq = report.sequential;
      if (!seq) continue;
      const list = samples.filter((s) => s.phase === 'measure' && (seq.pid === null || s.pid === seq.pid));
      if (list.length < 2) continue;
      const plan = planLooks(
        report.settings.measure.minSeconds * 1000,
        report.settings.measure.maxSeconds * 1000,
        seq.spacingMs,
      );
      const x = list.map((s) => s.requests);
      const y = list.map(dataHeap);
      const at = (localSettling: boolean): string => {
        const r = sequentialTest(
          x,
          y,
          plan,
          {
            threshold: report.settings.thresholds.heapUsed.perUnit,
            alpha: seq.alpha,
            minSpan: DEFAULT.minRequests,
            precision: DEFAULT.precision,
            localSettling,
            // THROUGHPUT=off replays without the samples' clock: no throughput check (before
            // session 22).
            ...(process.env.THROUGHPUT === 'off' ? {} : { clock: list.map((s) => s.uptimeMs) }),
          },
          false,
        );
        const d = r.decided;
        if (!d) return `undecided at ${list.length} samples`;
        const s = list[d.samples - 1] as Sample;
        const seconds = ((s.uptimeMs - (list[0] as Sample).uptimeMs) / 1000).toFixed(1);
        return `${r.verdict}, look ${d.look}, ${(s.requests - (list[0] as Sample).requests).toLocaleString('en-US')}, ${seconds}`;
      };
      console.log(`| ${name} | ${at(false)} | ${at(true)} |`);
    }
}
