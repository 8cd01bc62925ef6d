/**
 * What grew between heap snapshots, and what holds it. Three snapshots of one process: objects
 * that are new in the second (their ids were not in the first; V8 keeps ids stable within a
 * process) and still alive in the third are the candidates; they are grouped by constructor, and
 * the largest groups get their shortest path from a GC root in the third snapshot.
 *
 * Only the third snapshot is held whole; the first two are read for their node ids alone.
 */
import { readHeapSnapshot, type HeapSnapshot } from './snapshot';

/** One step of a retainer path, from the root towards the object. */
export interface RetainerStep {
  /** The holder's kind and name, e.g. "EventEmitter", "(closure) auth", "(context)". */
  holder: string;
  /** How it holds the next one: property name, `[index]`, context variable, internal slot. */
  edge: string;
  /** Edge kind as V8 names it (property, element, context, internal, hidden, shortcut). */
  edgeType: string;
}

/** Objects of one constructor that were new between snapshots 1 and 2 and alive at 3. */
export interface ObjectGroup {
  /** Constructor or kind: "Map", "Object", "(closure)", "(string)", "(array)", "system / Context". */
  name: string;
  /** How many. */
  count: number;
  /** Their summed self size in bytes. */
  selfSize: number;
  /** Shortest path from a GC root to one of them (set for the largest groups only). */
  retainers?: RetainerStep[];
  /** The path in words, innermost holder first (set with `retainers`). */
  retainerText?: string;
  /** Where the example object's function is defined, for closures (0-based script line/column). */
  location?: { scriptId: number; line: number; column: number };
}

/** Result of comparing three snapshots. */
export interface SnapshotComparison {
  /** Objects in snapshot 2 that were not in snapshot 1. */
  newInSecond: number;
  /** Of those, how many are still alive in snapshot 3. */
  stillAlive: number;
  /** Groups by constructor, largest total self size first. */
  groups: ObjectGroup[];
  /** Node counts of the three snapshots. */
  nodes: [number, number, number];
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
  const ids1 = sortedIds((await readHeapSnapshot(first, { idsOnly: true })).nodes);
  const s2 = await readHeapSnapshot(second, { idsOnly: true });
  const ids2 = s2.nodes;
  const fresh: number[] = [];
  for (let i = 0; i < ids2.length; i++) {
    const id = ids2[i] as number;
    if (!contains(ids1, id)) fresh.push(id);
  }
  const newIds = sortedIds(Uint32Array.from(fresh));
  const snapshot = await readHeapSnapshot(third);
  const graph = new HeapGraph(snapshot);
  const result = groupNewObjects(graph, newIds, options);
  return { ...result, newInSecond: newIds.length, nodes: [ids1.length, ids2.length, graph.nodeCount] };
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
  const byName = new Map<string, { count: number; selfSize: number; members: number[] }>();
  let stillAlive = 0;
  for (let node = 0; node < graph.nodeCount; node++) {
    if (!contains(newIds, graph.id(node))) continue;
    const name = graph.className(node);
    if (name === null) continue;
    stillAlive++;
    let g = byName.get(name);
    if (!g) {
      g = { count: 0, selfSize: 0, members: [] };
      byName.set(name, g);
    }
    g.count++;
    g.selfSize += graph.selfSize(node);
    // Enough members to find a short path without holding every index of a huge group.
    if (g.members.length < 4096) g.members.push(node);
  }
  const ranked = [...byName.entries()]
    .sort((a, b) => b[1].selfSize - a[1].selfSize || (a[0] < b[0] ? -1 : 1))
    .slice(0, options.limit ?? 10);
  const withPaths = options.paths ?? 3;
  const groups: ObjectGroup[] = [];
  let distances: ShortestPaths | null = null;
  let pathsGiven = 0;
  for (const [name, g] of ranked) {
    const group: ObjectGroup = { name, count: g.count, selfSize: g.selfSize };
    if (pathsGiven < withPaths && (options.pathFilter?.(group) ?? true)) {
      pathsGiven++;
      distances ??= graph.shortestPaths();
      const best = typicalMember(graph, g.members, distances);
      if (best >= 0) {
        const steps = graph.pathTo(best, distances);
        group.retainers = trimPath(steps, options.maxSteps ?? 12);
        group.retainerText = describePath(name, steps);
        const loc = graph.location(best);
        if (loc) group.location = loc;
      }
    }
    groups.push(group);
  }
  return { stillAlive, groups };
}

