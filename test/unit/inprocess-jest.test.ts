/**
 * The jest matcher, registered the way a user registers it (one import), exercised in jest's own
 * process: passing and failing in both directions, with the failure messages users see.
 */
import '../../src/jest';
import { leakMatcherResult, registerLeakMatchers } from '../../src/jest';
import { CASES, INCIDENT_AUTH_LINE, INCIDENT_FILE } from '../inprocess/cases';
import { detectInWorker } from '../inprocess/run-in-worker';
import { LEAK_TS_FILE, LEAK_TS_LINE } from '../inprocess/ts-leak';

// Only for verdicts far from the threshold (a leak of ~370 B/call), to keep jest's GCs few.
const SHORT = { iterations: 2000, batches: 8, warmup: 200 };

describe('toLeak', () => {
  it('.not.toLeak() passes for the fixed middleware (default options)', async () => {
    await expect(CASES['clean-auth'].make()).not.toLeak();
  });

  it(".toLeak() passes for the incident's middleware", async () => {
    await expect(CASES['incident-auth'].make()).toLeak(SHORT);
  });

  it('.not.toLeak() fails on the leak with bytes per call, its interval and the allocation site', async () => {
    let message = '';
    try {
      await expect(CASES['incident-auth'].make()).not.toLeak(SHORT);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(message).toMatch(
      /^expect\(fn\)\.not\.toLeak\(\)\n\nExpected: no leak \(growth per call below 64 B\/call\)\n/,
    );
    expect(message).toMatch(
      /\nReceived: leaks: heapUsed grew \d+ B\/call \(95% CI \d+–\d+\) over 2,000 calls \(after 200 warm-up calls\)\n/,
    );
    expect(message).toContain(`\n  ${INCIDENT_FILE}:${INCIDENT_AUTH_LINE}:`);
    expect(message).toMatch(
      /\nDecided by: heapUsed, rule sequential-leak: heap \(without code space\) grows \d+ B\/call/,
    );
    expect(message).toMatch(
      /\nGrowing allocation sites \(V8 sampling heap profile; live bytes, estimated\):\n {2}\S+:\d+:\d+ \(auth\), \+[\d.]+ [KM]B live \(\d+ B\/call\)/,
    );
  });

  it('.toLeak() fails on a clean function, saying it found no leak or could not tell', async () => {
    await expect(expect(CASES['clean-auth'].make()).toLeak(SHORT)).rejects.toThrow(
      /^expect\(fn\)\.toLeak\(\)\n\nExpected: a leak \(growth per call above 64 B\/call\)\nReceived: (no leak|inconclusive)/,
    );
  });

  it('takes bytesPerCall: the same leak passes .not.toLeak() under a threshold above it', async () => {
    await expect(CASES['incident-auth'].make()).not.toLeak({ ...SHORT, bytesPerCall: 5000 });
  });

  it('names the TypeScript line of a leak compiled by ts-jest (its inline source map)', async () => {
    let message = '';
    try {
      await expect(CASES['leak-ts'].make()).not.toLeak(SHORT);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    expect(LEAK_TS_LINE).toBeGreaterThan(0);
    expect(message).toContain(`${LEAK_TS_FILE}:${LEAK_TS_LINE}:`);
    expect(message).toMatch(/:\d+ \(leakTs\), \+/);
  });

  it('refuses something that is not a function', async () => {
    await expect(expect(42).not.toLeak()).rejects.toThrow(
      'toLeak: expected a function to call repeatedly, got number',
    );
  });
});

describe('leakMatcherResult', () => {
  it('fails both directions on an inconclusive detection, and says so', async () => {
    // Any real detection will do as the base; a worker keeps its GCs off jest's heap.
    const detection = await detectInWorker('leak-200', { options: { ...SHORT, attribution: false } });
    const unsure = { ...detection, verdict: 'inconclusive' as const };
    // `.not` fails when pass is true; the plain form fails when it is false.
    expect(leakMatcherResult(unsure, true).pass).toBe(true);
    expect(leakMatcherResult(unsure, false).pass).toBe(false);
    const message = leakMatcherResult(unsure, true).message();
    expect(message).toMatch(/Received: inconclusive \(neither proven nor ruled out\)/);
    expect(message).toMatch(/To decide, give it more calls \(maxIterations\)/);
    expect(message).toMatch(/Allocation site not looked for \(attribution: false\)/);
    // And the two decided verdicts, each direction.
    expect(leakMatcherResult({ ...detection, verdict: 'leak' }, false).pass).toBe(true);
    expect(leakMatcherResult({ ...detection, verdict: 'leak' }, true).pass).toBe(true);
    expect(leakMatcherResult({ ...detection, verdict: 'pass' }, false).pass).toBe(false);
    expect(leakMatcherResult({ ...detection, verdict: 'pass' }, true).pass).toBe(false);
  });
});

describe('registerLeakMatchers', () => {
  it('says what to do when there is no global expect', () => {
    const global = globalThis as { expect?: unknown };
    const saved = global.expect;
    let thrown: unknown;
    global.expect = undefined;
    try {
      registerLeakMatchers();
    } catch (error) {
      thrown = error;
    } finally {
      global.expect = saved;
    }
    expect(String(thrown)).toMatch(/leakcheck\/jest: no global expect to extend/);
  });
});
