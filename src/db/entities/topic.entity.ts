import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { booleanInteger } from './column-types.js';

/** A topic the bot writes about: the original design's columns plus the moderator's weight. */
@Entity({ name: 'topics' })
// Topics are per account: each account has its own names, weights and statistics.
@Unique('uq_topics_account_name', ['accountId', 'topicName'])
export class TopicEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account this row belongs to. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  @Column({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ type: 'text', default: '' })
  description!: string;

  /** The configured weight (0-100): the moderator's number, never changed by feedback. */
  @Column({ type: 'integer', default: 10 })
  weight!: number;

  @Column({ type: 'integer', default: 1, transformer: booleanInteger })
  enabled!: boolean;

  @Column({ name: 'last_used', type: 'integer', nullable: true })
  lastUsed!: number | null;

  @Column({ name: 'usage_count', type: 'integer', default: 0 })
  usageCount!: number;

  @Column({ type: 'integer', default: 0 })
  approvals!: number;

  @Column({ type: 'integer', default: 0 })
  rejections!: number;

  /** Approval rate of decided drafts, 0..1. */
  @Column({ name: 'success_rate', type: 'real', default: 0 })
  successRate!: number;

  /** Mean engagement (likes + retweets + replies + quotes) per published post. */
  @Column({ name: 'avg_engagement', type: 'real', default: 0 })
  avgEngagement!: number;

  /** How many published drafts `avgEngagement` was averaged over; stored with it by the engagement refresh. */
  @Column({ name: 'engagement_posts', type: 'integer', default: 0 })
  engagementPosts!: number;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}
