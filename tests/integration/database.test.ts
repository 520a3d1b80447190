import { afterEach, describe, expect, it } from 'vitest';
import { BUSY_TIMEOUT_MS, SQLITE_PAGE_CACHE_KIB, createDataSource, createRepositories, openDatabase } from '../../src/db/index.js';
import { CARD_OUT_OF_DATE_WHERE } from '../../src/db/entities/draft.entity.js';
import type { NewDraft } from '../../src/services/ports.js';
import { ZERO_USAGE } from '../../src/domain/generation.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { createTestDatabase, onPostgres, sql } from '../support/postgres.js';
import { z } from 'zod';
import { defineSetting } from '../../src/services/settings-keys.js';
import type { DataSource } from 'typeorm';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations/index.js';

/** Opens (and migrates) a SQLite file in a process of its own, through the built store. */
function openInChildProcess(path: string): Promise<{ ok: boolean; applied: number; error?: string }> {
  const script = `import 'reflect-metadata';
    const { openDatabase } = await import('./dist/src/db/index.js');
    try { const { dataSource, applied } = await openDatabase(process.argv[1]); await dataSource.destroy(); console.log(JSON.stringify({ ok: true, applied: applied.length })); }
    catch (error) { console.log(JSON.stringify({ ok: false, applied: -1, error: String(error.message).slice(0, 200) })); }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script, path], { cwd: process.cwd() }, (error, stdout) => {
      if (error) return reject(error);
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { ok: boolean; applied: number; error?: string });
    });
  });
}

/*
 * This file runs on both engines (the sqlite and postgres vitest projects). The raw SQL of the
 * tests themselves goes through these helpers and `sql` (PostgreSQL numbers its parameters):
 * the catalogs differ.
 */

/** The user tables, sorted. */
async function tableNames(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = onPostgres
    ? await dataSource.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`)
    : await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`);
  return rows.map((r) => r.name);
}

/** The columns of `table`. */
async function columnNames(dataSource: DataSource, table: string): Promise<string[]> {
  const rows: Array<{ name: string }> = onPostgres
    ? await dataSource.query(`SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`, [table])
    : await dataSource.query(`SELECT name FROM pragma_table_info(?)`, [table]);
  return rows.map((r) => r.name);
}

/** The named indexes (SQLite's automatic ones and PostgreSQL's constraint indexes included). */
async function indexNames(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ name: string }> = onPostgres
    ? await dataSource.query(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'`)
    : await dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index'`);
  return rows.map((r) => r.name);
}

const newDraft = (overrides: Partial<NewDraft> = {}): NewDraft => ({
  topicId: null,
  topicName: 'education',
  contentType: 'education',
  kind: 'tweet',
  tweets: ['Bonding curves set the price as supply is bought.'],
  contentHash: 'hash-1',
  bandKeys: ['0:aaaa', '1:bbbb'],
  riskFlags: [],
  sanitiserChanges: [],
  model: 'claude-test',
  usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheCreationTokens: 0 },
  generationAttempts: 1,
  deadlineAt: 1_000,
  ...overrides,
});

const alice = { id: '100000000000000001', name: 'alice' };
const bob = { id: '100000000000000002', name: 'bob' };

