import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * The publishing calendar (issue 13). On `publications`:
 * - `scheduled_for`: the slot (or the moderator-chosen time) a queued publication is scheduled
 *   for; null = as soon as the caps allow. While scheduled, `not_before` equals it.
 * - `schedule_note`: why the schedule last moved on its own (a slot missed while the bot was down).
 * - a unique partial index on (account_id, scheduled_for) over queued, scheduled rows: of two
 *   approvals racing for one slot only one can store it; the other takes the next free slot.
 * Both engines; frozen SQL, never derived from the entities.
 */
export class PublishingCalendar1796083203000 implements MigrationInterface {
  name = 'PublishingCalendar1796083203000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const integer = isPostgres(queryRunner) ? 'bigint' : 'integer';
    await queryRunner.query(`ALTER TABLE "publications" ADD COLUMN "scheduled_for" ${integer}`);
    await queryRunner.query(`ALTER TABLE "publications" ADD COLUMN "schedule_note" text`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_publications_slot" ON "publications" ("account_id", "scheduled_for") WHERE status = 'queued' AND scheduled_for IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_publications_slot"`);
    await queryRunner.query(`ALTER TABLE "publications" DROP COLUMN "schedule_note"`);
    await queryRunner.query(`ALTER TABLE "publications" DROP COLUMN "scheduled_for"`);
  }
}
