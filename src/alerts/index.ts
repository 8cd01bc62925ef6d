/**
 * Prometheus recording and alerting rules for production leak detection on the exporter's
 * post-GC heap: "reaches its limit within the hour" (predict_linear), "sustained growth" (deriv)
 * and "the exporter stopped reporting" (per job). Recorded series follow Prometheus' naming
 * convention, `level:metric:operations`; every alert links to its runbook. Pure: options in, a
 * rule file object or its YAML out.
 */
import { stringify } from 'yaml';
import { METRICS } from '../analysis/metrics';
import { EXPORTER_METRICS } from '../exporter/names';
import { formatPromDuration, parseDuration } from '../watch/units';
import { LeakcheckError } from '../errors';

/** Options of {@link alertRules}. Durations are Prometheus durations ("1h", "30s"). */
export interface AlertRuleOptions {
  /** Rule group name. */
  group: string;
  /** Group evaluation interval; null to use Prometheus' global one. */
  interval: string | null;
  /** Label matchers added to every metric, e.g. `job="api"` (no braces). */
  selector: string;
  /** Post-GC heap metric. */
  heapMetric: string;
  /** Heap limit: a metric name or any PromQL expression. */
  limit: string;
  /** Labels to match the limit on (e.g. ["pod"] for a container limit); null: all labels. */
  limitOn: string[] | null;
  /** Major-GC counter; null to not require GCs in the window. */
  majorGcMetric: string | null;
  /** Request counter for the per-request alert; null for none. */
  requestsMetric: string | null;
  /** Window predict_linear fits over. */
  predictWindow: string;
  /** How far ahead the limit alert looks. */
  horizon: string;
  /** How long the prediction must hold before the limit alert fires. */
  limitFor: string;
  /** Window deriv fits the sustained growth over. */
  growthWindow: string;
  /** How long growth must stay above threshold before the growth alert fires. */
  growthFor: string;
  /** Growth per hour above which growth counts, bytes/hour. */
  thresholdPerHour: number;
  /** Least growth over the growth window, bytes. */
  minGrowth: number;
  /** Least major GCs in the growth window (post-GC values must have moved); 0 for none. */
  minMajorGcs: number;
  /** Growth per request above which the per-request alert fires, bytes; null for no such alert. */
  thresholdPerRequest: number | null;
  /** Severity labels. */
  limitSeverity: string;
  growthSeverity: string;
  /** How far back a job counts as having reported (its series may vanish for this long). */
  absentWindow: string;
  /** How long a job must be silent before the absent alert fires; null for no such alert. */
  absentFor: string | null;
  absentSeverity: string;
  /** Where the runbooks are: each alert's runbook_url is this plus the alert's section anchor. */
  runbookBase: string;
  /**
   * Also record the 0.1 names (`leakcheck:heap_after_gc:*`) so existing dashboards keep working.
   * Deprecated: removed in the next release.
   */
  legacyNames: boolean;
}

/** A Prometheus rule file. */
export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>;
}

/** A recording or alerting rule. */
export type Rule =
  | { record: string; expr: string; labels?: Record<string, string> }
  | {
      alert: string;
      expr: string;
      for?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    };

/** Names of the alerts (CamelCase, as Prometheus names alerts). */
export const RULE_NAMES = {
  limitAlert: 'LeakcheckHeapLimitWithinHorizon',
  growthAlert: 'LeakcheckSustainedHeapGrowth',
  perRequestAlert: 'LeakcheckHeapGrowthPerRequest',
  absentAlert: 'LeakcheckExporterAbsent',
} as const;

/**
 * The recorded series' names before 0.2 (`leakcheck alerts --legacy-names` still records them).
 * Deprecated: removed in the next release.
 */
export const LEGACY_RECORD_NAMES = {
  growthPerHour: 'leakcheck:heap_after_gc:growth_bytes_per_hour',
  predicted: 'leakcheck:heap_after_gc:predicted_bytes',
  limitRatio: 'leakcheck:heap_after_gc:limit_ratio',
  growthPerRequest: 'leakcheck:heap_after_gc:growth_bytes_per_request',
} as const;

/** Names of the recorded series. */
export interface RecordNames {
  /** deriv(post-GC heap[growth window]) × 3600: bytes per hour. */
  growthPerHour: string;
  /** predict_linear(post-GC heap[predict window], horizon): bytes at the horizon. */
  predicted: string;
  /** Post-GC heap / limit. */
  limitRatio: string;
  /** deriv / rate of requests: bytes per request. */
  growthPerRequest: string;
}

