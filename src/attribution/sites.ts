/**
 * Which allocation sites grew between two live-object profiles of one sampling session: the
 * profiles flattened into sites (./profile.ts), grouped, and diffed into growth per unit of work.
 */
import { isUserUrl } from './frames';
import {
  compareKeys,
  flattenProfile,
  groupKey,
  userFrame,
  type AllocationSite,
  type FlattenOptions,
  type GrowingSite,
  type ProfileCallFrame,
  type SamplingProfile,
  type SiteGrouping,
  type StackFrame,
} from './profile';

/** How {@link growingSites} groups and filters. */
export interface GrowingSitesOptions {
  /**
   * `stack` (default): every distinct full stack is its own site. `userFrame`: stacks whose
   * nearest user frame is on the same file and line are summed, so one leaking line reached
   * through several internal paths (Map growth, listener arrays) counts once. `frame`: grouped by
   * the allocating frame's file and line.
   */
  groupBy?: SiteGrouping;
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
  const keyOf = (site: AllocationSite): string => groupKey(groupBy, site.stack, site.userFrame, site.key);

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
    const key = keyOf(site);
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
    const g = groups.get(keyOf(site));
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
