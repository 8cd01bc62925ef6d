/**
 * Allocation sites from V8 sampling heap profiles: pure functions over the object
 * `HeapProfiler.getSamplingProfile` / `HeapProfiler.stopSampling` return. No inspector session
 * here: the caller takes the profiles (in process, or from the agent) and passes the data in.
 *
 * A sampling profile lists only sampled objects that are still alive when it is taken, and each
 * node's `selfSize` is V8's scaled estimate of the live bytes allocated at that stack. Two profiles
 * taken from one sampling session (before and after N calls or requests, each after a full GC)
 * therefore diff into "what was allocated in between and is still alive", per stack.
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

/** Live bytes allocated at one stack (or one group of stacks, see {@link GrowingSitesOptions}). */
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

/** How {@link growingSites} groups and filters. */
export interface GrowingSitesOptions {
  /**
   * `stack` (default): every distinct full stack is its own site. `userFrame`: stacks whose
   * nearest user frame is on the same file and line are summed, so one leaking line reached
   * through several internal paths (Map growth, listener arrays) counts once. `frame`: grouped by
   * the allocating frame's file and line.
   */
  groupBy?: 'stack' | 'userFrame' | 'frame';
  /** Growth at or below this many bytes is left out (default 0). */
  minGrowth?: number;
  /** At most this many sites, largest growth first (default: all). */
  limit?: number;
  /** Decides what counts as user code; default {@link isUserUrl}. */
  isUser?: (url: string) => boolean;
  /**
   * Keeps only the stacks this returns true for, in both profiles, before grouping (e.g. to leave
   * out the measuring tool's own allocations); `userFrame` is already set by `isUser`. Default:
   * every stack.
   */
  include?: (site: AllocationSite) => boolean;
  /** Rewrites frames while flattening (see {@link FlattenOptions.mapFrame}); growingSites only. */
  mapFrame?: (frame: StackFrame, callFrame: ProfileCallFrame) => StackFrame;
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
 * Sites whose live bytes grew between two profiles of one sampling session, largest growth first,
 * with growth per unit of work (calls made or requests served between the two profiles).
 *
 * @param before - profile taken first
 * @param after - profile taken later
 * @param units - calls or requests between the two profiles (> 0)
 * @param options - grouping, filtering, what counts as user code
 * @returns the growing sites
 * @throws RangeError when units is not a positive finite number
 */
export function growingSites(
  before: SamplingProfile,
  after: SamplingProfile,
  units: number,
  options: GrowingSitesOptions = {},
): GrowingSite[] {
  const flat: FlattenOptions = { isUser: options.isUser ?? isUserUrl, mapFrame: options.mapFrame };
  return diffSites(flattenProfile(before, flat), flattenProfile(after, flat), units, options);
}

/**
 * {@link growingSites} over profiles already flattened with {@link flattenProfile}, for callers
 * that keep the small flat list instead of the whole first profile.
 *
 * @param before - sites of the profile taken first
 * @param after - sites of the profile taken later
 * @param units - calls or requests between the two profiles (> 0)
 * @param options - grouping, filtering, what counts as user code
 * @returns the growing sites
 * @throws RangeError when units is not a positive finite number
 */
export function diffSites(
  before: readonly AllocationSite[],
  after: readonly AllocationSite[],
  units: number,
  options: GrowingSitesOptions = {},
): GrowingSite[] {
  if (!(Number.isFinite(units) && units > 0)) {
    throw new RangeError(`units must be a positive number, got ${units}`);
  }
  const isUser = options.isUser ?? isUserUrl;
  const groupBy = options.groupBy ?? 'stack';
  const minGrowth = options.minGrowth ?? 0;
  const include = options.include ?? ((): boolean => true);
  // The user frame is recomputed so a caller's isUser applies to lists flattened without it.
  const withUser = (s: AllocationSite): AllocationSite => ({ ...s, userFrame: userFrame(s.stack, isUser) });
  const beforeSites = before.map(withUser).filter(include);
  const afterSites = after.map(withUser).filter(include);
  const groupKey = (site: AllocationSite): string => {
    // Grouped by line: one line often allocates at several columns (a Map, its entries, a closure).
    if (groupBy === 'userFrame' && site.userFrame) return `user ${lineKey(site.userFrame)}`;
    if (groupBy === 'frame' && site.frame) return `frame ${lineKey(site.frame)}`;
    return site.key;
  };

  interface Group {
    before: number;
    after: number;
    samplesBefore: number;
    samplesAfter: number;
    best: AllocationSite;
    bestGrowth: number;
  }
  const groups = new Map<string, Group>();
  const add = (site: AllocationSite, side: 'before' | 'after'): void => {
    const key = groupKey(site);
    let g = groups.get(key);
    if (!g) {
      g = { before: 0, after: 0, samplesBefore: 0, samplesAfter: 0, best: site, bestGrowth: -Infinity };
      groups.set(key, g);
    }
    if (side === 'before') {
      g.before += site.bytes;
      g.samplesBefore += site.samples;
    } else {
      g.after += site.bytes;
      g.samplesAfter += site.samples;
    }
  };
  for (const site of beforeSites) add(site, 'before');
  for (const site of afterSites) add(site, 'after');

  // The representative stack of a group is the member stack that grew most.
  const beforeBytes = new Map(beforeSites.map((s) => [s.key, s.bytes]));
  for (const site of afterSites) {
    const g = groups.get(groupKey(site));
    const growth = site.bytes - (beforeBytes.get(site.key) ?? 0);
    if (g && growth > g.bestGrowth) {
      g.best = site;
      g.bestGrowth = growth;
    }
  }

  const result: GrowingSite[] = [];
  for (const [key, g] of groups) {
    const growth = g.after - g.before;
    if (!(growth > minGrowth)) continue;
    result.push({
      key,
      stack: g.best.stack,
      frame: g.best.frame,
      userFrame: g.best.userFrame,
      bytesBefore: g.before,
      bytesAfter: g.after,
      growth,
      perUnit: growth / units,
      samplesAdded: g.samplesAfter - g.samplesBefore,
    });
  }
  result.sort((a, b) => b.growth - a.growth || compareKeys(a.key, b.key));
  return options.limit === undefined ? result : result.slice(0, Math.max(0, options.limit));
}

function toStackFrame(cf: ProfileCallFrame): StackFrame {
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

/**
 * Sample ordinals under each user frame, inclusively: a sample counts for every user frame on its
 * stack, keyed like `userFrame` groups (`user <url>:<line>`).
 *
 * @param profile - a live-object profile with samples
 * @param isUser - which URLs are the user's own code
 * @param exclude - leaves out the samples of stacks this returns true for (default: none)
 * @returns ordinals by frame key
 */
export function inclusiveUserOrdinals(
  profile: SamplingProfile,
  isUser: (url: string) => boolean = isUserUrl,
  exclude: (stack: readonly StackFrame[]) => boolean = () => false,
): Map<string, Set<number>> {
  const keysOfNode = new Map<number, string[]>();
  const pending: { node: ProfileNode; path: StackFrame[]; keys: string[] }[] = [
    { node: profile.head, path: [], keys: [] },
  ];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { node } = item;
    let { keys, path } = item;
    if (node !== profile.head) {
      const frame = toStackFrame(node.callFrame);
      path = [frame, ...path];
      const key = `user ${lineKey(frame)}`;
      if (isUser(frame.url) && !keys.includes(key)) keys = [...keys, key];
    }
    if (node.id !== undefined && !exclude(path)) keysOfNode.set(node.id, keys);
    for (const child of node.children) pending.push({ node: child, path, keys });
  }
  const out = new Map<string, Set<number>>();
  for (const s of profile.samples ?? []) {
    for (const key of keysOfNode.get(s.nodeId) ?? []) {
      let set = out.get(key);
      if (!set) {
        set = new Set();
        out.set(key, set);
      }
      set.add(s.ordinal);
    }
  }
  return out;
}

function lineKey(f: StackFrame): string {
  return `${f.url}:${f.line}`;
}

function stackKey(stack: readonly StackFrame[]): string {
  return stack.map(frameKey).join(' <- ');
}

// Deterministic order among equal sizes, so reports and tests do not depend on Map order.
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The live samples (by allocation ordinal) of each site group, keyed as {@link diffSites} keys its
 * groups, so a {@link GrowingSite.key} finds its samples. Added for the attribution analysis: two
 * profiles of one session share the ordinals of samples that stayed alive, so the samples a group
 * gained and lost between them can be told apart. A leak only gains; a bounded cache that
 * replaces its entries gains and loses about as many, and its net growth is noise of the order
 * of the square root of that turnover.
 *
 * @param profile - a sampling heap profile with `samples`
 * @param groupBy - the grouping {@link diffSites} was given (default `stack`)
 * @param isUser - what counts as user code (default {@link isUserUrl})
 * @param exclude - leaves out the samples of stacks this returns true for (default: none)
 * @returns sample ordinals per group key (empty when the profile has no `samples`)
 */
export function sampleOrdinalsByGroup(
  profile: SamplingProfile,
  groupBy: GrowingSitesOptions['groupBy'] = 'stack',
  isUser: (url: string) => boolean = isUserUrl,
  exclude: (stack: readonly StackFrame[]) => boolean = () => false,
): Map<string, Set<number>> {
  const keyOfNode = new Map<number, string>();
  const pending: { node: ProfileNode; path: StackFrame[] }[] = [{ node: profile.head, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { node } = item;
    const path = node === profile.head ? item.path : [toStackFrame(node.callFrame), ...item.path];
    if (node.id !== undefined && path.length > 0 && !exclude(path)) {
      const user = userFrame(path, isUser);
      const first = path[0];
      const key =
        groupBy === 'userFrame' && user
          ? `user ${lineKey(user)}`
          : groupBy === 'frame' && first
            ? `frame ${lineKey(first)}`
            : stackKey(path);
      keyOfNode.set(node.id, key);
    }
    for (const child of node.children) pending.push({ node: child, path });
  }
  const out = new Map<string, Set<number>>();
  for (const s of profile.samples ?? []) {
    const key = keyOfNode.get(s.nodeId);
    if (key === undefined) continue;
    let set = out.get(key);
    if (!set) {
      set = new Set();
      out.set(key, set);
    }
    set.add(s.ordinal);
  }
  return out;
}
