import { InteractionResponseType } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createDataSource, createRepositories, DatabaseBusyError } from '../../src/db/index.js';
import { useAppHarness } from '../support/app-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { holdWriteLock } from '../support/external-lock.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { z } from 'zod';
import { defineSetting, SETTINGS } from '../../src/services/settings-keys.js';

const TEST_KEY = defineSetting({ key: 'test.key', owner: 'this test', schema: z.object({ a: z.number() }) });
const K = defineSetting({ key: 'k', owner: 'this test', schema: z.number() });

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
        db.repos.settings.set(TEST_KEY, { a: 1 }, 1),
        db.repos.moderationEvents.record({ draftId: null, revision: null, actor: alice, action: 'test', outcome: 'ok', detail: null, interactionId: null }, 2),
        db.repos.drafts.create(newTweetDraft('Written while another process held the lock.'), 3),
      ]).then((result) => {
        ticksWhenWritesDone = ticks;
        return result;
      });
      // Reads do not wait for the other process's writer at all (WAL).
      expect(await db.repos.settings.get(TEST_KEY)).toBeNull();
      const [, , draft] = await writes;
      await lock.released;
      // A synchronous busy wait would have frozen the timers until the writes were done.
      expect(ticksWhenWritesDone).toBeGreaterThanOrEqual(5);
      expect(await db.repos.settings.get(TEST_KEY)).toEqual({ a: 1 });
      expect((await db.repos.drafts.findById(draft.id))?.tweets).toEqual(['Written while another process held the lock.']);
    } finally {
      clearInterval(ticker);
    }
  });

  it('GIVEN a lock held longer than the write bound WHEN a write and a transaction wait for it THEN each fails with a typed DatabaseBusyError with context, and the connection works normally afterwards', async () => {
    db = await openTempDatabase();
    const bounded = createDataSource(db.path, { writeRetry: { initialDelayMs: 10, maxDelayMs: 50, maxWaitMs: 1_000 } });
    await bounded.initialize();
    try {
      const repos = createRepositories(bounded);
      // Held well past both bounds (1 s each), even on a loaded machine.
      const lock = await holdWriteLock(db.path, 6_000);
      const single = await repos.settings.set(K, 1, 1).then(
        () => null,
        (error: unknown) => error,
      );
      expect(single).toBeInstanceOf(DatabaseBusyError);
      expect((single as DatabaseBusyError).context).toMatchObject({ code: 'SQLITE_BUSY' });
      expect((single as DatabaseBusyError).context.attempts).toBeGreaterThan(1);
      const transaction = await repos.drafts.create(newTweetDraft('Never stored.'), 2).then(
        () => null,
        (error: unknown) => error,
      );
      expect(transaction).toBeInstanceOf(DatabaseBusyError);
      expect((transaction as DatabaseBusyError).context.operation).toMatch(/BEGIN IMMEDIATE|transaction/);
      await lock.released;

      await repos.settings.set(K, 2, 3);
      const draft = await repos.drafts.create(newTweetDraft('Stored after the lock.'), 4);
      expect(await repos.settings.get(K)).toBe(2);
      expect((await repos.drafts.findById(draft.id))?.status).toBe('pending');
      expect(await repos.drafts.countByStatus()).toMatchObject({ pending: 1 });
    } finally {
      await bounded.destroy();
    }
  });
});

