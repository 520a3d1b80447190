import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { backoffDelayMs, backoffExhausted, DEFAULT_PUBLISH_BACKOFF, type BackoffPolicy } from '../domain/backoff.js';
import { dryRunTweetId, type Actor, type Draft, type PublishErrorClass } from '../domain/draft.js';
import { DAY_MS, mergeXRateState, nextPublishWindow, type PublishWindow, type XRateState } from '../domain/rate-limits.js';
import { findPostedContinuation } from '../domain/thread-reconcile.js';
import { publicationCostUsd } from '../domain/x-cost.js';
import { XApiError } from '../domain/x-errors.js';
import type { Logger } from '../logging/index.js';
import {
  systemMonotonicClock,
  type Clock,
  type DraftRepository,
  type MonotonicClock,
  type ObservedXRateLimit,
  type PostRepository,
  type PublicationRepository,
  type PublishFence,
  type PublishingLease,
  type PublishingObserver,
  type SettingsRepository,
  type TweetPublisher,
  type XAccount,
} from './ports.js';
import { SETTINGS, type XRateLimitKey } from './settings-keys.js';

export type { XRateLimitKey } from './settings-keys.js';


/** Slack on top of three request timeouts: DB writes, event-loop stalls, clocks that disagree a little. */
export const PUBLISH_LEASE_MARGIN_MS = 30_000;
/** TWITTER_TIMEOUT's default, for a service built without one. */
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/**
 * The publish lease for an X request timeout: 3 x the timeout plus a margin. The lease is renewed
 * right before every request to X, and the X client gives every request a total deadline of one
 * timeout (not only an inactivity timeout: an answer that trickles in is cut too), so a request
 * always ends well inside the lease; the rest is room for the writes around it.
 */
export function publishLeaseMs(requestTimeoutMs: number): number {
  return 3 * requestTimeoutMs + PUBLISH_LEASE_MARGIN_MS;
}

/** What the publishing service needs from the configuration. */
export interface PublishingConfig {
  readonly dryRun: boolean;
  readonly maxPostsPerHour: number;
  readonly maxPostsPerDay: number;
  readonly costPerPostUsd: number;
  readonly costPerPostWithUrlUsd: number;
  /** TWITTER_TIMEOUT in ms: the lease is derived from it (see `publishLeaseMs`). Default 20 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** Overrides the derived lease (tests); must exceed the X request timeout several times. */
  readonly leaseMs?: number | undefined;
  readonly backoff?: BackoffPolicy | undefined;
  /** Wait after a 429 that carried no usable reset header. Default 15 min (X's window). */
  readonly rateLimitFallbackMs?: number | undefined;
  /** How many recent tweets reconciliation looks through (5..100). Default 100. */
  readonly reconcileLookback?: number | undefined;
}

export interface PublishingServiceDeps {
  readonly drafts: DraftRepository;
  /** The publishing state of this account's approved drafts. */
  readonly publications: PublicationRepository;
  readonly posts: PostRepository;
  readonly settings: SettingsRepository;
  /** null in dry run: no request may ever reach X. */
  readonly publisher: TweetPublisher | null;
  readonly clock: Clock;
  /** Measures time inside this process (leases seen, requests in flight); default performance.now(). */
  readonly monotonic?: MonotonicClock | undefined;
  readonly rng: () => number;
  readonly logger: Logger;
  readonly config: PublishingConfig;
  readonly observer?: PublishingObserver | undefined;
  /** This process's lease owner id; unique per service instance unless given. */
  readonly owner?: string | undefined;
}

/** How one publish attempt ended. */
export type PublishOutcome =
  | { readonly kind: 'published'; readonly draft: Draft; readonly tweetIds: readonly string[]; readonly foundOnTimeline: number }
  | { readonly kind: 'queued'; readonly draft: Draft; readonly notBefore: number; readonly reason: string }
  | { readonly kind: 'failed'; readonly draft: Draft; readonly errorClass: PublishErrorClass; readonly errorMessage: string; readonly alert: boolean }
  | { readonly kind: 'skipped'; readonly draftId: number; readonly reason: string };

