/**
 * Dependency blame: which packages' resolved versions differ between two revisions' lock files,
 * and, when a leak's growth is allocated inside one of them, the words that say so.
 */
import * as path from 'node:path';
import type { Finding } from '../report/report';
import { LOCKFILE_NAMES, LockfileError, parseLockfile, type LockedPackages } from './lockfile';

/** A package whose resolved version(s) differ between two lock files. */
export interface ChangedPackage {
  name: string;
  /**
   * Version(s) before, comma-separated when several; null when it was not there. When some of a
   * name's installed versions stay (express's own debug 2.6.9 beside the project's debug 4.3.0),
   * only the ones that changed are shown: debug 4.3.0 → 4.2.0.
   */
  from: string | null;
  /** Version(s) after; null when it is gone. */
  to: string | null;
  /**
   * The project depends on it itself (either side), rather than through another package; where the
   * lock file says which installed copy is the project's own (package-lock v2/v3, bun.lock), only
   * when that copy is one that changed.
   */
  direct: boolean;
}

/** What the lock files of two revisions say changed. */
export interface DependencyChanges {
  /** The lock file compared, relative to the repository's top (the later revision's). */
  lockfile: string | null;
  /** Packages whose versions changed, direct ones first, then by name. */
  changed: ChangedPackage[];
  /** Why nothing could be compared (no lock file, unreadable), when that is the case. */
  note?: string;
}

/**
 * The packages whose versions differ, direct first then by name. A name whose installed versions
 * were replaced one for another shows only those (the copies that stayed are not the change);
 * one that gained or lost a copy shows every version on both sides.
 *
 * @param before - the earlier revision's packages
 * @param after - the later revision's packages
 * @returns the changes (empty when the two resolve the same versions)
 */