describe('item 7: through the real app, while another process holds the database', () => {
  const harness = useAppHarness();

  async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 25_000): Promise<T> {
    const started = Date.now();
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() - started > timeoutMs) throw new Error('until: timed out');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('GIVEN an external process holding a write transaction for 10 s WHEN Approve, Reject and a slash command arrive THEN each is acknowledged within 3 s, every decision lands after the lock is released, and every scheduler job runs again', async () => {
    const fakes = harness.fakes;
    const testApp = await harness.start();
    const { app, clock } = testApp;
    const driver = new ModerationDriver(fakes, testApp);
    const approveCard = await driver.postDraft('A bonding curve prices each buy a little higher than the last. Know where you buy on it.');
    const rejectCard = await driver.postDraft('Your seed phrase is the only key to your funds. No support agent will ever ask for it.');
    const openReject = harness.track(driver.click(rejectCard, 'reject', rejectCard.draft.id, 1));
    expect((await fakes.discord.waitForCallback(openReject.id)).type).toBe(InteractionResponseType.Modal);
    clock.advance(60_000);
    await app.scheduler.runDue();

    const lock = await holdWriteLock(testApp.config.storage.databasePath, 10_000);
    const interactions = [
      harness.track(driver.click(approveCard, 'approve', approveCard.draft.id, 1)),
      harness.track(driver.submit(rejectCard, 'reject-modal', rejectCard.draft.id, 1, { reason: 'not while locked' })),
      // Generation only: a pause of publishing would hold the Approve beside it (issue 13), and which lands first is a race.
      harness.track(
        fakes.discord.injectSlashCommand({ name: 'pause', options: { reason: 'maintenance', scope: 'generation' }, userId: fakes.discord.userIds.moderator }),
      ),
    ];
    // The jobs come due during the lock too: their writes wait, asynchronously.
    clock.advance(60_000);
    const jobsDuringLock = app.scheduler.runDue();
    for (const interaction of interactions) {
      await fakes.discord.waitForCallback(interaction.id, 5_000);
      expect(fakes.discord.ackLatencyMs(interaction.id)).toBeLessThan(3_000);
    }
    // Acknowledged while the lock still holds: nothing could have been written yet.
    expect(lock.child.exitCode).toBeNull();

    await lock.released;
    const during = await jobsDuringLock;
    for (const job of app.scheduler.jobs) expect(during[job.name] === null || during[job.name]?.outcome !== 'failed', job.name).toBe(true);
    await until(async () => ((await app.repos.drafts.findById(approveCard.draft.id))?.status === 'published' ? true : undefined));
    await until(async () => ((await app.repos.drafts.findById(rejectCard.draft.id))?.status === 'rejected' ? true : undefined));
    await until(async () => ((await app.repos.settings.get(SETTINGS.pause)) !== null ? true : undefined));
    // The cards show the decisions, as Discord stores them.
    await until(async () => (driver.buttons(approveCard.messageId).length === 0 ? true : undefined));

    // Every job runs again afterwards, and the scheduler is healthy.
    for (const job of app.scheduler.jobs) {
      clock.set(Math.max(clock.now(), job.nextRunAt as number));
      const record = await job.runIfDue();
      expect(record, job.name).not.toBeNull();
      expect(record?.outcome, job.name).not.toBe('failed');
    }
    expect(app.scheduler.health()).toEqual({ ok: true });
  }, 60_000);

  it('GIVEN an external process holding a write transaction WHEN moderators use /voice show|pin|forget, /topics list|reset-learning and /stats view:learning THEN each is acknowledged within 3 s, and the writes land after the lock is released (issue 15)', async () => {
    const fakes = harness.fakes;
    const testApp = await harness.start();
    const lock = await holdWriteLock(testApp.config.storage.databasePath, 5_000);
    const moderator = fakes.discord.userIds.moderator;
    const interactions = [
      // show rebuilds the learned block (a write); pin and forget audit even a refusal; reset-learning stores and audits.
      fakes.discord.injectSlashCommand({ name: 'voice', subcommand: 'show', userId: moderator }),
      fakes.discord.injectSlashCommand({ name: 'voice', subcommand: 'pin', options: { draft: 999 }, userId: moderator }),
      fakes.discord.injectSlashCommand({ name: 'voice', subcommand: 'forget', options: { note: 'n1' }, userId: moderator }),
      fakes.discord.injectSlashCommand({ name: 'topics', subcommand: 'reset-learning', userId: moderator }),
      fakes.discord.injectSlashCommand({ name: 'topics', subcommand: 'list', userId: moderator }),
      fakes.discord.injectSlashCommand({ name: 'stats', options: { view: 'learning', period: 'all' }, userId: moderator }),
    ].map((interaction) => harness.track(interaction));
    for (const interaction of interactions) {
      await fakes.discord.waitForCallback(interaction.id, 5_000);
      expect(fakes.discord.ackLatencyMs(interaction.id)).toBeLessThan(3_000);
    }
    expect(lock.child.exitCode).toBeNull();
    await lock.released;
    await until(async () => ((await testApp.app.repos.settings.get(SETTINGS.learningReset)) !== null ? true : undefined));
    await until(async () => ((await testApp.app.repos.settings.get(SETTINGS.learnedVoice)) !== null ? true : undefined));
  }, 60_000);
});
