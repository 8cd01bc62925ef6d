/**
 * Allocation sites from V8 sampling heap profiles: pure functions over the object
 * `HeapProfiler.getSamplingProfile` / `HeapProfiler.stopSampling` return. No inspector session
 * here: the caller takes the profiles (in process, or from the agent) and passes the data in.
 *
 * A sampling profile lists only sampled objects that are still alive when it is taken, and each
 * node's `selfSize` is V8's scaled estimate of the live bytes allocated at that stack. Two profiles
 * taken from one sampling session (before and after N calls or requests, each after a full GC)
 * therefore diff into "what was allocated in between and is still alive", per stack (./sites.ts).
 * Here: the profile's shape, its sites, and the one spelling of a site's key.
 */
import { isUserUrl } from './frames';

/** One frame as the profile reports it (0-based line and column, as the protocol gives them). */
export interface ProfileCallFrame {
  /** Function name; empty for anonymous functions and top-level code. */
  functionName: string;
  /** Script URL or path; empty for V8 internals and synthetic nodes such as "(root)". */
  url: string;
  /** 0-based line. */
  lineNumber: number;
  /** 0-based column. */
  columnNumber: number;
  /** V8 script id (unused here; present in real profiles). */
  scriptId?: string;
}

/** A node of the profile's call tree. */
export interface ProfileNode {
  /** The frame this node stands for. */
  callFrame: ProfileCallFrame;
  /** Estimated live bytes allocated with exactly this stack (children excluded). */
  selfSize: number;
  /** Node id that `samples[].nodeId` refers to (absent in some older profiles). */
  id?: number;
  /** Callees. */
  children: ProfileNode[];
}

/** One sampled allocation that is still alive. */
export interface ProfileSample {
  /** Bytes this sample stands for. */
  size: number;
  /** Id of the node whose stack allocated it. */
  nodeId: number;
  /** Allocation order; larger is later. */
  ordinal: number;
}

/**
 * A sampling heap profile as `HeapProfiler.getSamplingProfile` returns it. Structurally
 * compatible with node:inspector's `HeapProfiler.SamplingHeapProfile` (which omits `samples`).
 */
export interface SamplingProfile {
  /** Root of the call tree (a synthetic "(root)" frame). */
  head: ProfileNode;
  /** Individual live samples, when the profiler reports them. */
  samples?: ProfileSample[];
}