const UNREACHED = 0xffffffff;

/** Breadth-first distances from the root, and the edge each node was first reached by. */
export interface ShortestPaths {
  /** Steps from the root per node, or 0xffffffff when unreachable. */
  distance: Uint32Array;
  /** Offset into `edges` of the edge that reached the node, plus one (0: none). */
  via: Uint32Array;
  /** The node each node was reached from. */
  from: Uint32Array;
}

/** Read access to a parsed snapshot as a graph. */
export class HeapGraph {
  readonly nodeCount: number;
  private readonly nf: number;
  private readonly ef: number;
  private readonly typeField: number;
  private readonly nameField: number;
  private readonly idField: number;
  private readonly sizeField: number;
  private readonly edgeCountField: number;
  private readonly edgeTypeField: number;
  private readonly edgeNameField: number;
  private readonly edgeToField: number;
  private readonly nodeTypes: string[];
  private readonly edgeTypes: string[];
  /** First edge offset (into `edges`) of each node; one extra entry at the end. */
  private readonly firstEdge: Uint32Array;
  private locationByNode: Map<number, number> | null = null;

  constructor(private readonly s: HeapSnapshot) {
    const m = s.meta;
    this.nf = m.node_fields.length;
    this.ef = m.edge_fields.length;
    this.typeField = m.node_fields.indexOf('type');
    this.nameField = m.node_fields.indexOf('name');
    this.idField = m.node_fields.indexOf('id');
    this.sizeField = m.node_fields.indexOf('self_size');
    this.edgeCountField = m.node_fields.indexOf('edge_count');
    this.edgeTypeField = m.edge_fields.indexOf('type');
    this.edgeNameField = m.edge_fields.indexOf('name_or_index');
    this.edgeToField = m.edge_fields.indexOf('to_node');
    this.nodeTypes = (m.node_types[this.typeField] as string[]) ?? [];
    this.edgeTypes = (m.edge_types[this.edgeTypeField] as string[]) ?? [];
    this.nodeCount = s.nodeCount;
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    let offset = 0;
    for (let i = 0; i < this.nodeCount; i++) {
      this.firstEdge[i] = offset;
      offset += (s.nodes[i * this.nf + this.edgeCountField] as number) * this.ef;
    }
    this.firstEdge[this.nodeCount] = offset;
  }

  /** Snapshot object id of a node (by index). */
  id(node: number): number {
    return this.s.nodes[node * this.nf + this.idField] as number;
  }

  /** V8's node type name ("object", "closure", "string"...). */
  type(node: number): string {
    return this.nodeTypes[this.s.nodes[node * this.nf + this.typeField] as number] ?? 'unknown';
  }

  /** The node's name string (constructor name, function name, string value...). */
  name(node: number): string {
    return this.s.strings[this.s.nodes[node * this.nf + this.nameField] as number] ?? '';
  }

  /** Self size in bytes. */
  selfSize(node: number): number {
    return this.s.nodes[node * this.nf + this.sizeField] as number;
  }

  /** The group a node counts in, as DevTools' summary names it; null for synthetic nodes. */
  className(node: number): string | null {
    switch (this.type(node)) {
      case 'object':
      case 'native':
        return this.name(node) || '(object)';
      case 'closure':
        return '(closure)';
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(string)';
      case 'array':
        return '(array)';
      case 'code':
        return '(compiled code)';
      case 'regexp':
        return 'RegExp';
      case 'number':
      case 'heap number':
        return '(number)';
      case 'hidden':
        return this.name(node).startsWith('system / ') ? this.name(node) : '(system)';
      case 'object shape':
        return '(object shape)';
      case 'symbol':
        return '(symbol)';
      case 'bigint':
        return '(bigint)';
      case 'synthetic':
        return null;
      default:
        return `(${this.type(node)})`;
    }
  }

