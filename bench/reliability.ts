/**
 * Reliability against hostile targets: runs `leakcheck run` on fixtures/hostile in its modes
 * (SIGTERM ignored, double fork, setsid children, crash at start, crash mid-run, never listens) and
 * sends the harness SIGINT, SIGINT twice, SIGHUP, SIGTERM or SIGKILL at a seeded random moment.
 * After each run it counts what is left: processes of that run (found by a value unique to the run
 * in their environment), and leakcheck temporary folders (each run gets a TMPDIR of its own).
 * With `--compare` the chunk runs `leakcheck compare --pairs 2` instead, in a throw-away git
 * repository of the same fixture (base on main, head on a branch), and also counts the worktrees
 * left in the repository (base folders in TMPDIR are among the temporary folders).
 *
 * Usage: npm run build && tsx bench/reliability.ts [--runs 50] [--from 0] [--seed 1] [--fresh]
 *        [--rows bench/results-reliability.json] [--out bench/results-reliability.md] [--cli dist/cli/main.js]
 *        [--label "what was measured, e.g. the commit"]
 * Resumable in chunks: each run's mode, signal and moment depend only on the seed and its index,
 * rows are kept in --rows (run i replaces an earlier row i) and the report is written from every
 * row kept, so `--from 0 --runs 13`, `--from 13 --runs 13`, ... add up to one 50-run batch.
 * `--fresh` starts the rows file over.
 * Run it alone: flock -x /work/load.lock (numbers are counts, not timings, but a loaded machine
 * shifts the moments the signals land on).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, makeHostileRepo } from '../test/hostile-repo';
import { processesWith } from '../test/proc';

const ROOT = path.resolve(__dirname, '..');

const FIXTURE = path.join(ROOT, 'fixtures', 'hostile');

const MODES = ['ignore-term,setsid', 'double-fork', 'setsid', 'crash-start', 'crash-mid', 'never-listen'];
const SIGNALS = ['SIGINT', 'SIGINT twice', 'SIGHUP', 'SIGTERM', 'SIGKILL'] as const;
type Sent = (typeof SIGNALS)[number];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** The built CLI; --cli points at a copy of dist/ so a rebuild during a chunk does not disturb it. */
const CLI = path.resolve(arg('--cli') ?? path.join(ROOT, 'dist', 'cli', 'main.js'));

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A 32-bit integer hash (the finaliser of a common hash): neighbouring indices, unrelated seeds. */
function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

interface Outcome {
  index: number;
  mode: string;
  sent: Sent;
  atMs: number;
  exit: string;
  left: number;
  tempDirs: number;
  hung: boolean;
  /** `compare` rows: worktrees left in the repository (besides its own checkout). */
  worktrees?: number;
}

/** Worktrees of `repo` besides its own checkout, listed or with an entry left in .git/worktrees. */
function extraWorktrees(repo: string): number {
  const listed = (git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length ?? 1) - 1;
  const admin = path.join(repo, '.git', 'worktrees');
  return Math.max(listed, fs.existsSync(admin) ? fs.readdirSync(admin).length : 0);
}

const COMPARE = process.argv.includes('--compare');

async function once(i: number, seed: number): Promise<Outcome> {
  // One generator per run, from the seed and the index: a chunk reproduces its part of the batch.
  const random = rng(mix(Math.imul(seed, 1000) + i + 1));
  const mode = MODES[i % MODES.length] as string;
  const sent = SIGNALS[Math.floor(random() * SIGNALS.length)] as Sent;
  const atMs = Math.round(1500 + random() * 9000);
  const sleepTag = String(40000 + i);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lc-rel-'));
  const out = path.join(tmp, 'out');
  const runTmp = path.join(tmp, 'tmp');
  fs.mkdirSync(runTmp);
  const repo = path.join(tmp, 'repo');
  if (COMPARE) makeHostileRepo(repo);
  const args = COMPARE
    ? ['compare', '--base', 'main', '--install', 'none', '--pairs', '2', '--no-progress', '--out', out]
    : ['run', '--no-progress', '--out', out];
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: COMPARE ? repo : FIXTURE,
    env: { ...process.env, TMPDIR: runTmp, HOSTILE_MODE: mode, HOSTILE_SLEEP: sleepTag },
    stdio: 'ignore',
  });
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ? signal : `code ${code}`)),
  );
  const timers: NodeJS.Timeout[] = [];
  const send = (s: NodeJS.Signals): void => {
    try {
      child.kill(s);
    } catch {
      // already gone
    }
  };
  timers.push(
    setTimeout(() => {
      if (sent === 'SIGINT twice') {
        send('SIGINT');
        timers.push(setTimeout(() => send('SIGINT'), 300));
      } else send(sent as NodeJS.Signals);
    }, atMs),
  );
  let hung = false;
  const hang = setTimeout(() => {
    hung = true;
    send('SIGKILL');
  }, 90_000);
  const exit = await exited;
  clearTimeout(hang);
  for (const t of timers) clearTimeout(t);
  // Leftovers must be gone within a few seconds (after SIGKILL the agent needs its grace period).
  const needle = `HOSTILE_SLEEP=${sleepTag}\0`;
  // After SIGKILL the reaper removes the temporary folders once the processes are gone.
  const deadline = Date.now() + (sent === 'SIGKILL' ? 8000 : 3000);
  const folders = (): number => fs.readdirSync(runTmp).filter((n) => n.startsWith('leakcheck-')).length;
  let left = processesWith(needle);
  let tempDirs = folders();
  let worktrees = COMPARE ? extraWorktrees(repo) : 0;
  while ((left.length > 0 || tempDirs > 0 || worktrees > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = processesWith(needle);
    tempDirs = folders();
    worktrees = COMPARE ? extraWorktrees(repo) : 0;
  }
  // Clean up whatever is left so one failure does not pollute the next run (counted above).
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const outcome: Outcome = { index: i, mode, sent, atMs, exit, left: left.length, tempDirs, hung };
  if (COMPARE) outcome.worktrees = worktrees;
  return outcome;
}

