import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities/index.js';
import { DEFAULT_WRITE_RETRY, SqliteWriteGate, type WriteRetryPolicy } from './write-gate.js';

/**
 * How long one attempt waits in SQLite on a lock held by another connection before SQLITE_BUSY.
 * better-sqlite3 waits synchronously, freezing the event loop for that long, so it is short; the
 * write gate retries asynchronously (see write-gate.ts) for up to 30 s in all.
 */
export const BUSY_TIMEOUT_MS = 250;

/** A DataSource whose writes go through a {@link SqliteWriteGate} from the moment it is initialised. */
class GatedDataSource extends DataSource {
  constructor(
    options: ConstructorParameters<typeof DataSource>[0],
    private readonly gate: SqliteWriteGate,
  ) {
    super(options);
  }

  override async initialize(): Promise<this> {
    await super.initialize();
    this.gate.install(this);
    return this;
  }
}

/**
 * Builds the TypeORM DataSource on better-sqlite3: WAL (readers never block the writer), a short
 * busy timeout with asynchronous retries of writes (the write gate), and foreign keys on.
 * `synchronize` is off: the schema changes only through migrations.
 */
export function createDataSource(databasePath: string, options: { writeRetry?: WriteRetryPolicy } = {}): DataSource {
  if (databasePath !== ':memory:') mkdirSync(dirname(resolve(databasePath)), { recursive: true });
  return new GatedDataSource(
    {
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
    },
    new SqliteWriteGate(options.writeRetry ?? DEFAULT_WRITE_RETRY),
  );
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
