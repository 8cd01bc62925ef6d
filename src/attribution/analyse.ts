/**
 * Turns what the attribution probe gathered into report findings: allocation sites whose live
 * bytes grew per request (source-mapped, nearest user frame), object groups from the snapshot
 * comparison with their retainer paths, and a pprof file of the growing allocations.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AttributionSummary, Finding } from '../report/report';
import { compareSnapshots, type GrownObject, type ObjectGroup } from './heap';
import { formatBytes, formatNumber } from '../analysis/format';
import { writePprof } from './pprof';
import { allocatedByNativeCode, notLeakcheck, significantSites } from './growth';
import type { AttributionData, ProcessAttribution, ProfilePoint } from './probe';
import type { GrowingSite, StackFrame } from './profile';
import { growingSites } from './sites';
import { packageLabel, packageNamer, type FramePackage } from './packages';
import { SourceMapper, toPath } from './sourcemap';

/** Options of {@link analyseAttribution}. */
export interface AttributionAnalysisOptions {
  /** Live bytes per request above which a site or group is reported. */
  threshold: number;
  /** Fewest added live samples for a site to count (below it the growth is sampling noise). */
  minSamples: number;
  /** Whether snapshot findings are kept (the verdict is a leak, or snapshots were asked for). */
  keepSnapshots: boolean;
  /** Where the pprof files go. */
  outDir: string;
  /** Most allocation sites per process (default 5). */
  maxSites?: number;
  /** Most object groups per process (default 5). */
  maxGroups?: number;
}

/** Findings and how they were made. */
export interface AttributionOutcome {
  findings: Finding[];
  summary: AttributionSummary;
}

/** Fewest objects in a group for it to be reported. */
const MIN_GROUP_COUNT = 16;

/** Least storage growth of one object that is reported, whatever the threshold (bytes). */
const MIN_STORAGE_GROWTH = 64 * 1024;

// V8's own bookkeeping that a developer cannot act on: code the JIT compiled, hidden classes,
// internal arrays. Contexts stay: they are closures' variables.
const INTERNAL_GROUPS = /^\((compiled code|object shape|system)\)$|^system \/ (?!Context$)/;

/**
 * Analyses the probe's data. Reads (and, when they are not kept, deletes) the snapshot files.
 *
 * @param data - what the attribution probe returned
 * @param options - thresholds and output folder
 * @returns findings for the report, and a summary of how they were made
 */
