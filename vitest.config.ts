import { defineConfig } from 'vitest/config';

/**
 * Files that are SQLite by nature: they test SQLite itself (its lock, busy timeout and write
 * gate, its file backup). The postgres project leaves them out. Single SQLite-only tests inside
 * other files are skipped there with `it.skipIf(onPostgres)` (tests/support/postgres.ts).
 */
const SQLITE_ONLY = [
  // The write gate and SQLITE_BUSY: another process holding SQLite's file lock.
  'tests/integration/database-lock.test.ts',
  // SQLite's online file backup and its restore (on PostgreSQL backups are pg_dump's).
  'tests/integration/backup.test.ts',
];

/**
 * Every test file runs on both stores: `sqlite` (the embedded default) and `postgres` (one
 * embedded PostgreSQL server for the run, see tests/support/postgres-server.ts, and a database
 * per test database or app). `npx vitest run --project sqlite` runs one of them.
 */
export default defineConfig({
  test: {
    environment: 'node',
    // Integration tests start real clients against local fakes; give them room on a 2-core box.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    setupFiles: ['tests/support/setup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['tests/**/*.test.ts'], env: { DRAFTGATE_TEST_DB: 'sqlite' } },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['tests/**/*.test.ts'],
          exclude: SQLITE_ONLY,
          env: { DRAFTGATE_TEST_DB: 'postgres' },
          globalSetup: ['tests/support/postgres-server.ts'],
        },
      },
    ],
  },
});
