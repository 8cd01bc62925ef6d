/**
 * `leakcheck/jest`: registers the `toLeak` matcher with jest's global `expect`. One line of setup,
 * either in a test file (`import 'leakcheck/jest'`) or in jest's `setupFilesAfterEnv`.
 *
 * ```ts
 * import 'leakcheck/jest';
 * it('does not leak', async () => {
 *   await expect((n: number) => handle(n)).not.toLeak({ iterations: 5000 });
 * });
 * ```
 */
import { toLeak, type ToLeakOptions } from './matcher';
// The module augmented below must be part of the program for the augmentation to apply.
import type {} from 'expect';

export {
  leakMatcherResult,
  leakMessage,
  toLeak,
  type MatcherContextLike,
  type MatcherResultLike,
  type ToLeakOptions,
} from './matcher';

declare global {
  // jest's global types (@types/jest) declare Matchers in namespace jest; merge toLeak into them.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // Type parameters must match @types/jest's declaration for the interfaces to merge.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
    interface Matchers<R, T = {}> {
      /**
       * Calls the received function thousands of times in process, forcing GCs between batches,
       * and asserts that its memory grows per call (use `.not.toLeak()` to assert it does not).
       * Async: always `await` it.
       *
       * @param options - iterations, bytesPerCall threshold, warmup, batches, confidence
       */
      toLeak(options?: ToLeakOptions): Promise<R>;
    }
  }
}

// `import { expect } from '@jest/globals'` types its matchers through the `expect` package's
// Matchers interface, not `namespace jest`: merge toLeak there too.
declare module 'expect' {
  // Type parameters must match the `expect` package's declaration for the interfaces to merge.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface Matchers<R extends void | Promise<void>, T = unknown> {
    /**
     * Calls the received function thousands of times in process, forcing GCs between batches,
     * and asserts that its memory grows per call (use `.not.toLeak()` to assert it does not).
     * Async: always `await` it.
     *
     * @param options - iterations, bytesPerCall threshold, warmup, batches, confidence
     */
    toLeak(options?: ToLeakOptions): Promise<R>;
  }
}

interface ExpectWithExtend {
  extend(matchers: Record<string, typeof toLeak>): void;
}

/**
 * Registers `toLeak` with the global `expect` (done once when this module is imported; calling
 * it again is harmless).
 *
 * @throws Error when there is no global `expect` (not running under jest, or injectGlobals off)
 */
export function registerLeakMatchers(): void {
  const expect = (globalThis as { expect?: unknown }).expect;
  if (typeof expect !== 'function' || typeof (expect as Partial<ExpectWithExtend>).extend !== 'function') {
    throw new Error(
      'leakcheck/jest: no global expect to extend; import it from a jest test or setupFilesAfterEnv ' +
        '(with injectGlobals on), or call expect.extend({ toLeak }) yourself',
    );
  }
  (expect as unknown as ExpectWithExtend).extend({ toLeak });
}

registerLeakMatchers();
