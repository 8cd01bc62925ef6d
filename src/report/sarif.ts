/**
 * SARIF 2.1.0 for code-scanning tools: one result per leaking (or inconclusive) gating metric of
 * each process, and one per attribution finding that names a file and line, located there so a
 * code-scanning view can point at the allocating line. Pure.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { METRICS, type MetricAnalysis } from '../analysis';
import { EXHAUSTION_RULE } from '../analysis/exhaustion';
import type { Finding, Report } from './report';
import { findingLocation, findingRate, topFindings } from './view-findings';

/** Rendering options. */
export interface SarifOptions {
  /**
   * Folder that result paths are made relative to (the repository root, for GitHub code
   * scanning). Default: the target's working directory.
   */
  sourceRoot?: string;
  /** Findings to report at most (default 20). */
  maxFindings?: number;
}

/** The subset of SARIF 2.1.0 leakcheck writes. */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: SarifRun[];
}

/** One SARIF run. */
export interface SarifRun {
  tool: {
    driver: {
      name: string;
      version: string;
      informationUri: string;
      rules: SarifRule[];
    };
  };
  originalUriBaseIds: Record<string, { uri: string }>;
  invocations: Array<{ executionSuccessful: boolean; exitCode: number }>;
  results: SarifResult[];
}

/** A rule: one per metric, plus the allocation-site and object-group findings. */
export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  defaultConfiguration: { level: 'error' | 'warning' | 'note' };
}

/** One result. */
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning' | 'note';
  message: { text: string };
  locations?: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region?: { startLine: number; startColumn?: number };
    };
  }>;
  partialFingerprints?: Record<string, string>;
  properties?: Record<string, unknown>;
}

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFO_URI = 'https://www.npmjs.com/package/leakcheck';

/**
 * Builds the SARIF log object.
 *
 * @param report - the report
 * @param options - source root and limits
 * @returns the SARIF log
 */
export function buildSarif(report: Report, options: SarifOptions = {}): SarifLog {
  const root = options.sourceRoot ?? report.target.cwd;
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const rule = (
    id: string,
    name: string,
    short: string,
    full: string,
    level: SarifRule['defaultConfiguration']['level'],
  ): number => {
    const known = ruleIndex.get(id);
    if (known !== undefined) return known;
    rules.push({
      id,
      name,
      shortDescription: { text: short },
      fullDescription: { text: full },
      defaultConfiguration: { level },
    });
    ruleIndex.set(id, rules.length - 1);
    return rules.length - 1;
  };

  const results: SarifResult[] = [];
  const leak = report.verdict === 'leak';
  for (const p of report.processes) {
    for (const m of p.metrics) {
      if (!m.gating || m.verdict === 'pass') continue;
      const id = `leakcheck/${m.metric}-growth`;
      const index = rule(
        id,
        `${m.metric}Growth`,
        `${METRICS[m.metric].label} grows with requests served`,
        `The ${METRICS[m.metric].label} of the service grows in proportion to the requests it serves (fitted per request with a confidence interval), which exhausts it under sustained traffic.`,
        'error',
      );
      // GitHub code scanning needs a location: the top finding's line, else the service's entry file.
      const entry = entryLocation(p.argv, root);
      const locations = [...findingsOf(report, p.pid, root), ...(entry ? [entry] : [])];
      results.push(metricResult(id, index, m, p.pid, locations));
    }
  }
  const exhaustion = report.traffic.exhaustion;
  if (exhaustion) {
    const id = `leakcheck/${EXHAUSTION_RULE}`;
    const index = rule(
      id,
      'resourceExhausted',
      'A resource the service needs ran out during the load',
      'An endpoint that answered its first requests failed from some point on (or the whole service stopped answering), as a connection pool does when connections are taken and never released; the heap does not show it.',
      'error',
    );
    const main = report.processes[0];
    const entry = main ? entryLocation(main.argv, root) : null;
    results.push({
      ruleId: id,
      ruleIndex: index,
      level: leak ? 'error' : 'warning',
      message: { text: `Resource exhausted: ${exhaustion.reason}` },
      ...(entry ? { locations: [entry] } : {}),
      partialFingerprints: { leakcheckExhaustion: exhaustion.endpoint ?? exhaustion.kind },
      properties: { kind: exhaustion.kind, answeredFirst: exhaustion.answeredFirst, late: exhaustion.late },
    });
  }
  for (const f of topFindings(report, options.maxFindings ?? 20)) {
    const loc = locationOf(f, root);
    if (!loc) continue;
    const id = `leakcheck/${f.kind}`;
    const index = rule(
      id,
      f.kind !== 'allocation-site' ? 'growingObjects' : 'growingAllocationSite',
      f.kind !== 'allocation-site'
        ? 'Objects that accumulate per request'
        : 'Allocation site whose live memory grows per request',
      'Found by attribution while the service was under load: memory allocated here stays alive and grows with requests served.',
      'error',
    );
    const rate = findingRate(f);
    results.push({
      ruleId: id,
      ruleIndex: index,
      level: leak ? 'error' : 'warning',
      message: {
        text: `${f.title}${rate ? ` (${rate})` : ''}${typeof f.retainerPath === 'string' ? `; kept alive by ${f.retainerPath}` : ''}`,
      },
      locations: [loc],
      partialFingerprints: { leakcheckFinding: `${f.kind}:${findingLocation(f) ?? f.title}` },
      properties: { pid: f.pid, bytesPerRequest: f.bytesPerRequest, countPerRequest: f.countPerRequest },
    });
  }
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'leakcheck', version: report.tool.version, informationUri: INFO_URI, rules },
        },
        originalUriBaseIds: { SRCROOT: { uri: folderUri(root) } },
        invocations: [{ executionSuccessful: report.verdict !== 'error', exitCode: report.exitCode }],
        results,
      },
    ],
  };
}