async function main(): Promise<void> {
  const runs = Number(arg('--runs') ?? 50);
  const from = Number(arg('--from') ?? 0);
  const seed = Number(arg('--seed') ?? 1);
  const outFile = arg('--out') ?? path.join(__dirname, 'results-reliability.md');
  const rowsFile = arg('--rows') ?? path.join(__dirname, 'results-reliability.json');
  const kept: { seed: number; chunks: string[]; rows: Outcome[] } =
    !process.argv.includes('--fresh') && fs.existsSync(rowsFile)
      ? (JSON.parse(fs.readFileSync(rowsFile, 'utf8')) as { seed: number; chunks: string[]; rows: Outcome[] })
      : { seed, chunks: [], rows: [] };
  if (kept.seed !== seed) throw new Error(`${rowsFile} holds seed ${kept.seed}, not ${seed}: use --fresh`);
  for (let i = from; i < from + runs; i++) {
    const o = await once(i, seed);
    kept.rows = [...kept.rows.filter((r) => r.index !== i), o].sort((a, b) => a.index - b.index);
    fs.writeFileSync(rowsFile, JSON.stringify(kept, null, 1) + '\n');
    process.stderr.write(
      `#${i + 1} ${COMPARE ? 'compare ' : ''}${o.mode} ${o.sent} at ${o.atMs} ms: ${o.exit}, ${o.left} processes, ${o.tempDirs} temp dirs${COMPARE ? `, ${o.worktrees} worktrees` : ''}${o.hung ? ' HUNG' : ''}\n`,
    );
  }
  const label = arg('--label');
  kept.chunks.push(
    `runs ${from + 1}-${from + runs}${label ? ` (${label})` : ''}: ${new Date().toISOString().slice(0, 16)}Z, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  );
  fs.writeFileSync(rowsFile, JSON.stringify(kept, null, 1) + '\n');
  const rows = kept.rows;
  const total = (f: (o: Outcome) => number): number => rows.reduce((s, o) => s + f(o), 0);
  // A SIGKILL that landed while the harness ran (it exited by it), not after it had finished.
  const killed = rows.filter((o) => o.exit === 'SIGKILL' && o.sent === 'SIGKILL');
  const compares = rows.filter((o) => o.worktrees !== undefined);
  const lines = [
    '# Reliability against hostile targets',
    '',
    `Command: \`tsx bench/reliability.ts --seed ${seed} --from F --runs N [--compare]\` in chunks, each under ` +
      "`flock -x /work/load.lock` (other engineers' builds and unit tests were running on the same 2 cores):",
    '',
    ...kept.chunks.map((c) => `- ${c}`),
    '',
    `**${rows.length} runs: ${total((o) => o.left)} processes left, ${total((o) => o.tempDirs)} temporary folders left, ` +
      `${total((o) => o.worktrees ?? 0)} worktrees left, ${total((o) => Number(o.hung))} hangs.** ` +
      `${compares.length} of them ran \`leakcheck compare\` (the others \`leakcheck run\`). ` +
      `${killed.length} SIGKILLed the harness while it ran: ${killed.reduce((s, o) => s + o.left, 0)} processes, ` +
      `${killed.reduce((s, o) => s + o.tempDirs, 0)} temporary folders and ${killed.reduce((s, o) => s + (o.worktrees ?? 0), 0)} worktrees left by those.`,
    '',
    '| # | command | target mode | sent to the harness | at | harness exit | processes left | temp dirs left | worktrees left |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (o) =>
        `| ${o.index + 1} | ${o.worktrees === undefined ? 'run' : 'compare'} | ${o.mode} | ${o.sent} | ${(o.atMs / 1000).toFixed(1)} s | ${o.exit}${o.hung ? ' (hung, killed)' : ''} | ${o.left} | ${o.tempDirs} | ${o.worktrees ?? '–'} |`,
    ),
    '',
  ];
  fs.writeFileSync(outFile, lines.join('\n'));
  process.stderr.write(`wrote ${outFile}\n`);
}

void main();
