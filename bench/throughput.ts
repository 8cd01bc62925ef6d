/**
 * How far a kept run's heap follows throughput: at the sample counts of the default plan's later
 * looks, the recent half's plain line against the same half with the throughput of the 2 s before
 * each sample held fixed (the check of `THROUGHPUT_WINDOW_MS` in src/analysis/sequential.ts), and
 * the throughput's own t. Intervals are ±2 standard errors (pointwise, not the looks' levels).
 * Reads the runs `bench/run.ts --keep <dir>` left (report.json and samples.json); no processes.
 *
 * Usage: npx tsx bench/throughput.ts <kept run dir>...
 */
import { readFileSync } from 'node:fs';
import { autocorrelatedFit, covariateFit, recentThroughput } from '../src/analysis/autocorrelated';
import { THROUGHPUT_WINDOW_MS } from '../src/analysis/sequential';
import { dataHeap } from '../src/sampling/evidence';
import type { Sample } from '../src/sampling/samples';

for (const dir of process.argv.slice(2)) {
  const samples = JSON.parse(readFileSync(`${dir}/samples.json`, 'utf8')) as Sample[];
  const list = samples.filter((s) => s.phase === 'measure');
  const x = list.map((s) => s.requests);
  const y = list.map(dataHeap);
  const clock = list.map((s) => s.uptimeMs);
  console.log(`${dir} (${list.length} samples)`);
  for (const n of [45, 56, 70, 88, 110, 138, 171]) {
    if (n > list.length) break;
    const mid = (x[0] as number) + ((x[n - 1] as number) - (x[0] as number)) / 2;
    const split = x.findIndex((v) => v >= mid);
    const plain = autocorrelatedFit(x.slice(split, n), y.slice(split, n));
    const z = recentThroughput(x.slice(0, n), clock.slice(0, n), THROUGHPUT_WINDOW_MS).slice(split, n);
    const held = covariateFit(x.slice(split, n), y.slice(split, n), z);
    const f = (v: number): string => v.toFixed(1);
    console.log(
      `  ${n} samples: line ${f(plain.slope)} ± ${f(2 * plain.se)} B/request; throughput held ${f(held.slope)} ± ${f(2 * held.se)}, its t ${f(held.covariateT)}`,
    );
  }
}
