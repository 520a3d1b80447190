import type { MigrationInterface, QueryRunner } from 'typeorm';
import { isPostgres } from './dialect.js';

/**
 * /stats view:learning (issue 15 §5): the median engagement by topic and content type needs one
 * figure per draft decided in the period. Through (account_id, decided_at) alone each of those
 * rows is a lookup into the table, and as decisions do not come in draft order those lookups are
 * scattered: about 100 ms for 13,000 drafts on a cold cache. This index covers the query (every
 * column it reads), so it is one range scan of the index: about 9 ms for the same drafts.
 * No rollup change is needed: stats_daily already tells a moderator's approvals (drafts_approved)
 * from the deadline's (drafts_timeout, drafts_expired).
 */
export class StatsLearningIndex1796083207000 implements MigrationInterface {
  name = 'StatsLearningIndex1796083207000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const sql = `CREATE INDEX "idx_draft_signals_stats" ON "draft_signals" ("account_id", "decided_at", "topic_name", "content_type", "published_at", "dry_run", "engagement_7d", "engagement_24h")`;
    // The same statement on both engines (PostgreSQL can answer it with an index-only scan).
    if (isPostgres(queryRunner)) await queryRunner.query(sql);
    else await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The same SQL on both engines.
    await queryRunner.query(`DROP INDEX "idx_draft_signals_stats"`);
  }
}
