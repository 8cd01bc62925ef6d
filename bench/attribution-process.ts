/**
 * Where attribution runs, compared on the leaking fixtures: in a new process of the service after
 * the leak verdict (`attribution.runIn: new-process`, the default) against the measured process
 * (`measured-process`, the profiler sampling from preload). Each run is `leakcheck run` with the
 * fixture's config plus `runIn`, the two alternating; written to bench/results-attribution-process.md.
 *
 * Per run: the verdict, its time, the wall time to exit, attribution's steps in all, the top
 * allocation site (and whether it is in the file whose function allocates the leak), how many
 * sites and object groups were reported, and any note beyond the usual ones.
 *
 * Run: npm run build && npx tsx bench/attribution-process.ts   (RUNS=2, ONLY=incident-auth,...;
 * FROM=<saved stdout> rebuilds the table from an earlier run's logged outcomes)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SNAPSHOTS_DELETED_NOTE } from '../src/attribution';
import type { Report } from '../src/report/report';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const RUNS = Number(process.env.RUNS ?? 2);
const MODES = ['new-process', 'measured-process'] as const;
type Mode = (typeof MODES)[number];

interface Case {
  fixture: string;
  /** A log to replay (relative to the fixture). */
  replay?: string;
  /**
   * The file whose function allocates the leak (relative to the repository); none for array-leak,
   * whose store of numbers is found by the snapshots alone.
   */
  leakFile?: string;
}

const CASES: Case[] = [
  { fixture: 'incident-auth', leakFile: 'fixtures/incident-auth/server.js' },
  { fixture: 'slow-leak', leakFile: 'fixtures/slow-leak/leak.js' },
  { fixture: 'array-leak' },
  { fixture: 'buffer-leak', leakFile: 'fixtures/buffer-leak/server.js' },
  { fixture: 'ts-service', leakFile: 'fixtures/ts-service/src/sessions.ts' },
  { fixture: 'shop-leak16', leakFile: 'fixtures/shop-leak16/server.js' },
  {
    fixture: 'shop-url-cache',
    replay: '../traffic/combined.log',
    leakFile: 'fixtures/shop-url-cache/server.js',
  },
  { fixture: 'shop-esm-leak', leakFile: 'fixtures/shop-esm-leak/server.js' },
  // Its leak is shop-leak16's audit trail, loaded from that fixture.
  { fixture: 'shop-sawtooth-leak', leakFile: 'fixtures/shop-leak16/server.js' },
];

interface Outcome {
  verdict: string;
  verdictS: number | null;
  wallS: number;
  attributionS: number;
  /** The top site as `function file:line` (file relative to the repository), or '-'. */
  top: string;
  sites: number;
  groups: number;
  notes: string[];
}