/**
 * Renders the report as a SARIF 2.1.0 JSON document. `<`, `>` and `&` are written as \u escapes,
 * so the file stays inert even if something pastes it into a web page; it parses to the same text.
 *
 * @param report - the report
 * @param options - source root and limits
 * @returns the JSON text
 */
export function renderSarif(report: Report, options: SarifOptions = {}): string {
  return (
    JSON.stringify(buildSarif(report, options), null, 2).replace(
      /[<>&]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ) + '\n'
  );
}

function metricResult(
  id: string,
  index: number,
  m: MetricAnalysis,
  pid: number,
  locations: NonNullable<SarifResult['locations']>,
): SarifResult {
  return {
    ruleId: id,
    ruleIndex: index,
    level: m.verdict === 'leak' ? 'error' : 'warning',
    message: {
      text: `${m.verdict === 'leak' ? 'Leak' : 'Inconclusive'} in ${m.metric}: ${m.reason}`,
    },
    ...(locations.length > 0 ? { locations: locations.slice(0, 1) } : {}),
    partialFingerprints: { leakcheckMetric: m.metric },
    // perRequest: the name before report schema 2, kept for one release.
    properties: {
      pid,
      perUnit: m.perUnit,
      perRequest: m.perUnit,
      growth: m.growth,
      rule: m.rule,
      samples: m.samples,
    },
  };
}

/** Locations of the findings of one process, largest first. */
function findingsOf(report: Report, pid: number, root: string): NonNullable<SarifResult['locations']> {
  return topFindings(report, Number.MAX_SAFE_INTEGER)
    .filter((f) => f.pid === pid)
    .map((f) => locationOf(f, root))
    .filter((l): l is NonNullable<ReturnType<typeof locationOf>> => l !== null);
}

/** The script the process runs (the last argv entry with a JavaScript/TypeScript extension), at line 1. */
function entryLocation(
  argv: readonly string[],
  root: string,
): NonNullable<SarifResult['locations']>[number] | null {
  const script = [...argv].reverse().find((a) => /\.(c|m)?(j|t)sx?$/.test(a));
  return script
    ? locationOf({ kind: 'allocation-site', pid: 0, title: '', file: script, line: 1 }, root)
    : null;
}

function locationOf(f: Finding, root: string): NonNullable<SarifResult['locations']>[number] | null {
  if (typeof f.file !== 'string' || f.file === '' || typeof f.line !== 'number' || f.line < 1) return null;
  let file = f.file;
  if (file.startsWith('file:')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return null; // a malformed file: URL points nowhere a code-scanning view could show
    }
  }
  const abs = path.resolve(root, file);
  const rel = path.relative(root, abs);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  return {
    physicalLocation: {
      artifactLocation: inside
        ? { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' }
        : { uri: pathToFileURL(abs).href },
      region: {
        startLine: Math.floor(f.line),
        ...(typeof f.column === 'number' && f.column >= 1 ? { startColumn: Math.floor(f.column) } : {}),
      },
    },
  };
}

/** A folder's file: URI with the trailing slash SARIF base URIs need. */
function folderUri(folder: string): string {
  const href = pathToFileURL(path.resolve(folder)).href;
  return href.endsWith('/') ? href : `${href}/`;
}
