/**
 * A scenario: weighted endpoints with templates, drawn for each request from a seeded PRNG and a
 * pool of distinct identities. Compiled into a {@link RequestSource}, the one interface the driver
 * consumes (log replay produces the same interface).
 */
import { seededRandom, type Random } from '../random';
import { compileTemplate, TemplateError, type Template, type TemplateContext } from './template';
import { LeakcheckError } from '../errors';

/** One request as it goes on the wire. */
export interface OutgoingRequest {
  /** Name of the endpoint it was drawn from (for the per-endpoint mix). */
  endpoint: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Who sends it (user, session, client), for the distinct-identities count; optional. */
  identity?: string;
  /** Replay: the status the log recorded most for this request's endpoint (discovery's probe compares). */
  expectedStatus?: number;
}

/** Anything that produces the next request to send. */
export interface RequestSource {
  next(): OutgoingRequest;
  /** Requests per window of the driver's distinct-URL/identity counts (default 10,000). */
  readonly distinctWindow?: number;
  /** Endpoint names with their intended share of traffic (0..1). */
  mix(): Array<{ endpoint: string; share: number }>;
}

/** One weighted endpoint of a scenario, as written in the config. */
export interface EndpointSpec {
  name?: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A string template, or JSON whose string values are templates. */
  body?: string | Record<string, unknown> | unknown[];
  weight: number;
}

/** A scenario as written in the config. */
export interface ScenarioSpec {
  requests: EndpointSpec[];
  /** Size of the pool `{{user}}` draws from. */
  users: number;
  seed: number;
}

/** The incident's user base: production had about 15,000 distinct users. */
export const DEFAULT_USERS = 15_000;

/** With no scenario: GET / as many distinct users (an identity per request, like production). */
export function defaultScenario(users: number = DEFAULT_USERS, seed = 1): ScenarioSpec {
  return {
    users,
    seed,
    requests: [
      { name: 'GET /', method: 'GET', path: '/', headers: { authorization: 'Bearer {{user}}' }, weight: 1 },
    ],
  };
}

/** A scenario that does not compile; `field` names the config field (e.g. `traffic.requests[1].path`). */
export class ScenarioError extends LeakcheckError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

interface CompiledEndpoint {
  name: string;
  method: string;
  path: Template;
  headers: Array<[string, Template]>;
  body?: Template;
}

function compileAt(field: string, source: string): Template {
  try {
    return compileTemplate(source);
  } catch (err) {
    if (err instanceof TemplateError) throw new ScenarioError(field, err.message);
    throw err;
  }
}

/** Compiles a scenario; `fieldPrefix` is where it sits in the config, for error messages. */
export function compileScenario(spec: ScenarioSpec, fieldPrefix = 'traffic'): RequestSource {
  if (spec.requests.length === 0)
    throw new ScenarioError(`${fieldPrefix}.requests`, 'expected at least one request');
  const endpoints: CompiledEndpoint[] = spec.requests.map((r, i) => {
    const at = `${fieldPrefix}.requests[${i}]`;
    const headers: Array<[string, Template]> = Object.entries(r.headers ?? {}).map(([k, v]) => [
      k.toLowerCase(),
      compileAt(`${at}.headers.${k}`, v),
    ]);
    let body: Template | undefined;
    if (r.body !== undefined) {
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      body = compileAt(`${at}.body`, text);
      if (typeof r.body !== 'string' && !headers.some(([k]) => k === 'content-type')) {
        headers.push(['content-type', () => 'application/json']);
      }
    }
    return {
      name: r.name ?? `${r.method.toUpperCase()} ${r.path}`,
      method: r.method.toUpperCase(),
      path: compileAt(`${at}.path`, r.path),
      headers,
      body,
    };
  });
  const total = spec.requests.reduce((s, r) => s + r.weight, 0);
  if (!(total > 0))
    throw new ScenarioError(`${fieldPrefix}.requests`, 'expected weights that add up to more than 0');
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of spec.requests) {
    acc += r.weight / total;
    cumulative.push(acc);
  }
  const random: Random = seededRandom(spec.seed);
  let seq = 0;
  const ctx: TemplateContext = { random, user: '', seq: 0 };
  return {
    next(): OutgoingRequest {
      const u = random();
      let i = 0;
      while (i < cumulative.length - 1 && u >= (cumulative[i] as number)) i++;
      const e = endpoints[i] as CompiledEndpoint;
      ctx.user = `user-${1 + Math.floor(random() * spec.users)}`;
      ctx.seq = seq++;
      const headers: Record<string, string> = {};
      for (const [k, t] of e.headers) headers[k] = t(ctx);
      const out: OutgoingRequest = { endpoint: e.name, method: e.method, path: e.path(ctx), headers };
      if (e.body) out.body = e.body(ctx);
      return out;
    },
    mix() {
      return endpoints.map((e, i) => ({
        endpoint: e.name,
        share: (spec.requests[i] as EndpointSpec).weight / total,
      }));
    },
  };
}
