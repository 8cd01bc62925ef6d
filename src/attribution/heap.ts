/**
 * What grew between heap snapshots, and what holds it. Three snapshots of one process: objects
 * that are new in the second (their ids were not in the first; V8 keeps ids stable within a
 * process) and still alive in the third are the candidates; they are grouped by constructor and
 * ranked by what they hold of the new objects (a leaked listener before the Map it keeps, the Map
 * before its entries), and the first groups get their shortest path from a GC root in the third
 * snapshot.
 *
 * Only the third snapshot is held whole; the first two are read for their node ids alone. The
 * graph search is heap-graph.ts's, the wording of a retainer path retainer-path.ts's.
 */
import { growingContainers, storageById, type GrowingContainer } from './containers';
import { HeapGraph, UNREACHED, type ShortestPaths } from './heap-graph';
import { describePath, trimPath, type RetainerStep } from './retainer-path';
import { readHeapSnapshot } from './snapshot';

/** Objects of one constructor that were new between snapshots 1 and 2 and alive at 3. */
export interface ObjectGroup {
  /** Constructor or kind: "Map", "Object", "(closure)", "(string)", "(array)", "system / Context". */
  name: string;
  /** How many. */
  count: number;
  /** Their summed self size in bytes. */
  selfSize: number;
  /**
   * Self size of the new objects they hold, themselves included: every new object counts for each
   * group met on its shortest path from a root while that path runs through new objects. What a
   * group holds ranks it, so the object a request leaves behind (a listener, the Map it keeps)
   * comes before the entries, strings and arrays inside it, however small its own size.
   */
  heldSize: number;
  /** Shortest path from a GC root to one of them (set for the largest groups only). */
  retainers?: RetainerStep[];
  /** The path in words, innermost holder first (set with `retainers`). */
  retainerText?: string;
  /** Where the example object's function is defined, for closures (0-based script line/column). */
  location?: { scriptId: number; line: number; column: number };
  /** Where the nearest closure on the retainer path is defined (set with `retainers`). */
  holderLocation?: { scriptId: number; line: number; column: number };
}

/** Result of comparing three snapshots. */
export interface SnapshotComparison {
  /** Objects in snapshot 2 that were not in snapshot 1. */
  newInSecond: number;
  /** Of those, how many are still alive in snapshot 3. */
  stillAlive: number;
  /** Groups by constructor, largest held size first (then self size). */
  groups: ObjectGroup[];
  /** Node counts of the three snapshots. */
  nodes: [number, number, number];
  /**
   * Objects that existed at the first snapshot and whose own storage (elements, hash table,
   * dictionary) grew by the third: one Array, Map or Set that every request adds to. Only with
   * `containers` in the options.
   */
  containers: GrownObject[];
}

/** An object whose storage grew between the first and the third snapshot, with what holds it. */
export interface GrownObject {
  /** Constructor: "Array", "Map", "Set", "Object", a class name. */
  name: string;
  /** Storage bytes at the first snapshot (0 when under 1 KiB) and at the third (summed over `objects`). */
  before: number;
  after: number;
  /**
   * How many objects: more than one when several objects of one constructor, held by the same
   * object (the entries of one Map, the elements of one array, the properties of one object),
   * grew together, each perhaps too little to count alone (a latency list per route). The path is
   * the one to the one that grew most.
   */
  objects: number;
  /** Shortest path from a GC root to the object (the one that grew most, of several). */
  retainers: RetainerStep[];
  /** The path in words, innermost holder first. */
  retainerText: string;
  /** Where the nearest closure on the retainer path is defined. */
  holderLocation?: { scriptId: number; line: number; column: number };
}

/** Options of {@link compareSnapshots}. */
export interface CompareOptions {
  /** Keep at most this many groups (default 10). */
  limit?: number;
  /** Compute retainer paths for this many of the largest groups (default 3). */
  paths?: number;
  /** Longest path kept, in steps; longer ones keep their ends (default 12). */
  maxSteps?: number;
  /** Only groups this accepts get paths (default: all); `paths` counts accepted groups. */
  pathFilter?: (group: { name: string; count: number; selfSize: number }) => boolean;
  /**
   * The first and second snapshots' ids ({@link snapshotIds}) when their reading has already
   * started (the attribution probe starts it while the target still serves); read here otherwise.
   */
  ids?: [Promise<Uint32Array> | undefined, Promise<Uint32Array> | undefined];
  /**
   * Also look for objects whose storage grew between the first and the third snapshot by at least
   * `minGrowth` bytes, alone or together with their siblings (objects of one constructor held by
   * the same object; at most `limit`, default 3). Reads the first snapshot whole.
   */
  containers?: { minGrowth: number; limit?: number };
}

/**
 * The node ids of a snapshot, sorted: all the comparison needs of the first two.
 *
 * @param file - path of a `.heapsnapshot`
 * @returns its node ids in ascending order
 * @throws SnapshotFormatError when the file is not a heap snapshot
 */
