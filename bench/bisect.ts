/**
 * `npx tsx bench/bisect.ts`: `leakcheck bisect` on throw-away repositories of 20 commits
 * (test/e2e/bisect-repo.ts), the leaking commit at a different position each trial, and on the
 * deps branch where one commit only moves leaky-lib 1.0.0 → 1.0.1. Writes bench/results-bisect.md:
 * found or not, measured steps against ⌈log2 20⌉ + 3, and the bisect's wall time without installs
 * against ⌈log2 20⌉ + 4 single runs (`leakcheck run` of the bad revision with the same windows,
 * measured in the same trial).
 *
 * Flags: --main N (trials on the main line, default 10), --deps N (dependency trials, default 10),
 * --merge N (pairs of side-branch trials, first parents and --all-commits, default 0),
 * --fresh (forget earlier trials), --label TEXT (a series of trials shown apart from the others,
 * e.g. after a change to bisect or on a quiet machine). Trials accumulate in bench/results-bisect.json, so the bench can
 * be run in several short sittings; the Markdown is written from all of them.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BisectReport } from '../src/bisect/report';
import { makeBisectRepo } from '../test/e2e/bisect-repo';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RAW = path.join(__dirname, 'results-bisect.json');
const OUT = path.join(__dirname, 'results-bisect.md');
// Bounded by requests, as test/e2e/bisect.test.ts: every run measures the same evidence however
// busy the machine is (500 + 3,000 requests per run of a revision's two).
const WINDOWS = ['--warmup-requests', '1000', '--requests', '6000'];
const COMMITS = 20;
/** Heading of the hand-written section of real published packages, kept when the file is rewritten. */
const REAL_PACKAGES = '## Real published packages';
/** Where the leak goes in successive main-line trials: spread over the range, ends included. */
const POSITIONS = [11, 3, 17, 1, 20, 7, 14, 5, 19, 9];

/**
 * main: the leak on the main line; deps: a dependency bump; merge: a leak made on a side branch
 * and merged (bisect follows first parents: the merge is the answer); merge-all: the same with
 * --all-commits (the side branch's commit is the answer).
 */
type Kind = 'main' | 'deps' | 'merge' | 'merge-all';

interface Trial {
  kind: Kind;
  at: string;
  load: string;
  /** 1-based position of the leaking commit among the commits searched. */
  position: number;
  commits: number;
  expected: string;
  named: string | null;
  outcome: string;
  found: boolean;
  /** For deps trials: leaky-lib 1.0.0 → 1.0.1 named in the dependencies and the verdict line. */
  packageNamed: boolean | null;
  steps: number;
  exitCode: number | null;
  measureMs: number;
  installMs: number;
  totalMs: number;
  /** Wall time of one `leakcheck run` of the bad revision with the same windows. */
  singleRunMs: number;
  /** The series (--label) the trial belongs to; none for the first series. */
  label?: string;
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

function singleRun(cwd: string): number {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-run-'));
  const started = performance.now();
  spawnSync(process.execPath, [CLI, 'run', ...WINDOWS, '--out', out, '--no-progress'], {
    cwd,
    stdio: 'ignore',
    timeout: 300_000,
  });
  const ms = performance.now() - started;
  fs.rmSync(out, { recursive: true, force: true });
  return ms;
}

/** ⌈log2 n⌉ + extra: the step (3) and time (4) targets for a search among n commits. */
function target(commits: number, extra: number): number {
  return Math.ceil(Math.log2(commits)) + extra;
}

function trial(kind: Kind, index: number): Trial {
  const leakAt = POSITIONS[index % POSITIONS.length] as number;
  const depLeakAt = 2 + (index % 5); // 2..6 of 6
  const sideLeakAt = 2 + (index % 5); // 2..6 of the feature branch's 6
  const repo = makeBisectRepo({ commits: COMMITS, leakAt, depCommits: 6, depLeakAt, sideLeakAt });
  try {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-bench-bisect-'));
    const bad = kind === 'main' ? 'main' : kind === 'deps' ? 'deps' : 'side-merged';
    const searched =
      kind === 'merge' ? repo.sideLeak.firstParent : kind === 'merge-all' ? repo.sideLeak.all : null;
    const at = new Date().toISOString();
    const before = load();
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'bisect',
        '--good',
        'good',
        '--bad',
        bad,
        ...(kind === 'merge-all' ? ['--all-commits'] : []),
        ...WINDOWS,
        '--out',
        out,
        '--no-progress',
      ],
      { cwd: repo.dir, encoding: 'utf8', timeout: 900_000 },
    );
    const file = path.join(out, 'bisect.json');
    const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as BisectReport) : null;
    fs.rmSync(out, { recursive: true, force: true });
    // The single-run reference: the bad revision, installed, with the same windows.
    spawnSync('git', ['checkout', '-q', bad], { cwd: repo.dir });
    if (kind === 'deps') spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: repo.dir });
    const singleRunMs = singleRun(repo.dir);
    const expected = (
      kind === 'main'
        ? repo.leakCommit
        : kind === 'deps'
          ? repo.depLeakCommit
          : kind === 'merge'
            ? repo.sideLeak.merge
            : repo.sideLeak.leakCommit
    ) as string;
    const dep = report?.dependencies?.changed.find((c) => c.name === 'leaky-lib');
    return {
      kind,
      at,
      load: before,
      position: searched ? searched.indexOf(expected) + 1 : kind === 'main' ? leakAt : depLeakAt,
      commits: searched ? searched.length : kind === 'main' ? COMMITS : 6,
      expected,
      named: report?.firstBad?.sha ?? null,
      outcome: report?.outcome ?? `no report (exit ${run.status}): ${(run.stderr ?? '').slice(0, 200)}`,
      found: report?.firstBad?.sha === expected,
      packageNamed:
        kind === 'deps'
          ? dep?.from === '1.0.0' &&
            dep.to === '1.0.1' &&
            (report?.summary ?? '').includes('growth allocated inside leaky-lib, changed 1.0.0 → 1.0.1')
          : null,
      steps: report?.steps.length ?? 0,
      exitCode: run.status,
      measureMs: report?.timings.measureMs ?? 0,
      installMs: report?.timings.installMs ?? 0,
      totalMs: report?.timings.totalMs ?? 0,
      singleRunMs: Math.round(singleRunMs),
    };
  } finally {
    repo.remove();
  }
}

