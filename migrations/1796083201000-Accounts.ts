import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * Accounts (issue 11): several X accounts on one database, and drafts moderated apart from their
 * publications.
 * - `accounts` holds one row per configured account; every existing database is the account
 *   `default`.
 * - Every draft, topic, post, moderation event, generation run and content fingerprint carries
 *   `account_id` (existing rows: `default`). Topic names are unique per account.
 * - Settings belong to an account, or to the whole bot (`account_id` NULL): the states of
 *   scheduled jobs (`scheduler.job.*`) stay bot-wide, the post job's renamed `post:default`
 *   (there is one post job per account now); the pause, X's limits and the rest belong
 *   to `default`. A key is unique per account and among bot-wide rows (two partial indexes).
 * - `publications` holds what `drafts` carried for publishing, one row per (draft, target
 *   account). Every approved/publishing/published/failed draft gets its publication with all its
 *   publishing columns (approved -> queued), and the draft becomes `approved`. The per-draft
 *   settings `publish.transient_failures.<id>` and `publish.unresolved.<id>` become columns of
 *   the publication and are deleted (rows of drafts without a publication were leftovers).
 * - The publishing columns are dropped from `drafts`; the stats indexes gain `account_id`.
 * `down` puts every publication back into its draft and the settings back into their rows. It
 * refuses a database that holds rows of an account other than `default`: the old schema has no
 * way to keep them apart.
 * Frozen: the SQL is written out, never derived from the entities.
 */

/** The drafts columns that move to `publications`, as the InitialSchema created them. */
const DRAFT_PUBLISHING_COLUMNS: ReadonlyArray<readonly [name: string, definition: string]> = [
  ['publish_attempt_id', 'text'],
  ['publish_attempts', 'integer NOT NULL DEFAULT (0)'],
  ['publishing_started_at', 'integer'],
  ['lease_owner', 'text'],
  ['lease_expires_at', 'integer'],
  ['not_before', 'integer'],
  ['queue_reason', 'text'],
  ['posted_tweet_ids', `text NOT NULL DEFAULT ('[]')`],
  ['tweet_id', 'text'],
  ['published_at', 'integer'],
  ['dry_run', 'integer NOT NULL DEFAULT (0)'],
  ['error_message', 'text'],
  ['error_class', 'text'],
  ['x_cost_usd', 'real NOT NULL DEFAULT (0)'],
];

/** Tables that gain `account_id NOT NULL DEFAULT 'default'` by ALTER TABLE (topics and settings are rebuilt). */
const SCOPED_TABLES = ['drafts', 'posts', 'moderation_events', 'generation_runs', 'content_fingerprints'] as const;

const TRANSIENT_PREFIX = 'publish.transient_failures.';
const UNRESOLVED_PREFIX = 'publish.unresolved.';

const OLD_CARD_OUT_OF_DATE_WHERE =
  'moderation_message_id IS NOT NULL AND (card_rendered_revision IS NOT revision OR card_rendered_status IS NOT status OR card_rendered_version IS NOT updated_at)';
const NEW_CARD_OUT_OF_DATE_WHERE =
  "moderation_message_id IS NOT NULL AND (card_rendered_revision IS NOT revision OR card_rendered_version IS NOT updated_at OR (card_rendered_status IS NOT status AND (card_rendered_status IS NULL OR card_rendered_status NOT IN ('publishing', 'published', 'failed'))))";

const TOPICS_COLUMNS =
  '"id", "topic_name", "content_type", "description", "weight", "enabled", "last_used", "usage_count", "approvals", "rejections", "success_rate", "avg_engagement", "engagement_posts", "created_at", "updated_at"';

/**
 * Replaces `topics` by `temporary_topics` (same ids). TypeORM turns foreign keys off for `up`
 * but not for `down` (its PRAGMA runs inside the transaction, where SQLite ignores it), and with
 * them on, dropping `topics` sets every draft's `topic_id` to NULL: the links are kept aside and
 * put back, so the rebuild loses nothing either way.
 */
async function replaceTopicsTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`CREATE TEMP TABLE "accounts_draft_topics" AS SELECT "id", "topic_id" FROM "drafts" WHERE "topic_id" IS NOT NULL`);
  await queryRunner.query(`DROP TABLE "topics"`);
  await queryRunner.query(`ALTER TABLE "temporary_topics" RENAME TO "topics"`);
  await queryRunner.query(
    `UPDATE "drafts" SET "topic_id" = (SELECT k."topic_id" FROM temp."accounts_draft_topics" k WHERE k."id" = "drafts"."id")
      WHERE "id" IN (SELECT "id" FROM temp."accounts_draft_topics")`,
  );
  await queryRunner.query(`DROP TABLE temp."accounts_draft_topics"`);
}

