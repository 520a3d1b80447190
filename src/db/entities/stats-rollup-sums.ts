import { Column } from 'typeorm';

/**
 * The summed columns of both /stats rollup tables, stats_daily and stats_monthly (one set of
 * columns, so the two tables cannot drift apart; src/db/stats-rollups.ts adds the same delta to
 * both). Not an entity: each table's entity extends it with its own primary key.
 * - drafts_*: drafts by the day they were CREATED (as /stats has always counted them), by outcome;
 *   `drafts_published` are the approved drafts whose publication is published.
 * - publications .. impressions: posted tweets by the day they were POSTED (publications = the
 *   first tweet of each), with their engagement; an engagement refresh adds its delta.
 * - x_cost_usd: publications by the day they were PUBLISHED.
 * - generation_runs and tokens: runs by the day they STARTED (content type '': a run has none).
 */
export abstract class StatsRollupSums {
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
