import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildDailyRollups } from '../src/db/stats-rollups.js';
import { isPostgres } from './dialect.js';

/** The summed columns of stats_daily as this migration creates them (frozen). */
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
 * The /stats rollups (issue 16 §1): `stats_daily`, one row per account, local day, topic and
 * content type (see src/db/entities/stats-daily.entity.ts), backfilled from the existing rows.
 * The backfill counts days in TIMEZONE (the process's environment, 'UTC' when unset, as the
 * configuration defaults it): an account whose accounts.yaml gives it another zone is recounted
 * by `npm run stats:rebuild`. The table SQL is written out; the backfill reuses the
 * recomputation the rebuild runs, so both always agree with what the bot's writes add up to.
 * Both engines: PostgreSQL with bigint and double precision, as the entities map them.
 */
export class StatsRollups1796083204000 implements MigrationInterface {
  name = 'StatsRollups1796083204000';

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
    const key = `"account_id" text NOT NULL, "day" ${integer} NOT NULL, "topic_name" text NOT NULL, "content_type" text NOT NULL`;
    const primaryKey = pg
      ? `CONSTRAINT "PK_24fa1a9328dd05ad223370cf016" PRIMARY KEY ("account_id", "day", "topic_name", "content_type")`
      : `PRIMARY KEY ("account_id", "day", "topic_name", "content_type")`;
    // SQLite: WITHOUT ROWID stores the rows in key order (account, day, ...), so /stats reads one
    // contiguous range instead of an index plus a lookup per row.
    await queryRunner.query(`CREATE TABLE "stats_daily" (${key}, ${sums}, ${primaryKey})${pg ? '' : ' WITHOUT ROWID'}`);
    const zone = process.env['TIMEZONE'] || 'UTC';
    await rebuildDailyRollups(queryRunner.manager, () => zone);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stats_daily"`);
  }
}
