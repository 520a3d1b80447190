import { readFileSync } from 'node:fs';

// Compares two V8 heap snapshots (e.g. the soak bench's, SOAK_ENV='{"BENCH_HEAP_SNAPSHOT_DIR":"/tmp/x"}'),
// grouped by V8 node type and constructor name: what grew between them, by size and by count.
// Usage: node --max-old-space-size=4000 bench/support/heap-diff.mjs before.heapsnapshot after.heapsnapshot [rows]
// Strings are one group (their text would make every one its own); closures are grouped as "fn".

function groups(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const { nodes, strings } = snapshot;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const byGroup = new Map();
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]];
    let name = strings[nodes[i + nameAt]];
    if (type.endsWith('string')) name = '';
    else if (type === 'closure') name = 'fn';
    else name = name.slice(0, 50);
    const key = `${type} | ${name}`;
    const group = byGroup.get(key) ?? { count: 0, bytes: 0 };
    group.count += 1;
    group.bytes += nodes[i + sizeAt];
    byGroup.set(key, group);
  }
  return byGroup;
}

const [beforeFile, afterFile, rowsArg] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: heap-diff.mjs before.heapsnapshot after.heapsnapshot [rows]');
  process.exit(2);
}
const before = groups(beforeFile);
const after = groups(afterFile);
const rows = [...new Set([...before.keys(), ...after.keys()])].map((key) => {
  const a = before.get(key) ?? { count: 0, bytes: 0 };
  const b = after.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: b.count - a.count, kb: (b.bytes - a.bytes) / 1024, total: b.count, totalKb: b.bytes / 1024 };
});
const limit = Number(rowsArg ?? 30);
const print = (title, sorted) => {
  console.log(`${title}\n  Δcount      ΔKB    count  totalKB  type | name`);
  for (const r of sorted.slice(0, limit))
    console.log(`${String(r.count).padStart(8)} ${r.kb.toFixed(1).padStart(8)} ${String(r.total).padStart(8)} ${r.totalKb.toFixed(0).padStart(8)}  ${r.key}`);
};
print(
  'by size',
  [...rows].sort((p, q) => Math.abs(q.kb) - Math.abs(p.kb)),
);
print(
  'by count',
  [...rows].sort((p, q) => Math.abs(q.count) - Math.abs(p.count)),
);