/**
 * The recorded series' names, `level:metric:operations` (Prometheus' convention): level
 * `instance` (nothing aggregated away), the heap metric (with the unit the value has), and the
 * operations with their windows, e.g. `instance:leakcheck_heap_used_after_gc_bytes_per_hour:deriv6h`.
 *
 * @param o - the options (heap metric, windows)
 * @returns the four names
 */
export function recordNames(
  o: Pick<AlertRuleOptions, 'heapMetric' | 'growthWindow' | 'predictWindow'>,
): RecordNames {
  // Colons belong to recording rules' structure: a recorded input's colons become underscores.
  const metric = o.heapMetric.replace(/:/g, '_');
  const base = metric.replace(/_bytes$/, '');
  return {
    growthPerHour: `instance:${base}_bytes_per_hour:deriv${o.growthWindow}`,
    predicted: `instance:${metric}:predict_linear${o.predictWindow}`,
    limitRatio: `instance:${base}_per_limit:ratio`,
    growthPerRequest: `instance:${base}_bytes_per_request:ratio_deriv${o.growthWindow}`,
  };
}

/** The README section each alert's runbook is in (anchors of "Runbook: leak alerts"). */
export const RUNBOOK_ANCHORS: Record<(typeof RULE_NAMES)[keyof typeof RULE_NAMES], string> = {
  LeakcheckHeapLimitWithinHorizon: 'runbook-leakcheckheaplimitwithinhorizon',
  LeakcheckSustainedHeapGrowth: 'runbook-leakchecksustainedheapgrowth',
  LeakcheckHeapGrowthPerRequest: 'runbook-leakcheckheapgrowthperrequest',
  LeakcheckExporterAbsent: 'runbook-leakcheckexporterabsent',
};

/** The published README; `--runbook-base` points the links at a team's own copy instead. */
export const DEFAULT_RUNBOOK_BASE = 'https://www.npmjs.com/package/leakcheck';

/**
 * Production defaults: predict over 1 h, alert when the limit is reached within 1 h for 10 min;
 * sustained growth above the heap's per-hour threshold (`METRICS.heapUsed.perHour`, as `watch`
 * judges) over 6 h, with at least 3 major GCs, for 1 h.
 *
 * @returns a fresh options object
 */
export function defaultAlertRuleOptions(): AlertRuleOptions {
  return {
    group: 'leakcheck',
    interval: null,
    selector: '',
    heapMetric: EXPORTER_METRICS.heapAfterGc,
    limit: EXPORTER_METRICS.heapLimit,
    limitOn: null,
    majorGcMetric: EXPORTER_METRICS.majorGcs,
    requestsMetric: EXPORTER_METRICS.requests,
    predictWindow: '1h',
    horizon: '1h',
    limitFor: '10m',
    growthWindow: '6h',
    growthFor: '1h',
    thresholdPerHour: METRICS.heapUsed.perHour.perUnit,
    minGrowth: METRICS.heapUsed.perHour.minGrowth,
    minMajorGcs: 3,
    thresholdPerRequest: null,
    limitSeverity: 'critical',
    growthSeverity: 'warning',
    absentWindow: '1h',
    absentFor: '10m',
    absentSeverity: 'warning',
    runbookBase: DEFAULT_RUNBOOK_BASE,
    legacyNames: false,
  };
}

