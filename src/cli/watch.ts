/**
 * `leakcheck watch --prometheus <url> --query '<PromQL>' [--range 6h] [--requests '<PromQL>']`:
 * leak trends per instance from Prometheus. Exit codes as for `run`: 0 pass, 1 leak, 2 usage,
 * 3 Prometheus unreachable or failing.
 */
import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatBytes, isMetricName, METRIC_NAMES, METRICS, type MetricName } from '../analysis';
import {
  defaultWatchOptions,
  parseBytes,
  parseDuration,
  renderWatchMarkdown,
  renderWatchTerminal,
  knownMetricsIn,
  SOURCE_DEFAULT_QUERY,
  SOURCE_NAMES,
  watchFleet,
  WatchInputError,
  type PrometheusCredentials,
  type SourceName,
  type PrometheusTls,
  type WatchAnalysisOptions,
} from '../watch';
import { formatBinaryBytes } from '../watch/units';
import { LeakcheckError } from '../errors';
import { EXIT } from '../outcome';
import { reportError } from './errors';
import { addFormatAliases, oneFormat } from './formats';
import { oneOf, positiveInt, positiveNumber } from './options';
import { toolVersion } from './version';
import { useColor } from './color';

interface WatchFlags {
  color?: boolean;
  prometheus: string;
  query?: string;
  source?: SourceName;
  range: number;
  end?: number;
  step?: number;
  requests?: string;
  limit?: string;
  on?: string[];
  metric?: MetricName;
  thresholdPerHour?: number;
  minGrowthPerHour?: number;
  threshold?: number;
  minGrowth?: number;
  confidence?: number;
  minSamples?: number;
  format: 'terminal' | 'json' | 'markdown';
  /** Deprecated: --format json. */
  json?: boolean;
  output?: string;
  timeout: number;
  failOn: 'leak' | 'inconclusive' | 'never';
  bearerTokenFile?: string;
  bearerTokenEnv?: string;
  username?: string;
  passwordFile?: string;
  passwordEnv?: string;
  header?: Array<[string, string]>;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

/** How the command reaches Prometheus, read from the access flags. */
export interface WatchAccessOptions {
  credentials: PrometheusCredentials | null;
  headers: Record<string, string>;
  tls: PrometheusTls;
}

function duration(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null)
    throw new InvalidArgumentError('expected a Prometheus duration such as 30s, 15m, 6h or 1d.');
  return seconds;
}

function amount(value: string): number {
  const n = parseBytes(value);
  if (n === null)
    throw new InvalidArgumentError('expected a number, 0 or above (bytes may take a unit: 1MiB).');
  return n;
}

function time(value: string): number {
  const asNumber = Number(value);
  if (value.trim() !== '' && Number.isFinite(asNumber)) return asNumber;
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidArgumentError('expected unix seconds or an RFC 3339 time (2024-05-01T12:00:00Z).');
  return ms / 1000;
}

function labels(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0 || !names.every((n) => /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n))) {
    throw new InvalidArgumentError('expected label names separated by commas, such as instance,job.');
  }
  return names;
}

function metric(value: string): MetricName {
  if (!isMetricName(value)) throw new InvalidArgumentError(`expected one of ${METRIC_NAMES.join(', ')}.`);
  return value;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a number between 0 and 1, such as 0.95.');
  return n;
}

function envName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
    throw new InvalidArgumentError('expected the name of an environment variable, such as PROM_TOKEN.');
  return value;
}

// RFC 9110 token characters; Authorization goes through the credential flags, which read files.
function header(value: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(value);
  if (!match || (match[2] ?? '').trim() === '' || /[\r\n]/.test(value)) {
    throw new InvalidArgumentError("expected 'Name: value', such as 'X-Scope-OrgID: team-a'.");
  }
  const name = match[1] as string;
  if (['authorization', 'proxy-authorization', 'cookie'].includes(name.toLowerCase())) {
    throw new InvalidArgumentError(
      `${name} carries credentials: give them with --bearer-token-file/--bearer-token-env or ` +
        '--username with --password-file/--password-env, which keep them off the command line.',
    );
  }
  return [...previous, [name, (match[2] as string).trim()]];
}

/** A secret from a file (trailing newline dropped) or an environment variable, never from argv. */
function secret(
  flags: WatchFlags,
  file: 'bearerTokenFile' | 'passwordFile',
  env: 'bearerTokenEnv' | 'passwordEnv',
): string | null {
  const fileFlag = file === 'bearerTokenFile' ? '--bearer-token-file' : '--password-file';
  const envFlag = env === 'bearerTokenEnv' ? '--bearer-token-env' : '--password-env';
  const path = flags[file];
  const name = flags[env];
  if (path !== undefined && name !== undefined)
    throw new WatchInputError(`${fileFlag} and ${envFlag}: give one of them, not both`);
  let value: string;
  if (path !== undefined) {
    value = readFlagFile(fileFlag, path).replace(/\r?\n$/, '');
  } else if (name !== undefined) {
    value = process.env[name] ?? '';
    if (value === '')
      throw new WatchInputError(`${envFlag}: the environment variable ${name} is not set or empty`);
  } else {
    return null;
  }
  if (value === '' || /[\r\n]/.test(value)) {
    throw new WatchInputError(
      `${path !== undefined ? `${fileFlag} ${path}` : `${envFlag} ${name}`}: expected one line, non-empty`,
    );
  }
  return value;
}

