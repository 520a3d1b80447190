import { afterEach, describe, expect, it } from 'vitest';
import { createDataSource, createRepositories, DatabaseBusyError } from '../../src/db/index.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { holdWriteLock } from '../support/external-lock.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const alice = { id: '100000000000000001', name: 'alice' };

describe('item 7: a lock on the database does not freeze the process', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('GIVEN another process holds a write transaction WHEN this process writes (single statements and a whole transaction) THEN the event loop keeps turning, and every write lands after the lock is released', async () => {
    db = await openTempDatabase();
    const lock = await holdWriteLock(db.path, 1_500);
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 50);
    let ticksWhenWritesDone = -1;
    try {
      const writes = Promise.all([
        db.repos.settings.set('test.key', { a: 1 }, 1),
        db.repos.moderationEvents.record({ draftId: null, revision: null, actor: alice, action: 'test', outcome: 'ok', detail: null, interactionId: null }, 2),
        db.repos.drafts.create(newTweetDraft('Written while another process held the lock.'), 3),
      ]).then((result) => {
        ticksWhenWritesDone = ticks;
        return result;
      });
      // Reads do not wait for the other process's writer at all (WAL).
      expect(await db.repos.settings.get('test.key')).toBeNull();
      const [, , draft] = await writes;
      await lock.released;
      // A synchronous busy wait would have frozen the timers until the writes were done.
      expect(ticksWhenWritesDone).toBeGreaterThanOrEqual(5);
      expect(await db.repos.settings.get('test.key')).toEqual({ a: 1 });
      expect((await db.repos.drafts.findById(draft.id))?.tweets).toEqual(['Written while another process held the lock.']);
    } finally {
      clearInterval(ticker);
    }
  });

  it('GIVEN a lock held longer than the write bound WHEN a write and a transaction wait for it THEN each fails with a typed DatabaseBusyError with context, and the connection works normally afterwards', async () => {
    db = await openTempDatabase();
    const bounded = createDataSource(db.path, { writeRetry: { initialDelayMs: 10, maxDelayMs: 50, maxWaitMs: 300 } });
    await bounded.initialize();
    try {
      const repos = createRepositories(bounded);
      const lock = await holdWriteLock(db.path, 1_500);
      const single = await repos.settings.set('k', 1, 1).then(() => null, (error: unknown) => error);
      expect(single).toBeInstanceOf(DatabaseBusyError);
      expect((single as DatabaseBusyError).context).toMatchObject({ code: 'SQLITE_BUSY' });
      expect((single as DatabaseBusyError).context.attempts).toBeGreaterThan(1);
      const transaction = await repos.drafts.create(newTweetDraft('Never stored.'), 2).then(() => null, (error: unknown) => error);
      expect(transaction).toBeInstanceOf(DatabaseBusyError);
      expect((transaction as DatabaseBusyError).context.operation).toMatch(/BEGIN IMMEDIATE|transaction/);
      await lock.released;

      await repos.settings.set('k', 2, 3);
      const draft = await repos.drafts.create(newTweetDraft('Stored after the lock.'), 4);
      expect(await repos.settings.get('k')).toBe(2);
      expect((await repos.drafts.findById(draft.id))?.status).toBe('pending');
      expect(await repos.drafts.countByStatus()).toMatchObject({ pending: 1 });
    } finally {
      await bounded.destroy();
    }
  });
});
