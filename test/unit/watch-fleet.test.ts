/**
 * watchFleet and the Prometheus client against a stand-in Prometheus on 127.0.0.1 that answers
 * query_range from canned series: joins, broadcast limits, counts of what did not match, errors.
 */
import * as http from 'node:http';
import {
  defaultWatchOptions,
  PrometheusError,
  queryRange,
  renderWatchMarkdown,
  renderWatchTerminal,
  watchFleet,
  WatchInputError,
  type WatchOptions,
} from '../../src/watch';

interface Canned {
  status?: number;
  body: unknown;
}

let server: http.Server;
let base = '';
let answers: Record<string, Canned> = {};
const seen: URLSearchParams[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const params = new URLSearchParams(body);
      seen.push(params);
      const canned = req.url === '/api/v1/query_range' ? answers[params.get('query') ?? ''] : undefined;
      const answer = canned ?? { status: 404, body: 'not found' };
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  answers = {};
  seen.length = 0;
});

const END = 1_700_003_600;
const STEP = 30;

/** A matrix answer with one series per label set; values from f(seconds since start). */
function matrix(
  series: Array<{ labels: Record<string, string>; f: (s: number) => number | string }>,
): Canned {
  return {
    body: {
      status: 'success',
      data: {
        resultType: 'matrix',
        result: series.map(({ labels, f }) => ({
          metric: labels,
          values: Array.from({ length: 121 }, (_, i) => [END - 3600 + i * STEP, String(f(i * STEP))]),
        })),
      },
    },
  };
}

function options(patch: Partial<WatchOptions> = {}): WatchOptions {
  return {
    prometheus: base,
    query: 'heap',
    rangeSeconds: 3600,
    end: END,
    step: STEP,
    analysis: defaultWatchOptions('heapUsed'),
    now: () => END * 1000,
    ...patch,
  };
}

const a = { __name__: 'heap', instance: 'a:1', job: 'api' };
const b = { __name__: 'heap', instance: 'b:1', job: 'api' };
const growing = (s: number): number => 100e6 + (50e6 * s) / 3600 + ((s * 7919) % 13) * 1e4;
const flat = (s: number): number => 100e6 + ((s * 7919) % 13) * 1e4;

