/**
 * Endpoint templates mined from request paths. A trie over path segments: segments that look like
 * identifiers (numbers, UUIDs, hex, tokens, dates) become variables at once, and a position that
 * keeps showing new literal words (user names, slugs, search terms) is collapsed into a `{param}`
 * variable once it has more than a bounded number of distinct children, merging the subtrees
 * below it. Memory is bounded by that fan-out, not by the log's length.
 */
import { detach, valueKind, ValueSketch, type ValueKind } from './sketch';

/** Distinct literal children a path position may have before it becomes a variable. */
const MAX_LITERALS = 48;
/**
 * The first path segment is allowed far more: sites have many top-level pages (robots.txt,
 * favicon.ico) and scanners probe hundreds more, none of which is a value of one variable.
 */
const MAX_ROOT_LITERALS = 400;
/** At the end, a position with at least this many literal children, most seen once or twice, is a variable too. */
const RARE_CHILDREN = 12;
/** Query parameter and header names tracked per endpoint (further ones are counted only). */
const MAX_NAMES = 16;
/** Distinct bodies kept per endpoint, each at most MAX_BODY characters. */
const MAX_BODIES = 8;
/** Longest body kept in the model. */
export const MAX_BODY = 64 * 1024;

/** Shape kinds that make a path segment a variable on sight. */
const VARIABLE_KINDS = new Set<ValueKind>(['int', 'uuid', 'hex', 'token', 'date', 'ipv4', 'ipv6']);

/** The variable kind of a segment, or null for a literal. */
export function segmentKind(segment: string): ValueKind | null {
  const k = valueKind(segment);
  return VARIABLE_KINDS.has(k) ? k : null;
}

/** One request as the model builder sees it (secrets already replaced). */
export interface ModelRequest {
  method: string;
  path: string;
  /** Raw query string, without '?'; absent when the target had none. */
  query?: string;
  status?: number;
  /** Non-identity headers to replay, lower-case names. */
  headers: Array<[string, string]>;
  /** Which identities the request carried. */
  identity: { authorization: boolean; cookie: boolean; remoteUser: boolean; client: boolean };
  body?: { text: string; contentType?: string };
}

/** Per-name statistics: how often present, and its values. */
interface NamedStats {
  present: number;
  /** Occurrences written without '=' (`?flag`). */
  bare: number;
  values: ValueSketch;
}

/** Everything known about one endpoint (method + template). */
export class EndpointStats {
  count = 0;
  readonly statuses = new Map<number, number>();
  /** One sketch per variable segment, in path order. */
  slots: ValueSketch[];
  readonly query = new Map<string, NamedStats>();
  /** Query parameters past MAX_NAMES, counted and not replayed. */
  queryOverflow = 0;
  readonly headers = new Map<string, NamedStats>();
  readonly identity = { authorization: 0, cookie: 0, remoteUser: 0, client: 0 };
  readonly bodies = new Map<string, { contentType?: string; count: number }>();
  bodyCount = 0;

  constructor(
    readonly method: string,
    slots: number,
  ) {
    this.slots = Array.from({ length: slots }, () => new ValueSketch());
  }