function readFlagFile(flag: string, path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    throw new WatchInputError(`${flag}: cannot read ${path}: ${code}`);
  }
}

/**
 * Credentials, headers and TLS files from the access flags. Secrets come only from files or the
 * environment, so they never show in shell history or process listings.
 *
 * @param flags - the parsed flags
 * @returns what queryRange needs
 * @throws WatchInputError for contradictory, incomplete or unreadable input
 */
export function watchAccessFromFlags(flags: WatchFlags): WatchAccessOptions {
  const token = secret(flags, 'bearerTokenFile', 'bearerTokenEnv');
  const password = secret(flags, 'passwordFile', 'passwordEnv');
  let credentials: PrometheusCredentials | null = null;
  if (token !== null && (flags.username !== undefined || password !== null)) {
    throw new WatchInputError(
      '--bearer-token-* and --username/--password-*: give one kind of credentials, not both',
    );
  }
  if (token !== null) credentials = { type: 'bearer', token };
  if (flags.username !== undefined || password !== null) {
    if (flags.username === undefined)
      throw new WatchInputError('--password-file/--password-env: give the user name with --username');
    if (password === null)
      throw new WatchInputError('--username: give the password with --password-file or --password-env');
    if (flags.username.includes(':'))
      throw new WatchInputError('--username: must not contain ":" (basic auth)');
    credentials = { type: 'basic', username: flags.username, password };
  }
  const tls: PrometheusTls = {};
  if (flags.caFile !== undefined) tls.ca = readFlagFile('--ca-file', flags.caFile);
  if ((flags.certFile === undefined) !== (flags.keyFile === undefined)) {
    throw new WatchInputError('--cert-file and --key-file: a client certificate needs both');
  }
  if (flags.certFile !== undefined) tls.cert = readFlagFile('--cert-file', flags.certFile);
  if (flags.keyFile !== undefined) tls.key = readFlagFile('--key-file', flags.keyFile);
  if ((tls.ca !== undefined || tls.cert !== undefined) && !/^https:/i.test(flags.prometheus)) {
    throw new WatchInputError('--ca-file/--cert-file: need an https --prometheus URL');
  }
  return { credentials, headers: Object.fromEntries(flags.header ?? []), tls };
}

/** Registers the `watch` command. */
export function registerWatch(program: Command): void {
  const watch = program
    .command('watch')
    .description('analyse memory trends per instance from Prometheus (range query) and report leaks')
    .requiredOption('--prometheus <url>', 'Prometheus base URL, e.g. http://127.0.0.1:9090')
    .option(
      '--query <promql>',
      'memory per instance, e.g. leakcheck_heap_used_after_gc_bytes{job="api"} (default: the --source heap metric)',
    )
    .addOption(
      new Option(
        '--source <name>',
        "who exports the metric: leakcheck (post-GC), prom-client or otel (read at scrape time); default: recognised from the query's metric name",
      ).argParser(oneOf(...SOURCE_NAMES)),
    )
    .addOption(
      new Option('--range <duration>', 'how far back to look').default(6 * 3600, '6h').argParser(duration),
    )
    .option('--end <time>', 'end of the range: unix seconds or RFC 3339 (default now)', time)
    .option('--step <duration>', 'resolution (default range / 720, at least 1s)', duration)
    .option('--requests <promql>', 'request counter per instance: growth is then also fitted per request')
    .option(
      '--limit <bytes|promql>',
      'memory limit to project to: bytes (2GiB) or PromQL (leakcheck_heap_limit_bytes)',
    )
    .option(
      '--on <labels>',
      'labels joining memory, requests and limit series (default: all but __name__)',
      labels,
    )
    .addOption(
      new Option(
        '--metric <name>',
        "what the query measures (unit, words, default thresholds); default: from the query's metric name, else heapUsed",
      ).argParser(metric),
    )
    .option(
      '--threshold-per-hour <amount>',
      `growth per hour that counts as a leak (default ${formatBinaryBytes(METRICS.heapUsed.perHour.perUnit)})`,
      amount,
    )
    .option(
      '--min-growth-per-hour <amount>',
      `least growth over the range for the per-hour fit (default ${formatBinaryBytes(METRICS.heapUsed.perHour.minGrowth)})`,
      amount,
    )
    .option(
      '--threshold <amount>',
      `growth per request that counts as a leak (default as for run: ${METRICS.heapUsed.threshold.perUnit} bytes for the heap)`,
      amount,
    )
    .option(
      '--min-growth <amount>',
      `least growth over the range for the per-request fit (default as for run: ${formatBytes(METRICS.heapUsed.threshold.minGrowth)} for the heap)`,
      amount,
    )
    .option('--confidence <p>', 'confidence level of the statistics (default 0.95)', probability)
    .option('--min-samples <n>', 'fewest points before a verdict (default 8)', positiveInt)
    .addOption(
      new Option('--format <format>', 'output: text (or terminal), json, markdown')
        .default('terminal')
        .argParser(oneFormat('terminal', 'json', 'markdown')),
    )
    .option('-o, --output <file>', 'write the output to this file instead of stdout')
    .addOption(
      new Option('--timeout <seconds>', 'bound on each Prometheus request')
        .default(30)
        .argParser(positiveNumber),
    )
    .option('--bearer-token-file <file>', 'send the bearer token in this file')
    .option('--bearer-token-env <name>', 'send the bearer token in this environment variable', envName)
    .option('--username <name>', 'basic-auth user (the password from --password-file or --password-env)')
    .option('--password-file <file>', 'basic-auth password in this file')
    .option('--password-env <name>', 'basic-auth password in this environment variable', envName)
    .option(
      '--header <header>',
      "extra request header, repeatable, e.g. 'X-Scope-OrgID: team-a' (Mimir, Cortex, Thanos)",
      header,
    )
    .option('--ca-file <file>', 'trust the CA certificates in this PEM file (https)')
    .option('--cert-file <file>', 'client certificate, PEM (with --key-file)')
    .option('--key-file <file>', "client certificate's private key, PEM")
    .addOption(
      new Option('--fail-on <verdict>', 'exit 1 on: leak, inconclusive (leak or inconclusive), never')
        .default('leak')
        .argParser(oneOf('leak', 'inconclusive', 'never')),
    )
    .action(async (flags: WatchFlags) => {
      process.exitCode = await watchCommand(flags);
    });
  addFormatAliases(watch, { '--json': '--format json' });
}

