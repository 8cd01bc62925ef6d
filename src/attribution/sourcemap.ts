/**
 * Maps profile frames of compiled code (TypeScript through tsx, tsc output, bundles, a test
 * runner's transform) back to their sources: the one resolver of both attribution paths.
 *
 * Scripts come with the source map URL V8 parsed from their `//# sourceMappingURL=` comment (an
 * inline `data:` URL, as tsx, esbuild and ts-jest write, or a path beside the script, as tsc
 * does): the agent reports them for a target, detectLeak asks its own debugger session. In
 * process, the maps Node itself keeps (`module.findSourceMap`: tsx, --enable-source-maps) are
 * used too. Maps are decoded in the harness, so the agent stays small.
 */
import * as fs from 'node:fs';
import { findSourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import type { ProfileNode, SamplingProfile } from './profile';

/** A script as the agent saw it. */
export interface ScriptInfo {
  /** V8 script id. */
  scriptId: string;
  /** Script URL (file:// for files) or path. */
  url: string;
  /** The script's source map URL, or "" when it has none. */
  sourceMapURL: string;
}

/** A position in an original source: 1-based line and column. */
export interface SourcePosition {
  url: string;
  line: number;
  column: number;
  /** The original name at that position, when the map records one. */
  name?: string;
}

/** Where {@link SourceMapper} finds maps besides the scripts it is given. */
export interface SourceMapperOptions {
  /**
   * Also use the maps Node holds for files loaded in this process (`module.findSourceMap`), for
   * scripts not in the list; only meaningful in process (detectLeak). Default false.
   */
  nodeMaps?: boolean;
}

/**
 * Whether Node holds a source map for the file behind a URL (then a {@link SourceMapper} with
 * `nodeMaps` needs no script entry for it).
 *
 * @param url - a call frame's URL or path
 * @returns true when `module.findSourceMap` knows the file
 */
export function nodeHasSourceMap(url: string): boolean {
  return nodeSourceMap(url) !== null;
}

/** Resolves positions in scripts to positions in their sources; caches decoded maps. */
export class SourceMapper {
  private readonly byPath = new Map<string, ScriptInfo>();
  private readonly byId = new Map<string, ScriptInfo>();
  private readonly maps = new Map<string, TraceMap | null>();
  private readonly nodeMaps: boolean;
  /** Maps that could not be read or decoded, with the reason (counted for the report). */
  readonly failures: string[] = [];

  constructor(scripts: readonly ScriptInfo[], options: SourceMapperOptions = {}) {
    for (const s of scripts) {
      this.byPath.set(toPath(s.url), s);
      this.byId.set(s.scriptId, s);
    }
    this.nodeMaps = options.nodeMaps ?? false;
  }

  /** Number of scripts that carry a source map. */
  get mappedScripts(): number {
    return [...this.byPath.values()].filter((s) => s.sourceMapURL !== '').length;
  }

  /** URL of a script by V8 id (for snapshot locations), or null when unknown. */
  urlOf(scriptId: string): string | null {
    return this.byId.get(scriptId)?.url ?? null;
  }

  /**
   * The original position of a 1-based line and column in a script, or null when the script has
   * no map or the map says nothing about that position.
   *
   * @param url - the script's URL or path
   * @param line - 1-based line in the script
   * @param column - 1-based column in the script
   * @param scriptId - V8's id of the script, when known: it picks the exact script when several
   *   share a URL (a test runner running one file in several module registries)
   * @returns the position in the original source, or null
   */
  original(url: string, line: number, column: number, scriptId?: string): SourcePosition | null {
    const map = this.mapFor(url, scriptId);
    if (!map) return null;
    const pos = originalPositionFor(map, { line, column: Math.max(0, column - 1) });
    if (pos.source === null || pos.line === null || pos.column === null) return null;
    return {
      url: toPath(pos.source),
      line: pos.line,
      column: pos.column + 1,
      ...(pos.name ? { name: pos.name } : {}),
    };
  }

  /**
   * A copy of a sampling profile whose frames point at original sources where a map exists.
   * Function names stay as V8 reported them unless empty and the map names the position.
   */
  mapProfile(profile: SamplingProfile): SamplingProfile {
    const mapNode = (node: ProfileNode): ProfileNode => {
      const cf = node.callFrame;
      const pos =
        cf.url && !cf.url.startsWith('node:') && cf.lineNumber >= 0
          ? this.original(cf.url, cf.lineNumber + 1, cf.columnNumber + 1, cf.scriptId)
          : null;
      return {
        ...node,
        callFrame: pos
          ? {
              ...cf,
              url: pos.url,
              lineNumber: pos.line - 1,
              columnNumber: pos.column - 1,
              functionName: cf.functionName || pos.name || '',
            }
          : cf,
        children: node.children.map(mapNode),
      };
    };
    return { ...profile, head: mapNode(profile.head) };
  }

  /** The decoded map of a script: its reported map, else (with `nodeMaps`) the one Node holds. */
  private mapFor(url: string, scriptId: string | undefined): TraceMap | null {
    const byId = scriptId !== undefined ? this.byId.get(scriptId) : undefined;
    const script = byId && byId.sourceMapURL !== '' ? byId : this.byPath.get(toPath(url));
    if (script && script.sourceMapURL !== '') {
      return this.load(`script ${script.scriptId}`, script.url, () =>
        readMapText(script.sourceMapURL, toPath(script.url)),
      );
    }
    if (!this.nodeMaps) return null;
    return this.load(`node ${toPath(url)}`, url, () => {
      const payload = nodeSourceMap(url);
      return payload === null ? null : JSON.stringify(payload);
    });
  }

  private load(key: string, scriptUrl: string, read: () => string | null): TraceMap | null {
    const cached = this.maps.get(key);
    if (cached !== undefined) return cached;
    let map: TraceMap | null = null;
    try {
      const text = read();
      // Sources named relative to the map resolve against the script's folder.
      if (text !== null) {
        map = new TraceMap(text, scriptUrl.startsWith('file:') ? scriptUrl : pathToFileURL(scriptUrl).href);
      }
    } catch (err) {
      this.failures.push(`${toPath(scriptUrl)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.maps.set(key, map);
    return map;
  }
}

/** The payload of the map Node keeps for a file loaded in this process, or null. */
function nodeSourceMap(url: string): object | null {
  if (url === '' || url.startsWith('node:')) return null;
  const file = toPath(url);
  if (!path.isAbsolute(file)) return null;
  try {
    return findSourceMap(file)?.payload ?? null;
  } catch {
    return null;
  }
}

/** The map's JSON text from an inline data: URL or a file next to the script. */
function readMapText(sourceMapURL: string, scriptPath: string): string {
  if (sourceMapURL.startsWith('data:')) {
    const comma = sourceMapURL.indexOf(',');
    if (comma < 0) throw new Error('malformed data: URL');
    const head = sourceMapURL.slice(5, comma);
    const body = sourceMapURL.slice(comma + 1);
    return head.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  }
  const file = sourceMapURL.startsWith('file:')
    ? fileURLToPath(sourceMapURL)
    : path.resolve(path.dirname(scriptPath), sourceMapURL);
  return fs.readFileSync(file, 'utf8');
}

/** A file:// URL as a path; anything else unchanged. */
export function toPath(url: string): string {
  if (!url.startsWith('file:')) return url;
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
