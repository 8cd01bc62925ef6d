/**
 * The traffic model: what `leakcheck traffic import` writes to traffic.json and what replay draws
 * from. Endpoint templates with their mix, status codes, value distributions of every variable
 * segment, query parameter and header, the identities, the arrival rate over time, and optionally
 * the request sequence for verbatim replay. It never holds a credential: see privacy.ts.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import type { RateModel } from './rate';
import type { ValueModel } from './sketch';
import type { TemplateSegment } from './endpoints';
import type { DistinctSummary } from './windows';
import { LeakcheckError } from '../../errors';

/** Marks a traffic.json file. */
export const TRAFFIC_MODEL_KIND = 'leakcheck-traffic';
/** Version of the traffic.json layout. */
export const TRAFFIC_MODEL_VERSION = 1;

/** A query parameter or header of an endpoint. */
export interface NamedValueModel {
  /** Name; `*` for a query key that is itself the varying value (`?1712345678`). */
  name: string;
  /** Share of the endpoint's requests that carry it. */
  presence: number;
  /** Share of occurrences written without '=' (`?flag`). */
  bare: number;
  values: ValueModel;
}

/** One endpoint: a method and a path template. */
export interface EndpointModel {
  /** `METHOD /template`, the name used in every report. */
  key: string;
  method: string;
  template: string;
  segments: TemplateSegment[];
  count: number;
  /** Share of all requests. */
  share: number;
  statusCounts: Record<string, number>;
  /** One per `{slot}` of the template, in order. */
  slots: ValueModel[];
  query: NamedValueModel[];
  /** Query parameter occurrences not modelled (past the per-endpoint cap). */
  queryOverflow: number;
  headers: NamedValueModel[];
  /** Share of this endpoint's requests carrying each identity. */
  identity: { authorization: number; cookie: number; remoteUser: number; client: number };
  /** Share of this endpoint's requests that had a body, and a sample of the bodies. */
  bodyShare: number;
  bodies: Array<{ text: string; contentType?: string; count: number }>;
}

/** Identities seen across the log, already synthetic. */
export interface IdentityModel {
  /** Authorization credentials; `scheme` is the most common scheme (Bearer, Basic...). */
  authorization?: { scheme: string; share: number; values: ValueModel };
  /** The session cookie (by name) and its values. */
  cookie?: { name: string; share: number; values: ValueModel };
  /** HTTP user names from the log ($remote_user). */
  remoteUser?: { share: number; values: ValueModel };
  /** Client addresses, replayed as X-Forwarded-For. */
  client?: { share: number; values: ValueModel };
}

/** A line or entry that was skipped, for the report. */
export interface SkipExample {
  /** `line 12` or `entries[3]`. */
  where: string;
  reason: string;
}

/** Where the model came from and what was skipped. */
export interface ModelSource {
  file: string;
  format: string;
  /** Lines (or HAR entries) read. */
  records: number;
  /** Requests that went into the model. */
  requests: number;
  skipped: { total: number; byReason: Record<string, number>; examples: SkipExample[] };
  /** HAR entries for origins other than the replayed one, by origin. */
  otherOrigins?: { origin: string; total: number; byOrigin: Record<string, number> };
  /** Notes about the input (encoding, line length...). */
  notes: string[];
}

/** One request of the verbatim sequence. */
export interface SequenceEntry {
  m: string;
  /** Path and query, secrets replaced. */
  p: string;
  /** Headers to send, secrets replaced. */
  h?: Array<[string, string]>;
  /** Body and its content type. */
  b?: string;
  ct?: string;
  /** The request's identity, for the distinct-identities count. */
  i?: string;
}

/** The whole model (traffic.json). */
export interface TrafficModel {
  kind: typeof TRAFFIC_MODEL_KIND;
  version: typeof TRAFFIC_MODEL_VERSION;
  source: ModelSource;
  endpoints: EndpointModel[];
  identities: IdentityModel;
  userAgents: ValueModel | null;
  rate: RateModel | null;
  summary: {
    requests: number;
    statusCounts: Record<string, number>;
    /** Distinct URLs and identities per window of consecutive requests. */
    distinct: DistinctSummary;
  };
  /** Present when imported for verbatim replay. */
  sequence?: SequenceEntry[];
}

/** A traffic.json that cannot be used: the message names the file and field. */
export class TrafficModelError extends LeakcheckError {}

