import { Column, Entity, JoinColumn, ManyToOne, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DraftEntity } from './draft.entity.js';
import { booleanInteger } from './column-types.js';

/**
 * One tweet that went to X (or would have, in dry run): the original design's posts table.
 * A thread is one row per tweet sharing `thread_id` (the root tweet's id); our caps count
 * publications, i.e. rows with `thread_position = 0`.
 */
@Entity({ name: 'posts' })
@Index('idx_posts_posted_at', ['postedAt'])
@Index('idx_posts_created_at', ['createdAt'])
@Index('idx_posts_draft_id', ['draftId'])
// Covering indexes for /stats (migration StatsIndexes).
// account_id last (migration Accounts): a period is still one index range, now filtered per account inside it.
@Index('idx_posts_stats_time', [
  'accountId',
  'postedAt',
  'status',
  'threadPosition',
  'dryRun',
  'likes',
  'retweets',
  'replies',
  'quotes',
  'impressions',
  'draftId',
])
export class PostEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account this row belongs to. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  @Column({ name: 'draft_id', type: 'integer', nullable: true })
  draftId!: number | null;

  @Column({ name: 'tweet_id', type: 'text', nullable: true, unique: true })
  tweetId!: string | null;

  @Column({ type: 'text' })
  content!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  /** posted or failed, as in the original design. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'posted_at', type: 'integer', nullable: true })
  postedAt!: number | null;

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

  @Column({ name: 'is_thread', type: 'integer', default: 0, transformer: booleanInteger })
  isThread!: boolean;

  @Column({ name: 'thread_id', type: 'text', nullable: true })
  threadId!: string | null;

  @Column({ name: 'thread_position', type: 'integer', default: 0 })
  threadPosition!: number;

  @Column({ name: 'dry_run', type: 'integer', default: 0, transformer: booleanInteger })
  dryRun!: boolean;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'metrics_updated_at', type: 'integer', nullable: true })
  metricsUpdatedAt!: number | null;

  @ManyToOne(() => DraftEntity, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity | null;
}
