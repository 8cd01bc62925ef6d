/**
 * detectLeak on the known-answer fixtures in fixtures/unit/. The detections run in a worker
 * thread (test/inprocess/detect-worker.ts) so their forced GCs do not walk jest's 200 MB heap;
 * inprocess-jest.test.ts runs detections inside jest itself through the matcher. Default options
 * wherever a clean function must pass, since those are what users get.
 */
import { DETECT_LEAK_DEFAULTS, resolveDetectLeakOptions } from '../../src/inprocess';
import { NODE_BYTES } from '../../fixtures/unit/exact-leak.js';
import { CAPACITY } from '../../fixtures/unit/bounded-cache.js';
import { ARRAY_BYTES_PER_CALL } from '../../fixtures/unit/array-leak.js';
import { INCIDENT_AUTH_LINE, INCIDENT_FILE, THROW_AT_CALL } from '../inprocess/cases';
import { LEAK_TS_FILE, LEAK_TS_LINE } from '../inprocess/ts-leak';
import { detectInWorker, runInWorker } from '../inprocess/run-in-worker';

const SHORT = { iterations: 2000, batches: 8, warmup: 200 };
// Awaiting each call adds event-loop turns between samples; with one core busy, 8 batches were too
// few to tell the robust and least-squares fits apart (inconclusive in 3 of 6 runs), so this one
// measures 16 batches of 250 calls.
const ASYNC = { iterations: 4000, batches: 16, warmup: 200 };
const THRESHOLD = DETECT_LEAK_DEFAULTS.bytesPerCall;

describe('detectLeak on the fixtures', () => {
  it("catches the incident's auth middleware as a unit and names its allocation site", async () => {
    const d = await detectInWorker('incident-auth');
    expect(d).toMatchObject({ verdict: 'leak', decidedBy: { metric: 'heapUsed', rule: 'sequential-leak' } });
    expect(d.perCall.low).toBeGreaterThan(THRESHOLD);
    // Sequential: at least the minimum window, within the budget, in whole batches.
    const batch = DETECT_LEAK_DEFAULTS.iterations / DETECT_LEAK_DEFAULTS.batches;
    expect(d.calls).toBeGreaterThanOrEqual(DETECT_LEAK_DEFAULTS.iterations);
    expect(d.calls).toBeLessThanOrEqual(DETECT_LEAK_DEFAULTS.maxIterations);
    expect(d.looks).toBeGreaterThanOrEqual(1);
    // Sampled after every batch plus the baseline, keyed by calls made in the measured window.
    const x = d.series[0]?.x ?? [];
    expect(x).toHaveLength(d.calls / batch + 1);
    expect([x[0], x.at(-1)]).toEqual([0, d.calls]);
    // The profile places the growth in `function auth`: profiles name the function
    // that allocated, at the line where it is defined.
    expect(d.attribution.status).toBe('profiled');
    expect(INCIDENT_AUTH_LINE).toBeGreaterThan(0);
    expect(d.sites[0]?.userFrame).toMatchObject({
      url: INCIDENT_FILE,
      line: INCIDENT_AUTH_LINE,
      functionName: 'auth',
    });
    expect(d.sites[0]?.perUnit).toBeGreaterThan(THRESHOLD);
    expect(d.summary).toMatch(
      /^leaks: heapUsed \d+ B\/call \(9\d(\.\d)?% CI \d+–\d+\) over [\d,]+ calls; growing allocation site: /,
    );
    expect(d.summary).toContain(`${INCIDENT_FILE}:${INCIDENT_AUTH_LINE}:`);
    // The analysis wording is per call, not per request.
    expect(d.decidedBy.reason).toMatch(/B\/call/);
    expect(d.decidedBy.reason).not.toMatch(/request/);
  });

  it('passes the fixed middleware (listener removed on finish)', async () => {
    const d = await detectInWorker('clean-auth');
    expect(d.verdict).toBe('pass');
    expect(d.perCall.high).toBeLessThan(THRESHOLD);
    expect(d.summary).toMatch(/^does not leak: /);
  });

  it('passes a bounded cache, filled during the warm-up or inside the measured window', async () => {
    const [warm, cold] = await runInWorker([{ name: 'bounded-cache' }, { name: 'bounded-cache-cold' }]);
    expect(warm?.ok && warm.detection.verdict).toBe('pass');
    expect(cold?.ok && cold.detection.verdict).toBe('pass');
    if (!cold?.ok) return;
    // Cold, it did grow at first: the first two batches (1,000 calls) fill all CAPACITY sessions,
    // each at least a 40-byte object and a Map slot.
    const y = cold.detection.series[0]?.y ?? [];
    expect((y[2] ?? 0) - (y[0] ?? 0)).toBeGreaterThan(CAPACITY * 50);
  });

  it('measures an exact 200 B/call leak to within 10%, and passes the same work without the leak', async () => {
    const [leak, clean] = await runInWorker([{ name: 'leak-200' }, { name: 'clean-200' }]);
    expect(leak?.ok && leak.detection.verdict).toBe('leak');
    if (leak?.ok)
      expect(Math.abs(leak.detection.perCall.estimate - NODE_BYTES) / NODE_BYTES).toBeLessThan(0.1);
    expect(clean?.ok && clean.detection.verdict).toBe('pass');
  });
});

