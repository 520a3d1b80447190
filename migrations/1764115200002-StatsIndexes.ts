import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for /stats, so its aggregates read narrow index b-trees instead of whole
 * rows, and group topics in index order instead of sorting: building the reply stays within
 * 100 ms on 100,000 posts (see bench/stats.bench.ts). The bot writes a few rows an hour, so the
 * extra index maintenance costs nothing that matters. The same SQL on SQLite and PostgreSQL.
 */
export class StatsIndexes1764115200002 implements MigrationInterface {
  name = 'StatsIndexes1764115200002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "idx_posts_stats_time" ON "posts" ("posted_at", "status", "thread_position", "dry_run", "likes", "retweets", "replies", "quotes", "impressions", "draft_id")`,
    );
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_topic" ON "drafts" ("topic_name", "status", "decision_source", "created_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_decision" ON "drafts" ("decision_source", "created_at", "decided_at")`);
    await queryRunner.query(`CREATE INDEX "idx_drafts_stats_published" ON "drafts" ("status", "published_at", "x_cost_usd")`);
    await queryRunner.query(
      `CREATE INDEX "idx_generation_runs_stats" ON "generation_runs" ("started_at", "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "idx_generation_runs_stats"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_published"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_decision"`);
    await queryRunner.query(`DROP INDEX "idx_drafts_stats_topic"`);
    await queryRunner.query(`DROP INDEX "idx_posts_stats_time"`);
  }
}
