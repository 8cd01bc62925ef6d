/**
 * Base-versus-head statistics and rendering, on plain numbers: the interval across pairs, the
 * floor from the runs' own intervals, the verdict rules, the split of the run budget.
 */
import { configSchema } from '../../src/config/schema';
import { impliedStdErr, pairedDifference, type RunEstimate } from '../../src/compare/difference';
import { renderCompareMarkdown, renderCompareTerminal, runWindowText } from '../../src/compare/render';
import type { CompareReport } from '../../src/compare/report';
import type { Report } from '../../src/report/report';
import { perRunConfig, perRunWindow } from '../../src/compare/run';
import { exhaustionFinding } from '../../src/compare/measure';
import { makeReport } from './report-data';
import { buildProgram } from '../../src/cli/main';

const SETTINGS = {
  metric: 'heapUsed',
  label: 'heap',
  unit: 'bytes' as const,
  gating: true,
  threshold: { perUnit: 2, minGrowth: 256 * 1024 },
  confidence: 0.95,
};
// Student's t, 0.975 quantile, from tables: 2 degrees of freedom (2 pairs: 2N − 2), 4 (3 pairs).
const T2 = 4.303;
const T4 = 2.776;

function run(perRequest: number, verdict: RunEstimate['verdict'], halfWidth = 1, span = 20_000): RunEstimate {
  return {
    perRequest,
    low: perRequest - halfWidth,
    high: perRequest + halfWidth,
    confidence: 0.95,
    span,
    verdict,
  };
}

