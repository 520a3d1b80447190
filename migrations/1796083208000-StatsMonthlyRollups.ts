import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildMonthlyFromDaily } from '../src/db/stats-rollups.js';
import { isPostgres } from './dialect.js';

/** The summed columns as migration StatsRollups created them for stats_daily (frozen). */
const COUNTERS = [
  'drafts_generated',
  'drafts_pending',
  'drafts_approved',
  'drafts_timeout',
  'drafts_rejected',
  'drafts_expired',
  'drafts_published',
  'publications',
  'dry_run_publications',
  'tweets',
  'likes',
  'retweets',
  'replies',
  'quotes',
  'impressions',
] as const;
const TOKENS = ['generation_runs', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'] as const;

/**
 * Monthly /stats rollups (issue 16 §1): `stats_monthly`, the sums of stats_daily by calendar month
 * (see src/db/entities/stats-monthly.entity.ts), so /stats "all" reads one row per month and topic
 * instead of one per day (at a million posts, the daily rows made "all" over five accounts take
 * about 100 ms). Backfilled from the daily rows as they stand (same zones, same days): a second of
 * work where a recomputation from the history takes a minute. Both engines, as StatsRollups.
 */
export class StatsMonthlyRollups1796083208000 implements MigrationInterface {
  name = 'StatsMonthlyRollups1796083208000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = isPostgres(queryRunner);
    const integer = pg ? 'bigint' : 'integer';
    const real = pg ? 'double precision' : 'real';
    const zero = pg ? `'0'` : '(0)';
    const sums = [
      ...COUNTERS.map((c) => `"${c}" ${integer} NOT NULL DEFAULT ${zero}`),
      `"x_cost_usd" ${real} NOT NULL DEFAULT ${zero}`,
      ...TOKENS.map((c) => `"${c}" ${integer} NOT NULL DEFAULT ${zero}`),
    ].join(', ');
    const key = `"account_id" text NOT NULL, "month" ${integer} NOT NULL, "topic_name" text NOT NULL, "content_type" text NOT NULL`;
    const primaryKey = pg
      ? `CONSTRAINT "PK_3fb0fb4cd79c77c7f700dfb0cbb" PRIMARY KEY ("account_id", "month", "topic_name", "content_type")`
      : `PRIMARY KEY ("account_id", "month", "topic_name", "content_type")`;
    await queryRunner.query(`CREATE TABLE "stats_monthly" (${key}, ${sums}, ${primaryKey})${pg ? '' : ' WITHOUT ROWID'}`);
    await rebuildMonthlyFromDaily(queryRunner.manager);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stats_monthly"`);
  }
}
