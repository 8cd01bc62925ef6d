/**
 * `leakcheck/node-test`: leak assertions for Node's own test runner (`node:test`), which has no
 * matchers. They throw `assert.AssertionError` with the message of jest's and vitest's `toLeak`
 * (headed by the assertion as written, `assertNoLeak(fn)`), so the runner reports them like any
 * failed assertion.
 *
 * ```js
 * import { test } from 'node:test';
 * import { assertNoLeak } from 'leakcheck/node-test';
 * test('does not leak', async () => {
 *   await assertNoLeak((n) => handle(n), { iterations: 5000 });
 * });
 * ```
 */
import { AssertionError } from 'node:assert';
import { detectLeak, type DetectLeakOptions, type LeakDetection, type LeakTestFunction } from '../inprocess';
import { leakMessage } from '../jest/matcher';

export type { DetectLeakOptions, LeakDetection, LeakTestFunction } from '../inprocess';

/**
 * Asserts that `fn` does not leak: runs {@link detectLeak} and throws unless the verdict is pass
 * (an inconclusive detection fails too: "no leak" is a claim the measurement could not back).
 *
 * @param fn - the function under test (sync or async, called with the call number)
 * @param options - detectLeak options (iterations, bytesPerCall, ...)
 * @returns the detection, when it passed
 * @throws AssertionError (operator `notToLeak`) with the verdict, bytes per call and allocation
 *   sites; TypeError when `fn` is not a function; RangeError for bad options
 */
export async function assertNoLeak(
  fn: LeakTestFunction,
  options?: DetectLeakOptions,
): Promise<LeakDetection> {
  const detection = await detect(fn, options, 'assertNoLeak');
  if (detection.verdict !== 'pass') fail(detection, true);
  return detection;
}

/**
 * Asserts that `fn` leaks (a test that a planted leak is found): throws unless the verdict is leak.
 *
 * @param fn - the function under test
 * @param options - detectLeak options
 * @returns the detection, when it leaked
 * @throws AssertionError (operator `toLeak`) when no leak was found or the result was inconclusive
 */
export async function assertLeaks(fn: LeakTestFunction, options?: DetectLeakOptions): Promise<LeakDetection> {
  const detection = await detect(fn, options, 'assertLeaks');
  if (detection.verdict !== 'leak') fail(detection, false);
  return detection;
}

async function detect(
  fn: unknown,
  options: DetectLeakOptions | undefined,
  name: string,
): Promise<LeakDetection> {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `${name}: expected a function to call repeatedly, got ${fn === null ? 'null' : typeof fn}`,
    );
  }
  return detectLeak(fn as LeakTestFunction, options);
}

function fail(detection: LeakDetection, isNot: boolean): never {
  const error = new AssertionError({
    message: leakMessage(detection, isNot, isNot ? 'assertNoLeak(fn)' : 'assertLeaks(fn)'),
    actual: detection.verdict,
    expected: isNot ? 'pass' : 'leak',
    operator: isNot ? 'notToLeak' : 'toLeak',
  });
  throw Object.assign(error, { detection });
}
