import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';

// Preloaded into the built app by bench/soak.bench.ts (with --expose-gc): on SIGUSR2, two full
// GCs, then (after SETTLE_MS, as an idle bot would be: an allocator that returns freed pages on a
// timer, as jemalloc's decay does, has given them back by then) the resident set size as one JSON
// line on stdout, where the bench reads the app's logs.
// The app itself never handles SIGUSR2; SIGUSR1 is Node's inspector signal, so not that one.
const SETTLE_MS = 2_000;
process.on('SIGUSR2', () => {
  // Compacting, as the memory-reducing GCs V8 runs on its own once the process idles are (8 s
  // after, --gc-memory-reducer-start-delay-ms): a plain forced GC leaves the old generation's
  // half-empty pages committed, and the reading would count fragmentation as growth.
  setFlagsFromString('--compact-on-every-full-gc');
  globalThis.gc();
  globalThis.gc();
  setFlagsFromString('--no-compact-on-every-full-gc');
  setTimeout(report, SETTLE_MS);
});

function report() {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  // Resident memory of files mapped in (the node binary, ICU data, SQLite's -shm) vs the process's own.
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  // V8's resident pages, all spaces, and its code space: the anonymous RSS besides them is
  // native memory (malloc: SQLite, compiler zones, buffers) and thread stacks.
  const heapPhysical = getHeapStatistics().total_physical_size;
  const codeSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'code_space')?.physical_space_size ?? 0;
  const line = {
    message: 'bench-gc-rss',
    rss,
    heapUsed,
    heapTotal,
    heapPhysical,
    codeSpace,
    external,
    rssAnon: kb('RssAnon'),
    rssFile: kb('RssFile'),
    at: Date.now(),
  };
  // BENCH_HEAP_SNAPSHOT_DIR: also a heap snapshot per reading, to compare what stayed.
  const dir = process.env['BENCH_HEAP_SNAPSHOT_DIR'];
  if (dir) line.snapshot = writeHeapSnapshot(join(dir, `soak-${line.at}.heapsnapshot`));
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
