/**
 * One object that grows: an Array pushed to, a Map or Set added to, an object used as a
 * dictionary, on every request. Its own cells keep their size and id, so it is neither new between
 * snapshots (heap.ts's groups) nor, usually, a growing allocation site (each larger backing store
 * replaces the last: the profile gains one sample and loses one). What grows is its storage
 * (HeapGraph.storageSize): compared by the object's id between the first and the last snapshot.
 * Storage grows in steps (V8 enlarges a full store by about half), so the growth between two
 * snapshots is a step function of the true growth: it says which object grows and who holds it,
 * and its per-request figure is rough.
 */
import { HeapGraph } from './heap-graph';

/** Storage bytes of a snapshot's objects, by object id (sorted), for those holding at least a minimum. */
export interface StorageById {
  ids: Uint32Array;
  bytes: Float64Array;
}

/** An object whose storage grew between two snapshots. */
export interface GrowingContainer {
  /** Node index in the later snapshot. */
  node: number;
  /** Constructor: "Array", "Map", "Set", "Object", a class name. */
  name: string;
  /** Storage bytes in the earlier snapshot (0 when under the minimum recorded there). */
  before: number;
  /** Storage bytes in the later snapshot. */
  after: number;
}

/** Storage under this many bytes is not recorded in the earlier snapshot (read as 0 there). */
const RECORDED_FROM = 1024;

/**
 * The storage of every object in a snapshot that holds at least {@link RECORDED_FROM} bytes of it.
 *
 * @param graph - a snapshot
 * @returns storage bytes by object id
 */
export function storageById(graph: HeapGraph): StorageById {
  const found: Array<[number, number]> = [];
  for (let node = 0; node < graph.nodeCount; node++) {
    if (graph.type(node) !== 'object') continue;
    const bytes = graph.storageSize(node);
    if (bytes >= RECORDED_FROM) found.push([graph.id(node), bytes]);
  }
  found.sort((a, b) => a[0] - b[0]);
  return { ids: Uint32Array.from(found, (f) => f[0]), bytes: Float64Array.from(found, (f) => f[1]) };
}

/**
 * Objects of the later snapshot that existed in the earlier one and whose storage grew by at
 * least `minGrowth` bytes, largest growth first (heap.ts groups them with their siblings).
 *
 * @param later - the later snapshot
 * @param earlier - storage by id in the earlier snapshot ({@link storageById})
 * @param existed - whether an object id was in the earlier snapshot at all
 * @param minGrowth - fewest bytes of growth reported
 * @param limit - most objects returned
 * @returns the growing objects
 */
export function growingContainers(
  later: HeapGraph,
  earlier: StorageById,
  existed: (id: number) => boolean,
  minGrowth: number,
  limit: number,
): GrowingContainer[] {
  const out: GrowingContainer[] = [];
  for (let node = 0; node < later.nodeCount; node++) {
    if (later.type(node) !== 'object') continue;
    const after = later.storageSize(node);
    if (after < minGrowth) continue;
    const id = later.id(node);
    if (!existed(id)) continue;
    const before = lookup(earlier, id);
    if (after - before >= minGrowth) out.push({ node, name: later.name(node) || '(object)', before, after });
  }
  return out.sort((a, b) => b.after - b.before - (a.after - a.before)).slice(0, limit);
}

function lookup(table: StorageById, id: number): number {
  let lo = 0;
  let hi = table.ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = table.ids[mid] as number;
    if (v === id) return table.bytes[mid] as number;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}