  /** Where a closure's function is defined, from the snapshot's locations section. */
  location(node: number): { scriptId: number; line: number; column: number } | null {
    const locs = this.s.locations;
    if (locs.length === 0) return null;
    if (!this.locationByNode) {
      this.locationByNode = new Map();
      // Entries name the node by its offset into `nodes`.
      for (let i = 0; i + 3 < locs.length; i += 4) this.locationByNode.set(locs[i] as number, i);
    }
    const at = this.locationByNode.get(node * this.nf);
    if (at === undefined) return null;
    return {
      scriptId: this.s.locations[at + 1] as number,
      line: this.s.locations[at + 2] as number,
      column: this.s.locations[at + 3] as number,
    };
  }

  /**
   * Breadth-first search from the root over the edges that keep objects alive: weak edges are
   * skipped, shortcut edges count only from the root (they mark user globals there), and
   * descriptor-array links are skipped as DevTools does (maps may share them).
   */
  shortestPaths(): ShortestPaths {
    const n = this.nodeCount;
    const distance = new Uint32Array(n).fill(UNREACHED);
    const via = new Uint32Array(n);
    const from = new Uint32Array(n);
    const queue = new Uint32Array(n);
    let head = 0;
    let tail = 0;
    distance[0] = 0;
    queue[tail++] = 0;
    const edges = this.s.edges;
    const weak = this.edgeTypes.indexOf('weak');
    const shortcut = this.edgeTypes.indexOf('shortcut');
    while (head < tail) {
      const node = queue[head++] as number;
      const d = (distance[node] as number) + 1;
      const descriptors = this.type(node) === 'array' && this.name(node) === '(map descriptors)';
      const end = this.firstEdge[node + 1] as number;
      for (let e = this.firstEdge[node] as number; e < end; e += this.ef) {
        const type = edges[e + this.edgeTypeField] as number;
        if (type === weak) continue;
        if (type === shortcut && node !== 0) continue;
        if (descriptors) {
          const index = edges[e + this.edgeNameField] as number;
          if (!(index < 2 || index % 3 !== 1)) continue;
        }
        const to = ((edges[e + this.edgeToField] as number) / this.nf) | 0;
        if (distance[to] !== UNREACHED) continue;
        distance[to] = d;
        via[to] = e + 1;
        from[to] = node;
        queue[tail++] = to;
      }
    }
    return { distance, via, from };
  }

  /** The retainer path from the root to `node`, root side first. */
  pathTo(node: number, paths: ShortestPaths): RetainerStep[] {
    const steps: RetainerStep[] = [];
    let at = node;
    // Bounded by the node count: every step moves one level closer to the root.
    for (let guard = 0; at !== 0 && guard < this.nodeCount; guard++) {
      const e = (paths.via[at] as number) - 1;
      if (e < 0) break;
      const holder = paths.from[at] as number;
      steps.push(this.step(holder, e));
      at = holder;
    }
    return steps.reverse();
  }

  private step(holder: number, e: number): RetainerStep {
    const edges = this.s.edges;
    const edgeType = this.edgeTypes[edges[e + this.edgeTypeField] as number] ?? 'unknown';
    const raw = edges[e + this.edgeNameField] as number;
    const edge =
      edgeType === 'element' || edgeType === 'hidden' ? String(raw) : (this.s.strings[raw] ?? String(raw));
    return { holder: this.describe(holder), edge, edgeType };
  }

