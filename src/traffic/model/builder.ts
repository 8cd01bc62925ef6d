/**
 * Builds the traffic model from parsed log records, one at a time, in bounded memory: each record
 * is first stripped of secrets (privacy.ts), then folded into the endpoint trie, the identity and
 * user-agent sketches, the status mix, the rate buckets and the distinct-per-window counters.
 * Only the verbatim sequence (opt-in) grows with the log, and it is capped.
 */
import {
  cleanHeaderValue,
  normalizeTarget,
  originForm,
  REPLAYABLE_METHODS,
  type LogRecord,
} from '../import/record';
import { seededRandom } from '../../random';
import { EndpointTrie, MAX_BODY, type MinedEndpoint, type ModelRequest } from './endpoints';
import {
  TRAFFIC_MODEL_KIND,
  TRAFFIC_MODEL_VERSION,
  type EndpointModel,
  type IdentityModel,
  type ModelSource,
  type NamedValueModel,
  type SequenceEntry,
  type TrafficModel,
} from './model';
import { anonymizeBody, anonymizeTarget, Anonymizer, headerFate, isSessionCookie } from './privacy';
import { RateBuckets } from './rate';
import { detach, ValueSketch } from './sketch';
import { DistinctWindows } from './windows';

/** Requests kept for verbatim replay at most. */
export const MAX_SEQUENCE = 1_000_000;
/** Body characters kept for verbatim replay at most, all requests together. */
const MAX_SEQUENCE_BODY = 64 * 1024 * 1024;
/** Longest header value kept (longer ones are dropped from the model). */
const MAX_HEADER_VALUE = 4096;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:.]+$/i;

/** Options of the model builder. */
export interface BuilderOptions {
  /** Keep the request sequence for verbatim replay. */
  verbatim?: boolean;
  /** Fixed key for repeatable synthetic values (tests); random by default. */
  anonymizer?: Anonymizer;
  /** Seed for the builder's own sampling decisions. */
  seed?: number;
}

/** Why a parsed record was not modelled (counted by the importer with the parse skips). */
export type BuildSkip = string;

/** Accumulates records into a {@link TrafficModel}. */
export class ModelBuilder {
  private readonly anonymizer: Anonymizer;
  private readonly random: () => number;
  private readonly trie: EndpointTrie;
  private readonly rate = new RateBuckets();
  private readonly windows = new DistinctWindows();
  private readonly statuses = new Map<number, number>();
  private readonly auth = new ValueSketch();
  private readonly authSchemes = new Map<string, number>();
  private authCount = 0;
  private readonly cookieValues = new ValueSketch();
  private readonly cookieNames = new Map<string, number>();
  private cookieCount = 0;
  private readonly users = new ValueSketch();
  private userCount = 0;
  private readonly clients = new ValueSketch();
  private clientCount = 0;
  private readonly agents = new ValueSketch();
  private requests = 0;
  private readonly sequence: SequenceEntry[] | null;
  private sequenceBody = 0;
  /** Requests not kept in the verbatim sequence (past its caps). */
  sequenceDropped = 0;
  /** Bodies too long to keep. */
  bodiesTooLong = 0;

  constructor(options: BuilderOptions = {}) {
    this.anonymizer = options.anonymizer ?? new Anonymizer();
    this.random = seededRandom(options.seed ?? 1);
    this.trie = new EndpointTrie(this.random);
    this.sequence = options.verbatim ? [] : null;
  }

  /** Models one record; returns null, or why it was skipped. */
  add(r: LogRecord): BuildSkip | null {
    const method = r.method.toUpperCase();
    if (!REPLAYABLE_METHODS.has(method))
      return 'method cannot be replayed (expected GET, HEAD, POST, PUT, DELETE, OPTIONS or PATCH)';
    const form = originForm(r.target);
    if (form === null) return 'request target is not a path or an http(s) URL';
    const target = anonymizeTarget(normalizeTarget(form), this.anonymizer);
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);

