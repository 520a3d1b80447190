import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { exponentialDelayMs } from '../domain/backoff.js';

/**
 * How writes wait for a database lock another connection holds. better-sqlite3 waits for a lock
 * synchronously (the busy timeout), which freezes the whole event loop: Discord acks, timers,
 * /healthz. So each attempt waits only briefly in SQLite, and the waiting between attempts
 * happens here, asynchronously, bounded overall.
 */
export interface WriteRetryPolicy {
  /** Wait after the first SQLITE_BUSY before trying again. */
  readonly initialDelayMs: number;
  /** No single wait between attempts is longer than this. */
  readonly maxDelayMs: number;
  /** Give up (DatabaseBusyError) once a write has waited this long. */
  readonly maxWaitMs: number;
}

/**
 * Each attempt blocks the event loop for up to the busy timeout (250 ms), so the waits between
 * attempts grow to 1 s: under a long lock the loop is free at least 80% of the time, and a
 * released lock is noticed within about a second.
 */
export const DEFAULT_WRITE_RETRY: WriteRetryPolicy = { initialDelayMs: 50, maxDelayMs: 1_000, maxWaitMs: 30_000 };

/** A write that found the database locked by another connection for longer than the policy allows. */
export class DatabaseBusyError extends Error {
  override readonly name = 'DatabaseBusyError';
  constructor(
    readonly context: { readonly operation: string; readonly attempts: number; readonly waitedMs: number; readonly code: string },
    options?: { cause?: unknown },
  ) {
    super(
      `the database stayed locked by another connection for ${Math.round(context.waitedMs)} ms (${context.attempts} attempts, ${context.code}) during ${context.operation}`,
      options,
    );
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_TIMEOUT). */
export function isBusyError(error: unknown): boolean {
  return busyCode(error) !== null;
}

function busyCode(error: unknown): string | null {
  if (!error || typeof error !== 'object') return null;
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.driverError?.code === 'string' ? e.driverError.code : null;
  return code !== null && code.startsWith('SQLITE_BUSY') ? code : null;
}

/** The parts of TypeORM's (single, shared) better-sqlite3 query runner the gate wraps. */
interface SharedQueryRunner {
  query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<unknown>;
  getStmt(query: string): Promise<{ readonly: boolean }>;
  isTransactionActive: boolean;
  transactionDepth: number;
}

interface BetterSqlite3Internals {
  createQueryRunner(): SharedQueryRunner;
  databaseConnection: { inTransaction: boolean };
}

type TransactionMethod = DataSource['manager']['transaction'];

const INSTALLED = Symbol('draftgate.writeGate');

/**
 * Serialises this process's writes on its one SQLite connection and retries them asynchronously
 * while another connection holds the lock.
 *
 * - TypeORM's better-sqlite3 driver shares ONE connection and ONE query runner for everything,
 *   so a statement issued while some transaction is open would silently join it. The gate is a
 *   process-wide mutex: a transaction (DataSource/EntityManager `transaction`) holds it from
 *   BEGIN to COMMIT, and statements from outside it wait (AsyncLocalStorage tells them apart).
 * - A transaction begins with BEGIN IMMEDIATE: it takes the write lock first, so it can never
 *   fail half way with SQLITE_BUSY or, in WAL, SQLITE_BUSY_SNAPSHOT (a read snapshot that another
 *   writer made stale, which no waiting can cure). A BEGIN that finds the lock taken is retried
 *   here; nothing has happened yet. Should SQLITE_BUSY still surface inside, the WHOLE
 *   transaction is rolled back and run again, never one statement inside an open one.
 * - A single statement outside a transaction (autocommit) is retried on its own.
 * - Reads never take the gate (WAL readers do not wait for a writer); they only wait while one
 *   of our transactions is open, so they never see its uncommitted rows.
 */
export class SqliteWriteGate {
  private readonly context = new AsyncLocalStorage<symbol>();
  private tail: Promise<void> = Promise.resolve();
  /** The transaction holding the gate, if any. */
  private owner: symbol | null = null;
  /** Set while one of our transactions is open (after BEGIN): reads wait for it. */
  private open: Promise<void> | null = null;
  private closeOpen: (() => void) | null = null;
  /** The bound of the transaction holding the gate: its BEGIN waits no longer. */
  private ownerDeadline = 0;

