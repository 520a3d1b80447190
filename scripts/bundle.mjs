// `npm run build`, second step: bundles tsc's output of src/main.ts into one minified ES module,
// written over dist/src/main.js (the path the Dockerfile's CMD, `npm start`, the process tests and
// the benches run). Why (issue 16): loading ~1,000 separate ESM files took most of the start-up,
// and V8 keeps the source of every loaded module for lazy compilation; one minified file is
// parsed faster and keeps far less source in memory. See bench/memory.md for the figures.
//
// It bundles tsc's JavaScript, not the TypeScript: tsc already emitted the decorator metadata
// (`design:type`) that TypeORM reads and that esbuild cannot emit. Everything else in dist/
// (the CLIs, healthcheck, ormconfig, migrations for the TypeORM CLI) stays tsc's output.
//
//   node scripts/bundle.mjs            (after `tsc -p tsconfig.json`; `npm run build` runs both)
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist/src');
const entry = join(outdir, 'main.js');
const chunksDir = join(outdir, 'chunks');
/** First line of the bundle: how this script (and scripts/build-if-needed.mjs) tells it from tsc's main.js. */
export const BUNDLE_MARKER = '// draftgate bundle (scripts/bundle.mjs)';

/**
 * Not bundled, loaded from node_modules at run time (the image keeps the production node_modules):
 * - native addons (a .node binary cannot be inlined): better-sqlite3, @napi-rs/canvas, and the
 *   optional accelerators discord.js and ws look for (zlib-sync, bufferutil, utf-8-validate, erlpack);
 * - the optional packages of TypeORM's other drivers, not installed here (TypeORM requires them by name
 *   only when such a driver is used), and pg-native / pg-cloudflare, optional in pg;
 * - pg, yaml and twitter-text: our code loads them lazily with createRequire (PostgreSQL only,
 *   ACCOUNTS_FILE only, first tweet check) and TypeORM loads pg with a require by variable name,
 *   which a bundler cannot follow; bundling them would load them at start for nothing.
 */
const EXTERNAL = [
  'better-sqlite3',
  '@napi-rs/canvas',
  'zlib-sync',
  'bufferutil',
  'utf-8-validate',
  'erlpack',
  'pg',
  'pg-native',
  'pg-cloudflare',
  'pg-query-stream',
  'yaml',
  'twitter-text',
  // TypeORM's optional drivers and tools (see its PlatformTools.load and package.json peerDependencies).
  '@google-cloud/spanner',
  '@sap/hana-client',
  '@sap/hana-client/*',
  'hdb-pool',
  'ioredis',
  'mongodb',
  'mssql',
  'mysql',
  'mysql2',
  'oracledb',
  'redis',
  'sql.js',
  'sqlite3',
  'typeorm-aurora-data-api-driver',
  'react-native-sqlite-storage',
  'expo-sqlite',
  '@capacitor-community/sqlite',
  '@sentry/node',
];

/**
 * Code the bot can never run, left out of the bundle (esbuild cannot tree-shake CommonJS, and
 * zod's locale namespace is re-exported as a whole). Measured in bench/memory.md.
 * - TypeORM's DriverFactory requires every driver (SQL Server, Oracle, SAP, Spanner, MySQL,
 *   Cockroach, Mongo, the mobile ones...), each with its query runner: about 420 KB minified.
 *   The bot uses better-sqlite3 and postgres only (src/db/data-source.ts); any other driver
 *   becomes a class whose constructor says so.
 * - zod's `locales` namespace (every language's error messages, about 270 KB): the bot never
 *   calls `z.config(z.locales.xx())`; English, zod's default, is imported by zod directly.
 */
const KEPT_TYPEORM_DRIVERS = new Set(['better-sqlite3', 'postgres']);
const leaveOutUnusedCode = {
  name: 'leave-out-unused-code',
  setup(b) {
    b.onResolve({ filter: /^\.\/[a-z0-9-]+\/[A-Za-z0-9]+Driver$/ }, (args) => {
      if (!args.importer.endsWith(join('typeorm', 'driver', 'DriverFactory.js'))) return undefined;
      const [, dir, name] = /^\.\/([a-z0-9-]+)\/([A-Za-z0-9]+)$/.exec(args.path);
      if (KEPT_TYPEORM_DRIVERS.has(dir)) return undefined;
      return { path: name, namespace: 'unbundled-typeorm-driver' };
    });
    b.onLoad({ filter: /.*/, namespace: 'unbundled-typeorm-driver' }, (args) => ({
      contents: `class ${args.path} { constructor() { throw new Error("TypeORM's ${args.path} is not in draftgate's bundle: only better-sqlite3 and postgres are (scripts/bundle.mjs)"); } }\nexports.${args.path} = ${args.path};\n`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!args.importer.includes(`${join('node_modules', 'zod')}`)) return undefined;
      return { path: join(args.resolveDir, '../locales'), namespace: 'zod-english-only' };
    });
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from './en.js';\n`,
      resolveDir: args.path,
      loader: 'js',
    }));
  },
};

const firstLine = readFileSync(entry, 'utf8').split('\n', 1)[0];
if (firstLine === BUNDLE_MARKER) {
  throw new Error(`${entry} is already the bundle: run \`tsc -p tsconfig.json\` first (or \`npm run build\`)`);
}
rmSync(chunksDir, { recursive: true, force: true });