  /** Records one request; `values` are the variable segments in path order. */
  record(r: ModelRequest, values: string[], random: () => number): void {
    this.count++;
    if (r.status !== undefined) this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1);
    for (let i = 0; i < values.length; i++) (this.slots[i] as ValueSketch).add(values[i] as string);
    if (r.query !== undefined) {
      for (const part of r.query.split('&')) {
        if (part === '') continue;
        const eq = part.indexOf('=');
        const rawName = eq < 0 ? part : part.slice(0, eq);
        // A key that is itself a number or token (`?1712345678`) is a cache-buster: its name varies.
        const variableName = segmentKind(rawName) !== null;
        const name = variableName ? '*' : rawName;
        const value = variableName ? rawName : eq < 0 ? '' : part.slice(eq + 1);
        this.named(this.query, name, value, eq < 0, () => this.queryOverflow++);
      }
    }
    for (const [name, value] of r.headers) this.named(this.headers, name, value, false, () => undefined);
    if (r.identity.authorization) this.identity.authorization++;
    if (r.identity.cookie) this.identity.cookie++;
    if (r.identity.remoteUser) this.identity.remoteUser++;
    if (r.identity.client) this.identity.client++;
    if (r.body && r.body.text.length > 0) {
      this.bodyCount++;
      this.keepBody(r.body.text, r.body.contentType, 1, random);
    }
  }

  /** Adds a slot at `index` holding `value` for every request seen so far (a literal turned variable). */
  insertSlot(index: number, value: string): void {
    const s = new ValueSketch();
    if (this.count > 0) s.add(value, this.count);
    this.slots.splice(index, 0, s);
  }

  /** Folds another endpoint with the same method and slot layout into this one. */
  merge(other: EndpointStats, random: () => number): void {
    this.count += other.count;
    for (const [code, n] of other.statuses) this.statuses.set(code, (this.statuses.get(code) ?? 0) + n);
    other.slots.forEach((s, i) => this.slots[i]?.merge(s));
    for (const [map, from] of [
      [this.query, other.query],
      [this.headers, other.headers],
    ] as const) {
      for (const [name, st] of from) {
        const mine = map.get(name);
        if (mine) {
          mine.present += st.present;
          mine.bare += st.bare;
          mine.values.merge(st.values);
        } else if (map.size < MAX_NAMES) map.set(name, st);
        else if (map === this.query) this.queryOverflow += st.present;
      }
    }
    this.queryOverflow += other.queryOverflow;
    this.identity.authorization += other.identity.authorization;
    this.identity.cookie += other.identity.cookie;
    this.identity.remoteUser += other.identity.remoteUser;
    this.identity.client += other.identity.client;
    this.bodyCount += other.bodyCount;
    for (const [text, b] of other.bodies) this.keepBody(text, b.contentType, b.count, random);
  }

  private named(
    map: Map<string, NamedStats>,
    name: string,
    value: string,
    bare: boolean,
    overflow: () => void,
  ): void {
    let st = map.get(name);
    if (!st) {
      if (map.size >= MAX_NAMES) return overflow();
      st = { present: 0, bare: 0, values: new ValueSketch() };
      map.set(detach(name), st);
    }
    st.present++;
    if (bare) st.bare++;
    st.values.add(value);
  }

  private keepBody(text: string, contentType: string | undefined, count: number, random: () => number): void {
    if (text.length > MAX_BODY) return;
    const b = this.bodies.get(text);
    if (b) {
      b.count += count;
      return;
    }
    if (this.bodies.size >= MAX_BODIES) {
      // Reservoir-style: a new distinct body replaces a kept one with falling probability.
      if (random() * this.bodyCount >= MAX_BODIES) return;
      const victim = [...this.bodies.keys()][Math.floor(random() * this.bodies.size)] as string;
      this.bodies.delete(victim);
    }
    this.bodies.set(detach(text), { contentType, count });
  }
}

/** One segment of an endpoint template: a literal, or a variable slot with a display name. */
export type TemplateSegment = { literal: string } | { slot: number; name: string };

class Node {
  readonly literals = new Map<string, Node>();
  readonly kinds = new Map<ValueKind, Node>();
  param: Node | null = null;
  readonly endpoints = new Map<string, EndpointStats>();
}

/** A mined endpoint: its template, and the statistics gathered under it. */
export interface MinedEndpoint {
  template: string;
  segments: TemplateSegment[];
  stats: EndpointStats;
}

/** Mines endpoint templates from a stream of requests, in bounded memory. */
export class EndpointTrie {
  private readonly root = new Node();
  private size = 0;

  constructor(
    private readonly random: () => number,
    /** Endpoints (method + template) kept at most; requests for further ones are refused. */
    private readonly maxEndpoints = 2000,
  ) {}

  /** Number of distinct endpoints so far. */
  get endpoints(): number {
    return this.size;
  }

  /** Records a request; false when it would be an endpoint past the cap (the caller counts it). */
  add(r: ModelRequest): boolean {
    const segments = r.path.slice(1).split('/');
    const values: string[] = [];
    let node = this.root;
    for (const seg of segments) {
      // A segment already known as a literal here is one again: skip classifying it.
      const known = node.literals.get(seg);
      if (known) {
        node = known;
        continue;
      }
      const kind = segmentKind(seg);
      if (kind) {
        node = getOrCreate(node.kinds, kind);
        values.push(seg);
        continue;
      }
      if (node.param) {
        node = node.param;
        values.push(seg);
        continue;
      }
      const child = node.literals.get(seg);
      if (child) {
        node = child;
        continue;
      }
      if (node.literals.size >= (node === this.root ? MAX_ROOT_LITERALS : MAX_LITERALS)) {
        if (node === this.root) return false;
        this.collapse(node, values.length);
        node = node.param as unknown as Node;
        values.push(seg);
        continue;
      }
      const created = new Node();
      node.literals.set(detach(seg), created);
      node = created;
    }
    let ep = node.endpoints.get(r.method);
    if (!ep) {
      if (this.size >= this.maxEndpoints) return false;
      ep = new EndpointStats(r.method, values.length);
      node.endpoints.set(r.method, ep);
      this.size++;
    }
    ep.record(r, values, this.random);
    return true;
  }

  /** Every endpoint with its template. */
  list(): MinedEndpoint[] {
    this.collapseRare(this.root, 0);
    const out: MinedEndpoint[] = [];
    const walk = (node: Node, segs: Array<{ literal: string } | { kind: ValueKind | 'param' }>): void => {
      for (const ep of node.endpoints.values()) out.push(this.describe(segs, ep));
      for (const [lit, child] of node.literals) walk(child, [...segs, { literal: lit }]);
      for (const [kind, child] of node.kinds) walk(child, [...segs, { kind }]);
      if (node.param) walk(node.param, [...segs, { kind: 'param' }]);
    };
    walk(this.root, []);
    return out;
  }