function s(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function write(trials: readonly Trial[]): void {
  const main = trials.filter((t) => t.kind === 'main');
  const deps = trials.filter((t) => t.kind === 'deps');
  const merge = trials.filter((t) => t.kind === 'merge');
  const mergeAll = trials.filter((t) => t.kind === 'merge-all');
  const lines: string[] = [];
  lines.push('# Bisect benchmark');
  lines.push('');
  lines.push(
    `Run: \`flock -x /work/load.lock npx tsx bench/bisect.ts\` on ${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? ''}), Node ${process.version}.`,
  );
  lines.push(
    'Each trial builds a fresh repository (test/e2e/bisect-repo.ts) and runs `leakcheck bisect --good good ' +
      `--bad <branch> ${WINDOWS.join(' ')}\` (2 runs of 500 warm-up + 3,000 measured requests per measured revision). ` +
      'The single run is `leakcheck run` of the bad revision with the same windows, in the same trial. ' +
      '"Without installs" is the bisect\'s total wall time minus its install time (worktree creation and git included). ' +
      'Load averages (1, 5, 15 min) are taken when the trial started; other engineers compiled and tested on the machine.',
  );
  lines.push('');
  const table = (rows: readonly Trial[]): void => {
    lines.push(
      '| trial | started | load | leak at | named | steps (target ≤ ⌈log2 n⌉ + 3) | measuring s | without installs s | installs s | single run s | ' +
        'without installs / single run (target ≤ ⌈log2 n⌉ + 4) |',
    );
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    rows.forEach((t, i) => {
      const ratio = t.singleRunMs > 0 ? (t.totalMs - t.installMs) / t.singleRunMs : NaN;
      lines.push(
        `| ${i + 1} | ${t.at.slice(11, 19)} | ${t.load} | ${t.position} of ${t.commits} | ` +
          `${t.found ? 'yes' : `no (${t.outcome}${t.named ? ` ${t.named.slice(0, 12)}` : ''})`}` +
          `${t.packageNamed === null ? '' : t.packageNamed ? ', leaky-lib 1.0.0 → 1.0.1 named' : ', package NOT named'} | ` +
          `${t.steps} (≤ ${target(t.commits, 3)}) | ${s(t.measureMs)} | ${s(t.totalMs - t.installMs)} | ${s(t.installMs)} | ${s(t.singleRunMs)} | ${ratio.toFixed(2)} |`,
      );
    });
    lines.push('');
  };
  const summary = (rows: readonly Trial[], what: string): void => {
    if (rows.length === 0) {
      lines.push(`No ${what} trials yet.`);
      lines.push('');
      return;
    }
    const found = rows.filter((t) => t.found).length;
    const withinSteps = rows.filter((t) => t.steps <= target(t.commits, 3)).length;
    const withinTime = rows.filter(
      (t) => (t.totalMs - t.installMs) / t.singleRunMs <= target(t.commits, 4),
    ).length;
    const named = rows.filter((t) => t.packageNamed === true).length;
    lines.push(
      `${what}: found ${found}/${rows.length}; steps within ⌈log2 n⌉ + 3 ${withinSteps}/${rows.length}; ` +
        `wall time without installs within ⌈log2 n⌉ + 4 single runs ${withinTime}/${rows.length}` +
        (rows[0]?.kind === 'deps' ? `; package and both versions named ${named}/${rows.length}` : '') +
        '.',
    );
    lines.push('');
  };
  lines.push('## The leaking commit among 20 (leak in the service code)');
  lines.push('');
  const firstSeries = main.filter((t) => t.label === undefined);
  summary(firstSeries, 'Main line');
  if (firstSeries.length > 0) table(firstSeries);
  for (const label of [...new Set(main.map((t) => t.label).filter((l) => l !== undefined))]) {
    const series = main.filter((t) => t.label === label);
    lines.push(`### ${label}`);
    lines.push('');
    summary(series, 'Main line');
    table(series);
  }
  lines.push(
    '## A dependency-only leak (leaky-lib 1.0.0 → 1.0.1 in a commit that touches only package.json and the lock file)',
  );
  lines.push('');
  summary(deps, 'Dependency');
  if (deps.length > 0) table(deps);
  lines.push('## A leak made on a side branch and merged (branch `side-merged`)');
  lines.push('');
  lines.push(
    'The feature branch (6 commits, the leak at the position given) is merged with a real merge into a clean ' +
      'main line, and 2 commits follow. By default bisect follows first parents, so the merge is the first ' +
      'leaking commit it can name; with `--all-commits` it must name the feature branch commit.',
  );
  lines.push('');
  summary(merge, 'First parents');
  if (merge.length > 0) table(merge);
  summary(mergeAll, 'All commits');
  if (mergeAll.length > 0) table(mergeAll);
  // The real-package trials (bench/real-deps.ts) are written by hand below the generated part.
  const kept = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
  const at = kept.indexOf(`\n${REAL_PACKAGES}`);
  fs.writeFileSync(OUT, lines.join('\n') + (at >= 0 ? kept.slice(at) : ''));
}

function main(): void {
  const fresh = process.argv.includes('--fresh');
  const trials: Trial[] =
    !fresh && fs.existsSync(RAW) ? (JSON.parse(fs.readFileSync(RAW, 'utf8')) as Trial[]) : [];
  const mainTrials = flag('--main', 10);
  const depTrials = flag('--deps', 10);
  const mergeTrials = flag('--merge', 0);
  const at = process.argv.indexOf('--label');
  const label = at >= 0 ? process.argv[at + 1] : undefined;
  const done = (kind: string): number => trials.filter((t) => t.kind === kind).length;
  for (let i = 0; i < mainTrials; i++) {
    const t = { ...trial('main', done('main')), ...(label !== undefined ? { label } : {}) };
    trials.push(t);
    fs.writeFileSync(RAW, JSON.stringify(trials, null, 2) + '\n');
    process.stderr.write(`main ${t.position}: ${t.found ? 'found' : t.outcome} in ${t.steps} steps\n`);
  }
  for (let i = 0; i < depTrials; i++) {
    const t = trial('deps', done('deps'));
    trials.push(t);
    fs.writeFileSync(RAW, JSON.stringify(trials, null, 2) + '\n');
    process.stderr.write(`deps ${t.position}: ${t.found ? 'found' : t.outcome} in ${t.steps} steps\n`);
  }
  for (let i = 0; i < mergeTrials; i++) {
    for (const kind of ['merge', 'merge-all'] as const) {
      const t = trial(kind, done(kind));
      trials.push(t);
      fs.writeFileSync(RAW, JSON.stringify(trials, null, 2) + '\n');
      process.stderr.write(`${kind} ${t.position}: ${t.found ? 'found' : t.outcome} in ${t.steps} steps\n`);
    }
  }
  write(trials);
}

main();
