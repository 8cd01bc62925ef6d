import {
  flattenProfile,
  formatFrame,
  userFrame,
  type ProfileNode,
  type SamplingProfile,
  type StackFrame,
} from '../../src/attribution/profile';
import { diffSites, growingSites } from '../../src/attribution/sites';
import { isUserUrl } from '../../src/attribution/frames';

let nextId = 1;
/** A profile node: [functionName, url, line0, column0], its self size, and children. */
function node(
  frame: [string, string, number, number],
  selfSize: number,
  children: ProfileNode[] = [],
): ProfileNode {
  const [functionName, url, lineNumber, columnNumber] = frame;
  return {
    callFrame: { functionName, url, lineNumber, columnNumber, scriptId: '1' },
    selfSize,
    id: nextId++,
    children,
  };
}

const APP = '/app/src/auth.js';
const LIB = '/app/node_modules/lib/index.js';

/**
 * root → main (app) → auth (app, line 10) → { bytes at auth, events.addListener (node:events) }
 * and root → main → lib.cache (node_modules) ; sizes as given.
 */
function profile(
  authBytes: number,
  listenerBytes: number,
  libBytes: number,
  withSamples = true,
): SamplingProfile {
  const auth = node(['auth', APP, 9, 4], authBytes, [
    node(['_addListener', 'node:events', 500, 2], listenerBytes),
  ]);
  const lib = node(['cache', LIB, 41, 0], libBytes);
  const main = node(['main', 'file:///app/src/main.js', 0, 0], 0, [auth, lib]);
  const head = node(['(root)', '', -1, -1], 0, [main]);
  const samples = withSamples
    ? [auth, auth.children[0]!, lib].map((n, i) => ({ size: n.selfSize, nodeId: n.id ?? 0, ordinal: i }))
    : undefined;
  return samples ? { head, samples } : { head };
}

describe('isUserUrl and userFrame', () => {
  it('tells user files from Node internals, V8 and dependencies', () => {
    expect(isUserUrl('/app/src/auth.js')).toBe(true);
    expect(isUserUrl('file:///app/src/auth.js')).toBe(true);
    expect(isUserUrl('node:events')).toBe(false);
    expect(isUserUrl('internal/timers')).toBe(false);
    expect(isUserUrl('')).toBe(false);
    expect(isUserUrl('/app/node_modules/express/index.js')).toBe(false);
    expect(isUserUrl('C:\\app\\node_modules\\x\\i.js')).toBe(false);
  });

  it('picks the nearest user frame, innermost first, and null when there is none', () => {
    const f = (url: string, line: number): StackFrame => ({ functionName: 'f', url, line, column: 1 });
    const stack = [f('node:events', 1), f(LIB, 2), f(APP, 3), f(APP, 4)];
    expect(userFrame(stack)).toBe(stack[2]);
    expect(userFrame(stack.slice(0, 2))).toBeNull();
    expect(userFrame(stack, (url) => url === LIB)).toBe(stack[1]);
  });

  it('formats a frame as path:line:column (function)', () => {
    expect(formatFrame({ functionName: 'auth', url: 'file:///app/a.js', line: 10, column: 5 })).toBe(
      '/app/a.js:10:5 (auth)',
    );
    expect(formatFrame({ functionName: 'Map', url: '', line: 0, column: 0 })).toBe('Map (built-in)');
  });
});