/** Options that cannot make a valid rule file. */
export class AlertOptionsError extends LeakcheckError {
  /** @param message - one line naming the option and what was expected */
  constructor(message: string) {
    super(message);
    this.name = 'AlertOptionsError';
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Checks options: durations are Prometheus durations, numbers finite and ≥ 0, metric names valid.
 *
 * @param o - options
 * @throws AlertOptionsError naming the first bad option
 */
export function validateAlertRuleOptions(o: AlertRuleOptions): void {
  const durations: Array<[string, string | null]> = [
    ['interval', o.interval],
    ['predictWindow', o.predictWindow],
    ['horizon', o.horizon],
    ['limitFor', o.limitFor],
    ['growthWindow', o.growthWindow],
    ['growthFor', o.growthFor],
    ['absentWindow', o.absentWindow],
    ['absentFor', o.absentFor],
  ];
  for (const [name, value] of durations) {
    if (value !== null && parseDuration(value) === null) {
      throw new AlertOptionsError(
        `${name}: "${value}" is not a Prometheus duration (expected e.g. 30s, 10m, 1h)`,
      );
    }
  }
  const numbers: Array<[string, number | null]> = [
    ['thresholdPerHour', o.thresholdPerHour],
    ['minGrowth', o.minGrowth],
    ['minMajorGcs', o.minMajorGcs],
    ['thresholdPerRequest', o.thresholdPerRequest],
  ];
  for (const [name, value] of numbers) {
    if (value !== null && !(Number.isFinite(value) && value >= 0)) {
      throw new AlertOptionsError(`${name} must be a number, 0 or above, got ${value}`);
    }
  }
  const names: Array<[string, string | null]> = [
    ['heapMetric', o.heapMetric],
    ['majorGcMetric', o.majorGcMetric],
    ['requestsMetric', o.requestsMetric],
  ];
  for (const [name, value] of names) {
    if (value !== null && !METRIC_NAME.test(value)) {
      throw new AlertOptionsError(`${name}: "${value}" is not a metric name`);
    }
  }
  if (o.selector.includes('{') || o.selector.includes('}')) {
    throw new AlertOptionsError(
      `selector: give label matchers without braces, e.g. job="api", got "${o.selector}"`,
    );
  }
  if (o.group.trim() === '') throw new AlertOptionsError('group: must not be empty');
  if (!/^https?:\/\/\S+$/.test(o.runbookBase)) {
    throw new AlertOptionsError(`runbookBase: expected an http(s) URL, got "${o.runbookBase}"`);
  }
  for (const label of o.limitOn ?? []) {
    if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(label)) {
      throw new AlertOptionsError(`limitOn: "${label}" is not a label name`);
    }
  }
}

/** A number as PromQL reads it: integers plainly, others with enough digits to round-trip. */
function promNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15)));
}

/**
 * Builds the rule file.
 *
 * @param options - overrides of {@link defaultAlertRuleOptions}
 * @returns the rule file object (see {@link renderAlertRules} for YAML)
 * @throws AlertOptionsError for bad options
 */
