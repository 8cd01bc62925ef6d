/**
 * What a lock file says is installed: package name → resolved versions, and which names the
 * project asks for itself (direct) rather than through another package (transitive). Pure parsers
 * of the text of package-lock.json / npm-shrinkwrap.json (v1, v2, v3), pnpm-lock.yaml (v5 to v9),
 * yarn.lock (classic and berry) and bun.lock.
 */
import { parse as parseYaml } from 'yaml';

/** The lock file formats, one per package manager (Yarn 1 and Yarn 2+ write different ones). */
export type LockfileFormat = 'npm' | 'pnpm' | 'yarn-classic' | 'yarn-berry' | 'bun';

/** A lock file name and the manager that writes it. */
export interface LockfileName {
  file: string;
  /** `yarn`: classic or berry, told apart by the file's content or the folder's `.yarnrc.yml`. */
  manager: 'npm' | 'pnpm' | 'yarn' | 'bun';
  /** Whether {@link parseLockfile} reads it (bun.lockb is binary: it only names the manager). */
  text: boolean;
}

/**
 * Every lock file name, in the order preferred when a folder holds several: the one list for
 * dependency changes (compare, bisect) and for choosing the base install (compare).
 */
export const LOCKFILE_NAMES: readonly LockfileName[] = [
  { file: 'package-lock.json', manager: 'npm', text: true },
  { file: 'npm-shrinkwrap.json', manager: 'npm', text: true },
  { file: 'pnpm-lock.yaml', manager: 'pnpm', text: true },
  { file: 'yarn.lock', manager: 'yarn', text: true },
  { file: 'bun.lock', manager: 'bun', text: true },
  { file: 'bun.lockb', manager: 'bun', text: false },
];

/** The packages one lock file resolves. */
export interface LockedPackages {
  format: LockfileFormat;
  /** Package name → every version installed under that name (a tree can hold several). */
  versions: Map<string, Set<string>>;
  /** Names the project depends on itself (its package.json, or the lock file's root entry). */
  direct: Set<string>;
  /**
   * Name → the version installed at the top of node_modules, where the project's own `require`
   * finds it, for formats keyed by install path (package-lock v2/v3, bun.lock). Of a direct
   * dependency's several installed versions, this is the one the project asked for.
   */
  topLevel?: Map<string, string>;
}

/** A lock file whose text is not what its name says. */
export class LockfileError extends Error {}

/**
 * Parses a lock file's text.
 *
 * @param file - the file's name (decides the format), e.g. "pnpm-lock.yaml"
 * @param text - its contents
 * @param manifest - the package.json beside it, for formats that do not record direct
 *   dependencies (package-lock v1, yarn classic)
 * @returns the packages
 * @throws LockfileError when the text cannot be read as that format
 */
