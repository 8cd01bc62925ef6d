/**
 * The part of `--help` after the options: examples and exit codes per command, and where the
 * documentation is. The numbers come from the outcome module's EXIT table; this file only says
 * what each code means for a command. test/unit/cli-docs.test.ts checks that every example parses.
 */
import type { Command } from 'commander';
import { EXIT, EXIT_CODES } from '../outcome';
import { PROCESS_TABLE_ENV } from '../target/process-table';

type Outcome = keyof typeof EXIT;

/** Examples and the meaning of each exit code, for one command. */
export interface CommandHelp {
  /** Two or three command lines as a user would type them. */
  examples: string[];
  /** What each exit code means here; codes a command never returns are left out. */
  exits: Partial<Record<Outcome, string>>;
}

const RUN_EXITS: CommandHelp['exits'] = {
  pass: 'no leak (nothing --fail-on counts)',
  leak: 'a leak, or what --fail-on names (inconclusive, any)',
  usage: 'bad flag, config file, traffic file or command',
  infrastructure: 'the service did not start, crashed or the run failed',
  interrupted: 'interrupted (Ctrl-C); the partial report is written',
};

/** Help for every command, keyed by its path ("traffic import"). */
export const COMMAND_HELP: Record<string, CommandHelp> = {
  run: {
    examples: [
      'leakcheck run -- node server.js',
      'leakcheck run --url http://127.0.0.1:3000 --ready /health -- npm start',
      'leakcheck run --replay access.log --input-format combined --out reports --format junit,sarif -- node server.js',
    ],
    exits: RUN_EXITS,
  },
  report: {
    examples: [
      'leakcheck report .leakcheck/report.json --format markdown',
      'leakcheck report .leakcheck/report.json --format html -o report.html',
      'leakcheck report .leakcheck/report.json --format junit --inconclusive fail -o junit.xml',
    ],
    exits: { pass: 'rendered', usage: 'missing or invalid report file, bad flag, unwritable output' },
  },
  init: {
    examples: [
      'leakcheck init',
      'leakcheck init --command "node dist/main.js" --no-workflow',
      'leakcheck init --dir packages/api --action my-org/leakcheck@v0',
    ],
    exits: { pass: 'files written (or kept)', usage: 'bad flag, or no start command found' },
  },
  compare: {
    examples: [
      'leakcheck compare --base origin/main -- node server.js',
      'leakcheck compare --base origin/main --max-pairs 6 --install "npm ci" -- npm start',
      'leakcheck compare --base v1.4.0 --format json,markdown -- node server.js',
    ],
    exits: {
      pass: 'the head grows no more than the base',
      leak: 'the head grows more than the base, or what --fail-on names',
      usage: 'bad flag, config or base ref',
      infrastructure: 'a checkout, install or run failed',
      interrupted: 'interrupted (Ctrl-C)',
    },
  },
  bisect: {
    examples: [
      'leakcheck bisect --good v1.4.0 -- node server.js',
      'leakcheck bisect --good v1.4.0 --bad main --install "npm ci" --max-steps 10 -- npm start',
      'leakcheck bisect --good 3f2a9c1 --all-commits --format json,markdown -- node server.js',
    ],
    exits: {
      pass: 'the bad revision does not leak against the good one (or not clearly)',
      leak: 'a first leaking commit, or the range it lies in, is named',
      usage: 'bad flag, config or ref; the good revision is not an ancestor of the bad one, or leaks too',
      infrastructure: 'the good or bad revision could not be installed or measured, or git failed',
      interrupted: 'interrupted (Ctrl-C); worktrees removed',
    },
  },
  traffic: {
    examples: ['leakcheck traffic import access.log -o traffic.json'],
    exits: { pass: 'done', usage: 'bad flag or unknown subcommand' },
  },
  'traffic import': {
    examples: [
      'leakcheck traffic import access.log -o traffic.json',
      'leakcheck traffic import app.jsonl --input-format jsonl --fields method=req.method,url=req.url -o traffic.json',
      'leakcheck traffic import session.har --origin https://api.example.com --verbatim',
    ],
    exits: { pass: 'model written', usage: 'unreadable log, no usable requests, or a bad flag' },
  },
  watch: {
    examples: [
      "leakcheck watch --prometheus http://prometheus:9090 --query 'leakcheck_heap_used_after_gc_bytes'",
      "leakcheck watch --prometheus http://prometheus:9090 --query 'leakcheck_heap_used_after_gc_bytes' --range 24h --format markdown -o watch.md",
    ],
    exits: {
      pass: 'no leak',
      leak: 'a leak, or what --fail-on names',
      usage: 'bad flag or a query Prometheus rejects',
      infrastructure: 'Prometheus unreachable or failing',
    },
  },
  alerts: {
    examples: [
      'leakcheck alerts -o leakcheck-rules.yml',
      'leakcheck alerts --selector job="api" --horizon 2h -o leakcheck-rules.yml',
    ],
    exits: { pass: 'rules written', usage: 'bad flag or unwritable output' },
  },
};

/** Fallback for a command without an entry above: the shared table's own wording. */
const SHARED_EXITS: CommandHelp['exits'] = Object.fromEntries(
  EXIT_CODES.map((row) => [row.name, row.meaning]),
);

/** Where the full documentation is (the README ships in the package). */
export const DOCS_POINTER =
  'Documentation: the README (node_modules/leakcheck/README.md, or the repository front page) covers\n' +
  'configuration, traffic replay, the GitHub Action, compare, bisect, watch and alerts.';

/** The text shown after a command's options. */
export function helpText(name: string): string {
  const help = COMMAND_HELP[name];
  const exits = help?.exits ?? SHARED_EXITS;
  const lines: string[] = [];
  if (help && help.examples.length > 0) {
    lines.push('', 'Examples:', ...help.examples.map((e) => `  $ ${e}`));
  }
  lines.push('', 'Exit codes:');
  for (const [outcome, meaning] of Object.entries(exits) as [Outcome, string][]) {
    lines.push(`  ${String(EXIT[outcome]).padEnd(4)}${meaning}`);
  }
  return lines.join('\n') + '\n';
}

/** Adds examples, exit codes and the documentation pointer to every command's help. */
export function addHelpTexts(program: Command): void {
  program.addHelpText(
    'after',
    [
      '',
      'Run `leakcheck <command> --help` for its flags, examples and exit codes.',
      '',
      'Environment:',
      '  NO_COLOR, FORCE_COLOR     colours off / on (the --color and --no-color flags win)',
      `  ${PROCESS_TABLE_ENV.padEnd(24)}ps: read the process tree with ps even where /proc exists`,
      '',
      DOCS_POINTER,
      '',
    ].join('\n'),
  );
  const visit = (cmd: Command, prefix: string): void => {
    for (const sub of cmd.commands) {
      const name = prefix ? `${prefix} ${sub.name()}` : sub.name();
      sub.addHelpText('after', helpText(name));
      visit(sub, name);
    }
  };
  visit(program, '');
}
