/**
 * Which allocation sites really grow: the growth between two live-object profiles, per nearest
 * user frame, kept only when it is above the threshold and stands out from sampling noise. The
 * one growth test of both attribution paths (the agent's profiles of a target, detectLeak's
 * profiles of its own process). The noise is judged from the live samples (by allocation ordinal)
 * each group gained and lost, read from the profiles at the end of this file; a group whose live
 * samples are nearly all newer than the first profile was emptied and refilled, and is not a leak.
 */
import { isLeakcheckStack, isUserUrl } from './frames';
import {
  flattenProfile,
  groupKey,
  toStackFrame,
  userFrame,
  userKey,
  type AllocationSite,
  type GrowingSite,
  type ProfileNode,
  type SamplingProfile,
  type SiteGrouping,
  type StackFrame,
} from './profile';
import { diffSites } from './sites';

/** How strict {@link significantSites} is. */
export interface SignificanceOptions {
  /** Live bytes per unit (request, call) a site must add. */
  threshold: number;
  /** Fewest added live samples. */
  minSamples: number;
  /**
   * Net added samples must exceed this many standard deviations of the sampling noise, the
   * square root of the samples gained plus those lost between the profiles (default 3).
   */
  z?: number;
  /**
   * Units served from the profiler's start to the first profile. When given (> 0), a site whose
   * live samples at the second profile are nearly all newer than the first is left out (see
   * {@link FILLED_SHARE}); without it (detectLeak, whose profiler starts just before its warm-up)
   * that test is off.
   */
  unitsBefore?: number;
  /**
   * Leave out stacks with no frame in the user's own code (default false). In process, such
   * stacks are the test runner's; in a target they may be a dependency's, which is reported.
   */
  requireUserFrame?: boolean;
}

/**
 * A leak keeps what it allocated: of its live samples at the second profile, about the share of
 * the units served before the first profile (since the profiler started) were already there at
 * the first. A site under {@link FILLED_SHARE} of that share holds almost only objects newer than
 * the first profile: a structure that is emptied and refilled (a rate limiter's window replaced
 * every few seconds, a per-interval batch), seen nearly empty at the first profile and full at the
 * second, not a leak. Seen on fixtures/shop-sawtooth-leak: the per-user map replaced every 3 s was
 * reported first, at 34-46 B/request, in 9 of 38 runs; in two of them it held 3 and 5 samples at
 * the first profile and 89 and 69 at the second, of which 0 and 3 were old, while the audit trail
 * (the leak) had 88-94% of its samples old in five runs.
 */
const FILLED_SHARE = 0.1;
/** Fewest samples at the second profile for {@link FILLED_SHARE} to judge a site by. */
const FILLED_MIN_SAMPLES = 5;

/**
 * Whether a site's live samples at the second profile (`is`) were nearly all newer than the first
 * (`was`), given the share a steady leak would have kept (`expectedOld`): see {@link FILLED_SHARE}.
 */
function filledSince(
  was: Set<number> | undefined,
  is: Set<number> | undefined,
  expectedOld: number,
): boolean {
  if (!is || is.size < FILLED_MIN_SAMPLES) return false;
  let old = 0;
  for (const o of is) if (was?.has(o)) old++;
  return old < FILLED_SHARE * expectedOld * is.size;
}

/**
 * Whether a flattened site is the code under test's rather than leakcheck's own (see
 * {@link isLeakcheckStack}): the filter every attribution path applies before diffing.
 *
 * @param site - a site (or anything with a stack)
 * @returns true when the site is not leakcheck's own allocation
 */
export function notLeakcheck(site: Pick<AllocationSite, 'stack'>): boolean {
  return !isLeakcheckStack(site.stack);
}

/**
 * Sites grouped by nearest user frame whose growth is above the threshold and significant.
 * leakcheck's own allocations (the agent, its inspector session, detectLeak's loop and mocks)
 * are left out. Map frames to their sources first (`SourceMapper.mapProfile`): the groups
 * are lines of the profiles as given.
 *
 * @param before - profile taken first (already source-mapped, when maps exist)
 * @param after - profile taken later
 * @param units - requests served or calls made between the two
 * @param options - threshold and significance
 * @returns growing sites, largest first, those with no JavaScript on their stack last (see
 *   {@link allocatedByNativeCode})
 */