export function parseLockfile(file: string, text: string, manifest?: string): LockedPackages {
  const name = file.split(/[\\/]/).pop() ?? file;
  const direct = manifestDependencies(manifest);
  try {
    switch (name) {
      case 'package-lock.json':
      case 'npm-shrinkwrap.json':
        return parseNpm(text, direct);
      case 'pnpm-lock.yaml':
        return parsePnpm(text, direct);
      case 'yarn.lock':
        return /^__metadata:/m.test(text) ? parseYarnBerry(text, direct) : parseYarnClassic(text, direct);
      case 'bun.lock':
        return parseBun(text, direct);
      default:
        throw new LockfileError(`${name}: not a lock file leakcheck reads`);
    }
  } catch (err) {
    if (err instanceof LockfileError) throw err;
    throw new LockfileError(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
}

function emptyPackages(format: LockfileFormat, direct: Set<string>): LockedPackages {
  return { format, versions: new Map(), direct: new Set(direct) };
}

function add(out: LockedPackages, name: string, version: string | undefined): void {
  if (!name || !version) return;
  let set = out.versions.get(name);
  if (!set) {
    set = new Set();
    out.versions.set(name, set);
  }
  set.add(version);
}

function manifestDependencies(manifest: string | undefined): Set<string> {
  const names = new Set<string>();
  if (!manifest) return names;
  try {
    const json = JSON.parse(manifest) as Record<string, unknown>;
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
      const deps = json[field];
      if (deps && typeof deps === 'object') for (const n of Object.keys(deps)) names.add(n);
    }
  } catch {
    // A broken package.json only costs the direct/transitive distinction.
  }
  return names;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rootDependencies(entry: unknown, into: Set<string>): void {
  if (!isRecord(entry)) return;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = entry[field];
    if (isRecord(deps)) for (const n of Object.keys(deps)) into.add(n);
  }
}

/** package-lock.json: v2/v3 `packages` keyed by install path; v1 nested `dependencies`. */
function parseNpm(text: string, direct: Set<string>): LockedPackages {
  const json: unknown = JSON.parse(text);
  if (!isRecord(json)) throw new LockfileError('package-lock.json: expected a JSON object');
  const out = emptyPackages('npm', direct);
  const packages = json.packages;
  if (isRecord(packages)) {
    rootDependencies(packages[''], out.direct);
    for (const [key, entry] of Object.entries(packages)) {
      if (key === '' || !isRecord(entry) || entry.link === true) continue;
      const at = key.lastIndexOf('node_modules/');
      if (at < 0) continue; // a workspace folder, not an installed package
      const name = typeof entry.name === 'string' ? entry.name : key.slice(at + 'node_modules/'.length);
      const version = typeof entry.version === 'string' ? entry.version : undefined;
      add(out, name, version);
      if (at === 0 && version) (out.topLevel ??= new Map()).set(name, version);
    }
    return out;
  }
  // v1: a tree of `dependencies`, each entry's own nested ones below it.
  // v1 does not record what is direct: that comes from the package.json beside it.
  const walk = (deps: unknown): void => {
    if (!isRecord(deps)) return;
    for (const [name, entry] of Object.entries(deps)) {
      if (!isRecord(entry)) continue;
      add(out, name, typeof entry.version === 'string' ? entry.version : undefined);
      walk(entry.dependencies);
    }
  };
  walk(json.dependencies);
  return out;
}

/**
 * Splits a pnpm package key into name and version: "/debug/4.3.4" (v5), "/debug@4.3.4" (v6),
 * "debug@4.3.4(supports-color@8.1.1)" (v9), scoped names alike; peer suffixes are dropped.
 */
export function splitPnpmKey(key: string): { name: string; version: string } | null {
  const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
  const m = /^(@[^/@]+\/[^/@]+|[^/@]+)[@/](.+)$/.exec(bare);
  if (!m) return null;
  const version = (m[2] as string).replace(/_.*$/, '');
  return { name: m[1] as string, version };
}

function parsePnpm(text: string, direct: Set<string>): LockedPackages {
  const doc: unknown = parseYaml(text);
  if (!isRecord(doc)) throw new LockfileError('pnpm-lock.yaml: expected a YAML mapping');
  const out = emptyPackages('pnpm', direct);
  // Direct: the root importer (v6+ workspaces and v9), or top-level dependencies (v5).
  const importers = isRecord(doc.importers) ? doc.importers : { '.': doc };
  for (const importer of Object.values(importers)) rootDependencies(importer, out.direct);
  for (const section of [doc.packages, doc.snapshots]) {
    if (!isRecord(section)) continue;
    for (const [key, entry] of Object.entries(section)) {
      const fields = isRecord(entry) ? entry : {};
      const split = splitPnpmKey(key);
      const name = typeof fields.name === 'string' ? fields.name : split?.name;
      const version =
        typeof fields.version === 'string' && typeof fields.name === 'string'
          ? fields.version
          : split?.version;
      // A tarball or folder dependency is keyed by its path: its own version field says which.
      if (name && version && !/^(file|link|https?):/.test(version)) add(out, name, version);
      else if (name && typeof fields.version === 'string') add(out, name, fields.version);
    }
  }
  return out;
}

/** The name in a dependency spec: "debug@^4.1.0" → debug, "@scope/x@npm:1.0.0" → @scope/x. */
function specName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at < 0 ? spec : spec.slice(0, at);
}

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** yarn.lock v1: "spec, spec:" headers, then indented `version "x"` lines. */
function parseYarnClassic(text: string, direct: Set<string>): LockedPackages {
  const out = emptyPackages('yarn-classic', direct);
  if (!/^# yarn lockfile v1/m.test(text) && !/^\S.*:\s*$/m.test(text)) {
    throw new LockfileError('yarn.lock: neither a classic (v1) nor a berry lock file');
  }
  let current: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const header = line.replace(/:\s*$/, '');
      const first = unquote(header.split(',')[0] ?? '');
      current = first ? specName(first) : null;
      continue;
    }
    const m = /^\s{2}version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m && current) add(out, current, m[1]);
  }
  return out;
}

/** yarn.lock berry: YAML; each entry's `resolution` names it, workspace entries list direct deps. */
function parseYarnBerry(text: string, direct: Set<string>): LockedPackages {
  const doc: unknown = parseYaml(text);
  if (!isRecord(doc)) throw new LockfileError('yarn.lock: expected a YAML mapping');
  const out = emptyPackages('yarn-berry', direct);
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(entry)) continue;
    const resolution = typeof entry.resolution === 'string' ? entry.resolution : key.split(',')[0]?.trim();
    if (!resolution) continue;
    const name = specName(resolution);
    if (/@workspace:/.test(resolution)) {
      rootDependencies(entry, out.direct);
      continue;
    }
    add(out, name, typeof entry.version === 'string' ? entry.version : String(entry.version ?? ''));
  }
  return out;
}

/** Drops the trailing commas bun.lock's JSONC allows, leaving strings alone. */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    if (c === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      if (text[j] === '}' || text[j] === ']') continue;
    }
    out += c;
  }
  return out;
}

/** bun.lock (text, JSONC): `packages` maps an install path to ["name@version", ...]. */
function parseBun(text: string, direct: Set<string>): LockedPackages {
  const json: unknown = JSON.parse(stripTrailingCommas(text));
  if (!isRecord(json)) throw new LockfileError('bun.lock: expected a JSON object');
  const out = emptyPackages('bun', direct);
  if (isRecord(json.workspaces)) rootDependencies(json.workspaces[''], out.direct);
  if (isRecord(json.packages)) {
    for (const [key, entry] of Object.entries(json.packages)) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
      const ident = entry[0];
      const name = specName(ident);
      const version = ident.slice(name.length + 1);
      if (/^(workspace|link):/.test(version)) continue;
      add(out, name, version.replace(/^npm:/, ''));
      // Keys are install paths: "debug" at the top, "express/debug" nested below express.
      if (key === name) (out.topLevel ??= new Map()).set(name, version.replace(/^npm:/, ''));
    }
  }
  return out;
}