  private describe(
    segs: Array<{ literal: string } | { kind: ValueKind | 'param' }>,
    stats: EndpointStats,
  ): MinedEndpoint {
    const used = new Map<string, number>();
    let slot = 0;
    const segments: TemplateSegment[] = segs.map((s) => {
      if ('literal' in s) return { literal: s.literal };
      const base = NAMES[s.kind] ?? 'param';
      const n = (used.get(base) ?? 0) + 1;
      used.set(base, n);
      return { slot: slot++, name: n === 1 ? base : `${base}${n}` };
    });
    const template = '/' + segments.map((s) => ('literal' in s ? s.literal : `{${s.name}}`)).join('/');
    return { template, segments, stats };
  }

  /**
   * A short log cannot reach the streaming cap, yet a position whose children are mostly seen
   * once or twice (slugs, user names) is a variable all the same. The root is never collapsed.
   */
  private collapseRare(node: Node, slotsBefore: number): void {
    if (node !== this.root && node.literals.size >= RARE_CHILDREN) {
      let rare = 0;
      for (const child of node.literals.values()) if (requestsBelow(child, 3) <= 2) rare++;
      if (rare >= node.literals.size * 0.75) this.collapse(node, slotsBefore);
    }
    for (const child of node.literals.values()) this.collapseRare(child, slotsBefore);
    for (const child of node.kinds.values()) this.collapseRare(child, slotsBefore + 1);
    if (node.param) this.collapseRare(node.param, slotsBefore + 1);
  }

  /** Turns `node`'s literal children into one variable child, merging their subtrees. */
  private collapse(node: Node, slotIndex: number): void {
    const target = node.param ?? new Node();
    node.param = target;
    const children = [...node.literals.entries()];
    node.literals.clear();
    for (const [lit, child] of children) {
      insertSlotBelow(child, slotIndex, lit);
      this.mergeNodes(target, child, slotIndex + 1);
    }
  }

  /** Merges `from` into `into`; both sit at a position with `slotsBefore` variables above them. */
  private mergeNodes(into: Node, from: Node, slotsBefore: number): void {
    for (const [method, ep] of from.endpoints) {
      const mine = into.endpoints.get(method);
      if (mine) {
        mine.merge(ep, this.random);
        this.size--;
      } else into.endpoints.set(method, ep);
    }
    for (const [kind, child] of from.kinds) {
      const mine = into.kinds.get(kind);
      if (mine) this.mergeNodes(mine, child, slotsBefore + 1);
      else into.kinds.set(kind, child);
    }
    if (from.param) {
      if (into.param) this.mergeNodes(into.param, from.param, slotsBefore + 1);
      else into.param = from.param;
    }
    for (const [lit, child] of from.literals) {
      if (into.param) {
        insertSlotBelow(child, slotsBefore, lit);
        this.mergeNodes(into.param, child, slotsBefore + 1);
        continue;
      }
      const mine = into.literals.get(lit);
      if (mine) this.mergeNodes(mine, child, slotsBefore);
      else into.literals.set(lit, child);
    }
    // A variable position holds no literals: fold any that met a collapsed side into its variable.
    if ((into.param && into.literals.size > 0) || into.literals.size > MAX_LITERALS)
      this.collapse(into, slotsBefore);
  }
}

const NAMES: Partial<Record<ValueKind | 'param', string>> = {
  int: 'id',
  uuid: 'uuid',
  hex: 'hash',
  token: 'token',
  date: 'date',
  ipv4: 'ip',
  ipv6: 'ip',
  param: 'param',
};

function getOrCreate<K>(map: Map<K, Node>, key: K): Node {
  let n = map.get(key);
  if (!n) {
    n = new Node();
    map.set(key, n);
  }
  return n;
}

/** Requests recorded at or below `node`, counting only up to `limit` (enough to call it rare). */
function requestsBelow(node: Node, limit: number): number {
  let n = 0;
  for (const ep of node.endpoints.values()) n += ep.count;
  for (const child of [
    ...node.literals.values(),
    ...node.kinds.values(),
    ...(node.param ? [node.param] : []),
  ]) {
    if (n >= limit) break;
    n += requestsBelow(child, limit - n);
  }
  return n;
}

/** Every endpoint under `node` (itself included) gains a slot at `index` holding `value`. */
function insertSlotBelow(node: Node, index: number, value: string): void {
  for (const ep of node.endpoints.values()) ep.insertSlot(index, value);
  for (const child of node.literals.values()) insertSlotBelow(child, index, value);
  for (const child of node.kinds.values()) insertSlotBelow(child, index, value);
  if (node.param) insertSlotBelow(node.param, index, value);
}
