/**
 * Which allocation sites really grow: the growth between two live-object profiles, per nearest
 * user frame, kept only when it is above the threshold and stands out from sampling noise. The
 * one growth test of both attribution paths (the agent's profiles of a target, detectLeak's
 * profiles of its own process).
 */
import { isLeakcheckStack, isUserUrl } from './frames';
import {
  diffSites,
  flattenProfile,
  inclusiveUserOrdinals,
  sampleOrdinalsByGroup,
  type AllocationSite,
  type GrowingSite,
  type SamplingProfile,
} from './profile';

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
   * Leave out stacks with no frame in the user's own code (default false). In process, such
   * stacks are the test runner's; in a target they may be a dependency's, which is reported.
   */
  requireUserFrame?: boolean;
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
 * @returns growing sites, largest first
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
  }).filter((s) => {
    if (!(s.perUnit > options.threshold && s.samplesAdded >= options.minSamples)) return false;
    if (!grows(ordinalsBefore.get(s.key), ordinalsAfter.get(s.key))) return false;
    const callers = new Set(
      s.stack
        .filter((f) => isUserUrl(f.url))
        .map((f) => `user ${f.url}:${f.line}`)
        .filter((k) => k !== s.key),
    );
    for (const k of callers) if (!grows(insideBefore.get(k), insideAfter.get(k))) return false;
    return true;
  });
}
