/**
 * Replay of a traffic model as a {@link RequestSource}.
 *
 * Model mode (the default) draws every request afresh: an endpoint by the log's mix, then each
 * variable segment, query parameter, header and identity from its value model. A value is one of
 * the log's frequent values, one of its other distinct values, or, with the log's own new-value
 * rate (Good-Turing), a value never sent before in the same shape. Where the log shows unbounded
 * variety (cache-busters, new visitors, search terms) the replay keeps producing fresh values for
 * as long as it runs, instead of looping over the log's URLs and hiding leaks that grow with
 * cardinality.
 *
 * Verbatim mode sends the log's requests in order (looping at the end), for those who want that.
 */
import { randomUuid, seededRandom, type Random } from '../../random';
import type { EndpointSpec, OutgoingRequest, RequestSource } from '../scenario';
import { compileTemplate, type Template, type TemplateContext } from '../template';
import { basicFor } from './builder';
import type { EndpointModel, SequenceEntry, TrafficModel } from './model';
import { hashString, type ValueModel } from './sketch';
import { DISTINCT_WINDOW } from './windows';

/** How to replay. */
export type ReplayMode = 'model' | 'verbatim';

/** Options of {@link replaySource}. */
export interface ReplayOptions {
  mode?: ReplayMode;
  seed?: number;
  /**
   * The scenario's endpoints: a body template of one whose method and path match a modelled
   * endpoint fills the bodies the log did not record.
   */
  bodyTemplates?: EndpointSpec[];
}

/** A replaying request source. */
export interface ReplaySource extends RequestSource {
  readonly mode: ReplayMode;
  /** Requests per window of the distinct counts: the log's, so the two compare. */
  readonly distinctWindow: number;
  /** Verbatim mode: how many times the sequence wrapped around. */
  loops(): number;
}

/** Draws values for one slot from its model. */
export class ValueGenerator {
  private readonly topValues: string[];
  private readonly topCum: number[];
  private readonly topMass: number;
  private readonly newMass: number;
  private readonly tailSize: number;
  /** The tail in groups weighted like the log's repeated values (see ValueModel.repeats). */
  private readonly groupCum: number[];
  private readonly groupSize: number;
  private fresh = 0;

  constructor(
    private readonly model: ValueModel,
    private readonly random: Random,
    private readonly seed: number,
    /** False for values that must come from the log (user agents): no invented ones. */
    allowFresh = true,
  ) {
    const obs = Math.max(1, model.observations);
    this.topValues = model.top.map(([v]) => v);
    let acc = 0;
    this.topCum = model.top.map(([, n]) => (acc += n / obs));
    this.topMass = Math.min(1, acc);
    // Repeats are drawn from the values the log saw more than once (distinct minus singletons,
    // the singletons being what fresh values stand for); without invention, from the sample.
    this.tailSize = allowFresh
      ? Math.max(0, Math.round(model.distinct - model.newRate * model.observations) - model.top.length)
      : model.sample.length;
    this.newMass = allowFresh ? Math.max(0, Math.min(model.newRate, 1 - this.topMass)) : 0;
    // Repeats are skewed (a few clients come back often, most rarely): split the tail into one
    // group per sampled count, each drawn in proportion to that count.
    const repeats = allowFresh && model.repeats && model.repeats.length > 0 ? model.repeats : [1];
    const total = repeats.reduce((a, b) => a + b, 0);
    let cum = 0;
    this.groupCum = repeats.map((c) => (cum += c / total));
    this.groupSize = Math.max(1, Math.ceil(this.tailSize / repeats.length));
  }

  /** The next value. */
  next(): string {
    const u = this.random();
    if (u < this.topMass || (this.tailSize === 0 && this.newMass === 0)) {
      const t = u < this.topMass ? u : this.random() * this.topMass;
      let i = 0;
      while (i < this.topCum.length - 1 && t >= (this.topCum[i] as number)) i++;
      const v = this.topValues[i];
      return v ?? this.invent(this.tailSize + this.fresh++);
    }
    if (u < this.topMass + this.newMass || this.tailSize === 0)
      return this.invent(this.tailSize + this.fresh++);
    const g = this.random();
    let group = 0;
    while (group < this.groupCum.length - 1 && g >= (this.groupCum[group] as number)) group++;
    const i = Math.min(
      this.tailSize - 1,
      group * this.groupSize + Math.floor(this.random() * this.groupSize),
    );
    return i < this.model.sample.length ? (this.model.sample[i] as string) : this.invent(i);
  }

