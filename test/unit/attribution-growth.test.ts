/**
 * The one attribution stack both paths share: whose frames are whose (src/attribution/frames.ts),
 * the growth test (src/attribution/growth.ts) and the source-map resolver's in-process maps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isLeakcheckStack, isLeakcheckUrl, isUserUrl } from '../../src/attribution/frames';
import { allocatedByNativeCode, significantSites } from '../../src/attribution/growth';
import type { ProfileNode, SamplingProfile } from '../../src/attribution/profile';
import { SourceMapper } from '../../src/attribution/sourcemap';

const ROOT = path.resolve(__dirname, '..', '..');
const AGENT = path.join(ROOT, 'dist', 'agent', 'agent.cjs');
const DETECT = path.join(ROOT, 'src', 'inprocess', 'detect.ts');
const APP = '/app/src/sessions.js';
const frame = (
  url: string,
  line = 1,
): { functionName: string; url: string; line: number; column: number } => ({
  functionName: 'f',
  url,
  line,
  column: 1,
});

describe('frames: whose code a frame is', () => {
  it("knows leakcheck's files in src/, dist/ and the agent's folder, as paths and file URLs", () => {
    expect(isLeakcheckUrl(AGENT)).toBe(true);
    expect(isLeakcheckUrl(pathToFileURL(DETECT).href)).toBe(true);
    expect(isLeakcheckUrl(path.join(ROOT, 'dist-action', 'index.js'))).toBe(true);
    expect(isLeakcheckUrl(path.join(ROOT, 'fixtures', 'unit', 'incident-auth.js'))).toBe(false);
    expect(isLeakcheckUrl(__filename)).toBe(false);
    expect(isLeakcheckUrl(APP)).toBe(false);
    expect(isLeakcheckUrl('node:inspector')).toBe(false);
    expect(isLeakcheckUrl('')).toBe(false);
  });

  it("does not count leakcheck's files as the user's", () => {
    expect(isUserUrl(APP)).toBe(true);
    expect(isUserUrl(__filename)).toBe(true);
    expect(isUserUrl(AGENT)).toBe(false);
    expect(isUserUrl(DETECT)).toBe(false);
  });

  it("calls a stack leakcheck's when its nearest frame outside Node is leakcheck's, or it only runs through the inspector", () => {
    // The agent serialising a reply (Node's JSON inside, the agent below it).
    expect(isLeakcheckStack([frame('node:internal/streams'), frame(AGENT), frame('node:net')])).toBe(true);
    // detectLeak's mock called by the user's function: the mock's allocation.
    expect(isLeakcheckStack([frame(DETECT), frame(APP), frame(DETECT)])).toBe(true);
    // The user's function called by detectLeak's loop: the user's allocation.
    expect(isLeakcheckStack([frame('node:events'), frame(APP), frame(DETECT)])).toBe(false);
    // The profiler session delivering its messages, no JavaScript file involved.
    expect(isLeakcheckStack([frame(''), frame('node:inspector')])).toBe(true);
    expect(isLeakcheckStack([frame(''), frame('node:events')])).toBe(false);
    expect(isLeakcheckStack([])).toBe(false);
  });
});

describe('significantSites: the one growth test', () => {
  let nextId = 1;
  const node = (url: string, line: number, selfSize: number, children: ProfileNode[] = []): ProfileNode => ({
    callFrame: { functionName: `fn${line}`, url, lineNumber: line - 1, columnNumber: 0, scriptId: '1' },
    selfSize,
    id: nextId++,
    children,
  });
  /** A profile whose leaf nodes hold the given live sample ordinals, 1 KB each. */
  function profile(leaves: Array<{ stack: Array<[string, number]>; ordinals: number[] }>): SamplingProfile {
    const head = node('', 0, 0);
    const samples: SamplingProfile['samples'] = [];
    for (const leaf of leaves) {
      let parent = head;
      const outerFirst = [...leaf.stack].reverse();
      outerFirst.forEach(([url, line], i) => {
        const last = i === outerFirst.length - 1;
        const child = node(url, line, last ? leaf.ordinals.length * 1024 : 0);
        parent.children.push(child);
        parent = child;
      });
      for (const ordinal of leaf.ordinals) samples.push({ size: 1024, nodeId: parent.id ?? 0, ordinal });
    }
    return { head, samples };
  }
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  const options = { threshold: 0, minSamples: 2 };

  it('reports a site that only gains samples, and not churn that gains and loses as many', () => {
    const leak: Array<[string, number]> = [[APP, 10]];
    const cache: Array<[string, number]> = [[APP, 20]];
    const before = profile([
      { stack: leak, ordinals: range(0, 5) },
      { stack: cache, ordinals: range(100, 40) },
    ]);
    const after = profile([
      { stack: leak, ordinals: range(0, 45) },
      // 40 replaced by 44 newer ones: +4 samples, within the noise of 84 moved.
      { stack: cache, ordinals: range(1000, 44) },
    ]);
    const sites = significantSites(before, after, 100, options);
    expect(sites.map((s) => s.userFrame?.line)).toEqual([10]);
    expect(sites[0]).toMatchObject({ samplesAdded: 40, perUnit: (40 * 1024) / 100 });
  });

  it('lists a site with no JavaScript on its stack (native code allocated it) after the sites that name code', () => {
    const leak: Array<[string, number]> = [[APP, 10]];
    // What V8 records as (V8 API): the HTTP parser's strings, say, kept by the leak.
    const native: Array<[string, number]> = [['', 5]];
    const before = profile([
      { stack: leak, ordinals: range(0, 5) },
      { stack: native, ordinals: range(100, 5) },
    ]);
    const after = profile([
      { stack: leak, ordinals: range(0, 45) },
      { stack: native, ordinals: range(100, 85) },
    ]);
    const sites = significantSites(before, after, 100, options);
    expect(sites.map((s) => [s.stack[0]?.url, s.samplesAdded])).toEqual([
      [APP, 40],
      ['', 80],
    ]);
    expect(allocatedByNativeCode(sites[1] as (typeof sites)[number])).toBe(true);
    expect(allocatedByNativeCode(sites[0] as (typeof sites)[number])).toBe(false);
  });

  it('does not take a bounded cache for a leak when its early entries were blamed on the caller (inlined)', () => {
    // Detection runs with inlining: the cache's first entries were sampled at the caller (line 30).
    // After inlining goes off, new entries are sampled at the callee (line 31, called from 30) while
    // the old ones are evicted: the callee gains 40, the caller loses 40, nothing grew.
    const caller: Array<[string, number]> = [[APP, 30]];
    const callee: Array<[string, number]> = [
      [APP, 31],
      [APP, 30],
    ];
    const before = profile([
      { stack: caller, ordinals: range(0, 40) },
      { stack: callee, ordinals: range(100, 10) },
    ]);
    const after = profile([{ stack: callee, ordinals: range(100, 50) }]);
    expect(significantSites(before, after, 100, options)).toEqual([]);
    // A leak at the callee under the same history: the caller, counted inclusively, grows too.
    const leaking = profile([
      { stack: caller, ordinals: range(0, 40) },
      { stack: callee, ordinals: range(100, 50) },
    ]);
    expect(significantSites(before, leaking, 100, options).map((s) => s.userFrame?.line)).toEqual([31]);
  });

  it('does not report a structure refilled since the first profile (a reset), and still a leak whose values are overwritten', () => {
    // 900 requests before the first profile (since the profiler started), 100 between the two: a
    // steady leak's live samples at the second are about 90% old.
    const served = { ...options, unitsBefore: 900 };
    // A per-user window map replaced every few seconds: 3 samples at the first profile (just
    // after a reset), 80 at the second (just before the next), none of them old. It gains far
    // more than it loses, so the noise test alone takes it for growth.
    const window: Array<[string, number]> = [[APP, 40]];
    // A leak that only adds.
    const audit: Array<[string, number]> = [[APP, 45]];
    // A map keyed by URL whose values are replaced on a revisit: half of the first profile's
    // samples were overwritten, the entries never revisited stay, and new URLs add more.
    const byUrl: Array<[string, number]> = [[APP, 50]];
    const before = profile([
      { stack: window, ordinals: range(0, 3) },
      { stack: audit, ordinals: range(100, 90) },
      { stack: byUrl, ordinals: range(300, 20) },
    ]);
    const after = profile([
      { stack: window, ordinals: range(1000, 80) },
      { stack: audit, ordinals: [...range(100, 90), ...range(2000, 30)] },
      { stack: byUrl, ordinals: [...range(300, 10), ...range(3000, 40)] },
    ]);
    const lines = (o: typeof options): Array<number | undefined> =>
      significantSites(before, after, 100, o)
        .map((s) => s.userFrame?.line)
        .sort();
    expect(lines(served)).toEqual([45, 50]);
    // Without the requests before the first profile the check is off (detectLeak).
    expect(lines(options)).toEqual([40, 45, 50]);
    // Fewer than five samples at the second profile are too few to judge by (a looser noise test
    // lets four through).
    const few = profile([{ stack: window, ordinals: range(1000, 4) }]);
    expect(
      significantSites(profile([]), few, 100, { ...served, z: 1 }).map((s) => s.userFrame?.line),
    ).toEqual([40]);
  });

  it("leaves out leakcheck's own allocations, and stacks without a user frame when asked", () => {
    const before = profile([]);
    const after = profile([
      { stack: [[AGENT, 5]], ordinals: range(0, 50) },
      { stack: [['/app/node_modules/lib/cache.js', 7]], ordinals: range(100, 50) },
    ]);
    const all = significantSites(before, after, 100, options);
    expect(all.map((s) => s.frame?.url)).toEqual(['/app/node_modules/lib/cache.js']);
    expect(significantSites(before, after, 100, { ...options, requireUserFrame: true })).toEqual([]);
  });

  it('applies the per-unit threshold and the fewest samples', () => {
    const before = profile([]);
    const after = profile([{ stack: [[APP, 3]], ordinals: range(0, 30) }]);
    expect(significantSites(before, after, 100, { threshold: 400, minSamples: 2 })).toHaveLength(0);
    expect(significantSites(before, after, 100, { threshold: 0, minSamples: 31 })).toHaveLength(0);
    expect(significantSites(before, after, 100, { threshold: 300, minSamples: 30 })).toHaveLength(1);
  });
});

