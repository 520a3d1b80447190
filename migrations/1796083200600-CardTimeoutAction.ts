import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a pending draft's card says the deadline will do (`publish` or `expire`). The deadline
 * publishes only a draft whose card said so: after TIMEOUT_ACTION or REQUIRE_SECOND_APPROVAL
 * changes, a card that promised expiry is re-rendered with a fresh deadline instead. Cards from
 * before this migration said nothing known here (NULL), so they count as not promising to publish.
 * The same SQL on SQLite and PostgreSQL.
 */
export class CardTimeoutAction1796083200600 implements MigrationInterface {
  name = 'CardTimeoutAction1796083200600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "drafts" ADD COLUMN "card_rendered_timeout_action" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "drafts" DROP COLUMN "card_rendered_timeout_action"`);
  }
}
