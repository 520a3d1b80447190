import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations/index.js';
import { createAllAccountsStats, createRepositories, openDatabase } from '../../src/db/index.js';
import { ENTITIES } from '../../src/db/entities/index.js';
import { queryRows } from '../../src/db/sql.js';
import { DEFAULT_ACCOUNT_ID } from '../../src/domain/account.js';
import { DEFAULT_TOPICS } from '../../src/domain/default-topics.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { onPostgres } from '../support/postgres.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { ManualClock, startFakes, startTestApp } from '../support/test-app.js';

const moderator = { id: '100000000000000001', name: 'alice' };
type Row = Record<string, unknown>;

/**
 * The migrations before Accounts1796083201000: the schema every existing database has. Only
 * SQLite files have it: PostgreSQL came later, so no PostgreSQL database predates Accounts and
 * the upgrade tests from such a file run on SQLite alone. A slice, not a filter: the migrations
 * after Accounts (InstanceLease...) need its tables.
 */
const PREVIOUS_MIGRATIONS = MIGRATIONS.slice(
  0,
  MIGRATIONS.findIndex((m) => m.name === 'Accounts1796083201000'),
);

/** A file migrated with the previous schema only, closed again. */
async function previousSchemaFile(path: string, fill: (ds: DataSource) => Promise<void>): Promise<void> {
  const ds = new DataSource({ type: 'better-sqlite3', database: path, entities: ENTITIES, migrations: PREVIOUS_MIGRATIONS, synchronize: false });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    await fill(ds);
  } finally {
    await ds.destroy();
  }
}

