/**
 * A parsed heap snapshot read as a graph: node fields, edges, and the breadth-first search for
 * the shortest retainer path from the GC root. The words a path is shown in are
 * retainer-path.ts's; what is grouped and compared is heap.ts's.
 */
import type { HeapSnapshot } from './snapshot';
import { holderName, type RetainerStep } from './retainer-path';

/** Internal edges by which an object holds its own growable storage (see storageSize). */
const STORAGE_EDGES = new Set(['elements', 'table', 'properties']);

/** Distance of a node the search did not reach. */
export const UNREACHED = 0xffffffff;

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

  /**
   * Bytes of the storage an object keeps beside its own cells: the backing stores its internal
   * `elements`, `table` and `properties` edges point to (an Array's elements, a Map's or Set's
   * hash table, a dictionary-mode object's properties). V8 replaces such a store by a larger one,
   * with a new id, as it fills, while the object keeps its id.
   */
  storageSize(node: number): number {
    const edges = this.s.edges;
    const internal = this.edgeTypes.indexOf('internal');
    let bytes = 0;
    const end = this.firstEdge[node + 1] as number;
    for (let e = this.firstEdge[node] as number; e < end; e += this.ef) {
      if (edges[e + this.edgeTypeField] !== internal) continue;
      if (!STORAGE_EDGES.has(this.s.strings[edges[e + this.edgeNameField] as number] ?? '')) continue;
      bytes += this.selfSize(((edges[e + this.edgeToField] as number) / this.nf) | 0);
    }
    return bytes;
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

  /**
   * Where the nearest function holding `node` is defined: the first closure on its retainer path,
   * walking out from the object (a closure's own properties and context, the function whose
   * static array keeps it). Names the package of a holder inside node_modules.
   */
  holderLocation(
    node: number,
    paths: ShortestPaths,
    maxSteps = 12,
  ): { scriptId: number; line: number; column: number } | null {
    let at = node;
    for (let i = 0; at !== 0 && i < maxSteps; i++) {
      if ((paths.via[at] as number) - 1 < 0) break;
      const holder = paths.from[at] as number;
      const loc = this.type(holder) === 'closure' ? this.location(holder) : null;
      if (loc) return loc;
      at = holder;
    }
    return null;
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
    return { holder: holderName(this.type(holder), this.name(holder)), edge, edgeType };
  }
}
