/**
 * `leakcheck/vitest`: registers the `toLeak` matcher with vitest's `expect`. One line of setup,
 * either in a test file (`import 'leakcheck/vitest'`) or in vitest's `setupFiles`.
 *
 * ```ts
 * import { expect, it } from 'vitest';
 * import 'leakcheck/vitest';
 * it('does not leak', async () => {
 *   await expect((n: number) => handle(n)).not.toLeak({ iterations: 5000 });
 * });
 * ```
 *
 * An ES module: vitest cannot be required from CommonJS, and this entry imports vitest's own
 * `expect` (not a global, so `globals: false`, vitest's default, works).
 */
import { expect } from 'vitest';
import { toLeak, type ToLeakOptions } from '../jest/matcher.js';

export { leakMessage, toLeak, type ToLeakOptions } from '../jest/matcher.js';

/** The matcher as vitest's `Assertion` sees it; `R` is what the assertion chain returns. */
interface LeakMatchers<R = unknown> {
  /**
   * Calls the received function thousands of times in process, forcing GCs between batches,
   * and asserts that its memory grows per call (use `.not.toLeak()` to assert it does not).
   * Async: always `await` it.
   *
   * @param options - iterations, bytesPerCall threshold, warmup, batches, confidence
   */
  toLeak(options?: ToLeakOptions): Promise<R>;
}

declare module 'vitest' {
  // The type parameter must match vitest's declaration (`Assertion<T = any>`) for the interfaces to merge.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Assertion<T = any> extends LeakMatchers<void> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends LeakMatchers<void> {}
}

expect.extend({ toLeak });