const startedAt = performance.now();
const result = await build({
  entryPoints: { main: entry },
  outdir,
  // The lazy import()s (the Anthropic SDK, the chart, ...) become chunks loaded on first use.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // TypeORM records migrations by class name (`Initial1700000000000`), and the entities' table
  // names and our typed errors' names come from class names: minifying must not rename them.
  keepNames: true,
  // The CJS packages (discord.js, TypeORM, winston...) call require() for node built-ins and
  // for the externals above; in an ES module that needs a real require.
  banner: {
    js: `${BUNDLE_MARKER}\nimport { createRequire as __draftgateCreateRequire } from 'node:module';\nconst require = __draftgateCreateRequire(import.meta.url);`,
  },
  external: EXTERNAL,
  plugins: [leaveOutUnusedCode],
  // A linked map next to the bundle; node reads it only with --enable-source-maps (see the README).
  sourcemap: 'linked',
  metafile: true,
  allowOverwrite: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some CJS dependencies require() a name held in a variable (TypeORM's driver loader): those stay
  // run-time requires through the banner's require, resolved from node_modules as before.
  logOverride: { 'unsupported-require-call': 'silent', 'unsupported-dynamic-import': 'silent' },
});
writeFileSync(join(root, 'dist/bundle-meta.json'), JSON.stringify(result.metafile));

/**
 * One ES namespace object per CommonJS package, not one per importing file. For `import { X } from
 * 'discord.js'` esbuild calls its `__toESM(require_x())` helper in every importing module, and each
 * call builds a fresh object with a getter closure per export: discord.js has about a thousand
 * exports and is imported by ~20 of our files, TypeORM by a dozen, so about 2.5 MB of the idle
 * heap were identical copies (heap snapshot, bench/memory.md). A real ES module's namespace is one
 * object anyway; the getters read the module's exports live, so sharing one changes nothing.
 * The cache is checked against the export count, so a package still being loaded (a require
 * cycle) gets a fresh object as before. The helper is found by its shape; if esbuild ever emits it
 * differently the build fails here rather than silently losing the saving.
 */
const TO_ESM = /var ([\w$]+)=\(([\w$]+),([\w$]+),([\w$]+)\)=>\(\4=\2!=null\?/;
let patchedToEsm = 0;
for (const file of Object.keys(result.metafile.outputs).filter((name) => name.endsWith('.js'))) {
  const path = join(root, file);
  const code = readFileSync(path, 'utf8');
  const match = TO_ESM.exec(code);
  if (!match) continue;
  const exportAt = code.lastIndexOf('export{');
  const at = exportAt > match.index ? exportAt : code.indexOf('\n', match.index);
  const helper = match[1];
  const once =
    `var __draftgateNamespaces=new WeakMap;${helper}=(toEsm=>(mod,nodeMode)=>{` +
    `if(mod==null||typeof mod!="object"&&typeof mod!="function")return toEsm(mod,nodeMode);` +
    `const count=Object.getOwnPropertyNames(mod).length,key=nodeMode?1:0;` +
    `let seen=__draftgateNamespaces.get(mod);if(!seen)__draftgateNamespaces.set(mod,seen=[]);` +
    `const hit=seen[key];if(hit&&hit.count===count)return hit.ns;` +
    `const ns=toEsm(mod,nodeMode);seen[key]={ns,count};return ns})(${helper});`;
  writeFileSync(path, code.slice(0, at) + once + code.slice(at));
  patchedToEsm += 1;
}
// V8 keeps each loaded chunk's source as a string, in one byte a character only if every character
// is Latin-1: one curly quote in a regex literal (esbuild escapes strings but copies regexes) doubled
// the 245 KB zod chunk. Fail the build rather than silently pay for it again.
for (const file of Object.keys(result.metafile.outputs).filter((name) => name.endsWith('.js'))) {
  const wide = /[\u0100-\uffff]/.exec(readFileSync(join(root, file), 'utf8'));
  if (wide) {
    throw new Error(
      `${file} contains U+${wide[0].codePointAt(0).toString(16).toUpperCase()}: write it as a \\u escape in the source (V8 would keep the whole file in two bytes a character)`,
    );
  }
}
if (patchedToEsm === 0) throw new Error("esbuild's __toESM helper was not found in the bundle's output: update TO_ESM in scripts/bundle.mjs");

/** The package a bundled input belongs to ("ours" for dist/), so the size report reads by dependency. */
function packageOf(input) {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return input.startsWith('dist/') ? 'draftgate (ours)' : input;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const byPackage = new Map();
for (const [, output] of outputs) {
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
}
const kb = (bytes) => `${(bytes / 1024).toFixed(0).padStart(6)} KB`;
const mainOutput = outputs.find(([file]) => file.endsWith('dist/src/main.js'));
const total = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `bundle: dist/src/main.js ${kb(mainOutput?.[1].bytes ?? 0).trim()} + ${outputs.length - 1} lazy chunks ${kb(total - (mainOutput?.[1].bytes ?? 0)).trim()}, in ${Math.round(performance.now() - startedAt)} ms (metafile dist/bundle-meta.json)`,
);
const rows = [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
for (const [name, bytes] of rows.slice(0, 15)) console.log(`  ${kb(bytes)}  ${name}`);
const rest = rows.slice(15).reduce((sum, [, bytes]) => sum + bytes, 0);
if (rest > 0) console.log(`  ${kb(rest)}  ${rows.length - 15} other packages`);