export async function analyseAttribution(
  data: AttributionData,
  options: AttributionAnalysisOptions,
): Promise<AttributionOutcome> {
  const started = performance.now();
  const findings: Finding[] = [];
  const notes: string[] = [];
  const pprof: string[] = [];
  const snapshotFiles: string[] = [];
  let profiles = 0;
  const nameOf = packageNamer();
  for (const proc of data.processes) {
    profiles += proc.profiles.length;
    for (const e of proc.errors) notes.push(`process ${proc.pid}: ${e}`);
    const mapper = new SourceMapper(proc.scripts);
    const pair = profilePair(proc.profiles);
    if (!pair) {
      notes.push(`process ${proc.pid}: fewer than two allocation profiles; no allocation sites`);
    } else {
      const [before, after] = pair;
      const units = after.requests - before.requests;
      const a = mapper.mapProfile(before.profile);
      const b = mapper.mapProfile(after.profile);
      const sites = significantSites(a, b, units, {
        threshold: options.threshold,
        minSamples: options.minSamples,
        // What the profiler saw before the first profile (it normally runs from preload).
        unitsBefore: proc.samplingSince === undefined ? undefined : before.requests - proc.samplingSince,
      }).slice(0, options.maxSites ?? 5);
      for (const site of sites) findings.push(siteFinding(proc.pid, site, nameOf));
      const stacks = growingSites(a, b, units, { groupBy: 'stack', include: notLeakcheck });
      if (stacks.length > 0) {
        const file = path.join(options.outDir, `allocations-${proc.pid}.pb.gz`);
        writePprof(file, stacks, { samplingInterval: data.samplingInterval, requests: units });
        pprof.push(file);
      }
    }
    for (const f of mapper.failures) notes.push(`process ${proc.pid}: source map not used: ${f}`);
    if (proc.snapshots.length > 0) {
      if (options.keepSnapshots && proc.snapshots.length === 3) {
        const groups = await snapshotFindings(proc, mapper, options, notes, nameOf);
        findings.push(...groups);
        snapshotFiles.push(...proc.snapshots.map((s) => s.file));
      } else {
        if (proc.snapshots.length !== 3)
          notes.push(`process ${proc.pid}: ${proc.snapshots.length} of 3 heap snapshots taken; not compared`);
        for (const s of proc.snapshots) fs.rmSync(s.file, { force: true });
      }
    }
  }
  if (data.newProcess) notes.unshift(newProcessNote(data.newProcess));
  const taken = data.processes.some((p) => p.snapshots.length > 0);
  return {
    findings,
    summary: {
      samplingInterval: data.samplingInterval,
      profiles,
      snapshots: {
        taken,
        reason:
          taken && !options.keepSnapshots
            ? `${data.snapshotReason}, but the verdict is not a leak: discarded`
            : data.snapshotReason,
        files: snapshotFiles,
      },
      pprof,
      notes,
      ...(data.phases && data.phases.length > 0
        ? {
            timings: [...data.phases, { phase: 'analysis', ms: Math.round(performance.now() - started) }],
          }
        : {}),
    },
  };
}

/** Who allocated a site with no JavaScript on its stack (see allocatedByNativeCode). */
export const NATIVE_SITE =
  'native code (no JavaScript on the stack: strings the HTTP parser made, for one; the snapshots say what holds them)';

/**
 * The note that says attribution ran in a new process of the service (the default), not in the
 * measured one: the sites, groups and figures come from that process and its traffic.
 *
 * @param run - the new process's requests and output file
 * @returns the note
 */
export function newProcessNote(run: { requests: number; logFile: string }): string {
  return `attribution ran in a new process of the service, started after the leak verdict (${formatNumber(run.requests)} requests; its output: ${run.logFile})`;
}

/** The profiles to compare: the one nearest the middle of the window, and the last. */
function profilePair(points: readonly ProfilePoint[]): [ProfilePoint, ProfilePoint] | null {
  if (points.length < 2) return null;
  const last = points[points.length - 1] as ProfilePoint;
  const middle = last.sampleIndex / 2;
  let before = points[0] as ProfilePoint;
  for (const p of points.slice(0, -1)) {
    if (Math.abs(p.sampleIndex - middle) < Math.abs(before.sampleIndex - middle)) before = p;
  }
  // Growth before the middle is left out: a bounded cache filling up after the warm-up grows
  // there, a leak grows in both halves.
  return last.requests > before.requests ? [before, last] : null;
}

type PackageNamer = (url: string) => FramePackage | null;

function frameText(f: StackFrame, nameOf: PackageNamer): string {
  if (f.url === '') return `${f.functionName} ((internal):${f.line}:${f.column})`;
  const pkg = nameOf(f.url);
  const where = pkg ? packageLabel(pkg) : toPath(f.url);
  return `${f.functionName} (${where}:${f.line}:${f.column})`;
}

/**
 * The innermost frame under node_modules, between the allocating frame and the nearest user frame:
 * the dependency's code that allocated (the frames of Node itself are skipped).
 */
function dependencyFrame(
  site: GrowingSite,
  nameOf: PackageNamer,
): { frame: StackFrame; pkg: FramePackage } | null {
  for (const frame of site.stack) {
    if (frame === site.userFrame) break;
    const pkg = frame.url === '' ? null : nameOf(frame.url);
    if (pkg) return { frame, pkg };
  }
  return null;
}

