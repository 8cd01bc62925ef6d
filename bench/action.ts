/**
 * `npx tsx bench/action.ts`: the CI gate's targets, measured with the committed Action bundle and
 * the built CLI, default settings, and written to bench/results-action.md:
 * - the clean fixture (clean-http) through the gate N times: failures must be 0;
 * - the incident's leak (incident-auth) through the gate N times: it must fail N of N;
 * - compare mode on a clean pull request (a throw-away repository whose head only touches a
 *   comment) against a single run of the same service: wall time at most 2×.
 *
 * Flags: --runs N (gate repetitions per fixture, default 20), --compare-runs M (default 3, 0 to
 * skip), --warmup S (the gate's warm-up input; default: the config's 3 s), --out FILE. Run
 * `npm run build` and `npm run build:action` first.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CompareReport } from '../src/compare/report';
import { commandLines, removeActionRuns, runAction } from '../test/e2e/action-helpers';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? (s[m] as number)
      : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function fmt(n: number, d = 1): string {
  return Number.isFinite(n) ? n.toFixed(d) : '–';
}

interface GateOutcome {
  code: number | null;
  verdict: string;
  bytesPerRequest: number;
  annotations: number;
  seconds: number;
}

async function gate(fixture: string, warmup: string | undefined): Promise<GateOutcome> {
  const started = performance.now();
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-action-'));
  try {
    const run = await runAction(
      { 'working-directory': `fixtures/${fixture}`, 'report-dir': reportDir, ...(warmup ? { warmup } : {}) },
      { timeoutMs: 300_000 },
    );
    return {
      code: run.code,
      verdict: run.outputs.verdict ?? '(none)',
      bytesPerRequest: Number(run.outputs['bytes-per-request']),
      annotations: commandLines(run.stdout, 'error').filter((l) => l.includes('file=')).length,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    fs.rmSync(reportDir, { recursive: true, force: true });
    removeActionRuns();
  }
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', timeout: 60_000 });
}

/** A repository whose head changes only a comment in a clean service: a clean pull request. */
function cleanPullRequest(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-repo-'));
  const fixture = path.join(ROOT, 'fixtures', 'pr-compare');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'bench@example.invalid');
  git(dir, 'config', 'user.name', 'leakcheck bench');
  for (const f of ['package.json', 'package-lock.json', 'leakcheck.config.json']) {
    fs.copyFileSync(path.join(fixture, f), path.join(dir, f));
  }
  fs.writeFileSync(path.join(dir, '.gitignore'), '.leakcheck*/\nnode_modules/\n');
  const clean = fs.readFileSync(path.join(fixture, 'clean.js'), 'utf8');
  fs.writeFileSync(path.join(dir, 'server.js'), clean);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'checkout', '-q', '-b', 'feature');
  fs.writeFileSync(
    path.join(dir, 'server.js'),
    `${clean}// a comment: the pull request changes nothing else\n`,
  );
  git(dir, 'commit', '-q', '-a', '-m', 'head');
  return dir;
}

