import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { exponentialDelayMs } from '../domain/backoff.js';

/**
 * How a PostgreSQL transaction that lost a serialization race is run again: bounded overall like
 * the SQLite write gate's retries (see write-gate.ts), with short growing waits between attempts.
 */
export interface ConflictRetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up (DatabaseConflictError) once a transaction has been retried for this long. */
  readonly maxWaitMs: number;
}

export const DEFAULT_CONFLICT_RETRY: ConflictRetryPolicy = { initialDelayMs: 5, maxDelayMs: 250, maxWaitMs: 30_000 };

/** serialization_failure and deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);

/** A transaction that kept conflicting with concurrent ones for longer than the policy allows. */
export class DatabaseConflictError extends Error {
  override readonly name = 'DatabaseConflictError';
  constructor(
    readonly context: { readonly operation: string; readonly attempts: number; readonly waitedMs: number; readonly code: string },
    options?: { cause?: unknown },
  ) {
    super(
      `a transaction kept conflicting with concurrent ones for ${Math.round(context.waitedMs)} ms (${context.attempts} attempts, SQLSTATE ${context.code}) during ${context.operation}`,
      options,
    );
  }
}

/** The SQLSTATE of a PostgreSQL error that says "run the whole transaction again", else null. */
export function retryableConflictCode(error: unknown): string | null {
  if (!error || typeof error !== 'object') return null;
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.driverError?.code === 'string' ? e.driverError.code : null;
  return code !== null && RETRYABLE_CODES.has(code) ? code : null;
}

type TransactionMethod = DataSource['manager']['transaction'];
const INSTALLED = Symbol('draftgate.serializableTransactions');

/**
 * Keeps on PostgreSQL the contract the repositories were written against on SQLite: a
 * transaction behaves as if it ran alone. SQLite gets that for free (one writer at a time, BEGIN
 * IMMEDIATE); PostgreSQL's default READ COMMITTED would let two transactions read the same row,
 * both decide, and both write. So every top-level transaction runs at SERIALIZABLE, and one that
 * PostgreSQL aborts as a serialization failure (or a deadlock) is run again from the start: it
 * re-reads and decides on what the winner committed. The callback must therefore be safe to run
 * more than once (it is: it only talks to the database through its manager).
 * Nested calls (on a transaction's own manager) are savepoints inside the outer one and are left alone.
 */
export class SerializableTransactions {
  constructor(
    private readonly policy: ConflictRetryPolicy = DEFAULT_CONFLICT_RETRY,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    /** Spreads the retries of transactions that collided, so they do not collide again in step. */
    private readonly random: () => number = Math.random,
  ) {}

  /** Wraps the DataSource's top-level `transaction` (DataSource.transaction delegates to it). Idempotent. */
  install(dataSource: DataSource): void {
    const manager = dataSource.manager as { transaction: TransactionMethod; [INSTALLED]?: true };
    if (manager[INSTALLED]) return;
    manager[INSTALLED] = true;
    const transaction = manager.transaction.bind(dataSource.manager) as (...args: unknown[]) => Promise<unknown>;
    manager.transaction = ((...args: unknown[]) => {
      // An explicit isolation level is the caller's choice; ours is the default.
      const [first, second] = args;
      const run = typeof first === 'function' ? first : second;
      const isolation = typeof first === 'string' ? first : 'SERIALIZABLE';
      return this.run(() => transaction(isolation, run));
    }) as TransactionMethod;
  }

  async run<T>(attempt: () => Promise<T>, operation = 'transaction'): Promise<T> {
    const started = this.now();
    for (let attempts = 1; ; attempts += 1) {
      try {
        return await attempt();
      } catch (error) {
        const code = retryableConflictCode(error);
        if (code === null) throw error;
        const waitedMs = this.now() - started;
        if (waitedMs >= this.policy.maxWaitMs) {
          throw new DatabaseConflictError({ operation, attempts, waitedMs, code }, { cause: error });
        }
        const delay = exponentialDelayMs(attempts, { baseMs: this.policy.initialDelayMs, factor: 2, capMs: this.policy.maxDelayMs });
        await this.sleep(Math.min(delay * (0.5 + this.random()), Math.max(0, this.policy.maxWaitMs - waitedMs)));
      }
    }
  }
}
