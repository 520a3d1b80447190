import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createRepositories, openDatabase, type DatabaseTarget, type Repositories } from '../../src/db/index.js';
import { createTestDatabase, onPostgres } from './postgres.js';

export interface TempDatabase {
  /** The SQLite file. Meaningful on SQLite only (on PostgreSQL a path that does not exist): use `target` to open it again. */
  readonly path: string;
  readonly dir: string;
  /** What to open for a second connection to the same database (createDataSource, openDatabase). */
  readonly target: DatabaseTarget;
  readonly engine: DatabaseTarget['engine'];
  readonly dataSource: DataSource;
  readonly repos: Repositories;
  close(): Promise<void>;
}

/**
 * A real database, migrated with the real migrations: a SQLite file in a fresh temp dir, or with
 * DRAFTGATE_TEST_DB=postgres a fresh database on the suite's PostgreSQL server (dropped on close).
 */
export async function openTempDatabase(): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'draftgate-db-'));
  const path = join(dir, 'test.sqlite');
  // On PostgreSQL a copy of the migrated template: openDatabase then finds nothing to run.
  const database = onPostgres ? await createTestDatabase({ migrated: true }) : null;
  const target: DatabaseTarget = database ? { engine: 'postgres', url: database.url } : { engine: 'sqlite', path };
  const { dataSource } = await openDatabase(target);
  return {
    path,
    dir,
    target,
    engine: target.engine,
    dataSource,
    repos: createRepositories(dataSource),
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
