/**
 * Maps profile frames of transpiled code back to the lines the user wrote. Two sources of maps:
 * the ones Node itself keeps (`module.findSourceMap`: tsx, ts-node, --enable-source-maps), and the
 * inline maps of code a test runner transformed and ran itself (jest with babel-jest or ts-jest),
 * whose URLs the debugger reports. Frames without a map are returned unchanged, so plain
 * JavaScript keeps its exact positions.
 */
import * as fs from 'node:fs';
import { SourceMap, findSourceMap, type SourceMapPayload } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProfileCallFrame, StackFrame } from '../attribution/profile';
import type { ScriptSourceMap } from './profiler';

/** Rewrites a frame to its original position; see {@link frameMapper}. */
export type FrameMapper = (frame: StackFrame, callFrame: ProfileCallFrame) => StackFrame;

/**
 * Whether Node holds a source map for the file behind a URL (then {@link frameMapper} needs no
 * debugger-reported map for it).
 *
 * @param url - a call frame's URL or path
 * @returns true when `module.findSourceMap` knows the file
 */
export function nodeHasSourceMap(url: string): boolean {
  const file = toFile(url);
  return file !== null && findSourceMap(file) !== undefined;
}

/**
 * Parses the source maps the debugger reported (inline `data:` maps, or map files next to the
 * script); maps that cannot be read or parsed are left out.
 *
 * @param scripts - script id → script URL and source map URL
 * @returns script id → parsed source map
 */
export function parseScriptSourceMaps(scripts: ReadonlyMap<string, ScriptSourceMap>): Map<string, SourceMap> {
  const maps = new Map<string, SourceMap>();
  for (const [scriptId, script] of scripts) {
    try {
      const payload = readPayload(script);
      if (payload) maps.set(scriptId, new SourceMap(payload));
    } catch {
      // An unreadable map only costs the original line; the generated one is still shown.
    }
  }
  return maps;
}

/**
 * A frame mapper: Node's own source maps first, then the given per-script maps.
 *
 * @param scriptMaps - maps by script id (from {@link parseScriptSourceMaps}); may be empty
 * @returns the mapper
 */
export function frameMapper(scriptMaps: ReadonlyMap<string, SourceMap> = new Map()): FrameMapper {
  return (frame, callFrame) => {
    if (frame.url === '' || frame.url.startsWith('node:')) return frame;
    const file = toFile(frame.url);
    try {
      const map =
        (file !== null ? findSourceMap(file) : undefined) ?? scriptMaps.get(callFrame.scriptId ?? '');
      return map ? mapped(frame, map, file ?? frame.url) : frame;
    } catch {
      // A malformed map must not break a leak test: keep the generated position.
      return frame;
    }
  };
}

function mapped(frame: StackFrame, map: SourceMap, file: string): StackFrame {
  const entry: unknown = map.findEntry(frame.line - 1, frame.column - 1);
  const e = (entry ?? {}) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (typeof e.originalLine !== 'number' || typeof e.originalColumn !== 'number') return frame;
  const source = e.originalSource ? (toFile(e.originalSource) ?? e.originalSource) : file;
  // Maps often name sources relative to the script; resolve them against its directory.
  const url = path.isAbsolute(source) ? source : path.resolve(path.dirname(file), source);
  return { ...frame, url, line: e.originalLine + 1, column: e.originalColumn + 1 };
}

function readPayload(script: ScriptSourceMap): SourceMapPayload | null {
  const ref = script.sourceMapURL;
  const data = /^data:application\/json(?:;charset=[^;,]+)?;base64,(.*)$/s.exec(ref);
  if (data) return JSON.parse(Buffer.from(data[1] ?? '', 'base64').toString('utf8')) as SourceMapPayload;
  if (ref.startsWith('data:')) return null;
  const scriptFile = toFile(script.url);
  if (scriptFile === null) return null;
  const mapFile = ref.startsWith('file://')
    ? fileURLToPath(ref)
    : path.resolve(path.dirname(scriptFile), ref);
  return JSON.parse(fs.readFileSync(mapFile, 'utf8')) as SourceMapPayload;
}

function toFile(url: string): string | null {
  try {
    if (url.startsWith('file://')) return fileURLToPath(url);
    return path.isAbsolute(url) ? url : null;
  } catch {
    return null;
  }
}
