/**
 * The streaming heap-snapshot reader and the three-snapshot comparison: hand-made snapshots with
 * a known graph, and real ones written by a child process with a planted EventEmitter leak.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readHeapSnapshot, SnapshotFormatError } from '../../src/attribution/snapshot';
import { compareSnapshots } from '../../src/attribution/heap';
import { HeapGraph } from '../../src/attribution/heap-graph';
import { describePath, trimPath, type RetainerStep } from '../../src/attribution/retainer-path';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'leakcheck-snap-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const META = {
  node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
  node_types: [
    ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'],
    'string',
    'number',
    'number',
    'number',
    'number',
    'number',
  ],
  edge_fields: ['type', 'name_or_index', 'to_node'],
  edge_types: [
    ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'],
    'string_or_number',
    'node',
  ],
  location_fields: ['object_index', 'script_id', 'line', 'column'],
};
const T = { hidden: 0, array: 1, object: 3, closure: 5, synthetic: 9 };
const E = { context: 0, element: 1, property: 2, internal: 3, weak: 6 };

interface FakeNode {
  type: number;
  name: string;
  id: number;
  size: number;
  edges: Array<[number, string | number, number]>;
}

/** Writes a snapshot in V8's layout: `to_node` is an offset into the nodes array. */
function writeSnapshot(file: string, nodes: FakeNode[], locations: number[] = []): void {
  const strings: string[] = [];
  const str = (s: string): number => {
    const i = strings.indexOf(s);
    if (i >= 0) return i;
    strings.push(s);
    return strings.length - 1;
  };
  const flatNodes: number[] = [];
  const flatEdges: number[] = [];
  for (const n of nodes) {
    flatNodes.push(n.type, str(n.name), n.id, n.size, n.edges.length, 0, 0);
    for (const [type, name, to] of n.edges) {
      flatEdges.push(type, typeof name === 'number' ? name : str(name), to * META.node_fields.length);
    }
  }
  const text =
    `{"snapshot":{"meta":${JSON.stringify(META)},"node_count":${nodes.length},"edge_count":${flatEdges.length / 3},"trace_function_count":0},\n` +
    `"nodes":[${flatNodes.join(',')}],\n"edges":[${flatEdges.join(',')}],\n"trace_function_infos":[],\n"trace_tree":[],\n` +
    `"samples":[],\n"locations":[${locations.join(',')}],\n"strings":[${strings.map((s) => JSON.stringify(s)).join(',\n')}]}`;
  fs.writeFileSync(file, text);
}

/**
 * root → bus (EventEmitter) → _events → 'config-changed' array → closures → contexts → Maps.
 * `leaked` lists the ids of the closures (each with its own context and Map).
 */
function leakGraph(leaked: number[]): FakeNode[] {
  const nodes: FakeNode[] = [
    { type: T.synthetic, name: '', id: 1, size: 0, edges: [] },
    { type: T.hidden, name: 'system / Context', id: 3, size: 40, edges: [] },
    { type: T.object, name: 'EventEmitter', id: 5, size: 64, edges: [] },
    { type: T.object, name: 'Object', id: 7, size: 32, edges: [] },
    { type: T.array, name: '', id: 9, size: 16, edges: [] },
  ];
  (nodes[0] as FakeNode).edges.push([E.element, 1, 1]);
  (nodes[1] as FakeNode).edges.push([E.context, 'bus', 2]);
  (nodes[2] as FakeNode).edges.push([E.property, '_events', 3]);
  (nodes[3] as FakeNode).edges.push([E.property, 'config-changed', 4]);
  leaked.forEach((id, i) => {
    const closure = nodes.length;
    nodes.push({ type: T.closure, name: '', id, size: 56, edges: [[E.internal, 'context', closure + 1]] });
    nodes.push({
      type: T.hidden,
      name: 'system / Context',
      id: id + 1000,
      size: 40,
      edges: [[E.context, 'session', closure + 2]],
    });
    nodes.push({ type: T.object, name: 'Map', id: id + 2000, size: 32, edges: [] });
    (nodes[4] as FakeNode).edges.push([E.element, i, closure]);
  });
  return nodes;
}

