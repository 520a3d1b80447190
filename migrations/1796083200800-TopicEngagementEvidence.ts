import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * How many published drafts a topic's `avg_engagement` was averaged over: the evidence the
 * engagement factor weighs it by. Stored with the average by the engagement refresh (one snapshot,
 * so the two always agree) instead of being counted over every post each time topics are listed:
 * listing runs on every autocomplete keystroke and every /stats. Filled from the posts as the
 * refresh would count them: one per draft with a real (not dry-run) posted tweet.
 */
export class TopicEngagementEvidence1796083200800 implements MigrationInterface {
  name = 'TopicEngagementEvidence1796083200800';

  async up(queryRunner: QueryRunner): Promise<void> {
    // PostgreSQL: bigint for SQLite's integer (see dialect.ts); the UPDATE is the same.
    if (isPostgres(queryRunner)) await queryRunner.query(`ALTER TABLE "topics" ADD COLUMN "engagement_posts" bigint NOT NULL DEFAULT '0'`);
    else await queryRunner.query(`ALTER TABLE "topics" ADD COLUMN "engagement_posts" integer NOT NULL DEFAULT (0)`);
    await queryRunner.query(
      `UPDATE "topics" SET "engagement_posts" = (
         SELECT COUNT(DISTINCT d.id) FROM posts p JOIN drafts d ON d.id = p.draft_id
          WHERE p.status = 'posted' AND p.dry_run = 0 AND d.topic_id = "topics"."id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The same SQL on both engines.
    await queryRunner.query(`ALTER TABLE "topics" DROP COLUMN "engagement_posts"`);
  }
}