    const headers: Array<[string, string]> = [];
    let authorization: string | undefined;
    let cookie: string | undefined;
    let ua = r.userAgent === undefined ? undefined : this.anonymizer.text(r.userAgent);
    let contentType: string | undefined;
    for (const [rawName, rawValue] of r.headers ?? []) {
      const name = rawName.toLowerCase();
      if (!HEADER_NAME.test(name) || rawValue.length > MAX_HEADER_VALUE) continue;
      const value = cleanHeaderValue(rawValue);
      switch (headerFate(name)) {
        case 'drop':
          break;
        case 'authorization':
          if (name === 'authorization') authorization = this.anonymizer.authorization(value);
          break;
        case 'cookie':
          cookie = this.anonymizer.cookie(value);
          break;
        case 'user-agent':
          ua ??= this.anonymizer.text(value);
          break;
        case 'client':
          // Proxy address headers are identities: synthesised, same cardinality, never kept.
          headers.push([name, this.anonymizer.identity(value)]);
          break;
        case 'url':
          headers.push([name, this.anonymizer.text(anonymizeTarget(value, this.anonymizer))]);
          break;
        case 'secret':
          headers.push([name, this.anonymizer.token(value)]);
          break;
        case 'keep':
          if (name === 'content-type') contentType = value;
          headers.push([name, this.anonymizer.text(value)]);
      }
    }
    const remoteUser = !authorization && r.remoteUser ? this.anonymizer.user(r.remoteUser) : undefined;
    const client = r.client
      ? IP.test(r.client)
        ? this.anonymizer.client(r.client)
        : this.anonymizer.token(r.client)
      : undefined;
    let body: ModelRequest['body'];
    if (r.body && r.body.text.length > 0) {
      if (r.body.text.length > MAX_BODY) this.bodiesTooLong++;
      else {
        const type = r.body.contentType ?? contentType;
        body = { text: anonymizeBody(r.body.text, type, this.anonymizer), contentType: type };
      }
    }
    const request: ModelRequest = {
      method,
      path,
      query: q < 0 ? undefined : target.slice(q + 1),
      status: r.status,
      headers,
      identity: {
        authorization: authorization !== undefined,
        cookie: cookie !== undefined,
        remoteUser: remoteUser !== undefined,
        client: client !== undefined,
      },
      body,
    };
    if (!this.trie.add(request))
      return 'too many distinct endpoints (over 2,000 templates or 400 first path segments)';

    this.requests++;
    if (r.status !== undefined) this.statuses.set(r.status, (this.statuses.get(r.status) ?? 0) + 1);
    if (r.time !== undefined) this.rate.add(r.time);
    let session: string | undefined;
    if (authorization) {
      this.authCount++;
      const sp = authorization.indexOf(' ');
      const scheme = sp < 0 ? '' : authorization.slice(0, sp);
      this.authSchemes.set(scheme, (this.authSchemes.get(scheme) ?? 0) + 1);
      this.auth.add(sp < 0 ? authorization : authorization.slice(sp + 1));
    }
    if (cookie) {
      this.cookieCount++;
      for (const part of cookie.split('; ')) {
        const eq = part.indexOf('=');
        const name = eq < 0 ? part : part.slice(0, eq);
        if (!isSessionCookie(name)) continue;
        session = part.slice(eq + 1);
        if (this.cookieNames.has(name) || this.cookieNames.size < 32)
          this.cookieNames.set(name, (this.cookieNames.get(name) ?? 0) + 1);
        this.cookieValues.add(session);
        break;
      }
    }
    if (remoteUser) {
      this.userCount++;
      this.users.add(remoteUser);
    }
    if (client) {
      this.clientCount++;
      this.clients.add(client);
    }
    if (ua) this.agents.add(ua);
    const identity = authorization ?? session ?? cookie ?? remoteUser ?? client;
    this.windows.add(target, identity);

