/** Telling a promise-like result from a plain value, so sync functions never pay a microtask. */

/**
 * Whether a value has a callable `then` (a promise or any thenable).
 *
 * @param value - what a function under test returned
 * @returns true when it should be awaited
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