function siteFinding(pid: number, site: GrowingSite, nameOf: PackageNamer): Finding {
  const frame = site.userFrame ?? site.frame;
  const file = frame && frame.url !== '' ? toPath(frame.url) : undefined;
  const short = (f: StackFrame, name: string | undefined): string =>
    `${f.functionName} (${name ?? '(internal)'}:${f.line})`;
  const dep = dependencyFrame(site, nameOf);
  const depText = dep ? `${packageLabel(dep.pkg)}:${dep.frame.line} (${dep.frame.functionName})` : null;
  const userText = site.userFrame ? short(site.userFrame, file ? path.basename(file) : undefined) : null;
  const native = allocatedByNativeCode(site);
  const where = native
    ? NATIVE_SITE
    : depText
      ? depText
      : frame
        ? short(
            frame,
            file
              ? nameOf(file)
                ? packageLabel(nameOf(file) as FramePackage)
                : path.basename(file)
              : undefined,
          )
        : 'V8';
  const calledFrom = depText && userText ? `, called from ${userText}` : '';
  return {
    kind: 'allocation-site',
    pid,
    title: `${where} allocates ${round(site.perUnit)} B per request that stays alive${calledFrom}`,
    ...(file ? { file } : {}),
    ...(frame && !native ? { line: frame.line, column: frame.column } : {}),
    ...(frame ? { function: frame.functionName } : {}),
    bytesPerRequest: round(site.perUnit),
    stack: site.stack.map((f) => frameText(f, nameOf)),
    ...(dep
      ? {
          package: {
            name: dep.pkg.name,
            version: dep.pkg.version,
            file: dep.pkg.file,
            line: dep.frame.line,
            function: dep.frame.functionName,
          },
        }
      : {}),
  };
}

async function snapshotFindings(
  proc: ProcessAttribution,
  mapper: SourceMapper,
  options: AttributionAnalysisOptions,
  notes: string[],
  nameOf: PackageNamer,
): Promise<Finding[]> {
  const [s1, s2, s3] = proc.snapshots as [
    (typeof proc.snapshots)[0],
    (typeof proc.snapshots)[0],
    (typeof proc.snapshots)[0],
  ];
  const units = s2.requests - s1.requests;
  if (units <= 0) {
    notes.push(`process ${proc.pid}: no requests between the first two snapshots; not compared`);
    return [];
  }
  // A handful of objects is a one-off (a parser buffer, a cache line), not a per-request leak.
  const reportable = (g: { name: string; count: number; selfSize: number }): boolean =>
    !INTERNAL_GROUPS.test(g.name) && g.count >= MIN_GROUP_COUNT && g.selfSize / units > options.threshold;
  const max = options.maxGroups ?? 5;
  // One object whose storage grew: above the threshold over the whole window, and by more than
  // a few stores' worth (storage grows in steps, so a small step says little).
  const windowUnits = s3.requests - s1.requests;
  const minGrowth = Math.max(MIN_STORAGE_GROWTH, options.threshold * windowUnits);
  try {
    const comparison = await compareSnapshots(s1.file, s2.file, s3.file, {
      limit: 50,
      paths: max,
      pathFilter: reportable,
      ids: [s1.ids, s2.ids],
      containers: { minGrowth },
    });
    return [
      ...comparison.containers.map((c) => grownFinding(proc.pid, c, windowUnits, mapper, nameOf)),
      ...comparison.groups
        .filter(reportable)
        .slice(0, max)
        .map((g) => groupFinding(proc.pid, g, units, mapper, nameOf)),
    ];
  } catch (err) {
    notes.push(
      `process ${proc.pid}: snapshots not compared: ${err instanceof Error ? err.message : String(err)}`,
    );
    return [];
  }
}

