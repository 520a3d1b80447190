import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { dirname, resolve } from 'node:path';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import type { DatabaseTarget } from './database-target.js';
import { ENTITIES } from './entities/index.js';
import { engineOf } from './sql.js';
import { DEFAULT_CONFLICT_RETRY, SerializableTransactions, type ConflictRetryPolicy } from './postgres-transactions.js';
import { DEFAULT_WRITE_RETRY, SqliteWriteGate, type WriteRetryPolicy } from './write-gate.js';

export { databaseTargetOf, describeDatabaseTarget, type DatabaseTarget } from './database-target.js';

/**
 * How long one attempt waits in SQLite on a lock held by another connection before SQLITE_BUSY.
 * better-sqlite3 waits synchronously, freezing the event loop for that long, so it is short; the
 * write gate retries asynchronously (see write-gate.ts) for up to 30 s in all.
 */
export const BUSY_TIMEOUT_MS = 250;

/**
 * SQLite's page cache per connection, in KiB. better-sqlite3 builds SQLite with a 16,000 KiB
 * default, and the cache fills up to it as the database grows: a bot that runs for months would
 * hold 16 MB of pages, and in the soak bench (10,000 interactions, 500 drafts) it was most of the
 * growth after warm-up (jemalloc's live memory, bench/memory.md). A page not cached is read from
 * the operating system's file cache, which does not count against the process. The size is a
 * trade measured at a million posts (issue 16): /stats view:learning over 5 accounts, 30 days,
 * reads about 22,000 signals, p95 31 / 39 / 47 ms with 2,048 / 1,024 / 512 KiB (target 50), and
 * the soak grew 14.8 / 13.9 / 13.3 MB (target 15). The bot's other queries read a few pages each.
 */
export const SQLITE_PAGE_CACHE_KIB = 1024;

/**
 * Connections per process on PostgreSQL. The bot runs a handful of statements at a time; a small
 * pool leaves the server's connections to the other instance and to operators. At least two:
 * migrations hold one for their advisory lock while running on another.
 */
export const POSTGRES_POOL_SIZE = 5;

/**
 * The advisory lock key migrations run under on PostgreSQL (any fixed bigint; this one spells
 * "draftgt" in ASCII), so two instances starting together never run them twice.
 */
export const MIGRATION_LOCK_KEY = '28273260327364468';

/** Options of {@link createDataSource}; each applies to one engine only. */
export interface DataSourceOptions {
  /** SQLite: how writes wait for a lock another connection holds. */
  readonly writeRetry?: WriteRetryPolicy;
  /** PostgreSQL: how a transaction that lost a serialization race is run again. */
  readonly conflictRetry?: ConflictRetryPolicy;
  /** PostgreSQL: every session refuses writes (the draft CLI reads the bot's database). */
  readonly readOnly?: boolean;
}

/** A DataSource whose writes go through a {@link SqliteWriteGate} from the moment it is initialised. */
class GatedDataSource extends DataSource {
  constructor(
    options: ConstructorParameters<typeof DataSource>[0],
    private readonly gate: SqliteWriteGate,
  ) {
    super(options);
    bindIntegersAsParameters(this.driver);
  }

  override async initialize(): Promise<this> {
    await super.initialize();
    this.gate.install(this);
    return this;
  }
}

/**
 * TypeORM's SQLite driver writes every number parameter into the SQL text as a literal (better-
 * sqlite3 binds a JS number as a REAL, which would turn integer arithmetic into floating point).
 * So each id and timestamp made a new SQL text: the driver's cache of 100 prepared statements,
 * keyed by text, missed on nearly every query and was emptied by one-off texts (its hot
 * statements prepared again and again), and each text was parsed and compiled by SQLite anew.
 * A safe integer bound as a BigInt is an SQLite INTEGER, exactly what the literal was, and the
 * text stays the same from one call to the next. Other numbers keep the driver's literal.
 */
function bindIntegersAsParameters(driver: DataSource['driver']): void {
  const escape = driver.escapeQueryWithParameters.bind(driver);
  const asParameter = (value: unknown): unknown => (typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value);
  driver.escapeQueryWithParameters = (sql: string, parameters: Record<string, unknown>) => {
    const bound: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parameters ?? {})) bound[key] = Array.isArray(value) ? value.map(asParameter) : asParameter(value);
    return escape(sql, bound);
  };
}

/**
 * The PostgreSQL types the entities' SQLite types stand for. The entities declare SQLite's
 * `integer` (64-bit there) for epoch-millisecond times, which overflow PostgreSQL's 32-bit
 * `integer` in 1970; and SQLite's `real` is a double, which PostgreSQL's `real` is not. One set
 * of entities serves both engines, so the types are mapped here rather than in each entity.
 */
const POSTGRES_COLUMN_TYPES: Readonly<Record<string, string>> = { integer: 'bigint', real: 'double precision' };

/**
 * A DataSource on PostgreSQL: the entities' column types are mapped to PostgreSQL's when the
 * metadata is built (so the schema builder, and thus the "migrated schema equals the entities"
 * test, sees what the migrations create), and transactions run SERIALIZABLE with retries.
 */
class PostgresDataSource extends DataSource {
  constructor(
    options: ConstructorParameters<typeof DataSource>[0],
    private readonly transactions: SerializableTransactions,
  ) {
    super(options);
  }

