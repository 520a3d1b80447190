import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * Learning from moderators (issue 15 §1): the signals, per account.
 * - `draft_signals`: one row per decided draft (keyed by draft_id): its decision, the decided
 *   tweets, whether they carried risk flags, when it was published (and whether in dry run), its
 *   engagement 24 h and 7 days later, and a moderator's example pin.
 * - `feedback_signals`: append-only: Regenerate feedback, reject reasons, edits (before/after JSON).
 * Neither has a foreign key to drafts: they are history, nothing may take them away with a draft.
 *
 * Backfill from the rows that exist: every decided draft (a moderator's approval counts as
 * `approved_after_edit` when the draft was edited and no Regenerate came after its last edit;
 * the deadline's as `published_by_timeout` or `expired`) with its publication time and dry run;
 * the reject reasons and the Regenerate feedback of the audit log as feedback, in time order.
 * Edits have no before text in the history, so none is backfilled. Engagement stays NULL: the
 * next engagement refresh takes every figure that is due from the posts' metrics.
 * Both engines; frozen SQL, never derived from the entities.
 */
export class LearningSignals1796083206000 implements MigrationInterface {
  name = 'LearningSignals1796083206000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) {
      await queryRunner.query(
        `CREATE TABLE "draft_signals" ("draft_id" bigint NOT NULL, "account_id" text NOT NULL, "topic_id" bigint, "topic_name" text NOT NULL, "content_type" text NOT NULL, "decision" text NOT NULL, "decided_at" bigint NOT NULL, "reject_reason" text, "had_risk_flags" bigint NOT NULL DEFAULT '0', "tweets" text NOT NULL, "published_at" bigint, "dry_run" bigint NOT NULL DEFAULT '0', "engagement_24h" bigint, "engagement_7d" bigint, "pin" text, "pinned_at" bigint, "created_at" bigint NOT NULL, "updated_at" bigint NOT NULL, CONSTRAINT "PK_55df044189e1bce434d0cd07608" PRIMARY KEY ("draft_id"))`,
      );
      await queryRunner.query(
        `CREATE TABLE "feedback_signals" ("id" BIGSERIAL NOT NULL, "account_id" text NOT NULL, "draft_id" bigint NOT NULL, "kind" text NOT NULL, "text" text, "before_tweets" text, "after_tweets" text, "revision" bigint, "actor_id" text, "topic_name" text NOT NULL, "content_type" text NOT NULL, "created_at" bigint NOT NULL, CONSTRAINT "PK_5db8b669b7ef6c51100bbc20b2d" PRIMARY KEY ("id"))`,
      );
    } else {
      await queryRunner.query(
        `CREATE TABLE "draft_signals" ("draft_id" integer PRIMARY KEY NOT NULL, "account_id" text NOT NULL, "topic_id" integer, "topic_name" text NOT NULL, "content_type" text NOT NULL, "decision" text NOT NULL, "decided_at" integer NOT NULL, "reject_reason" text, "had_risk_flags" integer NOT NULL DEFAULT (0), "tweets" text NOT NULL, "published_at" integer, "dry_run" integer NOT NULL DEFAULT (0), "engagement_24h" integer, "engagement_7d" integer, "pin" text, "pinned_at" integer, "created_at" integer NOT NULL, "updated_at" integer NOT NULL)`,
      );
      await queryRunner.query(
        `CREATE TABLE "feedback_signals" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "account_id" text NOT NULL, "draft_id" integer NOT NULL, "kind" text NOT NULL, "text" text, "before_tweets" text, "after_tweets" text, "revision" integer, "actor_id" text, "topic_name" text NOT NULL, "content_type" text NOT NULL, "created_at" integer NOT NULL)`,
      );
    }
    await queryRunner.query(`CREATE INDEX "idx_draft_signals_decided" ON "draft_signals" ("account_id", "decided_at")`);
    await queryRunner.query(`CREATE INDEX "idx_draft_signals_published" ON "draft_signals" ("account_id", "published_at")`);
    await queryRunner.query(`CREATE INDEX "idx_feedback_signals_account" ON "feedback_signals" ("account_id", "id")`);
    await queryRunner.query(`CREATE INDEX "idx_feedback_signals_draft" ON "feedback_signals" ("draft_id", "id")`);

    // Every decided draft. Moved on drafts are all `approved` on the row (their publishing state lives in publications).
    const lastRevisingAction = `(SELECT e.action FROM moderation_events e WHERE e.draft_id = d.id AND e.action IN ('edit', 'regenerate') AND e.outcome = 'revised' ORDER BY e.id DESC LIMIT 1)`;
    const decidedAt = `COALESCE(d.decided_at, d.updated_at)`;
    await queryRunner.query(
      `INSERT INTO "draft_signals" ("draft_id", "account_id", "topic_id", "topic_name", "content_type", "decision", "decided_at", "reject_reason", "had_risk_flags", "tweets", "published_at", "dry_run", "created_at", "updated_at")
       SELECT d.id, d.account_id, d.topic_id, d.topic_name, d.content_type,
              CASE WHEN d.status = 'rejected' THEN 'rejected'
                   WHEN d.status = 'expired' THEN 'expired'
                   WHEN d.decision_source = 'timeout' THEN 'published_by_timeout'
                   WHEN d.edited_by IS NOT NULL AND COALESCE(${lastRevisingAction}, 'edit') = 'edit' THEN 'approved_after_edit'
                   ELSE 'approved' END,
              ${decidedAt},
              CASE WHEN d.status = 'rejected' AND TRIM(COALESCE(d.reject_reason, '')) <> '' THEN d.reject_reason ELSE NULL END,
              CASE WHEN d.risk_flags IS NULL OR d.risk_flags = '[]' THEN 0 ELSE 1 END,
              d.tweets,
              CASE WHEN p.status = 'published' THEN p.published_at ELSE NULL END,
              CASE WHEN p.status = 'published' THEN p.dry_run ELSE 0 END,
              ${decidedAt}, ${decidedAt}
         FROM drafts d LEFT JOIN publications p ON p.draft_id = d.id AND p.account_id = d.account_id
        WHERE d.status IN ('approved', 'rejected', 'expired')`,
    );
    // Reject reasons and Regenerate feedback, in the order they were written (ids grow with time).
    await queryRunner.query(
      `INSERT INTO "feedback_signals" ("account_id", "draft_id", "kind", "text", "revision", "actor_id", "topic_name", "content_type", "created_at")
       SELECT account_id, draft_id, kind, text, revision, actor_id, topic_name, content_type, created_at FROM (
         SELECT d.account_id, d.id AS draft_id, 'reject' AS kind, d.reject_reason AS text, d.revision, d.decided_by AS actor_id,
                d.topic_name, d.content_type, ${decidedAt} AS created_at, 0 AS source, d.id AS source_id
           FROM drafts d WHERE d.status = 'rejected' AND TRIM(COALESCE(d.reject_reason, '')) <> ''
         UNION ALL
         SELECT e.account_id, e.draft_id, 'regenerate', e.detail, e.revision + 1, e.actor_id, d.topic_name, d.content_type, e.created_at, 1, e.id
           FROM moderation_events e JOIN drafts d ON d.id = e.draft_id
          WHERE e.action = 'regenerate' AND e.outcome = 'revised'
       ) feedback ORDER BY created_at, source, source_id`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_feedback_signals_draft"`);
    await queryRunner.query(`DROP INDEX "idx_feedback_signals_account"`);
    await queryRunner.query(`DROP INDEX "idx_draft_signals_published"`);
    await queryRunner.query(`DROP INDEX "idx_draft_signals_decided"`);
    await queryRunner.query(`DROP TABLE "feedback_signals"`);
    await queryRunner.query(`DROP TABLE "draft_signals"`);
  }
}
