/**
 * Whose code a frame is: the user's own files, Node and V8, dependencies, or leakcheck itself.
 * One filter for both attribution paths: the agent inside a target (the profiles it takes, the
 * replies it serialises) and detectLeak in this process (its sampler, its call loop, its mocks).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AGENT_PATH } from '../agent/protocol';
import { toPath } from './sourcemap';

/**
 * Folders holding leakcheck's own code: src/, dist/ and dist-action/ of the package this module
 * was loaded from (as tsc output, a bundle in dist/ or dist/<entry>/, or the Action's bundle),
 * and the folder of the agent preloaded into targets.
 */
const OWN_DIRS: readonly string[] = ownDirs();

function ownDirs(): string[] {
  let root = path.resolve(__dirname, '..');
  for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) {
      root = dir;
      break;
    }
  }
  const dirs = ['src', 'dist', 'dist-action'].map((d) => path.join(root, d) + path.sep);
  return [...new Set([...dirs, path.dirname(AGENT_PATH) + path.sep])];
}

/**
 * Whether a script URL is one of leakcheck's own files (the agent and its profiler in a target;
 * detectLeak, its sampler and its mocks in process).
 *
 * @param url - a call frame's URL or path
 * @returns true for leakcheck's files
 */
export function isLeakcheckUrl(url: string): boolean {
  if (url === '' || url.startsWith('node:')) return false;
  const file = toPath(url);
  return OWN_DIRS.some((dir) => file.startsWith(dir));
}

/**
 * Whether a script URL belongs to the user's own code: not empty (V8 internals), not a Node
 * built-in (`node:`), not under node_modules, not a bare `internal/` path, not leakcheck's own.
 *
 * @param url - a call frame's URL or path
 * @returns true for the user's own files
 */
export function isUserUrl(url: string): boolean {
  if (url === '') return false;
  if (url.startsWith('node:') || url.startsWith('internal/')) return false;
  return !/[\\/]node_modules[\\/]/.test(url) && !isLeakcheckUrl(url);
}

/**
 * Whether an allocation stack is leakcheck's own work rather than the code under test: its
 * nearest frame outside Node and V8 is one of leakcheck's files (the agent's replies, detectLeak's
 * loop or mocks), or, with no such frame, it runs through `node:inspector` (the profiler's
 * session delivering its messages).
 *
 * @param stack - frames, innermost first
 * @returns true for allocations leakcheck made
 */
export function isLeakcheckStack(stack: ReadonlyArray<{ url: string }>): boolean {
  const nearest = stack.find((f) => f.url !== '' && !f.url.startsWith('node:'));
  if (nearest) return isLeakcheckUrl(nearest.url);
  return stack.some((f) => f.url === 'node:inspector');
}