describe('detectLeak on a staircase', () => {
  it('catches ten numbers per call into one array (level between the store enlargements)', async () => {
    const d = await detectInWorker('array-leak');
    expect(d.verdict).toBe('leak');
    expect(d.decidedBy.rule).toBe('sequential-leak');
    expect(d.decidedBy.reason).toMatch(/grows in steps that keep coming/);
    expect(d.perCall.low).toBeGreaterThan(THRESHOLD);
    // The elements take 80 B/call when the store is full and the heap holds up to 1.5× that right
    // after an enlargement (the spare capacity): the rate lies between the two.
    expect(d.perCall.estimate).toBeGreaterThan(ARRAY_BYTES_PER_CALL);
    expect(d.perCall.estimate).toBeLessThan(ARRAY_BYTES_PER_CALL * 1.5);
  });
});

describe('detectLeak behaviour', () => {
  it('names the TypeScript line of a leak in transpiled code (source map Node keeps, tsx)', async () => {
    const d = await detectInWorker('leak-ts');
    expect(d.verdict).toBe('leak');
    expect(d.sites[0]?.userFrame).toMatchObject({
      url: LEAK_TS_FILE,
      line: LEAK_TS_LINE,
      functionName: 'leakTs',
    });
  });

  it('awaits async functions; attribution can be turned off', async () => {
    const d = await detectInWorker('leak-200-async', { options: { ...ASYNC, attribution: false } });
    expect(d.verdict).toBe('leak');
    expect(d).toMatchObject({ warmupCalls: ASYNC.warmup, attribution: { status: 'off' } });
    expect(d.calls).toBeGreaterThanOrEqual(ASYNC.iterations);
    expect(d.sites).toEqual([]);
    expect(d.metrics.map((m) => m.metric)).toEqual(['heapUsed', 'external']);
  });

  it('with sequential: false, measures the fixed window once and judges it by the rules', async () => {
    // The default window (20 batches): with SHORT's 8, a busy machine (load 11) left the robust and
    // least-squares fits apart twice, as the async case above once did.
    const d = await detectInWorker('leak-200', { options: { sequential: false, attribution: false } });
    expect(d).toMatchObject({ verdict: 'leak', decidedBy: { rule: 'linear-growth' }, looks: 0 });
    expect(d.calls).toBe(DETECT_LEAK_DEFAULTS.iterations);
    expect(d.series[0]?.x).toHaveLength(DETECT_LEAK_DEFAULTS.batches + 1);
  });

  it('keeps calling past the minimum window when it cannot decide, and ends inconclusive at maxIterations', async () => {
    // A threshold of 0 B/call cannot be ruled out for work that keeps nothing (the interval of a
    // flat heap straddles 0), so every look continues until the budget.
    const options = { ...SHORT, maxIterations: 3000, bytesPerCall: 0, attribution: false };
    const d = await detectInWorker('clean-200', { options });
    expect(d).toMatchObject({ verdict: 'inconclusive', decidedBy: { rule: 'sequential-budget' } });
    expect(d.calls).toBe(options.maxIterations);
    expect(d.looks).toBeGreaterThanOrEqual(2);
    expect(d.decidedBy.reason).toMatch(/raise maxIterations$/);
    expect(d.decidedBy.reason).not.toMatch(/request|--max/);
  });

  it('rethrows what the function throws and stops the profiler, so the next detection can profile', async () => {
    const [thrown, next] = await runInWorker([
      { name: 'throws-at-50', options: SHORT },
      { name: 'leak-200', options: SHORT },
    ]);
    expect(thrown).toEqual({ name: 'throws-at-50', ok: false, error: `boom at call ${THROW_AT_CALL}` });
    expect(next?.ok && next.detection.attribution.status).toBe('profiled');
  });

  it('validates options, naming the field', () => {
    expect(resolveDetectLeakOptions()).toEqual(DETECT_LEAK_DEFAULTS);
    expect(() => resolveDetectLeakOptions({ batches: 3 })).toThrow(
      'detectLeak: batches must be an integer >= 7, got 3',
    );
    expect(() => resolveDetectLeakOptions({ iterations: 5 })).toThrow(
      'iterations must be an integer >= 20, got 5',
    );
    expect(() => resolveDetectLeakOptions({ bytesPerCall: -1 })).toThrow(
      'bytesPerCall must be a finite number >= 0',
    );
    expect(() => resolveDetectLeakOptions({ confidence: 1 })).toThrow('confidence must be in (0, 1), got 1');
    expect(() => resolveDetectLeakOptions({ warmup: 1.5 })).toThrow(
      'warmup must be an integer >= 0, got 1.5',
    );
    expect(resolveDetectLeakOptions({ iterations: 2000 }).maxIterations).toBe(10_000);
    expect(() => resolveDetectLeakOptions({ iterations: 2000, maxIterations: 1000 })).toThrow(
      'detectLeak: maxIterations must be an integer >= 2000, got 1000',
    );
    expect(() => resolveDetectLeakOptions({ sequential: 'yes' } as never)).toThrow(
      'detectLeak: sequential must be true or false, got yes',
    );
    expect(() => resolveDetectLeakOptions({ iterationz: 10 } as never)).toThrow(
      'unknown option "iterationz"',
    );
  });
});
