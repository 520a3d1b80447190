import { Column, Entity, JoinColumn, ManyToOne, OneToMany, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TopicEntity } from './topic.entity.js';
import { jsonText } from './column-types.js';
import type { PublicationEntity } from './publication.entity.js';

/**
 * A draft whose card shows an older state than the draft (a refused or lost card edit). The
 * repository queries with exactly this text and a partial index is declared with it, so SQLite
 * reads only the few such rows instead of every carded draft.
 *
 * `IS DISTINCT FROM` is what PostgreSQL accepts; SQLite parses it into the very `IS NOT` the
 * migrations wrote into the index, so its planner still matches the index (database.test.ts).
 *
 * `status` is the draft's moderation status; the card shows the combined status (approved,
 * publishing, published, failed come from the publication). A card that showed a publication
 * status was rendered from an approved draft, so only its version can be behind: every
 * publication write bumps the draft's `updated_at` (same transaction) for that reason.
 */
export const CARD_OUT_OF_DATE_WHERE =
  "moderation_message_id IS NOT NULL AND (card_rendered_revision IS DISTINCT FROM revision OR card_rendered_version IS DISTINCT FROM updated_at OR (card_rendered_status IS DISTINCT FROM status AND (card_rendered_status IS NULL OR card_rendered_status NOT IN ('publishing', 'published', 'failed'))))";

/**
 * A generated draft through moderation: pending, approved, rejected or expired. Its publishing
 * lives in `publications` (one row per target account). Times are epoch milliseconds.
 */
@Entity({ name: 'drafts' })
@Index('idx_drafts_status_deadline', ['status', 'deadlineAt'])
@Index('idx_drafts_created_at', ['createdAt'])
@Index('idx_drafts_content_hash', ['contentHash'])
// Covering indexes for /stats, per account (migration Accounts).
@Index('idx_drafts_stats_topic', ['accountId', 'topicName', 'status', 'decisionSource', 'createdAt'])
@Index('idx_drafts_stats_decision', ['accountId', 'decisionSource', 'createdAt', 'decidedAt'])
// /stats 24h of one account: a range of its recent drafts, covered (migration StatsRecentDraftsIndex).
@Index('idx_drafts_stats_recent', ['accountId', 'createdAt', 'topicName', 'contentType', 'status', 'decisionSource'])
// Only the cards behind their draft (migrations CardReconcileIndex and Accounts; the reconciler's and /healthz's lookup).
@Index('idx_drafts_card_out_of_date', ['id'], { where: CARD_OUT_OF_DATE_WHERE })
export class DraftEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The account the draft was written for. */
  @Column({ name: 'account_id', type: 'text', default: 'default' })
  accountId!: string;

  @Column({ name: 'topic_id', type: 'integer', nullable: true })
  topicId!: number | null;

  @Column({ name: 'topic_name', type: 'text' })
  topicName!: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType!: string;

  @Column({ type: 'text' })
  kind!: 'tweet' | 'thread';

  /** The tweet, or every tweet of the thread, as a JSON array of strings. */
  @Column({ type: 'text', transformer: jsonText<string[]>([]) })
  tweets!: string[];

  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ type: 'integer', default: 1 })
  revision!: number;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'risk_flags', type: 'text', default: '[]', transformer: jsonText<Array<{ id: string; label: string }>>([]) })
  riskFlags!: Array<{ id: string; label: string }>;

  @Column({ name: 'sanitiser_changes', type: 'text', default: '[]', transformer: jsonText<string[]>([]) })
  sanitiserChanges!: string[];

  @Column({ name: 'moderation_channel_id', type: 'text', nullable: true })
  moderationChannelId!: string | null;

  @Column({ name: 'moderation_message_id', type: 'text', nullable: true })
  moderationMessageId!: string | null;

  @Column({ name: 'deadline_at', type: 'integer', nullable: true })
  deadlineAt!: number | null;

  @Column({ name: 'first_approved_by', type: 'text', nullable: true })
  firstApprovedBy!: string | null;

  @Column({ name: 'first_approved_by_name', type: 'text', nullable: true })
  firstApprovedByName!: string | null;

  @Column({ name: 'decided_by', type: 'text', nullable: true })
  decidedBy!: string | null;

  @Column({ name: 'decided_by_name', type: 'text', nullable: true })
  decidedByName!: string | null;

  @Column({ name: 'decided_at', type: 'integer', nullable: true })
  decidedAt!: number | null;

  @Column({ name: 'decision_source', type: 'text', nullable: true })
  decisionSource!: 'moderator' | 'timeout' | null;

  @Column({ type: 'text', nullable: true })
  feedback!: string | null;

  @Column({ name: 'reject_reason', type: 'text', nullable: true })
  rejectReason!: string | null;

  @Column({ name: 'edited_by', type: 'text', nullable: true })
  editedBy!: string | null;

  @Column({ name: 'edited_by_name', type: 'text', nullable: true })
  editedByName!: string | null;

  @Column({ type: 'text', nullable: true })
  model!: string | null;

  @Column({ name: 'input_tokens', type: 'integer', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'integer', default: 0 })
  outputTokens!: number;

  @Column({ name: 'cache_read_tokens', type: 'integer', default: 0 })
  cacheReadTokens!: number;

  @Column({ name: 'cache_creation_tokens', type: 'integer', default: 0 })
  cacheCreationTokens!: number;

  @Column({ name: 'generation_attempts', type: 'integer', default: 1 })
  generationAttempts!: number;

  /** Failed attempts to post this draft's card; retried with backoff until it is shown. */
  @Column({ name: 'card_post_attempts', type: 'integer', default: 0 })
  cardPostAttempts!: number;

  @Column({ name: 'card_next_attempt_at', type: 'integer', nullable: true })
  cardNextAttemptAt!: number | null;

  @Column({ name: 'card_last_error', type: 'text', nullable: true })
  cardLastError!: string | null;

  /** What the card was last rendered from: a card whose draft moved on since is re-rendered. */
  @Column({ name: 'card_rendered_revision', type: 'integer', nullable: true })
  cardRenderedRevision!: number | null;

  @Column({ name: 'card_rendered_status', type: 'text', nullable: true })
  cardRenderedStatus!: string | null;

  /** What the card said the deadline does ('publish' | 'expire'); null when it said nothing known. */
  @Column({ name: 'card_rendered_timeout_action', type: 'text', nullable: true })
  cardRenderedTimeoutAction!: string | null;

  /** The draft's `updated_at` when its card was last rendered. */
  @Column({ name: 'card_rendered_version', type: 'integer', nullable: true })
  cardRenderedVersion!: number | null;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;

  @OneToMany('PublicationEntity', 'draft')
  publications?: PublicationEntity[];

  @ManyToOne(() => TopicEntity, { onDelete: 'SET NULL', nullable: true, createForeignKeyConstraints: true })
  @JoinColumn({ name: 'topic_id' })
  topic?: TopicEntity | null;
}
