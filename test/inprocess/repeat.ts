/**
 * Flakiness check: 20 detections of one case, one after another in one worker thread (cheap GCs,
 * see ./detect-worker.ts), must all give the case's known verdict. Default options: they are what
 * a user gets. One test file per case (test/unit/inprocess-repeat-*.test.ts), so the jest workers
 * share the three cases instead of one worker running all 60 detections (82 s of a CI run).
 */
import { DETECT_LEAK_DEFAULTS } from '../../src/inprocess';
import { CASES, type CaseName } from './cases';
import { runInWorker } from './run-in-worker';

const REPEAT = 20;
const THRESHOLD = DETECT_LEAK_DEFAULTS.bytesPerCall;

/**
 * Declares the repeated-detection test of one case.
 *
 * @param name - the case (test/inprocess/cases.ts)
 */
export function describeRepeated(name: CaseName): void {
  describe(`${name}: detectLeak repeated`, () => {
    it(`gives "${CASES[name].expected}" ${REPEAT} times out of ${REPEAT}`, async () => {
      const outcomes = await runInWorker(Array.from({ length: REPEAT }, () => ({ name })));
      expect(outcomes).toHaveLength(REPEAT);
      const summaries = outcomes.map((o) =>
        o.ok ? `${o.detection.verdict}: ${o.detection.summary}` : `error: ${o.error}`,
      );
      // Every wrong outcome is listed with its summary, so a failure says what happened.
      expect(summaries.filter((s) => !s.startsWith(`${CASES[name].expected}:`))).toEqual([]);
      for (const o of outcomes) {
        if (!o.ok) continue;
        const { perCall, sites } = o.detection;
        if (CASES[name].expected === 'leak') {
          expect(perCall.low).toBeGreaterThan(THRESHOLD);
          expect(sites[0]?.userFrame?.url).toMatch(/fixtures\/unit\/incident-auth\.js$/);
        } else {
          expect(perCall.high).toBeLessThan(THRESHOLD);
        }
      }
    });
  });
}