describe('pairedDifference', () => {
  test('a clear leak added by the head is blamed, with the pooled t interval over the runs', () => {
    const base = [run(10, 'inconclusive'), run(14, 'inconclusive')];
    const head = [run(400, 'leak'), run(380, 'leak')];
    const d = pairedDifference(base, head, SETTINGS);
    // Means 12 and 390; variances 8 and 200: standard error sqrt((8 + 200) / 2) = 10.198.
    expect(d.mean).toBeCloseTo(378, 6);
    expect(d.stdErr).toBeCloseTo(Math.sqrt(104), 6);
    expect(d.df).toBe(2);
    expect(d.low).toBeCloseTo(378 - T2 * Math.sqrt(104), 1);
    expect(d.high).toBeCloseTo(378 + T2 * Math.sqrt(104), 1);
    expect(d.spread).toBe('between-runs');
    expect(d.verdict).toBe('leak');
    expect(d.baseLeaks).toBe(false);
    expect(d.reason).toMatch(/the head adds/);
  });

  test('runs of the same code that scatter by a few bytes are not blamed', () => {
    // What short windows on a busy machine look like for a clean service: 5-20 B/request each.
    const base = [run(10, 'leak'), run(15, 'inconclusive')];
    const head = [run(18, 'leak'), run(9, 'inconclusive')];
    const d = pairedDifference(base, head, SETTINGS);
    expect(d.mean).toBeCloseTo(1, 6);
    expect(d.low).toBeLessThan(SETTINGS.threshold.perUnit);
    expect(d.verdict).toBe('inconclusive');
  });

  test('a leak already on the base is flagged as such and not blamed on the head', () => {
    const base = [run(400, 'leak'), run(380, 'leak')];
    const head = [run(390, 'leak'), run(395, 'leak')];
    const d = pairedDifference(base, head, SETTINGS);
    expect(d.baseLeaks).toBe(true);
    expect(d.verdict).not.toBe('leak');
    expect(d.base.leakRuns).toBe(2);
    expect(d.base.mean).toBe(390);
  });

  test('runs that agree by chance cannot narrow the interval below the runs own intervals', () => {
    // No scatter at all, but each run measured its slope to ±400 B/request only.
    const base = [run(0, 'inconclusive', 400), run(0, 'inconclusive', 400)];
    const head = [run(300, 'leak', 400), run(300, 'leak', 400)];
    const d = pairedDifference(base, head, SETTINGS);
    const se = impliedStdErr({ low: -400, high: 400, confidence: 0.95 });
    expect(se).toBeCloseTo(400 / 1.96, 2);
    // sqrt(4 se²) / 2 = se
    expect(d.stdErr).toBeCloseTo(se, 6);
    expect(d.spread).toBe('within-runs');
    expect(d.low).toBeLessThan(0);
    expect(d.verdict).toBe('inconclusive');
  });

  test('a significant difference is not blamed unless every head run leaks on its own', () => {
    const base = [run(0, 'pass'), run(1, 'pass')];
    const head = [run(300, 'leak'), run(310, 'inconclusive')];
    const d = pairedDifference(base, head, SETTINGS);
    expect(d.low).toBeGreaterThan(2);
    expect(d.verdict).toBe('inconclusive');
    expect(d.reason).toMatch(/only 1 of 2 head runs show a leak on their own/);
  });

  test('a difference whose upper bound is under the threshold passes', () => {
    const base = [
      run(1.0, 'inconclusive', 0.1),
      run(1.1, 'inconclusive', 0.1),
      run(0.9, 'inconclusive', 0.1),
    ];
    const head = [
      run(1.05, 'inconclusive', 0.1),
      run(1.1, 'inconclusive', 0.1),
      run(1.0, 'inconclusive', 0.1),
    ];
    const d = pairedDifference(base, head, SETTINGS);
    expect(d.df).toBe(4);
    expect(d.high - d.mean).toBeCloseTo(T4 * d.stdErr, 2);
    expect(d.high).toBeLessThan(2);
    expect(d.verdict).toBe('pass');
  });

  test('growth too small in total (below minGrowth even at the upper bound) passes', () => {
    const base = [run(0, 'inconclusive', 1, 100), run(0, 'inconclusive', 1, 100)];
    const head = [run(50, 'inconclusive', 1, 100), run(52, 'inconclusive', 1, 100)];
    const d = pairedDifference(base, head, SETTINGS);
    // Upper bound ~64 B/request × 200 requests is far below 256 KiB.
    expect(d.verdict).toBe('pass');
    expect(d.reason).toMatch(/stays under/);
  });

  test('when no head run grew on its own there is nothing to blame', () => {
    const base = [run(300, 'leak'), run(320, 'leak')];
    const head = [run(0.1, 'pass'), run(0.2, 'pass')];
    const d = pairedDifference(base, head, SETTINGS);
    expect(d.verdict).toBe('pass');
    expect(d.mean).toBeLessThan(0);
  });

  test('one run on a side is refused', () => {
    expect(() => pairedDifference([run(0, 'pass')], [run(1, 'pass')], SETTINGS)).toThrow(/at least 2 runs/);
    expect(() => pairedDifference([run(0, 'pass')], [run(1, 'pass'), run(2, 'pass')], SETTINGS)).toThrow(
      /at least 2 runs/,
    );
  });

  test('unequal sides (a bisect candidate measured again against a reused base) pool their spread', () => {
    const base = [run(1, 'pass'), run(3, 'pass')];
    const equal = pairedDifference(base, [run(300, 'leak'), run(320, 'leak')], SETTINGS);
    const more = pairedDifference(
      base,
      [run(300, 'leak'), run(320, 'leak'), run(310, 'leak'), run(305, 'leak')],
      SETTINGS,
    );
    expect(more.df).toBe(4);
    expect(equal.df).toBe(2);
    expect(more.verdict).toBe('leak');
    expect(more.high - more.low).toBeLessThan(equal.high - equal.low);
    expect(more.reason).toContain('over 2 base and 4 head runs');
  });
});

describe('perRunConfig', () => {
  test('splits the warm-up, the measured window and request bounds over the pairs', () => {
    const config = configSchema.parse({ run: { warmupSeconds: 3, durationSeconds: 10, requests: 1001 } });
    const per = perRunConfig(config, 2, '/tmp/out/run');
    expect(per.run.warmupSeconds).toBe(1.5);
    expect(per.run.durationSeconds).toBe(5);
    expect(per.run.requests).toBe(501);
    expect(per.run.warmupRequests).toBeUndefined();
    expect(per.run.samples).toBe(config.run.samples);
    expect(per.out).toBe('/tmp/out/run');
    // The original is left alone.
    expect(config.run.durationSeconds).toBe(10);
  });

  test('the report says what a run measured: its share of the requests when the windows are bounded by them', () => {
    const timed = configSchema.parse({ run: { warmupSeconds: 3, durationSeconds: 10 } });
    expect(perRunWindow(timed, 2)).toEqual({ warmupSeconds: 1.5, durationSeconds: 5 });
    expect(runWindowText(perRunWindow(timed, 2))).toBe('1.5 s warm-up + 5 s measured');
    const counted = configSchema.parse({ run: { warmupRequests: 1000, requests: 6001 } });
    expect(perRunWindow(counted, 2)).toMatchObject({ warmupRequests: 500, requests: 3001 });
    expect(runWindowText(perRunWindow(counted, 2))).toBe('500 requests warm-up + 3,001 requests measured');
  });
});

