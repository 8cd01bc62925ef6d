/**
 * A bounded-memory summary of the values one slot takes (a path segment, a query parameter, an
 * identity): how many were seen, how many distinct (a k-minimum-values sketch), which are frequent
 * (Space-Saving), and how often a new value appears (Good-Turing). Import of a million-line log
 * keeps a few of these per endpoint, so each is capped at a few kilobytes whatever the log's length.
 */

/** Hashes kept by the distinct-value sketch: error about 1/sqrt(K) ≈ 12%, a few KiB each. */
const KMV_SIZE = 64;
/** Frequent values tracked per slot. */
const TOP_SIZE = 16;
/** Values the model writes out as a sample of the tail. */
const SAMPLE_SIZE = 24;
/** Slots of the first-sighting filter in front of the frequent-value counters. */
const SEEN_SLOTS = 256;
const TWO_32 = 4294967296;

/** What kind of values a slot holds; decides how fresh values are made at replay. */
export type ValueKind =
  'int' | 'uuid' | 'hex' | 'token' | 'date' | 'ipv4' | 'ipv6' | 'word' | 'text' | 'empty';

/** A slot's values as written to traffic.json. */
export interface ValueModel {
  kind: ValueKind;
  /** Values observed. */
  observations: number;
  /** Estimated distinct values (exact below 64). */
  distinct: number;
  /** Estimated chance that the next value is one never seen before (Good-Turing: singletons / observations). */
  newRate: number;
  /** Frequent values with their (lower-bound) counts. */
  top: Array<[string, number]>;
  /** A uniform sample of the other distinct values. */
  sample: string[];
  /**
   * How often each of a uniform sample of the repeated (seen twice or more), non-frequent values
   * was seen: the shape of the tail, so replay repeats some values more than others as the log did.
   */
  repeats?: number[];
}

/**
 * 32-bit FNV-1a with a murmur3 finaliser: cheap, and the finaliser spreads the bits enough for
 * the minimum-values estimate to work.
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A copy of `s` that does not keep alive the (much larger) string it was sliced from: a captured
 * field of a log line would otherwise pin the whole megabyte chunk the line came from.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The kind of one value (the slot's kind is its sample's majority). */
export function valueKind(v: string): ValueKind {
  if (v === '') return 'empty';
  if (/^\d+$/.test(v)) return 'int';
  if (UUID.test(v)) return 'uuid';
  if (IPV4.test(v)) return 'ipv4';
  if (v.includes(':') && /^[0-9a-f:.]+$/i.test(v) && v.split(':').length >= 3) return 'ipv6';
  if (/^\d{4}-\d\d-\d\d/.test(v)) return 'date';
  if (v.length >= 8 && /^[0-9a-f]+$/i.test(v) && /\d/.test(v)) return 'hex';
  if (v.length >= 16 && /^[\w.~+/=-]+$/.test(v) && /\d/.test(v) && /[a-z]/i.test(v)) return 'token';
  if (/^[A-Za-z][A-Za-z_-]*$/.test(v)) return 'word';
  return 'text';
}

interface Kept {
  value: string;
  count: number;
}

interface Counter {
  count: number;
  /** Space-Saving's overestimate bound: the count the slot had when this value took it over. */
  error: number;
  /** The value's hash, so a frequent value is not hashed again on every sighting. */
  hash: number;
}

/** Bounded summary of a stream of values. */
export class ValueSketch {
  /** Values observed. */
  observations = 0;
  /** The KMV_SIZE smallest hashes seen, ascending. */
  private readonly hashes: number[] = [];
  private readonly kept = new Map<number, Kept>();
  private readonly top = new Map<string, Counter>();
  /**
   * Hashes seen once, by slot: a value enters the frequent-value counters on its second sighting,
   * so a stream of one-off values (cache-busters) does not churn them on every request. Frequent
   * values lose at most their first count (the counts are lower bounds anyway).
   */
  private readonly seen = new Uint32Array(SEEN_SLOTS);

  /** Records `value`, `times` times. */
  add(value: string, times = 1): void {
    this.observations += times;
    const frequent = this.top.get(value);
    if (frequent) {
      frequent.count += times;
      this.addKept(frequent.hash, value, times);
      return;
    }
    const h = hashString(value);
    this.addKept(h, value, times);
    if (times === 1) {
      const slot = h & (SEEN_SLOTS - 1);
      if (this.seen[slot] !== h) {
        this.seen[slot] = h;
        return;
      }
    }
    this.addTop(value, times, 0, h);
  }