const valueKinds = z.enum(['int', 'uuid', 'hex', 'token', 'date', 'ipv4', 'ipv6', 'word', 'text', 'empty']);
const valueModel = z.object({
  kind: valueKinds,
  observations: z.number().nonnegative(),
  distinct: z.number().nonnegative(),
  newRate: z.number().min(0).max(1),
  top: z.array(z.tuple([z.string(), z.number().nonnegative()])),
  sample: z.array(z.string()),
  repeats: z.array(z.number().positive()).optional(),
});
const named = z.object({
  name: z.string(),
  presence: z.number().min(0).max(1),
  bare: z.number().min(0).max(1),
  values: valueModel,
});
const share = z.number().min(0).max(1);
const endpoint = z.object({
  key: z.string(),
  method: z.string().regex(/^[A-Z]+$/, 'expected an upper-case HTTP method'),
  template: z.string().startsWith('/'),
  segments: z.array(
    z.union([
      z.object({ literal: z.string() }),
      z.object({ slot: z.number().int().nonnegative(), name: z.string() }),
    ]),
  ),
  count: z.number().nonnegative(),
  share,
  statusCounts: z.record(z.string(), z.number()),
  slots: z.array(valueModel),
  query: z.array(named),
  queryOverflow: z.number().nonnegative(),
  headers: z.array(named),
  identity: z.object({ authorization: share, cookie: share, remoteUser: share, client: share }),
  bodyShare: share,
  bodies: z.array(z.object({ text: z.string(), contentType: z.string().optional(), count: z.number() })),
});
const schema = z.object({
  kind: z.literal(TRAFFIC_MODEL_KIND),
  version: z.literal(TRAFFIC_MODEL_VERSION),
  source: z.object({
    file: z.string(),
    format: z.string(),
    records: z.number(),
    requests: z.number(),
    skipped: z.object({
      total: z.number(),
      byReason: z.record(z.string(), z.number()),
      examples: z.array(z.object({ where: z.string(), reason: z.string() })),
    }),
    otherOrigins: z
      .object({ origin: z.string(), total: z.number(), byOrigin: z.record(z.string(), z.number()) })
      .optional(),
    notes: z.array(z.string()),
  }),
  endpoints: z.array(endpoint).min(1, 'expected at least one endpoint'),
  identities: z.object({
    authorization: z.object({ scheme: z.string(), share, values: valueModel }).optional(),
    cookie: z.object({ name: z.string(), share, values: valueModel }).optional(),
    remoteUser: z.object({ share, values: valueModel }).optional(),
    client: z.object({ share, values: valueModel }).optional(),
  }),
  userAgents: valueModel.nullable(),
  rate: z
    .object({
      start: z.string(),
      bucketSeconds: z.number().positive(),
      counts: z.array(z.number().nonnegative()),
      meanRps: z.number(),
      peakRps: z.number(),
    })
    .nullable(),
  summary: z.object({
    requests: z.number(),
    statusCounts: z.record(z.string(), z.number()),
    distinct: z.object({ window: z.number(), windows: z.number(), urls: z.number(), identities: z.number() }),
  }),
  // Checked by hand below: running a schema over a million entries costs seconds.
  sequence: z.array(z.unknown()).optional(),
});

/** Largest traffic.json read (a verbatim sequence of a million requests stays well below). */
const MAX_MODEL_BYTES = 1024 * 1024 * 1024;

/** True when `text` starts like a traffic.json (checked before trying to import it as a log). */
export function looksLikeModel(head: string): boolean {
  return /^\s*\{\s*"kind"\s*:\s*"leakcheck-traffic"/.test(head);
}

/** Validates a parsed traffic.json. Throws {@link TrafficModelError} naming the first bad field. */
export function validateModel(raw: unknown, file: string): TrafficModel {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('') ?? '';
    throw new TrafficModelError(
      `${file}: ${field.replace(/^\./, '') || '(top level)'}: ${issue?.message ?? 'invalid traffic model'}`,
    );
  }
  const model = parsed.data as TrafficModel;
  model.sequence?.forEach((e, i) => {
    const entry = e as Partial<SequenceEntry> | null;
    if (!entry || typeof entry.m !== 'string' || typeof entry.p !== 'string' || !entry.p.startsWith('/'))
      throw new TrafficModelError(`${file}: sequence[${i}]: expected { m: method, p: path starting with / }`);
  });
  model.endpoints.forEach((e, i) => {
    const slots = e.segments.filter((s) => 'slot' in s).length;
    if (slots !== e.slots.length)
      throw new TrafficModelError(
        `${file}: endpoints[${i}].slots: expected ${slots} value models, one per {slot} of ${e.template}`,
      );
  });
  return model;
}

/** Reads and validates traffic.json. */
export function loadModel(file: string): TrafficModel {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_MODEL_BYTES)
      throw new TrafficModelError(`${file}: larger than 1 GiB; not a traffic model`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof TrafficModelError) throw err;
    throw new TrafficModelError(`${file}: cannot read: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TrafficModelError(
      `${file}: not valid JSON (${(err as Error).message}); expected a traffic.json`,
    );
  }
  return validateModel(raw, file);
}

/**
 * Writes traffic.json. The verbatim sequence, when present, is written one request per line in
 * slices, so a million-request sequence never becomes one giant string.
 */
export function saveModel(model: TrafficModel, file: string): void {
  const { sequence, ...rest } = model;
  const head = JSON.stringify(rest, null, 1);
  const fd = fs.openSync(file, 'w');
  try {
    if (!sequence) {
      fs.writeSync(fd, head + '\n');
      return;
    }
    fs.writeSync(fd, head.replace(/\n}$/, ',\n "sequence": [\n'));
    for (let i = 0; i < sequence.length; i += 10_000) {
      const slice = sequence.slice(i, i + 10_000).map((e) => JSON.stringify(e));
      fs.writeSync(fd, (i > 0 ? ',\n' : '') + slice.join(',\n'));
    }
    fs.writeSync(fd, '\n ]\n}\n');
  } finally {
    fs.closeSync(fd);
  }
}