/** What /ratelimit shows. */
export interface RateLimitStatus {
  readonly window: PublishWindow;
  readonly x: Readonly<Record<XRateLimitKey, XRateState | null>>;
  readonly nextQueuedAt: number | null;
}

/** Start-up found credentials X refuses: the bot must not run until they are fixed. */
export class XAuthenticationError extends Error {
  constructor(override readonly cause: XApiError) {
    super(
      `X rejected the credentials (HTTP ${cause.status ?? '?'}) on GET /2/users/me. ` +
        'Check TWITTER_APP_KEY, TWITTER_APP_SECRET, TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_SECRET ' +
        '(OAuth 1.0a user context with read and write permission), or set DRY_RUN=true.',
    );
    this.name = 'XAuthenticationError';
  }
}

/** A transient attempt that stops because another process now holds the draft. */
class LostLeaseError extends Error {
  constructor(readonly draftId: number) {
    super(`draft ${draftId}: this publish attempt no longer holds the lease (another attempt took the draft over)`);
    this.name = 'LostLeaseError';
  }
}

/**
 * Publishes approved drafts to X exactly once.
 *
 * Exactly-once rests on three things: the claim (approved -> publishing with a lease and an
 * attempt id) is committed before any POST; every posted tweet id is stored the moment X returns
 * it; and any attempt whose outcome is unknown (crash, timeout, 5xx) is first reconciled against
 * the account's timeline before anything is posted again.
 *
 * Leases and clocks. The lease in the database is wall-clock time (`lease_expires_at`), because
 * another process must be able to read it. Every publishing write is fenced on the owner AND the
 * attempt id, so a run whose draft was taken over cannot write anything, even in this process.
 * This process never asks the wall clock about its own drafts: a draft it is carrying right now
 * is never reclaimed by it (`inFlight`), whatever the wall clock says. A draft another process
 * holds is reclaimed only when its lease has expired by the wall clock AND, measured on this
 * process's monotonic clock, as long has passed as the lease had left when this process first
 * saw it. A wall-clock step therefore cannot shorten a lease this process has already seen; a
 * backward step only delays a take-over. What is left: a process that sees a lease for the
 * first time after a forward step larger than the lease's remaining time (e.g. a process that
 * just started) takes the draft over while the first POST may still be in flight. The take-over
 * is an uncertain attempt: it reads the timeline before posting and again on X's duplicate 403,
 * so with X's duplicate rule the text still goes out once and is recorded; the stale run's
 * writes are refused by the fence.
 */
export class PublishingService {
  readonly owner: string;
  /** How long a claim stays ours without renewal (wall-clock ms in the database). */
  readonly leaseMs: number;
  private readonly monotonic: MonotonicClock;
  /** Drafts this instance is carrying right now, with their attempt id: never reclaimed by us. */
  private readonly inFlight = new Map<number, string>();
  /**
   * Drafts whose last request timed out or lost its answer (it may still reach X): the monotonic
   * time before which this process does not try again, so a wall-clock step cannot cut the
   * backoff short and let the retry read the timeline before X has acted on the first POST.
   */
  private readonly uncertainUntil = new Map<number, number>();
  /** Other processes' leases as first seen: the monotonic time at which each would lapse. */
  private readonly seenLeases = new Map<number, { readonly key: string; readonly lapsesAt: number }>();
  private readonly backoff: BackoffPolicy;
  private readonly rateLimitFallbackMs: number;
  private readonly reconcileLookback: number;
  private account: XAccount | null = null;

