/**
 * What a process kept between two heap snapshots of itself: the objects of the second snapshot
 * whose ids the first does not have (V8 keeps an object's id for its life within one process),
 * grouped by type and name, largest first. Used to find what leakcheck keeps per detectLeak call
 * (`bench/own-memory.ts --phase detect --snapshots <dir>` writes the snapshots at calls 10 and 50).
 *
 * Usage: npx tsx bench/heap-diff.ts <earlier.heapsnapshot> <later.heapsnapshot> [--top 40]
 */
import * as fs from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function read(file: string): Snapshot {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
}

function main(): void {
  const [earlierFile, laterFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!earlierFile || !laterFile) throw new Error('usage: heap-diff.ts <earlier> <later> [--top N]');
  const i = process.argv.indexOf('--top');
  const top = i >= 0 ? Number(process.argv[i + 1]) : 40;
  const earlier = read(earlierFile);
  const fieldsA = earlier.snapshot.meta.node_fields;
  const seen = new Set<number>();
  for (let k = 0; k < earlier.nodes.length; k += fieldsA.length) {
    seen.add(earlier.nodes[k + fieldsA.indexOf('id')] as number);
  }
  const later = read(laterFile);
  const fields = later.snapshot.meta.node_fields;
  const types = later.snapshot.meta.node_types[0];
  const [type, name, id, size] = ['type', 'name', 'id', 'self_size'].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
    number,
  ];
  const groups = new Map<string, { count: number; bytes: number }>();
  let count = 0;
  let bytes = 0;
  for (let k = 0; k < later.nodes.length; k += fields.length) {
    if (seen.has(later.nodes[k + id] as number)) continue;
    const t = types[later.nodes[k + type] as number] ?? '?';
    const n = String(later.strings[later.nodes[k + name] as number] ?? '').slice(0, 60);
    const key = `${t} :: ${n}`;
    const g = groups.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += later.nodes[k + size] as number;
    groups.set(key, g);
    count++;
    bytes += later.nodes[k + size] as number;
  }
  const lines = [`${count} objects new since the earlier snapshot, ${bytes} bytes; largest groups:`];
  for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) {
    lines.push(`${String(g.bytes).padStart(9)} B ${String(g.count).padStart(6)} × ${key}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main();
