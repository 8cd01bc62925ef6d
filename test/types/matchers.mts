/**
 * Compile-time checks of the matcher types (never run; `npm run typecheck` compiles it): `toLeak`
 * exists, is async and takes detectLeak's options on jest's global `expect`, on `@jest/globals`'
 * `expect` and on vitest's `expect`, and an unknown option is a type error in each.
 */
import { expect as jestGlobalsExpect } from '@jest/globals';
import { expect as vitestExpect } from 'vitest';
import type {} from '../../src/jest/index.js';
import type {} from '../../src/vitest/index.mjs';

const fn = (n: number): number => n;

export async function typedEverywhere(): Promise<void> {
  await expect(fn).not.toLeak({ iterations: 2000, bytesPerCall: 128 });
  await jestGlobalsExpect(fn).not.toLeak({ iterations: 2000 });
  await vitestExpect(fn).not.toLeak({ iterations: 2000 });
  await vitestExpect(fn).toLeak();
  // @ts-expect-error: not an option of toLeak
  await vitestExpect(fn).toLeak({ iterationz: 1 });
  // @ts-expect-error: not an option of toLeak
  await jestGlobalsExpect(fn).toLeak({ iterationz: 1 });
  // @ts-expect-error: not an option of toLeak
  await expect(fn).toLeak({ iterationz: 1 });
}