  constructor(private readonly deps: PublishingServiceDeps) {
    if (!deps.config.dryRun && !deps.publisher) throw new Error('PublishingService needs an X publisher unless DRY_RUN is on');
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = deps.config.leaseMs ?? publishLeaseMs(deps.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.monotonic = deps.monotonic ?? systemMonotonicClock;
    this.backoff = deps.config.backoff ?? DEFAULT_PUBLISH_BACKOFF;
    this.rateLimitFallbackMs = deps.config.rateLimitFallbackMs ?? 15 * 60_000;
    this.reconcileLookback = Math.min(100, Math.max(5, deps.config.reconcileLookback ?? 100));
  }

  get dryRun(): boolean {
    return this.deps.config.dryRun;
  }

  /**
   * GET /2/users/me: logs the handle and remembers the account id for reconciliation. Throws
   * `XAuthenticationError` on 401/403 (the caller should stop), `XApiError` on other failures.
   * Returns null in dry run, where nothing goes to X.
   */
  async verifyConnection(): Promise<XAccount | null> {
    const publisher = this.deps.publisher;
    if (this.dryRun || !publisher) {
      this.deps.logger.info('DRY_RUN is on: nothing will be sent to X');
      return null;
    }
    try {
      const me = await this.observed('me', () => publisher.verifyCredentials());
      this.account = { id: me.id, username: me.username };
      this.deps.logger.info(`Connected to X as @${me.username}`, { xUserId: me.id });
      return this.account;
    } catch (error) {
      if (error instanceof XApiError && (error.errorClass === 'auth' || error.errorClass === 'forbidden')) throw new XAuthenticationError(error);
      throw error;
    }
  }

  /**
   * The start-up check: verifies the credentials (an auth failure throws, and the bot should
   * stop), but tolerates X being unreachable right now: publishing backs off and retries.
   */
  async checkConnection(): Promise<XAccount | null> {
    try {
      return await this.verifyConnection();
    } catch (error) {
      if (error instanceof XAuthenticationError) throw error;
      this.deps.logger.warn('Could not verify the X connection at start-up; continuing', { error: describe(error) });
      return null;
    }
  }

  /**
   * Start-up, before anything is published: settles every draft a previous run left in
   * `publishing` (whose lease has expired) by looking for its tweets on the timeline and posting
   * only what is missing. Drafts under a live lease belong to another process.
   */
  async reconcileOnStartup(): Promise<PublishOutcome[]> {
    if (!this.dryRun && !this.account) await this.checkConnection();
    return this.reclaimStaleDrafts();
  }

  /**
   * The queue tick: settles stale `publishing` drafts (expired leases), then publishes approved
   * drafts whose wait is over, oldest decision first. `held` (e.g. /pause) is asked again before
   * each draft: one tick can take many POSTs, and a pause that lands mid-tick must stop it there
   * (a POST already in flight cannot be called back).
   */
  async processDueDrafts(limit = 10, options: { readonly held?: (() => Promise<boolean>) | undefined } = {}): Promise<PublishOutcome[]> {
    const held = options.held ?? (async () => false);
    const outcomes = await this.reclaimStaleDrafts(held);
    const due = await this.deps.publications.findDueForPublishing(this.deps.clock.now(), limit);
    for (const draft of due) {
      if (await held()) break;
      outcomes.push(await this.publishApprovedDraft(draft.id));
    }
    return outcomes;
  }

  /**
   * Publishes one approved draft now if our caps and X's limits allow it; otherwise queues it
   * for the earliest allowed time (stored as not_before + queue_reason).
   */
  async publishApprovedDraft(draftId: number): Promise<PublishOutcome> {
    const draft = await this.deps.drafts.findById(draftId);
    if (!draft) return { kind: 'skipped', draftId, reason: 'no such draft' };
    if (draft.status !== 'approved') return { kind: 'skipped', draftId, reason: `draft is ${draft.status}, not approved` };
    const now = this.deps.clock.now();
    if (draft.notBefore !== null && draft.notBefore > now) {
      return { kind: 'queued', draft, notBefore: draft.notBefore, reason: draft.queueReason ?? 'queued' };
    }
    const uncertainLeft = (this.uncertainUntil.get(draftId) ?? 0) - this.monotonic.now();
    if (uncertainLeft > 0) return { kind: 'queued', draft, notBefore: now + uncertainLeft, reason: draft.queueReason ?? 'backing off' };
    this.uncertainUntil.delete(draftId);
    const window = await this.windowFor(draft, 0, now);
    if (window.allowedAt > now) return this.defer(draft, window.allowedAt, window.reason ?? 'rate limited');

    if (this.inFlight.has(draftId)) return { kind: 'skipped', draftId, reason: 'already being published by this process' };
    const attemptId = randomUUID();
    // Marked before the claim commits, so no tick of ours can see it as someone else's lease.
    this.inFlight.set(draftId, attemptId);
    try {
      const claimed = await this.deps.publications.claimForPublishing(draftId, this.owner, attemptId, now, this.leaseMs);
      if (!claimed) return { kind: 'skipped', draftId, reason: 'claimed by another process or no longer approved' };
      // A transient failure may have reached X (timeout, lost answer, 5xx), and a Retry after X's
      // duplicate 403 may find our own tweet there: look before posting again. The stored mark
      // outlives the error class, which a later failure (e.g. the timeline read's own 429, or a
      // 401 on it) overwrites while the earlier POST's fate is still unknown.
      const unresolved = await this.deps.publications.isUnresolved(draftId);
      return await this.runClaimed(claimed, unresolved || claimed.errorClass === 'transient' || claimed.errorClass === 'duplicate');
    } finally {
      if (this.inFlight.get(draftId) === attemptId) this.inFlight.delete(draftId);
    }
  }

  /** failed -> approved (the Retry button), with a fresh transient-failure budget. */
  async retryFailed(draftId: number, actor: Actor): Promise<Draft | null> {
    const now = this.deps.clock.now();
    // The repository resets the transient-failure count with the transition.
    if (!(await this.deps.publications.retryFailed(draftId, actor, now))) return null;
    return this.deps.drafts.findById(draftId);
  }

  /** When a publication of `tweetCount` tweets may go out (caps and X's last reported limits). */
  async nextPublishWindow(tweetCount = 1): Promise<PublishWindow> {
    const now = this.deps.clock.now();
    return this.computeWindow(now, tweetCount, true);
  }

  /** Everything /ratelimit shows: our caps, X's buckets per endpoint, and the next queued time. */
  async rateLimitStatus(): Promise<RateLimitStatus> {
    const entries = await Promise.all(
      (Object.keys(SETTINGS.xRateLimit) as XRateLimitKey[]).map(async (key) => [key, await this.deps.settings.get(SETTINGS.xRateLimit[key])] as const),
    );
    return {
      window: await this.nextPublishWindow(1),
      x: Object.fromEntries(entries) as Record<XRateLimitKey, XRateState | null>,
      nextQueuedAt: await this.deps.publications.nextQueuedAt(),
    };
  }

  private async reclaimStaleDrafts(held: () => Promise<boolean> = async () => false): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    const leases = await this.deps.publications.findPublishingLeases();
    for (const id of this.seenLeases.keys()) if (!leases.some((l) => l.id === id)) this.seenLeases.delete(id);
    for (const lease of leases) {
      if (await held()) break;
      // Ours and running right now: a wall-clock step must not make us run it twice.
      if (this.inFlight.has(lease.id)) continue;
      if (!this.leaseLapsed(lease, this.deps.clock.now(), this.monotonic.now())) continue;
      const attemptId = randomUUID();
      this.inFlight.set(lease.id, attemptId);
      try {
        const reclaimed = await this.deps.publications.reclaimStalePublishing(lease.id, this.owner, attemptId, this.deps.clock.now(), this.leaseMs);
        if (!reclaimed) continue; // a live lease by the database's reckoning, or someone else took it first
        this.seenLeases.delete(lease.id);
        this.deps.logger.warn('Reconciling a draft left in publishing', { draftId: lease.id, postedTweets: reclaimed.postedTweetIds.length });
        outcomes.push(await this.runClaimed(reclaimed, true));
      } finally {
        if (this.inFlight.get(lease.id) === attemptId) this.inFlight.delete(lease.id);
      }
    }
    return outcomes;
  }

