/**
 * `leakcheck compare --base <git-ref> [run options] -- <command...>`: measure the merge base and
 * the head in alternating runs and gate on the growth the head adds.
 */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load';
import { compareWithBase, type CompareStep } from '../compare/run';
import { DEFAULT_MAX_PAIRS } from '../compare/looks';
import { renderCompareMarkdown, renderCompareTerminal } from '../compare/render';
import { formatNumber } from '../analysis/format';
import { reportError } from './errors';
import { addFormatAliases, addFormatList, stdoutFormat } from './formats';
import { positiveInt, positiveNumber } from './options';
import { handleStopSignals } from './signals';
import { overridesFromFlags, registerRun } from './run';
import { displayPath, writeTextFiles } from './output';
import { toolVersion } from './version';

/** The run flags compare takes as they are (see `leakcheck run --help`). */
type RunFlagsOf = Parameters<typeof overridesFromFlags>[0];

interface CompareFlags extends RunFlagsOf {
  base: string;
  pairs?: number;
  maxPairs: number;
  install?: string;
  installTimeout?: number;
  /** --format: text or json on stdout, markdown as compare.md in the report folder. */
  format?: CompareFormat[];
  /** Deprecated: --format markdown (this file instead of the report folder's). */
  markdown?: string;
}

/** What `compare --format` (and `bisect --format`) take. */
export const COMPARE_FORMATS = ['text', 'json', 'markdown'] as const;
type CompareFormat = (typeof COMPARE_FORMATS)[number];

/**
 * The `run` flags compare takes, as `run` defines them (parsers, help): those that shape the
 * configuration, plus output and gating. Others (--replay, --junit, ...) are not offered, so they
 * fail as unknown options rather than being ignored.
 */
const RUN_FLAGS_FOR_COMPARE = new Set([
  '--config',
  '--url',
  '--ready',
  '--connections',
  '--rate',
  '--users',
  '--seed',
  '--warmup',
  '--warmup-requests',
  '--duration',
  '--requests',
  '--samples',
  '--threshold',
  '--min-growth',
  '--confidence',
  '--rps',
  '--timeout',
  '--ready-timeout',
  '--out',
  '--no-progress',
  '--snapshots',
  '--no-attribution',
  '--fail-on',
]);

/**
 * Adds the `run` flags that shape the configuration, output and gating to a command that measures
 * revisions (compare, bisect), taken from `leakcheck run`'s own definitions so they never drift.
 *
 * @param command - the command to extend (flags it defines itself are kept)
 * @param except - flags of the list it does not take
 */
export function addRunFlags(command: Command, except: readonly string[] = []): void {
  const template = new Command();
  registerRun(template);
  const run = template.commands.find((c) => c.name() === 'run');
  for (const option of run?.options ?? []) {
    if (!option.long || !RUN_FLAGS_FOR_COMPARE.has(option.long) || except.includes(option.long)) continue;
    if (command.options.some((o) => o.long === option.long)) continue;
    command.addOption(option as Option);
  }
}

/** Registers the `compare` command, with every `run` flag as well. */
export function registerCompare(program: Command): void {
  const command = program
    .command('compare')
    .description(
      'measure the merge base of HEAD and a base branch against HEAD, in alternating runs, and fail only for growth the head adds',
    )
    .argument('[command...]', 'the command that starts the service (after --), e.g. -- node server.js')
    .requiredOption(
      '--base <ref>',
      'base branch or commit, e.g. origin/main (its merge base with HEAD is measured)',
    )
    .option(
      '--max-pairs <n>',
      'most pairs of runs, base and head alternating (default 4); from the second pair on the difference is judged after each pair, and the comparison stops once it is a leak or a pass',
      positiveInt,
      DEFAULT_MAX_PAIRS,
    )
    .option(
      '--pairs <n>',
      'a fixed number of pairs instead, judged once at the end; each run gets 1/n of --warmup and --duration',
      positiveInt,
    )
    .option(
      '--install <command>',
      'install command for the base checkout (default: npm ci, pnpm or yarn by lock file; "none" for none)',
    )
    .option('--install-timeout <seconds>', 'bound on the base install (default 600)', positiveNumber);
  addFormatList(
    command,
    COMPARE_FORMATS,
    'markdown writes compare.md (a pull-request comment) beside compare.json',
  );
  addFormatAliases(command, {
    '--json': '--format json',
    '--markdown <file>': '--format markdown (writes compare.md in --out)',
  });
  addRunFlags(command);
  command.action(async (args: string[], flags: CompareFlags) => {
    try {
      await compareCommand(args, flags);
    } catch (err) {
      // git failing is a GitError (exit code 3), bad input a UsageError (2): both one line.
      reportError(err);
    }
  });
}

async function compareCommand(args: string[], flags: CompareFlags): Promise<void> {
  const loaded = await loadConfig({
    cwd: process.cwd(),
    explicitFile: flags.config,
    overrides: overridesFromFlags(flags),
  });
  const json = stdoutFormat(flags.format, flags.json) === 'json';
  const stop = handleStopSignals('removing the base worktree');
  const say = (text: string): void => {
    if (flags.progress && !json) process.stderr.write(`leakcheck: ${text}\n`);
  };
  try {
    const result = await compareWithBase(loaded.config, {
      baseRef: flags.base,
      baseDir: loaded.baseDir,
      command: args.length > 0 ? args : undefined,
      pairs: flags.pairs,
      maxPairs: flags.maxPairs,
      install: flags.install,
      installTimeoutMs: flags.installTimeout === undefined ? undefined : flags.installTimeout * 1000,
      failOn: flags.failOn,
      version: toolVersion(),
      signal: stop.signal,
      onStep: (step) => say(stepText(step)),
    });
    const markdownFiles = [
      flags.format?.includes('markdown') ? path.join(result.outDir, 'compare.md') : undefined,
      flags.markdown, // deprecated: where it says
    ];
    writeTextFiles(markdownFiles, () =>
      renderCompareMarkdown(result.report, { headReport: result.headReport }),
    );
    if (json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
    else
      process.stdout.write(
        renderCompareTerminal(result.report, {
          reportFile: displayPath(result.reportFile),
          headReport: result.headReport,
        }),
      );
    process.exitCode = result.report.exitCode;
  } finally {
    stop.dispose();
  }
}

function stepText(step: CompareStep): string {
  switch (step.kind) {
    case 'install':
      return step.command ? `installing the base: ${step.command} (${step.why})` : `base: ${step.why}`;
    case 'run':
      return `run ${step.order}/${step.total}: ${step.side} (pair ${step.pair})`;
    case 'ran':
      return (
        `  ${step.run.side} ${step.run.pair}: ${step.run.verdict}, ${formatNumber(step.run.requests)} requests, ` +
        `${formatNumber(step.run.ms / 1000, 1)} s`
      );
    case 'look':
      return `after ${step.pairs} pairs: ${step.verdict} (intervals at ${formatNumber(step.confidence * 100, 1)}%, valid together over all looks)`;
  }
}
