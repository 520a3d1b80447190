import { Entity, PrimaryColumn } from 'typeorm';
import { StatsRollupSums } from './stats-rollup-sums.js';

/**
 * The monthly /stats rollups (issue 16 §1): the sums of stats_daily (see stats-daily.entity.ts)
 * by the calendar month of the same local days, kept by the same upsert in the same transaction
 * (src/db/stats-rollups.ts addToRollup), backfilled from the daily rows by migration
 * StatsMonthlyRollups, recomputed by `npm run stats:rebuild`. /stats "all" reads these: one row per
 * month, topic and content type, however long the history.
 */
// WITHOUT ROWID on SQLite, as stats_daily: an account's months are one contiguous range.
@Entity({ name: 'stats_monthly', withoutRowid: true })
export class StatsMonthlyEntity extends StatsRollupSums {
  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;

  /** The local day (src/domain/local-day.ts) of the month's 1st: monthOfDay. */
  @PrimaryColumn({ type: 'integer' })
  month!: number;

  @PrimaryColumn({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @PrimaryColumn({ name: 'content_type', type: 'text' })
  contentType!: string;
}
