import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations/index.js';
import { createDataSource } from '../../src/db/index.js';
import { spawnBuiltApp } from '../support/spawn-app.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { databaseOfEnvironment, fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/**
 * `npm run build` bundles main.ts (scripts/bundle.mjs): what the container runs is one minified
 * file, not tsc's output. What only the bundle can break is checked here on both engines: a class
 * renamed by the minifier (TypeORM records each migration under its class name), a driver or
 * package left out or not found at run time (pg and TypeORM's postgres driver on PostgreSQL).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the bundled build (issue 16 §2-3)', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  beforeEach(async () => {
    fakes = await startFakes();
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-bundle-'));
  });
  afterEach(async () => {
    // What the bundle sent to Discord, X and Anthropic is checked against ../shared/specs too.
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(specProblems).toEqual([]);
  });

  it('GIVEN a fresh database WHEN the bundle starts THEN it reaches active and records every migration under its own name, in order', async () => {
    const bundle = readFileSync(join(root, 'dist/src/main.js'), 'utf8');
    expect(bundle.split('\n', 1)[0], 'dist/src/main.js is not the bundle: run `npm run build`').toBe('// draftgate bundle (scripts/bundle.mjs)');

    const env = fakeEnvironment(fakes, dataDir, { DRY_RUN: 'true' });
    const app = spawnBuiltApp({ appDir: root, env });
    try {
      await app.waitForLog((line) => String(line['message']).startsWith('active'), 60_000);
    } finally {
      expect((await app.signal('SIGTERM')).code).toBe(0);
    }
    expect(app.logs.filter((line) => line['level'] === 'error')).toEqual([]);

    const dataSource = createDataSource(databaseOfEnvironment(env));
    await dataSource.initialize();
    try {
      const rows = (await dataSource.query('SELECT "name" FROM "migrations" ORDER BY "id"')) as Array<{ name: string }>;
      expect(rows.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    } finally {
      await dataSource.destroy();
    }
  }, 120_000);
});
