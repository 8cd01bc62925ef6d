/**
 * `npm run bench`: runs every fixture several times through the built CLI with default settings
 * and writes bench/results.md: verdict accuracy, estimated vs true growth per request, wall time
 * to verdict, and the agent's throughput cost (sampling on vs off, alternated in one process).
 *
 * Flags: --runs N (default 5), --only a,b (fixture cases), --no-overhead, --out FILE, --keep DIR
 * (keeps each run's report.json and samples.json in DIR/<case>-<n>/ for offline analysis), --busy
 * (another process keeps one core busy with a bounded CPU loop while the fixtures run; results go
 * to bench/results-busy.md unless --out says otherwise), --frameworks (adds the trials on koa, hapi
 * and fastify of bench/frameworks.ts, installed from the npm registry into a temporary folder).
 *
 * Truth per request: the fixture's truth.json (bench/truth.ts, a reference sampler of its own)
 * when there is one, else its expected.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { olsFit } from '../src/analysis/regression';
import type { Report } from '../src/report/report';
import { NEW_PROCESS_PHASE } from '../src/attribution';
import { FRAMEWORK_VERSIONS, prepareFrameworks } from './frameworks';
import {
  defaultSamplesPerSecond,
  defaultSpacingText,
  measureOverhead,
  type OverheadResult,
} from './overhead';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

interface Case {
  name: string;
  fixture: string;
  args: string[];
  env?: Record<string, string>;
  /** Replay the log named in the fixture's expected.json (`replay`). */
  replay?: boolean;
  /** The verdict this case must reach when it differs from expected.json's (one URL vs replay). */
  verdict?: 'leak' | 'pass';
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
  { name: 'array-leak', fixture: 'array-leak', args: [] },
  { name: 'buffer-leak', fixture: 'buffer-leak', args: [] },
  { name: 'handle-leak', fixture: 'handle-leak', args: [] },
  // A pool of 10 connections drained by one path (the heap flat), and its clean twin.
  { name: 'pool-exhaustion', fixture: 'pool-exhaustion', args: [] },
  { name: 'pool-clean', fixture: 'pool-clean', args: [] },
  { name: 'ts-service', fixture: 'ts-service', args: [] },
  { name: 'cluster-clean', fixture: 'cluster-clean', args: [] },
  // Realistic express services (fixtures/shop-*), as a new user would run them.
  { name: 'shop-leak16', fixture: 'shop-leak16', args: [] },
  { name: 'shop-url-cache replay', fixture: 'shop-url-cache', args: [], replay: true },
  { name: 'shop-url-cache one URL', fixture: 'shop-url-cache', args: [], verdict: 'pass' },
  { name: 'shop-esm-leak', fixture: 'shop-esm-leak', args: [] },
  { name: 'shop-clean', fixture: 'shop-clean', args: [] },
  { name: 'shop-clean replay', fixture: 'shop-clean', args: [], replay: true },
  { name: 'shop-sawtooth', fixture: 'shop-sawtooth', args: [] },
  { name: 'shop-sawtooth-leak', fixture: 'shop-sawtooth-leak', args: [] },
  { name: 'shop-esm-clean', fixture: 'shop-esm-clean', args: [] },
];

interface Expected {
  verdict: 'leak' | 'pass';
  metric: string | null;
  bytesPerRequest: number | null;
  unitPerRequest?: number;
  replay?: string;
}

interface Outcome {
  verdict: string;
  exitCode: number | null;
  wallSeconds: number;
  /** From the start of the CLI to the verdict (the end of the measured window). */
  verdictSeconds: number | null;
  estimate: number | null;
  /** For a leaking fixture: its expected metric was the one (or one of those) flagged. */
  expectedFlagged: boolean;
  /** Where the wall time went, in order: step name and seconds. */
  steps: [string, number][];
  /**
   * The requests the estimate describes: the deciding look's window (a sequential verdict's slope
   * is the recent half's, or a staircase's from its first jump), else the whole measured window.
   */
  measured: [number, number] | null;
}