describe('readHeapSnapshot', () => {
  test('reads every array exactly, whatever the chunk size', async () => {
    const file = path.join(tmp, 'escapes.heapsnapshot');
    const nodes = leakGraph([101, 103]);
    nodes.push({ type: T.object, name: 'quote " back \\ é 😀 \n tab\t', id: 999, size: 8, edges: [] });
    writeSnapshot(file, nodes);
    const expected = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      nodes: number[];
      edges: number[];
      strings: string[];
    };
    for (const chunkSize of [1, 2, 3, 7, 64, 1 << 20]) {
      const s = await readHeapSnapshot(file, { chunkSize });
      expect(Array.from(s.nodes)).toEqual(expected.nodes);
      expect(Array.from(s.edges)).toEqual(expected.edges);
      expect(s.strings).toEqual(expected.strings);
      expect(s.nodeCount).toBe(nodes.length);
      const ids = await readHeapSnapshot(file, { chunkSize, idsOnly: true });
      expect(Array.from(ids.nodes)).toEqual(nodes.map((n) => n.id));
    }
  });

  test('a file that is not a snapshot is refused with a clear error', async () => {
    const file = path.join(tmp, 'not.heapsnapshot');
    fs.writeFileSync(file, '{"hello": [1, 2, 3]}');
    await expect(readHeapSnapshot(file)).rejects.toThrow(SnapshotFormatError);
    fs.writeFileSync(file, `{"snapshot":{"meta":${JSON.stringify(META)},"node_count":1},\n"nodes":[1,x]}`);
    await expect(readHeapSnapshot(file)).rejects.toThrow(/unexpected character 'x' in "nodes"/);
  });

  test('matches JSON.parse on a real snapshot written by V8', async () => {
    const file = path.join(tmp, 'real.heapsnapshot');
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
    const expected = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      nodes: number[];
      edges: number[];
      strings: string[];
      locations: number[];
    };
    const s = await readHeapSnapshot(file, { chunkSize: 65_536 });
    expect(s.nodes.length).toBe(expected.nodes.length);
    expect(s.nodes.every((v, i) => v === expected.nodes[i])).toBe(true);
    expect(s.edges.every((v, i) => v === expected.edges[i])).toBe(true);
    expect(s.locations.length).toBe(expected.locations.length);
    expect(s.strings).toEqual(expected.strings);
  });
});