export function diffPackages(before: LockedPackages, after: LockedPackages): ChangedPackage[] {
  const names = new Set([...before.versions.keys(), ...after.versions.keys()]);
  const text = (list: readonly string[]): string | null =>
    list.length > 0 ? [...list].sort(compareVersions).join(', ') : null;
  const out: ChangedPackage[] = [];
  for (const name of names) {
    const was = [...(before.versions.get(name) ?? [])];
    const is = [...(after.versions.get(name) ?? [])];
    const gone = was.filter((v) => !is.includes(v));
    const added = is.filter((v) => !was.includes(v));
    if (gone.length === 0 && added.length === 0) continue;
    const replaced = gone.length > 0 && added.length > 0;
    const from = text(replaced ? gone : was);
    const to = text(replaced ? added : is);
    out.push({ name, from, to, direct: isDirectChange(name, before, after, [...gone, ...added]) });
  }
  return out.sort(
    (a, b) => Number(b.direct) - Number(a.direct) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/**
 * Whether a change is to the project's own copy of a package: the name is a direct dependency
 * and, where a lock file records the copy at the top of node_modules, that copy is one that
 * changed (express's nested debug moving is transitive even when the project uses debug too).
 */
function isDirectChange(
  name: string,
  before: LockedPackages,
  after: LockedPackages,
  changed: readonly string[],
): boolean {
  if (!before.direct.has(name) && !after.direct.has(name)) return false;
  const tops = [before.topLevel, after.topLevel];
  if (tops.some((t) => t === undefined)) return true;
  const own = tops.map((t) => t?.get(name)).filter((v): v is string => v !== undefined);
  return own.length === 0 || own.some((v) => changed.includes(v));
}

/** Numeric-aware order of version strings ("4.10.0" after "4.9.1"). */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Reads a file of one revision by its path from the repository's top; null when absent. */
export type RevisionReader = (relPath: string) => Promise<string | null>;

/**
 * Finds the lock file that governs `relDir` in one revision: the nearest one from that folder up
 * to the repository's top, as the package managers look for it.
 *
 * @param read - reads a file of the revision
 * @param relDir - the service's folder relative to the repository's top ("" for the top)
 * @returns the lock file's path (from the top), its text and the package.json beside it, or null
 */
export async function findLockfile(
  read: RevisionReader,
  relDir: string,
): Promise<{ file: string; text: string; manifest: string | null } | null> {
  let dir = relDir
    .split(path.sep)
    .join('/')
    .replace(/^\.?\/?$/, '');
  for (;;) {
    for (const { file: name } of LOCKFILE_NAMES.filter((l) => l.text)) {
      const file = dir ? `${dir}/${name}` : name;
      const text = await read(file);
      if (text !== null) {
        return { file, text, manifest: await read(dir ? `${dir}/package.json` : 'package.json') };
      }
    }
    if (!dir) return null;
    const up = path.posix.dirname(dir);
    dir = up === '.' ? '' : up;
  }
}

/**
 * Compares the lock files of two revisions of the service's folder.
 *
 * @param before - reads the earlier revision
 * @param after - reads the later revision
 * @param relDir - the service's folder relative to the repository's top
 * @returns the changed packages, or a note saying why there are none to show
 */
export async function dependencyChanges(
  before: RevisionReader,
  after: RevisionReader,
  relDir: string,
): Promise<DependencyChanges> {
  const [a, b] = await Promise.all([findLockfile(before, relDir), findLockfile(after, relDir)]);
  if (!a && !b) return { lockfile: null, changed: [], note: 'no lock file in either revision' };
  if (!a || !b) {
    const which = a ? 'the later' : 'the earlier';
    return {
      lockfile: (b ?? a)?.file ?? null,
      changed: [],
      note: `${which} revision has no lock file; dependencies not compared`,
    };
  }
  try {
    const pa = parseLockfile(a.file, a.text, a.manifest ?? undefined);
    const pb = parseLockfile(b.file, b.text, b.manifest ?? undefined);
    const note = a.file !== b.file ? `the lock file moved from ${a.file} to ${b.file}` : undefined;
    return { lockfile: b.file, changed: diffPackages(pa, pb), ...(note ? { note } : {}) };
  } catch (err) {
    if (!(err instanceof LockfileError)) throw err;
    return { lockfile: b.file, changed: [], note: `lock file not read: ${err.message}` };
  }
}

/** A package the growth is traced to, as a finding carries it. */
export interface BlamedPackage {
  name: string;
  version: string | null;
  /**
   * allocated: a growing allocation site's code is in it; held: growing objects are kept by its
   * code (an object group made in it, or held by its closure). Absent: allocated.
   */
  how?: 'allocated' | 'held';
}

/**
 * The verdict's words about a dependency: when the growth is traced into a package whose version
 * this change moved, "growth allocated inside debug, changed 4.3.0 → 4.2.0 in this change; the
 * project was on debug@4.3.0 before: pin it back, or upgrade to a release that fixes it". The
 * packages are tried in order, and the first whose growing copy this change moved is named: a
 * leak that keeps express's response objects alive through express-form-data's exit handler is
 * allocated inside express, which did not change, and held by express-form-data, which did.
 *
 * @param packages - packages the growth is traced to: allocation sites' first, then holders'
 * @param changes - the change's dependency changes
 * @returns the sentence, or null when the growth is traced to no dependency
 */
export function blameSentence(
  packages: readonly BlamedPackage[],
  changes: DependencyChanges | undefined,
): string | null {
  const first = packages[0];
  if (!first) return null;
  const verb = (p: BlamedPackage): string => (p.how === 'held' ? 'held by' : 'allocated inside');
  for (const p of packages) {
    // The copy that grows must be one this change moved (not express's own debug 2.6.9 that stayed).
    const changed = changes?.changed.find(
      (c) => c.name === p.name && (p.version === null || (c.to ?? '').split(', ').includes(p.version)),
    );
    if (!changed) continue;
    const from = changed.from ?? 'not installed';
    const to = changed.to ?? 'removed';
    const fix = changed.from
      ? `; the project was on ${p.name}@${changed.from} before: pin it back, or upgrade to a release that fixes it`
      : `; ${p.name} is new in this change`;
    return `growth ${verb(p)} ${p.name}, changed ${from} → ${to} in this change${fix}`;
  }
  return `growth ${verb(first)} ${first.name}${first.version ? `@${first.version}` : ''} (its version did not change here)`;
}

/**
 * The packages the growth is traced to, one entry per package: those growing allocation sites sit
 * in (largest growth first), then those whose code holds growing object groups or single growing
 * objects (largest first).
 *
 * @param findings - a run's findings
 * @returns the packages (empty when the growth is all in the user's code)
 */
export function packagesInFindings(findings: readonly Finding[] | undefined): BlamedPackage[] {
  const bySize = (kind: Finding['kind']): Finding[] =>
    (findings ?? [])
      .filter((f) => f.kind === kind && f.package)
      .sort((a, b) => (b.bytesPerRequest ?? 0) - (a.bytesPerRequest ?? 0));
  const seen = new Set<string>();
  const out: BlamedPackage[] = [];
  const take = (list: readonly Finding[], how: 'allocated' | 'held'): void => {
    for (const f of list) {
      const p = f.package as NonNullable<Finding['package']>;
      if (seen.has(p.name)) continue;
      seen.add(p.name);
      out.push({ name: p.name, version: p.version, ...(how === 'held' ? { how } : {}) });
    }
  };
  take(bySize('allocation-site'), 'allocated');
  take(bySize('object-group'), 'held');
  take(bySize('growing-object'), 'held');
  return out;
}