describe('watchFleet', () => {
  it('analyses each series, joins counters and limits by labels, and decides the fleet', async () => {
    answers.heap = matrix([
      { labels: a, f: growing },
      { labels: b, f: flat },
    ]);
    answers.reqs = matrix([
      { labels: { __name__: 'reqs', instance: 'a:1', job: 'api' }, f: (s) => 100 * s },
      { labels: { __name__: 'reqs', instance: 'c:1', job: 'api' }, f: (s) => 100 * s },
    ]);
    answers.limit = matrix([{ labels: {}, f: () => 2e9 }]);
    const report = await watchFleet(options({ requests: 'reqs', limit: 'limit' }));
    expect(report).toMatchObject({
      verdict: 'leak',
      exitCode: 1,
      range: { start: END - 3600, end: END, step: STEP },
    });
    expect(report.counts).toEqual({
      series: 2,
      leak: 1,
      inconclusive: 0,
      pass: 1,
      withoutRequests: 1,
      unmatchedRequests: 1,
      withoutLimit: 0,
      unmatchedLimits: 0,
    });
    const [first, second] = report.instances;
    expect(first).toMatchObject({
      name: '{instance="a:1", job="api"}',
      verdict: 'leak',
      basis: 'per-request',
    });
    expect(first?.labels).toEqual({ instance: 'a:1', job: 'api' });
    expect(first?.projection?.limit).toBe(2e9);
    expect(second).toMatchObject({ name: '{instance="b:1", job="api"}', verdict: 'pass', basis: 'per-hour' });
    expect(report.warnings).toEqual([
      '1 of 2 series had no request series with the same labels: analysed per hour only (join with --on)',
      '1 request series matched no memory series and were ignored',
    ]);
    expect(seen.map((p) => [p.get('query'), p.get('start'), p.get('end'), p.get('step')])).toEqual([
      ['heap', String(END - 3600), String(END), String(STEP)],
      ['reqs', String(END - 3600), String(END), String(STEP)],
      ['limit', String(END - 3600), String(END), String(STEP)],
    ]);
    expect(renderWatchTerminal(report)).toContain('LEAK         {instance="a:1", job="api"}');
  });

  it('joins on the --on labels only, and refuses two series with the same key', async () => {
    answers.heap = matrix([{ labels: { instance: 'a:1', pod: 'p1' }, f: flat }]);
    answers.limit = matrix([{ labels: { pod: 'p1', container: 'app' }, f: () => 1e9 }]);
    const joined = await watchFleet(options({ limit: 'limit', on: ['pod'] }));
    expect(joined.instances[0]?.projection?.limit).toBe(1e9);
    expect(joined.counts.withoutLimit).toBe(0);

    answers.heap = matrix([
      { labels: { instance: 'a:1', pod: 'p1' }, f: flat },
      { labels: { instance: 'a:2', pod: 'p1' }, f: flat },
    ]);
    await expect(watchFleet(options({ on: ['pod'] }))).rejects.toThrow(
      '--query returned more than one series for {pod="p1"} on (pod): aggregate them (e.g. sum by (instance) (...)) or join on more labels with --on',
    );
  });

  it('counts instances left without a limit, and applies a limit in bytes to all', async () => {
    answers.heap = matrix([
      { labels: a, f: growing },
      { labels: b, f: flat },
    ]);
    answers.limit = matrix([{ labels: { instance: 'a:1', job: 'api' }, f: () => 1e9 }]);
    const partial = await watchFleet(options({ limit: 'limit' }));
    expect(partial.counts.withoutLimit).toBe(1);
    expect(partial.warnings).toContain('1 of 2 series had no limit: not projected');
    const all = await watchFleet(options({ limit: 3e9 }));
    expect(all.instances.every((i) => i.projection?.limit === 3e9)).toBe(true);
    expect(all.limit).toEqual({ bytes: 3e9 });
  });

  /* eslint-disable no-control-regex -- control characters are what is checked */
  it('follows --fail-on and renders Markdown with label values escaped', async () => {
    const hostile = 'ping @octocat #123 https://evil.test \u001b]0;pwned\u0007\u001b[2J';
    answers.heap = matrix([{ labels: { instance: 'x|<script>`', job: hostile }, f: growing }]);
    const never = await watchFleet(options({ failOn: 'never' }));
    expect(never).toMatchObject({ verdict: 'leak', exitCode: 0 });
    const md = renderWatchMarkdown(never);
    expect(md).toContain('x\\|&lt;script&gt;\\`');
    expect(md).not.toContain('<script>');
    // Label values are the user's Prometheus's text: no mention, reference, autolink or escape.
    expect(md).not.toMatch(/@octocat|#123|https:\/\/evil|\u001b|\u0007/);
    expect(md).toContain('ping @&#8203;octocat #&#8203;123 https:&#8203;//evil.test');
    const terminal = renderWatchTerminal(never, { color: false });
    expect(terminal).not.toMatch(/\u001b|\u0007/);
    expect(terminal).toContain('ping @octocat #123 https://evil.test');
    answers.heap = matrix([{ labels: a, f: flat }]);
    expect((await watchFleet(options({ failOn: 'inconclusive' }))).exitCode).toBe(0);
  });

  /* eslint-enable no-control-regex */

  it('is an input error when the query matches nothing or the step gives too many points', async () => {
    answers.heap = matrix([]);
    await expect(watchFleet(options())).rejects.toThrow(WatchInputError);
    await expect(watchFleet(options())).rejects.toThrow(/^--query returned no series between/);
    await expect(watchFleet(options({ rangeSeconds: 7 * 86400, step: 1 }))).rejects.toThrow(
      '--step: 1s over a 604800s range is 604801 points per series; Prometheus returns at most 11000 (use a step of at least 55s)',
    );
  });

  it('defaults the step to 1/720 of the range', async () => {
    answers.heap = matrix([{ labels: a, f: flat }]);
    await watchFleet(options({ step: undefined, rangeSeconds: 6 * 3600 }));
    expect(seen[0]?.get('step')).toBe('30');
  });
});

describe('queryRange errors', () => {
  it('reports PromQL errors as bad-query with Prometheus words', async () => {
    answers.bad = { status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error' } };
    const err = await queryRange(base, { query: 'bad', start: 0, end: 60, step: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrometheusError);
    expect(err).toMatchObject({ kind: 'bad-query', message: 'Prometheus: bad_data: parse error' });
  });

  it('reports 5xx as a server failure, wrong shapes as bad responses', async () => {
    answers.down = { status: 503, body: 'unavailable' };
    answers.vector = { body: { status: 'success', data: { resultType: 'vector', result: [] } } };
    await expect(queryRange(base, { query: 'down', start: 0, end: 60, step: 1 })).rejects.toMatchObject({
      kind: 'server',
    });
    await expect(queryRange(base, { query: 'vector', start: 0, end: 60, step: 1 })).rejects.toMatchObject({
      kind: 'bad-response',
    });
  });

  it('reports a closed port as unreachable, and keeps NaN and Inf values', async () => {
    await expect(
      queryRange('http://127.0.0.1:1', { query: 'x', start: 0, end: 1, step: 1 }),
    ).rejects.toMatchObject({
      kind: 'unreachable',
    });
    answers.odd = matrix([{ labels: {}, f: (s) => (s === 0 ? 'NaN' : s === 30 ? '+Inf' : 1) }]);
    const result = await queryRange(base, { query: 'odd', start: 0, end: 3600, step: 30 });
    expect(result.series[0]?.v.slice(0, 3)).toEqual([Number.NaN, Infinity, 1]);
  });

  it('refuses a URL that is not http(s)', async () => {
    await expect(
      queryRange('ftp://127.0.0.1', { query: 'x', start: 0, end: 1, step: 1 }),
    ).rejects.toMatchObject({
      kind: 'bad-query',
      message: '--prometheus: expected an http or https URL, got "ftp:"',
    });
  });
});