export class Accounts1796083201000 implements MigrationInterface {
  name = 'Accounts1796083201000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) return upPostgres(queryRunner);
    const now = Date.now();
    await queryRunner.query(
      `CREATE TABLE "accounts" ("id" text PRIMARY KEY NOT NULL, "x_user_id" text, "handle" text, "active" integer NOT NULL DEFAULT (1), "created_at" integer NOT NULL, "updated_at" integer NOT NULL)`,
    );
    await queryRunner.query(`INSERT INTO "accounts" ("id", "active", "created_at", "updated_at") VALUES ('default', 1, ?, ?)`, [now, now]);

    for (const table of SCOPED_TABLES) {
      await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "account_id" text NOT NULL DEFAULT ('default')`);
    }

    // Topics: rebuilt for UNIQUE(account_id, topic_name) (SQLite cannot drop a constraint). Ids
    // are kept, so drafts.topic_id still points at the same topics.
    await queryRunner.query(
      `CREATE TABLE "temporary_topics" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "account_id" text NOT NULL DEFAULT ('default'), "topic_name" text NOT NULL, "content_type" text NOT NULL, "description" text NOT NULL DEFAULT (''), "weight" integer NOT NULL DEFAULT (10), "enabled" integer NOT NULL DEFAULT (1), "last_used" integer, "usage_count" integer NOT NULL DEFAULT (0), "approvals" integer NOT NULL DEFAULT (0), "rejections" integer NOT NULL DEFAULT (0), "success_rate" real NOT NULL DEFAULT (0), "avg_engagement" real NOT NULL DEFAULT (0), "engagement_posts" integer NOT NULL DEFAULT (0), "created_at" integer NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "uq_topics_account_name" UNIQUE ("account_id", "topic_name"))`,
    );
    await queryRunner.query(`INSERT INTO "temporary_topics" ("account_id", ${TOPICS_COLUMNS}) SELECT 'default', ${TOPICS_COLUMNS} FROM "topics"`);
    await replaceTopicsTable(queryRunner);

    // Publications, filled from the drafts that reached an approval, with their settings rows.
    await queryRunner.query(
      `CREATE TABLE "publications" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "draft_id" integer NOT NULL, "account_id" text NOT NULL, "status" text NOT NULL, "attempt_id" text, "attempts" integer NOT NULL DEFAULT (0), "publishing_started_at" integer, "lease_owner" text, "lease_expires_at" integer, "not_before" integer, "queue_reason" text, "posted_tweet_ids" text NOT NULL DEFAULT ('[]'), "root_tweet_id" text, "published_at" integer, "dry_run" integer NOT NULL DEFAULT (0), "cost_usd" real NOT NULL DEFAULT (0), "error_class" text, "error_message" text, "transient_failures" integer NOT NULL DEFAULT (0), "unresolved" integer NOT NULL DEFAULT (0), "created_at" integer NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "uq_publications_draft_account" UNIQUE ("draft_id", "account_id"), CONSTRAINT "FK_92b9c1f0bf28b52a8fcebe62a61" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_publications_due" ON "publications" ("account_id", "status", "not_before")`);
    await queryRunner.query(`CREATE INDEX "idx_publications_lease" ON "publications" ("status", "lease_expires_at")`);
    await queryRunner.query(`CREATE INDEX "idx_publications_stats" ON "publications" ("account_id", "status", "published_at", "cost_usd")`);
    await queryRunner.query(
      `INSERT INTO "publications" ("draft_id", "account_id", "status", "attempt_id", "attempts", "publishing_started_at", "lease_owner", "lease_expires_at",
                                   "not_before", "queue_reason", "posted_tweet_ids", "root_tweet_id", "published_at", "dry_run", "cost_usd", "error_class",
                                   "error_message", "transient_failures", "unresolved", "created_at", "updated_at")
       SELECT d.id, d.account_id, CASE d.status WHEN 'approved' THEN 'queued' ELSE d.status END, d.publish_attempt_id, d.publish_attempts,
              d.publishing_started_at, d.lease_owner, d.lease_expires_at, d.not_before, d.queue_reason, d.posted_tweet_ids, d.tweet_id, d.published_at,
              d.dry_run, d.x_cost_usd, d.error_class, d.error_message,
              COALESCE((SELECT CAST(s.value AS INTEGER) FROM settings s WHERE s.key = '${TRANSIENT_PREFIX}' || d.id), 0),
              EXISTS (SELECT 1 FROM settings s WHERE s.key = '${UNRESOLVED_PREFIX}' || d.id AND s.value = 'true'),
              COALESCE(d.decided_at, d.updated_at), d.updated_at
         FROM drafts d
        WHERE d.status IN ('approved', 'publishing', 'published', 'failed')
        ORDER BY d.id`,
    );
    await queryRunner.query(`UPDATE "drafts" SET "status" = 'approved' WHERE "status" IN ('publishing', 'published', 'failed')`);