describe('database', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('GIVEN a fresh file WHEN migrations run THEN the schema, pragmas and default topics exist', async () => {
    db = await openTempDatabase();
    expect(await tableNames(db.dataSource)).toEqual(
      expect.arrayContaining(['content_fingerprints', 'drafts', 'generation_runs', 'moderation_events', 'posts', 'settings', 'topics']),
    );
    if (onPostgres) {
      // Epoch milliseconds need 64 bits, and SQLite's real is a double.
      const types: Array<{ column_name: string; data_type: string }> = await db.dataSource.query(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'topics' AND column_name IN ('created_at', 'success_rate', 'id')`,
      );
      expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toEqual({
        id: 'bigint',
        created_at: 'bigint',
        success_rate: 'double precision',
      });
      // Counts and bigints come back as numbers, as on SQLite.
      expect(await db.dataSource.query(`SELECT COUNT(*) AS n, SUM(weight) AS s FROM topics`)).toEqual([{ n: 7, s: expect.any(Number) }]);
    } else {
      const [journal] = await db.dataSource.query('PRAGMA journal_mode');
      const [fk] = await db.dataSource.query('PRAGMA foreign_keys');
      const [busy] = await db.dataSource.query('PRAGMA busy_timeout');
      expect(journal.journal_mode).toBe('wal');
      expect(fk.foreign_keys).toBe(1);
      expect(Object.values(busy)[0]).toBe(BUSY_TIMEOUT_MS);
      // A negative cache_size is KiB: the page cache holds at most this many pages of the file
      // (better-sqlite3's default, 16,000 KiB, filled as the drafts accumulated).
      const [cache] = await db.dataSource.query('PRAGMA cache_size');
      expect(Object.values(cache)[0]).toBe(-SQLITE_PAGE_CACHE_KIB);
    }
    const topics = await db.repos.topics.list();
    expect(topics.map((t) => t.name)).toEqual(['community', 'deep-dive-thread', 'education', 'launch-tips', 'market-insight', 'memes', 'safety']);
    expect(topics.every((t) => t.enabled && t.weight > 0)).toBe(true);
    expect(await indexNames(db.dataSource)).toEqual(expect.arrayContaining(['idx_drafts_status_deadline', 'idx_drafts_created_at', 'idx_drafts_content_hash']));
  });

  it.skipIf(onPostgres)(
    'GIVEN three processes starting together on one new SQLite file WHEN all migrate THEN every one opens it, and the migrations ran once',
    async () => {
      // Separate processes (the built app's store), as two instances on one host are: SQLite's
      // file lock makes them apply the migrations one at a time, and the later ones must see that
      // the work is done rather than fail on a migration another process already applied.
      const dir = mkdtempSync(join(tmpdir(), 'draftgate-migrate-race-'));
      try {
        for (let round = 0; round < 4; round += 1) {
          const path = join(dir, `race-${round}.sqlite`);
          const outcomes = await Promise.all([0, 1, 2].map(() => openInChildProcess(path)));
          expect(
            outcomes.filter((o) => !o.ok),
            JSON.stringify(outcomes),
          ).toEqual([]);
          expect(outcomes.map((o) => o.applied).sort((a, b) => a - b)).toEqual([0, 0, MIGRATIONS.length]);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.runIf(onPostgres)(
    'GIVEN two instances starting together on one empty PostgreSQL database WHEN both migrate THEN the migrations run once and both open it',
    async () => {
      const database = await createTestDatabase();
      try {
        const target = { engine: 'postgres', url: database.url } as const;
        const opened = await Promise.all([openDatabase(target), openDatabase(target), openDatabase(target)]);
        try {
          const applied = opened.map((o) => o.applied.length).sort();
          expect(applied.slice(0, 2)).toEqual([0, 0]);
          expect(applied[2]).toBeGreaterThan(0);
          expect(await opened[0]!.dataSource.query('SELECT COUNT(*) AS n FROM migrations')).toEqual([{ n: applied[2] }]);
          expect(await opened[1]!.dataSource.query('SELECT COUNT(*) AS n FROM topics')).toEqual([{ n: 7 }]);
        } finally {
          for (const { dataSource } of opened) await dataSource.destroy();
        }
      } finally {
        await database.drop();
      }
    },
  );

  it('GIVEN the migrated schema THEN it matches the entities exactly (explicit column types, no drift)', async () => {
    db = await openTempDatabase();
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('GIVEN a migrated file WHEN every migration is reverted and re-applied THEN it goes down to nothing and back up', async () => {
    db = await openTempDatabase();
    expect(await db.dataSource.query(`SELECT id, owner, epoch FROM instance_lease`)).toEqual([{ id: 1, owner: null, epoch: 0 }]);
    expect(await indexNames(db.dataSource)).toContain('uq_publications_slot');
    expect(await tableNames(db.dataSource)).toContain('stats_daily');
    expect(await tableNames(db.dataSource)).toContain('media');
    expect(await tableNames(db.dataSource)).toEqual(expect.arrayContaining(['draft_signals', 'feedback_signals']));
    expect(await indexNames(db.dataSource)).toContain('idx_draft_signals_stats');
    expect(await tableNames(db.dataSource)).toContain('stats_monthly');
    expect(await indexNames(db.dataSource)).toContain('idx_drafts_stats_recent');
    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    expect(await indexNames(db.dataSource)).not.toContain('idx_drafts_stats_recent');
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups
    expect(await tableNames(db.dataSource)).not.toContain('stats_monthly');
    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    expect(await indexNames(db.dataSource)).not.toContain('idx_draft_signals_stats');
    await db.dataSource.undoLastMigration(); // LearningSignals
    expect((await tableNames(db.dataSource)).filter((name) => name.endsWith('_signals'))).toEqual([]);
    await db.dataSource.undoLastMigration(); // DraftMedia
    expect(await tableNames(db.dataSource)).not.toContain('media');
    expect(await columnNames(db.dataSource, 'publications')).not.toContain('media_uploads');
    await db.dataSource.undoLastMigration(); // StatsRollups
    expect(await tableNames(db.dataSource)).not.toContain('stats_daily');
    await db.dataSource.undoLastMigration(); // PublishingCalendar
    expect(await indexNames(db.dataSource)).not.toContain('uq_publications_slot');
    expect((await columnNames(db.dataSource, 'publications')).filter((name) => ['scheduled_for', 'schedule_note'].includes(name))).toEqual([]);
    await db.dataSource.undoLastMigration(); // InstanceLease
    expect(await tableNames(db.dataSource)).not.toContain('instance_lease');
    expect(await columnNames(db.dataSource, 'publications')).not.toContain('recovered');
    await db.dataSource.undoLastMigration(); // Accounts
    const tables = await tableNames(db.dataSource);
    expect(tables).not.toContain('accounts');
    expect(tables).not.toContain('publications');
    expect((await columnNames(db.dataSource, 'drafts')).filter((name) => ['account_id', 'lease_owner'].includes(name))).toEqual(['lease_owner']);
    await db.dataSource.undoLastMigration(); // CardReconcileIndex
    expect(await indexNames(db.dataSource)).not.toContain('idx_drafts_card_out_of_date');
    await db.dataSource.undoLastMigration(); // TopicEngagementEvidence
    expect(await columnNames(db.dataSource, 'topics')).not.toContain('engagement_posts');
    await db.dataSource.undoLastMigration(); // CardTimeoutAction
    expect(await columnNames(db.dataSource, 'drafts')).not.toContain('card_rendered_timeout_action');
    await db.dataSource.undoLastMigration(); // CardDelivery
    expect((await columnNames(db.dataSource, 'drafts')).filter((name) => name.startsWith('card_'))).toEqual([]);
    await db.dataSource.undoLastMigration(); // StatsIndexes
    expect((await indexNames(db.dataSource)).filter((name) => name.includes('_stats'))).toEqual([]);
    await db.dataSource.undoLastMigration();
    // Raw SQL: the entity now has columns that later migrations add.
    expect(await db.dataSource.query('SELECT COUNT(*) AS n FROM topics')).toEqual([{ n: 0 }]);
    await db.dataSource.undoLastMigration();
    expect(await tableNames(db.dataSource)).toEqual(['migrations']);
    const applied = await db.dataSource.runMigrations();
    expect(applied.map((m) => m.name)).toEqual([
      'InitialSchema1764115200000',
      'SeedDefaultTopics1764115200001',
      'StatsIndexes1764115200002',
      'CardDelivery1796083200200',
      'CardTimeoutAction1796083200600',
      'TopicEngagementEvidence1796083200800',
      'CardReconcileIndex1796083200900',
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
    expect(await db.repos.topics.list()).toHaveLength(7);
  });

  it('GIVEN drafts from before CardDelivery WHEN it runs THEN existing cards count as up to date and a pending draft without a card loses its deadline until one is posted', async () => {
    db = await openTempDatabase();
    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups
    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    await db.dataSource.undoLastMigration(); // LearningSignals
    await db.dataSource.undoLastMigration(); // DraftMedia
    await db.dataSource.undoLastMigration(); // StatsRollups
    await db.dataSource.undoLastMigration(); // PublishingCalendar
    await db.dataSource.undoLastMigration(); // InstanceLease
    await db.dataSource.undoLastMigration(); // Accounts
    await db.dataSource.undoLastMigration(); // CardReconcileIndex
    await db.dataSource.undoLastMigration(); // TopicEngagementEvidence
    await db.dataSource.undoLastMigration(); // CardTimeoutAction
    await db.dataSource.undoLastMigration(); // CardDelivery
    const insert = (status: string, messageId: string | null) =>
      sql(
        db!.dataSource,
        `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, revision, deadline_at, moderation_channel_id, moderation_message_id, created_at, updated_at)
         VALUES ('education', 'education', 'tweet', '["t"]', 'h', ?, 2, 5000, ?, ?, 1000, 1234)`,
        [status, messageId ? '1200000000000000200' : null, messageId],
      );
    await insert('pending', '900000000000000001');
    await insert('pending', null);
    await insert('published', '900000000000000003');
    await db.dataSource.runMigrations();
    const repos = createRepositories(db.dataSource);
    expect(await repos.drafts.findCardsOutOfDate(10)).toEqual([]);
    expect((await repos.drafts.findById(1))?.deadlineAt).toBe(5000);
    expect((await repos.drafts.findById(2))?.deadlineAt).toBeNull();
    expect(await repos.drafts.findOverdue(10_000, 10)).toEqual([expect.objectContaining({ id: 1 })]);
    expect(await repos.drafts.findCardsToPost(10_000, 10_000, 10)).toEqual([expect.objectContaining({ id: 2 })]);
  });

  it('GIVEN a pending draft WHEN approve and reject race THEN exactly one conditional update wins', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newDraft(), 0);
    expect(draft.status).toBe('pending');
    expect(draft.revision).toBe(1);
    const results = await Promise.all([
      db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 10),
      db.repos.drafts.decide(draft.id, 1, { to: 'rejected', actor: bob, source: 'moderator', reason: 'meh' }, 11),
      db.repos.drafts.decide(draft.id, 1, { to: 'expired', actor: { id: 'timeout', name: 'timeout' }, source: 'timeout' }, 12),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    // SQLite runs them in order (approve first); on PostgreSQL any may win, and the row is the winner's.
    const winner = results.indexOf(true);
    if (!onPostgres) expect(winner).toBe(0);
    const after = await db.repos.drafts.findById(draft.id);
    expect(after?.status).toBe(['approved', 'rejected', 'expired'][winner]);
    expect(after?.decidedBy).toEqual([alice, bob, { id: 'timeout', name: 'timeout' }][winner]);
  });

  it('GIVEN a stale revision WHEN deciding THEN nothing changes', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newDraft(), 0);
    const revised = await db.repos.drafts.replaceContent(
      draft.id,
      1,
      {
        kind: 'tweet',
        tweets: ['New words'],
        contentHash: 'hash-2',
        bandKeys: ['0:cccc'],
        riskFlags: [],
        sanitiserChanges: [],
        deadlineAt: 5_000,
        editedBy: bob,
      },
      20,
    );
    expect(revised?.revision).toBe(2);
    expect(revised?.editedBy).toEqual(bob);
    expect(await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 30)).toBe(false);
    expect((await db.repos.drafts.findById(draft.id))?.status).toBe('pending');
    const keys: Array<{ band_key: string }> = await sql(db.dataSource, 'SELECT band_key FROM content_fingerprints WHERE draft_id = ?', [draft.id]);
    expect(keys.map((k) => k.band_key)).toEqual(['0:cccc']);
  });

  it('GIVEN two DataSources on one file (two processes by mistake) WHEN both claim an approved draft THEN only one gets the lease', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newDraft(), 0);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    const second = createDataSource(db.target);
    await second.initialize();
    try {
      const other = createRepositories(second);
      const [a, b] = await Promise.all([
        db.repos.publications.claimForPublishing(draft.id, 'process-a', 'attempt-a', 2, 60_000),
        other.publications.claimForPublishing(draft.id, 'process-b', 'attempt-b', 2, 60_000),
      ]);
      expect([a, b].filter((x) => x !== null)).toHaveLength(1);
      const claimed = (a ?? b)!;
      expect(claimed.status).toBe('publishing');
      expect(claimed.publishAttemptId).toBe(a ? 'attempt-a' : 'attempt-b');
      // The loser cannot take over a live lease, only an expired one.
      const loser = a ? other.publications : db.repos.publications;
      expect(await loser.reclaimStalePublishing(draft.id, 'process-x', 'attempt-x', 3, 60_000)).toBeNull();
      expect(await loser.reclaimStalePublishing(draft.id, 'process-x', 'attempt-x', 60_003, 60_000)).not.toBeNull();
    } finally {
      await second.destroy();
    }
  });

  it('GIVEN posts from before TopicEngagementEvidence WHEN it runs THEN each topic holds its published drafts as evidence, a thread once and dry runs not at all', async () => {
    db = await openTempDatabase();
    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups
    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    await db.dataSource.undoLastMigration(); // LearningSignals
    await db.dataSource.undoLastMigration(); // DraftMedia
    await db.dataSource.undoLastMigration(); // StatsRollups
    await db.dataSource.undoLastMigration(); // PublishingCalendar
    await db.dataSource.undoLastMigration(); // InstanceLease
    await db.dataSource.undoLastMigration(); // Accounts
    await db.dataSource.undoLastMigration(); // CardReconcileIndex
    await db.dataSource.undoLastMigration(); // TopicEngagementEvidence
    const [education] = (await db.dataSource.query(`SELECT id FROM topics WHERE topic_name = 'education'`)) as Array<{ id: number }>;
    const draft = async (n: number) =>
      Number(
        (
          (await sql(
            db!.dataSource,
            `INSERT INTO drafts (topic_id, topic_name, content_type, kind, tweets, content_hash, status, created_at, updated_at)
             VALUES (?, 'education', 'education', 'thread', '["a","b"]', ?, 'published', 1, 1) RETURNING id`,
            [education!.id, `h${n}`],
          )) as Array<{ id: number }>
        )[0]!.id,
      );
    const post = (draftId: number, tweetId: string, dryRun: number) =>
      sql(
        db!.dataSource,
        `INSERT INTO posts (draft_id, tweet_id, content, content_type, status, created_at, posted_at, dry_run) VALUES (?, ?, 'x', 'thread', 'posted', 1, 1, ?)`,
        [draftId, tweetId, dryRun],
      );
    const thread = await draft(1);
    await post(thread, '101', 0);
    await post(thread, '102', 0);
    await post(await draft(2), '201', 0);
    await post(await draft(3), 'dryrun-3-1', 1);
    await db.dataSource.runMigrations();
    const topics = await db.repos.topics.list();
    expect(topics.find((t) => t.name === 'education')?.publishedCount).toBe(2);
    expect(topics.filter((t) => t.name !== 'education').every((t) => t.publishedCount === 0)).toBe(true);
  });

  it.skipIf(onPostgres)('GIVEN the lookup of the card reconciler THEN SQLite reads the partial index of out-of-date cards, not every draft', async () => {
    db = await openTempDatabase();
    const plan: Array<{ detail: string }> = await db.dataSource.query(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM drafts d WHERE ${CARD_OUT_OF_DATE_WHERE}`);
    expect(plan.map((row) => row.detail)).toEqual(['SCAN d USING INDEX idx_drafts_card_out_of_date']);
  });

  it.runIf(onPostgres)('GIVEN the lookup of the card reconciler THEN PostgreSQL can answer it from the partial index of out-of-date cards', async () => {
    db = await openTempDatabase();
    // Few rows make any plan a sequential scan: forbid it, so the plan shows whether the index's
    // predicate covers the lookup's WHERE (a partial index serves only a query that implies it).
    const plan = await db.dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      return (await manager.query(`EXPLAIN SELECT COUNT(*) FROM drafts d WHERE ${CARD_OUT_OF_DATE_WHERE}`)) as Array<{ 'QUERY PLAN': string }>;
    });
    expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toContain('idx_drafts_card_out_of_date');
  });

  it('GIVEN a publishing draft THEN tweets, publication and caps are recorded once', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newDraft({ kind: 'thread', tweets: ['one', 'two'], contentType: 'thread' }), 0);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, 1);
    await db.repos.publications.claimForPublishing(draft.id, 'me', 'a1', 2, 60_000);
    expect(await db.repos.publications.recordPostedTweet(draft.id, { owner: 'someone-else', attemptId: 'a1' }, ['1'], 3)).toBe(false);
    expect(await db.repos.publications.recordPostedTweet(draft.id, { owner: 'me', attemptId: 'a1' }, ['1'], 3)).toBe(true);
    for (const [i, id] of ['1', '2'].entries()) {
      const tweet = {
        draftId: draft.id,
        tweetId: id,
        content: ['one', 'two'][i]!,
        contentType: 'thread' as const,
        isThread: true,
        threadId: '1',
        threadPosition: i,
        dryRun: false,
        postedAt: 4,
      };
      await db.repos.posts.recordPosted(tweet);
      await db.repos.posts.recordPosted(tweet);
    }
    expect(
      await db.repos.publications.markPublished(draft.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['1', '2'], dryRun: false, xCostUsd: 0.03 }, 5),
    ).toBe(true);
    expect(
      await db.repos.publications.markPublished(draft.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['1', '2'], dryRun: false, xCostUsd: 0.03 }, 5),
    ).toBe(false);
    const [{ n }] = await db.dataSource.query('SELECT COUNT(*) AS n FROM posts');
    expect(n).toBe(2);
    // A thread is one publication for our caps.
    expect(await db.repos.posts.publicationTimesSince(0)).toEqual([4]);
    const published = await db.repos.drafts.findById(draft.id);
    expect(published).toMatchObject({ status: 'published', tweetId: '1', postedTweetIds: ['1', '2'], xCostUsd: 0.03 });
  });

  it('GIVEN topic outcomes THEN success_rate follows approvals / decisions', async () => {
    db = await openTempDatabase();
    const topic = (await db.repos.topics.findByName('Education'))!;
    await db.repos.topics.recordOutcome(topic.id, 'approved', 1);
    await db.repos.topics.recordOutcome(topic.id, 'approved', 2);
    await db.repos.topics.recordOutcome(topic.id, 'rejected', 3);
    const after = (await db.repos.topics.findById(topic.id))!;
    expect(after).toMatchObject({ approvals: 2, rejections: 1 });
    expect(after.successRate).toBeCloseTo(2 / 3, 6);
  });

  it('GIVEN settings THEN values round-trip as JSON and overwrite', async () => {
    db = await openTempDatabase();
    const key = defineSetting({ key: 'test.round_trip', owner: 'this test', schema: z.object({ paused: z.boolean(), by: z.string().optional() }) });
    expect(await db.repos.settings.get(key)).toBeNull();
    await db.repos.settings.set(key, { paused: true, by: 'alice' }, 1);
    await db.repos.settings.set(key, { paused: false }, 2);
    expect(await db.repos.settings.get(key)).toEqual({ paused: false });
  });

  it('GIVEN foreign keys on WHEN a draft is deleted THEN its fingerprints go with it', async () => {
    db = await openTempDatabase();
    const draft = await db.repos.drafts.create(newDraft({ usage: ZERO_USAGE }), 0);
    await sql(db.dataSource, 'DELETE FROM drafts WHERE id = ?', [draft.id]);
    const [{ n }] = await db.dataSource.query('SELECT COUNT(*) AS n FROM content_fingerprints');
    expect(n).toBe(0);
    await expect(db.dataSource.query(`INSERT INTO content_fingerprints (draft_id, band_key) VALUES (9999, 'x')`)).rejects.toThrow(/FOREIGN KEY|foreign key/);
  });
});