    if (this.sequence)
      this.keep({ method, target, headers, authorization, cookie, remoteUser, client, ua, body, identity });
    return null;
  }

  /** The finished model. */
  finish(source: Omit<ModelSource, 'requests'>): TrafficModel {
    const mined = this.trie
      .list()
      .sort((a, b) => b.stats.count - a.stats.count || (a.template < b.template ? -1 : 1));
    const total = this.requests;
    const endpoints = mined.map((m) => endpointModel(m, total));
    const top = <K>(m: Map<K, number>): K | undefined => [...m.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const identities: IdentityModel = {};
    if (this.authCount > 0)
      identities.authorization = {
        scheme: top(this.authSchemes) ?? 'Bearer',
        share: ratio(this.authCount, total),
        values: this.auth.toModel(),
      };
    const cookieName = top(this.cookieNames);
    if (cookieName !== undefined)
      identities.cookie = {
        name: cookieName,
        share: ratio(this.cookieCount, total),
        values: this.cookieValues.toModel(),
      };
    if (this.userCount > 0)
      identities.remoteUser = { share: ratio(this.userCount, total), values: this.users.toModel() };
    if (this.clientCount > 0)
      identities.client = { share: ratio(this.clientCount, total), values: this.clients.toModel() };
    const model: TrafficModel = {
      kind: TRAFFIC_MODEL_KIND,
      version: TRAFFIC_MODEL_VERSION,
      source: { ...source, requests: total },
      endpoints,
      identities,
      userAgents: this.agents.observations > 0 ? this.agents.toModel() : null,
      rate: this.rate.toModel(),
      summary: {
        requests: total,
        statusCounts: Object.fromEntries(
          [...this.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]),
        ),
        distinct: this.windows.summary(),
      },
    };
    if (this.rate.outliers > 0)
      model.source.notes.push(
        `${this.rate.outliers} timestamps more than a year from the first one were left out of the rate`,
      );
    if (this.bodiesTooLong > 0)
      model.source.notes.push(
        `${this.bodiesTooLong} request bodies over ${MAX_BODY / 1024} KiB were not kept (those requests replay without a body)`,
      );
    if (this.sequence) {
      model.sequence = this.sequence;
      if (this.sequenceDropped > 0)
        model.source.notes.push(
          `${this.sequenceDropped} requests past the verbatim limits (${MAX_SEQUENCE.toLocaleString('en-US')} requests, 64 MiB of bodies) are in the model but not in the verbatim sequence`,
        );
    }
    return model;
  }

  private keep(r: {
    method: string;
    target: string;
    headers: Array<[string, string]>;
    authorization?: string;
    cookie?: string;
    remoteUser?: string;
    client?: string;
    ua?: string;
    body?: ModelRequest['body'];
    identity?: string;
  }): void {
    const seq = this.sequence as SequenceEntry[];
    const bodyLength = r.body?.text.length ?? 0;
    if (seq.length >= MAX_SEQUENCE || this.sequenceBody + bodyLength > MAX_SEQUENCE_BODY) {
      this.sequenceDropped++;
      return;
    }
    const h: Array<[string, string]> = r.headers.map(([n, v]) => [n, detach(v)]);
    if (r.authorization) h.push(['authorization', r.authorization]);
    else if (r.remoteUser) h.push(['authorization', basicFor(r.remoteUser)]);
    if (r.cookie) h.push(['cookie', r.cookie]);
    if (r.client) h.push(['x-forwarded-for', r.client]);
    if (r.ua) h.push(['user-agent', detach(r.ua)]);
    const entry: SequenceEntry = { m: r.method, p: detach(r.target) };
    if (h.length > 0) entry.h = h;
    if (r.body) {
      entry.b = detach(r.body.text);
      if (r.body.contentType) entry.ct = r.body.contentType;
      this.sequenceBody += bodyLength;
    }
    if (r.identity) entry.i = r.identity;
    seq.push(entry);
  }
}

/** The Authorization header replaying a (synthetic) HTTP user name. */
export function basicFor(user: string): string {
  return `Basic ${Buffer.from(`${user}:synthetic`).toString('base64')}`;
}

function ratio(n: number, total: number): number {
  return total > 0 ? Math.round((n / total) * 10_000) / 10_000 : 0;
}

function endpointModel(m: MinedEndpoint, total: number): EndpointModel {
  const s = m.stats;
  const named = (map: typeof s.query): NamedValueModel[] =>
    [...map.entries()]
      .sort((a, b) => b[1].present - a[1].present)
      .map(([name, st]) => ({
        name,
        presence: Math.min(1, ratio(st.present, s.count)),
        bare: ratio(st.bare, st.present),
        values: st.values.toModel(),
      }));
  return {
    key: `${s.method} ${m.template}`,
    method: s.method,
    template: m.template,
    segments: m.segments,
    count: s.count,
    share: total > 0 ? s.count / total : 0,
    statusCounts: Object.fromEntries(
      [...s.statuses.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]),
    ),
    slots: s.slots.map((x) => x.toModel()),
    query: named(s.query),
    queryOverflow: s.queryOverflow,
    headers: named(s.headers),
    identity: {
      authorization: ratio(s.identity.authorization, s.count),
      cookie: ratio(s.identity.cookie, s.count),
      remoteUser: ratio(s.identity.remoteUser, s.count),
      client: ratio(s.identity.client, s.count),
    },
    bodyShare: ratio(s.bodyCount, s.count),
    bodies: [...s.bodies.entries()].map(([text, b]) => ({
      text,
      ...(b.contentType ? { contentType: b.contentType } : {}),
      count: b.count,
    })),
  };
}
