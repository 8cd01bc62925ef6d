/**
 * A streaming reader for V8 heap snapshots (`.heapsnapshot`, as `v8.writeHeapSnapshot` writes
 * them). A snapshot is one JSON object whose bulk is a few huge flat arrays (nodes, edges,
 * strings); `JSON.parse` would hold the text and a boxed number per entry at once, several times
 * the file's size. This reader tokenises the bytes in chunks straight into typed arrays, so
 * memory stays near the size of the numbers and strings themselves.
 */
import * as fs from 'node:fs';
import { SnapshotFormatError, SnapshotTokenizer, type SnapshotMeta } from './snapshot-format';

export { SnapshotFormatError, type SnapshotMeta } from './snapshot-format';

/** A parsed snapshot: flat arrays laid out as `meta` describes. */
export interface HeapSnapshot {
  meta: SnapshotMeta;
  nodeCount: number;
  edgeCount: number;
  /** `nodeCount * meta.node_fields.length` numbers. */
  nodes: Uint32Array;
  /** `edgeCount * meta.edge_fields.length` numbers; `to_node` is an offset into `nodes`. */
  edges: Uint32Array;
  strings: string[];
  /** `[object_index, script_id, line, column]` per entry (0-based line and column); may be empty. */
  locations: Uint32Array;
}

/** What to read: everything, or just the node ids (for "which objects existed then"). */
export interface ReadOptions {
  /** Stop after the nodes array and keep only node ids (much less memory and time). */
  idsOnly?: boolean;
  /** Read chunk size in bytes (default 4 MiB). */
  chunkSize?: number;
}

/**
 * Reads a heap snapshot file without holding its text.
 *
 * @param file - path of a `.heapsnapshot`
 * @param options - `idsOnly` to keep only node ids
 * @returns the snapshot's arrays (with `idsOnly`, `nodes` holds just the ids and `edges` is empty)
 * @throws SnapshotFormatError when the file is not a V8 heap snapshot
 */
export async function readHeapSnapshot(file: string, options: ReadOptions = {}): Promise<HeapSnapshot> {
  const tokenizer = new SnapshotTokenizer(Boolean(options.idsOnly));
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(options.chunkSize ?? 4 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      // The tokenizer keeps slices of unfinished strings only by copy, so the buffer is reused.
      tokenizer.feed(buffer.subarray(0, bytesRead));
      if (tokenizer.done) break;
    }
  } finally {
    await handle.close();
  }
  const meta = tokenizer.meta;
  if (!meta) throw new SnapshotFormatError(`${file}: not a V8 heap snapshot (no header)`);
  const nodes = tokenizer.out.nodes;
  if (!nodes) throw new SnapshotFormatError(`${file}: no "nodes" array`);
  const nodeFields = meta.node_fields.length;
  const nodeCount = Math.floor(nodes.length / nodeFields);
  if (options.idsOnly) {
    const idField = meta.node_fields.indexOf('id');
    if (idField < 0) throw new SnapshotFormatError(`${file}: nodes have no "id" field`);
    const ids = new Uint32Array(nodeCount);
    for (let i = 0; i < nodeCount; i++) ids[i] = nodes[i * nodeFields + idField] as number;
    return {
      meta,
      nodeCount,
      edgeCount: 0,
      nodes: ids,
      edges: new Uint32Array(0),
      strings: [],
      locations: new Uint32Array(0),
    };
  }
  const edges = tokenizer.out.edges;
  if (!edges) throw new SnapshotFormatError(`${file}: no "edges" array`);
  return {
    meta,
    nodeCount,
    edgeCount: Math.floor(edges.length / meta.edge_fields.length),
    nodes,
    edges,
    strings: tokenizer.strings,
    locations: tokenizer.out.locations ?? new Uint32Array(0),
  };
}
