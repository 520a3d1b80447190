// Where the memory goes: imports what dist/src/main.js loads, one step at a time, and prints
// RSS and heap (each after a full GC) after each step, as a table the closing note can quote.
// Run after `npm run build`:  node --expose-gc --max-semi-space-size=1 bench/import-memory.mjs
// The third-party packages come first, in the order the app pulls them in, so each row is what
// that package adds on its own; the last rows are the app's own modules on top of them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('..', import.meta.url);
const steps = [
  ['node baseline', null],
  ['reflect-metadata', 'reflect-metadata'],
  ['zod', 'zod'],
  ['yaml', 'yaml'],
  ['winston', 'winston'],
  ['typeorm', 'typeorm'],
  ['better-sqlite3', 'better-sqlite3'],
  ['pg', 'pg'],
  ['discord.js', 'discord.js'],
  ['twitter-api-v2', 'twitter-api-v2'],
  ['twitter-text', 'twitter-text'],
  ['@anthropic-ai/sdk', '@anthropic-ai/sdk'],
  ['prom-client', 'prom-client'],
  ['croner', 'croner'],
  ['src/config', new URL('dist/src/config/index.js', root).href],
  ['src/logging', new URL('dist/src/logging/index.js', root).href],
  ['src/app (everything else of ours)', new URL('dist/src/app.js', root).href],
];

// `--app`: only what dist/src/main.js imports, in its order, so the total is what the bot loads
// before it starts (lazy modules excluded); without it, every package one by one first.
const mainSteps = [
  ['node baseline', null],
  ['reflect-metadata', 'reflect-metadata'],
  ['src/app (and all it imports)', new URL('dist/src/app.js', root).href],
  ['src/config', new URL('dist/src/config/index.js', root).href],
  ['src/logging', new URL('dist/src/logging/index.js', root).href],
  ['src/process-lifecycle', new URL('dist/src/process-lifecycle.js', root).href],
];
if (process.argv.includes('--app')) steps.splice(0, steps.length, ...mainSteps);

// `--bundle`: what `node dist/src/main.js` loads since the build bundles it (scripts/bundle.mjs):
// the bundle itself, which runs main() once evaluated. With no configuration in the environment
// main() stops at the configuration check and calls process.exit(2); the exit is turned into a
// rejection here, so the process lives on to be measured with everything the bundle loads statically.
if (process.argv.includes('--bundle')) {
  steps.splice(0, steps.length, ['node baseline', null], ['dist/src/main.js (the bundle)', new URL('dist/src/main.js', root).href]);
  for (const key of Object.keys(process.env)) if (/^(DISCORD|X_|ANTHROPIC|DATABASE|ACCOUNTS)/.test(key)) delete process.env[key];
  process.exit = (code) => {
    throw new Error(`main() exited with ${code}`);
  };
  process.on('unhandledRejection', () => undefined);
  process.stderr.write = () => true;
}

const gc = globalThis.gc;
if (!gc) throw new Error('run with --expose-gc');
const mb = (bytes) => bytes / 1024 / 1024;
function sample() {
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  // Resident pages backed by files (the node binary, ICU data, native addons) vs anonymous memory.
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: usage.rss, heap: usage.heapUsed, external: usage.external, file: kb('RssFile') };
}

const rows = [];
let previous = sample();
const first = previous;
for (const [name, specifier] of steps) {
  if (specifier) await import(specifier);
  const now = sample();
  rows.push({
    step: name,
    rssMB: mb(now.rss),
    rssDeltaMB: mb(now.rss - previous.rss),
    heapDeltaMB: mb(now.heap - previous.heap),
    externalDeltaMB: mb(now.external - previous.external),
    fileDeltaMB: mb(now.file - previous.file),
  });
  previous = now;
}
const pad = (s, n) => String(s).padEnd(n);
const num = (n) => n.toFixed(1).padStart(7);
console.log(
  `${pad('step', 36)} ${'RSS'.padStart(7)} ${'ΔRSS'.padStart(7)} ${'Δheap'.padStart(7)} ${'Δext'.padStart(7)} ${'Δfile'.padStart(7)}  (MB, after GC; ${
    process.argv.slice(2).join(' ') ||
    fileURLToPath(import.meta.url)
      .split('/')
      .pop()
  })`,
);
for (const r of rows)
  console.log(`${pad(r.step, 36)} ${num(r.rssMB)} ${num(r.rssDeltaMB)} ${num(r.heapDeltaMB)} ${num(r.externalDeltaMB)} ${num(r.fileDeltaMB)}`);
console.log(
  `${pad('total imports', 36)} ${num(mb(previous.rss))} ${num(mb(previous.rss - first.rss))} ${num(mb(previous.heap - first.heap))} ${num(mb(previous.external - first.external))} ${num(mb(previous.file - first.file))}`,
);