  /** A node in a few words: "EventEmitter", "(closure) auth", "(context)", "(array)". */
  describe(node: number): string {
    const type = this.type(node);
    const name = this.name(node);
    switch (type) {
      case 'closure':
        return `(closure) ${name || '(anonymous)'}`;
      case 'hidden':
        return name === 'system / Context' ? '(context)' : name || '(system)';
      case 'array':
        return name && name !== '(object elements)' ? name : '(array)';
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(string)';
      default:
        return name || `(${type})`;
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

/**
 * Shortens a path to `maxSteps`, keeping both ends (the root side says which subsystem, the
 * object side says which variable).
 *
 * @param steps - root side first
 * @param maxSteps - longest path kept
 * @returns the path, with one "elided" step standing for the middle when it was too long
 */
export function trimPath(steps: readonly RetainerStep[], maxSteps: number): RetainerStep[] {
  if (steps.length <= maxSteps) return [...steps];
  const head = Math.ceil(maxSteps / 3);
  return [
    ...steps.slice(0, head),
    { holder: '…', edge: `${steps.length - maxSteps} more`, edgeType: 'elided' },
    ...steps.slice(steps.length - (maxSteps - head)),
  ];
}

/**
 * A retainer path in words a developer can search for, from the nearest named variable down to
 * the object: "Map retained by bus._events['config-changed'][123] (closure context).session".
 * Without a variable on the path, the holders are listed from the object outwards.
 *
 * @param name - the held object's group name
 * @param steps - root side first, as {@link HeapGraph.pathTo} returns them
 * @returns one line
 */
export function describePath(name: string, steps: readonly RetainerStep[]): string {
  if (steps.length === 0) return `${name} (a GC root)`;
  const accessor = (s: RetainerStep): string | null => {
    if (s.edgeType === 'property')
      return /^[A-Za-z_$][\w$]*$/.test(s.edge) ? `.${s.edge}` : `[${quote(s.edge)}]`;
    if (s.edgeType === 'element') return `[${s.edge}]`;
    if (s.edgeType === 'context') return `.${s.edge}`;
    if (s.edgeType === 'internal' && s.edge === 'context' && s.holder.startsWith('(closure)'))
      return ' (closure context)';
    if (s.edgeType === 'internal' && s.edge === 'table') return ' (entries)';
    if (s.edgeType === 'internal' && /^\d+$/.test(s.edge)) return `[${s.edge}]`;
    if (s.edgeType === 'internal' || s.edgeType === 'hidden') return ` (${s.edgeType} ${s.edge})`;
    return null;
  };
  // Walk back from the object while every hop reads as an accessor; the expression starts at the
  // nearest variable that has at least one property or index after it.
  let start = -1;
  let sawAccess = false;
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i] as RetainerStep;
    if (accessor(s) === null) break;
    if (s.edgeType === 'property' && isGlobal(s.holder)) {
      // A global variable: the expression starts at globalThis.
      start = i;
      break;
    }
    if (s.edgeType === 'context') {
      if (sawAccess || i === 0) {
        start = i;
        break;
      }
      start = i;
    } else if (s.edgeType === 'property' || s.edgeType === 'element') sawAccess = true;
  }
  if (start < 0) {
    const holders = [...steps]
      .reverse()
      .map((s) => `${s.holder}${accessor(s) ?? ` (${s.edgeType} ${s.edge})`}`);
    const shown = collapse(holders);
    return `${name} retained by ${shown.slice(0, 8).join(' ← ')}${shown.length > 8 ? ' ← …' : ''}`;
  }
  const first = steps[start] as RetainerStep;
  const head =
    isGlobal(first.holder) && first.edgeType === 'property'
      ? `globalThis${accessor(first) ?? ''}`
      : first.edge;
  const parts = [head, ...steps.slice(start + 1).map((s) => accessor(s) ?? '')];
  return `${name} retained by ${collapse(parts).join('')}`;
}

/** The global object, as V8 names it in Node ("global") and in browsers ("Window"). */
function isGlobal(holder: string): boolean {
  return holder === 'global' || holder === 'Window' || holder.startsWith('Window /');
}

/** Runs of the same accessor (a linked list's `.next.next...`) become one with a count. */
function collapse(parts: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parts.length;) {
    let j = i;
    while (j < parts.length && parts[j] === parts[i]) j++;
    const run = j - i;
    if (run > 3) out.push(`${parts[i] as string}…(×${run})`);
    else out.push(...parts.slice(i, j));
    i = j;
  }
  return out;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sortedIds(ids: Uint32Array): Uint32Array {
  return Uint32Array.from(ids).sort();
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