    // Settings: rebuilt for the nullable account and the two partial unique indexes.
    await queryRunner.query(
      `CREATE TABLE "temporary_settings" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "account_id" text, "key" text NOT NULL, "value" text NOT NULL, "updated_at" integer NOT NULL)`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_settings" ("id", "account_id", "key", "value", "updated_at")
       SELECT "id", CASE WHEN "key" LIKE 'scheduler.job.%' THEN NULL ELSE 'default' END, "key", "value", "updated_at" FROM "settings"
        WHERE "key" NOT LIKE '${TRANSIENT_PREFIX}%' AND "key" NOT LIKE '${UNRESOLVED_PREFIX}%'`,
    );
    await queryRunner.query(`DROP TABLE "settings"`);
    await queryRunner.query(`ALTER TABLE "temporary_settings" RENAME TO "settings"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_settings_bot_key" ON "settings" ("key") WHERE account_id IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_settings_account_key" ON "settings" ("account_id", "key") WHERE account_id IS NOT NULL`);
    // The post job became one per account, named post:<account>: the existing one is default's.
    await queryRunner.query(`UPDATE "settings" SET "key" = 'scheduler.job.post:default' WHERE "account_id" IS NULL AND "key" = 'scheduler.job.post'`);

    // Indexes over the dropped columns go first (SQLite refuses to drop an indexed column); the
    // stats indexes gain account_id so a per-account /stats still reads only index entries.
    await queryRunner.query(`DROP INDEX "idx_drafts_status_not_before"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_published"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_topic"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_decision"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_card_out_of_date"`);
    await queryRunner.query(`DROP INDEX "idx_posts_stats_time"`);
    await queryRunner.query(`DROP INDEX "idx_generation_runs_stats"`);
    for (const [column] of DRAFT_PUBLISHING_COLUMNS) await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "${column}"`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_topic" ON "drafts" ("account_id", "topic_name", "status", "decision_source", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_decision" ON "drafts" ("account_id", "decision_source", "created_at", "decided_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE ${NEW_CARD_OUT_OF_DATE_WHERE}`);
    await queryRunner.query(
      `CREATE INDEX "idx_posts_stats_time" ON "posts" ("account_id", "posted_at", "status", "thread_position", "dry_run", "likes", "retweets", "replies", "quotes", "impressions", "draft_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "idx_generation_runs_stats" ON "generation_runs" ("account_id", "started_at", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const others = (await queryRunner.query(
      `SELECT (SELECT COUNT(*) FROM drafts WHERE account_id <> 'default') + (SELECT COUNT(*) FROM topics WHERE account_id <> 'default')
            + (SELECT COUNT(*) FROM posts WHERE account_id <> 'default') + (SELECT COUNT(*) FROM publications WHERE account_id <> 'default')
            + (SELECT COUNT(*) FROM settings WHERE account_id <> 'default') AS n`,
    )) as Array<{ n: number }>;
    if (Number(others[0]?.n ?? 0) > 0) {
      throw new Error(
        'cannot revert Accounts1796083201000: the database holds rows of accounts other than "default", which the previous schema cannot keep apart',
      );
    }
    if (isPostgres(queryRunner)) return downPostgres(queryRunner);

    // Publishing columns back into drafts, filled from each draft's publication.
    for (const [column, definition] of DRAFT_PUBLISHING_COLUMNS) await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "${column}" ${definition}`);
    await queryRunner.query(
      `UPDATE "drafts" SET "status" = CASE p.status WHEN 'queued' THEN 'approved' ELSE p.status END,
              "publish_attempt_id" = p.attempt_id, "publish_attempts" = p.attempts, "publishing_started_at" = p.publishing_started_at,
              "lease_owner" = p.lease_owner, "lease_expires_at" = p.lease_expires_at, "not_before" = p.not_before, "queue_reason" = p.queue_reason,
              "posted_tweet_ids" = p.posted_tweet_ids, "tweet_id" = p.root_tweet_id, "published_at" = p.published_at, "dry_run" = p.dry_run,
              "error_message" = p.error_message, "error_class" = p.error_class, "x_cost_usd" = p.cost_usd
         FROM publications p WHERE p.draft_id = drafts.id`,
    );

    // Settings back to one row per key; the publication counters back into their rows.
    await queryRunner.query(`UPDATE "settings" SET "key" = 'scheduler.job.post' WHERE "account_id" IS NULL AND "key" = 'scheduler.job.post:default'`);
    await queryRunner.query(
      `CREATE TABLE "temporary_settings" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "key" text NOT NULL, "value" text NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "UQ_c8639b7626fa94ba8265628f214" UNIQUE ("key"))`,
    );
    await queryRunner.query(
      `INSERT OR IGNORE INTO "temporary_settings" ("id", "key", "value", "updated_at")
       SELECT "id", "key", "value", "updated_at" FROM "settings" ORDER BY ("account_id" IS NULL), "id"`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_settings" ("key", "value", "updated_at")
       SELECT '${TRANSIENT_PREFIX}' || draft_id, CAST(transient_failures AS TEXT), updated_at FROM publications WHERE transient_failures > 0`,
    );
    await queryRunner.query(
      `INSERT INTO "temporary_settings" ("key", "value", "updated_at")
       SELECT '${UNRESOLVED_PREFIX}' || draft_id, 'true', updated_at FROM publications WHERE unresolved = 1`,
    );
    await queryRunner.query(`DROP TABLE "settings"`);
    await queryRunner.query(`ALTER TABLE "temporary_settings" RENAME TO "settings"`);

    await queryRunner.query(
      `CREATE TABLE "temporary_topics" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "topic_name" text NOT NULL, "content_type" text NOT NULL, "description" text NOT NULL DEFAULT (''), "weight" integer NOT NULL DEFAULT (10), "enabled" integer NOT NULL DEFAULT (1), "last_used" integer, "usage_count" integer NOT NULL DEFAULT (0), "approvals" integer NOT NULL DEFAULT (0), "rejections" integer NOT NULL DEFAULT (0), "success_rate" real NOT NULL DEFAULT (0), "avg_engagement" real NOT NULL DEFAULT (0), "engagement_posts" integer NOT NULL DEFAULT (0), "created_at" integer NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "UQ_f2ad24c4081f790528294d64bde" UNIQUE ("topic_name"))`,
    );
    await queryRunner.query(`INSERT INTO "temporary_topics" (${TOPICS_COLUMNS}) SELECT ${TOPICS_COLUMNS} FROM "topics"`);
    await replaceTopicsTable(queryRunner);

    await queryRunner.query(`DROP INDEX "idx_generation_runs_stats"`);
    await queryRunner.query(`DROP INDEX "idx_posts_stats_time"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_card_out_of_date"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_decision"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_topic"`);
    await queryRunner.query(`DROP TABLE "publications"`);
    for (const table of SCOPED_TABLES) await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "account_id"`);
    await queryRunner.query(`DROP TABLE "accounts"`);

    await queryRunner.query(`CREATE INDEX "idx_drafts_status_not_before" ON "drafts" ("status", "not_before")`);
    await queryRunner.query(
      `CREATE INDEX "idx_posts_stats_time" ON "posts" ("posted_at", "status", "thread_position", "dry_run", "likes", "retweets", "replies", "quotes", "impressions", "draft_id")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_topic" ON "drafts" ("topic_name", "status", "decision_source", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_decision" ON "drafts" ("decision_source", "created_at", "decided_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_published" ON "drafts" ("status", "published_at", "x_cost_usd")`);
    await queryRunner.query(
      `CREATE INDEX "idx_generation_runs_stats" ON "generation_runs" ("started_at", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE ${OLD_CARD_OUT_OF_DATE_WHERE}`);
  }
}

/*
 * PostgreSQL. The same steps with PostgreSQL's types (bigint, double precision; see dialect.ts)
 * and without SQLite's table rebuilds: PostgreSQL alters constraints in place, so topics and
 * settings keep their tables (and ids), and dropping an indexed column is allowed.
 */

/** The drafts columns that move to `publications`, as the InitialSchema created them on PostgreSQL. */
const DRAFT_PUBLISHING_COLUMNS_POSTGRES: ReadonlyArray<readonly [name: string, definition: string]> = [
  ['publish_attempt_id', 'text'],
  ['publish_attempts', `bigint NOT NULL DEFAULT '0'`],
  ['publishing_started_at', 'bigint'],
  ['lease_owner', 'text'],
  ['lease_expires_at', 'bigint'],
  ['not_before', 'bigint'],
  ['queue_reason', 'text'],
  ['posted_tweet_ids', `text NOT NULL DEFAULT '[]'`],
  ['tweet_id', 'text'],
  ['published_at', 'bigint'],
  ['dry_run', `bigint NOT NULL DEFAULT '0'`],
  ['error_message', 'text'],
  ['error_class', 'text'],
  ['x_cost_usd', `double precision NOT NULL DEFAULT '0'`],
];

/** The card index's WHERE clauses with IS DISTINCT FROM: PostgreSQL has no `a IS NOT b` between columns. */
const OLD_CARD_OUT_OF_DATE_WHERE_POSTGRES =
  'moderation_message_id IS NOT NULL AND (card_rendered_revision IS DISTINCT FROM revision OR card_rendered_status IS DISTINCT FROM status OR card_rendered_version IS DISTINCT FROM updated_at)';
const NEW_CARD_OUT_OF_DATE_WHERE_POSTGRES =
  "moderation_message_id IS NOT NULL AND (card_rendered_revision IS DISTINCT FROM revision OR card_rendered_version IS DISTINCT FROM updated_at OR (card_rendered_status IS DISTINCT FROM status AND (card_rendered_status IS NULL OR card_rendered_status NOT IN ('publishing', 'published', 'failed'))))";

async function upPostgres(queryRunner: QueryRunner): Promise<void> {
  const now = Date.now();
  await queryRunner.query(
    `CREATE TABLE "accounts" ("id" text NOT NULL, "x_user_id" text, "handle" text, "active" bigint NOT NULL DEFAULT '1', "created_at" bigint NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id"))`,
  );
  await queryRunner.query(`INSERT INTO "accounts" ("id", "active", "created_at", "updated_at") VALUES ('default', 1, $1, $2)`, [now, now]);

  for (const table of SCOPED_TABLES) {
    await queryRunner.query(`ALTER TABLE "${table}" ADD COLUMN "account_id" text NOT NULL DEFAULT 'default'`);
  }

  // Topics: names unique per account, in place.
  await queryRunner.query(`ALTER TABLE "topics" ADD COLUMN "account_id" text NOT NULL DEFAULT 'default'`);
  await queryRunner.query(`ALTER TABLE "topics" DROP CONSTRAINT "UQ_f2ad24c4081f790528294d64bde"`);
  await queryRunner.query(`ALTER TABLE "topics" ADD CONSTRAINT "uq_topics_account_name" UNIQUE ("account_id", "topic_name")`);

  await queryRunner.query(
    `CREATE TABLE "publications" ("id" BIGSERIAL NOT NULL, "draft_id" bigint NOT NULL, "account_id" text NOT NULL, "status" text NOT NULL, "attempt_id" text, "attempts" bigint NOT NULL DEFAULT '0', "publishing_started_at" bigint, "lease_owner" text, "lease_expires_at" bigint, "not_before" bigint, "queue_reason" text, "posted_tweet_ids" text NOT NULL DEFAULT '[]', "root_tweet_id" text, "published_at" bigint, "dry_run" bigint NOT NULL DEFAULT '0', "cost_usd" double precision NOT NULL DEFAULT '0', "error_class" text, "error_message" text, "transient_failures" bigint NOT NULL DEFAULT '0', "unresolved" bigint NOT NULL DEFAULT '0', "created_at" bigint NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "uq_publications_draft_account" UNIQUE ("draft_id", "account_id"), CONSTRAINT "PK_2c4e732b044e09139d2f1065fae" PRIMARY KEY ("id"), CONSTRAINT "FK_92b9c1f0bf28b52a8fcebe62a61" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_publications_due" ON "publications" ("account_id", "status", "not_before")`);
  await queryRunner.query(`CREATE INDEX "idx_publications_lease" ON "publications" ("status", "lease_expires_at")`);
  await queryRunner.query(`CREATE INDEX "idx_publications_stats" ON "publications" ("account_id", "status", "published_at", "cost_usd")`);
  await queryRunner.query(
    `INSERT INTO "publications" ("draft_id", "account_id", "status", "attempt_id", "attempts", "publishing_started_at", "lease_owner", "lease_expires_at",
                                 "not_before", "queue_reason", "posted_tweet_ids", "root_tweet_id", "published_at", "dry_run", "cost_usd", "error_class",
                                 "error_message", "transient_failures", "unresolved", "created_at", "updated_at")
     SELECT d.id, d.account_id, CASE d.status WHEN 'approved' THEN 'queued' ELSE d.status END, d.publish_attempt_id, d.publish_attempts,
            d.publishing_started_at, d.lease_owner, d.lease_expires_at, d.not_before, d.queue_reason, d.posted_tweet_ids, d.tweet_id, d.published_at,
            d.dry_run, d.x_cost_usd, d.error_class, d.error_message,
            COALESCE((SELECT CAST(s.value AS BIGINT) FROM settings s WHERE s.key = '${TRANSIENT_PREFIX}' || d.id), 0),
            CASE WHEN EXISTS (SELECT 1 FROM settings s WHERE s.key = '${UNRESOLVED_PREFIX}' || d.id AND s.value = 'true') THEN 1 ELSE 0 END,
            COALESCE(d.decided_at, d.updated_at), d.updated_at
       FROM drafts d
      WHERE d.status IN ('approved', 'publishing', 'published', 'failed')
      ORDER BY d.id`,
  );
  await queryRunner.query(`UPDATE "drafts" SET "status" = 'approved' WHERE "status" IN ('publishing', 'published', 'failed')`);

  // Settings: a nullable account and the two partial unique indexes, in place.
  await queryRunner.query(`ALTER TABLE "settings" ADD COLUMN "account_id" text`);
  await queryRunner.query(`DELETE FROM "settings" WHERE "key" LIKE '${TRANSIENT_PREFIX}%' OR "key" LIKE '${UNRESOLVED_PREFIX}%'`);
  await queryRunner.query(`UPDATE "settings" SET "account_id" = 'default' WHERE "key" NOT LIKE 'scheduler.job.%'`);
  await queryRunner.query(`ALTER TABLE "settings" DROP CONSTRAINT "UQ_c8639b7626fa94ba8265628f214"`);
  await queryRunner.query(`CREATE UNIQUE INDEX "uq_settings_bot_key" ON "settings" ("key") WHERE account_id IS NULL`);
  await queryRunner.query(`CREATE UNIQUE INDEX "uq_settings_account_key" ON "settings" ("account_id", "key") WHERE account_id IS NOT NULL`);
  await queryRunner.query(`UPDATE "settings" SET "key" = 'scheduler.job.post:default' WHERE "account_id" IS NULL AND "key" = 'scheduler.job.post'`);

  await queryRunner.query(`DROP INDEX "idx_drafts_status_not_before"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_stats_published"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_stats_topic"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_stats_decision"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_card_out_of_date"`);
  await queryRunner.query(`DROP INDEX "idx_posts_stats_time"`);
  await queryRunner.query(`DROP INDEX "idx_generation_runs_stats"`);
  for (const [column] of DRAFT_PUBLISHING_COLUMNS_POSTGRES) await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "${column}"`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_stats_topic" ON "drafts" ("account_id", "topic_name", "status", "decision_source", "created_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_stats_decision" ON "drafts" ("account_id", "decision_source", "created_at", "decided_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE ${NEW_CARD_OUT_OF_DATE_WHERE_POSTGRES}`);
  await queryRunner.query(
    `CREATE INDEX "idx_posts_stats_time" ON "posts" ("account_id", "posted_at", "status", "thread_position", "dry_run", "likes", "retweets", "replies", "quotes", "impressions", "draft_id")`,
  );
  await queryRunner.query(
    `CREATE INDEX "idx_generation_runs_stats" ON "generation_runs" ("account_id", "started_at", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")`,
  );
}

/** `down` on PostgreSQL, after the same refusal of other accounts' rows. */
async function downPostgres(queryRunner: QueryRunner): Promise<void> {
  for (const [column, definition] of DRAFT_PUBLISHING_COLUMNS_POSTGRES) await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "${column}" ${definition}`);
  await queryRunner.query(
    `UPDATE "drafts" SET "status" = CASE p.status WHEN 'queued' THEN 'approved' ELSE p.status END,
            "publish_attempt_id" = p.attempt_id, "publish_attempts" = p.attempts, "publishing_started_at" = p.publishing_started_at,
            "lease_owner" = p.lease_owner, "lease_expires_at" = p.lease_expires_at, "not_before" = p.not_before, "queue_reason" = p.queue_reason,
            "posted_tweet_ids" = p.posted_tweet_ids, "tweet_id" = p.root_tweet_id, "published_at" = p.published_at, "dry_run" = p.dry_run,
            "error_message" = p.error_message, "error_class" = p.error_class, "x_cost_usd" = p.cost_usd
       FROM publications p WHERE p.draft_id = drafts.id`,
  );

  // Settings back to one row per key: where an account's row and a bot-wide row share a key the
  // account's is kept, else the oldest (SQLite's INSERT OR IGNORE ... ORDER BY keeps the same).
  await queryRunner.query(`UPDATE "settings" SET "key" = 'scheduler.job.post' WHERE "account_id" IS NULL AND "key" = 'scheduler.job.post:default'`);
  await queryRunner.query(
    `DELETE FROM "settings" s WHERE EXISTS (
       SELECT 1 FROM "settings" o WHERE o."key" = s."key" AND o."id" <> s."id"
          AND ((o."account_id" IS NULL) < (s."account_id" IS NULL) OR ((o."account_id" IS NULL) = (s."account_id" IS NULL) AND o."id" < s."id")))`,
  );
  await queryRunner.query(`DROP INDEX "uq_settings_account_key"`);
  await queryRunner.query(`DROP INDEX "uq_settings_bot_key"`);
  await queryRunner.query(`ALTER TABLE "settings" DROP COLUMN "account_id"`);
  await queryRunner.query(`ALTER TABLE "settings" ADD CONSTRAINT "UQ_c8639b7626fa94ba8265628f214" UNIQUE ("key")`);
  await queryRunner.query(
    `INSERT INTO "settings" ("key", "value", "updated_at")
     SELECT '${TRANSIENT_PREFIX}' || draft_id, CAST(transient_failures AS TEXT), updated_at FROM publications WHERE transient_failures > 0`,
  );
  await queryRunner.query(
    `INSERT INTO "settings" ("key", "value", "updated_at")
     SELECT '${UNRESOLVED_PREFIX}' || draft_id, 'true', updated_at FROM publications WHERE unresolved = 1`,
  );

  await queryRunner.query(`ALTER TABLE "topics" DROP CONSTRAINT "uq_topics_account_name"`);
  await queryRunner.query(`ALTER TABLE "topics" DROP COLUMN "account_id"`);
  await queryRunner.query(`ALTER TABLE "topics" ADD CONSTRAINT "UQ_f2ad24c4081f790528294d64bde" UNIQUE ("topic_name")`);

  await queryRunner.query(`DROP INDEX "idx_generation_runs_stats"`);
  await queryRunner.query(`DROP INDEX "idx_posts_stats_time"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_card_out_of_date"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_stats_decision"`);
  await queryRunner.query(`DROP INDEX "idx_drafts_stats_topic"`);
  await queryRunner.query(`DROP TABLE "publications"`);
  for (const table of SCOPED_TABLES) await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "account_id"`);
  await queryRunner.query(`DROP TABLE "accounts"`);

  await queryRunner.query(`CREATE INDEX "idx_drafts_status_not_before" ON "drafts" ("status", "not_before")`);
  await queryRunner.query(
    `CREATE INDEX "idx_posts_stats_time" ON "posts" ("posted_at", "status", "thread_position", "dry_run", "likes", "retweets", "replies", "quotes", "impressions", "draft_id")`,
  );
  await queryRunner.query(`CREATE INDEX "idx_drafts_stats_topic" ON "drafts" ("topic_name", "status", "decision_source", "created_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_stats_decision" ON "drafts" ("decision_source", "created_at", "decided_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_stats_published" ON "drafts" ("status", "published_at", "x_cost_usd")`);
  await queryRunner.query(
    `CREATE INDEX "idx_generation_runs_stats" ON "generation_runs" ("started_at", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")`,
  );
  await queryRunner.query(`CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE ${OLD_CARD_OUT_OF_DATE_WHERE_POSTGRES}`);
}
