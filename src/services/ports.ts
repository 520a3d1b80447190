import type { AccountId } from '../domain/account.js';
import type { ContentType } from '../domain/content-types.js';
import type { Actor, Draft, DraftStatus, PublicationRecovery, PublishErrorClass, RiskFlag } from '../domain/draft.js';
import type { GeneratedContent, GenerationRequest, TokenUsage } from '../domain/generation.js';
import type { LeaseRow } from '../domain/instance-lease.js';
import type { DraftMedia, ImageEdits, MediaMimeType, MediaUpload } from '../domain/media.js';
import type { DraftSignal, EditPair, ExamplePin, FeedbackSignal } from '../domain/learning.js';
import type { DayDecisions, DecisionCounts, EngagementSample } from '../domain/learning-stats.js';
import type { CapUsage, XRateState } from '../domain/rate-limits.js';
import type { PauseScope, PauseState } from '../domain/schedule.js';
import type { TopicStats } from '../domain/topic-selection.js';
import type { GenerateDraftOutcome, ReviseOutcome } from './draft-pipeline.js';
import type { SettingKey } from './settings-keys.js';

/**
 * The interfaces services depend on. The TypeORM implementations live in `src/db/repositories`;
 * services never import TypeORM, so they can be tested with in-memory fakes or a real SQLite file.
 *
 * The rule: every interface a service (or the scheduler) takes as a dependency and that is
 * implemented somewhere else (an adapter, src/db, the composition root, or another service) is
 * declared here, with the data types and the typed error its contract names. What stays with its
 * service: the service's own options, config and deps bag, the results and outcomes it returns
 * (this file imports those type-only where a port returns them), and plain callbacks in a deps
 * bag. Domain types stay in src/domain, including `DuplicateLookup`, which domain code calls.
 */

/** Writes draft content. Implemented by the Claude adapter. */
export interface DraftGenerator {
  generate(request: GenerationRequest): Promise<GeneratedContent>;
}

/** The current time in epoch ms; tests inject a controllable clock. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * Elapsed time in ms from an arbitrary origin that never jumps: a wall-clock step (NTP, an
 * operator, a VM resume) does not move it. Only meaningful inside one process.
 */
export interface MonotonicClock {
  now(): number;
}

export const systemMonotonicClock: MonotonicClock = { now: () => performance.now() };

/** The content of one revision of a draft, validated and fingerprinted. */
export interface DraftContent {
  readonly kind: 'tweet' | 'thread';
  readonly tweets: readonly string[];
  readonly contentHash: string;
  readonly bandKeys: readonly string[];
  readonly riskFlags: readonly RiskFlag[];
  readonly sanitiserChanges: readonly string[];
  readonly deadlineAt: number | null;
}

/** A new draft, fully validated, ready to be stored as `pending` revision 1. */
export interface NewDraft extends DraftContent {
  /** Its images (issue 14: `/draft image:`), files already stored; absent: none. */
  readonly media?: readonly DraftMedia[] | undefined;
  readonly topicId: number | null;
  readonly topicName: string;
  readonly contentType: ContentType;
  readonly model: string | null;
  readonly usage: TokenUsage;
  readonly generationAttempts: number;
}

/** New content for an existing pending draft (Regenerate or Edit): becomes revision + 1. */
export interface RevisedContent extends DraftContent {
  /**
   * The draft's whole image set for the new revision (files already stored), written in the same
   * transaction as the text; absent: the images stay as they are (Regenerate keeps them).
   */
  readonly media?: readonly DraftMedia[] | undefined;
  /** Tokens of the regeneration, added to the draft's total. */
  readonly additionalUsage?: TokenUsage | undefined;
  readonly model?: string | null | undefined;
  readonly editedBy?: Actor | undefined;
  readonly feedback?: string | null | undefined;
}

/** A moderator's (or the deadline's) decision on a pending draft. */
export interface DraftDecision {
  readonly to: 'approved' | 'rejected' | 'expired';
  readonly actor: Actor;
  readonly source: 'moderator' | 'timeout';
  readonly reason?: string | null | undefined;
  /**
   * An approval's place in the publishing calendar (issue 13), stored on the publication the
   * approval's transaction creates: a scheduled approval is never, even for an instant, an
   * approved draft the publish queue would send at once. Absent: due at once (no slots).
   * A slot another queued publication holds makes the whole decision throw `SlotTakenError`.
   */
  readonly placement?: ApprovalPlacement | undefined;
}

/** Where an approved draft waits: its slot (scheduled) or only a `not_before` (no free slot). */
export interface ApprovalPlacement {
  readonly scheduledFor: number | null;
  readonly notBefore: number | null;
  readonly queueReason: string | null;
}

/**
 * A write would give a slot to a second queued publication of the account (the unique partial
 * index on (account_id, scheduled_for)): another approval or move took it first. The caller
 * recomputes the free slot and tries again.
 */
export class SlotTakenError extends Error {
  constructor(
    readonly draftId: number,
    readonly scheduledFor: number | null,
  ) {
    super(`draft ${draftId}: the slot ${scheduledFor === null ? '(none)' : new Date(scheduledFor).toISOString()} is taken by another queued publication`);
    this.name = 'SlotTakenError';
  }
}

/** A publication waiting to go out (queued) or going out (publishing), as the calendar plans around it. */
export interface PlannedPublication {
  /** The draft id. */
  readonly id: number;
  readonly status: 'queued' | 'publishing';
  readonly scheduledFor: number | null;
  readonly notBefore: number | null;
}

/**
 * The calendar's writes on one account's publications (issue 13). Each changes a publication
 * only while it is still `queued` with the schedule the caller saw (`expected`, compared with
 * IS NOT DISTINCT FROM), fenced on the instance lease like every publishing write, and bumps the
 * draft's `updated_at` with it (the card reconciler follows). A slot taken meanwhile throws
 * `SlotTakenError`; false: the publication moved on (published, publishing, moved, unscheduled).
 */
