import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities/index.js';

/** How long a connection waits on a lock held by another connection before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Builds the TypeORM DataSource on better-sqlite3: WAL (readers never block the writer), a busy
 * timeout (a second process waits instead of failing) and foreign keys on. `synchronize` is off:
 * the schema changes only through migrations.
 */
export function createDataSource(databasePath: string): DataSource {
  if (databasePath !== ':memory:') mkdirSync(dirname(resolve(databasePath)), { recursive: true });
  return new DataSource({
    type: 'better-sqlite3',
    database: databasePath,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    enableWAL: true,
    timeout: BUSY_TIMEOUT_MS,
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      // The driver turns foreign keys on too; set it here as well so it never depends on that.
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.pragma('synchronous = NORMAL');
    },
  });
}

/** Opens the database and applies pending migrations; returns the names of those it ran. */
export async function openDatabase(databasePath: string): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = createDataSource(databasePath);
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}