  /** Folds `other` into this sketch (used when endpoint templates are merged). */
  merge(other: ValueSketch): void {
    this.observations += other.observations;
    for (const h of other.hashes) {
      const k = other.kept.get(h) as Kept;
      this.addKept(h, k.value, k.count);
    }
    for (const [value, c] of other.top) this.addTop(value, c.count, c.error, c.hash);
  }

  /** Estimated number of distinct values (exact while fewer than the sketch's size). */
  distinct(): number {
    if (this.hashes.length < KMV_SIZE) return this.hashes.length;
    const max = this.hashes[this.hashes.length - 1] as number;
    return Math.max(KMV_SIZE, Math.round(((KMV_SIZE - 1) * TWO_32) / (max + 1)));
  }

  /**
   * Chance that the next value is new: singletons over observations (Good-Turing). The kept
   * values are a uniform sample of the distinct values and their counts are exact (a hash small
   * enough to be kept at the end was kept from its first sighting), so the sample's share of
   * singletons estimates the population's.
   */
  newRate(): number {
    if (this.observations === 0 || this.kept.size === 0) return 0;
    let singles = 0;
    for (const k of this.kept.values()) if (k.count === 1) singles++;
    const n1 = (singles / this.kept.size) * this.distinct();
    return Math.min(1, n1 / this.observations);
  }

  /** The model written to traffic.json. */
  toModel(): ValueModel {
    const floor = Math.max(2, this.observations * 0.002);
    // Below the sketch's size every value is kept with its exact count: no need for estimates.
    const exact = this.hashes.length < KMV_SIZE;
    const counted: Array<[string, number]> = exact
      ? [...this.kept.values()].map((k): [string, number] => [k.value, k.count])
      : [...this.top.entries()].map(([value, c]): [string, number] => [value, c.count - c.error]);
    const top = counted
      .filter(([, n]) => n >= floor)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, TOP_SIZE);
    const inTop = new Set(top.map(([v]) => v));
    const sample: string[] = [];
    for (const h of this.hashes) {
      const v = (this.kept.get(h) as Kept).value;
      if (!inTop.has(v)) sample.push(v);
      if (sample.length >= (exact ? KMV_SIZE : SAMPLE_SIZE)) break;
    }
    const kinds = new Map<ValueKind, number>();
    for (const v of [...top.map(([x]) => x), ...sample]) {
      const k = valueKind(v);
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    const kind = [...kinds.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'empty';
    const repeats = [...this.kept.values()]
      .filter((k) => k.count >= 2 && !inTop.has(k.value))
      .map((k) => k.count)
      .sort((a, b) => b - a);
    return {
      kind,
      observations: this.observations,
      distinct: this.distinct(),
      newRate: Math.round(this.newRate() * 10_000) / 10_000,
      top,
      sample,
      ...(repeats.length > 0 ? { repeats } : {}),
    };
  }

  private addKept(h: number, value: string, times: number): void {
    const k = this.kept.get(h);
    if (k) {
      k.count += times;
      return;
    }
    const n = this.hashes.length;
    if (n >= KMV_SIZE && h >= (this.hashes[n - 1] as number)) return;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.hashes[mid] as number) < h) lo = mid + 1;
      else hi = mid;
    }
    this.hashes.splice(lo, 0, h);
    this.kept.set(h, { value: detach(value), count: times });
    if (this.hashes.length > KMV_SIZE) this.kept.delete(this.hashes.pop() as number);
  }

  private addTop(value: string, times: number, error: number, hash: number): void {
    const c = this.top.get(value);
    if (c) {
      c.count += times;
      c.error += error;
      return;
    }
    if (this.top.size < TOP_SIZE) {
      this.top.set(detach(value), { count: times, error, hash });
      return;
    }
    let minKey = '';
    let min: Counter | undefined;
    for (const [key, counter] of this.top) {
      if (!min || counter.count < min.count) {
        min = counter;
        minKey = key;
      }
    }
    if (!min) return;
    this.top.delete(minKey);
    this.top.set(detach(value), { count: min.count + times, error: min.count + error, hash });
  }
}