/** A frame in human terms: 1-based line and column, as editors and stack traces show them. */
export interface StackFrame {
  /** Function name, or "(anonymous)". */
  functionName: string;
  /** Script URL or path ("" for V8 internals). */
  url: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** Live bytes allocated at one stack (or one group of stacks, see {@link SiteGrouping}). */
export interface AllocationSite {
  /** Identity of the site: the full stack, or the grouping frame's location. */
  key: string;
  /** Innermost frame first, down to the outermost caller ("(root)" left out). */
  stack: StackFrame[];
  /** The allocating frame: the innermost one (null for an empty stack). */
  frame: StackFrame | null;
  /** The nearest frame in the user's own code (see {@link userFrame}); null when there is none. */
  userFrame: StackFrame | null;
  /** Estimated live bytes. */
  bytes: number;
  /** Live samples behind the estimate (0 when the profile carries no `samples`). */
  samples: number;
}

/** A site whose live bytes grew between two profiles. */
export interface GrowingSite {
  /** Identity of the site (same meaning as {@link AllocationSite.key}). */
  key: string;
  /** Representative full stack: the one that grew most within the group. */
  stack: StackFrame[];
  /** The allocating frame of that stack. */
  frame: StackFrame | null;
  /** The nearest user frame of that stack. */
  userFrame: StackFrame | null;
  /** Live bytes in the first profile. */
  bytesBefore: number;
  /** Live bytes in the second profile. */
  bytesAfter: number;
  /** bytesAfter − bytesBefore. */
  growth: number;
  /** growth ÷ units: bytes per call or per request. */
  perUnit: number;
  /** Change in live samples (0 when the profiles carry no `samples`). */
  samplesAdded: number;
}

/**
 * The nearest frame in the user's own code, innermost first. The allocating frame is often
 * inside Node (events.js growing a listener array) or a dependency; the line to fix is the user
 * frame that called it.
 *
 * @param stack - frames, innermost first
 * @param isUser - what counts as user code (default {@link isUserUrl})
 * @returns the first user frame, or null when every frame is internal or a dependency
 */
export function userFrame(
  stack: readonly StackFrame[],
  isUser: (url: string) => boolean = isUserUrl,
): StackFrame | null {
  return stack.find((f) => isUser(f.url)) ?? null;
}

/**
 * "file:line:column (function)" for messages; a `file://` URL is shown as its path, and a frame
 * without a script (a V8 built-in such as the Map constructor) as "Map (built-in)".
 *
 * @param frame - the frame
 * @returns the text, e.g. "/app/auth.js:24:7 (auth)"
 */
export function formatFrame(frame: StackFrame): string {
  if (frame.url === '') return `${frame.functionName} (built-in)`;
  return `${frame.url.replace(/^file:\/\//, '')}:${frame.line}:${frame.column} (${frame.functionName})`;
}

/** How {@link flattenProfile} reads frames. */
export interface FlattenOptions {
  /** Decides what counts as user code; default {@link isUserUrl}. */
  isUser?: (url: string) => boolean;
  /**
   * Rewrites each frame, e.g. through a source map to the line the user wrote; also given the raw
   * call frame (its `scriptId` identifies the script). Called once per distinct frame. Default:
   * frames as the profile gives them.
   */
  mapFrame?: (frame: StackFrame, callFrame: ProfileCallFrame) => StackFrame;
}

/**
 * Every stack in the profile that holds live bytes, largest first.
 *
 * @param profile - a sampling heap profile
 * @param options - what counts as user code; how frames are rewritten
 * @returns one site per distinct full stack with `selfSize` > 0 (stacks reached through several
 *   tree nodes with identical frames are summed)
 */
export function flattenProfile(profile: SamplingProfile, options: FlattenOptions = {}): AllocationSite[] {
  const isUser = options.isUser ?? isUserUrl;
  const mapFrame = options.mapFrame;
  const mapped = new Map<string, StackFrame>();
  const frameOf = (cf: ProfileCallFrame): StackFrame => {
    const raw = toStackFrame(cf);
    if (!mapFrame) return raw;
    const key = `${cf.scriptId ?? ''} ${frameKey(raw)}`;
    let frame = mapped.get(key);
    if (!frame) {
      frame = mapFrame(raw, cf);
      mapped.set(key, frame);
    }
    return frame;
  };
  const samplesByNode = new Map<number, number>();
  for (const s of profile.samples ?? []) samplesByNode.set(s.nodeId, (samplesByNode.get(s.nodeId) ?? 0) + 1);

  const sites = new Map<string, AllocationSite>();
  // Iterative walk: deep async stacks can exceed what recursion would like.
  const pending: { node: ProfileNode; path: StackFrame[] }[] = [{ node: profile.head, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { node } = item;
    const path = node === profile.head ? item.path : [frameOf(node.callFrame), ...item.path];
    if (node.selfSize > 0 && path.length > 0) {
      const key = stackKey(path);
      const samples = node.id === undefined ? 0 : (samplesByNode.get(node.id) ?? 0);
      const existing = sites.get(key);
      if (existing) {
        existing.bytes += node.selfSize;
        existing.samples += samples;
      } else {
        sites.set(key, {
          key,
          stack: path,
          frame: path[0] ?? null,
          userFrame: userFrame(path, isUser),
          bytes: node.selfSize,
          samples,
        });
      }
    }
    for (const child of node.children) pending.push({ node: child, path });
  }
  return [...sites.values()].sort((a, b) => b.bytes - a.bytes || compareKeys(a.key, b.key));
}

/**
 * The scripts a profile's frames come from, by script id, e.g. to fetch their source maps.
 *
 * @param profile - a sampling heap profile
 * @param include - keeps only frames this returns true for (default: frames with a URL)
 * @returns script id → URL, for frames that carry a script id
 */
export function scriptsInProfile(
  profile: SamplingProfile,
  include: (callFrame: ProfileCallFrame) => boolean = (cf) => cf.url !== '',
): Map<string, string> {
  const scripts = new Map<string, string>();
  const pending: ProfileNode[] = [profile.head];
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const cf = node.callFrame;
    if (cf.scriptId !== undefined && cf.scriptId !== '0' && include(cf)) scripts.set(cf.scriptId, cf.url);
    pending.push(...node.children);
  }
  return scripts;
}

/**
 * A profile's call frame in human terms (1-based line and column, "(anonymous)" for no name).
 *
 * @param cf - the frame as the profile gives it
 * @returns the frame
 */
export function toStackFrame(cf: ProfileCallFrame): StackFrame {
  return {
    functionName: cf.functionName === '' ? '(anonymous)' : cf.functionName,
    url: cf.url,
    line: cf.lineNumber + 1,
    column: cf.columnNumber + 1,
  };
}

function frameKey(f: StackFrame): string {
  return `${f.functionName} ${f.url}:${f.line}:${f.column}`;
}

function lineKey(f: StackFrame): string {
  return `${f.url}:${f.line}`;
}

function stackKey(stack: readonly StackFrame[]): string {
  return stack.map(frameKey).join(' <- ');
}

/** How sites are grouped: by full stack, by the nearest user frame's line, by the allocating line. */
export type SiteGrouping = 'stack' | 'userFrame' | 'frame';

/**
 * The key of a user frame's group: its file and line (one line often allocates at several
 * columns: a Map, its entries, a closure).
 *
 * @param frame - a frame in the user's code
 * @returns "user <url>:<line>"
 */
export function userKey(frame: StackFrame): string {
  return `user ${lineKey(frame)}`;
}

/**
 * The key a stack is grouped by; a stack without the frame its grouping asks for is its own
 * group. The one spelling of a site's key for the diff and for the samples behind it.
 *
 * @param groupBy - the grouping
 * @param stack - frames, innermost first
 * @param user - the stack's nearest user frame ({@link userFrame})
 * @param key - the stack's own key, when known (a flattened site's `key`)
 * @returns the key
 */
export function groupKey(
  groupBy: SiteGrouping,
  stack: readonly StackFrame[],
  user: StackFrame | null,
  key?: string,
): string {
  const first = stack[0];
  if (groupBy === 'userFrame' && user) return userKey(user);
  if (groupBy === 'frame' && first) return `frame ${lineKey(first)}`;
  return key ?? stackKey(stack);
}

/**
 * Deterministic order among equal sizes, so reports and tests do not depend on Map order.
 *
 * @param a - a key
 * @param b - another
 * @returns negative, zero or positive, as for sort
 */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
