/**
 * `leakcheck bisect --good <ref> [--bad <ref>] [run options] -- <command...>`: find the first
 * commit between a good and a bad revision that adds a leak.
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { REQUESTS } from '../analysis/axis';
import { formatNumber, formatRateWithInterval } from '../analysis/format';
import { bisectLeak, DEFAULT_RUNS, type BisectEvent } from '../bisect/run';
import { renderBisectMarkdown, renderBisectTerminal } from '../bisect/render';
import { loadConfig } from '../config/load';
import { addRunFlags, COMPARE_FORMATS } from './compare';
import { addFormatAliases, addFormatList, stdoutFormat } from './formats';
import { reportError } from './errors';
import { positiveInt, positiveNumber } from './options';
import { handleStopSignals } from './signals';
import { overridesFromFlags } from './run';
import { displayPath, writeTextFiles } from './output';
import { toolVersion } from './version';

type RunFlagsOf = Parameters<typeof overridesFromFlags>[0];

interface BisectFlags extends RunFlagsOf {
  good: string;
  bad?: string;
  install?: string;
  installTimeout?: number;
  allCommits?: boolean;
  maxSteps?: number;
  runs: number;
  /** --format: text or json on stdout, markdown as bisect.md in the report folder. */
  format?: (typeof COMPARE_FORMATS)[number][];
  /** Deprecated: --format markdown (this file instead of the report folder's). */
  markdown?: string;
}

/** Registers the `bisect` command, with the `run` flags compare takes (except --fail-on). */
export function registerBisect(program: Command): void {
  const command = program
    .command('bisect')
    .description(
      'find the first commit between a good and a bad revision that adds a leak (each step measured against the good revision)',
    )
    .argument('[command...]', 'the command that starts the service (after --), e.g. -- node server.js')
    .requiredOption('--good <ref>', 'a revision without the leak (branch, tag or commit)')
    .option('--bad <ref>', 'a revision with the leak (default HEAD)')
    .option(
      '--install <command>',
      'install command for each checkout (default: npm ci, pnpm or yarn by lock file; "none" for none)',
    )
    .option('--install-timeout <seconds>', 'bound on each install (default 600)', positiveNumber)
    .option('--all-commits', 'search every commit, not only the first-parent line of the bad revision')
    .option(
      '--max-steps <n>',
      'most measured steps (default ⌈log2(commits)⌉ + 3); then the smallest range is named',
      positiveInt,
    )
    .option(
      '--runs <n>',
      `runs per measured revision (default ${DEFAULT_RUNS}); each gets 1/n of --warmup and --duration`,
      positiveInt,
      DEFAULT_RUNS,
    );
  addFormatList(command, COMPARE_FORMATS, 'markdown writes bisect.md beside bisect.json');
  addFormatAliases(command, {
    '--json': '--format json',
    '--markdown <file>': '--format markdown (writes bisect.md in --out)',
  });
  addRunFlags(command, ['--fail-on']);
  command.action(async (args: string[], flags: BisectFlags) => {
    try {
      await bisectCommand(args, flags);
    } catch (err) {
      // git failing is a GitError (exit code 3), bad input a UsageError (2): both one line.
      reportError(err);
    }
  });
}

async function bisectCommand(args: string[], flags: BisectFlags): Promise<void> {
  const loaded = await loadConfig({
    cwd: process.cwd(),
    explicitFile: flags.config,
    overrides: overridesFromFlags(flags),
  });
  // Ctrl-C, SIGTERM and SIGHUP as run and compare end on them: in order, or forced.
  const stop = handleStopSignals('removing the worktrees');
  const json = stdoutFormat(flags.format, flags.json) === 'json';
  const say = (text: string): void => {
    if (flags.progress && !json) process.stderr.write(`leakcheck: ${text}\n`);
  };
  try {
    const result = await bisectLeak(loaded.config, {
      good: flags.good,
      bad: flags.bad,
      baseDir: loaded.baseDir,
      command: args.length > 0 ? args : undefined,
      install: flags.install,
      installTimeoutMs: flags.installTimeout === undefined ? undefined : flags.installTimeout * 1000,
      allCommits: flags.allCommits,
      maxSteps: flags.maxSteps,
      runs: flags.runs,
      version: toolVersion(),
      signal: stop.signal,
      onEvent: (e) => {
        const text = eventText(e);
        if (text) say(text);
      },
    });
    const markdownFiles = [
      flags.format?.includes('markdown') ? path.join(result.outDir, 'bisect.md') : undefined,
      flags.markdown, // deprecated: where it says
    ];
    writeTextFiles(markdownFiles, () => renderBisectMarkdown(result.report));
    if (json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
    else
      process.stdout.write(
        renderBisectTerminal(result.report, { reportFile: displayPath(result.reportFile) }),
      );
    process.exitCode = result.report.exitCode;
  } finally {
    stop.dispose();
  }
}

function eventText(e: BisectEvent): string | null {
  switch (e.kind) {
    case 'range':
      return `${e.commits} commits to search (${e.firstParent ? 'first-parent' : 'all commits'}), at most ${e.maxSteps} steps`;
    case 'baseline':
      return `measuring the good revision ${e.sha.slice(0, 12)} (reused by every step)`;
    case 'install':
      return e.command ? `  installing ${e.sha.slice(0, 12)}: ${e.command}` : null;
    case 'run':
      return null;
    case 'step': {
      const s = e.step;
      const growth = s.growth
        ? formatRateWithInterval(s.growth.mean, s.growth.low, s.growth.high, s.growth.unit, 0.95, REQUESTS)
        : s.reason;
      return (
        `step ${s.step}: ${s.sha.slice(0, 12)} (${s.role}) ${s.verdict}: ${growth}; ` +
        `${e.open} commit(s) left between, ${formatNumber(s.ms / 1000, 1)} s`
      );
    }
  }
}