function runOnce(c: Case, mode: Mode): Outcome {
  const dir = path.join(ROOT, 'fixtures', c.fixture);
  const base = JSON.parse(fs.readFileSync(path.join(dir, 'leakcheck.config.json'), 'utf8')) as {
    attribution?: Record<string, unknown>;
  };
  // Beside the fixture's own config: its relative paths resolve against the config's folder.
  const cfg = path.join(dir, `.leakcheck-bench-${process.pid}-${mode}.json`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-attr-'));
  try {
    fs.writeFileSync(cfg, JSON.stringify({ ...base, attribution: { ...base.attribution, runIn: mode } }));
    const replay = c.replay ? ['--replay', path.resolve(dir, c.replay)] : [];
    const started = performance.now();
    spawnSync(
      process.execPath,
      [CLI, 'run', '--config', cfg, '--out', out, '--no-progress', '--json', ...replay],
      {
        encoding: 'utf8',
        timeout: 180_000,
      },
    );
    const wallS = (performance.now() - started) / 1000;
    const file = path.join(out, 'report.json');
    const report = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Report) : null;
    const findings = report?.findings ?? [];
    const sites = findings.filter((f) => f.kind === 'allocation-site');
    const top = sites[0];
    const seq = (report as unknown as { sequential?: { timeToVerdictMs?: number } } | null)?.sequential;
    const timings = report?.attribution?.timings ?? [];
    return {
      verdict: report?.verdict ?? 'no report',
      verdictS: seq?.timeToVerdictMs !== undefined ? seq.timeToVerdictMs / 1000 : null,
      wallS,
      attributionS: timings.reduce((sum, t) => sum + t.ms, 0) / 1000,
      top: top ? `${top.function ?? '?'} ${path.relative(ROOT, top.file ?? '?')}:${top.line ?? '?'}` : '-',
      sites: sites.length,
      groups: findings.filter((f) => f.kind !== 'allocation-site').length,
      notes: (report?.attribution?.notes ?? []).filter(
        (n) => n !== SNAPSHOTS_DELETED_NOTE && !n.startsWith('attribution ran in a new process'),
      ),
    };
  } finally {
    fs.rmSync(cfg, { force: true });
    fs.rmSync(out, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

/** Whether a top site (`function file:line`) is in the leak's file. */
function inLeakFile(top: string, c: Case | undefined): boolean {
  const file = top
    .split(' ')
    .at(-1)
    ?.replace(/:[^:]*$/, '');
  return c?.leakFile !== undefined && file === c.leakFile;
}

/** The outcomes logged by an earlier run (its stdout lines `<fixture> <mode> #<i>: <json>`). */
function fromLog(file: string, header: string[]): Map<string, Outcome[]> {
  const results = new Map<string, Outcome[]>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('# ')) header.push(line.slice(2));
    const m = /^(\S+) (new-process|measured-process) #\d+: (\{.*\})$/.exec(line);
    if (!m) continue;
    const key = `${m[1]}|${m[2]}`;
    results.set(key, [...(results.get(key) ?? []), JSON.parse(m[3] as string) as Outcome]);
  }
  return results;
}

function main(): void {
  const only = process.env.ONLY?.split(',');
  const cases = only ? CASES.filter((c) => only.includes(c.fixture)) : CASES;
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  const loadBefore = load();
  // FROM=<file>: the table again from an earlier run's output, nothing run.
  const logged: string[] = [];
  const results = process.env.FROM ? fromLog(process.env.FROM, logged) : new Map<string, Outcome[]>();
  if (!process.env.FROM)
    console.log(`# started ${new Date().toISOString()}, load average before: ${loadBefore}`);
  for (const c of process.env.FROM ? [] : cases) {
    for (let i = 0; i < RUNS; i++) {
      // Alternating, and which goes first alternates too.
      const order = i % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const o = runOnce(c, mode);
        const key = `${c.fixture}|${mode}`;
        results.set(key, [...(results.get(key) ?? []), o]);
        console.log(`${c.fixture} ${mode} #${i + 1}: ${JSON.stringify(o)}`);
      }
    }
  }
  if (!process.env.FROM) console.log(`# ended ${new Date().toISOString()}, load average after: ${load()}`);
  const rows = [...results.entries()].map(([key, os_]) => {
    const [fixture, mode] = key.split('|');
    const c = CASES.find((x) => x.fixture === fixture);
    const s = (xs: Array<number | null>): string => {
      const v = xs.filter((x): x is number => x !== null);
      return v.length
        ? `${median(v).toFixed(1)} (${Math.min(...v).toFixed(1)}-${Math.max(...v).toFixed(1)})`
        : '-';
    };
    const tops = [...new Set(os_.map((o) => o.top))].join('; ');
    const notes = [...new Set(os_.flatMap((o) => o.notes))].join('; ') || '-';
    return `| ${fixture} | ${mode} | ${os_.map((o) => o.verdict).join(', ')} | ${s(os_.map((o) => o.verdictS))} | ${s(os_.map((o) => o.wallS))} | ${s(os_.map((o) => o.attributionS))} | ${tops} | ${c?.leakFile ? `${os_.filter((o) => inLeakFile(o.top, c)).length}/${os_.length}` : '-'} | ${os_.map((o) => o.sites).join(', ')} | ${os_.map((o) => o.groups).join(', ')} | ${notes} |`;
  });
  const text = [
    '# Where attribution runs: a new process after the verdict, or the measured process',
    '',
    process.env.FROM
      ? `Run: \`${process.env.RUNS ? `RUNS=${RUNS} ` : ''}npx tsx bench/attribution-process.ts\`; this table from its logged outcomes (\`FROM=${process.env.FROM}\`), on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}. From the log: ${logged.join('; ') || 'no dates'}.`
      : `Run: \`${process.env.RUNS ? `RUNS=${RUNS} ` : ''}${process.env.ONLY ? `ONLY=${process.env.ONLY} ` : ''}npx tsx bench/attribution-process.ts\` on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${new Date().toISOString()}. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}.`,
    '',
    "Each leaking fixture with its own config, attribution in a new process of the service (`attribution.runIn: new-process`, the default) and in the measured process (`measured-process`: the sampling heap profiler from preload), alternating. Times are medians (min-max) in seconds: the verdict's from the run's start, the wall time to the CLI's exit, and attribution's steps in all (for a new process: its start and warm-up included). Top site: the first allocation site reported, and in how many runs it was in the file whose function allocates the leak (array-leak's store of numbers has no allocation site: the snapshots find it).",
    '',
    "| fixture | runIn | verdicts | verdict s | exit s | attribution s | top site | top in the leak's file | sites | groups | other notes |",
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  if (process.env.OUT) fs.writeFileSync(process.env.OUT, text);
  console.log(text);
}

main();
