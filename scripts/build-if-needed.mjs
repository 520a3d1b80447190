// `npm start` runs this first: build (tsc, then the bundle) when dist/ is missing or older than any source.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const entry = 'dist/src/main.js';
const sources = ['src', 'commands', 'migrations', 'ormconfig.ts', 'tsconfig.json', 'package.json', 'scripts/bundle.mjs'];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

// The bundle is written last, so its time is the build's; tsc's main.js alone (a build stopped
// between the two steps) is not a build either.
const built = existsSync(entry) && existsSync('dist/bundle-meta.json') ? Math.min(statSync(entry).mtimeMs, statSync('dist/bundle-meta.json').mtimeMs) : 0;
const newest = Math.max(...sources.map(newestMtime));
if (built === 0 || newest > built) {
  console.error(built === 0 ? 'dist/ missing: building...' : 'sources changed: rebuilding...');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { stdio: 'inherit' });
}