  /**
   * Whether another process's lease has lapsed: by the wall clock (what the database compares)
   * and by our monotonic clock since we first saw this very lease (owner, attempt, expiry), so a
   * wall-clock step cannot cut short a lease we watched. A lease first seen already expired (a
   * crash before we started) lapses at once.
   */
  private leaseLapsed(lease: PublishingLease, wallNow: number, monoNow: number): boolean {
    const key = `${lease.owner ?? ''}|${lease.attemptId ?? ''}|${lease.expiresAt ?? ''}`;
    const remaining = Math.max(0, (lease.expiresAt ?? 0) - wallNow);
    let seen = this.seenLeases.get(lease.id);
    if (!seen || seen.key !== key) {
      seen = { key, lapsesAt: monoNow + remaining };
      this.seenLeases.set(lease.id, seen);
    }
    return remaining === 0 && monoNow >= seen.lapsesAt;
  }

  /** The wait for the next tweet of `draft` (from index `fromIndex`); our caps only gate a new publication. */
  private async windowFor(draft: Draft, fromIndex: number, now: number): Promise<PublishWindow> {
    const startedAlready = Math.max(fromIndex, draft.postedTweetIds.length) > 0;
    return this.computeWindow(now, draft.tweets.length - Math.max(fromIndex, draft.postedTweetIds.length), !startedAlready);
  }

