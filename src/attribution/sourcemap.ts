/**
 * Maps profile frames of compiled code (TypeScript through tsx, tsc output, bundles) back to
 * their sources. The agent reports each script's source map URL as V8 parsed it from the
 * `//# sourceMappingURL=` comment: an inline `data:` URL (tsx, esbuild) or a path beside the
 * script (tsc). Maps are decoded here, in the harness, so the agent stays small.
 */
import * as fs from 'node:fs';
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

/** Resolves positions in scripts to positions in their sources; caches decoded maps. */
export class SourceMapper {
  private readonly byPath = new Map<string, ScriptInfo>();
  private readonly byId = new Map<string, ScriptInfo>();
  private readonly maps = new Map<string, TraceMap | null>();
  /** Maps that could not be read or decoded, with the reason (counted for the report). */
  readonly failures: string[] = [];

  constructor(scripts: readonly ScriptInfo[]) {
    for (const s of scripts) {
      this.byPath.set(toPath(s.url), s);
      this.byId.set(s.scriptId, s);
    }
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
   */
  original(url: string, line: number, column: number): SourcePosition | null {
    const script = this.byPath.get(toPath(url));
    if (!script || script.sourceMapURL === '') return null;
    const map = this.load(script);
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
        cf.url && cf.lineNumber >= 0 ? this.original(cf.url, cf.lineNumber + 1, cf.columnNumber + 1) : null;
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

  private load(script: ScriptInfo): TraceMap | null {
    const cached = this.maps.get(script.url);
    if (cached !== undefined) return cached;
    let map: TraceMap | null = null;
    try {
      const scriptUrl = script.url.startsWith('file:') ? script.url : pathToFileURL(script.url).href;
      const text = readMapText(script.sourceMapURL, toPath(script.url));
      map = new TraceMap(text, scriptUrl);
    } catch (err) {
      this.failures.push(`${toPath(script.url)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.maps.set(script.url, map);
    return map;
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
