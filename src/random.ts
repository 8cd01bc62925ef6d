/**
 * leakcheck's seeded pseudo-random numbers, in one place: nothing uses Math.random, so a
 * scenario's traffic and a subsampled fit are the same on every run. Two generators, for two
 * needs: {@link seededRandom} (mulberry32, well mixed from any seed) draws traffic, where seeds
 * are small user-chosen numbers and a sequence must be reproducible across versions;
 * {@link xorshift32} draws the analysis's millions of samples in hot loops, where shift-and-xor
 * code matters (Math.imul-based generators run ~100x slower inside jest's vm sandbox).
 */

/** A generator: each call returns the next number in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: fast, 32-bit state, good enough for picking endpoints and identities.
 *
 * @param seed - any number; the same seed gives the same sequence
 * @returns the generator
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Xorshift32 (Marsaglia 2003): shifts and xors only, for hot loops. The seed is mixed with
 * `salt` first (xorshift from a small state starts with small numbers; 0 is a fixed point).
 *
 * @param seed - any number; its integer part's magnitude is used
 * @param salt - a 32-bit constant that tells one caller's sequences from another's
 * @returns the generator
 */
export function xorshift32(seed: number, salt: number): Random {
  let state = (Math.abs(Math.trunc(seed)) ^ salt) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

/** Integer in [min, max], both inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** An RFC 4122 version-4 shaped UUID drawn from `random` (reproducible, unlike crypto's). */
export function randomUuid(random: Random): string {
  const hex = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
    return s;
  };
  const variant = (8 + Math.floor(random() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
}
