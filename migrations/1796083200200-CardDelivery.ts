import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * What the moderation card of a draft is known to show, and how posting it is going:
 * - `card_post_attempts`, `card_next_attempt_at`, `card_last_error`: a card that Discord refused
 *   to post is retried with backoff, and the schedule survives a restart;
 * - `card_rendered_revision`, `card_rendered_status`, `card_rendered_version` (the draft's
 *   `updated_at` that was rendered): a card whose draft changed since it was last rendered (an
 *   edit Discord refused) is re-rendered by the reconciler.
 * Existing cards are taken as up to date, so an upgrade does not re-edit the whole history. A
 * pending draft without a card loses its deadline: the deadline starts when its card is shown.
 */
export class CardDelivery1796083200200 implements MigrationInterface {
  name = 'CardDelivery1796083200200';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) {
      // PostgreSQL: bigint for SQLite's integer (see dialect.ts); the UPDATEs below are the same.
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_post_attempts" bigint NOT NULL DEFAULT '0'`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_next_attempt_at" bigint`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_last_error" text`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_revision" bigint`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_status" text`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_version" bigint`);
    } else {
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_post_attempts" integer NOT NULL DEFAULT (0)`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_next_attempt_at" integer`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_last_error" text`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_revision" integer`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_status" text`);
      await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_version" integer`);
    }
    await queryRunner.query(
      `UPDATE "drafts" SET "card_rendered_revision" = "revision", "card_rendered_status" = "status", "card_rendered_version" = "updated_at" WHERE "moderation_message_id" IS NOT NULL`,
    );
    await queryRunner.query(`UPDATE "drafts" SET "deadline_at" = NULL WHERE "status" = 'pending' AND "moderation_message_id" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Pending drafts without a card keep no deadline: the old code then never times them out,
    // which is the safe side (nothing is published that no one was shown). The same SQL on both engines.
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_rendered_version"`);
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_rendered_status"`);
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_rendered_revision"`);
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_last_error"`);
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_next_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_post_attempts"`);
  }
}