describe('compareSnapshots', () => {
  test('objects new in the second and alive in the third are grouped, with their retainer path', async () => {
    const files = [1, 2, 3].map((i) => path.join(tmp, `g${i}.heapsnapshot`));
    // 101 existed from the start; 103 and 105 arrive before the second; 107 only in the third.
    writeSnapshot(files[0] as string, leakGraph([101]));
    writeSnapshot(files[1] as string, leakGraph([101, 103, 105]));
    const third = leakGraph([101, 103, 105, 107]);
    writeSnapshot(files[2] as string, third, [5 * 7, 42, 23, 27]);
    const result = await compareSnapshots(files[0] as string, files[1] as string, files[2] as string, {
      paths: 10,
    });
    expect(result.newInSecond).toBe(6);
    expect(result.stillAlive).toBe(6);
    const byName = Object.fromEntries(result.groups.map((g) => [g.name, g]));
    expect(byName.Map?.count).toBe(2);
    expect(byName.Map?.selfSize).toBe(64);
    expect(byName['(closure)']?.count).toBe(2);
    expect(byName['system / Context']?.count).toBe(2);
    expect(byName.Map?.retainerText).toMatch(
      /^Map retained by bus\._events\['config-changed'\]\[[12]\] \(closure context\)\.session$/,
    );
    expect(byName.Map?.retainers?.map((s) => s.edge)).toEqual([
      '1',
      'bus',
      '_events',
      'config-changed',
      expect.stringMatching(/^[12]$/),
      'context',
      'session',
    ]);
  });

  test('objects that died before the third snapshot are not counted', async () => {
    const files = [1, 2, 3].map((i) => path.join(tmp, `d${i}.heapsnapshot`));
    writeSnapshot(files[0] as string, leakGraph([]));
    writeSnapshot(files[1] as string, leakGraph([103, 105]));
    writeSnapshot(files[2] as string, leakGraph([]));
    const result = await compareSnapshots(files[0] as string, files[1] as string, files[2] as string);
    expect(result.newInSecond).toBe(6);
    expect(result.stillAlive).toBe(0);
    expect(result.groups).toEqual([]);
  });

  test('weak edges do not count as retaining', async () => {
    const file = path.join(tmp, 'weak.heapsnapshot');
    const nodes: FakeNode[] = [
      {
        type: T.synthetic,
        name: '',
        id: 1,
        size: 0,
        edges: [
          [E.weak, 'cache', 1],
          [E.element, 1, 2],
        ],
      },
      { type: T.object, name: 'Map', id: 3, size: 32, edges: [] },
      { type: T.hidden, name: 'system / Context', id: 5, size: 40, edges: [[E.context, 'strong', 1]] },
    ];
    writeSnapshot(file, nodes);
    const graph = new HeapGraph(await readHeapSnapshot(file));
    const paths = graph.shortestPaths();
    expect(graph.pathTo(1, paths).map((s) => s.edge)).toEqual(['1', 'strong']);
  });

  test('a real process: listeners that are never removed, found by constructor and path', async () => {
    const script = `
      const v8 = require('v8');
      const { EventEmitter } = require('events');
      const bus = new EventEmitter();
      bus.setMaxListeners(0);
      function handle(i) {
        const session = new Map([['user', 'u' + i]]);
        bus.on('config-changed', () => session.clear());
      }
      let n = 0;
      const dir = process.argv[1];
      for (const step of [1, 2, 3]) {
        for (let i = 0; i < 500; i++) handle(n++);
        v8.writeHeapSnapshot(dir + '/r' + step + '.heapsnapshot');
      }`;
    execFileSync(process.execPath, ['-e', script, tmp]);
    const result = await compareSnapshots(
      path.join(tmp, 'r1.heapsnapshot'),
      path.join(tmp, 'r2.heapsnapshot'),
      path.join(tmp, 'r3.heapsnapshot'),
      { limit: 20, paths: 20 },
    );
    const map = result.groups.find((g) => g.name === 'Map');
    expect(map?.count).toBe(500);
    expect(map?.retainerText).toMatch(
      /^Map retained by bus\._events\['config-changed'\]\[\d+\] \(closure context\)\.session$/,
    );
    // The nearest function holding the Map: the listener whose context keeps it (line 8).
    expect(map?.holderLocation?.line).toBe(7);
    const closure = result.groups.find((g) => g.name === '(closure)');
    expect(closure?.count).toBe(500);
    // Ranked by what they hold of the new objects: the listener, its context, the Map it keeps,
    // then what is inside the Map, however large (its table, the strings).
    expect(result.groups.slice(0, 3).map((g) => g.name)).toEqual(['(closure)', 'system / Context', 'Map']);
    expect(closure?.heldSize).toBeGreaterThanOrEqual((closure?.selfSize ?? 0) + (map?.selfSize ?? 0));
    // The closure's own location: line 8 of the script (0-based 7).
    expect(closure?.location?.line).toBe(7);
  });
});

describe('describePath', () => {
  const step = (holder: string, edgeType: string, edge: string): RetainerStep => ({ holder, edgeType, edge });

  test('a linked list collapses to a count', () => {
    const steps = [
      step('(GC roots)', 'element', '1'),
      step('system / Context', 'context', 'head'),
      ...Array.from({ length: 50 }, () => step('Object', 'property', 'next')),
    ];
    expect(describePath('Object', steps)).toBe('Object retained by head.next…(×50)');
  });

  test('without a variable on the path the holders are listed', () => {
    const steps = [step('(GC roots)', 'element', '13'), step('(Global handles)', 'internal', '4 / x')];
    expect(describePath('Object', steps)).toBe(
      'Object retained by (Global handles) (internal 4 / x) ← (GC roots)[13]',
    );
  });

  test('a global variable starts the expression at globalThis', () => {
    const steps = [
      step('(synthetic)', 'shortcut', '2'),
      step('global', 'property', 'sessions'),
      step('Map', 'internal', 'table'),
      step('(array)', 'element', '17'),
    ];
    expect(describePath('Object', steps)).toBe('Object retained by globalThis.sessions (entries)[17]');
  });

  test('property names that are not identifiers are quoted, quotes escaped', () => {
    const steps = [step('system / Context', 'context', 'cache'), step('Object', 'property', "it's")];
    expect(describePath('Map', steps)).toBe("Map retained by cache['it\\'s']");
  });

  test('long paths keep both ends', () => {
    const steps = Array.from({ length: 30 }, (_, i) => step(`H${i}`, 'property', `p${i}`));
    const trimmed = trimPath(steps, 12);
    expect(trimmed).toHaveLength(13);
    expect(trimmed[0]?.holder).toBe('H0');
    expect(trimmed[4]).toEqual({ holder: '…', edge: '18 more', edgeType: 'elided' });
    expect(trimmed.at(-1)?.holder).toBe('H29');
  });
});