function compareReport(overrides: Partial<CompareReport> = {}): CompareReport {
  const base = [run(10, 'inconclusive'), run(14, 'inconclusive')];
  const head = [run(400, 'leak'), run(380, 'leak')];
  const d = pairedDifference(base, head, SETTINGS);
  return {
    schemaVersion: 1,
    kind: 'compare',
    tool: { name: 'leakcheck', version: '1.2.3' },
    createdAt: '2026-01-01T00:00:00.000Z',
    verdict: 'leak',
    exitCode: 1,
    summary: `LEAK ADDED: ${d.reason}`,
    decidedBy: { metric: 'heapUsed', reason: d.reason },
    base: {
      ref: 'origin/main',
      commit: 'a'.repeat(40),
      install: { command: 'npm ci', why: 'package-lock.json found', ok: true, ms: 900 },
    },
    head: { commit: 'b'.repeat(40), dirty: false, dir: '/repo' },
    pairs: 2,
    perRun: { warmupSeconds: 1.5, durationSeconds: 5, samples: 30 },
    runs: [
      {
        side: 'base',
        pair: 1,
        order: 1,
        status: 'completed',
        verdict: 'pass',
        summary: '',
        reportFile: '/x',
        requests: 20000,
        ms: 6000,
      },
      {
        side: 'head',
        pair: 1,
        order: 2,
        status: 'completed',
        verdict: 'leak',
        summary: '',
        reportFile: '/y',
        requests: 20000,
        ms: 6000,
      },
    ],
    differences: [d],
    preExisting: [],
    warnings: [],
    settings: { failOn: 'leak', confidence: 0.95 },
    timings: { installMs: 900, totalMs: 30000 },
    ...overrides,
  };
}

