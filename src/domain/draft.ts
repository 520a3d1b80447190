import type { AccountId } from './account.js';
import type { ContentType } from './content-types.js';
import type { TokenUsage } from './generation.js';
import type { DraftMedia, MediaUpload } from './media.js';
import type { RiskFlag } from './risk-flags.js';

export type { RiskFlag } from './risk-flags.js';

/**
 * A draft's life: generated as `pending`, decided by a moderator (or the deadline), then
 * published exactly once. `publishing` is committed before any HTTP call to X, so a crash
 * mid-publish is visible at the next start and reconciled instead of posted twice.
 */
export const DRAFT_STATUSES = ['pending', 'approved', 'publishing', 'published', 'rejected', 'expired', 'failed'] as const;
export type DraftStatus = (typeof DRAFT_STATUSES)[number];

/** Statuses that end a draft's life; nothing moves out of them except `failed` -> `approved` (Retry). */
export const FINAL_STATUSES: readonly DraftStatus[] = ['published', 'rejected', 'expired'];

/** Statuses whose text counts as "already said" for the duplicate check. */
export const DUPLICATE_RELEVANT_STATUSES: readonly DraftStatus[] = ['pending', 'approved', 'publishing', 'published'];

const ALLOWED_TRANSITIONS: Record<DraftStatus, readonly DraftStatus[]> = {
  // pending -> pending is a new revision (regenerate or edit).
  pending: ['pending', 'approved', 'rejected', 'expired'],
  // approved -> pending: Unschedule (issue 13) sends a scheduled draft back to the moderators.
  approved: ['publishing', 'pending'],
  // publishing -> approved: a retryable failure put it back in the queue.
  publishing: ['published', 'failed', 'approved'],
  published: [],
  rejected: [],
  expired: [],
  // failed -> approved: a moderator pressed Retry.
  failed: ['approved'],
};

/** Whether the state machine allows `from` -> `to`. Repositories encode the same rule in SQL. */
export function canTransition(from: DraftStatus, to: DraftStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** Who or what made a decision. */
export interface Actor {
  readonly id: string;
  readonly name: string;
}

/** The deadline actor, so audit rows and cards can say "by timeout". */
export const TIMEOUT_ACTOR: Actor = { id: 'timeout', name: 'the moderation timeout' };

/** Why a publish attempt ended without a tweet, as classified by the X adapter. */
export type PublishErrorClass = 'rate_limited' | 'transient' | 'auth' | 'forbidden' | 'duplicate' | 'invalid';

/** A draft as services see it; repositories map rows to this shape. Times are epoch ms. */
export interface Draft {
  readonly id: number;
  /** The account the draft was written for (and, today, the one account it publishes to). */
  readonly accountId: AccountId;
  readonly topicId: number | null;
  readonly topicName: string;
  readonly contentType: ContentType;
  readonly kind: 'tweet' | 'thread';
  readonly tweets: readonly string[];
  readonly contentHash: string;
  readonly revision: number;
  readonly status: DraftStatus;
  readonly riskFlags: readonly RiskFlag[];
  readonly sanitiserChanges: readonly string[];
  readonly moderationChannelId: string | null;
  readonly moderationMessageId: string | null;
  readonly deadlineAt: number | null;
  readonly firstApprovedBy: Actor | null;
  readonly decidedBy: Actor | null;
  readonly decidedAt: number | null;
  readonly decisionSource: 'moderator' | 'timeout' | null;
  readonly feedback: string | null;
  /** Why it was rejected, or why it expired other than by its deadline (its account was removed); null otherwise. */
  readonly rejectReason: string | null;
  readonly editedBy: Actor | null;
  readonly model: string | null;
  readonly usage: TokenUsage;
  readonly generationAttempts: number;
  readonly publishAttemptId: string | null;
  readonly publishAttempts: number;
  readonly notBefore: number | null;
  readonly queueReason: string | null;
  readonly postedTweetIds: readonly string[];
  readonly tweetId: string | null;
  readonly publishedAt: number | null;
  readonly dryRun: boolean;
  readonly errorMessage: string | null;
  readonly errorClass: PublishErrorClass | null;
  readonly xCostUsd: number;
  /**
   * The slot (or the moderator-chosen time) an approved draft is scheduled for (issue 13's
   * calendar); null or absent: it goes out as soon as the caps allow.
   */
  readonly scheduledFor?: number | null | undefined;
  /** Why the schedule last moved on its own (a slot missed while the bot was down), for the card; absent or null otherwise. */
  readonly scheduleNote?: string | null | undefined;
  /**
   * The draft's images in post order (issue 14); absent or empty: a text-only draft. Every
   * repository read that returns a Draft fills it.
   */
  readonly media?: readonly DraftMedia[] | undefined;
  /** Images already uploaded to X for this draft's publication, by position; absent or empty when none. */
  readonly mediaUploads?: readonly MediaUpload[] | undefined;
  /** Set when a restart settled a publication a crash left in `publishing` (the card says so); absent or null otherwise. */
  readonly recovered?: PublicationRecovery | null | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** How a restart's reconciliation settled a publication a crash left in `publishing`: the timeline had it all, or it posted what was missing. */
export type PublicationRecovery = 'already_on_x' | 'posted_now';

/** The fake ids dry-run publishing hands out: never numeric, so never mistaken for a real tweet. */
export function dryRunTweetId(draftId: number, index: number): string {
  return `dryrun-${draftId}-${index + 1}`;
}

export function isDryRunTweetId(tweetId: string): boolean {
  return tweetId.startsWith('dryrun-');
}

/** The public link of a tweet; dry-run ids have none. */
export function tweetUrl(tweetId: string, username?: string): string | null {
  if (isDryRunTweetId(tweetId)) return null;
  return `https://x.com/${username ?? 'i'}/status/${tweetId}`;
}
