/**
 * `leakcheck alerts [-o rules.yml]`: writes Prometheus recording and alerting rules for leaks
 * on the exporter's post-GC heap. Defaults suit production; every window, `for` and threshold is a
 * flag, so a test (or a staging setup) can use short ones.
 */
import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { addRenamedOption } from './deprecated';
import { defaultAlertRuleOptions, renderAlertRules, type AlertRuleOptions } from '../alerts';
import { METRICS } from '../analysis/metrics';
import { formatBinaryBytes, parseBytes, parseDuration } from '../watch/units';
import { EXIT } from '../outcome';
import { reportError } from './errors';

interface AlertFlags {
  output?: string;
  group?: string;
  interval?: string;
  selector?: string;
  heapMetric?: string;
  limit?: string;
  limitOn?: string;
  majorGcMetric?: string;
  requestsMetric?: string;
  predictWindow?: string;
  horizon?: string;
  limitFor?: string;
  growthWindow?: string;
  growthFor?: string;
  thresholdPerHour?: number;
  minGrowth?: number;
  minMajorGcs?: number;
  thresholdPerRequest?: number;
  absentWindow?: string;
  absentFor?: string;
  runbookBase?: string;
  legacyNames?: boolean;
}

function promDuration(value: string): string {
  if (parseDuration(value) === null) {
    throw new InvalidArgumentError('expected a Prometheus duration such as 30s, 10m, 1h or 6h.');
  }
  return value;
}

function amount(value: string): number {
  const n = parseBytes(value);
  if (n === null)
    throw new InvalidArgumentError('expected a number, 0 or above (bytes may take a unit: 1MiB).');
  return n;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or above.');
  return n;
}

/** Rule options from the flags over the production defaults. */
export function alertOptionsFromFlags(flags: AlertFlags): AlertRuleOptions {
  const o = defaultAlertRuleOptions();
  if (flags.group !== undefined) o.group = flags.group;
  if (flags.interval !== undefined) o.interval = flags.interval;
  if (flags.selector !== undefined) o.selector = flags.selector;
  if (flags.heapMetric !== undefined) o.heapMetric = flags.heapMetric;
  if (flags.limit !== undefined) o.limit = flags.limit;
  if (flags.limitOn !== undefined)
    o.limitOn = flags.limitOn
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  // "none" switches a metric off.
  if (flags.majorGcMetric !== undefined)
    o.majorGcMetric = flags.majorGcMetric === 'none' ? null : flags.majorGcMetric;
  if (flags.requestsMetric !== undefined) {
    o.requestsMetric = flags.requestsMetric === 'none' ? null : flags.requestsMetric;
  }
  if (flags.predictWindow !== undefined) o.predictWindow = flags.predictWindow;
  if (flags.horizon !== undefined) o.horizon = flags.horizon;
  if (flags.limitFor !== undefined) o.limitFor = flags.limitFor;
  if (flags.growthWindow !== undefined) o.growthWindow = flags.growthWindow;
  if (flags.growthFor !== undefined) o.growthFor = flags.growthFor;
  if (flags.thresholdPerHour !== undefined) o.thresholdPerHour = flags.thresholdPerHour;
  if (flags.minGrowth !== undefined) o.minGrowth = flags.minGrowth;
  if (flags.minMajorGcs !== undefined) o.minMajorGcs = flags.minMajorGcs;
  if (flags.thresholdPerRequest !== undefined) o.thresholdPerRequest = flags.thresholdPerRequest;
  if (flags.absentWindow !== undefined) o.absentWindow = flags.absentWindow;
  if (flags.absentFor !== undefined) o.absentFor = flags.absentFor === 'none' ? null : flags.absentFor;
  if (flags.runbookBase !== undefined) o.runbookBase = flags.runbookBase;
  if (flags.legacyNames) {
    process.stderr.write(
      'leakcheck alerts: --legacy-names is deprecated: it also records the 0.1 names (leakcheck:heap_after_gc:*); ' +
        'move dashboards to the instance:* names, the flag goes away in the next release\n',
    );
    o.legacyNames = true;
  }
  return o;
}

/** Registers the `alerts` command. */
export function registerAlerts(program: Command): void {
  const output = new Option('-o, --output <file>', 'write the rules here (default: stdout)');
  const cmd = program
    .command('alerts')
    .description('write Prometheus recording and alerting rules for leaks on the post-GC heap')
    .addOption(output)
    .option('--group <name>', 'rule group name (default leakcheck)')
    .option(
      '--interval <duration>',
      "group evaluation interval (default: Prometheus' global one)",
      promDuration,
    )
    .option('--selector <matchers>', 'label matchers for every metric, without braces, e.g. job="api"')
    .option('--heap-metric <name>', 'post-GC heap metric (default leakcheck_heap_used_after_gc_bytes)')
    .option('--limit <promql>', 'heap limit metric or expression (default leakcheck_heap_limit_bytes)')
    .option('--limit-on <labels>', 'match the limit on these labels only, e.g. pod (default: all labels)')
    .option('--major-gc-metric <name>', 'major-GC counter, or "none" (default leakcheck_major_gcs_total)')
    .option('--requests-metric <name>', 'request counter, or "none" (default leakcheck_http_requests_total)')
    .option('--predict-window <duration>', 'window predict_linear fits over (default 1h)', promDuration)
    .option('--horizon <duration>', 'alert when the limit is reached within this (default 1h)', promDuration)
    .option('--limit-for <duration>', "'for' of the limit alert (default 10m)", promDuration)
    .option('--growth-window <duration>', 'window the growth rate is fitted over (default 6h)', promDuration)
    .option('--growth-for <duration>', "'for' of the growth alerts (default 1h)", promDuration)
    .option(
      '--threshold-per-hour <amount>',
      `growth per hour that alerts, bytes (default ${formatBinaryBytes(METRICS.heapUsed.perHour.perUnit)})`,
      amount,
    )
    .option(
      '--min-growth <amount>',
      `least growth over the growth window, bytes (default ${formatBinaryBytes(METRICS.heapUsed.perHour.minGrowth)})`,
      amount,
    )
    .option('--min-major-gcs <n>', 'least major GCs in the growth window (default 3; 0: none)', count)
    .option('--threshold-per-request <amount>', 'also alert on growth per request above this, bytes', amount)
    .option(
      '--absent-window <duration>',
      'a job that exported within this and no longer does is absent (default 1h)',
      promDuration,
    )
    .option(
      '--absent-for <duration>',
      '\'for\' of the exporter-absent alert (per job), or "none" (default 10m)',
      (value: string) => (value === 'none' ? value : promDuration(value)),
    )
    .option('--runbook-base <url>', "runbook links point here (default: leakcheck's README on npm)")
    .option('--legacy-names', 'also record the 0.1 rule names leakcheck:heap_after_gc:* (deprecated)')
    .action((flags: AlertFlags) => {
      process.exitCode = alertsCommand(flags);
    });
  addRenamedOption(cmd, '--out <file>', output);
}

function alertsCommand(flags: AlertFlags): number {
  let yaml: string;
  try {
    yaml = renderAlertRules(alertOptionsFromFlags(flags));
  } catch (err) {
    return reportError(err, 'leakcheck alerts');
  }
  if (!flags.output) {
    process.stdout.write(yaml);
    return EXIT.pass;
  }
  try {
    fs.writeFileSync(flags.output, yaml);
  } catch (err) {
    process.stderr.write(`leakcheck alerts: --output: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`leakcheck alerts: wrote ${flags.output}\n`);
  return EXIT.pass;
}
