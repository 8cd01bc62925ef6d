/**
 * Which allocation sites really grow: the growth between two live-object profiles, per nearest
 * user frame, kept only when it is above the threshold and stands out from sampling noise.
 */
import {
  diffSites,
  flattenProfile,
  sampleOrdinalsByGroup,
  type GrowingSite,
  type SamplingProfile,
} from './profile';

/** How strict {@link significantSites} is. */
export interface SignificanceOptions {
  /** Live bytes per request a site must add. */
  threshold: number;
  /** Fewest added live samples. */
  minSamples: number;
  /**
   * Net added samples must exceed this many standard deviations of the sampling noise, the
   * square root of the samples gained plus those lost between the profiles (default 3).
   */
  z?: number;
}

/**
 * Sites grouped by nearest user frame whose growth is above the threshold and significant.
 * leakcheck's own frames (the agent, its inspector session) are left out.
 *
 * @param before - profile taken first (already source-mapped, when maps exist)
 * @param after - profile taken later
 * @param units - requests served between the two
 * @param options - threshold and significance
 * @returns growing sites, largest first
 */
export function significantSites(
  before: SamplingProfile,
  after: SamplingProfile,
  units: number,
  options: SignificanceOptions,
): GrowingSite[] {
  const include = (s: { stack: ReadonlyArray<{ url: string }> }): boolean => !isAgentFrameStack(s.stack);
  const a = flattenProfile(before).filter(include);
  const b = flattenProfile(after).filter(include);
  const ordinalsBefore = sampleOrdinalsByGroup(before, 'userFrame');
  const ordinalsAfter = sampleOrdinalsByGroup(after, 'userFrame');
  const z = options.z ?? 3;
  return diffSites(a, b, units, { groupBy: 'userFrame' }).filter((s) => {
    if (!(s.perUnit > options.threshold && s.samplesAdded >= options.minSamples)) return false;
    // Gained and lost samples: a leak only gains; churn gains and loses alike.
    const was = ordinalsBefore.get(s.key) ?? new Set<number>();
    const is = ordinalsAfter.get(s.key) ?? new Set<number>();
    let gained = 0;
    for (const o of is) if (!was.has(o)) gained++;
    let lost = 0;
    for (const o of was) if (!is.has(o)) lost++;
    return gained - lost > z * Math.sqrt(gained + lost);
  });
}

/** True when an allocation stack runs through leakcheck's own agent (its replies, its session). */
export function isAgentFrameStack(stack: ReadonlyArray<{ url: string }>): boolean {
  return stack.some(
    (f) => /[\\/](src|dist)[\\/]agent[\\/](agent|profiler)\.cjs$/.test(f.url) || f.url === 'node:inspector',
  );
}
