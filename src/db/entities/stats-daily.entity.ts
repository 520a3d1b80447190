import { Entity, PrimaryColumn } from 'typeorm';
import { StatsRollupSums } from './stats-rollup-sums.js';

/**
 * The /stats rollups (issue 16 §1): one row per account, LOCAL day (the account's TIMEZONE; see
 * src/domain/local-day.ts), topic and content type, holding the sums /stats shows for a period.
 * Kept up to date in the same transaction as the event that changes them (src/db/stats-rollups.ts),
 * backfilled by migration StatsRollups, recomputed by `npm run stats:rebuild`. The sums and what
 * each counts: stats-rollup-sums.ts.
 */
// WITHOUT ROWID on SQLite: the rows are stored in primary-key order, so a period is one contiguous range.
@Entity({ name: 'stats_daily', withoutRowid: true })
export class StatsDailyEntity extends StatsRollupSums {
  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;

  @PrimaryColumn({ type: 'integer' })
  day!: number;

  @PrimaryColumn({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @PrimaryColumn({ name: 'content_type', type: 'text' })
  contentType!: string;
}