describe('compare renderers', () => {
  test('markdown has the headline, the difference table and the runs', () => {
    const md = renderCompareMarkdown(compareReport());
    expect(md).toMatch(/^## ❌ leakcheck: this change adds a leak/);
    expect(md).toContain('| heap | 12 B/request | 390 B/request | 378 B/request (95% CI');
    expect(md).toContain('merge base `aaaaaaaaaaaa`');
    expect(md).toContain('<details><summary>Runs (2)</summary>');
  });

  test('text from the repository and the target is escaped in markdown', () => {
    const md = renderCompareMarkdown(
      compareReport({
        base: {
          ref: 'main<img src=x onerror=alert(1)>',
          commit: 'a'.repeat(40),
          install: { command: null, why: '', ok: true, ms: 0 },
        },
        warnings: ['[click](http://evil.example) | cell'],
        preExisting: [{ metric: 'heapUsed', perRequest: 390, reason: 'every base run leaks <b>' }],
      }),
    );
    expect(md).not.toContain('<img');
    expect(md).toContain('&lt;img');
    expect(md).toContain('\\[click\\](http:&#8203;//evil.example) \\| cell');
    expect(md).toContain('### Already on the base');
    expect(md).toContain('every base run leaks &lt;b&gt;');
  });

  test('terminal text names base, head, the difference and a pre-existing leak', () => {
    const text = renderCompareTerminal(
      compareReport({
        verdict: 'pass',
        summary: 'PASS: the head adds no growth beyond the threshold',
        preExisting: [
          { metric: 'heapUsed', perRequest: 390, reason: 'every base run (2) already leaks heap' },
        ],
      }),
      { reportFile: 'out/compare.json' },
    );
    expect(text).toMatch(/^\nPASS {2}the head adds no growth/);
    expect(text).toContain('origin/main → merge base aaaaaaaaaaaa');
    expect(text).toContain('already on the base: every base run (2) already leaks heap');
    expect(text).toContain('report: out/compare.json');
  });

  test('after a leak, terminal text lists where the last head run grows, a dependency by version', () => {
    const site = {
      kind: 'allocation-site' as const,
      pid: 1,
      title:
        'debug@4.2.0 src/common.js:64 (createDebug) allocates 415.9 B per request that stays alive, called from handle (server.js:8)',
      bytesPerRequest: 415.9,
    };
    const group = {
      kind: 'object-group' as const,
      pid: 1,
      title: 'Object: +1.00 per request, 56 B each, held in debug@4.2.0 src/common.js:67',
      retainerPath:
        'Object retained by (closure) debug.inspectOpts ← Array[13855] ← (closure) createDebug.instances',
    };
    const headReport = { findings: [site, group] } as unknown as Report;
    const leak = renderCompareTerminal(compareReport({ verdict: 'leak' }), { headReport });
    expect(leak).toContain(
      '  where it grows (the last head run):\n    debug@4.2.0 src/common.js:64 (createDebug)',
    );
    expect(leak).toContain('      held by Object retained by (closure) debug.inspectOpts');
    // Sites first, then held groups, three of each: five sites do not push the holder out.
    const many = { findings: [site, site, site, site, site, group] } as unknown as Report;
    const lines = renderCompareTerminal(compareReport({ verdict: 'leak' }), { headReport: many });
    expect(lines.match(/debug@4\.2\.0 src\/common\.js:64/g)).toHaveLength(3);
    expect(lines).toContain('held in debug@4.2.0 src/common.js:67');
    expect(renderCompareTerminal(compareReport({ verdict: 'pass' }), { headReport })).not.toContain(
      'where it grows',
    );
  });
});

describe('the compare command line', () => {
  test('takes the run flags that shape the configuration, and no others', () => {
    const compare = buildProgram().commands.find((c) => c.name() === 'compare');
    const flags = compare?.options.map((o) => o.long) ?? [];
    expect(flags).toEqual(
      expect.arrayContaining([
        '--base',
        '--pairs',
        '--install',
        '--warmup',
        '--duration',
        '--threshold',
        '--fail-on',
      ]),
    );
    // Replay and the extra report files of `run` are not honoured by compare, so not offered.
    expect(flags).not.toContain('--replay');
    expect(flags).not.toContain('--junit');
    expect(flags).not.toContain('--stacks');
  });
});

describe('exhaustionFinding: a resource the head drains', () => {
  const clean = makeReport({ bytesPerRequest: 0 });
  const drained = makeReport({ bytesPerRequest: 0, drained: true });

  test('a head run that ran out while no base run did is a leak the head adds', () => {
    const f = exhaustionFinding([
      { side: 'base', pair: 1, report: clean },
      { side: 'head', pair: 1, report: drained },
    ]);
    expect(f).toMatchObject({ side: 'head', decidedBy: { metric: 'responses', rule: 'resource-exhausted' } });
    expect(f?.side === 'head' && f.decidedBy.reason).toMatch(
      /^head run 1: GET \/login answered its first 11 requests .*; none of the 1 base runs ran out$/,
    );
  });

  test('a head run whose service died of the descriptors (or memory) it kept is a leak the head adds', () => {
    const died = {
      ...clean,
      status: 'out-of-descriptors',
      verdict: 'leak' as const,
      decidedBy: {
        metric: 'fds',
        rule: 'out-of-descriptors',
        reason:
          'the target ran out of file descriptors during the warmup: it failed with EMFILE (too many open files)',
      },
    };
    const f = exhaustionFinding([
      { side: 'base', pair: 1, report: clean },
      { side: 'head', pair: 1, report: died },
    ]);
    expect(f).toMatchObject({ side: 'head', decidedBy: { metric: 'fds', rule: 'out-of-descriptors' } });
    expect(f?.side === 'head' && f.decidedBy.reason).toMatch(
      /^head run 1: .*EMFILE.*; none of the 1 base runs ran out$/,
    );
    // A run that failed for any other reason is not a finding.
    expect(
      exhaustionFinding([
        { side: 'base', pair: 1, report: clean },
        { side: 'head', pair: 1, report: { ...died, status: 'target-exited', verdict: 'error' as const } },
      ]),
    ).toBeNull();
    expect(
      exhaustionFinding([
        { side: 'base', pair: 1, report: died },
        { side: 'head', pair: 1, report: died },
      ]),
    ).toMatchObject({ side: 'both', metric: 'fds' });
  });

  test("base runs that ran out too make it the base's own; nothing ran out, nothing found", () => {
    expect(
      exhaustionFinding([
        { side: 'base', pair: 1, report: drained },
        { side: 'head', pair: 1, report: drained },
      ])?.side,
    ).toBe('both');
    expect(
      exhaustionFinding([
        { side: 'base', pair: 1, report: drained },
        { side: 'head', pair: 1, report: clean },
      ]),
    ).toBeNull();
  });
});
