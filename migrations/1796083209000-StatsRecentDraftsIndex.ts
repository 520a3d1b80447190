import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * /stats 24h (the overview's drafts by topic, the learning view's decisions) is the one period
 * that reads raw drafts, through an index on time (issue 16 §1). The only one was
 * (created_at): every account's drafts of the day, each a lookup into the table for its account,
 * topic, type, status and source. At a million posts over 5 accounts that was about 2 ms a query
 * and account, 10 ms for an all-accounts /stats. This index is led by the account and the time
 * and covers both queries, so a day of one account is one short range scan of the index.
 * Nothing to backfill: an index.
 */
export class StatsRecentDraftsIndex1796083209000 implements MigrationInterface {
  name = 'StatsRecentDraftsIndex1796083209000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The same statement on both engines (PostgreSQL can answer both queries with an index-only scan).
    await queryRunner.query(
      `CREATE INDEX "idx_drafts_stats_recent" ON "drafts" ("account_id", "created_at", "topic_name", "content_type", "status", "decision_source")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The same SQL on both engines.
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_recent"`);
  }
}