export function significantSites(
  before: SamplingProfile,
  after: SamplingProfile,
  units: number,
  options: SignificanceOptions,
): GrowingSite[] {
  const include = (s: AllocationSite): boolean =>
    notLeakcheck(s) && (!options.requireUserFrame || s.userFrame !== null);
  const ordinalsBefore = sampleOrdinalsByGroup(before, 'userFrame', undefined, isLeakcheckStack);
  const ordinalsAfter = sampleOrdinalsByGroup(after, 'userFrame', undefined, isLeakcheckStack);
  const z = options.z ?? 3;
  const expectedOld =
    options.unitsBefore !== undefined && options.unitsBefore > 0
      ? options.unitsBefore / (options.unitsBefore + units)
      : null;
  const grows = (was: Set<number> | undefined, is: Set<number> | undefined): boolean => {
    // Gained and lost samples: a leak only gains; churn gains and loses alike.
    let gained = 0;
    for (const o of is ?? []) if (!was?.has(o)) gained++;
    let lost = 0;
    for (const o of was ?? []) if (!is?.has(o)) lost++;
    return gained - lost > z * Math.sqrt(gained + lost);
  };
  // The user's callers must grow too. Code compiled with inlining (detection leaves it on) blamed
  // the objects allocated then on the caller a function was inlined into; a bounded cache then
  // loses samples at the caller and gains them at the callee, and only the caller, counted with
  // everything under it, shows that nothing grew.
  const insideBefore = inclusiveUserOrdinals(before, undefined, isLeakcheckStack);
  const insideAfter = inclusiveUserOrdinals(after, undefined, isLeakcheckStack);
  return diffSites(flattenProfile(before), flattenProfile(after), units, {
    groupBy: 'userFrame',
    include,
  })
    .filter((s) => {
      if (!(s.perUnit > options.threshold && s.samplesAdded >= options.minSamples)) return false;
      if (!grows(ordinalsBefore.get(s.key), ordinalsAfter.get(s.key))) return false;
      if (
        expectedOld !== null &&
        filledSince(ordinalsBefore.get(s.key), ordinalsAfter.get(s.key), expectedOld)
      )
        return false;
      const callers = new Set(
        s.stack
          .filter((f) => isUserUrl(f.url))
          .map(userKey)
          .filter((k) => k !== s.key),
      );
      for (const k of callers) if (!grows(insideBefore.get(k), insideAfter.get(k))) return false;
      return true;
    })
    .sort((x, y) => Number(allocatedByNativeCode(x)) - Number(allocatedByNativeCode(y)));
}

/**
 * Whether a site has no JavaScript frame on its stack (V8 records `(V8 API)`): native code
 * allocated it, such as the strings node's HTTP parser makes for each request's URL and headers.
 * Such a site names no code to change (what keeps the objects is the snapshots' to say), so it is
 * listed after every site that does: a URL-keyed memo was reported first as `(V8 API)` in 2 of 3
 * runs of fixtures/shop-url-cache under replay.
 *
 * @param site - a site (or anything with a stack)
 * @returns true when no frame has a script URL
 */
export function allocatedByNativeCode(site: Pick<AllocationSite, 'stack'>): boolean {
  return site.stack.every((f) => f.url === '');
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
      const key = userKey(frame);
      if (isUser(frame.url) && !keys.includes(key)) keys = [...keys, key];
    }
    if (node.id !== undefined && !exclude(path)) keysOfNode.set(node.id, keys);
    for (const child of node.children) pending.push({ node: child, path, keys });
  }
  return ordinalsByKey(profile, keysOfNode);
}

/**
 * The live samples (by allocation ordinal) of each site group, keyed as {@link diffSites} keys its
 * groups ({@link groupKey}), so a {@link GrowingSite.key} finds its samples. Added for the attribution analysis: two
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
  groupBy: SiteGrouping = 'stack',
  isUser: (url: string) => boolean = isUserUrl,
  exclude: (stack: readonly StackFrame[]) => boolean = () => false,
): Map<string, Set<number>> {
  const keysOfNode = new Map<number, string[]>();
  const pending: { node: ProfileNode; path: StackFrame[] }[] = [{ node: profile.head, path: [] }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { node } = item;
    const path = node === profile.head ? item.path : [toStackFrame(node.callFrame), ...item.path];
    if (node.id !== undefined && path.length > 0 && !exclude(path)) {
      keysOfNode.set(node.id, [groupKey(groupBy, path, userFrame(path, isUser))]);
    }
    for (const child of node.children) pending.push({ node: child, path });
  }
  return ordinalsByKey(profile, keysOfNode);
}

/** The profile's samples (their ordinals) under each key of the node that holds them. */
function ordinalsByKey(
  profile: SamplingProfile,
  keysOfNode: ReadonlyMap<number, readonly string[]>,
): Map<string, Set<number>> {
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
