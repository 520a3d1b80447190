import { describe, expect, it } from 'vitest';
import { DatabaseConflictError, SerializableTransactions } from '../../src/db/postgres-transactions.js';

/** A pg error as TypeORM wraps it (QueryFailedError keeps the driver's error, and copies its code). */
const pgError = (code: string) => Object.assign(new Error(`pg error ${code}`), { driverError: { code } });

/** A manual clock for the retry loop: sleeping advances it, nothing waits for real. */
function retrier(maxWaitMs = 1_000) {
  let now = 0;
  const sleeps: number[] = [];
  const transactions = new SerializableTransactions(
    { initialDelayMs: 10, maxDelayMs: 100, maxWaitMs },
    () => now,
    async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    () => 0.5,
  );
  return { transactions, sleeps };
}

describe('SerializableTransactions', () => {
  it('GIVEN a transaction that loses a serialization race twice WHEN run THEN the whole callback runs again until it commits', async () => {
    const { transactions, sleeps } = retrier();
    let attempts = 0;
    const result = await transactions.run(async () => {
      attempts += 1;
      if (attempts === 1) throw pgError('40001');
      if (attempts === 2) throw pgError('40P01');
      return 'committed';
    });
    expect(result).toBe('committed');
    expect(attempts).toBe(3);
    // Growing waits between attempts (base 10 ms, doubling; the seeded jitter factor is 1).
    expect(sleeps).toEqual([10, 20]);
  });

  it('GIVEN any other error THEN it is thrown at once, never retried', async () => {
    const { transactions, sleeps } = retrier();
    let attempts = 0;
    await expect(
      transactions.run(async () => {
        attempts += 1;
        throw pgError('23505');
      }),
    ).rejects.toThrow('pg error 23505');
    expect(attempts).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('GIVEN conflicts that never end WHEN the bound has passed THEN a DatabaseConflictError says how long and how often, with the cause', async () => {
    const { transactions } = retrier(500);
    const error = await transactions
      .run(async () => {
        throw pgError('40001');
      }, 'decide draft')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseConflictError);
    const conflict = error as DatabaseConflictError;
    expect(conflict.context).toMatchObject({ operation: 'decide draft', code: '40001' });
    expect(conflict.context.waitedMs).toBeGreaterThanOrEqual(500);
    expect(conflict.context.attempts).toBeGreaterThan(3);
    expect(conflict.cause).toMatchObject({ driverError: { code: '40001' } });
  });
});
