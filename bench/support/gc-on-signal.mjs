// Preloaded into the built app by bench/soak.bench.ts (with --expose-gc): on SIGUSR2, two full
// GCs, then the resident set size as one JSON line on stdout, where the bench reads the app's logs.
// The app itself never handles SIGUSR2; SIGUSR1 is Node's inspector signal, so not that one.
process.on('SIGUSR2', () => {
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(`${JSON.stringify({ message: 'bench-gc-rss', rss, heapUsed, at: Date.now() })}\n`);
});