export interface PublicationCalendarRepository {
  /** The account's queued and publishing publications (queued ones: approved drafts only). */
  findPlanned(): Promise<PlannedPublication[]>;
  /** Approved, queued drafts, soonest `not_before` first (none first: they are due), and how many there are. */
  findUpcoming(offset: number, limit: number): Promise<{ items: Draft[]; total: number }>;
  /** Schedules (or moves) the publication to `scheduledFor`: not_before follows, queue_reason 'scheduled', `note` replaces the schedule note. */
  schedule(id: number, expected: number | null, to: { readonly scheduledFor: number; readonly note: string | null }, now: number): Promise<boolean>;
  /** Publish now: no schedule and no wait any more (the publish queue's caps and X's limits still apply). */
  dropSchedule(id: number, expected: number | null, now: number): Promise<boolean>;
  /** Two scheduled publications exchange their slots, in one transaction: both or neither. */
  swapSlots(
    a: { readonly id: number; readonly scheduledFor: number },
    b: { readonly id: number; readonly scheduledFor: number },
    now: number,
  ): Promise<boolean>;
  /**
   * Unschedule: approved -> pending, in one transaction with deleting its queued publication;
   * the decision is cleared, the revision stays, the deadline is `deadlineAt`.
   */
  unschedule(id: number, expected: number | null, deadlineAt: number, now: number): Promise<boolean>;
}

/** What a card was rendered from: the draft's revision, status and `updatedAt` at that moment. */
export interface CardRendering {
  readonly revision: number;
  readonly status: DraftStatus;
  readonly version: number;
  /** What the card said the deadline does (pending cards); null when it said nothing. Undefined: not recorded by this write. */
  readonly timeoutAction?: 'publish' | 'expire' | null | undefined;
}

/** Pending drafts whose card could not be posted yet (an alert until they are shown). */
export interface UnpostedCards {
  readonly count: number;
  readonly oldestCreatedAt: number | null;
  readonly lastError: string | null;
}

/** What saving a draft against the pending cap did. */
export type CreateWithinCapOutcome =
  { readonly status: 'created'; readonly draft: Draft } | { readonly status: 'over_cap'; readonly pending: number; readonly maxPending: number };

/**
 * Who may write a draft in `publishing`: the lease owner (a process) AND the attempt id (one run
 * of that process). A run whose draft was taken over, even by its own process, can write nothing.
 */
export interface PublishFence {
  readonly owner: string;
  readonly attemptId: string;
}

/** What an instance is doing: waiting for the lease, holding it, or shut down. */
export type InstanceRole = 'standby' | 'active' | 'stopped';

/** Who holds the instance lease, in one term: the owner id of a process and the epoch of its takeover. */
export interface InstanceTerm {
  /** This process's instance id, e.g. `host:pid:nonce`; unique per process. */
  readonly owner: string;
  /** Rises by one at every takeover: a write fenced on it fails once another instance took over. */
  readonly epoch: number;
}

/**
 * The term this instance holds right now, or null when it is not active. Repositories read it
 * at every fenced write (claiming a publication, recording a posted tweet, deciding a draft,
 * recording a card) and make the write conditional on the lease row still naming this term.
 */
export interface InstanceFence {
  current(): InstanceTerm | null;
}

/** What /status, /healthz and /metrics show about the instance lease. */
export interface InstanceLeaseStatus {
  readonly role: InstanceRole;
  /** This process's instance id. */
  readonly owner: string;
  /** The epoch this instance holds (active), or the one it last saw (standby); null before the first read. */
  readonly epoch: number | null;
  /** The holder as last seen (the active instance's id), null when free. */
  readonly holder: string | null;
  /** When the lease was last renewed, by whoever holds it (epoch ms), as last seen. */
  readonly renewedAt: number | null;
  /** When the lease lapses unless renewed (epoch ms), as last seen. */
  readonly expiresAt: number | null;
}

/** The instance lease row as stored (table `instance_lease`, id 1): the row the takeover rules judge. */
export type StoredInstanceLease = LeaseRow;

/**
 * The instance lease's store (src/db/repositories/instance-lease.repository.ts). Each write is
 * one conditional UPDATE of the single row, so two instances can never both win.
 */
export interface InstanceLeaseStore {
  read(): Promise<StoredInstanceLease>;
  /**
   * Takes the lease (epoch + 1) only if the row still is exactly `seen` (owner, epoch,
   * renewed_at): whoever changed it in between wins instead. Returns the new term, or null.
   */
  takeOver(
    seen: StoredInstanceLease,
    me: { readonly owner: string; readonly host: string; readonly pid: number },
    now: number,
    expiresAt: number,
  ): Promise<InstanceTerm | null>;
  /** Extends the lease while the row still names `term`; false once another instance took over. */
  renew(term: InstanceTerm, now: number, expiresAt: number): Promise<boolean>;
  /** Frees the lease (owner NULL, epoch kept) while the row still names `term`. */
  release(term: InstanceTerm, now: number): Promise<boolean>;
}

/** A `publishing` draft's lease as stored; `expiresAt` is wall-clock epoch ms. */
export interface PublishingLease {
  readonly id: number;
  readonly owner: string | null;
  readonly attemptId: string | null;
  readonly expiresAt: number | null;
}

/**
 * The draft store of one account (the repositories are scoped: every read filters by the
 * account, every insert sets it). Every state change is one conditional update: it changes one
 * row or none. A draft's own life is pending -> approved | rejected | expired; its `status` as
 * read here combines that with its publication (approved + queued -> approved, then publishing,
 * published, failed).
 */