function timedCli(args: string[], cwd: string): { seconds: number; code: number | null } {
  const started = performance.now();
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore', timeout: 600_000 });
  return { seconds: (performance.now() - started) / 1000, code: res.status };
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 20);
  const compareRuns = Number(arg('--compare-runs') ?? 3);
  const warmup = arg('--warmup');
  const out = path.resolve(arg('--out') ?? path.join(ROOT, 'bench', 'results-action.md'));
  const lines: string[] = [];
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };

  const gates: Array<{ fixture: string; expect: 'pass' | 'fail'; outcomes: GateOutcome[] }> = [
    { fixture: 'clean-http', expect: 'pass', outcomes: [] },
    { fixture: 'incident-auth', expect: 'fail', outcomes: [] },
  ];
  // Interleaved, so a slow patch of the machine falls on both fixtures.
  for (let i = 0; i < runs; i++) {
    for (const g of gates) {
      const o = await gate(g.fixture, warmup);
      g.outcomes.push(o);
      log(`${g.fixture} ${i + 1}/${runs}: exit ${o.code}, ${o.verdict}, ${fmt(o.bytesPerRequest)} B/request`);
    }
  }

  const repo = compareRuns > 0 ? cleanPullRequest() : null;
  const single: number[] = [];
  const compare: number[] = [];
  const compareVerdicts: string[] = [];
  try {
    for (let i = 0; repo !== null && i < compareRuns; i++) {
      const s = timedCli(['run', '--no-progress', '--out', path.join(repo, '.leakcheck-run')], repo);
      single.push(s.seconds);
      const c = timedCli(
        ['compare', '--base', 'main', '--no-progress', '--out', path.join(repo, '.leakcheck-cmp')],
        repo,
      );
      compare.push(c.seconds);
      const report = JSON.parse(
        fs.readFileSync(path.join(repo, '.leakcheck-cmp', 'compare.json'), 'utf8'),
      ) as CompareReport;
      compareVerdicts.push(`${report.verdict} (exit ${c.code})`);
      log(
        `compare ${i + 1}/${compareRuns}: single ${fmt(s.seconds)} s, compare ${fmt(c.seconds)} s, ${report.verdict}`,
      );
    }
  } finally {
    if (repo !== null) fs.rmSync(repo, { recursive: true, force: true });
  }

  lines.push('# The CI gate: benchmark');
  lines.push('');
  lines.push(
    `Generated by \`npx tsx bench/action.ts --runs ${runs} --compare-runs ${compareRuns}${warmup ? ` --warmup ${warmup}` : ''}\` on ${new Date().toISOString().slice(0, 10)}, ` +
      `Node ${process.version}, ${os.cpus().length} CPUs, load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' / ',
        )}. Gate settings: ${warmup ? `${warmup} s warm-up` : 'default 3 s warm-up'}, 10 s measured, ` +
      'thresholds from the catalogue.',
  );
  lines.push('');
  lines.push('## Gate outcomes (the committed Action bundle, dist-action/index.js)');
  lines.push('');
  lines.push(
    '| fixture | expected | runs | step failed | verdicts | B/request, median (min–max) | annotated lines, median | wall s, median |',
  );
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const g of gates) {
    const failed = g.outcomes.filter((o) => o.code !== 0).length;
    const verdicts = Object.entries(
      g.outcomes.reduce<Record<string, number>>(
        (acc, o) => ({ ...acc, [o.verdict]: (acc[o.verdict] ?? 0) + 1 }),
        {},
      ),
    )
      .map(([v, n]) => `${v} ${n}`)
      .join(', ');
    const bpr = g.outcomes.map((o) => o.bytesPerRequest).filter(Number.isFinite);
    lines.push(
      `| ${g.fixture} | ${g.expect === 'pass' ? 'passes' : 'fails'} | ${g.outcomes.length} | ${failed} | ${verdicts} | ` +
        `${fmt(median(bpr))} (${fmt(Math.min(...bpr))}–${fmt(Math.max(...bpr))}) | ` +
        `${median(g.outcomes.map((o) => o.annotations))} | ${fmt(median(g.outcomes.map((o) => o.seconds)))} |`,
    );
  }
  const clean = gates[0]?.outcomes ?? [];
  const leak = gates[1]?.outcomes ?? [];
  lines.push('');
  lines.push(
    `Targets: the clean fixture fails the gate in 0 of ${clean.length} runs (measured: **${clean.filter((o) => o.code !== 0).length}**); ` +
      `the incident leak fails it in ${leak.length} of ${leak.length} (measured: **${leak.filter((o) => o.code === 1).length}**).`,
  );
  lines.push('');
  if (compareRuns > 0) {
    lines.push('## Compare mode on a clean pull request versus a single run');
    lines.push('');
    lines.push('| | wall s, median (min–max) |');
    lines.push('| --- | --- |');
    lines.push(
      `| \`leakcheck run\` | ${fmt(median(single))} (${fmt(Math.min(...single))}–${fmt(Math.max(...single))}) |`,
    );
    lines.push(
      `| \`leakcheck compare --base main\` (2 pairs) | ${fmt(median(compare))} (${fmt(Math.min(...compare))}–${fmt(Math.max(...compare))}) |`,
    );
    const ratio = median(compare) / median(single);
    lines.push('');
    lines.push(
      `Ratio of medians: **${fmt(ratio, 2)}×** (target at most 2×). Compare verdicts: ${compareVerdicts.join(', ')}.`,
    );
    lines.push('');
    lines.push(
      "Compare splits the single run's warm-up and measured window over the pairs (2 pairs: each run 1.5 s + 5 s), so " +
        'each side is measured for as long as one run; what it adds is the base worktree, its `npm ci`, and one ' +
        'start-up and stop per extra run.',
    );
  }
  fs.writeFileSync(out, lines.join('\n') + '\n');
  log(`wrote ${out}`);
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