  constructor(
    private readonly policy: WriteRetryPolicy = DEFAULT_WRITE_RETRY,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Wraps an initialised DataSource's shared query runner and its transactions. Idempotent per runner. */
  install(dataSource: DataSource): void {
    const driver = dataSource.driver as unknown as BetterSqlite3Internals;
    const runner = driver.createQueryRunner() as SharedQueryRunner & { [INSTALLED]?: true };
    if (runner[INSTALLED]) return;
    runner[INSTALLED] = true;
    const query = runner.query.bind(runner);
    runner.query = (sql, parameters, structured) => this.query(runner, driver, query, sql, parameters, structured);
    const manager = dataSource.manager as { transaction: TransactionMethod };
    const transaction = manager.transaction.bind(dataSource.manager) as (...args: unknown[]) => Promise<unknown>;
    manager.transaction = ((...args: unknown[]) => this.transaction(runner, driver, () => transaction(...args))) as TransactionMethod;
  }

  private async query(
    runner: SharedQueryRunner,
    driver: BetterSqlite3Internals,
    query: SharedQueryRunner['query'],
    sql: string,
    parameters: unknown[] | undefined,
    structured: boolean | undefined,
  ): Promise<unknown> {
    const inOurTransaction = this.owner !== null && this.context.getStore() === this.owner;
    if (inOurTransaction) {
      if (/^\s*BEGIN\b/i.test(sql)) {
        const result = await this.withRetry('BEGIN IMMEDIATE', this.ownerDeadline, () => query('BEGIN IMMEDIATE TRANSACTION', parameters, structured));
        this.open = new Promise<void>((resolve) => (this.closeOpen = resolve));
        return result;
      }
      return query(sql, parameters, structured);
    }
    // `readonly`, not `reader`: an INSERT ... RETURNING returns rows but writes.
    if ((await runner.getStmt(sql)).readonly) {
      while (this.open) await this.open;
      return query(sql, parameters, structured);
    }
    const deadline = this.now() + this.policy.maxWaitMs;
    const release = await this.acquire();
    try {
      // Inside a transaction that is not ours (TypeORM's own, e.g. migrations) a statement is
      // not retried alone: its transaction may hold a stale snapshot.
      if (driver.databaseConnection.inTransaction) return await query(sql, parameters, structured);
      return await this.withRetry(describe(sql), deadline, () => query(sql, parameters, structured));
    } finally {
      release();
    }
  }

  private async transaction<T>(runner: SharedQueryRunner, driver: BetterSqlite3Internals, run: () => Promise<T>): Promise<T> {
    // A nested call inside our transaction becomes a savepoint, as TypeORM does it.
    if (this.owner !== null && this.context.getStore() === this.owner) return run();
    const started = this.now();
    const deadline = started + this.policy.maxWaitMs;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const release = await this.acquire();
      const token = Symbol('transaction');
      this.owner = token;
      this.ownerDeadline = deadline;
      try {
        return await this.context.run(token, run);
      } catch (error) {
        this.repair(runner, driver);
        if (!isBusyError(error) || error instanceof DatabaseBusyError) throw error;
        if (this.now() >= deadline) {
          throw new DatabaseBusyError(
            { operation: 'transaction', attempts, waitedMs: this.now() - started, code: busyCode(error) ?? 'SQLITE_BUSY' },
            { cause: error },
          );
        }
      } finally {
        this.owner = null;
        this.closeOpen?.();
        this.closeOpen = null;
        this.open = null;
        release();
      }
      await this.sleep(this.delay(attempts));
    }
  }

  /**
   * TypeORM marks a transaction active before its BEGIN runs, so a BEGIN that failed leaves the
   * shared runner believing one is open (and its rollback then drives the depth below zero).
   * Whatever happened, once the connection has no transaction the runner must agree.
   */
  private repair(runner: SharedQueryRunner, driver: BetterSqlite3Internals): void {
    if (driver.databaseConnection.inTransaction) return;
    runner.isTransactionActive = false;
    runner.transactionDepth = 0;
  }

  private async withRetry<T>(operation: string, deadline: number, attempt: () => Promise<T>): Promise<T> {
    const started = this.now();
    for (let attempts = 1; ; attempts += 1) {
      try {
        return await attempt();
      } catch (error) {
        const code = busyCode(error);
        if (code === null) throw error;
        if (this.now() >= deadline) {
          throw new DatabaseBusyError({ operation, attempts, waitedMs: this.now() - started, code }, { cause: error });
        }
        await this.sleep(Math.min(this.delay(attempts), Math.max(0, deadline - this.now())));
      }
    }
  }

  private delay(attempts: number): number {
    return exponentialDelayMs(attempts, { baseMs: this.policy.initialDelayMs, factor: 2, capMs: this.policy.maxDelayMs });
  }

  /** A FIFO mutex: resolves with the function that releases it. */
  private async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    return release;
  }
}

/** The statement's first words, for logs and errors (never its parameters). */
function describe(sql: string): string {
  return sql.trim().replace(/\s+/g, ' ').slice(0, 60);
}