/** A case's folder: under fixtures/, or an absolute path (the framework trials'). */
function fixtureDir(c: Case): string {
  return path.resolve(ROOT, 'fixtures', c.fixture);
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

/**
 * `--extra "<flags>"`: CLI flags added to every run after the case's own (for experiments with a
 * setting, e.g. `--extra "--samples 8"`); the results file names them.
 */
function extraArgs(): string[] {
  return (arg('--extra') ?? '').split(' ').filter(Boolean);
}

function runOnce(c: Case, expected: Expected, keep?: string): Outcome {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-'));
  const dir = fixtureDir(c);
  const cfg = path.join(dir, 'leakcheck.config.json');
  const replay = c.replay && expected.replay ? ['--replay', path.resolve(dir, expected.replay)] : [];
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      '--config',
      cfg,
      '--out',
      out,
      '--no-progress',
      '--json',
      ...replay,
      ...c.args,
      ...extraArgs(),
    ],
    {
      env: { ...process.env, ...c.env },
      encoding: 'utf8',
      timeout: 180_000,
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const file = path.join(out, 'report.json');
  const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Report) : null;
  if (keep) {
    fs.mkdirSync(keep, { recursive: true });
    for (const name of ['report.json', 'samples.json']) {
      if (fs.existsSync(path.join(out, name))) fs.copyFileSync(path.join(out, name), path.join(keep, name));
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
  const main = report?.processes[0];
  const metric = main?.metrics.find((m) => m.metric === (expected.metric ?? 'heapUsed'));
  return {
    verdict: report?.verdict ?? 'no report',
    exitCode: r.status,
    wallSeconds,
    verdictSeconds: verdictMs(report) === null ? null : (verdictMs(report) as number) / 1000,
    estimate: metric ? metric.perUnit : null,
    // A leak fixture's other metrics may grow with the same leak (a Buffer's on-heap part, a
    // socket's fd): the run is right when the expected metric is among those flagged.
    // A resource that ran out is decided by the responses, not by a metric's growth.
    expectedFlagged:
      expected.metric === null || metric?.verdict === 'leak' || report?.decidedBy?.metric === expected.metric,
    steps: stepsOf(report, wallSeconds),
    measured: estimateWindow(report) ?? measuredRange(report),
  };
}

/**
 * The requests the reported slope was fitted over: the deciding look's from–to (null for a fixed
 * window, or a sequential run without a deciding look).
 */
function estimateWindow(report: Report | null): [number, number] | null {
  const looks = report?.sequential?.looks ?? [];
  const deciding = [...looks].reverse().find((l) => l.decision !== 'continue');
  return deciding && deciding.to > deciding.from ? [deciding.from, deciding.to] : null;
}

/** The main process's requests at its first and last measured sample. */
function measuredRange(report: Report | null): [number, number] | null {
  const xs = (report?.processes[0]?.series ?? []).filter((s) => s.phase === 'measure').map((s) => s.requests);
  return xs.length >= 2 ? [Math.min(...xs), Math.max(...xs)] : null;
}

/** A fixture's truth.json: the truth per request, and the series behind it when kept (--curve). */
interface Truth {
  bytesPerRequest: number;
  curve?: Array<[number, number]>;
}

/**
 * The truth over the requests one run measured, from the reference sampler's series: the
 * least-squares slope of its points from the last one at or before the run's first measured
 * request to the first one at or after its last (null without a series covering the stretch).
 */
function truthOver(curve: Array<[number, number]>, range: [number, number]): number | null {
  let from = -1;
  for (const [i, p] of curve.entries()) if (p[0] <= range[0]) from = i;
  const to = curve.findIndex((p) => p[0] >= range[1]);
  if (from < 0) from = 0;
  if (to < 0) return null;
  const points = curve.slice(from, to + 1);
  if (points.length < 3) return null;
  const fit = olsFit(
    points.map((p) => p[0]),
    points.map((p) => p[1]),
    0.95,
  );
  return fit.estimable ? fit.slope : null;
}

/**
 * The run's wall time in steps, from the report's timings: start-up to ready, warm-up, measured
 * window to the verdict, each attribution step after it, stopping the target, attribution's
 * analysis, and the rest (loading the CLI before the run's clock starts, the report's files, exit).
 */
function stepsOf(report: Report | null, wallSeconds: number): [string, number][] {
  if (!report) return [];
  const t = report.timings;
  const verdict = verdictMs(report);
  const steps: [string, number][] = [];
  let at = 0;
  const add = (name: string, ms: number | null | undefined): void => {
    if (ms === null || ms === undefined) return;
    steps.push([name, (ms - at) / 1000]);
    at = ms;
  };
  add('start-up', t.readyMs);
  add('warm-up', t.warmupEndMs);
  add('measured window', verdict);
  // A leak's estimate refined before attribution (without attribution, the refining samples come
  // after the verdict; with it, they ride along attribution's traffic).
  if (verdict !== null && (t.measureEndMs ?? 0) > verdict + 50) add('refining the estimate', t.measureEndMs);
  const phases = report.attribution?.timings ?? [];
  const after = phases.filter((p) => p.phase !== 'analysis');
  // In a new process (the default), attribution starts once the measured target has stopped.
  const newProcess = after[0]?.phase === NEW_PROCESS_PHASE;
  if (newProcess) add('stop target', t.totalMs);
  for (const p of after) add(`attribution: ${p.phase}`, at + p.ms);
  if (!newProcess) add('stop target', t.totalMs);
  const analysis = phases.find((p) => p.phase === 'analysis');
  if (analysis) add('attribution: analysis', at + analysis.ms);
  add('CLI load, report files, exit', wallSeconds * 1000);
  return steps;
}

/** Milliseconds from the run's start to its verdict, as the report tells it. */
function verdictMs(report: Report | null): number | null {
  if (!report) return null;
  const sequential = (report as unknown as { sequential?: { timeToVerdictMs?: number } }).sequential;
  return sequential?.timeToVerdictMs ?? report.timings.measureEndMs ?? null;
}

/** The fixture's measured truth (truth.json), else what expected.json says. */
function truthOf(c: Case, expected: Expected): number | null {
  const lbr = c.env?.LEAK_BYTES_PER_REQUEST;
  if (lbr) return Number(lbr);
  if (c.verdict === 'pass') return 0;
  const truth = truthFile(c);
  if (truth) return truth.bytesPerRequest;
  return expected.bytesPerRequest ?? expected.unitPerRequest ?? null;
}

function truthFile(c: Case): Truth | null {
  const file = path.join(fixtureDir(c), 'truth.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Truth) : null;
}

/**
 * Another process keeping one core busy: a CPU loop bounded by its own deadline (so it ends even
 * if this script dies), stopped by this script when the cases are done.
 */
function startBusyCore(maxSeconds: number): ChildProcess {
  return spawn(
    process.execPath,
    ['-e', `const end = Date.now() + ${maxSeconds * 1000}; let x = 0; while (Date.now() < end) x++;`],
    {
      stdio: 'ignore',
    },
  );
}

/** A case's steps as Markdown: the median of each step over the runs that had it. */
function breakdownRows(name: string, outcomes: Outcome[]): string {
  const names: string[] = [];
  for (const o of outcomes) for (const [step] of o.steps) if (!names.includes(step)) names.push(step);
  if (names.length === 0) return '';
  const cells = names.map((step) => {
    const xs = outcomes.flatMap((o) => o.steps.filter(([n]) => n === step).map(([, v]) => v));
    return `| ${step} | ${median(xs).toFixed(2)} | ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)} | ${xs.length} |`;
  });
  return [`### ${name}`, '', '| step | median s | min–max | runs |', '|---|---|---|---|', ...cells, ''].join(
    '\n',
  );
}

function main(): void {
  const runs = Number(arg('--runs') ?? 5);
  const only = arg('--only')?.split(',');
  const busy = process.argv.includes('--busy');
  const withFrameworks = process.argv.includes('--frameworks');
  const outFile = arg('--out') ?? path.join(__dirname, busy ? 'results-busy.md' : 'results.md');
  // --frameworks: the trials on koa, hapi and fastify (bench/frameworks.ts), after the fixtures.
  const all: Case[] = withFrameworks
    ? [
        ...CASES,
        ...prepareFrameworks().map((f) => ({ name: f.name, fixture: f.dir, args: [], replay: true })),
      ]
    : CASES;
  const cases = all.filter((c) => !only || only.includes(c.name) || only.includes(c.fixture));
  const rows: string[] = [];
  const breakdowns: string[] = [];
  const load: string[] = [`before: ${os.loadavg()[0]?.toFixed(1)}`];
  // Each run is bounded (180 s); the loop outlives none of them.
  const hog = busy ? startBusyCore(cases.length * runs * 200 + 60) : null;
  try {
    for (const c of cases) {
      const expected = JSON.parse(
        fs.readFileSync(path.join(fixtureDir(c), 'expected.json'), 'utf8'),
      ) as Expected;
      const want = c.verdict ?? expected.verdict;
      const truth = truthOf(c, expected);
      const outcomes: Outcome[] = [];
      for (let i = 0; i < runs; i++) {
        const keepDir = arg('--keep');
        const o = runOnce(
          c,
          expected,
          keepDir ? path.join(keepDir, `${c.name.replace(/[^\w.-]+/g, '_')}-${i + 1}`) : undefined,
        );
        outcomes.push(o);
        process.stderr.write(
          `${c.name} #${i + 1}: ${o.verdict} (exit ${o.exitCode}) ${o.wallSeconds.toFixed(1)} s estimate ${o.estimate ?? '-'}` +
            ` [${o.steps.map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}]\n`,
        );
      }
      breakdowns.push(breakdownRows(c.name, outcomes));
      const correct = outcomes.filter(
        (o) => o.verdict === want && (want === 'pass' || o.expectedFlagged),
      ).length;
      const count = (v: string): number => outcomes.filter((o) => o.verdict === v).length;
      const estimates = outcomes.map((o) => o.estimate).filter((e): e is number => e !== null);
      const est = estimates.length > 0 ? median(estimates) : null;
      // A fixture whose growth is not constant along its traffic (truth.json keeps the reference
      // sampler's series): each run against the truth over the requests its estimate describes.
      const curve = want === 'leak' && !c.env?.LEAK_BYTES_PER_REQUEST ? truthFile(c)?.curve : undefined;
      const pairs = outcomes.flatMap((o) => {
        if (o.estimate === null) return [];
        const t = curve && o.measured ? truthOver(curve, o.measured) : truth;
        return t ? [{ est: o.estimate, truth: t }] : [];
      });
      const truthShown = curve && pairs.length > 0 ? median(pairs.map((p) => p.truth)) : truth;
      if (curve)
        for (const [i, o] of outcomes.entries())
          process.stderr.write(
            `${c.name} #${i + 1}: estimate over requests ${o.measured?.join('–') ?? '-'}, truth over them ${o.measured ? (truthOver(curve, o.measured)?.toFixed(1) ?? '-') : '-'}\n`,
          );
      const error =
        pairs.length > 0 && truth ? median(pairs.map((p) => ((p.est - p.truth) / p.truth) * 100)) : null;
      // Within ±15% of the truth: for a leak, per run.
      const within = truth ? pairs.filter((p) => Math.abs(p.est - p.truth) <= 0.15 * p.truth).length : null;
      const verdictTimes = outcomes.map((o) => o.verdictSeconds).filter((t): t is number => t !== null);
      const span = (xs: number[]): string =>
        xs.length === 0
          ? '-'
          : `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
      rows.push(
        `| ${c.name} | ${want} on ${expected.metric ?? 'any'} | ${correct}/${runs} | ` +
          `${want === 'leak' ? count('leak') : '-'} | ${want === 'pass' ? count('leak') : '-'} | ${count('inconclusive')} | ` +
          `${truthShown === null ? '-' : curve ? `${truthShown.toPrecision(3)} (per run)` : truthShown} | ${est === null ? '-' : est.toPrecision(4)} | ${error === null ? '-' : `${error >= 0 ? '+' : ''}${error.toFixed(1)}%`} | ` +
          `${within === null ? '-' : `${within}/${runs}`} | ${span(verdictTimes)} | ${span(outcomes.map((o) => o.wallSeconds))} |`,
      );
    }
  } finally {
    hog?.kill('SIGKILL');
  }
  load.push(`after: ${os.loadavg()[0]?.toFixed(1)}`);
  void (async () => {
    const overhead: OverheadResult[] = [];
    if (!process.argv.includes('--no-overhead') && !busy) {
      for (const f of ['clean-http', 'clean-express', 'incident-auth']) {
        overhead.push(
          await measureOverhead(path.join(ROOT, 'fixtures', f), {
            pairs: 5,
            seconds: 4,
            samplesPerSecond: defaultSamplesPerSecond(),
            connections: 10,
          }),
        );
      }
    }
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const frameworks = withFrameworks
      ? ` Framework trials (bench/frameworks.ts): ${Object.entries(FRAMEWORK_VERSIONS)
          .map(([p, v]) => `${p} ${v}`)
          .join(', ')}, each replaying fixtures/traffic/combined.log.`
      : '';
    const lines = [
      '# leakcheck benchmark results',
      '',
      `Machine: ${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
      `Command: \`npm run bench -- --runs ${runs}${only ? ` --only ${only.join(',')}` : ''}${busy ? ' --busy' : ''}${withFrameworks ? ' --frameworks' : ''}${extraArgs().length ? ` --extra "${extraArgs().join(' ')}"` : ''}\` (${extraArgs().length ? `default settings but ${extraArgs().join(' ')}` : 'default settings'}, 10 connections, 15,000 users).${busy ? ' Another process kept one core busy (a CPU loop) throughout.' : ''} Load average (1 min) ${load.join(', ')}.${frameworks}`,
      '',
      '## Verdicts',
      '',
      'A run is correct when the overall verdict matches the fixture and, for a leak, the expected metric is among those flagged (a clean fixture passes only when no gating metric leaks). Estimates are the robust (Theil-Sen) slope of the expected metric, median over runs; wall time is from starting the CLI to its exit, start-up included.',
      '',
      '| case | expected | correct | flagged | false alarms | inconclusive | true per request | estimated (median) | error | within ±15% | s to verdict, median (min–max) | s to exit, median (min–max) |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ];
    if (breakdowns.some((b) => b !== '')) {
      lines.push(
        '## Where the time goes',
        '',
        "Median seconds per step over the runs, from the report's timings (attribution's steps after the verdict are in `attribution.timings`); the last step is the rest of the wall time: loading the CLI before the run's clock starts, then building the report, writing its files and exiting.",
        '',
        ...breakdowns.filter((b) => b !== ''),
      );
    }
    if (overhead.length > 0) {
      lines.push(
        '## Agent overhead on throughput',
        '',
        `Same process, load alternating between 4 s windows without samples and 4 s windows sampled at ${defaultSamplesPerSecond().toFixed(2)} samples/s (${defaultSpacingText()}), 5 pairs after a 3 s warm-up. Ratio = median of sampled/unsampled throughput over adjacent pairs (1.00 = no cost).`,
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
