/**
 * The traffic model: value sketches, endpoint templates, privacy, rate, and replay (model and
 * verbatim). Pure or in-memory: no processes, no sockets.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importTraffic } from '../../src/traffic/import/import';
import { ModelBuilder } from '../../src/traffic/model/builder';
import { EndpointTrie, type ModelRequest } from '../../src/traffic/model/endpoints';
import {
  loadModel,
  saveModel,
  TrafficModelError,
  validateModel,
  type TrafficModel,
} from '../../src/traffic/model/model';
import { anonymizeBody, anonymizeTarget, Anonymizer, isTokenLike } from '../../src/traffic/model/privacy';
import { compressRate, RateBuckets } from '../../src/traffic/model/rate';
import { endpointMatcher, replaySource } from '../../src/traffic/model/replay';
import { ValueSketch } from '../../src/traffic/model/sketch';
import { DistinctWindows } from '../../src/traffic/model/windows';
import { rateFunction } from '../../src/traffic/pacer';
import { seededRandom } from '../../src/random';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'traffic');

function req(method: string, target: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  const q = target.indexOf('?');
  return {
    method,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? undefined : target.slice(q + 1),
    status: 200,
    headers: [],
    identity: { authorization: false, cookie: false, remoteUser: false, client: false },
    ...extra,
  };
}

describe('value sketch', () => {
  test('exact below its size, within 25% far above it; new-value rate from singletons', () => {
    const small = new ValueSketch();
    for (let i = 0; i < 1000; i++) small.add(String(i % 40));
    expect(small.distinct()).toBe(40);
    expect(small.newRate()).toBe(0);
    const m = small.toModel();
    expect(m.kind).toBe('int');
    // Few enough to know them all: the model holds every value, each once.
    expect(m.top.length).toBe(16);
    expect(new Set([...m.top.map(([v]) => v), ...m.sample]).size).toBe(40);

    const unique = new ValueSketch();
    for (let i = 0; i < 50_000; i++) unique.add(`v${i}`);
    expect(Math.abs(unique.distinct() - 50_000) / 50_000).toBeLessThan(0.25);
    expect(unique.newRate()).toBeGreaterThan(0.9);
    const um = unique.toModel();
    expect(um.top).toEqual([]);
    expect(um.sample.length).toBe(24);
  });

  test('heavy hitters are kept with lower-bound counts; merge adds up', () => {
    const a = new ValueSketch();
    const b = new ValueSketch();
    for (let i = 0; i < 5000; i++) {
      a.add(i % 2 === 0 ? 'hot' : `cold${i}`);
      b.add(i % 4 === 0 ? 'hot' : `other${i}`);
    }
    a.merge(b);
    expect(a.observations).toBe(10_000);
    const top = a.toModel().top;
    expect(top[0]?.[0]).toBe('hot');
    expect(top[0]?.[1]).toBeGreaterThanOrEqual(3000);
    expect(top[0]?.[1]).toBeLessThanOrEqual(3750);
  });
});

describe('endpoint templates', () => {
  test('identifiers become variables on sight; literals stay', () => {
    const trie = new EndpointTrie(seededRandom(1));
    trie.add(req('GET', '/api/users/123/profile'));
    trie.add(req('GET', '/api/users/9/profile'));
    trie.add(req('GET', '/api/orders/6f1c2a3e-1b2c-4d5e-8f90-123456789abc'));
    trie.add(req('POST', '/api/orders'));
    trie.add(req('GET', '/api/orders'));
    trie.add(req('GET', '/'));
    const list = trie.list().map((e) => `${e.stats.method} ${e.template} ${e.stats.count}`);
    expect(list.sort()).toEqual([
      'GET / 1',
      'GET /api/orders 1',
      'GET /api/orders/{uuid} 1',
      'GET /api/users/{id}/profile 2',
      'POST /api/orders 1',
    ]);
  });

  test('a position with endless new words collapses into {param}, keeping every count and value', () => {
    const trie = new EndpointTrie(seededRandom(1));
    let total = 0;
    for (let i = 0; i < 300; i++) {
      trie.add(
        req(
          'GET',
          `/users/user${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}/posts/${i}`,
        ),
      );
      trie.add(req('GET', `/users/me`));
      total += 2;
    }
    const list = trie.list();
    expect(list.map((e) => e.template).sort()).toEqual(['/users/{param}', '/users/{param}/posts/{id}']);
    expect(list.reduce((s, e) => s + e.stats.count, 0)).toBe(total);
    const posts = list.find((e) => e.template === '/users/{param}/posts/{id}');
    expect(posts?.stats.slots.map((s) => s.observations)).toEqual([300, 300]);
    expect(posts?.stats.slots[0]?.distinct()).toBeGreaterThan(150);
    const me = list.find((e) => e.template === '/users/{param}');
    expect(me?.stats.slots[0]?.toModel().top[0]).toEqual(['me', 300]);
  });

  test('a short log: a position of mostly one-off words is a variable too; the root never is', () => {
    const trie = new EndpointTrie(seededRandom(1));
    for (let i = 0; i < 20; i++) trie.add(req('GET', `/articles/how-to-${String.fromCharCode(97 + i)}`));
    for (let i = 0; i < 20; i++) trie.add(req('GET', `/page${String.fromCharCode(97 + i)}.html`));
    const templates = trie.list().map((e) => e.template);
    expect(templates).toContain('/articles/{param}');
    expect(templates.filter((t) => t.startsWith('/page'))).toHaveLength(20);
  });

  test('query parameters: presence, bare flags, and keys that are themselves cache-busters', () => {
    const b = new ModelBuilder({ anonymizer: new Anonymizer(Buffer.alloc(32)) });
    for (let i = 0; i < 100; i++) {
      b.add({ method: 'GET', target: i % 2 ? `/a?page=${i % 5}&debug` : `/a?${1700000000000 + i}` });
    }
    const m = b.finish({
      file: 'x',
      format: 'test',
      records: 100,
      skipped: { total: 0, byReason: {}, examples: [] },
      notes: [],
    });
    const q = Object.fromEntries((m.endpoints[0]?.query ?? []).map((x) => [x.name, x]));
    expect(q.page?.presence).toBe(0.5);
    expect(q.debug?.bare).toBe(1);
    expect(q['*']?.values.newRate).toBe(1);
  });
});

describe('privacy', () => {
  const anon = new Anonymizer(Buffer.alloc(32, 7));

  test('synthetic values keep shape and cardinality, and never the original', () => {
    const t1 = anon.token('AbC123xyz_9-QQ');
    expect(t1).toMatch(/^[A-Z][a-z][A-Z]\d{3}[a-z]{3}_\d-[A-Z]{2}$/);
    expect(t1).not.toBe('AbC123xyz_9-QQ');
    expect(anon.token('AbC123xyz_9-QQ')).toBe(t1);
    expect(anon.token('AbC123xyz_9-QR')).not.toBe(t1);
    expect(anon.authorization('Bearer eyJhbGciOi.eyJzdWIi.sig')).toMatch(/^Bearer /);
    expect(anon.authorization('Bearer eyJhbGciOi.eyJzdWIi.sig')).not.toContain('eyJzdWIi');
    expect(Buffer.from(anon.authorization('Basic dXNlcjpwYXNz').slice(6), 'base64').toString()).toMatch(
      /^user-[0-9a-f]{8}:synthetic$/,
    );
    expect(anon.cookie('sid=abc123; theme=dark')).toMatch(/^sid=[a-z]{3}\d{3}; theme=[a-z]{4}$/);
    expect(anon.client('203.0.113.7')).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(anon.client('2001:db8::1')).toMatch(/^fd00::/);
  });

  test('token-like query values and path segments are replaced; words, ids and percent-escapes are not', () => {
    expect(anonymizeTarget('/a?token=abc&page=2', anon)).toMatch(/^\/a\?token=[a-z]{3}&page=2$/);
    expect(anonymizeTarget('/reset/Zx81kQ0pLm2nB7vC4xT9/confirm', anon)).not.toContain(
      'Zx81kQ0pLm2nB7vC4xT9',
    );
    expect(
      anonymizeTarget('/articles/how-to-fold-a-shirt-in-2023?q=caf%C3%A9+cr%C3%A8me+br%C3%BBl%C3%A9e', anon),
    ).toBe('/articles/how-to-fold-a-shirt-in-2023?q=caf%C3%A9+cr%C3%A8me+br%C3%BBl%C3%A9e');
    expect(isTokenLike('6f1c2a3e-1b2c-4d5e-8f90-123456789abc')).toBe(false);
    expect(isTokenLike('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc')).toBe(true);
    expect(anonymizeTarget('/x?sig=ab%2Fcd%3D', anon)).toMatch(/^\/x\?sig=[a-z]{2}%2F[a-z]{2}%3D$/);
  });

  test('bodies: secret fields replaced in JSON and forms', () => {
    const json = JSON.parse(
      anonymizeBody(
        '{"user":"bob","password":"hunter22","nested":{"api_key":"k-123"}}',
        'application/json',
        anon,
      ),
    );
    // A user name is personal data: synthesised with its shape, like the password.
    expect(json.user).toMatch(/^[a-z]{3}$/);
    expect(json.user).not.toBe('bob');
    expect(json.password).not.toBe('hunter22');
    expect(json.password).toHaveLength(8);
    expect(json.nested.api_key).not.toBe('k-123');
    expect(anonymizeBody('page=2&password=hunter22', 'application/x-www-form-urlencoded', anon)).toMatch(
      /^page=2&password=(?!hunter22)[a-z]{6}\d{2}$/,
    );
  });

  test('no credential from the sample logs reaches traffic.json', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-privacy-'));
    try {
      for (const [name, secrets] of [
        [
          'pino-http.jsonl',
          /"authorization":"(Bearer [^"]+)"|sid=(s[0-9a-z]+)|token=(tok_[0-9a-zA-Z]+)|"remoteAddress":"([^"]+)"/g,
        ],
        [
          'session.har',
          /"value": "(Bearer [^"]+)"|sid=(s[0-9a-z]+)|token=(tok_[0-9a-zA-Z]+)|"x-csrf-token",\s*"value": "([^"]+)"/g,
        ],
        ['combined.log', /token=(tok_[0-9a-zA-Z]+)|^(\d+\.\d+\.\d+\.\d+) /gm],
      ] as const) {
        const source = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
        const found = [...source.matchAll(secrets)].map((m) => m.slice(1).find(Boolean) as string);
        expect(found.length).toBeGreaterThan(20);
        const model = await importTraffic(path.join(FIXTURES, name), { verbatim: true });
        const out = path.join(dir, `${name}.json`);
        saveModel(model, out);
        const written = fs.readFileSync(out, 'utf8');
        const leaked = found.filter((s) => written.includes(s));
        expect(leaked).toEqual([]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rate', () => {
  test('buckets widen to stay bounded; the compressed shape keeps the curve and the requested mean', () => {
    const r = new RateBuckets();
    const start = Date.UTC(2023, 9, 10);
    // A day: quiet first half, busy second half.
    for (let s = 0; s < 86_400; s += 10) r.add(start + s * 1000 + (s >= 43_200 ? 0 : 0));
    for (let s = 43_200; s < 86_400; s += 2) r.add(start + s * 1000);
    r.add(start - 5000); // slightly out of order
    const m = r.toModel();
    expect(m).not.toBeNull();
    expect(m?.counts.length).toBeLessThanOrEqual(2048);
    const shape = compressRate(m as NonNullable<typeof m>, 60, 200, 60);
    expect(shape.kind).toBe('shape');
    if (shape.kind !== 'shape') return;
    expect(shape.rps).toHaveLength(60);
    expect(shape.secondsPerStep).toBe(1);
    const mean = shape.rps.reduce((a, b) => a + b, 0) / shape.rps.length;
    expect(Math.abs(mean - 200) / 200).toBeLessThan(0.02);
    const f = rateFunction(shape);
    expect(f(50)).toBeGreaterThan(f(10) * 4);
    // Past its end the shape goes round again (a day follows a day), not held at its last step.
    expect(f(60 + 10)).toBe(f(10));
    expect(f(120 + 50)).toBe(f(50));
    expect(f(60 + 10)).toBeLessThan(f(59));
  });
});

describe('replay', () => {
  let model: TrafficModel;
  beforeAll(async () => {
    model = await importTraffic(path.join(FIXTURES, 'combined.log'), {
      verbatim: true,
      anonymizer: new Anonymizer(Buffer.alloc(32)),
    });
  });

  test('endpoint shares follow the log; values keep coming beyond what the log contained', () => {
    const source = replaySource(model, { seed: 5 });
    const n = 60_000;
    const counts: Record<string, number> = {};
    const urls = new Set<string>();
    const itemsBusters = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = source.next();
      counts[r.endpoint] = (counts[r.endpoint] ?? 0) + 1;
      urls.add(r.path);
      const buster = /[?&]_=(\d+)/.exec(r.path);
      if (buster) itemsBusters.add(buster[1] as string);
    }
    for (const e of model.endpoints) expect(Math.abs((counts[e.key] ?? 0) / n - e.share)).toBeLessThan(0.01);
    // The log had ~2,400 distinct URLs; a replay that looped over them could not exceed that.
    expect(urls.size).toBeGreaterThan(model.summary.distinct.urls * 5);
    // Cache-busters were all different in the log, and stay all different.
    expect(itemsBusters.size).toBe(counts['GET /api/items'] ?? -1);
  });

  test('distinct URLs per window come close to the log', () => {
    const source = replaySource(model, { seed: 9 });
    const w = new DistinctWindows(source.distinctWindow);
    for (let i = 0; i < source.distinctWindow * 10; i++) {
      const r = source.next();
      w.add(r.path, r.identity);
    }
    const log = model.summary.distinct.urls;
    expect(Math.abs(w.summary().urls - log) / log).toBeLessThan(0.1);
  });

  test('the same seed gives the same requests', () => {
    const a = replaySource(model, { seed: 3 });
    const b = replaySource(model, { seed: 3 });
    for (let i = 0; i < 200; i++) expect(a.next()).toEqual(b.next());
  });

  test('a scenario body template fills bodies the log did not record', () => {
    const source = replaySource(model, {
      seed: 1,
      bodyTemplates: [
        { method: 'POST', path: '/api/orders', weight: 1, body: { user: '{{user}}', n: '{{seq}}' } },
      ],
    });
    let posts = 0;
    for (let i = 0; i < 2000; i++) {
      const r = source.next();
      if (r.method !== 'POST') continue;
      posts++;
      expect(JSON.parse(r.body ?? 'null')).toMatchObject({ user: expect.any(String), n: String(i) });
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect(posts).toBeGreaterThan(20);
  });

  test('verbatim: the log in order, looping at the end, endpoints matched to templates', () => {
    const source = replaySource(model, { mode: 'verbatim' });
    const seq = model.sequence ?? [];
    for (let i = 0; i < seq.length + 3; i++) {
      const r = source.next();
      const e = seq[i % seq.length];
      expect(r.path).toBe(e?.p);
      expect(r.endpoint).not.toMatch(/unmatched/);
    }
    expect(source.loops()).toBe(1);
    const match = endpointMatcher(model.endpoints);
    expect(match('GET', '/api/users/5/profile?x=1')).toBe('GET /api/users/{id}/profile');
    expect(match('DELETE', '/api/users/5')).toBeNull();
    expect(() => replaySource({ ...model, sequence: undefined }, { mode: 'verbatim' })).toThrow(/--verbatim/);
  });

  test('traffic.json round-trips; a broken one names the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-model-'));
    try {
      const f = path.join(dir, 'traffic.json');
      saveModel(model, f);
      expect(loadModel(f)).toEqual(JSON.parse(JSON.stringify(model)));
      const broken = JSON.parse(fs.readFileSync(f, 'utf8'));
      broken.endpoints[1].share = 'half';
      expect(() => validateModel(broken, 'traffic.json')).toThrow(TrafficModelError);
      expect(() => validateModel(broken, 'traffic.json')).toThrow(/^traffic.json: endpoints\[1\]\.share: /);
      broken.endpoints[1].share = 0.1;
      broken.endpoints[0].slots = [];
      expect(() => validateModel(broken, 'traffic.json')).toThrow(
        /endpoints\[0\].slots: expected 1 value models/,
      );
      fs.writeFileSync(f, '{"kind": "leakcheck-traffic", ');
      expect(() => loadModel(f)).toThrow(/not valid JSON/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