describe('flattenProfile', () => {
  it('lists each stack holding live bytes, innermost frame first, 1-based positions, largest first', () => {
    const sites = flattenProfile(profile(1000, 3000, 500));
    expect(sites.map((s) => s.bytes)).toEqual([3000, 1000, 500]);
    const listener = sites[0]!;
    expect(listener.frame).toEqual({
      functionName: '_addListener',
      url: 'node:events',
      line: 501,
      column: 3,
    });
    expect(listener.stack.map((f) => f.functionName)).toEqual(['_addListener', 'auth', 'main']);
    expect(listener.userFrame).toEqual({ functionName: 'auth', url: APP, line: 10, column: 5 });
    expect(listener.samples).toBe(1);
    // The dependency's own frame is not user code; the caller in the app is.
    expect(sites[2]!.userFrame?.functionName).toBe('main');
  });

  it('sums identical stacks reached through two tree nodes and counts samples', () => {
    const a = node(['leak', APP, 1, 0], 100);
    const b = node(['leak', APP, 1, 0], 50);
    const head = node(['(root)', '', -1, -1], 0, [a, b]);
    const sites = flattenProfile({
      head,
      samples: [
        { size: 100, nodeId: a.id ?? 0, ordinal: 1 },
        { size: 50, nodeId: b.id ?? 0, ordinal: 2 },
      ],
    });
    expect(sites).toHaveLength(1);
    expect(sites[0]).toMatchObject({ bytes: 150, samples: 2 });
  });

  it('applies mapFrame once per distinct frame', () => {
    const seen: string[] = [];
    const sites = flattenProfile(profile(10, 10, 10), {
      mapFrame: (f) => {
        seen.push(`${f.url}:${f.line}`);
        return f.url === APP ? { ...f, url: '/app/src/auth.ts', line: 20 } : f;
      },
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(sites.find((s) => s.frame?.functionName === 'auth')?.frame).toMatchObject({
      url: '/app/src/auth.ts',
      line: 20,
    });
  });

  it('handles a profile with no samples array and an empty tree', () => {
    expect(flattenProfile(profile(10, 0, 0, false))[0]).toMatchObject({ bytes: 10, samples: 0 });
    expect(flattenProfile({ head: node(['(root)', '', -1, -1], 0) })).toEqual([]);
  });
});

describe('growingSites', () => {
  it('reports only sites that grew, largest first, with bytes per unit', () => {
    const sites = growingSites(profile(1000, 3000, 5000), profile(201_000, 203_000, 5000), 1000);
    expect(sites.map((s) => s.growth)).toEqual([200_000, 200_000]);
    expect(sites.map((s) => s.perUnit)).toEqual([200, 200]);
    expect(sites.every((s) => s.userFrame?.functionName === 'auth')).toBe(true);
  });

  it('groups stacks sharing a user line when asked, keeping the stack that grew most', () => {
    const [site, ...rest] = growingSites(profile(1000, 3000, 5000), profile(101_000, 303_000, 5000), 1000, {
      groupBy: 'userFrame',
    });
    expect(rest).toEqual([]);
    expect(site).toMatchObject({ key: `user ${APP}:10`, growth: 400_000, perUnit: 400, bytesBefore: 4000 });
    expect(site?.frame?.functionName).toBe('_addListener');
  });

  it('groups by allocating frame', () => {
    const sites = growingSites(profile(0, 0, 0), profile(100, 300, 0), 1, { groupBy: 'frame' });
    expect(sites.map((s) => s.key)).toEqual(['frame node:events:501', `frame ${APP}:10`]);
  });

  it('filters by minimum growth, include and limit', () => {
    const before = profile(0, 0, 0);
    const after = profile(100, 300, 50);
    expect(growingSites(before, after, 1, { minGrowth: 99 }).map((s) => s.growth)).toEqual([300, 100]);
    expect(growingSites(before, after, 1, { limit: 1 }).map((s) => s.growth)).toEqual([300]);
    const notLib = growingSites(before, after, 1, { include: (s) => s.frame?.url !== LIB });
    expect(notLib.map((s) => s.growth)).toEqual([300, 100]);
  });

  it('reports no growth for identical or shrinking profiles', () => {
    expect(growingSites(profile(10, 10, 10), profile(10, 10, 10), 5)).toEqual([]);
    expect(growingSites(profile(100, 100, 100), profile(10, 10, 10), 5)).toEqual([]);
  });

  it('refuses a non-positive number of units', () => {
    expect(() => diffSites([], [], 0)).toThrow(RangeError);
    expect(() => diffSites([], [], Number.NaN)).toThrow(/units must be a positive number/);
  });
});
