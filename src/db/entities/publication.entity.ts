import type { PublicationRecovery } from '../../domain/draft.js';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { MediaUpload } from '../../domain/media.js';
import { booleanInteger, jsonText, nullableJsonText } from './column-types.js';
import { DraftEntity } from './draft.entity.js';

/** The partial unique index's condition: only queued, scheduled publications hold a slot. */
export const PUBLICATION_SLOT_WHERE = "status = 'queued' AND scheduled_for IS NOT NULL";

/**
 * One approved draft on one target account: the publishing state `drafts` carried before
 * accounts (migration Accounts). Created with the approval, in the same transaction. Times are
 * epoch milliseconds.
 */
@Entity({ name: 'publications' })
@Unique('uq_publications_draft_account', ['draftId', 'accountId'])
// The due queue (findDueForPublishing, nextQueuedAt) and the leases of publishing rows.
@Index('idx_publications_due', ['accountId', 'status', 'notBefore'])
@Index('idx_publications_lease', ['status', 'leaseExpiresAt'])
// Covering index for /stats spend.
@Index('idx_publications_stats', ['accountId', 'status', 'publishedAt', 'costUsd'])
// One queued publication per slot and account (migration PublishingCalendar): two approvals racing for a slot cannot both store it.
@Index('uq_publications_slot', ['accountId', 'scheduledFor'], { unique: true, where: PUBLICATION_SLOT_WHERE })
export class PublicationEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ name: 'draft_id', type: 'integer' })
  draftId!: number;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  /** queued, publishing, published, failed. */
  @Column({ type: 'text' })
  status!: string;

  /** Written and committed with `publishing` before any HTTP call, so a crash is detectable. */
  @Column({ name: 'attempt_id', type: 'text', nullable: true })
  attemptId!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'publishing_started_at', type: 'integer', nullable: true })
  publishingStartedAt!: number | null;

  /** The publish lease: one process at a time may publish this publication. */
  @Column({ name: 'lease_owner', type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'integer', nullable: true })
  leaseExpiresAt!: number | null;

  /** A queued publication waits until this time (caps, X limits, backoff). */
  @Column({ name: 'not_before', type: 'integer', nullable: true })
  notBefore!: number | null;

  @Column({ name: 'queue_reason', type: 'text', nullable: true })
  queueReason!: string | null;

  /**
   * The slot (or the moderator-chosen time) a queued publication is scheduled for (issue 13);
   * null: as soon as the caps allow. While scheduled, `not_before` equals it.
   */
  @Column({ name: 'scheduled_for', type: 'integer', nullable: true })
  scheduledFor!: number | null;

  /** Why the schedule last moved on its own (a slot missed while the bot was down, the caps at the slot); shown on the card. */
  @Column({ name: 'schedule_note', type: 'text', nullable: true })
  scheduleNote!: string | null;

  /** Ids of the tweets already posted, in thread order; a resumed thread continues after the last. */
  @Column({ name: 'posted_tweet_ids', type: 'text', default: '[]', transformer: jsonText<string[]>([]) })
  postedTweetIds!: string[];

  /**
   * The images uploaded to X for this publication (issue 14), one entry per position, stored the
   * moment X returns each id: a retry or a restart re-uses a young one instead of uploading
   * again. JSON text; null while nothing was uploaded.
   */
  @Column({ name: 'media_uploads', type: 'text', nullable: true, transformer: nullableJsonText })
  mediaUploads!: MediaUpload[] | null;

  @Column({ name: 'root_tweet_id', type: 'text', nullable: true })
  rootTweetId!: string | null;

  @Column({ name: 'published_at', type: 'integer', nullable: true })
  publishedAt!: number | null;

  @Column({ name: 'dry_run', type: 'integer', default: 0, transformer: booleanInteger })
  dryRun!: boolean;

  @Column({ name: 'cost_usd', type: 'real', default: 0 })
  costUsd!: number;

  @Column({ name: 'error_class', type: 'text', nullable: true })
  errorClass!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  /** Consecutive transient failures; cleared by success and by Retry. */
  @Column({ name: 'transient_failures', type: 'integer', default: 0 })
  transientFailures!: number;

  /**
   * An attempt may have reached X without us learning it (timeout, lost answer, 5xx); cleared by
   * a successful look at the timeline or on publication. Not reset by Retry.
   */
  @Column({ type: 'integer', default: 0, transformer: booleanInteger })
  unresolved!: boolean;

  /**
   * Set when a restart's reconciliation settled a publication a crashed (or superseded) instance
   * left in `publishing`: 'already_on_x' (the timeline had it) or 'posted_now'. The card says so.
   */
  @Column({ type: 'text', nullable: true })
  recovered!: PublicationRecovery | null;

  @Column({ name: 'created_at', type: 'integer' })
  createdAt!: number;

  @Column({ name: 'updated_at', type: 'integer' })
  updatedAt!: number;

  @ManyToOne(() => DraftEntity, (draft) => draft.publications, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'draft_id' })
  draft?: DraftEntity;
}
