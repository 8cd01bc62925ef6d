/**
 * How far the post-GC figures of the major GCs V8 runs on its own (`gcSource: natural`) sit from
 * the figures of the full GCs the agent forces around them. Reads run folders as
 * `bench/run.ts --keep DIR` leaves them (report.json and samples.json) and, for each natural
 * sample of the run's main process, takes the heap less code space against the median of the
 * forced samples among its three neighbours on either side; and the residual SD around a
 * least-squares line of each kind over the whole series.
 *
 * Usage: npx tsx bench/natural-gc.ts <run folder> ...   (OUT=file appends the Markdown table)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ss } from '../src/analysis/simple-statistics';
import type { Report } from '../src/report/report';
import { dataHeap } from '../src/sampling/evidence';
import type { Sample } from '../src/sampling/samples';

/** Residual SD around y's least-squares line against x (simple-statistics' fit); null under 4 points. */
function residualSd(x: number[], y: number[]): number | null {
  if (x.length < 4) return null;
  const { m, b } = ss.linearRegression(x.map((v, i) => [v, y[i] as number]));
  const ss2 = y.reduce((a, v, i) => a + (v - (b + m * (x[i] as number))) ** 2, 0);
  return Math.sqrt(ss2 / (x.length - 2));
}

const kib = (v: number | null): string => (v === null ? '-' : (v / 1024).toFixed(0));

const rows: string[] = [];
for (const dir of process.argv.slice(2)) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as Report;
  const pid = report.sequential?.pid ?? report.processes[0]?.pid;
  const samples = (JSON.parse(fs.readFileSync(path.join(dir, 'samples.json'), 'utf8')) as Sample[]).filter(
    (s) => s.phase === 'measure' && s.pid === pid,
  );
  const natural = samples.flatMap((s, i) => (s.gcSource === 'natural' ? [i] : []));
  const above = natural.flatMap((i) => {
    const around = samples
      .slice(Math.max(0, i - 3), i + 4)
      .filter((s) => s.gcSource !== 'natural')
      .map(dataHeap);
    return around.length > 0 ? [dataHeap(samples[i] as Sample) - ss.median(around)] : [];
  });
  const of = (kind: 'natural' | 'forced'): number | null => {
    const own = samples.filter((s) => (s.gcSource === 'natural') === (kind === 'natural'));
    return residualSd(
      own.map((s) => s.requests),
      own.map(dataHeap),
    );
  };
  const spread =
    above.length > 0
      ? `${kib(ss.median(above))} (${kib(Math.min(...above))} to ${kib(Math.max(...above))})`
      : '-';
  rows.push(
    `| ${path.basename(dir)} | ${samples.length} | ${natural.length} | ${spread} | ${kib(of('natural'))} | ${kib(of('forced'))} |`,
  );
  console.log(rows.at(-1));
}
if (process.env.OUT) {
  fs.appendFileSync(
    process.env.OUT,
    [
      `### Natural against forced post-GC figures (\`npx tsx bench/natural-gc.ts <run folders>\`)`,
      '',
      'Per run: measured samples of the main process, how many took a natural major GC, how far each natural figure (heap less code space) sat above the median of the forced samples among its three neighbours on each side (KiB: median, range), and the residual SD around a least-squares line of the natural and of the forced samples alone (KiB).',
      '',
      '| run | samples | natural | natural above forced neighbours | natural residual SD | forced residual SD |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      '',
    ].join('\n'),
  );
}