function groupFinding(
  pid: number,
  g: ObjectGroup,
  units: number,
  mapper: SourceMapper,
  nameOf: PackageNamer,
): Finding {
  const perRequest = g.count / units;
  const sizeEach = g.selfSize / g.count;
  const held = g.heldSize / units;
  // What it keeps alive with it, when that is more than its own objects (10% or more).
  const holding = g.heldSize >= 1.1 * g.selfSize ? ` (${formatBytes(held)}/request with what it holds)` : '';
  let where: { file?: string; line?: number; column?: number } = {};
  if (g.location) {
    const url = mapper.urlOf(String(g.location.scriptId));
    if (url) {
      const line = g.location.line + 1;
      const column = g.location.column + 1;
      const pos = mapper.original(url, line, column);
      where = pos
        ? { file: pos.url, line: pos.line, column: pos.column }
        : { file: toPath(url), line, column };
    }
  }
  // Objects made by a dependency's code: say which package (and version) made them; objects that
  // a dependency's function holds (a property of a debug instance, its context): which holds them.
  const made = where.file ? nameOf(where.file) : null;
  const holder = made ? null : holderInPackage(g, mapper, nameOf);
  const pkg = made ?? holder?.pkg ?? null;
  const line = made ? where.line : holder?.line;
  const madeIn = pkg ? `, ${made ? 'made' : 'held'} in ${packageLabel(pkg)}${line ? `:${line}` : ''}` : '';
  return {
    kind: 'object-group',
    pid,
    title: `${g.name}: +${perRequest.toFixed(2)} per request, ${Math.round(sizeEach)} B each${holding}${madeIn}`,
    ...where,
    bytesPerRequest: round(g.selfSize / units),
    countPerRequest: Math.round(perRequest * 1000) / 1000,
    heldBytesPerRequest: round(held),
    sizeEach: Math.round(sizeEach),
    ...(g.retainerText ? { retainerPath: g.retainerText } : {}),
    ...(g.retainers ? { retainers: g.retainers } : {}),
    ...(pkg ? { package: { name: pkg.name, version: pkg.version, file: pkg.file, line } } : {}),
  };
}

/**
 * A single object whose storage grew between the first and the third snapshot: growth per
 * request over that window (rough: storage grows in steps), and what holds it.
 */
function grownFinding(
  pid: number,
  c: GrownObject,
  units: number,
  mapper: SourceMapper,
  nameOf: PackageNamer,
): Finding {
  const holder = holderInPackage(c, mapper, nameOf);
  const heldIn = holder ? `, held in ${packageLabel(holder.pkg)}:${holder.line}` : '';
  const kb = (n: number): string => `${Math.round(n / 1024).toLocaleString('en-US')} KB`;
  return {
    kind: 'growing-object',
    pid,
    title:
      c.objects > 1
        ? `${c.name} (${c.objects} objects held by the same object, the path is to the one that grew most): their storage grew ${kb(c.before)} → ${kb(c.after)} in all${heldIn}`
        : `${c.name} (one object): its storage grew ${kb(c.before)} → ${kb(c.after)}${heldIn}`,
    bytesPerRequest: round((c.after - c.before) / units),
    objects: c.objects,
    retainerPath: c.retainerText,
    retainers: c.retainers,
    ...(holder
      ? {
          package: {
            name: holder.pkg.name,
            version: holder.pkg.version,
            file: holder.pkg.file,
            line: holder.line,
          },
        }
      : {}),
  };
}

/** The package of the nearest closure that holds a group's example object, when in node_modules. */
function holderInPackage(
  g: Pick<ObjectGroup, 'holderLocation'>,
  mapper: SourceMapper,
  nameOf: PackageNamer,
): { pkg: FramePackage; line: number } | null {
  if (!g.holderLocation) return null;
  const url = mapper.urlOf(String(g.holderLocation.scriptId));
  if (!url) return null;
  const line = g.holderLocation.line + 1;
  const pos = mapper.original(url, line, g.holderLocation.column + 1);
  const pkg = nameOf(pos ? pos.url : toPath(url));
  return pkg ? { pkg, line: pos ? pos.line : line } : null;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