/** Drafts in every state the previous schema knows, with their publishing columns. */
async function fillEveryState(ds: DataSource): Promise<void> {
  const [education] = (await ds.query(`SELECT id FROM topics WHERE topic_name = 'education'`)) as Array<{ id: number }>;
  await ds.query(
    `UPDATE topics SET approvals = 4, rejections = 1, success_rate = 0.8, usage_count = 6, last_used = 900, avg_engagement = 12.5, engagement_posts = 1 WHERE id = ?`,
    [education!.id],
  );
  const draft = (id: number, status: string, extra: Record<string, unknown> = {}) => {
    const columns: Record<string, unknown> = {
      id,
      topic_id: education!.id,
      topic_name: 'education',
      content_type: 'education',
      kind: 'tweet',
      tweets: JSON.stringify([`draft ${id}`]),
      content_hash: `hash-${id}`,
      status,
      moderation_channel_id: '1200000000000000200',
      moderation_message_id: `90000000000000000${id}`,
      card_rendered_revision: 1,
      card_rendered_status: status,
      card_rendered_version: 100 + id,
      created_at: 10 * id,
      updated_at: 100 + id,
      ...(status === 'pending' ? {} : { decided_by: moderator.id, decided_by_name: moderator.name, decided_at: 50 + id, decision_source: 'moderator' }),
      ...extra,
    };
    const names = Object.keys(columns);
    return ds.query(`INSERT INTO drafts (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`, Object.values(columns));
  };
  await draft(1, 'pending', { deadline_at: 5_000 });
  await draft(2, 'approved');
  await draft(3, 'approved', {
    not_before: 7_000,
    queue_reason: 'the hourly cap',
    error_class: 'rate_limited',
    error_message: '429',
    publish_attempts: 1,
    publish_attempt_id: 'a-3',
  });
  await draft(4, 'publishing', {
    kind: 'thread',
    tweets: JSON.stringify(['one', 'two']),
    publish_attempt_id: 'a-4',
    publish_attempts: 2,
    publishing_started_at: 400,
    lease_owner: 'host:123',
    lease_expires_at: 60_400,
    posted_tweet_ids: JSON.stringify(['901']),
    tweet_id: '901',
  });
  await draft(5, 'published', {
    kind: 'thread',
    tweets: JSON.stringify(['a', 'b']),
    publish_attempt_id: 'a-5',
    publish_attempts: 1,
    publishing_started_at: 500,
    posted_tweet_ids: JSON.stringify(['911', '912']),
    tweet_id: '911',
    published_at: 510,
    x_cost_usd: 0.03,
  });
  await draft(6, 'failed', {
    publish_attempt_id: 'a-6',
    publish_attempts: 1,
    publishing_started_at: 600,
    error_class: 'forbidden',
    error_message: 'not allowed',
  });
  await draft(7, 'rejected', { reject_reason: 'off topic' });
  await draft(8, 'expired', { decision_source: 'timeout', decided_by: 'timeout', decided_by_name: 'timeout' });
  await draft(9, 'published', {
    publish_attempt_id: 'a-9',
    publish_attempts: 1,
    posted_tweet_ids: JSON.stringify(['dryrun-9-0']),
    tweet_id: 'dryrun-9-0',
    published_at: 910,
    dry_run: 1,
  });
  await ds.query(
    `INSERT INTO posts (draft_id, tweet_id, content, content_type, status, created_at, posted_at, likes, is_thread, thread_id, thread_position)
     VALUES (5, '911', 'a', 'education', 'posted', 510, 510, 7, 1, '911', 0), (5, '912', 'b', 'education', 'posted', 511, 511, 3, 1, '911', 1)`,
  );
  await ds.query(
    `INSERT INTO moderation_events (draft_id, revision, actor_id, actor_name, action, outcome, created_at) VALUES (2, 1, ?, ?, 'approve', 'applied', 52)`,
    [moderator.id, moderator.name],
  );
  await ds.query(
    `INSERT INTO generation_runs (trigger, outcome, draft_id, topic_name, attempts, input_tokens, output_tokens, started_at, finished_at) VALUES ('schedule', 'created', 1, 'education', 1, 100, 20, 5, 6)`,
  );
  await ds.query(`INSERT INTO content_fingerprints (draft_id, band_key) VALUES (1, '0:aaaa'), (2, '0:bbbb')`);
  const setting = (key: string, value: unknown) => ds.query(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, 1)`, [key, JSON.stringify(value)]);
  await setting('scheduler.pause', { by: moderator, since: 1, reason: 'launch' });
  await setting('x.rate_limit.post_tweets', { blockedUntil: 9_000 });
  await setting('scheduler.job.post', { nextRunAt: 1, slotAt: null, lastRun: null, missedWhileDown: null });
  await setting('scheduler.job.sweep', { nextRunAt: 2, slotAt: null, lastRun: null, missedWhileDown: null });
  await setting('publish.transient_failures.3', 2);
  await setting('publish.unresolved.4', true);
}

/** Every table's rows as plain objects, for before/after comparisons. */
async function snapshot(ds: DataSource): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const table of ['drafts', 'topics', 'posts', 'moderation_events', 'generation_runs', 'content_fingerprints']) {
    out[table] = (await ds.query(`SELECT * FROM ${table} ORDER BY id`)) as Row[];
  }
  // The per-draft rows come back from their publication, whose time is the draft's last change:
  // their own write time is not kept (nothing reads it).
  out['settings'] = (await ds.query(
    `SELECT key, value, CASE WHEN key LIKE 'publish.%' THEN NULL ELSE updated_at END AS updated_at FROM settings ORDER BY key`,
  )) as Row[];
  return out;
}

describe('accounts storage', () => {
  let dir: string | undefined;
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.skipIf(onPostgres)(
    'GIVEN a database of the previous schema with drafts in every state WHEN the Accounts migration runs and is reverted THEN every row is under default, each publishing state is in its publication, and the revert gives the data back intact',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-'));
      const path = join(dir, 'old.sqlite');
      let before: Record<string, Row[]> = {};
      await previousSchemaFile(path, async (ds) => {
        await fillEveryState(ds);
        before = await snapshot(ds);
      });

      const { dataSource, applied } = await openDatabase(path);
      try {
        expect(applied).toEqual([
          'Accounts1796083201000',
          'InstanceLease1796083202000',
          'PublishingCalendar1796083203000',
          'StatsRollups1796083204000',
          'DraftMedia1796083205000',
          'LearningSignals1796083206000',
          'StatsLearningIndex1796083207000',
          'StatsMonthlyRollups1796083208000',
          'StatsRecentDraftsIndex1796083209000',
        ]);
        expect(await dataSource.query(`SELECT id, active FROM accounts`)).toEqual([{ id: 'default', active: 1 }]);
        for (const table of ['drafts', 'topics', 'posts', 'moderation_events', 'generation_runs', 'content_fingerprints']) {
          const rows = (await dataSource.query(`SELECT account_id AS a, COUNT(*) AS n FROM ${table} GROUP BY account_id`)) as Array<{ a: string; n: number }>;
          expect(rows, table).toEqual([{ a: 'default', n: before[table]!.length }]);
        }
        // The draft keeps its moderation life; everything approved is `approved` on the row.
        expect(await dataSource.query(`SELECT id, status FROM drafts ORDER BY id`)).toEqual(
          ['pending', 'approved', 'approved', 'approved', 'approved', 'approved', 'rejected', 'expired', 'approved'].map((status, i) => ({
            id: i + 1,
            status,
          })),
        );
        const publications = (await dataSource.query(
          `SELECT draft_id, account_id, status, attempt_id, attempts, publishing_started_at, lease_owner, lease_expires_at, not_before, queue_reason,
                posted_tweet_ids, root_tweet_id, published_at, dry_run, cost_usd, error_class, error_message, transient_failures, unresolved
           FROM publications ORDER BY draft_id`,
        )) as Row[];
        const old = (id: number) => before['drafts']!.find((d) => d['id'] === id)!;
        expect(publications.map((p) => p['draft_id'])).toEqual([2, 3, 4, 5, 6, 9]);
        for (const p of publications) {
          const d = old(p['draft_id'] as number);
          expect(p, `draft ${d['id']}`).toEqual({
            draft_id: d['id'],
            account_id: 'default',
            status: d['status'] === 'approved' ? 'queued' : d['status'],
            attempt_id: d['publish_attempt_id'],
            attempts: d['publish_attempts'],
            publishing_started_at: d['publishing_started_at'],
            lease_owner: d['lease_owner'],
            lease_expires_at: d['lease_expires_at'],
            not_before: d['not_before'],
            queue_reason: d['queue_reason'],
            posted_tweet_ids: d['posted_tweet_ids'],
            root_tweet_id: d['tweet_id'],
            published_at: d['published_at'],
            dry_run: d['dry_run'],
            cost_usd: d['x_cost_usd'],
            error_class: d['error_class'],
            error_message: d['error_message'],
            transient_failures: d['id'] === 3 ? 2 : 0,
            unresolved: d['id'] === 4 ? 1 : 0,
          });
        }
        // Settings: the account's rows under default, the bot-wide job states NULL (the post job now default's), the per-draft rows gone.
        expect(await dataSource.query(`SELECT account_id, key FROM settings ORDER BY key`)).toEqual([
          { account_id: null, key: 'scheduler.job.post:default' },
          { account_id: null, key: 'scheduler.job.sweep' },
          { account_id: 'default', key: 'scheduler.pause' },
          { account_id: 'default', key: 'x.rate_limit.post_tweets' },
        ]);

        // What services see is what they saw before: the combined status and every publishing field.
        const repos = createRepositories(dataSource);
        for (const d of before['drafts']!) {
          const draft = await repos.drafts.findById(d['id'] as number);
          expect(draft, `draft ${d['id']}`).toMatchObject({
            accountId: DEFAULT_ACCOUNT_ID,
            status: d['status'],
            publishAttemptId: d['publish_attempt_id'],
            publishAttempts: d['publish_attempts'],
            notBefore: d['not_before'],
            queueReason: d['queue_reason'],
            postedTweetIds: JSON.parse(d['posted_tweet_ids'] as string),
            tweetId: d['tweet_id'],
            publishedAt: d['published_at'],
            dryRun: d['dry_run'] === 1,
            errorClass: d['error_class'],
            errorMessage: d['error_message'],
            xCostUsd: d['x_cost_usd'],
            updatedAt: d['updated_at'],
          });
        }
        expect(await repos.drafts.countByStatus()).toEqual({ pending: 1, approved: 2, publishing: 1, published: 2, rejected: 1, expired: 1, failed: 1 });
        expect(await repos.publications.findPublishingLeases()).toEqual([{ id: 4, owner: 'host:123', attemptId: 'a-4', expiresAt: 60_400 }]);
        expect(await repos.publications.isUnresolved(4)).toBe(true);
        expect(await repos.publications.nextQueuedAt()).toBe(0);
        expect((await repos.publications.findDueForPublishing(7_000, 10)).map((d) => d.id)).toEqual([2, 3]);
        // No card looks behind its draft: the cards of published/failed drafts showed what the publication still says.
        expect(await repos.drafts.findCardsOutOfDate(10)).toEqual([]);
        // Stored before pause scopes: it reads as a pause of everything.
        expect(await repos.settings.get(SETTINGS.pause)).toEqual({ by: moderator, since: 1, reason: 'launch', scope: 'all' });
        expect(await repos.botSettings.get(SETTINGS.jobState.for('sweep'))).toMatchObject({ nextRunAt: 2 });
        expect(await repos.topics.findByName('education')).toMatchObject({
          approvals: 4,
          rejections: 1,
          usageCount: 6,
          avgEngagement: 12.5,
          publishedCount: 1,
        });
        expect(await repos.stats.xSpendUsd(null)).toBeCloseTo(0.03);

        // migration:revert: back to the previous schema with the data as it was.
        await dataSource.undoLastMigration(); // StatsRecentDraftsIndex
        await dataSource.undoLastMigration(); // StatsMonthlyRollups
        await dataSource.undoLastMigration(); // StatsLearningIndex
        await dataSource.undoLastMigration(); // LearningSignals
        await dataSource.undoLastMigration(); // DraftMedia
        await dataSource.undoLastMigration(); // StatsRollups
        await dataSource.undoLastMigration(); // PublishingCalendar
        await dataSource.undoLastMigration(); // InstanceLease
        await dataSource.undoLastMigration();
        expect(await snapshot(dataSource)).toEqual(before);
        expect(await dataSource.query(`SELECT name FROM sqlite_master WHERE name IN ('accounts', 'publications')`)).toEqual([]);
      } finally {
        await dataSource.destroy();
      }
    },
  );

  it.skipIf(onPostgres)(
    'GIVEN a database of the previous schema with a publication a crash interrupted WHEN the bot starts on it THEN the migration runs and the draft is published exactly once',
    async () => {
      const fakes = await startFakes();
      dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-app-'));
      const clock = new ManualClock();
      const text = 'Check the bonding curve before you buy: the price moves with every purchase.';
      await previousSchemaFile(join(dir, 'draftgate.sqlite'), async (ds) => {
        // Claimed by a process that died before any POST: its lease ran out while the bot was down.
        await ds.query(
          `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, decided_by, decided_by_name, decided_at, decision_source,
                             publish_attempt_id, publish_attempts, publishing_started_at, lease_owner, lease_expires_at, created_at, updated_at)
         VALUES ('education', 'education', 'tweet', ?, 'h-crash', 'publishing', ?, ?, ?, 'moderator', 'attempt-1', 1, ?, 'crashed-process', ?, ?, ?)`,
          [
            JSON.stringify([text]),
            moderator.id,
            moderator.name,
            clock.now() - 120_000,
            clock.now() - 90_000,
            clock.now() - 30_000,
            clock.now() - 200_000,
            clock.now() - 90_000,
          ],
        );
      });
      const testApp = await startTestApp(fakes, { env: { DRY_RUN: 'false' }, dataDir: dir, clock });
      try {
        // The start-up reconciliation may already have taken it over (its lease is long expired).
        const [draft] = await testApp.app.repos.drafts.findByStatuses(['publishing', 'published']);
        expect(draft).toMatchObject({ accountId: DEFAULT_ACCOUNT_ID });
        clock.advance(60_000);
        await testApp.app.scheduler.runDue();
        await expect.poll(async () => (await testApp.app.repos.drafts.findById(draft!.id))?.status).toBe('published');
        await testApp.app.scheduler.runDue();
        expect(fakes.x.tweets.filter((t) => t.text === text)).toHaveLength(1);
        expect(await testApp.app.repos.drafts.findById(draft!.id)).toMatchObject({
          tweetId: fakes.x.tweets.find((t) => t.text === text)?.id,
          publishAttempts: 2,
        });
        expect(await testApp.app.repos.publications.findPublishingLeases()).toEqual([]);
      } finally {
        await testApp.stop();
        // Every request to Discord, X and Anthropic matches the official specs, as in every suite with fakes.
        const specProblems = await specProblemsOf(fakes);
        await fakes.stop();
        expect(specProblems).toEqual([]);
      }
    },
  );

  for (const { recorded, when } of [
    { recorded: true, when: 'posted and recorded its first tweet' },
    { recorded: false, when: 'posted its first tweet at X but never recorded it' },
  ]) {
    it.skipIf(onPostgres)(
      `GIVEN a database of the previous schema whose thread a crash interrupted after it ${when} WHEN the bot starts on it THEN the migration runs and the thread is completed exactly once, replying to the first tweet`,
      async () => {
        const fakes = await startFakes();
        dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-app-'));
        const clock = new ManualClock();
        const thread = [
          'Bonding curves, a thread: the price of a token rises with every buy.',
          'And it falls with every sell, so the last buyer pays the most.',
        ];
        // The crashed process got the root out: it is on the account's timeline, no reply under it yet.
        const root = fakes.x.seedTweet(thread[0]!);
        await previousSchemaFile(join(dir, 'draftgate.sqlite'), async (ds) => {
          await ds.query(
            `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, decided_by, decided_by_name, decided_at, decision_source,
                               publish_attempt_id, publish_attempts, publishing_started_at, lease_owner, lease_expires_at, posted_tweet_ids, tweet_id, created_at, updated_at)
           VALUES ('education', 'thread', 'thread', ?, 'h-thread-crash', 'publishing', ?, ?, ?, 'moderator', 'attempt-1', 1, ?, 'crashed-process', ?, ?, ?, ?, ?)`,
            [
              JSON.stringify(thread),
              moderator.id,
              moderator.name,
              clock.now() - 120_000,
              clock.now() - 90_000,
              clock.now() - 30_000,
              JSON.stringify(recorded ? [root.id] : []),
              recorded ? root.id : null,
              clock.now() - 200_000,
              clock.now() - 90_000,
            ],
          );
        });
        const testApp = await startTestApp(fakes, { env: { DRY_RUN: 'false' }, dataDir: dir, clock });
        try {
          const [draft] = await testApp.app.repos.drafts.findByStatuses(['publishing', 'published']);
          expect(draft).toMatchObject({ accountId: DEFAULT_ACCOUNT_ID, tweets: thread });
          clock.advance(60_000);
          await testApp.app.scheduler.runDue();
          await expect.poll(async () => (await testApp.app.repos.drafts.findById(draft!.id))?.status).toBe('published');
          await testApp.app.scheduler.runDue();
          // The root was never posted again: the reply went under the tweet already at X.
          expect(fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string }).text === thread[0])).toEqual([]);
          expect(fakes.x.tweets.filter((t) => t.text === thread[0])).toEqual([root]);
          const replies = fakes.x.tweets.filter((t) => t.text === thread[1]);
          expect(replies).toHaveLength(1);
          expect(replies[0]).toMatchObject({ inReplyToId: root.id, conversationId: root.id });
          expect(await testApp.app.repos.drafts.findById(draft!.id)).toMatchObject({ tweetId: root.id, postedTweetIds: [root.id, replies[0]!.id] });
          expect(await testApp.app.repos.publications.findPublishingLeases()).toEqual([]);
        } finally {
          await testApp.stop();
          await fakes.stop();
        }
      },
    );
  }

  it('GIVEN rows of a second account WHEN the Accounts migration is reverted THEN it refuses, naming why, and the database is left as it was', async () => {
    db = await openTempDatabase();
    const news = createRepositories(db.dataSource, undefined, 'news');
    await news.accounts.upsert({ id: 'news', xUserId: null, handle: null }, 1);
    await news.drafts.create(newTweetDraft('news only'), 2);
    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups
    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    await db.dataSource.undoLastMigration(); // LearningSignals
    await db.dataSource.undoLastMigration(); // DraftMedia
    await db.dataSource.undoLastMigration(); // StatsRollups
    await db.dataSource.undoLastMigration(); // PublishingCalendar
    await db.dataSource.undoLastMigration(); // InstanceLease
    await expect(db.dataSource.undoLastMigration()).rejects.toThrow(/accounts other than "default"/);
    expect(await db.dataSource.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`)).toEqual([{ name: 'Accounts1796083201000' }]);
    expect((await news.drafts.countByStatus()).pending).toBe(1);
    expect(await news.topics.list()).toHaveLength(DEFAULT_TOPICS.length);
  });

  it("GIVEN two accounts on one database WHEN each works through its scoped repositories THEN neither sees the other one's drafts, publications, topics, settings, pause, posts, caps or duplicates", async () => {
    db = await openTempDatabase();
    const main = createRepositories(db.dataSource, undefined, DEFAULT_ACCOUNT_ID);
    const news = createRepositories(db.dataSource, undefined, 'news');
    expect(await news.accounts.upsert({ id: 'news', xUserId: '42', handle: 'pump_news' }, 1)).toEqual({ created: true });

    // Topics: each account has its own default topics, with its own ids and statistics.
    const mainEducation = (await main.topics.findByName('education'))!;
    const newsEducation = (await news.topics.findByName('education'))!;
    expect(newsEducation.id).not.toBe(mainEducation.id);
    expect((await news.topics.list()).map((t) => t.name)).toEqual([...DEFAULT_TOPICS.map((t) => t.name)].sort());
    await news.topics.setWeight(mainEducation.id, 99, 2); // another account's topic id: no effect
    await news.topics.recordOutcome(mainEducation.id, 'approved', 2);
    expect(await main.topics.findById(mainEducation.id)).toMatchObject({ weight: mainEducation.weight, approvals: 0 });
    expect(await news.topics.findById(mainEducation.id)).toBeNull();

    // Drafts and publications.
    const draft = await main.drafts.create(newTweetDraft('Bonding curves price each buy.', { contentHash: 'same-hash', bandKeys: ['0:band'] }), 3);
    expect(draft.accountId).toBe(DEFAULT_ACCOUNT_ID);
    expect(await news.drafts.findById(draft.id)).toBeNull();
    expect(await news.drafts.decide(draft.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, 4)).toBe(false);
    expect((await news.drafts.countByStatus()).pending).toBe(0);
    expect((await main.drafts.countByStatus()).pending).toBe(1);
    expect(await news.drafts.createWithinPendingCap(newTweetDraft('news one'), 5, 1)).toMatchObject({ status: 'created' });
    expect(await main.drafts.createWithinPendingCap(newTweetDraft('main two'), 5, 1)).toMatchObject({ status: 'over_cap', pending: 1 });
    expect(await main.drafts.decide(draft.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, 6)).toBe(true);
    expect((await main.publications.findDueForPublishing(7, 10)).map((d) => d.id)).toEqual([draft.id]);
    expect(await news.publications.findDueForPublishing(7, 10)).toEqual([]);
    expect(await news.publications.claimForPublishing(draft.id, 'me', 'a1', 7, 60_000)).toBeNull();
    expect(await main.publications.claimForPublishing(draft.id, 'me', 'a1', 7, 60_000)).toMatchObject({ status: 'publishing' });
    expect(await news.publications.findPublishingLeases()).toEqual([]);
    expect(await news.accounts.accountOfDraft(draft.id)).toBe(DEFAULT_ACCOUNT_ID);

    // Duplicates are per account: the same words may go out on another account.
    expect((await main.duplicates.findByContentHash('same-hash')).map((c) => c.draftId)).toEqual([draft.id]);
    expect(await news.duplicates.findByContentHash('same-hash')).toEqual([]);
    expect(await news.duplicates.findByBandKeys(['0:band'])).toEqual([]);
    expect((await main.duplicates.findByBandKeys(['0:band'])).map((c) => c.draftId)).toEqual([draft.id]);

    // Posts and caps.
    await main.posts.recordPosted({
      draftId: draft.id,
      tweetId: '1001',
      content: 'x',
      contentType: 'education',
      isThread: false,
      threadId: null,
      threadPosition: 0,
      dryRun: false,
      postedAt: 8,
    });
    expect(await main.posts.publicationTimesSince(0)).toEqual([8]);
    expect(await news.posts.publicationTimesSince(0)).toEqual([]);
    expect(await news.posts.latestPublication()).toBeNull();
    expect(await main.publications.markPublished(draft.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['1001'], dryRun: false, xCostUsd: 0.015 }, 9)).toBe(
      true,
    );
    expect(await main.stats.xSpendUsd(null)).toBeCloseTo(0.015);
    expect(await news.stats.xSpendUsd(null)).toBe(0);
    expect((await news.stats.publicationTotals([{ start: 0, from: 0, to: 100 }]))[0]?.publications).toBe(0);
    expect((await createAllAccountsStats(db.dataSource).publicationTotals([{ start: 0, from: 0, to: 100 }]))[0]?.publications).toBe(1);

    // Settings and the pause; bot-wide rows are a third scope.
    await main.settings.set(SETTINGS.pause, { by: moderator, since: 10, reason: null, scope: 'all' }, 10);
    expect(await news.settings.get(SETTINGS.pause)).toBeNull();
    await news.settings.set(SETTINGS.jobState.for('post:news'), { nextRunAt: 11, slotAt: null, lastRun: null, missedWhileDown: null }, 11);
    await main.botSettings.set(SETTINGS.jobState.for('post:news'), { nextRunAt: 12, slotAt: null, lastRun: null, missedWhileDown: null }, 12);
    expect(await news.settings.get(SETTINGS.jobState.for('post:news'))).toMatchObject({ nextRunAt: 11 });
    expect(await news.botSettings.get(SETTINGS.jobState.for('post:news'))).toMatchObject({ nextRunAt: 12 });
    expect(await main.settings.get(SETTINGS.jobState.for('post:news'))).toBeNull();
    await main.botSettings.set(SETTINGS.jobState.for('post:news'), null, 13);
    expect(await news.settings.get(SETTINGS.jobState.for('post:news'))).toMatchObject({ nextRunAt: 11 });
  });

  it('GIVEN drafts in every publication state on two accounts WHEN /stats counts drafts by topic THEN published counts only published publications, per account and for all accounts together', async () => {
    db = await openTempDatabase();
    const main = createRepositories(db.dataSource, undefined, DEFAULT_ACCOUNT_ID);
    const news = createRepositories(db.dataSource, undefined, 'news');
    await news.accounts.upsert({ id: 'news', xUserId: null, handle: null }, 1);
    let n = 0;
    const approved = async (repos: typeof main) => {
      const draft = await repos.drafts.create(newTweetDraft(`stats ${++n}`, { contentHash: `stats-${n}` }), 10);
      await repos.drafts.decide(draft.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, 11);
      return draft.id;
    };
    const publish = async (repos: typeof main, id: number, outcome: 'publishing' | 'published' | 'failed') => {
      await repos.publications.claimForPublishing(id, 'me', `a-${id}`, 12, 60_000);
      const fence = { owner: 'me', attemptId: `a-${id}` };
      if (outcome === 'published') await repos.publications.markPublished(id, fence, { tweetIds: [`${id}`], dryRun: false, xCostUsd: 0.015 }, 13);
      if (outcome === 'failed') await repos.publications.markFailed(id, fence, { errorMessage: 'no', errorClass: 'forbidden' }, 13);
    };
    await main.drafts.create(newTweetDraft('stats pending', { contentHash: 'stats-pending' }), 10);
    await approved(main); // queued
    await publish(main, await approved(main), 'publishing');
    await publish(main, await approved(main), 'published');
    await publish(main, await approved(main), 'failed');
    const rejected = await main.drafts.create(newTweetDraft('stats rejected', { contentHash: 'stats-rejected' }), 10);
    await main.drafts.decide(rejected.id, 1, { to: 'rejected', actor: moderator, source: 'moderator' }, 11);
    await publish(news, await approved(news), 'published');
    await publish(news, await approved(news), 'published');

    const education = (counts: Awaited<ReturnType<typeof main.stats.draftsByTopic>>) => counts.find((t) => t.topicName === 'education');
    expect(education(await main.stats.draftsByTopic(null))).toEqual({
      topicName: 'education',
      generated: 6,
      approvedByModerator: 4,
      rejected: 1,
      expired: 0,
      publishedAtTimeout: 0,
      pending: 1,
      published: 1,
    });
    expect(education(await news.stats.draftsByTopic(0))).toMatchObject({ generated: 2, approvedByModerator: 2, published: 2 });
    expect(education(await createAllAccountsStats(db.dataSource).draftsByTopic(null))).toMatchObject({ generated: 8, approvedByModerator: 6, published: 3 });
    expect(await main.stats.xSpendUsd(0)).toBeCloseTo(0.015);
    expect(await createAllAccountsStats(db.dataSource).xSpendUsd(0)).toBeCloseTo(0.045);
  });

  it('GIVEN the configured accounts WHEN they are synced at start THEN a new id is created with the default topics, a known one is updated, and one no longer configured becomes inactive', async () => {
    db = await openTempDatabase();
    const { accounts } = db.repos;
    expect(await accounts.upsert({ id: DEFAULT_ACCOUNT_ID, xUserId: '7', handle: 'pumpfun' }, 5)).toEqual({ created: false });
    expect(await accounts.upsert({ id: 'news', xUserId: '8', handle: 'pump_news' }, 5)).toEqual({ created: true });
    // default has history: one draft.
    await db.repos.drafts.create(newTweetDraft('default wrote this'), 5);
    expect(await accounts.deactivateAllExcept(['news'], 6)).toEqual([DEFAULT_ACCOUNT_ID]);
    expect(await accounts.list()).toEqual([
      expect.objectContaining({ id: DEFAULT_ACCOUNT_ID, xUserId: '7', handle: 'pumpfun', active: false, updatedAt: 6 }),
      expect.objectContaining({ id: 'news', xUserId: '8', handle: 'pump_news', active: true, createdAt: 5 }),
    ]);
    // Coming back: active again, its topics (with their history) untouched, none seeded twice.
    expect(await accounts.upsert({ id: DEFAULT_ACCOUNT_ID, xUserId: '7', handle: 'pumpfun' }, 7)).toEqual({ created: false });
    expect((await accounts.findById(DEFAULT_ACCOUNT_ID))?.active).toBe(true);
    expect(await queryRows(db.dataSource, `SELECT account_id, COUNT(*) AS n FROM topics GROUP BY account_id ORDER BY account_id`)).toEqual([
      { account_id: DEFAULT_ACCOUNT_ID, n: DEFAULT_TOPICS.length },
      { account_id: 'news', n: DEFAULT_TOPICS.length },
    ]);
    expect(await accounts.accountOfDraft(12345)).toBeNull();
  });

  it('GIVEN a database set up with an accounts file that never had default WHEN the accounts are synced THEN the default row the migration made, with no history, is removed with its topics and settings instead of lingering as an inactive account', async () => {
    db = await openTempDatabase();
    const { accounts } = db.repos;
    await db.repos.settings.set(SETTINGS.pause, { by: { id: '1', name: 'A' }, since: 1, reason: null, scope: 'all' }, 1);
    expect(await accounts.upsert({ id: 'news', xUserId: '8', handle: 'pump_news' }, 5)).toEqual({ created: true });
    expect(await accounts.deactivateAllExcept(['news'], 6)).toEqual([]);
    expect((await accounts.list()).map((a) => [a.id, a.active])).toEqual([['news', true]]);
    expect(await queryRows(db.dataSource, `SELECT DISTINCT account_id FROM topics`)).toEqual([{ account_id: 'news' }]);
    expect(await queryRows(db.dataSource, `SELECT COUNT(*) AS n FROM settings WHERE account_id = :id`, { id: DEFAULT_ACCOUNT_ID })).toEqual([{ n: 0 }]);
  });

  it('GIVEN a card that shows a queued draft WHEN its publication moves on THEN the reconciler sees the card behind, and once rendered it is up to date again', async () => {
    db = await openTempDatabase();
    const { drafts, publications } = db.repos;
    const draft = await drafts.create(newTweetDraft('cards follow publications'), 1);
    await drafts.setModerationMessage(draft.id, '1200000000000000200', '900000000000000001', 2);
    await drafts.decide(draft.id, 1, { to: 'approved', actor: moderator, source: 'moderator' }, 3);
    const approved = (await drafts.findById(draft.id))!;
    await drafts.markCardRendered(draft.id, { revision: 1, status: approved.status, version: approved.updatedAt });
    expect(await drafts.countCardsOutOfDate()).toBe(0);

    await publications.claimForPublishing(draft.id, 'me', 'a1', 4, 60_000);
    expect((await drafts.findCardsOutOfDate(10)).map((d) => [d.id, d.status])).toEqual([[draft.id, 'publishing']]);
    await publications.markPublished(draft.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['5'], dryRun: false, xCostUsd: 0.015 }, 5);
    const published = (await drafts.findById(draft.id))!;
    expect(published).toMatchObject({ status: 'published', updatedAt: 5, tweetId: '5' });
    await drafts.markCardRendered(draft.id, { revision: 1, status: published.status, version: published.updatedAt });
    expect(await drafts.countCardsOutOfDate()).toBe(0);
  });
});
