/**
 * Frames inside dependencies, named the way a developer pins them: a path under node_modules
 * becomes `debug@4.2.0 src/common.js:33`, the version read from the installed package's own
 * package.json (the one that ran, whatever the lock file says).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The installed package a file belongs to. */
export interface FramePackage {
  /** Package name, scoped names included ("@scope/name"). */
  name: string;
  /** Version from its package.json; null when that cannot be read. */
  version: string | null;
  /** The file's path inside the package ("src/common.js"). */
  file: string;
}

/** Reads a package.json's text; null when absent (injected by tests). */
export type ManifestReader = (file: string) => string | null;

const readManifest: ManifestReader = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/**
 * Names the package a script belongs to, from the innermost `node_modules/<name>` in its path.
 *
 * @param url - a frame's URL or path (`file://` URLs allowed)
 * @param read - reads package.json files (default: the file system, cached by the caller)
 * @returns the package, or null for a file outside node_modules
 */
export function packageOfUrl(url: string, read: ManifestReader = readManifest): FramePackage | null {
  const file = url.replace(/^file:\/\//, '');
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0 || at + 1 >= parts.length) return null;
  const scoped = (parts[at + 1] as string).startsWith('@');
  const nameParts = parts.slice(at + 1, at + (scoped ? 3 : 2));
  if (nameParts.length < (scoped ? 2 : 1)) return null;
  const name = nameParts.join('/');
  const root = parts.slice(0, at + 1 + nameParts.length).join('/');
  let version: string | null = null;
  const text = read(`${root}/package.json`);
  if (text !== null) {
    try {
      const v = (JSON.parse(text) as { version?: unknown }).version;
      if (typeof v === 'string') version = v;
    } catch {
      // An unreadable manifest leaves the version unknown.
    }
  }
  return { name, version, file: parts.slice(at + 1 + nameParts.length).join('/') };
}

/**
 * A {@link packageOfUrl} that reads each package.json once.
 *
 * @param read - the underlying reader
 * @returns the cached lookup
 */
export function packageNamer(read: ManifestReader = readManifest): (url: string) => FramePackage | null {
  const manifests = new Map<string, string | null>();
  const cached: ManifestReader = (file) => {
    if (!manifests.has(file)) manifests.set(file, read(file));
    return manifests.get(file) ?? null;
  };
  return (url) => packageOfUrl(url, cached);
}

/**
 * `name@version file` for a package, e.g. "debug@4.2.0 src/common.js".
 *
 * @param pkg - the package
 * @returns the label
 */
export function packageLabel(pkg: FramePackage): string {
  return `${pkg.name}${pkg.version ? `@${pkg.version}` : ''} ${pkg.file}`;
}

/**
 * A file's display name: `debug@4.2.0 src/common.js` inside a dependency, else its base name.
 *
 * @param file - a path
 * @param name - the package lookup
 * @returns the display name
 */
export function displayFile(file: string, name: (url: string) => FramePackage | null): string {
  const pkg = name(file);
  return pkg ? packageLabel(pkg) : path.basename(file);
}