export interface DraftRepository {
  create(draft: NewDraft, now: number): Promise<Draft>;
  /**
   * Creates the draft only if fewer than `maxPending` drafts are pending, checked inside the
   * insert's transaction (BEGIN IMMEDIATE on SQLite), so neither two callers in one process nor
   * two processes can both pass the cap.
   */
  createWithinPendingCap(draft: NewDraft, now: number, maxPending: number): Promise<CreateWithinCapOutcome>;
  findById(id: number): Promise<Draft | null>;
  findByStatuses(statuses: readonly DraftStatus[], options?: { limit?: number; newestFirst?: boolean }): Promise<Draft[]>;
  countByStatus(): Promise<Record<DraftStatus, number>>;
  /**
   * Stores where the draft's card is. With `card`: what it was rendered from, and for a first
   * card the deadline, which starts when the card is shown (never before).
   */
  setModerationMessage(
    id: number,
    channelId: string,
    messageId: string,
    now: number,
    card?: { readonly rendered: CardRendering; readonly deadlineAt?: number | null | undefined },
  ): Promise<void>;
  /**
   * Pending drafts without a card whose next attempt is due: never tried and created before
   * `createdBefore` (a card may be on its way), or failed before and due by `now`.
   */
  findCardsToPost(now: number, createdBefore: number, limit: number): Promise<Draft[]>;
  /** Counts a failed card post; returns the number of failures so far. */
  recordCardPostFailure(id: number, error: string): Promise<number>;
  /** When the next attempt to post the draft's card is due. */
  planCardPost(id: number, nextAttemptAt: number): Promise<void>;
  countUnpostedCards(): Promise<UnpostedCards>;
  /**
   * Records what the card now shows. With `deadlineAt`, a pending draft still at the rendered
   * revision gets that deadline first (a revision's deadline starts when its card shows it).
   */
  markCardRendered(id: number, rendered: CardRendering, deadlineAt?: number): Promise<void>;
  /** What the draft's card was last rendered from; null when it has no recorded rendering. */
  cardRenderingOf(id: number): Promise<CardRendering | null>;
  /** A new deadline for a pending draft still at `expectedRevision`; false if it moved on. */
  restartDeadline(id: number, expectedRevision: number, deadlineAt: number): Promise<boolean>;
  /** Drafts with a card whose revision, status or row changed since the card was last rendered. */
  findCardsOutOfDate(limit: number): Promise<Draft[]>;
  countCardsOutOfDate(): Promise<number>;

  /** pending(revision) -> pending(revision + 1) with new content and a fresh deadline; null if it lost. */
  replaceContent(id: number, expectedRevision: number, content: RevisedContent, now: number): Promise<Draft | null>;
  /** Records the first of two approvals; false if the draft moved on or someone already did. */
  recordFirstApproval(id: number, expectedRevision: number, actor: Actor, now: number): Promise<boolean>;
  /**
   * pending(revision) -> approved | rejected | expired. Only the caller that gets `true` may act on it.
   * An approval creates the draft's publication (queued) in the same transaction.
   */
  decide(id: number, expectedRevision: number, decision: DraftDecision, now: number): Promise<boolean>;
  /**
   * Pending drafts whose deadline has passed and whose card shows their current revision and
   * status, oldest deadline first. A card Discord has not updated yet keeps its draft waiting.
   */
  findOverdue(now: number, limit: number): Promise<Draft[]>;
  /** The earliest deadline among the pending drafts `findOverdue` may return, or null. */
  nextDeadline(): Promise<number | null>;

  /** Texts of recent drafts in the given statuses, newest first, for the prompt. */
  recentTexts(statuses: readonly DraftStatus[], limit: number): Promise<string[][]>;
}

/**
 * The publications of one account: the publishing state of each approved draft on its target
 * account, keyed by draft id within the scoped account (that is the (draft, account) key). Every
 * state change is one conditional update and bumps the draft's `updated_at` in the same
 * transaction, so the card reconciler sees the draft moved on. Drafts returned carry the
 * combined status.
 */
export interface PublicationRepository {
  /** Approved drafts whose `not_before` has passed (or is unset), oldest decision first. */
  findDueForPublishing(now: number, limit: number): Promise<Draft[]>;
  /** The earliest `not_before` among approved drafts, or null. */
  nextQueuedAt(): Promise<number | null>;
  /** Every approved draft whose publication is queued, with its `not_before` (null: as soon as possible); for the publish timer. */
  queuedDueTimes(): Promise<{ readonly id: number; readonly notBefore: number | null }[]>;
  /**
   * queued -> publishing, taking the publish lease and committing the attempt id before any
   * HTTP call. Null when another process or click got there first.
   */
  claimForPublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null>;
  /** Takes over a draft left in `publishing` whose lease has expired (a crash); null if it is alive elsewhere. */
  reclaimStalePublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null>;
  /**
   * Takes over at once, whatever its lease's expiry, a draft left in `publishing` by another
   * owner. Only for an instance holding the instance lease (issue 12): then no other instance is
   * active, so another owner is a dead process or a term that ended. Fenced like every transition.
   */
  reclaimAbandonedPublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null>;
  /** Drafts in `publishing`: at start-up these are the ones a crash may have left behind. */
  findPublishing(): Promise<Draft[]>;
  /** The leases of every draft in `publishing`, oldest draft first. */
  findPublishingLeases(): Promise<PublishingLease[]>;
  /**
   * The publishing writes below change the row only while it is `publishing` under `fence`
   * (owner and attempt id); false means this run lost the draft and must stop.
   * Extends the lease, before every request to X.
   */
  renewLease(id: number, fence: PublishFence, now: number, leaseMs: number): Promise<boolean>;
  /** Stores one posted tweet's id at once, so a resumed thread continues after it. */
  recordPostedTweet(id: number, fence: PublishFence, tweetIds: readonly string[], now: number): Promise<boolean>;
  /**
   * Stores one image's X media id the moment X returns it (issue 14), replacing the entry at its
   * position; fenced like recordPostedTweet. True when written.
   */
  recordMediaUpload(id: number, fence: PublishFence, upload: MediaUpload, now: number): Promise<boolean>;
  /**
   * Clears every stored media upload of the publication (X refused their ids: the retry uploads
   * the images again); fenced like recordMediaUpload. True when written.
   */
  forgetMediaUploads(id: number, fence: PublishFence, now: number): Promise<boolean>;
  /** publishing -> published; `recovered` when a restart's reconciliation settled it (the card says so). */
  markPublished(
    id: number,
    fence: PublishFence,
    result: { tweetIds: readonly string[]; dryRun: boolean; xCostUsd: number; recovered?: PublicationRecovery | null | undefined },
    now: number,
  ): Promise<boolean>;
  /** publishing -> queued with a wait (caps, X limits, backoff); the draft is not lost. */
  requeue(
    id: number,
    fence: PublishFence,
    wait: { notBefore: number; reason: string; errorMessage?: string | null; errorClass?: PublishErrorClass | null },
    now: number,
  ): Promise<boolean>;
  /** approved stays approved but waits until `notBefore` (checked before any claim). */
  deferApproved(id: number, notBefore: number, reason: string, now: number): Promise<boolean>;
  /**
   * /resume of publishing: the queued publications due by `now` and not scheduled to a slot
   * (scheduled_for null), oldest decision first, wait until now, now + spacing, now + 2 x
   * spacing, ... (each a fenced conditional update). Returns the draft ids it moved, in order.
   */
  spreadDueBacklog(now: number, spacingMs: number, reason: (position: number, count: number) => string): Promise<number[]>;
  /** publishing -> failed, keeping the draft and its error for a Retry. */
  markFailed(id: number, fence: PublishFence, failure: { errorMessage: string; errorClass: PublishErrorClass }, now: number): Promise<boolean>;
  /** failed -> queued (the Retry button); clears the transient-failure count. The draft's `decidedBy` becomes `actor`. */
  retryFailed(id: number, actor: Actor, now: number): Promise<boolean>;

