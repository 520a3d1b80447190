import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The monthly /stats rollups (issue 16 §1): the sums of stats_daily (see stats-daily.entity.ts)
 * by the calendar month of the same local days, kept by the same upsert in the same transaction
 * (src/db/stats-rollups.ts addToRollup), backfilled from the daily rows by migration
 * StatsMonthlyRollups, recomputed by `npm run stats:rebuild`. /stats "all" reads these: one row per
 * month, topic and content type, however long the history.
 */
// WITHOUT ROWID on SQLite, as stats_daily: an account's months are one contiguous range.
@Entity({ name: 'stats_monthly', withoutRowid: true })
export class StatsMonthlyEntity {
  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;

  /** The local day (src/domain/local-day.ts) of the month's 1st: monthOfDay. */
  @PrimaryColumn({ type: 'integer' })
  month!: number;

  @PrimaryColumn({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @PrimaryColumn({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ name: 'drafts_generated', type: 'integer', default: 0 })
  draftsGenerated!: number;

  @Column({ name: 'drafts_pending', type: 'integer', default: 0 })
  draftsPending!: number;

  @Column({ name: 'drafts_approved', type: 'integer', default: 0 })
  draftsApproved!: number;

  @Column({ name: 'drafts_timeout', type: 'integer', default: 0 })
  draftsTimeout!: number;

  @Column({ name: 'drafts_rejected', type: 'integer', default: 0 })
  draftsRejected!: number;

  @Column({ name: 'drafts_expired', type: 'integer', default: 0 })
  draftsExpired!: number;

  @Column({ name: 'drafts_published', type: 'integer', default: 0 })
  draftsPublished!: number;

  @Column({ type: 'integer', default: 0 })
  publications!: number;

  @Column({ name: 'dry_run_publications', type: 'integer', default: 0 })
  dryRunPublications!: number;

  @Column({ type: 'integer', default: 0 })
  tweets!: number;

  @Column({ type: 'integer', default: 0 })
  likes!: number;

  @Column({ type: 'integer', default: 0 })
  retweets!: number;

  @Column({ type: 'integer', default: 0 })
  replies!: number;

  @Column({ type: 'integer', default: 0 })
  quotes!: number;

  @Column({ type: 'integer', default: 0 })
  impressions!: number;

  @Column({ name: 'x_cost_usd', type: 'real', default: 0 })
  xCostUsd!: number;

  @Column({ name: 'generation_runs', type: 'integer', default: 0 })
  generationRuns!: number;

  @Column({ name: 'input_tokens', type: 'integer', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'integer', default: 0 })
  outputTokens!: number;

  @Column({ name: 'cache_read_tokens', type: 'integer', default: 0 })
  cacheReadTokens!: number;

  @Column({ name: 'cache_creation_tokens', type: 'integer', default: 0 })
  cacheCreationTokens!: number;
}
