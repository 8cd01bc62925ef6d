/** `leakcheck run [options] -- <command...>`: start the service, drive load, decide, exit. */
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config/load';
import { UsageError } from '../errors';
import { checkForLeaks } from '../pipeline';
import { renderTerminal } from '../report/terminal';
import { createProgress } from './progress';
import { reportError } from './errors';
import { handleStopSignals } from './signals';
import { writeExtraReports } from './report';
import { integer, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from './options';
import { displayPath } from './output';
import { toolVersion } from './version';
import { useColor } from './color';
import { addFormatAliases, addFormatList, stdoutFormat } from './formats';
import { addReplayOptions, prepareReplay, replayBanner, type ReplayFlags } from './traffic';

/** What `run --format` takes; markdown and html are written to the report folder in any case. */
const RUN_FORMATS = ['text', 'json', 'junit', 'sarif', 'markdown', 'html'] as const;
type RunFormat = (typeof RUN_FORMATS)[number];

/** File names of the formats `run --format` adds to the report folder. */
export const EXTRA_REPORT_FILES = { junit: 'report.junit.xml', sarif: 'report.sarif' } as const;

interface RunFlags extends ReplayFlags {
  color?: boolean;
  config?: string;
  url?: string;
  ready?: string;
  connections?: number;
  rate?: number;
  users?: number;
  seed?: number;
  warmup?: number;
  warmupRequests?: number;
  duration?: number;
  requests?: number;
  minDuration?: number;
  minRequests?: number;
  maxDuration?: number;
  maxRequests?: number;
  samples?: number;
  threshold?: number;
  minGrowth?: number;
  confidence?: number;
  rps?: number;
  timeout?: number;
  readyTimeout?: number;
  out?: string;
  /** --format: text or json on stdout, the others as files in the report folder. */
  format?: RunFormat[];
  /** Deprecated: --format json. */
  json?: boolean;
  /** Deprecated: --format junit (this file instead of the report folder's). */
  junit?: string;
  /** Deprecated: --format sarif (this file instead of the report folder's). */
  sarif?: string;
  progress: boolean;
  /** False with --no-attribution. */
  attribution?: boolean;
  snapshots?: boolean;
  keepSnapshots?: boolean;
  stacks?: boolean;
  failOn: 'leak' | 'inconclusive' | 'never';
}

/** Maps flags onto the config's shape; flags win over the file. */
export function overridesFromFlags(flags: RunFlags): Record<string, unknown> {
  if (flags.snapshots && flags.attribution === false)
    throw new UsageError('--snapshots needs attribution: drop --no-attribution');
  const thresholds =
    flags.threshold !== undefined || flags.minGrowth !== undefined
      ? Object.fromEntries(
          ['heapUsed', 'external'].map((m) => [
            m,
            { perRequest: flags.threshold, minGrowth: flags.minGrowth },
          ]),
        )
      : undefined;
  return {
    url: flags.url,
    ready: flags.ready,
    timeoutSeconds: flags.timeout,
    readyTimeoutSeconds: flags.readyTimeout,
    out: flags.out,
    traffic: { connections: flags.connections, rate: flags.rate, users: flags.users, seed: flags.seed },
    run: {
      warmupSeconds: flags.warmup,
      warmupRequests: flags.warmupRequests,
      durationSeconds: flags.duration,
      requests: flags.requests,
      minDurationSeconds: flags.minDuration,
      minRequests: flags.minRequests,
      maxDurationSeconds: flags.maxDuration,
      maxRequests: flags.maxRequests,
      samples: flags.samples,
    },
    analysis: { confidence: flags.confidence, thresholds },
    projection: { requestsPerSecond: flags.rps },
    // Only what was given: --no-attribution turns it off, --snapshots forces the snapshots.
    attribution: {
      enabled: flags.attribution === false ? false : undefined,
      snapshots: flags.snapshots ? 'always' : undefined,
      keepSnapshots: flags.keepSnapshots ? true : undefined,
    },
  };
}

/** Registers the `run` command. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a service with the agent preloaded, drive traffic, and report whether it leaks')
    .argument('[command...]', 'the command that starts the service (after --), e.g. -- node server.js')
    .option('-c, --config <file>', 'config file (default: leakcheck.config.* or package.json "leakcheck")')
    .option('--url <url>', 'drive this URL instead of the address the agent reports')
    .option('--ready <path>', 'health path that must answer 2xx before load starts')
    .option('--connections <n>', 'concurrent connections', positiveInt)
    .option('--rate <rps>', 'arrival rate, requests per second, smoothly paced', positiveNumber)
    .option('--users <n>', 'distinct identities {{user}} draws from', positiveInt)
    .option('--seed <n>', 'seed for the traffic generator', integer)
    .option('--warmup <seconds>', 'warm-up before measuring', nonNegativeNumber)
    .option('--warmup-requests <n>', 'bound the warm-up by requests instead of seconds', positiveInt)
    .option(
      '--max-duration <seconds>',
      'budget: measure until the evidence decides, at most this long (default 60)',
      positiveNumber,
    )
    .option('--max-requests <n>', 'budget: at most this many measured requests', positiveInt)
    .option(
      '--min-duration <seconds>',
      'minimum measured window before the first look (default 6)',
      positiveNumber,
    )
    .option('--min-requests <n>', 'requests before the first look (default 10000)', positiveInt)
    .option(
      '--duration <seconds>',
      'a fixed measured window instead (sequential testing off)',
      positiveNumber,
    )
    .option('--requests <n>', 'a fixed window bounded by requests (sequential testing off)', positiveInt)
    .option('--samples <n>', 'post-GC samples in the minimum window (or in the fixed window)', positiveInt)
    .option(
      '--threshold <bytes>',
      'heap and external growth per request that counts as a leak',
      nonNegativeNumber,
    )
    .option(
      '--min-growth <bytes>',
      'fixed windows only: total growth below which nothing is a leak',
      nonNegativeNumber,
    )
    .option('--confidence <p>', 'confidence level of the statistics', positiveNumber)
    .option('--rps <n>', 'request rate for the time-to-heap-limit projection', positiveNumber)
    .option('--timeout <seconds>', 'bound on the whole run', positiveNumber)
    .option('--ready-timeout <seconds>', 'bound on the start-up, until the service listens', positiveNumber)
    .option('--out <dir>', 'report directory (default .leakcheck)')
    .option('--no-progress', 'no progress bar')
    .option('--snapshots', 'take three heap snapshots in the measured window, whatever the verdict')
    .option(
      '--keep-snapshots',
      "keep the heap snapshots after analysis (they hold the service's memory, secrets included)",
    )
    .option('--no-attribution', 'no allocation profiling or heap snapshots (what grew and where)')
    .option('--stacks', 'print the full allocation stack of each growing site')
    .addOption(
      new Option('--fail-on <verdict>', 'exit 1 on: leak, inconclusive (leak or inconclusive), never')
        .default('leak')
        .argParser(oneOf('leak', 'inconclusive', 'never')),
    )
    .action(async (command: string[], flags: RunFlags) => {
      try {
        await runCommand(command, flags);
      } catch (err) {
        reportError(err);
      }
    });
  const run = program.commands.find((c) => c.name() === 'run') as Command;
  addFormatList(
    run,
    RUN_FORMATS,
    `junit (one test case per process and metric) and sarif (leaks at their allocating lines) add ${EXTRA_REPORT_FILES.junit} and ${EXTRA_REPORT_FILES.sarif} to the report folder, beside report.json, report.md and report.html`,
  );
  addFormatAliases(run, {
    '--json': '--format json',
    '--junit <file>': `--format junit (writes ${EXTRA_REPORT_FILES.junit} in --out)`,
    '--sarif <file>': `--format sarif (writes ${EXTRA_REPORT_FILES.sarif} in --out)`,
  });
  addReplayOptions(run);
}

async function runCommand(command: string[], flags: RunFlags): Promise<void> {
  const loaded = await loadConfig({
    cwd: process.cwd(),
    explicitFile: flags.config,
    overrides: overridesFromFlags(flags),
  });
  const json = stdoutFormat(flags.format, flags.json) === 'json';
  const replay = flags.replay ? await prepareReplay(flags, loaded.config, process.cwd()) : undefined;
  if (replay && !json) process.stderr.write(replayBanner(replay, flags.replay as string));
  const stop = handleStopSignals('writing the partial report');
  const progress = createProgress(
    flags.progress && !json && Boolean(process.stderr.isTTY),
    loaded.config.run.samples,
    // Without a terminal (CI logs): one line per look instead of a bar.
    flags.progress && !json && !process.stderr.isTTY,
  );
  try {
    const { report, reportFile } = await checkForLeaks(loaded.config, {
      baseDir: loaded.baseDir,
      command: command.length > 0 ? command : undefined,
      failOn: flags.failOn,
      onProgress: (p) => progress.update(p),
      signal: stop.signal,
      version: toolVersion(),
      source: replay?.source,
      fidelity: replay?.baseline,
    });
    progress.stop();
    const outDir = path.dirname(reportFile);
    const listed = (format: keyof typeof EXTRA_REPORT_FILES): string | undefined =>
      flags.format?.includes(format) ? path.join(outDir, EXTRA_REPORT_FILES[format]) : undefined;
    writeExtraReports(report, { junit: listed('junit'), sarif: listed('sarif') });
    // The deprecated --junit/--sarif <file> still write where they say.
    writeExtraReports(report, { junit: flags.junit, sarif: flags.sarif });
    if (json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else
      process.stdout.write(
        renderTerminal(report, {
          reportFile: displayPath(reportFile),
          color: useColor(flags.color, process.stdout),
          stacks: Boolean(flags.stacks),
        }),
      );
    process.exitCode = report.exitCode;
  } finally {
    progress.stop();
    stop.dispose();
  }
}
