/**
 * Reading reports of the previous schema: version 1 named the per-unit figures for requests
 * (`perRequest`, `firstRequests`, `lastRequests`). Version 2 names them for the axis (`perUnit`,
 * `xFirst`, `xLast`, plus `axis`). `leakcheck report` and the Action read both; a v1 report is
 * upgraded on load, in a copy. Reports written before `perUnitInterval` (the interval of the same
 * fit as `perUnit`) get it on load too.
 */

/** Renames in a metric analysis and its threshold, v1 → v2. */
const METRIC_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['perRequest', 'perUnit'],
  ['firstRequests', 'xFirst'],
  ['lastRequests', 'xLast'],
];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function renamed(object: Json, renames: ReadonlyArray<readonly [string, string]>): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) {
    const to = renames.find(([from]) => from === key)?.[1];
    out[to !== undefined && !(to in object) ? to : key] = value;
  }
  return out;
}

function threshold(value: unknown): unknown {
  return isObject(value) ? renamed(value, [['perRequest', 'perUnit']]) : value;
}

function metric(value: unknown): unknown {
  if (!isObject(value)) return value;
  const out = renamed(value, METRIC_RENAMES);
  out.threshold = threshold(out.threshold);
  // A v1 report came from a load test: its axis was requests.
  if (out.axis === undefined) out.axis = 'requests';
  return out;
}

/**
 * Upgrades a parsed report of schema version 1 to version 2, and gives every metric of a version
 * 2 report written before `perUnitInterval` that field (a copy; other versions are returned as
 * they are, for the validator to judge).
 *
 * @param value - parsed report.json
 * @returns the same report in the current layout
 */
export function migrateReport(value: unknown): unknown {
  const v2 = isObject(value) && value.schemaVersion === 1 ? fromVersion1(value) : value;
  if (!isObject(v2) || v2.schemaVersion !== 2 || !Array.isArray(v2.processes)) return v2;
  const processes = v2.processes.map((p: unknown) =>
    isObject(p) && Array.isArray(p.metrics)
      ? { ...p, metrics: p.metrics.map((m: unknown) => withInterval(m, lookOf(v2, p.pid))) }
      : p,
  );
  return { ...v2, processes };
}

/** The last look of the report's sequential measurement, when it was about process `pid`. */
function lookOf(
  report: Json,
  pid: unknown,
): { slope: unknown; low: unknown; high: unknown; confidence: unknown } | null {
  const s = report.sequential;
  if (!isObject(s) || s.pid !== pid || !Array.isArray(s.looks)) return null;
  const last: unknown = s.looks.at(-1);
  return isObject(last)
    ? { slope: last.slope, low: last.low, high: last.high, confidence: s.confidence }
    : null;
}

/**
 * A metric's `perUnitInterval` when it has none: the deciding look's interval when a sequential
 * rule decided it and the report kept that look; otherwise Sen's interval, with the Theil-Sen
 * slope as `perUnit` (earlier reports showed a sequential slope beside Sen's interval, and the
 * look of a process other than the one the measurement was about was not kept).
 */
function withInterval(value: unknown, look: ReturnType<typeof lookOf>): unknown {
  if (!isObject(value) || value.perUnitInterval !== undefined || !isObject(value.theilSen)) return value;
  const ts = value.theilSen;
  const sequential = typeof value.rule === 'string' && value.rule.startsWith('sequential-');
  if (
    sequential &&
    look &&
    look.slope === value.perUnit &&
    typeof look.low === 'number' &&
    typeof look.high === 'number' &&
    typeof look.confidence === 'number'
  ) {
    return { ...value, perUnitInterval: { low: look.low, high: look.high, confidence: look.confidence } };
  }
  return {
    ...value,
    perUnit: ts.slope,
    perUnitInterval: { low: ts.low, high: ts.high, confidence: ts.confidence },
  };
}

function fromVersion1(value: Json): Json {
  const out: Json = { ...value, schemaVersion: 2 };
  if (Array.isArray(value.processes)) {
    out.processes = value.processes.map((p: unknown) =>
      isObject(p) && Array.isArray(p.metrics) ? { ...p, metrics: p.metrics.map(metric) } : p,
    );
  }
  if (isObject(value.settings) && isObject(value.settings.thresholds)) {
    const thresholds = Object.fromEntries(
      Object.entries(value.settings.thresholds).map(([name, t]) => [name, threshold(t)]),
    );
    out.settings = { ...value.settings, thresholds };
  }
  return out;
}