  /** Counts one more consecutive transient failure; returns the count so far. */
  recordTransientFailure(id: number, now: number): Promise<number>;
  /** Resets the consecutive transient failures (a success, a Retry). */
  clearTransientFailures(id: number, now: number): Promise<void>;
  /**
   * "May have reached X without us learning it" (timeout, lost answer, 5xx): set by such an
   * attempt, cleared by a successful look at the timeline or on publication; not reset by Retry.
   */
  setUnresolved(id: number, now: number): Promise<void>;
  clearUnresolved(id: number, now: number): Promise<void>;
  isUnresolved(id: number): Promise<boolean>;
}

/** An account as stored: synced from the configuration at start. */
export interface StoredAccount {
  readonly id: AccountId;
  /** The X user its credentials act as (GET /2/users/me); null until first verified. */
  readonly xUserId: string | null;
  readonly handle: string | null;
  /** False once the account was removed from the configuration: its history stays. */
  readonly active: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The accounts table. Not scoped: it is the list of scopes. */
export interface AccountRepository {
  list(): Promise<StoredAccount[]>;
  findById(id: AccountId): Promise<StoredAccount | null>;
  /**
   * Inserts or updates a configured account and marks it active. A new id is seeded with the
   * default topics in the same transaction; `created` says whether it was new.
   */
  upsert(
    account: { readonly id: AccountId; readonly xUserId: string | null; readonly handle: string | null },
    now: number,
  ): Promise<{ readonly created: boolean }>;
  /**
   * Marks inactive every active account not in `configuredIds` (its history stays); returns the
   * ids it deactivated. One not configured that never wrote anything (no draft, post, generation
   * run or audit row) is deleted instead, with its topics and settings: nothing to keep.
   */
  deactivateAllExcept(configuredIds: readonly AccountId[], now: number): Promise<AccountId[]>;
  /** The account a draft belongs to (any account), or null for an unknown draft: the Discord layer routes a card click with it. */
  accountOfDraft(draftId: number): Promise<AccountId | null>;
}

/** One tweet that went out, recorded in the posts table. */
export interface PostedTweet {
  readonly draftId: number;
  readonly tweetId: string;
  readonly content: string;
  readonly contentType: ContentType;
  readonly isThread: boolean;
  readonly threadId: string | null;
  readonly threadPosition: number;
  readonly dryRun: boolean;
  readonly postedAt: number;
}

export interface PostMetrics {
  readonly likes: number;
  readonly retweets: number;
  readonly replies: number;
  readonly quotes: number;
  readonly impressions: number;
}

export interface PostRepository {
  /** Idempotent on tweet id: recording the same tweet twice keeps one row. */
  recordPosted(tweet: PostedTweet): Promise<void>;
  /** Times of publications (thread roots and single tweets) since `since`, for the caps. */
  publicationTimesSince(since: number): Promise<number[]>;
  /** Real (non dry-run) posts published since `since`, for the engagement refresh. */
  findForEngagement(since: number): Promise<Array<{ tweetId: string; draftId: number | null }>>;
  updateMetrics(tweetId: string, metrics: PostMetrics, now: number): Promise<void>;
  /** Mean engagement per publication for each topic (by draft), and for the whole account. */
  /**
   * Mean engagement per publication for each topic (by draft), how many publications each mean
   * is over, and the mean for the whole account.
   */
  engagementByTopic(): Promise<{ byTopicId: Map<number, number>; publishedByTopicId: Map<number, number>; accountAverage: number }>;
  latestPublication(): Promise<{ tweetId: string; postedAt: number; draftId: number | null; dryRun: boolean } | null>;
  /**
   * Real (not dry-run) publications since `since` whose engagement X has reported, one row per
   * publication (a thread counts once, summed over its tweets), with when it went out: what
   * /queue suggest ranks hours of the week by.
   */
  publicationEngagementSince(since: number): Promise<Array<{ postedAt: number; engagement: number }>>;
}

/** A topic as stored: the numbers topic selection needs, plus what the prompt and /topics show. */
export interface Topic extends TopicStats {
  readonly description: string;
  /** Approval rate of decided drafts, 0..1, kept by the repository on every outcome. */
  readonly successRate: number;
}

export interface TopicRepository {
  list(): Promise<Topic[]>;
  findByName(name: string): Promise<Topic | null>;
  findById(id: number): Promise<Topic | null>;
  setWeight(id: number, weight: number, now: number): Promise<void>;
  setEnabled(id: number, enabled: boolean, now: number): Promise<void>;
  markUsed(id: number, now: number): Promise<void>;
  /** Adds one moderation outcome and recomputes `success_rate`. */
  recordOutcome(id: number, outcome: 'approved' | 'rejected', now: number): Promise<void>;
  /** Stores a topic's mean engagement with the number of publications it is over (its evidence). */
  setAverageEngagement(id: number, avgEngagement: number, publishedCount: number, now: number): Promise<void>;
}

/** Durable key/value state (JSON values). */
/**
 * The settings table, read and written only through the typed keys of ./settings-keys.ts. One
 * instance reads and writes one account's rows, or the bot-wide rows (account NULL: the states of
 * bot-wide jobs); the same key is a different row in each.
 * `get` validates the stored JSON against the key's schema: a value that does not fit (written
 * by another build, or by hand) is logged with the key and the schema's complaint and read as
 * absent, so it cannot stop the bot. `set(key, null)` deletes the row.
 */
export interface SettingsRepository {
  get<T>(key: SettingKey<T>): Promise<T | null>;
  set<T>(key: SettingKey<T>, value: T | null, now: number): Promise<void>;
}

export interface ModerationEvent {
  readonly draftId: number | null;
  readonly revision: number | null;
  readonly actor: Actor;
  readonly action: string;
  readonly outcome: string;
  readonly detail?: string | null | undefined;
  readonly interactionId?: string | null | undefined;
}

export interface ModerationEventRepository {
  record(event: ModerationEvent, now: number): Promise<void>;
  listForDraft(draftId: number): Promise<Array<ModerationEvent & { createdAt: number }>>;
}

export interface GenerationRun {
  /**
   * `image_description`: Claude describing one image (issue 14); `avoid_notes`: the daily
   * condensing of moderator feedback into avoid notes (issue 15). /stats counts their tokens too.
   */
  readonly trigger: 'schedule' | 'command' | 'regenerate' | 'cli' | 'keep_ahead' | 'image_description' | 'avoid_notes';
  readonly outcome: 'created' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly draftId: number | null;
  readonly topicName: string | null;
  readonly attempts: number;
  readonly usage: TokenUsage;
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** Whether /pause holds posting, what it holds, and since when; PauseService satisfies it. */
export interface PauseStateReader {
  /** Any pause, whatever it holds (for /status). */
  current(): Promise<PauseState | null>;
  /** The pause while it holds draft generation (scope generation or all), else null. */
  holdsGeneration(): Promise<PauseState | null>;
  /** The pause while it holds everything that goes to X (scope publishing or all), else null. */
  holdsPublishing(): Promise<PauseState | null>;
}

/** Tokens summed over every generation run, for the token counters in /metrics. */
export interface TokenTotals {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheCreation: number;
}

export interface GenerationRunRepository {
  record(run: GenerationRun): Promise<void>;
  tokenTotals(): Promise<TokenTotals>;
}

/** The X account the credentials act as. */
export interface XAccount {
  readonly id: string;
  readonly username: string;
}

/** One of the account's recent tweets, for reconciling a publication that may have gone out. */
export interface RecentTweet {
  readonly id: string;
  readonly text: string;
  /** X's `conversation_id`: the thread root's id (equal to `id` for a root); null if X omitted it. */
  readonly conversationId: string | null;
}

/**
 * X's rate-limit headers as last seen on a response (`x-rate-limit-*` is per endpoint, the
 * 24-hour buckets only come with POST /2/tweets); null when the response carried none.
 */
export type ObservedXRateLimit = XRateState | null;

/**
 * Publishing to X. Every method throws `XApiError` (src/domain/x-errors.ts) on failure, carrying
 * its class and, when X sent them, the rate-limit headers of the failed response.
 */
export interface TweetPublisher {
  /** GET /2/users/me: proves the credentials work and names the account. */
  verifyCredentials(): Promise<XAccount & { readonly rateLimit: ObservedXRateLimit }>;
  /** POST /2/tweets, as a reply when `inReplyToId` is given, with the images `mediaIds` (issue 14) when given. */
  postTweet(text: string, inReplyToId?: string, mediaIds?: readonly string[]): Promise<{ readonly id: string; readonly rateLimit: ObservedXRateLimit }>;
  /** X's v2 chunked media upload (initialize, append, finalize); returns the media id. */
  uploadMedia(bytes: Uint8Array, mimeType: MediaMimeType): Promise<{ readonly id: string }>;
  /** POST /2/media/metadata: the image's alt text. */
  createMediaMetadata(mediaId: string, altText: string): Promise<void>;
  /** GET /2/users/:id/tweets, newest first, at most `max` (<= 100) tweets. */
  recentTweets(userId: string, options: { readonly max: number }): Promise<{ readonly tweets: RecentTweet[]; readonly rateLimit: ObservedXRateLimit }>;
  /** GET /2/tweets?ids=...&tweet.fields=public_metrics for at most 100 ids; ids X no longer has are absent. */
  fetchMetrics(ids: readonly string[]): Promise<{ readonly metrics: Map<string, PostMetrics>; readonly rateLimit: ObservedXRateLimit }>;
}

// ---------------------------------------------------------------------------------------------
// Ports of single services: what ModerationService, PauseService, PublishingService and
// StatsService need from the Discord adapter, from each other and from the database.
// ---------------------------------------------------------------------------------------------

// The moderation channel, and the parts of publishing and of the pipeline, as ModerationService sees them.

/**
 * Everything a draft card shows beyond the draft itself. Built by the service (it owns the clock,
 * the caps and the config) so the Discord layer renders it without any I/O of its own.
 */
export interface DraftCardView {
  readonly draft: Draft;
  /** The account the draft is for: the card names its handle, and its id in the footer. */
  readonly account: AccountLabel;
  /** Publications used and allowed in the rolling hour and day. */
  readonly budget: CapUsage;
  /** What the deadline does to this draft (a flagged draft under the two-approval rule never auto-publishes). */
  readonly timeoutAction: 'publish' | 'expire';
  readonly dryRun: boolean;
  /** REQUIRE_SECOND_APPROVAL is on and the draft carries risk flags. */
  readonly needsSecondApproval: boolean;
  /** The time the view was built, for "queued until" wording. */
  readonly now: number;
}

/** An account as a card or a reply names it: its id, and the X handle it posts as once known. */
export interface AccountLabel {
  readonly id: string;
  /** Without the @; null until X answered GET /2/users/me (and always in dry run). */
  readonly handle: string | null;
}

/** Which account a service instance works for; the handle is learned at start-up from X. */
export interface AccountIdentity {
  readonly id: string;
  handle(): string | null;
}

/** Where a posted card lives. */
export interface CardLocation {
  readonly channelId: string;
  readonly messageId: string;
}

/**
 * The moderation channel as services see it; the Discord adapter implements it. Services ask
 * for cards and alerts without knowing anything about discord.js.
 */
export interface DraftCardPort {
  postCard(view: DraftCardView): Promise<CardLocation>;
  /** Re-renders the draft's card in place; a draft without a card is a no-op. Throws CardGoneError when the message was deleted. */
  updateCard(view: DraftCardView): Promise<void>;
  /** A plain message for something a person must act on. */
  alert(text: string): Promise<void>;
}

/** The card's message no longer exists on Discord (deleted by someone); editing it can never succeed. */
export class CardGoneError extends Error {
  constructor(
    readonly draftId: number,
    readonly messageId: string,
  ) {
    super(`the card ${messageId} of draft ${draftId} no longer exists on Discord`);
    this.name = 'CardGoneError';
  }
}

/** The part of publishing moderation needs; PublishingService satisfies it. */
export interface ApprovedDraftPublisher {
  /** Publishes (or queues, or fails) an approved draft; never posts a draft twice. */
  publishApprovedDraft(draftId: number): Promise<unknown>;
  /** failed -> approved; null when the draft was not failed any more. */
  retryFailed(draftId: number, actor: Actor): Promise<Draft | null>;
}

/** The part of the pipeline moderation needs; DraftPipelineService satisfies it. */
export interface DraftReviser {
  generateDraft(options: { trigger: 'schedule' | 'command' | 'cli' | 'keep_ahead'; topicName?: string | undefined }): Promise<GenerateDraftOutcome>;
  regenerate(draftId: number, expectedRevision: number, feedback: string | null, actor: Actor): Promise<ReviseOutcome>;
  /** `images`: the Edit modal's alt texts and removals (issue 14), in the same new revision as the text. */
  applyEdit(draftId: number, expectedRevision: number, tweets: readonly string[], actor: Actor, images?: ImageEdits): Promise<ReviseOutcome>;
}

// Pause announcements (PauseService).

/** Tells the moderation channel that posting was paused or resumed. */
export interface PauseAnnouncer {
  /** `widenedFrom`: the scope the pause had before this /pause widened it (it then holds `state.scope`). */
  announcePause(state: PauseState, widenedFrom?: PauseScope | undefined): Promise<void>;
  /** `remaining`: what is still held after a /resume of one part (null when the pause ended). */
  announceResume(actor: Actor, previous: PauseState, remaining?: PauseState | null | undefined): Promise<void>;
}

// Publishing events for the Discord layer (PublishingService).

/** Lets the Discord layer update cards and raise alerts without the service knowing Discord. */
export interface PublishingObserver {
  onPublished?(draft: Draft): void | Promise<void>;
  onQueued?(draft: Draft): void | Promise<void>;
  /** `alert` is true when a person must act (credentials, permissions, X down for long). */
  onFailed?(draft: Draft, alert: boolean): void | Promise<void>;
}

// The SQL aggregates behind /stats (StatsService).

/** Draft outcomes among drafts created in the period. */
export interface DraftOutcomeCounts {
  readonly generated: number;
  /** Approved by a moderator (whatever happened at publishing). */
  readonly approvedByModerator: number;
  readonly rejected: number;
  readonly expired: number;
  /** Approved by the deadline (TIMEOUT_ACTION=publish). */
  readonly publishedAtTimeout: number;
  /** Still waiting for a decision. */
  readonly pending: number;
}

/** Draft outcomes of one topic. */
export interface TopicDraftCounts extends DraftOutcomeCounts {
  readonly topicName: string;
  /** Of those drafts, how many are published. */
  readonly published: number;
}

export interface PublicationTotals {
  /** Publications (a thread counts once) posted in the period, dry runs included. */
  readonly publications: number;
  readonly dryRunPublications: number;
  /** Tweets posted, each tweet of a thread counted. */
  readonly tweets: number;
  readonly likes: number;
  readonly retweets: number;
  readonly replies: number;
  readonly quotes: number;
  readonly impressions: number;
}

/** A time range [from, to) of publications; `start` labels it on the chart. */
export interface BucketBounds {
  readonly start: number;
  readonly from: number;
  readonly to: number;
}

/** Publications of one topic in a period and their summed engagement. */
export interface TopicEngagement {
  readonly topicName: string;
  readonly publications: number;
  readonly engagement: number;
}

/**
 * SQL aggregates behind /stats of one account, or of all accounts together (built with account
 * null); `since` null means all time. Implemented in
 * src/db/repositories/stats.repository.ts over covering indexes (migration StatsIndexes).
 */
export interface StatsRepository {
  draftsByTopic(since: number | null): Promise<TopicDraftCounts[]>;
  /** decided_at - created_at of every moderator decision on drafts created in the period. */
  moderatorDecisionDurations(since: number | null): Promise<ArrayLike<number>>;
  /** Totals per time range, in the order given; each range is one index range scan. */
  publicationTotals(buckets: readonly BucketBounds[]): Promise<PublicationTotals[]>;
  /** Per-topic publications and engagement over the period's posts (a join: use for bounded periods). */
  topicEngagement(since: number): Promise<TopicEngagement[]>;
  tokenUsage(since: number | null): Promise<TokenUsage & { readonly runs: number }>;
  /** Sum of the cost of the publications published in the period. */
  xSpendUsd(since: number | null): Promise<number>;
  firstPublicationAt(): Promise<number | null>;
  /**
   * From the rollups (issue 16 §1): per topic, every sum /stats shows, over the local days from
   * `fromDay` on (null: all of them, from the monthly rollups). Posts without a draft and runs
   * without a topic are under ''.
   */
  rollupTopicSums(fromDay: number | null): Promise<RollupTopicSums[]>;
  /** From the rollups: per local day from `fromDay` on (null: all), the chart's publications and engagement, in day order. */
  rollupDailySeries(fromDay: number | null): Promise<RollupDay[]>;
  /**
   * From the monthly rollups: per calendar month with posts, the chart's publications and
   * engagement, in month order; `day` is the local day of the month's 1st. "all" reads this
   * (a dozen rows a year) instead of every day.
   */
  rollupMonthlySeries(): Promise<RollupDay[]>;
  /**
   * Issue 15 §5, from the rollups: moderator approvals and rejections per (topic, content type)
   * of the drafts created on the local days from `fromDay` on (null: all). Deadline outcomes
   * (expired, published at timeout) are not decisions and are not counted.
   */
  rollupDecisionsByTopicAndType(fromDay: number | null): Promise<DecisionCounts[]>;
  /** The same from the raw drafts created at or after `since` (the 24-hour period, which the daily rollups cannot cut). */
  decisionsByTopicAndType(since: number): Promise<DecisionCounts[]>;
  /** From the rollups: moderator approvals and rejections per local day from `fromDay` on, in day order (the weekly chart). */
  rollupDecisionDays(fromDay: number): Promise<DayDecisions[]>;
  /**
   * The engagement of the account's drafts decided at or after `since` (null: all) and published
   * outside dry run, that have a figure (engagementOf: 7 days, else 24 hours): one per draft,
   * from the learning signals, for the medians.
   */
  engagementSamples(since: number | null): Promise<EngagementSample[]>;
}

/** One topic's sums over a run of local days, from the /stats rollups. */
export interface RollupTopicSums {
  readonly topicName: string;
  readonly drafts: DraftOutcomeCounts & { readonly published: number };
  readonly totals: PublicationTotals;
  readonly xSpendUsd: number;
  readonly tokens: TokenUsage & { readonly runs: number };
}

/** One local day of the /stats chart, from the rollups. */
export interface RollupDay {
  /** The local day (src/domain/local-day.ts). */
  readonly day: number;
  readonly publications: number;
  readonly engagement: number;
}

// ---------------------------------------------------------------------------------------------
// PublishTarget (issue 11 §2): where an account's publications go. The X adapter
// (src/adapters/twitter/x-publish-target.ts) and the dry-run target (src/adapters/dry-run/dry-run-target.ts)
// implement it; PublishingService keeps the exactly-once rules (claim, lease, fence, the
// "unresolved" mark, when to read the timeline) and knows nothing about X.
// ---------------------------------------------------------------------------------------------

/** Who a target publishes as, for logs and for the rows the service writes. */
export interface PublishTargetIdentity {
  /** The account the target's credentials belong to. */
  readonly accountId: import('../domain/account.js').AccountId;
  /** The network (or the dry run) behind the target, for logs. */
  readonly network: 'x' | 'dry-run';
  /** True when nothing reaches a network: the ids are `dryrun-…` and nothing is spent. Stored on posts rows; not a branch. */
  readonly dryRun: boolean;
}

/** The remote account a target's credentials act as (GET /2/users/me on X). */
export interface TargetAccount {
  readonly userId: string;
  readonly handle: string;
}

/** One publication as a target sees it. */
export interface TargetPublication {
  /** The draft published: dry-run ids are derived from it. */
  readonly draftId: number;
  /** The posts, in thread order (one for a single tweet). */
  readonly tweets: readonly string[];
  /** Ids already stored, in thread order: `publish` resumes after them, `findPosted` looks after them. */
  readonly postedIds: readonly string[];
  /** The images of the first post, in order (issue 14); absent or empty: text only. */
  readonly media?: readonly TargetMedia[] | undefined;
}

/** One image of a publication as a target sees it. */
export interface TargetMedia {
  readonly position: number;
  readonly sha256: string;
  readonly mimeType: MediaMimeType;
  readonly bytes: number;
  readonly altText: string | null;
  /** What was uploaded for it before (a retry, a restart); the target re-uses it while younger than MEDIA_LIMITS.mediaIdReuseMs. */
  readonly upload: MediaUpload | null;
  /** The file's bytes, read from the media store when an upload is needed. */
  read(): Promise<Uint8Array>;
}

/**
 * The service's hooks into a running `publish`. Both are awaited inside the target's loop; an
 * error either throws stops the publication at once and propagates UNCHANGED (the target neither
 * classifies nor wraps it), so a lost lease or a closed window surfaces as the service's own error.
 */
export interface PublishHooks {
  /** Right before the request that creates post `index` (renew the lease, check the window). */
  beforePost?(index: number): Promise<void>;
  /** The moment the network returned post `index`'s id, before the next request: store it now. */
  onPosted(id: string, index: number): Promise<void>;
  /** The moment an image upload (or its alt text) was accepted, before the next request: store it now. */
  onMediaUploaded?(upload: MediaUpload): Promise<void>;
  /** X refused the stored media ids of post 0: forget them all, so the retry uploads the images again. */
  onMediaForgotten?(): Promise<void>;
  /** Right before each media request (an upload, its alt text) of post 0: renew the lease. */
  beforeMediaRequest?(): Promise<void>;
}

/** When the target lets a publication of N posts go out, by the network's limits alone (our caps are the service's). */
export interface TargetWindow {
  /** Epoch ms; == now when it may go now. */
  readonly allowedAt: number;
  /** Why it has to wait; null when it may go now. */
  readonly reason: string | null;
}

/** A target failure in the domain's terms: what the service decides on. */
export interface PublishFailure {
  readonly errorClass: PublishErrorClass;
  readonly message: string;
  /** The request may have been acted on although no answer came (timeout, lost answer): read the timeline before retrying. */
  readonly maybePosted: boolean;
  /** rate_limited only: when the limit lifts (always set by the X target, which applies its fallback window). */
  readonly resetAt: number | undefined;
  /** False when the error was not the target's own (a bug, a store error in a hook): the service logs it as unexpected. */
  readonly recognised: boolean;
}

/**
 * Publishes one account's publications. Every method except `classifyError` and `costUsd` may
 * throw; the service turns what it caught into a `PublishFailure` with `classifyError` (it never
 * imports a network's error types). A target never posts with another account's credentials: it is
 * built for one account and holds only that account's.
 */
export interface PublishTarget {
  readonly identity: PublishTargetIdentity;
  /**
   * Checks the credentials and names the account (X: GET /2/users/me); null when there is no
   * remote account (dry run). Rejected credentials throw an error `classifyError` maps to `auth`
   * or `forbidden` (X: `XAuthenticationError`, naming the account and its four variables).
   */
  verify(): Promise<TargetAccount | null>;
  /**
   * Posts `tweets[postedIds.length..]` in order, each replying to the previous id (the last of
   * `postedIds` for the first one), calling `hooks.onPosted` with each id as soon as the network
   * returns it. Refuses (throws, `rate_limited`) before a POST the network's last reported limits
   * would refuse. Returns every id, `postedIds` included.
   */
  publish(publication: TargetPublication, hooks: PublishHooks): Promise<readonly string[]>;
  /**
   * The timeline check: the ids of the posts after `postedIds` that are already on the account's
   * timeline, in thread order, stopping at the first one missing (the continuation to adopt
   * before posting again). Throws `rate_limited` rather than guess when the read limit is spent.
   */
  findPosted(publication: TargetPublication): Promise<readonly string[]>;
  /** When a publication of `tweetCount` posts may go out by the network's limits (per account and shared per app). */
  rateLimitWindow(tweetCount: number, now: number): Promise<TargetWindow>;
  /** The network's last reported limits per endpoint family, for /ratelimit (X: post, timeline, lookup, me; dry run: {}). */
  rateLimitState(): Promise<Readonly<Record<string, XRateState | null>>>;
  /** What publishing `tweets` costs (USD); 0 in dry run. */
  costUsd(tweets: readonly string[]): number;
  /** Any error a target method (or the service around it) threw, in the domain's terms; unknown errors are `transient`. */
  classifyError(error: unknown): PublishFailure;
}

// Images (issue 14).

/** Reads for the media files' life cycle. Media rows are written with the draft (NewDraft.media, RevisedContent.media). */
export interface MediaRepository {
  /**
   * The sha256 of every file a draft still needs or needed recently: the images of every draft
   * that is not final (pending, approved, publishing, failed), and of every draft that became
   * final at or after `since`. A file outside this set is unused.
   */
  hashesInUse(since: number): Promise<Set<string>>;
}

/** Thrown by MediaFileStore.read when a draft's file is not on disk (deleted, or a restore without media). */
export class MediaFileMissingError extends Error {
  constructor(readonly sha256: string) {
    super(`The image file ${sha256} is missing from the media directory`);
    this.name = 'MediaFileMissingError';
  }
}

/** The content-addressed files under the media directory (`<dir>/<sha256>`), beside the database. */
export interface MediaFileStore {
  /** Writes the bytes under their sha256 (an existing file is kept and its time refreshed); returns the hash. */
  put(bytes: Uint8Array): Promise<string>;
  /** Throws MediaFileMissingError when the file is not there. */
  read(sha256: string): Promise<Uint8Array>;
  /** Deletes every file whose hash is not in `inUse` and that was last written before `olderThan`; returns their hashes. */
  sweep(inUse: ReadonlySet<string>, olderThan: number): Promise<string[]>;
}

/** A file a moderator attached in Discord (a modal upload or a command option), as Discord describes it. */
export interface AttachmentRef {
  readonly url: string;
  readonly filename: string;
  /** The type Discord reports (from the upload); the file's own bytes decide. */
  readonly contentType: string | null;
  /** Bytes, as Discord reports them. */
  readonly size: number;
}

/** Fetches an attachment's bytes, bounded in size and time. Throws MediaRuleError('download' or 'size'). */
export interface AttachmentDownloader {
  /**
   * `limitForHead`, given the first bytes as they arrive, may lower `maxBytes` once the real type is
   * known (null: not yet); the download stops as soon as it passes the lowered limit.
   */
  download(ref: AttachmentRef, maxBytes: number, limitForHead?: (head: Uint8Array) => number | null): Promise<Uint8Array>;
}

/** What Claude saw in an image: alt text, and anything the hard rules forbid. */
export interface ImageReview {
  /** At most MEDIA_LIMITS.maxAltTextLength characters. */
  readonly altText: string;
  /** Short, one per problem ("shows a wallet address", "promises a price"); empty when none. */
  readonly findings: readonly string[];
  readonly usage: TokenUsage;
  readonly model: string;
}

/** Looks at one image. Implemented by the Claude adapter; errors are GenerationError like generate's. */
export interface ImageDescriber {
  describe(
    image: { readonly mimeType: MediaMimeType; readonly data: Uint8Array },
    context: { readonly topicName?: string | undefined; readonly tweets?: readonly string[] | undefined },
  ): Promise<ImageReview>;
}

/** What a full decode of an image read: its real pixel dimensions. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
}

/** The file's data does not decode as the image its header announces; `message` says why, for the moderator. */
export class ImageDecodeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes an image's pixel data, not just its header (inspectImage reads the header only), so a
 * file cut short or garbled after a valid header is refused before it is stored (issue 14).
 *
 * @throws ImageDecodeError when the data does not decode as `mimeType`.
 */
export interface ImageDecoder {
  decode(bytes: Uint8Array, mimeType: MediaMimeType): Promise<DecodedImage>;
}

/**
 * Learning from moderators (issue 15): the signals of one account's drafts, recorded by the draft
 * and publication repositories in the same transaction as the decision, edit or feedback that
 * produces them (so a crash can neither lose nor double one), and read here. Implemented in
 * src/db/repositories/learning-signal.repository.ts; `createRepositories(...).learning`.
 */
export interface LearningSignalRepository {
  /**
   * Decided drafts decided at or after `since` (the account's /topics reset-learning; null: all),
   * newest first, at most `limit`: what topic selection learns from.
   */
  decisions(options: { readonly since: number | null; readonly limit: number }): Promise<DraftSignal[]>;
  /** The signal of one of this account's drafts; null when it is not decided or not this account's. */
  findByDraft(draftId: number): Promise<DraftSignal | null>;
  /**
   * Published drafts that may become examples, newest first, at most `limit`: published (dry run
   * included, with no engagement), without risk flags, and not pinned out; plus every draft
   * pinned in, whatever its age.
   */
  exampleCandidates(limit: number): Promise<DraftSignal[]>;
  /**
   * Moderator edits of drafts later published without risk flags, newest first, one per draft:
   * its first edit since Claude last wrote its text (the text before it -> the published text).
   */
  editPairs(limit: number): Promise<EditPair[]>;
  /** Reject reasons and Regenerate feedback with text, with an id above `afterId`, oldest first, at most `limit`. */
  feedbackAfter(afterId: number, limit: number): Promise<FeedbackSignal[]>;
  /**
   * Sets or clears (null) a draft's example pin. False when the draft has no signal in this
   * account (not decided, or another account's).
   */
  setPin(draftId: number, pin: ExamplePin | null, now: number): Promise<boolean>;
  /** Drafts pinned in or out, newest pin first. */
  pinned(): Promise<DraftSignal[]>;
  /**
   * Takes every 24-hour and 7-day engagement figure that has come due by `now` and is still
   * missing, from the posts' current metrics (idempotent; the engagement refresh calls it after
   * each refresh); not while a tweet of the draft was never measured. Returns how many figures it took.
   */
  snapshotEngagement(now: number): Promise<number>;
}

/** Condenses moderator feedback into short "avoid" notes (one cheap Claude call; LEARNING_MODEL). */
export interface AvoidNoteCondenser {
  /**
   * `current`: the notes in force; `feedback`: what moderators wrote since; `forgotten`: notes a
   * moderator removed, which must not come back. Returns at most MAX_AVOID_NOTES texts and the
   * tokens spent. Throws GenerationError when Claude fails.
   */
  condense(input: {
    readonly current: readonly string[];
    readonly feedback: readonly FeedbackSignal[];
    readonly forgotten: readonly string[];
  }): Promise<{ readonly notes: readonly string[]; readonly usage: TokenUsage; readonly model: string }>;
}
