/**
 * The `toLeak` matcher: runs {@link detectLeak} on the received function and turns the verdict
 * into a jest matcher result. Independent of jest's own packages (only the shape of a matcher
 * is used), so leakcheck needs no runtime dependency on jest.
 */
import {
  detectLeak,
  formatPerCall,
  formatSite,
  type LeakDetection,
  type LeakTestFunction,
} from '../inprocess/detect';
import type { DetectLeakOptions } from '../inprocess/options';
import { formatBytes, formatNumber } from '../analysis';
import { formatFrame } from '../attribution/profile';

/** Options of `toLeak`: the same as {@link detectLeak}'s. */
export type ToLeakOptions = DetectLeakOptions;

/** The part of jest's matcher context the matcher reads. */
export interface MatcherContextLike {
  /** True under `.not`. */
  isNot?: boolean;
}

/** What a jest matcher returns. */
export interface MatcherResultLike {
  /** Whether the positive assertion holds. */
  pass: boolean;
  /** The failure message, built lazily. */
  message: () => string;
  /** The detection, for reporters and for tests of the matcher itself. */
  detection: LeakDetection;
}

/**
 * `expect(fn).toLeak(options)` / `expect(fn).not.toLeak(options)`. An inconclusive detection
 * fails both forms: "no leak" and "a leak" are claims the measurement could not back.
 *
 * @param received - the function under test (sync or async, called with the call number)
 * @param options - detectLeak options (iterations, bytesPerCall, ...)
 * @returns the matcher result: `pass` true when the function leaked
 * @throws TypeError when `received` is not a function; RangeError for bad options
 */
export async function toLeak(
  this: MatcherContextLike | undefined,
  received: unknown,
  options?: ToLeakOptions,
): Promise<MatcherResultLike> {
  if (typeof received !== 'function') {
    throw new TypeError(
      `toLeak: expected a function to call repeatedly, got ${received === null ? 'null' : typeof received}`,
    );
  }
  const detection = await detectLeak(received as LeakTestFunction, options);
  return leakMatcherResult(detection, this?.isNot === true);
}

/**
 * The matcher result for a detection. jest fails `.not` when `pass` is true and the plain form
 * when it is false; an inconclusive detection must fail either way, so under `.not` it reports
 * `pass: true` (a leak could not be ruled out) and otherwise `pass: false`.
 *
 * @param detection - what detectLeak found
 * @param isNot - whether the assertion was `.not.toLeak()`
 * @returns the result jest reads
 */
export function leakMatcherResult(detection: LeakDetection, isNot: boolean): MatcherResultLike {
  const pass = isNot ? detection.verdict !== 'pass' : detection.verdict === 'leak';
  return { pass, message: () => leakMessage(detection, isNot), detection };
}

/**
 * The failure message: the expectation, the verdict with bytes per call and its interval, the
 * deciding rule and reason, and the growing allocation sites when known.
 *
 * @param d - the detection
 * @param isNot - whether the assertion was `.not.toLeak()` (or `assertNoLeak`)
 * @param assertion - the assertion as the test wrote it (jest's and vitest's matcher by default;
 *   node:test's `assertNoLeak(fn)` / `assertLeaks(fn)`)
 * @returns multi-line text
 */
export function leakMessage(
  d: LeakDetection,
  isNot: boolean,
  assertion = isNot ? 'expect(fn).not.toLeak()' : 'expect(fn).toLeak()',
): string {
  const threshold = `${formatBytes(d.options.bytesPerCall)}/call`;
  const expected = isNot
    ? `${assertion}\n\nExpected: no leak (growth per call below ${threshold})`
    : `${assertion}\n\nExpected: a leak (growth per call above ${threshold})`;
  const verdict =
    d.verdict === 'leak'
      ? 'leaks'
      : d.verdict === 'pass'
        ? 'no leak'
        : 'inconclusive (neither proven nor ruled out)';
  const lines = [
    expected,
    `Received: ${verdict}: ${d.perCall.metric} grew ${formatPerCall(d.perCall)} ` +
      `over ${formatNumber(d.calls)} calls (after ${formatNumber(d.warmupCalls)} warm-up calls)`,
    `Decided by: ${d.decidedBy.metric ?? 'no metric'}, rule ${d.decidedBy.rule}: ${d.decidedBy.reason}`,
  ];
  if (d.sites.length > 0) {
    lines.push('Growing allocation sites (V8 sampling heap profile; live bytes, estimated):');
    for (const site of d.sites) {
      lines.push(`  ${formatSite(site)}`);
      // The frames between the allocation and the user's function (Node internals, dependencies).
      const inner = site.userFrame ? site.stack.slice(0, site.stack.indexOf(site.userFrame)) : [];
      if (inner.length > 0) lines.push(`    via ${inner.slice(0, 3).map(formatFrame).join(' <- ')}`);
    }
  } else if (d.attribution.status === 'unavailable') {
    lines.push(`Allocation site unknown: heap profiler unavailable (${d.attribution.reason})`);
  } else if (d.attribution.status === 'off') {
    lines.push('Allocation site not looked for (attribution: false)');
  } else if (d.verdict !== 'pass') {
    lines.push('Allocation site unknown: no allocation site grew measurably in the heap profile');
  }
  if (d.verdict === 'inconclusive') {
    lines.push(
      d.options.sequential
        ? 'To decide, give it more calls (maxIterations) or check that nothing else allocates meanwhile.'
        : 'To decide, give it more calls (iterations) or check that nothing else allocates meanwhile.',
    );
  }
  return lines.join('\n');
}
