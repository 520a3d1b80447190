import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * The whole product's schema: posts (the original design's columns), drafts through moderation
 * and publishing, the moderation audit log, topics, settings, duplicate-check fingerprints and
 * generation runs. Times are INTEGER epoch milliseconds. Generated from the entities with
 * TypeORM's schema builder, so `tests/integration/database.test.ts` can prove they agree.
 */
export class InitialSchema1764115200000 implements MigrationInterface {
  name = 'InitialSchema1764115200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) return upPostgres(queryRunner);
    await queryRunner.query(
      `CREATE TABLE "topics" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "topic_name" text NOT NULL, "content_type" text NOT NULL, "description" text NOT NULL DEFAULT (''), "weight" integer NOT NULL DEFAULT (10), "enabled" integer NOT NULL DEFAULT (1), "last_used" integer, "usage_count" integer NOT NULL DEFAULT (0), "approvals" integer NOT NULL DEFAULT (0), "rejections" integer NOT NULL DEFAULT (0), "success_rate" real NOT NULL DEFAULT (0), "avg_engagement" real NOT NULL DEFAULT (0), "created_at" integer NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "UQ_f2ad24c4081f790528294d64bde" UNIQUE ("topic_name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "drafts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "topic_id" integer, "topic_name" text NOT NULL, "content_type" text NOT NULL, "kind" text NOT NULL, "tweets" text NOT NULL, "content_hash" text NOT NULL, "revision" integer NOT NULL DEFAULT (1), "status" text NOT NULL, "risk_flags" text NOT NULL DEFAULT ('[]'), "sanitiser_changes" text NOT NULL DEFAULT ('[]'), "moderation_channel_id" text, "moderation_message_id" text, "deadline_at" integer, "first_approved_by" text, "first_approved_by_name" text, "decided_by" text, "decided_by_name" text, "decided_at" integer, "decision_source" text, "feedback" text, "reject_reason" text, "edited_by" text, "edited_by_name" text, "model" text, "input_tokens" integer NOT NULL DEFAULT (0), "output_tokens" integer NOT NULL DEFAULT (0), "cache_read_tokens" integer NOT NULL DEFAULT (0), "cache_creation_tokens" integer NOT NULL DEFAULT (0), "generation_attempts" integer NOT NULL DEFAULT (1), "publish_attempt_id" text, "publish_attempts" integer NOT NULL DEFAULT (0), "publishing_started_at" integer, "lease_owner" text, "lease_expires_at" integer, "not_before" integer, "queue_reason" text, "posted_tweet_ids" text NOT NULL DEFAULT ('[]'), "tweet_id" text, "published_at" integer, "dry_run" integer NOT NULL DEFAULT (0), "error_message" text, "error_class" text, "x_cost_usd" real NOT NULL DEFAULT (0), "created_at" integer NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "FK_2f8d423c829c16230a98f51aef0" FOREIGN KEY ("topic_id") REFERENCES "topics" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_drafts_content_hash" ON "drafts" ("content_hash")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_created_at" ON "drafts" ("created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_status_deadline" ON "drafts" ("status", "deadline_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_status_not_before" ON "drafts" ("status", "not_before")`);
    await queryRunner.query(
      `CREATE TABLE "posts" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "draft_id" integer, "tweet_id" text, "content" text NOT NULL, "content_type" text NOT NULL, "status" text NOT NULL, "created_at" integer NOT NULL, "posted_at" integer, "likes" integer NOT NULL DEFAULT (0), "retweets" integer NOT NULL DEFAULT (0), "replies" integer NOT NULL DEFAULT (0), "quotes" integer NOT NULL DEFAULT (0), "impressions" integer NOT NULL DEFAULT (0), "is_thread" integer NOT NULL DEFAULT (0), "thread_id" text, "thread_position" integer NOT NULL DEFAULT (0), "dry_run" integer NOT NULL DEFAULT (0), "error_message" text, "metrics_updated_at" integer, CONSTRAINT "UQ_e97c4fa36da3664016cfa8c8bf5" UNIQUE ("tweet_id"), CONSTRAINT "FK_38a33130041f27c17606958faf9" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_posts_created_at" ON "posts" ("created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_posts_draft_id" ON "posts" ("draft_id")`);
    await queryRunner.query(`CREATE INDEX "idx_posts_posted_at" ON "posts" ("posted_at")`);
    await queryRunner.query(
      `CREATE TABLE "moderation_events" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "draft_id" integer, "revision" integer, "actor_id" text NOT NULL, "actor_name" text NOT NULL, "action" text NOT NULL, "outcome" text NOT NULL, "detail" text, "interaction_id" text, "created_at" integer NOT NULL, CONSTRAINT "FK_18bb253a54a3a3752534f2e49f3" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_moderation_events_created_at" ON "moderation_events" ("created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_moderation_events_draft" ON "moderation_events" ("draft_id")`);
    await queryRunner.query(
      `CREATE TABLE "settings" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "key" text NOT NULL, "value" text NOT NULL, "updated_at" integer NOT NULL, CONSTRAINT "UQ_c8639b7626fa94ba8265628f214" UNIQUE ("key"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "content_fingerprints" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "draft_id" integer NOT NULL, "band_key" text NOT NULL, CONSTRAINT "FK_d490c9be035ba40c2e10784b1cc" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_content_fingerprints_band_key" ON "content_fingerprints" ("band_key")`);
    await queryRunner.query(`CREATE INDEX "idx_content_fingerprints_draft" ON "content_fingerprints" ("draft_id")`);
    await queryRunner.query(
      `CREATE TABLE "generation_runs" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "trigger" text NOT NULL, "outcome" text NOT NULL, "reason" text, "draft_id" integer, "topic_name" text, "attempts" integer NOT NULL DEFAULT (0), "input_tokens" integer NOT NULL DEFAULT (0), "output_tokens" integer NOT NULL DEFAULT (0), "cache_read_tokens" integer NOT NULL DEFAULT (0), "cache_creation_tokens" integer NOT NULL DEFAULT (0), "started_at" integer NOT NULL, "finished_at" integer, CONSTRAINT "FK_65128bbd9d0528595c2a59618a3" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "idx_generation_runs_started_at" ON "generation_runs" ("started_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The same statements on both engines: tables before those they reference.
    await queryRunner.query(`DROP INDEX "idx_generation_runs_started_at"`);
    await queryRunner.query(`DROP TABLE "generation_runs"`);
    await queryRunner.query(`DROP INDEX "idx_content_fingerprints_band_key"`);
    await queryRunner.query(`DROP INDEX "idx_content_fingerprints_draft"`);
    await queryRunner.query(`DROP TABLE "content_fingerprints"`);
    await queryRunner.query(`DROP TABLE "settings"`);
    await queryRunner.query(`DROP INDEX "idx_moderation_events_created_at"`);
    await queryRunner.query(`DROP INDEX "idx_moderation_events_draft"`);
    await queryRunner.query(`DROP TABLE "moderation_events"`);
    await queryRunner.query(`DROP INDEX "idx_posts_created_at"`);
    await queryRunner.query(`DROP INDEX "idx_posts_draft_id"`);
    await queryRunner.query(`DROP INDEX "idx_posts_posted_at"`);
    await queryRunner.query(`DROP TABLE "posts"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_content_hash"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_created_at"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_status_deadline"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_status_not_before"`);
    await queryRunner.query(`DROP TABLE "drafts"`);
    await queryRunner.query(`DROP TABLE "topics"`);
  }
}

/**
 * The same schema on PostgreSQL: bigint for SQLite's integer, double precision for real,
 * BIGSERIAL ids, and the same constraint and index names (primary keys named as TypeORM names them).
 */
async function upPostgres(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(
    `CREATE TABLE "topics" ("id" BIGSERIAL NOT NULL, "topic_name" text NOT NULL, "content_type" text NOT NULL, "description" text NOT NULL DEFAULT '', "weight" bigint NOT NULL DEFAULT '10', "enabled" bigint NOT NULL DEFAULT '1', "last_used" bigint, "usage_count" bigint NOT NULL DEFAULT '0', "approvals" bigint NOT NULL DEFAULT '0', "rejections" bigint NOT NULL DEFAULT '0', "success_rate" double precision NOT NULL DEFAULT '0', "avg_engagement" double precision NOT NULL DEFAULT '0', "created_at" bigint NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "UQ_f2ad24c4081f790528294d64bde" UNIQUE ("topic_name"), CONSTRAINT "PK_e4aa99a3fa60ec3a37d1fc4e853" PRIMARY KEY ("id"))`,
  );
  await queryRunner.query(
    `CREATE TABLE "drafts" ("id" BIGSERIAL NOT NULL, "topic_id" bigint, "topic_name" text NOT NULL, "content_type" text NOT NULL, "kind" text NOT NULL, "tweets" text NOT NULL, "content_hash" text NOT NULL, "revision" bigint NOT NULL DEFAULT '1', "status" text NOT NULL, "risk_flags" text NOT NULL DEFAULT '[]', "sanitiser_changes" text NOT NULL DEFAULT '[]', "moderation_channel_id" text, "moderation_message_id" text, "deadline_at" bigint, "first_approved_by" text, "first_approved_by_name" text, "decided_by" text, "decided_by_name" text, "decided_at" bigint, "decision_source" text, "feedback" text, "reject_reason" text, "edited_by" text, "edited_by_name" text, "model" text, "input_tokens" bigint NOT NULL DEFAULT '0', "output_tokens" bigint NOT NULL DEFAULT '0', "cache_read_tokens" bigint NOT NULL DEFAULT '0', "cache_creation_tokens" bigint NOT NULL DEFAULT '0', "generation_attempts" bigint NOT NULL DEFAULT '1', "publish_attempt_id" text, "publish_attempts" bigint NOT NULL DEFAULT '0', "publishing_started_at" bigint, "lease_owner" text, "lease_expires_at" bigint, "not_before" bigint, "queue_reason" text, "posted_tweet_ids" text NOT NULL DEFAULT '[]', "tweet_id" text, "published_at" bigint, "dry_run" bigint NOT NULL DEFAULT '0', "error_message" text, "error_class" text, "x_cost_usd" double precision NOT NULL DEFAULT '0', "created_at" bigint NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "PK_0598e229012c6cbd4ccbba97328" PRIMARY KEY ("id"), CONSTRAINT "FK_2f8d423c829c16230a98f51aef0" FOREIGN KEY ("topic_id") REFERENCES "topics" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_drafts_content_hash" ON "drafts" ("content_hash")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_created_at" ON "drafts" ("created_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_status_deadline" ON "drafts" ("status", "deadline_at")`);
  await queryRunner.query(`CREATE INDEX "idx_drafts_status_not_before" ON "drafts" ("status", "not_before")`);
  await queryRunner.query(
    `CREATE TABLE "posts" ("id" BIGSERIAL NOT NULL, "draft_id" bigint, "tweet_id" text, "content" text NOT NULL, "content_type" text NOT NULL, "status" text NOT NULL, "created_at" bigint NOT NULL, "posted_at" bigint, "likes" bigint NOT NULL DEFAULT '0', "retweets" bigint NOT NULL DEFAULT '0', "replies" bigint NOT NULL DEFAULT '0', "quotes" bigint NOT NULL DEFAULT '0', "impressions" bigint NOT NULL DEFAULT '0', "is_thread" bigint NOT NULL DEFAULT '0', "thread_id" text, "thread_position" bigint NOT NULL DEFAULT '0', "dry_run" bigint NOT NULL DEFAULT '0', "error_message" text, "metrics_updated_at" bigint, CONSTRAINT "UQ_e97c4fa36da3664016cfa8c8bf5" UNIQUE ("tweet_id"), CONSTRAINT "PK_2829ac61eff60fcec60d7274b9e" PRIMARY KEY ("id"), CONSTRAINT "FK_38a33130041f27c17606958faf9" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_posts_created_at" ON "posts" ("created_at")`);
  await queryRunner.query(`CREATE INDEX "idx_posts_draft_id" ON "posts" ("draft_id")`);
  await queryRunner.query(`CREATE INDEX "idx_posts_posted_at" ON "posts" ("posted_at")`);
  await queryRunner.query(
    `CREATE TABLE "moderation_events" ("id" BIGSERIAL NOT NULL, "draft_id" bigint, "revision" bigint, "actor_id" text NOT NULL, "actor_name" text NOT NULL, "action" text NOT NULL, "outcome" text NOT NULL, "detail" text, "interaction_id" text, "created_at" bigint NOT NULL, CONSTRAINT "PK_723937fdc5b9485fb3a7b16b903" PRIMARY KEY ("id"), CONSTRAINT "FK_18bb253a54a3a3752534f2e49f3" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_moderation_events_created_at" ON "moderation_events" ("created_at")`);
  await queryRunner.query(`CREATE INDEX "idx_moderation_events_draft" ON "moderation_events" ("draft_id")`);
  await queryRunner.query(
    `CREATE TABLE "settings" ("id" BIGSERIAL NOT NULL, "key" text NOT NULL, "value" text NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "UQ_c8639b7626fa94ba8265628f214" UNIQUE ("key"), CONSTRAINT "PK_0669fe20e252eb692bf4d344975" PRIMARY KEY ("id"))`,
  );
  await queryRunner.query(
    `CREATE TABLE "content_fingerprints" ("id" BIGSERIAL NOT NULL, "draft_id" bigint NOT NULL, "band_key" text NOT NULL, CONSTRAINT "PK_36aed185db82375068a64ebdfda" PRIMARY KEY ("id"), CONSTRAINT "FK_d490c9be035ba40c2e10784b1cc" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_content_fingerprints_band_key" ON "content_fingerprints" ("band_key")`);
  await queryRunner.query(`CREATE INDEX "idx_content_fingerprints_draft" ON "content_fingerprints" ("draft_id")`);
  await queryRunner.query(
    `CREATE TABLE "generation_runs" ("id" BIGSERIAL NOT NULL, "trigger" text NOT NULL, "outcome" text NOT NULL, "reason" text, "draft_id" bigint, "topic_name" text, "attempts" bigint NOT NULL DEFAULT '0', "input_tokens" bigint NOT NULL DEFAULT '0', "output_tokens" bigint NOT NULL DEFAULT '0', "cache_read_tokens" bigint NOT NULL DEFAULT '0', "cache_creation_tokens" bigint NOT NULL DEFAULT '0', "started_at" bigint NOT NULL, "finished_at" bigint, CONSTRAINT "PK_c1d0235db87147dcb41917e0e6b" PRIMARY KEY ("id"), CONSTRAINT "FK_65128bbd9d0528595c2a59618a3" FOREIGN KEY ("draft_id") REFERENCES "drafts" ("id") ON DELETE SET NULL ON UPDATE NO ACTION)`,
  );
  await queryRunner.query(`CREATE INDEX "idx_generation_runs_started_at" ON "generation_runs" ("started_at")`);
}
