/**
 * `npm run bench`: runs every fixture several times through the built CLI with default settings
 * and writes bench/results.md: verdict accuracy, estimated vs true growth per request, wall time
 * to verdict, and the agent's throughput cost (sampling on vs off, alternated in one process).
 *
 * Flags: --runs N (default 5), --only a,b (fixture cases), --no-overhead, --out FILE.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '../src/report/report';
import { measureOverhead, type OverheadResult } from './overhead';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

interface Case {
  name: string;
  fixture: string;
  args: string[];
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'incident-auth', fixture: 'incident-auth', args: [] },
  { name: 'clean-http', fixture: 'clean-http', args: [] },
  { name: 'clean-express', fixture: 'clean-express', args: [] },
  { name: 'lru-cache', fixture: 'lru-cache', args: [] },
  { name: 'lazy-init', fixture: 'lazy-init', args: [] },
  { name: 'slow-leak 48 B', fixture: 'slow-leak', args: [] },
  {
    name: 'slow-leak 16 B, 10 s window',
    fixture: 'slow-leak',
    args: ['--duration', '10'],
    env: { LEAK_BYTES_PER_REQUEST: '16' },
  },
  {
    name: 'slow-leak 4 B, 30 s window',
    fixture: 'slow-leak',
    args: ['--duration', '30'],
    env: { LEAK_BYTES_PER_REQUEST: '4' },
  },
  { name: 'buffer-leak', fixture: 'buffer-leak', args: [] },
  { name: 'handle-leak', fixture: 'handle-leak', args: [] },
  { name: 'ts-service', fixture: 'ts-service', args: [] },
  { name: 'cluster-clean', fixture: 'cluster-clean', args: [] },
];

interface Expected {
  verdict: 'leak' | 'pass';
  metric: string | null;
  bytesPerRequest: number | null;
  unitPerRequest?: number;
}

interface Outcome {
  verdict: string;
  exitCode: number | null;
  wallSeconds: number;
  estimate: number | null;
  /** For a leaking fixture: its expected metric was the one (or one of those) flagged. */
  expectedFlagged: boolean;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function runOnce(c: Case, expected: Expected): Outcome {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-'));
  const cfg = path.join(ROOT, 'fixtures', c.fixture, 'leakcheck.config.json');
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [CLI, 'run', '--config', cfg, '--out', out, '--no-progress', '--json', ...c.args],
    {
      env: { ...process.env, ...c.env },
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const file = path.join(out, 'report.json');
  const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Report) : null;
  fs.rmSync(out, { recursive: true, force: true });
  const main = report?.processes[0];
  const metric = main?.metrics.find((m) => m.metric === (expected.metric ?? 'heapUsed'));
  return {
    verdict: report?.verdict ?? 'no report',
    exitCode: r.status,
    wallSeconds,
    estimate: metric ? metric.perUnit : null,
    // A leak fixture's other metrics may grow with the same leak (a Buffer's on-heap part, a
    // socket's fd): the run is right when the expected metric is among those flagged.
    expectedFlagged: expected.metric === null || metric?.verdict === 'leak',
  };
}

function main(): void {
  const runs = Number(arg('--runs') ?? 5);
  const only = arg('--only')?.split(',');
  const outFile = arg('--out') ?? path.join(__dirname, 'results.md');
  const cases = CASES.filter((c) => !only || only.includes(c.name) || only.includes(c.fixture));
  const rows: string[] = [];
  for (const c of cases) {
    const expected = JSON.parse(
      fs.readFileSync(path.join(ROOT, 'fixtures', c.fixture, 'expected.json'), 'utf8'),
    ) as Expected;
    const lbr = c.env?.LEAK_BYTES_PER_REQUEST;
    const truth = lbr ? Number(lbr) : (expected.bytesPerRequest ?? expected.unitPerRequest ?? null);
    const outcomes: Outcome[] = [];
    for (let i = 0; i < runs; i++) {
      const o = runOnce(c, expected);
      outcomes.push(o);
      process.stderr.write(
        `${c.name} #${i + 1}: ${o.verdict} (exit ${o.exitCode}) ${o.wallSeconds.toFixed(1)} s estimate ${o.estimate ?? '-'}\n`,
      );
    }
    const correct = outcomes.filter(
      (o) => o.verdict === expected.verdict && (expected.verdict === 'pass' || o.expectedFlagged),
    ).length;
    const estimates = outcomes.map((o) => o.estimate).filter((e): e is number => e !== null);
    const est = estimates.length > 0 ? median(estimates) : null;
    const error = est !== null && truth ? ((est - truth) / truth) * 100 : null;
    rows.push(
      `| ${c.name} | ${expected.verdict} on ${expected.metric ?? 'any'} | ${correct}/${runs} | ${[...new Set(outcomes.map((o) => o.verdict))].join(', ')} | ` +
        `${truth ?? '-'} | ${est === null ? '-' : est.toPrecision(4)} | ${error === null ? '-' : `${error >= 0 ? '+' : ''}${error.toFixed(1)}%`} | ` +
        `${median(outcomes.map((o) => o.wallSeconds)).toFixed(1)} (${Math.min(...outcomes.map((o) => o.wallSeconds)).toFixed(1)}–${Math.max(...outcomes.map((o) => o.wallSeconds)).toFixed(1)}) |`,
    );
  }
  void (async () => {
    const overhead: OverheadResult[] = [];
    if (!process.argv.includes('--no-overhead')) {
      for (const f of ['clean-http', 'clean-express', 'incident-auth']) {
        overhead.push(
          await measureOverhead(path.join(ROOT, 'fixtures', f), {
            pairs: 5,
            seconds: 4,
            samplesPerSecond: 3,
            connections: 10,
          }),
        );
      }
    }
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const lines = [
      '# leakcheck benchmark results',
      '',
      `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      `Command: \`npm run bench -- --runs ${runs}${only ? ` --only ${only.join(',')}` : ''}\` (default settings: 3 s warm-up, 10 s measured window, 30 samples, 10 connections, 15,000 users).`,
      '',
      '## Verdicts',
      '',
      'A run is correct when the overall verdict matches the fixture and, for a leak, the expected metric is among those flagged (a clean fixture passes only when no gating metric leaks). Estimates are the robust (Theil-Sen) slope of the expected metric, median over runs; wall time is from starting the CLI to its exit, start-up included.',
      '',
      '| case | expected | correct | verdicts seen | true per request | estimated (median) | error | wall s, median (min–max) |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ];
    if (overhead.length > 0) {
      lines.push(
        '## Agent overhead on throughput',
        '',
        'Same process, load alternating between 4 s windows without samples and 4 s windows sampled at 3 samples/s (the default spacing: 30 samples in 10 s), 5 pairs after a 3 s warm-up. Ratio = median of sampled/unsampled throughput over adjacent pairs (1.00 = no cost).',
        '',
        '| fixture | unsampled req/s (per window) | sampled req/s (per window) | ratio |',
        '|---|---|---|---|',
        ...overhead.map(
          (o) =>
            `| ${o.fixture} | ${o.offRps.map((v) => Math.round(v)).join(', ')} | ${o.onRps.map((v) => Math.round(v)).join(', ')} | ${o.ratio.toFixed(2)} |`,
        ),
        '',
      );
    }
    fs.writeFileSync(outFile, lines.join('\n'));
    process.stdout.write(lines.join('\n') + '\n');
  })();
}

main();
