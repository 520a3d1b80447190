/** Summary statistics of a list of timings in milliseconds. */
export function summarise(samplesMs: readonly number[]): { n: number; median: number; p95: number; p99: number; max: number; mean: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, median: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, mean };
}

/** Prints one benchmark line in a fixed, grep-able format: `BENCH <name>: key=value ...`. */
export function report(name: string, figures: Record<string, number | string>, target?: string): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(3)) : v}`);
  process.stdout.write(`BENCH ${name}: ${parts.join(' ')}${target ? ` (target: ${target})` : ''}\n`);
}