  protected override async buildMetadatas(): Promise<void> {
    await super.buildMetadatas();
    for (const metadata of this.entityMetadatas) {
      for (const column of metadata.columns) {
        const mapped = typeof column.type === 'string' ? POSTGRES_COLUMN_TYPES[column.type] : undefined;
        if (mapped !== undefined) column.type = mapped as typeof column.type;
      }
    }
  }

  override async initialize(): Promise<this> {
    await super.initialize();
    this.transactions.install(this);
    return this;
  }
}

/**
 * pg, loaded on the first PostgreSQL connection only: on SQLite (the container's default) it would
 * be imported at every start for nothing, about 4 MB of resident memory and part of the start-up
 * (issue 16). TypeORM's driver requires the same module instance, so the parsers are pg's own.
 */
const requireModule = createRequire(import.meta.url);
let pgModule: typeof pg | undefined;
function pgTypes(): typeof pg.types {
  pgModule ??= requireModule('pg') as typeof pg;
  return pgModule.types;
}

/** int8 (COUNT, SUM, bigint columns) and numeric (SUM of bigint, AVG). */
const NUMERIC_TYPE_OIDS = new Set([20, 1700]);

/**
 * pg returns int8 and numeric as strings (they may exceed 2^53); the bot's values are counts and
 * epoch milliseconds, far below that, and the repositories expect numbers as on SQLite. Set on
 * this pool's clients only, never through pg's process-wide `types`, so no other pg user changes.
 */
const POSTGRES_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (NUMERIC_TYPE_OIDS.has(oid) && format !== 'binary') return (value: string) => Number(value);
    return pgTypes().getTypeParser(oid, format);
  },
};

/**
 * Builds the TypeORM DataSource for a target. `synchronize` is off on both engines: the schema
 * changes only through migrations. A plain string is a SQLite path (callers from before
 * PostgreSQL).
 * - SQLite on better-sqlite3: WAL (readers never block the writer), a short busy timeout with
 *   asynchronous retries of writes (the write gate), and foreign keys on.
 * - PostgreSQL on pg: a small pool named `draftgate` (pg_stat_activity), numbers parsed as
 *   numbers, SERIALIZABLE transactions retried on conflicts.
 */
export function createDataSource(target: DatabaseTarget | string, options: DataSourceOptions = {}): DataSource {
  const resolved: DatabaseTarget = typeof target === 'string' ? { engine: 'sqlite', path: target } : target;
  if (resolved.engine === 'postgres') {
    return new PostgresDataSource(
      {
        type: 'postgres',
        url: resolved.url,
        applicationName: 'draftgate',
        poolSize: POSTGRES_POOL_SIZE,
        extra: { types: POSTGRES_TYPES, ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}) },
        entities: ENTITIES,
        migrations: MIGRATIONS,
        migrationsRun: false,
        migrationsTransactionMode: 'each',
        synchronize: false,
      },
      new SerializableTransactions(options.conflictRetry ?? DEFAULT_CONFLICT_RETRY),
    );
  }
  const databasePath = resolved.path;
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
        db.pragma(`cache_size = -${SQLITE_PAGE_CACHE_KIB}`);
      },
    },
    new SqliteWriteGate(options.writeRetry ?? DEFAULT_WRITE_RETRY),
  );
}

/**
 * Opens the database and applies pending migrations; returns the names of those it ran. A plain
 * string is a SQLite path.
 */
export async function openDatabase(target: DatabaseTarget | string): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = createDataSource(target);
  await dataSource.initialize();
  try {
    const applied = await runMigrationsExclusively(dataSource);
    return { dataSource, applied: applied.map((m) => m.name) };
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/**
 * Runs pending migrations. On PostgreSQL two instances may start together against one server:
 * each takes a session advisory lock first (on a connection of its own, held until the
 * migrations are done), so the second waits and then finds nothing left to run. SQLite has no
 * such lock: see `runSqliteMigrations`.
 */
async function runMigrationsExclusively(dataSource: DataSource): ReturnType<DataSource['runMigrations']> {
  if (engineOf(dataSource) === 'sqlite') return runSqliteMigrations(dataSource);
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  } finally {
    await lock.release();
  }
}

/** How long a SQLite start that lost the migration race waits for the winner to finish them. */
export const SQLITE_MIGRATION_RACE_WAIT_MS = 30_000;

/**
 * Two instances on one host that start together on a file needing migrations both find them
 * pending. SQLite's file lock makes them apply the migrations one at a time, each in its own
 * transaction, so the later process fails on one the other has just applied ("table ... already
 * exists", "duplicate column"); its failed transaction is rolled back. That is a lost race, not a
 * broken migration, when nothing is left pending once the other process is done: this process
 * then opens the database the other migrated. A migration that is still pending when the wait
 * ends failed for real, and its error is thrown.
 */
async function runSqliteMigrations(dataSource: DataSource): ReturnType<DataSource['runMigrations']> {
  try {
    return await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    const deadline = performance.now() + SQLITE_MIGRATION_RACE_WAIT_MS;
    while (performance.now() < deadline) {
      try {
        if (!(await dataSource.showMigrations())) return [];
      } catch {
        // The other process may still be creating the migrations table: look again.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw error;
  }
}