export async function snapshotIds(file: string): Promise<Uint32Array> {
  return sortedIds((await readHeapSnapshot(file, { idsOnly: true })).nodes);
}

/**
 * Compares three snapshots of one process taken in order.
 *
 * @param first - snapshot taken first
 * @param second - snapshot taken second
 * @param third - snapshot taken last
 * @param options - how many groups and paths
 * @returns the groups of objects new in `second` and alive in `third`
 * @throws SnapshotFormatError when a file is not a heap snapshot
 */
export async function compareSnapshots(
  first: string,
  second: string,
  third: string,
  options: CompareOptions = {},
): Promise<SnapshotComparison> {
  const ids1 = await (options.ids?.[0] ?? snapshotIds(first));
  const ids2 = await (options.ids?.[1] ?? snapshotIds(second));
  const fresh: number[] = [];
  for (let i = 0; i < ids2.length; i++) {
    const id = ids2[i] as number;
    if (!contains(ids1, id)) fresh.push(id);
  }
  const newIds = sortedIds(Uint32Array.from(fresh));
  // The first snapshot's storage table is all that is kept of it, before the third is read.
  const storage1 = options.containers ? storageById(new HeapGraph(await readHeapSnapshot(first))) : null;
  const snapshot = await readHeapSnapshot(third);
  const graph = new HeapGraph(snapshot);
  const result = groupNewObjects(graph, newIds, options);
  const containers =
    storage1 && options.containers
      ? describeContainers(
          graph,
          growingContainers(graph, storage1, (id) => contains(ids1, id), SIBLING_FLOOR, SIBLING_CANDIDATES),
          options.containers.minGrowth,
          options.containers.limit ?? 3,
          options.maxSteps ?? 12,
        )
      : [];
  return {
    ...result,
    containers,
    newInSecond: newIds.length,
    nodes: [ids1.length, ids2.length, graph.nodeCount],
  };
}

/**
 * Least storage growth of an object that may count with its siblings (bytes): below it, an
 * object's growth is one enlargement of a small store or none.
 */
const SIBLING_FLOOR = 8 * 1024;
/** Most growing objects grouped with their siblings (the largest growth first). */
const SIBLING_CANDIDATES = 2000;

/**
 * Groups growing objects with their siblings (same constructor, same holder on the shortest path
 * from a root, not through a named variable) and keeps the groups that grew by `minGrowth` together, largest first, each with
 * the path to its largest member.
 */
function describeContainers(
  graph: HeapGraph,
  found: GrowingContainer[],
  minGrowth: number,
  limit: number,
  maxSteps: number,
): GrownObject[] {
  if (found.length === 0) return [];
  const distances = graph.shortestPaths();
  const groups = new Map<
    string,
    { largest: GrowingContainer; before: number; after: number; objects: number }
  >();
  for (const c of found) {
    if (distances.distance[c.node] === UNREACHED) continue;
    // Variables are not siblings: two arrays in two variables of one scope stay apart.
    const last = graph.pathTo(c.node, distances).at(-1);
    const named = last && (last.edgeType === 'context' || last.edgeType === 'shortcut') ? last.edge : '';
    const key = `${c.name}\0${distances.from[c.node] as number}\0${named}`;
    const g = groups.get(key);
    // `found` comes largest growth first: the first member of a group is its largest.
    if (!g) groups.set(key, { largest: c, before: c.before, after: c.after, objects: 1 });
    else {
      g.before += c.before;
      g.after += c.after;
      g.objects++;
    }
  }
  return [...groups.values()]
    .filter((g) => g.after - g.before >= minGrowth)
    .sort((a, b) => b.after - b.before - (a.after - a.before))
    .slice(0, limit)
    .map((g) => {
      const c = g.largest;
      const steps = graph.pathTo(c.node, distances);
      const holder = graph.holderLocation(c.node, distances);
      return {
        name: c.name,
        before: g.before,
        after: g.after,
        objects: g.objects,
        retainers: trimPath(steps, maxSteps),
        retainerText: describePath(c.name, steps),
        ...(holder ? { holderLocation: holder } : {}),
      };
    });
}

/**
 * Groups the nodes of `graph` whose ids are in `newIds` and gives the largest groups their
 * retainer paths.
 *
 * @param graph - the last snapshot
 * @param newIds - sorted ids of the objects that are new
 * @param options - how many groups and paths
 * @returns groups and the count still alive
 */