export function alertRules(options: Partial<AlertRuleOptions> = {}): RuleFile {
  const o: AlertRuleOptions = { ...defaultAlertRuleOptions(), ...options };
  validateAlertRuleOptions(o);
  const sel = (metric: string): string => (o.selector ? `${metric}{${o.selector}}` : metric);
  const heap = sel(o.heapMetric);
  const limit = METRIC_NAME.test(o.limit) ? sel(o.limit) : `(${o.limit})`;
  const horizonSeconds = parseDuration(o.horizon) as number;
  const growthHours = (parseDuration(o.growthWindow) as number) / 3600;
  // Growth over the window ≥ minGrowth ⇔ rate ≥ minGrowth / window: one threshold for both.
  const rateFloor = Math.max(o.thresholdPerHour, o.minGrowth / growthHours);
  const gcs =
    o.majorGcMetric && o.minMajorGcs > 0
      ? `\nand increase(${sel(o.majorGcMetric)}[${o.growthWindow}]) >= ${promNumber(o.minMajorGcs)}`
      : '';
  // Vector matching against the limit: identical labels, or only the given ones.
  const match = o.limitOn && o.limitOn.length > 0 ? ` on (${o.limitOn.join(', ')}) group_left () ` : ' ';
  const names = recordNames(o);
  const runbook = (alert: keyof typeof RUNBOOK_ANCHORS): string =>
    `${o.runbookBase.replace(/#.*$/, '')}#${RUNBOOK_ANCHORS[alert]}`;
  const records: Array<[keyof RecordNames, string]> = [
    ['growthPerHour', `deriv(${heap}[${o.growthWindow}]) * 3600`],
    ['predicted', `predict_linear(${heap}[${o.predictWindow}], ${promNumber(horizonSeconds)})`],
    ['limitRatio', `${heap} /${match}${limit}`],
  ];
  if (o.requestsMetric) {
    records.push([
      'growthPerRequest',
      `deriv(${heap}[${o.growthWindow}]) / (rate(${sel(o.requestsMetric)}[${o.growthWindow}]) > 0)`,
    ]);
  }
  const rules: Rule[] = records.map(([key, expr]) => ({ record: names[key], expr }));
  if (o.legacyNames) {
    // Deprecated 0.1 names, recorded from the new series so both always agree.
    for (const [key] of records) rules.push({ record: LEGACY_RECORD_NAMES[key], expr: names[key] });
  }
  rules.push(
    {
      alert: RULE_NAMES.limitAlert,
      expr: `${names.predicted} >=${match}${limit}\nand ${names.growthPerHour} > 0`,
      for: o.limitFor,
      labels: { severity: o.limitSeverity },
      annotations: {
        summary: `{{ $labels.instance }} reaches its heap limit within ${o.horizon}`,
        description:
          `The heap after major GCs of {{ $labels.instance }} ({{ $labels.job }}), extrapolated over the last ` +
          `${o.predictWindow}, reaches the heap limit within ${o.horizon} (predicted {{ $value | humanize1024 }}B). ` +
          'A leak, or a working set too large for the limit.',
        runbook_url: runbook(RULE_NAMES.limitAlert),
      },
    },
    {
      alert: RULE_NAMES.growthAlert,
      expr: `${names.growthPerHour} > ${promNumber(rateFloor)}${gcs}`,
      for: o.growthFor,
      labels: { severity: o.growthSeverity },
      annotations: {
        summary: `{{ $labels.instance }}: heap after GC grows {{ $value | humanize1024 }}B/h`,
        description:
          `The heap after major GCs of {{ $labels.instance }} ({{ $labels.job }}) has grown faster than ` +
          `${promNumber(o.thresholdPerHour)} bytes/h (and at least ${promNumber(o.minGrowth)} bytes over ${o.growthWindow}) for ${o.growthFor}. ` +
          'Memory that survives garbage collection keeps growing: a leak unless traffic grew as much.',
        runbook_url: runbook(RULE_NAMES.growthAlert),
      },
    },
  );
  if (o.requestsMetric && o.thresholdPerRequest !== null) {
    rules.push({
      alert: RULE_NAMES.perRequestAlert,
      expr:
        `${names.growthPerRequest} > ${promNumber(o.thresholdPerRequest)}\n` +
        `and ${names.growthPerHour} > ${promNumber(rateFloor)}`,
      for: o.growthFor,
      labels: { severity: o.growthSeverity },
      annotations: {
        summary: `{{ $labels.instance }}: heap after GC grows {{ $value | humanize }}B per request`,
        description:
          `Each request to {{ $labels.instance }} ({{ $labels.job }}) leaves more than ${promNumber(o.thresholdPerRequest)} ` +
          `bytes behind after GC, fitted over ${o.growthWindow}.`,
        runbook_url: runbook(RULE_NAMES.perRequestAlert),
      },
    });
  }
  if (o.absentFor !== null) {
    // Per job, not per instance: a job that reported within the window and now has no series at
    // all. Scaling down (some instances gone) leaves the job present and fires nothing.
    rules.push({
      alert: RULE_NAMES.absentAlert,
      expr: `group by (job) (present_over_time(${heap}[${o.absentWindow}]))\nunless group by (job) (${heap})`,
      for: o.absentFor,
      labels: { severity: o.absentSeverity },
      annotations: {
        summary: `{{ $labels.job }}: no instance reports ${o.heapMetric}`,
        description:
          `Job {{ $labels.job }} exported ${o.heapMetric} within the last ${o.absentWindow} and no instance of it ` +
          `has for ${o.absentFor}: the leak alerts cannot fire for it. The exporter is not loaded, ` +
          'the targets are down, or scraping stopped.',
        runbook_url: runbook(RULE_NAMES.absentAlert),
      },
    });
  }
  const group: RuleFile['groups'][number] = { name: o.group, rules };
  if (o.interval) group.interval = formatPromDuration(parseDuration(o.interval) as number);
  return { groups: [group] };
}

/**
 * The rule file as YAML, with a header saying how it was made.
 *
 * @param options - overrides of {@link defaultAlertRuleOptions}
 * @returns YAML text for Prometheus' rule_files
 * @throws AlertOptionsError for bad options
 */
export function renderAlertRules(options: Partial<AlertRuleOptions> = {}): string {
  const file = alertRules(options);
  return (
    '# Generated by `leakcheck alerts`: leak alerts on the heap after major GCs, as exported by\n' +
    "# require('leakcheck/exporter'). Check with: promtool check rules <this file>\n" +
    (options.legacyNames
      ? '# Also records the 0.1 names (leakcheck:heap_after_gc:*), deprecated: move dashboards to the\n' +
        '# instance:* names; --legacy-names goes away in the next release.\n'
      : '') +
    stringify(file, { lineWidth: 0 })
  );
}
