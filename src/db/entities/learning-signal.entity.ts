import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { booleanInteger, jsonText, nullableJsonText } from './column-types.js';

/**
 * Learning from moderators (issue 15): one row per decided draft, written in the same transaction
 * as its decision (src/db/learning-signals.ts) and replaced by a later decision of the same draft
 * (an Unschedule sends an approved draft back to pending). No foreign key to drafts: a signal is
 * history, and nothing may take it away with its draft. Times are epoch milliseconds.
 */
@Entity({ name: 'draft_signals' })
// What topic selection reads: an account's decisions, newest first.
@Index('idx_draft_signals_decided', ['accountId', 'decidedAt'])
// The published ones (examples, the engagement snapshots).
@Index('idx_draft_signals_published', ['accountId', 'publishedAt'])
export class DraftSignalEntity {
  @PrimaryColumn({ name: 'draft_id', type: 'integer' })
  draftId!: number;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'topic_id', type: 'integer', nullable: true })
  topicId!: number | null;

  @Column({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  /** One of DRAFT_DECISIONS (src/domain/learning.ts). */
  @Column({ type: 'text' })
  decision!: string;

  @Column({ name: 'decided_at', type: 'integer' })
  decidedAt!: number;

  @Column({ name: 'reject_reason', type: 'text', nullable: true })
  rejectReason!: string | null;

  @Column({ name: 'had_risk_flags', type: 'integer', default: 0, transformer: booleanInteger })
  hadRiskFlags!: boolean;

  /** The decided revision's tweets, as a JSON array of strings. */
  @Column({ type: 'text', transformer: jsonText<string[]>([]) })
  tweets!: string[];

  @Column({ name: 'published_at', type: 'integer', nullable: true })
  publishedAt!: number | null;

  @Column({ name: 'dry_run', type: 'integer', default: 0, transformer: booleanInteger })
  dryRun!: boolean;

  @Column({ name: 'engagement_24h', type: 'integer', nullable: true })
  engagement24h!: number | null;

  @Column({ name: 'engagement_7d', type: 'integer', nullable: true })
  engagement7d!: number | null;

  /** 'in' | 'out' (/voice pin, unpin); null: chosen automatically. */
  @Column({ type: 'text', nullable: true })
  pin!: string | null;

  @Column({ name: 'pinned_at', type: 'integer', nullable: true })
  pinnedAt!: number | null;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;
}

/**
 * What moderators wrote while drafts were pending, append-only, in the order written: Regenerate
 * feedback, reject reasons, and edits with the tweets before and after. No foreign key to drafts
 * (history stays). Times are epoch milliseconds.
 */
@Entity({ name: 'feedback_signals' })
// Reads go by account in id order (feedbackAfter's cursor).
@Index('idx_feedback_signals_account', ['accountId', 'id'])
// A draft's latest revision-changing feedback (was the approved text a moderator's edit?).
@Index('idx_feedback_signals_draft', ['draftId', 'id'])
export class FeedbackSignalEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'draft_id', type: 'integer' })
  draftId!: number;

  /** One of FEEDBACK_KINDS: regenerate, reject, edit. */
  @Column({ type: 'text' })
  kind!: string;

  /** Regenerate's feedback or the reject reason; null for an edit or when none was given. */
  @Column({ type: 'text', nullable: true })
  text!: string | null;

  @Column({ name: 'before_tweets', type: 'text', nullable: true, transformer: nullableJsonText })
  beforeTweets!: string[] | null;

  @Column({ name: 'after_tweets', type: 'text', nullable: true, transformer: nullableJsonText })
  afterTweets!: string[] | null;

  /** The draft's revision the feedback produced (regenerate, edit) or was about (reject). */
  @Column({ type: 'integer', nullable: true })
  revision!: number | null;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  @Column({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;
}
