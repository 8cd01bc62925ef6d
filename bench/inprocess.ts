/**
 * Time to verdict of detectLeak, written to bench/results-inprocess.md.
 *
 * Cases: an exact 200 B/call leak and the same work without the leak (fixtures/unit/exact-leak.js),
 * and the incident's auth middleware and its fix through middlewareCall (fixtures/unit/). Each
 * case runs RUNS times, one after another in this process, with the default options; the table
 * gives the first run (cold: nothing compiled yet), the median, and the verdicts. Target: a
 * 200 B/call leak found, and a clean function passed, in under 2 s each.
 *
 * A second table repeats the two exact cases with BALLAST_MB of other live objects in the heap,
 * since forced full GCs dominate the cost and their cost grows with the live heap (jest with
 * ts-jest keeps ~200 MB alive).
 *
 * Run: npx tsx bench/inprocess.ts   (RUNS=7 BALLAST_MB=200 to change the sizes)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectLeak, formatPerCall, middlewareCall, type LeakTestFunction } from '../src/inprocess';
import { createClean, createLeak200 } from '../fixtures/unit/exact-leak.js';
import { auth as incidentAuth, bus as incidentBus } from '../fixtures/unit/incident-auth.js';
import { auth as cleanAuth } from '../fixtures/unit/clean-auth.js';

const RUNS = Number(process.env.RUNS ?? 7);
const BALLAST_MB = Number(process.env.BALLAST_MB ?? 200);
const TARGET_MS = 2000;
const OUT = path.join(__dirname, 'results-inprocess.md');

interface Case {
  name: string;
  expected: 'leak' | 'pass';
  make: () => LeakTestFunction;
}

const CASES: Case[] = [
  { name: 'exact 200 B/call leak', expected: 'leak', make: () => createLeak200().leak200 },
  { name: 'same work, no leak', expected: 'pass', make: () => createClean().clean },
  {
    name: 'incident auth middleware',
    expected: 'leak',
    make: () => {
      incidentBus.removeAllListeners();
      return middlewareCall(incidentAuth);
    },
  },
  { name: 'fixed auth middleware', expected: 'pass', make: () => middlewareCall(cleanAuth) },
];

interface Row {
  name: string;
  expected: string;
  ms: number[];
  verdicts: string[];
  /** Per-call estimates with their text, one per run. */
  estimates: { value: number; text: string }[];
}

async function measure(c: Case): Promise<Row> {
  const row: Row = { name: c.name, expected: c.expected, ms: [], verdicts: [], estimates: [] };
  for (let i = 0; i < RUNS; i++) {
    const fn = c.make();
    // Wall time around the whole call: warm-up, batches, GCs, profiles and the analysis.
    const t0 = performance.now();
    const d = await detectLeak(fn);
    row.ms.push(performance.now() - t0);
    row.verdicts.push(d.verdict);
    row.estimates.push({ value: d.perCall.estimate, text: formatPerCall(d.perCall) });
  }
  return row;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function table(rows: readonly Row[]): string[] {
  const lines = [
    '| case | expected | verdicts | first run | median | all runs (ms) | median per-call estimate |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const counts = new Map<string, number>();
    for (const v of r.verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
    const verdicts = [...counts].map(([v, n]) => `${v} ×${n}`).join(', ');
    const byValue = [...r.estimates].sort((a, b) => a.value - b.value);
    const mid = byValue[Math.floor(byValue.length / 2)]?.text ?? '';
    const ok = median(r.ms) < TARGET_MS ? '' : ' (over target)';
    lines.push(
      `| ${r.name} | ${r.expected} | ${verdicts} | ${Math.round(r.ms[0] ?? NaN)} ms | ` +
        `**${Math.round(median(r.ms))} ms**${ok} | ${r.ms.map((m) => Math.round(m)).join(', ')} | ${mid} |`,
    );
  }
  return lines;
}

/** Live objects standing in for a test runner's heap: arrays of small objects, about `mb` MB. */
function ballast(mb: number): unknown[] {
  const chunks: unknown[] = [];
  // Each element is a 48-byte object plus an 8-byte slot: about 18,700 per MB.
  for (let i = 0; i < mb; i++) chunks.push(Array.from({ length: 18_700 }, (_, j) => ({ i, j, k: null })));
  return chunks;
}

async function main(): Promise<void> {
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
  const plain: Row[] = [];
  for (const c of CASES) {
    plain.push(await measure(c));
    process.stdout.write(`${c.name}: median ${Math.round(median(plain.at(-1)?.ms ?? []))} ms\n`);
  }
  const heavy = ballast(BALLAST_MB);
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  const loaded: Row[] = [];
  for (const c of CASES.slice(0, 2)) {
    loaded.push(await measure(c));
    process.stdout.write(
      `${c.name} with ballast: median ${Math.round(median(loaded.at(-1)?.ms ?? []))} ms\n`,
    );
  }
  if (heavy.length !== BALLAST_MB) throw new Error('ballast lost');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const md = [
    '# In-process detection benchmark (detectLeak)',
    '',
    `Run: \`npx tsx bench/inprocess.ts\` (RUNS=${RUNS}, BALLAST_MB=${BALLAST_MB}) on ${os.cpus().length} cores ` +
      `(${cpu}), Node ${process.version}, ${new Date().toISOString()}.`,
    `Load average at the start: ${load}. The machine is shared with other developers' load tests, so`,
    'wall times vary between runs; the verdicts do not.',
    '',
    `Default options (10,000 calls in 20 batches after 1,000 warm-up calls, a forced full GC per`,
    'batch, sampling heap profiler on). Time is the whole `detectLeak` call: warm-up, batches, GCs,',
    `profiles and analysis. Target: under ${TARGET_MS / 1000} s for the 200 B/call leak and for a clean function.`,
    '',
    '## Plain process',
    '',
    ...table(plain),
    '',
    `## With ${BALLAST_MB} MB of other live objects (heap ${heapMb} MB)`,
    '',
    'Forced full GCs dominate the cost, and a full GC walks the whole live heap: a test runner that',
    'keeps a large heap (jest with ts-jest keeps about 200 MB) pays for it 25 times per detection (3 in the warm-up, 1 before the first profile, 21 samples).',
    '',
    ...table(loaded),
    '',
  ];
  fs.writeFileSync(OUT, md.join('\n'));
  process.stdout.write(`wrote ${OUT}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
