/**
 * A full garbage collection on demand, without asking the user to start node with --expose-gc.
 * The same trick as the agent: the flag only affects contexts created after it is set, so a fresh
 * vm context hands us the isolate's gc function. The flag stays set for the process; that exposes
 * `gc` only in contexts created afterwards and changes nothing else.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let cached: (() => void) | undefined;

/**
 * The isolate's full-GC function (plain `gc()`: on Node 20 `gc({ type: 'major', execution:
 * 'sync' })` was seen to leave a dropped 30 MB array alive, so no options are passed).
 *
 * @returns a function that runs a full, synchronous, precise garbage collection
 * @throws Error when the runtime refuses to expose gc (not seen on Node ≥ 20)
 */
export function fullGc(): () => void {
  if (cached) return cached;
  const global = globalThis as { gc?: unknown };
  if (typeof global.gc === 'function') {
    cached = global.gc as () => void;
    return cached;
  }
  v8.setFlagsFromString('--expose-gc');
  const gc: unknown = vm.runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('could not obtain a gc function (v8 refused --expose-gc)');
  cached = gc as () => void;
  return cached;
}