/** Analysis options from the flags, over the defaults for the chosen metric. */
export function watchAnalysisFromFlags(flags: WatchFlags): WatchAnalysisOptions {
  const known = knownMetricsIn(flags.query ?? (flags.source ? SOURCE_DEFAULT_QUERY[flags.source] : ''))[0];
  const options = defaultWatchOptions(flags.metric ?? known?.metric ?? 'heapUsed');
  if (flags.confidence !== undefined) options.confidence = flags.confidence;
  if (flags.minSamples !== undefined) {
    if (flags.minSamples < 3) throw new WatchInputError('--min-samples: expected 3 or more');
    options.minSamples = flags.minSamples;
  }
  if (flags.thresholdPerHour !== undefined) options.perHour.rate = flags.thresholdPerHour;
  if (flags.minGrowthPerHour !== undefined) options.perHour.minGrowth = flags.minGrowthPerHour;
  if (flags.threshold !== undefined) options.perRequest.rate = flags.threshold;
  if (flags.minGrowth !== undefined) options.perRequest.minGrowth = flags.minGrowth;
  return options;
}

async function watchCommand(flags: WatchFlags): Promise<number> {
  const format = flags.json ? 'json' : flags.format;
  try {
    const limit = flags.limit === undefined ? undefined : (parseBytes(flags.limit) ?? flags.limit);
    const access = watchAccessFromFlags(flags);
    const query = flags.query ?? (flags.source ? SOURCE_DEFAULT_QUERY[flags.source] : undefined);
    if (query === undefined)
      throw new WatchInputError('--query: give the memory PromQL, or --source to use its heap metric');
    const report = await watchFleet({
      ...access,
      prometheus: flags.prometheus,
      query,
      source: flags.source,
      requests: flags.requests,
      limit,
      on: flags.on,
      rangeSeconds: flags.range,
      end: flags.end,
      step: flags.step,
      analysis: watchAnalysisFromFlags(flags),
      failOn: flags.failOn,
      timeoutMs: flags.timeout * 1000,
      version: toolVersion(),
    });
    const text =
      format === 'json'
        ? JSON.stringify(report, null, 2) + '\n'
        : format === 'markdown'
          ? renderWatchMarkdown(report)
          : renderWatchTerminal(report, {
              color: useColor(flags.color, flags.output ? {} : process.stdout),
            });
    if (flags.output) fs.writeFileSync(flags.output, text);
    else process.stdout.write(text);
    return report.exitCode;
  } catch (err) {
    // Bad input and a bad query or credentials exit 2, an unusable Prometheus 3 (the error says).
    if (err instanceof LeakcheckError) return reportError(err, 'leakcheck watch');
    if (err instanceof Error && 'code' in err && typeof (err as { code?: unknown }).code === 'string') {
      // Writing --output failed (no such folder, no permission): the user's path.
      process.stderr.write(`leakcheck watch: --output: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}
