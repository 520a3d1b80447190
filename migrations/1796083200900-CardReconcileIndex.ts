import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * A partial index over exactly the cards that are behind their draft. The card reconciler looks
 * for them twice a minute, and /healthz and /metrics count them on every probe and scrape; without
 * it each of those scanned every draft ever carded (about 20 ms of blocked event loop at 100,000
 * drafts). The index holds only the few rows that are out of date, so each lookup is under 1 ms.
 * Its WHERE clause is CARD_OUT_OF_DATE_WHERE of DraftEntity, written out: a migration is frozen.
 */
export class CardReconcileIndex1796083200900 implements MigrationInterface {
  name = 'CardReconcileIndex1796083200900';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (isPostgres(queryRunner)) {
      // PostgreSQL has no `a IS NOT b` between two columns: IS DISTINCT FROM says the same.
      await queryRunner.query(
        `CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE moderation_message_id IS NOT NULL AND (card_rendered_revision IS DISTINCT FROM revision OR card_rendered_status IS DISTINCT FROM status OR card_rendered_version IS DISTINCT FROM updated_at)`,
      );
      return;
    }
    await queryRunner.query(
      `CREATE INDEX "idx_drafts_card_out_of_date" ON "drafts" ("id") WHERE moderation_message_id IS NOT NULL AND (card_rendered_revision IS NOT revision OR card_rendered_status IS NOT status OR card_rendered_version IS NOT updated_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The same SQL on both engines.
    await queryRunner.query(`DROP INDEX "idx_drafts_card_out_of_date"`);
  }
}