  /** The value with index `i` past the sample: always the same for the same `i`, new for a new `i`. */
  private invent(i: number): string {
    const r = seededRandom((this.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
    const pool = this.model.sample.length > 0 ? this.model.sample : this.topValues;
    const template = pool.length > 0 ? (pool[i % pool.length] as string) : '';
    return reshape(template, this.model.kind, r);
  }
}

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A new value in `template`'s shape: same length and character classes (or a fresh UUID, IP...). */
export function reshape(template: string, kind: ValueModel['kind'], r: Random): string {
  const pick = (chars: string): string => chars[Math.floor(r() * chars.length)] as string;
  switch (kind) {
    case 'uuid':
      return randomUuid(r);
    case 'ipv4':
      return `10.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
    case 'ipv6':
      return `fd00::${Math.floor(r() * 65536).toString(16)}:${Math.floor(r() * 65536).toString(16)}`;
    case 'empty':
      return '';
    case 'int': {
      const len = Math.max(1, template.length);
      if (len === 1) return pick(DIGITS);
      let out = pick('123456789');
      for (let i = 1; i < len; i++) out += pick(DIGITS);
      return out;
    }
  }
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    // A percent-escape is kept whole: an altered one would not decode.
    if (ch === '%' && /^[0-9A-Fa-f]{2}$/.test(template.slice(i + 1, i + 3))) {
      out += template.slice(i, i + 3);
      i += 2;
      continue;
    }
    if (ch >= '0' && ch <= '9') out += pick(DIGITS);
    else if (ch >= 'a' && ch <= 'z') out += pick(kind === 'hex' ? 'abcdef' : LOWER);
    else if (ch >= 'A' && ch <= 'Z') out += pick(kind === 'hex' ? 'ABCDEF' : UPPER);
    else out += ch;
  }
  return out;
}

interface CompiledNamed {
  name: string;
  presence: number;
  bare: number;
  gen: ValueGenerator;
}

interface CompiledEndpoint {
  key: string;
  method: string;
  parts: Array<string | ValueGenerator>;
  query: CompiledNamed[];
  headers: CompiledNamed[];
  identity: EndpointModel['identity'];
  bodies: EndpointModel['bodies'];
  bodyCum: number[];
  bodyShare: number;
  bodyTemplate?: { body: Template; json: boolean };
}

/** Each endpoint's most recorded status (endpoints whose log recorded none are left out). */
function usualStatuses(endpoints: readonly EndpointModel[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of endpoints) {
    let best: [string, number] | undefined;
    for (const [code, n] of Object.entries(e.statusCounts)) if (!best || n > best[1]) best = [code, n];
    const status = best ? Number(best[0]) : NaN;
    if (Number.isInteger(status) && status >= 100) out.set(e.key, status);
  }
  return out;
}

function slotSeed(seed: number, key: string): number {
  return (seed ^ hashString(key)) >>> 0;
}

/** Compiles the model into a request source. */
export function replaySource(model: TrafficModel, options: ReplayOptions = {}): ReplaySource {
  const mode = options.mode ?? 'model';
  const seed = options.seed ?? 1;
  const distinctWindow =
    model.summary.distinct.windows > 0 ? DISTINCT_WINDOW : Math.max(1, model.summary.distinct.window);
  const mix = model.endpoints.map((e) => ({ endpoint: e.key, share: e.share }));
  const usual = usualStatuses(model.endpoints);
  if (mode === 'verbatim') {
    if (!model.sequence || model.sequence.length === 0)
      throw new Error('verbatim replay needs the request sequence: import with --verbatim');
    return verbatimSource(model, model.sequence, distinctWindow, mix, usual);
  }
  const random = seededRandom(seed);
  const gen = (m: ValueModel, key: string, fresh = true): ValueGenerator =>
    new ValueGenerator(m, random, slotSeed(seed, key), fresh);
  const endpoints: CompiledEndpoint[] = model.endpoints.map((e) => {
    const parts = e.segments.map((s) =>
      'literal' in s ? s.literal : gen(e.slots[s.slot] as ValueModel, `${e.key} ${s.slot}`),
    );
    const named = (list: EndpointModel['query'], kind: string): CompiledNamed[] =>
      list.map((q) => ({
        name: q.name,
        presence: q.presence,
        bare: q.bare,
        gen: gen(q.values, `${e.key} ${kind} ${q.name}`),
      }));
    let acc = 0;
    const bodyTotal = e.bodies.reduce((s, b) => s + b.count, 0);
    const compiled: CompiledEndpoint = {
      key: e.key,
      method: e.method,
      parts,
      query: named(e.query, '?'),
      headers: named(e.headers, 'h'),
      identity: e.identity,
      bodies: e.bodies,
      bodyCum: e.bodies.map((b) => (acc += b.count / Math.max(1, bodyTotal))),
      bodyShare: e.bodyShare,
    };
    if (e.bodies.length === 0) {
      const spec = options.bodyTemplates?.find((s) => s.body !== undefined && templateMatches(s, e));
      if (spec && spec.body !== undefined) {
        const text = typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
        compiled.bodyTemplate = { body: compileTemplate(text), json: typeof spec.body !== 'string' };
      }
    }
    return compiled;
  });
  const cumulative: number[] = [];
  let acc = 0;
  const total = model.endpoints.reduce((s, e) => s + e.count, 0);
  for (const e of model.endpoints) cumulative.push((acc += e.count / total));

  const ids = model.identities;
  const auth = ids.authorization ? gen(ids.authorization.values, 'id auth') : null;
  const cookie = ids.cookie ? gen(ids.cookie.values, 'id cookie') : null;
  const user = ids.remoteUser ? gen(ids.remoteUser.values, 'id user') : null;
  const client = ids.client ? gen(ids.client.values, 'id client') : null;
  const agents = model.userAgents ? gen(model.userAgents, 'ua', false) : null;
  const ctx: TemplateContext = { random, user: '', seq: 0 };
  let seq = 0;

  return {
    mode,
    distinctWindow,
    loops: () => 0,
    mix: () => mix,
    next(): OutgoingRequest {
      const u = random();
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (u < (cumulative[mid] as number)) hi = mid;
        else lo = mid + 1;
      }
      const e = endpoints[lo] as CompiledEndpoint;
      let path = '';
      for (const p of e.parts) path += '/' + (typeof p === 'string' ? p : p.next());
      if (e.parts.length === 0) path = '/';
      let query = '';
      for (const q of e.query) {
        if (random() >= q.presence) continue;
        const v = q.gen.next();
        const part = q.name === '*' ? v : random() < q.bare ? q.name : `${q.name}=${v}`;
        query += (query ? '&' : '?') + part;
      }
      const headers: Record<string, string> = {};
      for (const h of e.headers) if (random() < h.presence) headers[h.name] = h.gen.next();
      let identity: string | undefined;
      if (auth && random() < e.identity.authorization) {
        identity = headers.authorization = `${ids.authorization?.scheme ?? 'Bearer'} ${auth.next()}`.trim();
      }
      if (user && !headers.authorization && random() < e.identity.remoteUser) {
        const name = user.next();
        headers.authorization = basicFor(name);
        identity ??= name;
      }
      if (cookie && random() < e.identity.cookie) {
        const v = cookie.next();
        headers.cookie = `${ids.cookie?.name ?? 'sid'}=${v}`;
        identity ??= v;
      }
      if (client && random() < e.identity.client) {
        const v = client.next();
        headers['x-forwarded-for'] = v;
        identity ??= v;
      }
      if (agents) headers['user-agent'] = agents.next();
      const out: OutgoingRequest = { endpoint: e.key, method: e.method, path: path + query, headers };
      if (identity !== undefined) out.identity = identity;
      const expected = usual.get(e.key);
      if (expected !== undefined) out.expectedStatus = expected;
      if (e.bodies.length > 0 && random() < e.bodyShare) {
        const v = random();
        let i = 0;
        while (i < e.bodyCum.length - 1 && v >= (e.bodyCum[i] as number)) i++;
        const b = e.bodies[i] as EndpointModel['bodies'][number];
        out.body = b.text;
        if (b.contentType && !headers['content-type']) headers['content-type'] = b.contentType;
      } else if (e.bodyTemplate) {
        ctx.user = identity ?? `user-${seq}`;
        ctx.seq = seq;
        out.body = e.bodyTemplate.body(ctx);
        if (e.bodyTemplate.json && !headers['content-type']) headers['content-type'] = 'application/json';
      }
      seq++;
      return out;
    },
  };
}

/** True when a scenario endpoint's method and path fit a modelled endpoint's template. */
function templateMatches(spec: EndpointSpec, e: EndpointModel): boolean {
  if (spec.name === e.key) return true;
  if (spec.method.toUpperCase() !== e.method) return false;
  const specSegs = (spec.path.split('?')[0] as string).slice(1).split('/');
  if (specSegs.length !== e.segments.length) return false;
  return e.segments.every((s, i) => {
    const x = specSegs[i] as string;
    return !('literal' in s) || x.includes('{{') || x === s.literal;
  });
}

interface MatchNode {
  literals: Map<string, MatchNode>;
  variable: MatchNode | null;
  keys: Map<string, string>;
}

/** Finds the endpoint template a concrete path belongs to (literal segments first, then variables). */
export function endpointMatcher(endpoints: EndpointModel[]): (method: string, path: string) => string | null {
  const root: MatchNode = { literals: new Map(), variable: null, keys: new Map() };
  for (const e of endpoints) {
    let node = root;
    for (const s of e.segments) {
      if ('literal' in s) {
        let next = node.literals.get(s.literal);
        if (!next)
          node.literals.set(s.literal, (next = { literals: new Map(), variable: null, keys: new Map() }));
        node = next;
      } else node = node.variable ??= { literals: new Map(), variable: null, keys: new Map() };
    }
    node.keys.set(e.method, e.key);
  }
  const walk = (node: MatchNode, segs: string[], i: number, method: string): string | null => {
    if (i === segs.length) return node.keys.get(method) ?? null;
    const lit = node.literals.get(segs[i] as string);
    const viaLiteral = lit ? walk(lit, segs, i + 1, method) : null;
    if (viaLiteral) return viaLiteral;
    return node.variable ? walk(node.variable, segs, i + 1, method) : null;
  };
  return (method, path) => walk(root, (path.split('?')[0] as string).slice(1).split('/'), 0, method);
}

function verbatimSource(
  model: TrafficModel,
  sequence: SequenceEntry[],
  distinctWindow: number,
  mix: Array<{ endpoint: string; share: number }>,
  usual: ReadonlyMap<string, number>,
): ReplaySource {
  const match = endpointMatcher(model.endpoints);
  let pos = 0;
  let loops = 0;
  return {
    mode: 'verbatim',
    distinctWindow,
    loops: () => loops,
    mix: () => mix,
    next(): OutgoingRequest {
      const entry = sequence[pos] as SequenceEntry;
      if (++pos >= sequence.length) {
        pos = 0;
        loops++;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of entry.h ?? []) headers[k] = v;
      const key = match(entry.m, entry.p);
      const out: OutgoingRequest = {
        endpoint: key ?? `${entry.m} (unmatched)`,
        method: entry.m,
        path: entry.p,
        headers,
      };
      const expected = key === null ? undefined : usual.get(key);
      if (expected !== undefined) out.expectedStatus = expected;
      if (entry.b !== undefined) {
        out.body = entry.b;
        if (entry.ct && !headers['content-type']) headers['content-type'] = entry.ct;
      }
      if (entry.i !== undefined) out.identity = entry.i;
      return out;
    },
  };
}
