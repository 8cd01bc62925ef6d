/**
 * Reading reports of the previous schema: version 1 named the per-unit figures for requests
 * (`perRequest`, `firstRequests`, `lastRequests`). Version 2 names them for the axis (`perUnit`,
 * `xFirst`, `xLast`, plus `axis`). `leakcheck report` and the Action read both; a v1 report is
 * upgraded on load, in a copy.
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
 * Upgrades a parsed report of schema version 1 to version 2 (a copy; other versions are returned
 * as they are, for the validator to judge).
 *
 * @param value - parsed report.json
 * @returns the same report in the current layout
 */
export function migrateReport(value: unknown): unknown {
  if (!isObject(value) || value.schemaVersion !== 1) return value;
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