export function groupNewObjects(
  graph: HeapGraph,
  newIds: Uint32Array,
  options: CompareOptions = {},
): { stillAlive: number; groups: ObjectGroup[] } {
  type Group = { count: number; selfSize: number; heldSize: number; members: number[] };
  const byName = new Map<string, Group>();
  // The group of each new, grouped node (undefined for every other node).
  const groupOf: (Group | undefined)[] = new Array<Group | undefined>(graph.nodeCount);
  const fresh: number[] = [];
  for (let node = 0; node < graph.nodeCount; node++) {
    if (!contains(newIds, graph.id(node))) continue;
    const name = graph.className(node);
    if (name === null) continue;
    fresh.push(node);
    let g = byName.get(name);
    if (!g) {
      g = { count: 0, selfSize: 0, heldSize: 0, members: [] };
      byName.set(name, g);
    }
    groupOf[node] = g;
    g.count++;
    g.selfSize += graph.selfSize(node);
    // Enough members to find a short path without holding every index of a huge group.
    if (g.members.length < 4096) g.members.push(node);
  }
  const stillAlive = fresh.length;
  const distances: ShortestPaths | null = stillAlive > 0 ? graph.shortestPaths() : null;
  if (distances) holdings(graph, fresh, groupOf, distances);
  const ranked = [...byName.entries()]
    .sort((a, b) => b[1].heldSize - a[1].heldSize || b[1].selfSize - a[1].selfSize || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.limit ?? 10);
  const withPaths = options.paths ?? 3;
  const groups: ObjectGroup[] = [];
  let pathsGiven = 0;
  for (const [name, g] of ranked) {
    const group: ObjectGroup = { name, count: g.count, selfSize: g.selfSize, heldSize: g.heldSize };
    if (distances && pathsGiven < withPaths && (options.pathFilter?.(group) ?? true)) {
      pathsGiven++;
      const best = typicalMember(graph, g.members, distances);
      if (best >= 0) {
        const steps = graph.pathTo(best, distances);
        group.retainers = trimPath(steps, options.maxSteps ?? 12);
        group.retainerText = describePath(name, steps);
        const loc = graph.location(best);
        if (loc) group.location = loc;
        const holder = graph.holderLocation(best, distances);
        if (holder) group.holderLocation = holder;
      }
    }
    groups.push(group);
  }
  return { stillAlive, groups };
}

/** Longest run of new objects followed towards the root from one new object. */
const MAX_HOLDING_DEPTH = 64;

/**
 * Adds each new object's self size to the held size of its own group and of every other group
 * met on its shortest path from a root while that path runs through new objects (each group once
 * per object), so a group's held size is what it keeps alive of what is new.
 */
function holdings(
  graph: HeapGraph,
  fresh: readonly number[],
  groupOf: readonly ({ heldSize: number } | undefined)[],
  paths: ShortestPaths,
): void {
  const met: { heldSize: number }[] = [];
  for (const node of fresh) {
    const size = graph.selfSize(node);
    met.length = 0;
    let at: number = node;
    for (let depth = 0; depth < MAX_HOLDING_DEPTH; depth++) {
      const g = groupOf[at];
      if (!g) break;
      if (!met.includes(g)) {
        met.push(g);
        g.heldSize += size;
      }
      if (at === 0 || (paths.via[at] as number) === 0) break;
      at = paths.from[at] as number;
    }
  }
}

/**
 * The member whose path is most typical of its group: paths of up to 200 members are reduced to
 * their shape (names kept, indexes and repeats dropped), and the nearest member of the most
 * common shape wins. The single nearest member is often an outlier held by a debugger handle or
 * an in-flight request.
 */
function typicalMember(graph: HeapGraph, members: readonly number[], paths: ShortestPaths): number {
  const reachable = members.filter((m) => paths.distance[m] !== UNREACHED);
  if (reachable.length === 0) return -1;
  const stride = Math.max(1, Math.floor(reachable.length / 200));
  const shapes = new Map<string, { count: number; best: number }>();
  for (let i = 0; i < reachable.length; i += stride) {
    const m = reachable[i] as number;
    const shape = pathShape(graph.pathTo(m, paths));
    const entry = shapes.get(shape);
    if (!entry) shapes.set(shape, { count: 1, best: m });
    else {
      entry.count++;
      if ((paths.distance[m] as number) < (paths.distance[entry.best] as number)) entry.best = m;
    }
  }
  let winner: { count: number; best: number } | undefined;
  for (const entry of shapes.values()) if (!winner || entry.count > winner.count) winner = entry;
  return winner ? winner.best : -1;
}

function pathShape(steps: readonly RetainerStep[]): string {
  const parts: string[] = [];
  for (const s of steps) {
    const part = `${s.holder}|${s.edgeType}|${s.edgeType === 'element' || s.edgeType === 'hidden' ? '#' : s.edge}`;
    if (parts[parts.length - 1] !== part) parts.push(part);
  }
  return parts.join('>');
}

function sortedIds(ids: Uint32Array): Uint32Array {
  return ids.sort();
}

function contains(sorted: Uint32Array, id: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid] as number;
    if (v === id) return true;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
