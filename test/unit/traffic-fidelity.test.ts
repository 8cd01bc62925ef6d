/** Fidelity: the log's mix next to what was sent and received, with warnings. Plain data in and out. */
import type { TrafficStats } from '../../src/traffic/driver';
import { compareFidelity, type FidelityBaseline } from '../../src/traffic/fidelity';
import { renderTerminal } from '../../src/report/terminal';
import type { Report } from '../../src/report/report';

const baseline: FidelityBaseline = {
  source: { file: 'access.log', format: 'combined', requests: 50_000, skipped: 12, mode: 'model' },
  endpoints: [
    { endpoint: 'GET /api/users/{id}', share: 0.6, statusCounts: { '200': 29_400, '404': 600 } },
    { endpoint: 'GET /api/items', share: 0.3, statusCounts: { '200': 15_000 } },
    { endpoint: 'POST /api/orders', share: 0.1, statusCounts: { '201': 5_000 } },
  ],
  statusCounts: { '200': 44_400, '201': 5_000, '404': 600 },
  distinct: { window: 10_000, windows: 5, urls: 6_000, identities: 2_500 },
};

function traffic(
  sent: Record<string, number>,
  received: Record<string, Record<string, number>>,
  distinct = { window: 10_000, windows: 3, urls: 5_900, identities: 2_450 },
): TrafficStats {
  const endpoints: TrafficStats['endpoints'] = {};
  const statusCounts: Record<string, number> = {};
  let completed = 0;
  for (const [name, codes] of Object.entries(received)) {
    const count = Object.values(codes).reduce((a, b) => a + b, 0);
    endpoints[name] = { count, statusCounts: codes };
    completed += count;
    for (const [c, n] of Object.entries(codes)) statusCounts[c] = (statusCounts[c] ?? 0) + n;
  }
  const requests = Object.values(sent).reduce((a, b) => a + b, 0);
  return {
    completed,
    errors: 0,
    timeouts: 0,
    statusCounts,
    endpoints,
    seconds: 10,
    sent: { requests, endpoints: sent, distinct },
  };
}

describe('fidelity', () => {
  test('a faithful replay: shares side by side, no warnings', () => {
    const f = compareFidelity(
      baseline,
      traffic(
        { 'GET /api/users/{id}': 5_990, 'GET /api/items': 3_010, 'POST /api/orders': 1_000 },
        {
          'GET /api/users/{id}': { '200': 5_900, '404': 90 },
          'GET /api/items': { '200': 3_010 },
          'POST /api/orders': { '201': 1_000 },
        },
      ),
    );
    expect(f.warnings).toEqual([]);
    expect(f.endpoints.map((e) => [e.endpoint, e.logShare, e.sentShare])).toEqual([
      ['GET /api/users/{id}', 0.6, 0.599],
      ['GET /api/items', 0.3, 0.301],
      ['POST /api/orders', 0.1, 0.1],
    ]);
    expect(f.maxShareDifference).toBe(0.001);
    expect(f.endpoints[0]?.logStatus).toEqual({ '200': 0.98, '404': 0.02 });
    expect(f.distinctUrls).toEqual({ window: 10_000, log: 6_000, sent: 5_900, sentWindow: 10_000 });
    expect(f.statusMix.log).toEqual({ '2xx': 0.988, '4xx': 0.012 });
  });

  test('90% 404 where the log had 2%: a warning naming that endpoint; server errors get their own', () => {
    const f = compareFidelity(
      baseline,
      traffic(
        { 'GET /api/users/{id}': 6_000, 'GET /api/items': 3_000, 'POST /api/orders': 1_000 },
        {
          'GET /api/users/{id}': { '200': 600, '404': 5_400 },
          'GET /api/items': { '200': 3_000 },
          'POST /api/orders': { '201': 700, '500': 300 },
        },
      ),
    );
    expect(f.warnings).toHaveLength(2);
    expect(f.warnings[0]).toMatch(
      /for 1 endpoint \(GET \/api\/users\/\{id\} got 90% 404 vs 2% in the log\): the routes probably do not match/,
    );
    expect(f.warnings[0]).not.toMatch(/orders|items/);
    expect(f.warnings[1]).toMatch(
      /for 1 endpoint \(POST \/api\/orders got 30% 500 vs 0% in the log\): the service fails where production did not/,
    );
    expect(f.warnings.join(' ')).not.toMatch(/api\/items/);
  });

  test('a skewed mix and a replay without variety are warned about', () => {
    const f = compareFidelity(
      baseline,
      traffic(
        { 'GET /api/users/{id}': 8_000, 'GET /api/items': 1_000, 'POST /api/orders': 1_000, 'GET /': 0 },
        {
          'GET /api/users/{id}': { '200': 8_000 },
          'GET /api/items': { '200': 1_000 },
          'POST /api/orders': { '201': 1_000 },
        },
        { window: 10_000, windows: 1, urls: 3, identities: 1 },
      ),
    );
    expect(f.warnings.join('\n')).toMatch(
      /differs from the log's by up to 20.0 percentage points \(GET \/api\/users\/\{id\}: 80% sent vs 60%/,
    );
    expect(f.warnings.join('\n')).toMatch(/3 distinct URLs per 10,000 requests vs 6000 in the log/);
  });

  test('a verbatim replay that looped over its log says what that hides', () => {
    const verbatim: FidelityBaseline = {
      ...baseline,
      source: { ...baseline.source, mode: 'verbatim', sequence: 4_000 },
    };
    const sent = { 'GET /api/users/{id}': 6_000, 'GET /api/items': 3_000, 'POST /api/orders': 1_000 };
    const received = {
      'GET /api/users/{id}': { '200': 6_000 },
      'GET /api/items': { '200': 3_000 },
      'POST /api/orders': { '201': 1_000 },
    };
    const f = compareFidelity(verbatim, traffic(sent, received));
    expect(f.warnings).toEqual([
      expect.stringMatching(/verbatim mode sent the log's 4,000 requests 2.5 times over/),
    ]);
    expect(compareFidelity(baseline, traffic(sent, received)).warnings).toEqual([]);
  });

  test('the terminal shows the table, and log text cannot drive the terminal', () => {
    const f = compareFidelity(
      {
        ...baseline,
        endpoints: [...baseline.endpoints, { endpoint: 'GET /\u001b[31mred', share: 0, statusCounts: {} }],
      },
      traffic({ 'GET /api/users/{id}': 10 }, { 'GET /api/users/{id}': { '200': 10 } }),
    );
    const report = {
      verdict: 'pass',
      summary: 'PASS: fine',
      target: { command: 'node server.js', cwd: '.', logFile: 'x' },
      traffic: { completed: 10, seconds: 1, requestsPerSecond: 10, errorRate: 0 },
      settings: { connections: 1 },
      processes: [],
      warnings: [],
      fidelity: f,
    } as unknown as Report;
    const text = renderTerminal(report);
    // The terminal lays out the view's replay tables (the same as Markdown's and HTML's).
    expect(text).toMatch(
      /Replayed access\.log \(combined, model\): 50,000 requests in the log, 12 skipped; 10 sent, 10 responses/,
    );
    expect(text).toMatch(/GET \/api\/users\/\{id\}\s+60%\s+100%\s+10\s+200: 98%, 404: 2%\s+200: 100%/);
    expect(text).toMatch(/distinct URLs\s+6,000\s+10,000\s+5,900\s+10,000/);
    expect(text).not.toContain('\u001b[31m');
    // The terminal renderer strips control sequences from every string of the report first.
    expect(text).toMatch(/^ {2}GET \/red\s/m);
  });
});