describe('SourceMapper with the maps Node keeps (in process)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-nodemaps-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('maps a file Node loaded with an inline map, and only with nodeMaps on', async () => {
    // Each line starts a segment; the third ("AAQA": 8 lines on from the second) is original line 10.
    const map = {
      version: 3,
      sources: ['original.ts'],
      names: [],
      mappings: 'AAAA;AACA;AAQA',
    };
    const file = path.join(tmp, 'generated.js');
    fs.writeFileSync(
      file,
      [
        'exports.a = 1;',
        'exports.b = 2;',
        'exports.c = 3;',
        `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`,
      ].join('\n'),
    );
    // Loaded by Node's own require in a worker thread (jest's require keeps no Node source maps).
    const tsx = require.resolve('tsx/cjs/api');
    const sourcemap = path.join(ROOT, 'src', 'attribution', 'sourcemap.ts');
    const code = [
      `require(${JSON.stringify(tsx)}).register();`,
      `const { SourceMapper, nodeHasSourceMap } = require(${JSON.stringify(sourcemap)});`,
      `const file = ${JSON.stringify(file)};`,
      'process.setSourceMapsEnabled(true);',
      'require(file);',
      'const { parentPort } = require("node:worker_threads");',
      'parentPort.postMessage({',
      '  known: nodeHasSourceMap(file),',
      '  withNodeMaps: new SourceMapper([], { nodeMaps: true }).original(file, 3, 1),',
      '  without: new SourceMapper([]).original(file, 3, 1),',
      '});',
    ].join('\n');
    const worker = new Worker(code, { eval: true });
    try {
      const got = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(got).toEqual({
        known: true,
        withNodeMaps: { url: path.join(tmp, 'original.ts'), line: 10, column: 1 },
        without: null,
      });
    } finally {
      await worker.terminate();
    }
  });

  it('prefers the map of the exact script id when scripts share a URL', () => {
    // One segment on line 1: to original line 1 ("AAAA") or 3 ("AAEA", two lines on).
    const mapOf = (line: 1 | 3): string => {
      const mappings = line === 1 ? 'AAAA' : 'AAEA';
      return `data:application/json;base64,${Buffer.from(JSON.stringify({ version: 3, sources: ['o.ts'], names: [], mappings })).toString('base64')}`;
    };
    const url = path.join(tmp, 'shared.js');
    const mapper = new SourceMapper([
      { scriptId: '1', url, sourceMapURL: mapOf(1) },
      { scriptId: '2', url, sourceMapURL: mapOf(3) },
    ]);
    expect(mapper.original(url, 1, 1, '1')?.line).toBe(1);
    expect(mapper.original(url, 1, 1, '2')?.line).toBe(3);
  });
});