  private async computeWindow(now: number, tweetCount: number, applyCaps: boolean): Promise<PublishWindow> {
    const caps = applyCaps
      ? { maxPerHour: this.deps.config.maxPostsPerHour, maxPerDay: this.deps.config.maxPostsPerDay }
      : { maxPerHour: Number.POSITIVE_INFINITY, maxPerDay: Number.POSITIVE_INFINITY };
    const publicationTimes = applyCaps ? await this.deps.posts.publicationTimesSince(now - DAY_MS) : [];
    // In dry run nothing reaches X, so only our own caps apply.
    const xState = this.dryRun ? {} : ((await this.deps.settings.get(SETTINGS.xRateLimit.post)) ?? {});
    return nextPublishWindow({ now, publicationTimes, caps, xState, tweetCount: Math.max(1, tweetCount) });
  }

  private async defer(draft: Draft, notBefore: number, reason: string): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    if (!(await this.deps.publications.deferApproved(draft.id, notBefore, reason, now))) {
      return { kind: 'skipped', draftId: draft.id, reason: 'draft moved on before it could be queued' };
    }
    const queued = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger.info('Draft queued', { draftId: draft.id, notBefore: new Date(notBefore).toISOString(), reason });
    await this.notify('onQueued', () => this.deps.observer?.onQueued?.(queued));
    return { kind: 'queued', draft: queued, notBefore, reason };
  }

  /**
   * Carries a claimed draft to published, queued or failed, as long as the fence (our owner and
   * this attempt id) holds. `uncertain`: an earlier attempt may have reached X (crash, timeout,
   * 5xx), so the timeline is read before posting and again on X's duplicate 403.
   */
  private async runClaimed(draft: Draft, uncertain: boolean): Promise<PublishOutcome> {
    const fence: PublishFence = { owner: this.owner, attemptId: draft.publishAttemptId ?? '' };
    const log = this.deps.logger.child({ draftId: draft.id, attemptId: fence.attemptId });
    try {
      if (this.dryRun) return await this.completeDryRun(draft, fence);
      const publisher = this.deps.publisher as TweetPublisher;
      const ids = [...draft.postedTweetIds];
      let foundOnTimeline = 0;
      let marked = uncertain;
      const adoptFromTimeline = async (): Promise<number> => {
        await this.renewLease(draft, fence);
        const found = await this.findOnTimeline(publisher, draft, ids);
        if (marked) {
          // The timeline has been read: what it does not show was not posted (yet).
          await this.deps.publications.clearUnresolved(draft.id, this.deps.clock.now());
          marked = false;
        }
        for (const id of found) {
          ids.push(id);
          await this.recordTweet(draft, fence, ids, this.deps.clock.now());
        }
        if (found.length > 0) log.info('Found already-posted tweets on the timeline', { found: found.length });
        foundOnTimeline += found.length;
        return found.length;
      };
      if (uncertain && ids.length < draft.tweets.length) await adoptFromTimeline();
      while (ids.length < draft.tweets.length) {
        const i = ids.length;
        const now = this.deps.clock.now();
        const window = await this.windowFor(draft, i, now);
        if (window.allowedAt > now) return await this.requeue(draft, fence, { notBefore: window.allowedAt, reason: window.reason ?? 'rate limited' });
        await this.renewLease(draft, fence);
        const startedAt = this.monotonic.now();
        let posted: { readonly id: string };
        try {
          posted = await this.observed('post', () => publisher.postTweet(draft.tweets[i] as string, i === 0 ? undefined : ids[i - 1]));
        } catch (error) {
          // After an uncertain attempt, X's duplicate 403 may be our own earlier POST (one that
          // timed out, or a run this one took over): if the timeline has it, it is published.
          if (uncertain && error instanceof XApiError && error.errorClass === 'duplicate' && (await adoptFromTimeline()) > 0) continue;
          throw error;
        } finally {
          const tookMs = this.monotonic.now() - startedAt;
          if (tookMs > this.leaseMs) log.warn('An X request outlasted the publish lease', { tookMs, leaseMs: this.leaseMs });
        }
        ids.push(posted.id);
        await this.recordTweet(draft, fence, ids, this.deps.clock.now());
      }
      return await this.complete(draft, fence, ids, foundOnTimeline);
    } catch (error) {
      return this.handleFailure(draft, fence, error);
    }
  }

  /** Extends our lease right before a request to X; throws when this attempt no longer holds the draft. */
  private async renewLease(draft: Draft, fence: PublishFence): Promise<void> {
    if (!(await this.deps.publications.renewLease(draft.id, fence, this.deps.clock.now(), this.leaseMs))) throw new LostLeaseError(draft.id);
  }

  /** Stores the newest tweet id at once (so a crash resumes after it) and its posts row (caps, engagement). */
  private async recordTweet(draft: Draft, fence: PublishFence, ids: readonly string[], now: number): Promise<void> {
    if (!(await this.deps.publications.recordPostedTweet(draft.id, fence, ids, now))) throw new LostLeaseError(draft.id);
    const position = ids.length - 1;
    await this.deps.posts.recordPosted({
      draftId: draft.id,
      tweetId: ids[position] as string,
      content: draft.tweets[position] as string,
      contentType: draft.contentType,
      isThread: draft.kind === 'thread',
      threadId: draft.kind === 'thread' ? (ids[0] as string) : null,
      threadPosition: position,
      dryRun: false,
      postedAt: now,
    });
  }

  private async complete(draft: Draft, fence: PublishFence, ids: readonly string[], foundOnTimeline: number): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    const cost = publicationCostUsd(draft.tweets, { perPostUsd: this.deps.config.costPerPostUsd, perPostWithUrlUsd: this.deps.config.costPerPostWithUrlUsd });
    if (!(await this.deps.publications.markPublished(draft.id, fence, { tweetIds: ids, dryRun: false, xCostUsd: cost }, now))) {
      throw new LostLeaseError(draft.id);
    }
    // markPublished cleared the publication's transient-failure count and unresolved mark with it.
    const published = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger.info('Published to X', { draftId: draft.id, tweetIds: ids, xCostUsd: cost, foundOnTimeline });
    await this.notify('onPublished', () => this.deps.observer?.onPublished?.(published));
    return { kind: 'published', draft: published, tweetIds: ids, foundOnTimeline };
  }

  /** Dry run walks the same states with ids that can never be mistaken for real ones. */
  private async completeDryRun(draft: Draft, fence: PublishFence): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    const ids = draft.tweets.map((_, i) => dryRunTweetId(draft.id, i));
    for (const [i, tweetId] of ids.entries()) {
      await this.deps.posts.recordPosted({
        draftId: draft.id,
        tweetId,
        content: draft.tweets[i] as string,
        contentType: draft.contentType,
        isThread: draft.kind === 'thread',
        threadId: draft.kind === 'thread' ? (ids[0] as string) : null,
        threadPosition: i,
        dryRun: true,
        postedAt: now,
      });
    }
    // Nothing was sent, so nothing was spent.
    if (!(await this.deps.publications.markPublished(draft.id, fence, { tweetIds: ids, dryRun: true, xCostUsd: 0 }, now))) {
      throw new LostLeaseError(draft.id);
    }
    const published = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger.info('Published (dry run)', { draftId: draft.id, tweetIds: ids });
    await this.notify('onPublished', () => this.deps.observer?.onPublished?.(published));
    return { kind: 'published', draft: published, tweetIds: ids, foundOnTimeline: 0 };
  }

  /** The draft's tweets (after `knownIds`) that X already has, in thread order. */
  private async findOnTimeline(publisher: TweetPublisher, draft: Draft, knownIds: readonly string[]): Promise<string[]> {
    let account = this.account;
    if (!account) {
      try {
        account = await this.verifyConnection();
      } catch (error) {
        // Mid-run, rejected credentials fail this draft (with an alert) like a 401 on the POST would.
        throw error instanceof XAuthenticationError ? error.cause : error;
      }
    }
    if (!account) return [];
    const now = this.deps.clock.now();
    const state = await this.deps.settings.get(SETTINGS.xRateLimit.timeline);
    const blockedUntil = Math.max(state?.blockedUntil ?? 0, state?.endpoint && state.endpoint.remaining <= 0 ? state.endpoint.resetAt : 0);
    if (blockedUntil > now) {
      // Posting without looking could duplicate a tweet that did go out: wait for the read limit instead.
      throw new XApiError('X timeline read limit exhausted; cannot check whether the draft was already posted', {
        errorClass: 'rate_limited',
        resetAt: blockedUntil,
      });
    }
    const { tweets } = await this.observed('timeline', () => publisher.recentTweets(account.id, { max: this.reconcileLookback }));
    return findPostedContinuation(draft.tweets, knownIds, tweets);
  }

  private async handleFailure(draft: Draft, fence: PublishFence, error: unknown): Promise<PublishOutcome> {
    const log = this.deps.logger.child({ draftId: draft.id });
    if (error instanceof LostLeaseError) {
      log.warn(error.message);
      return { kind: 'skipped', draftId: draft.id, reason: error.message };
    }
    let failure: XApiError;
    if (error instanceof XApiError) {
      failure = error;
    } else {
      log.error('Unexpected error while publishing', { error: describe(error) });
      failure = new XApiError(`Unexpected error while publishing: ${describe(error)}`, { errorClass: 'transient', maybePosted: true, cause: error });
    }
    const now = this.deps.clock.now();
    try {
      // A 5xx is not `maybePosted` (X answered), yet X does sometimes act before failing.
      if (failure.maybePosted || failure.errorClass === 'transient') await this.deps.publications.setUnresolved(draft.id, now);
      switch (failure.errorClass) {
        case 'rate_limited': {
          const resetAt = Math.max(failure.resetAt ?? now + this.rateLimitFallbackMs, now + 1);
          return await this.requeue(draft, fence, {
            notBefore: resetAt,
            reason: `X rate limit (429): waiting until ${new Date(resetAt).toISOString()}`,
            errorMessage: failure.message,
            errorClass: 'rate_limited',
          });
        }
        case 'transient': {
          const failures = await this.deps.publications.recordTransientFailure(draft.id, now);
          if (backoffExhausted(failures, this.backoff)) {
            return await this.fail(draft, fence, 'transient', `${failure.message} (gave up after ${failures} attempts)`, true);
          }
          const delay = backoffDelayMs(failures, this.deps.rng, this.backoff);
          if (failure.maybePosted) this.uncertainUntil.set(draft.id, this.monotonic.now() + delay);
          return await this.requeue(draft, fence, {
            notBefore: now + delay,
            reason: `X unavailable: retry ${failures + 1}/${this.backoff.maxAttempts} in ${Math.ceil(delay / 1000)} s`,
            errorMessage: failure.message,
            errorClass: 'transient',
          });
        }
        case 'duplicate':
          return await this.fail(draft, fence, 'duplicate', failure.message, false);
        default:
          return await this.fail(draft, fence, failure.errorClass, failure.message, true);
      }
    } catch (inner) {
      if (inner instanceof LostLeaseError) return { kind: 'skipped', draftId: draft.id, reason: inner.message };
      throw inner;
    }
  }

  private async requeue(
    draft: Draft,
    fence: PublishFence,
    wait: { notBefore: number; reason: string; errorMessage?: string; errorClass?: PublishErrorClass },
  ): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    if (!(await this.deps.publications.requeue(draft.id, fence, wait, now))) throw new LostLeaseError(draft.id);
    const queued = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger.info('Draft requeued', { draftId: draft.id, notBefore: new Date(wait.notBefore).toISOString(), reason: wait.reason });
    await this.notify('onQueued', () => this.deps.observer?.onQueued?.(queued));
    return { kind: 'queued', draft: queued, notBefore: wait.notBefore, reason: wait.reason };
  }

  private async fail(draft: Draft, fence: PublishFence, errorClass: PublishErrorClass, errorMessage: string, alert: boolean): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    if (!(await this.deps.publications.markFailed(draft.id, fence, { errorMessage, errorClass }, now))) throw new LostLeaseError(draft.id);
    const failed = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger[alert ? 'error' : 'warn']('Publishing failed', { draftId: draft.id, errorClass, errorMessage });
    await this.notify('onFailed', () => this.deps.observer?.onFailed?.(failed, alert));
    return { kind: 'failed', draft: failed, errorClass, errorMessage, alert };
  }

  /** Runs an X call and stores the rate-limit headers of its answer, success or failure. */
  private async observed<T extends { readonly rateLimit: ObservedXRateLimit }>(key: XRateLimitKey, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      await this.recordRateLimit(key, result.rateLimit, undefined);
      return result;
    } catch (error) {
      if (error instanceof XApiError) {
        const blockedUntil =
          error.errorClass === 'rate_limited'
            ? Math.max(error.resetAt ?? this.deps.clock.now() + this.rateLimitFallbackMs, this.deps.clock.now() + 1)
            : undefined;
        await this.recordRateLimit(key, error.rateLimit ?? null, blockedUntil);
      }
      throw error;
    }
  }

  /**
   * Never throws: this bookkeeping runs between X's answer and the write that records the tweet
   * id (or the failure's class), and a store error here (locked, full) must not turn a tweet X
   * just returned into an unknown outcome, nor a 429 into an "unexpected" error.
   */
  private async recordRateLimit(key: XRateLimitKey, observed: ObservedXRateLimit, blockedUntil: number | undefined): Promise<void> {
    if (!observed && blockedUntil === undefined) return;
    const settingsKey = SETTINGS.xRateLimit[key];
    try {
      const previous = (await this.deps.settings.get(settingsKey)) ?? {};
      const merged = mergeXRateState(previous, { ...(observed ?? {}), ...(blockedUntil !== undefined ? { blockedUntil } : {}) });
      await this.deps.settings.set(settingsKey, merged, this.deps.clock.now());
    } catch (error) {
      this.deps.logger.error("Could not store X's rate-limit state; carrying on", { key: settingsKey.key, error: describe(error) });
    }
  }

  private async notify(hook: string, call: () => void | Promise<void> | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      // An observer (Discord card) failing must not undo or repeat a publication.
      this.deps.logger.error(`Publishing observer ${hook} failed`, { error: describe(error) });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
