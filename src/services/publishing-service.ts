import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { backoffDelayMs, backoffExhausted, DEFAULT_PUBLISH_BACKOFF, type BackoffPolicy } from '../domain/backoff.js';
import type { Actor, Draft, PublicationRecovery, PublishErrorClass } from '../domain/draft.js';
import type { MediaUpload } from '../domain/media.js';
import { DAY_MS, nextPublishWindow, type PublishWindow, type XRateState } from '../domain/rate-limits.js';
import { PAUSE_HOLD_REASON, type PauseState } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import {
  MediaFileMissingError,
  systemMonotonicClock,
  type Clock,
  type DraftRepository,
  type InstanceFence,
  type MediaFileStore,
  type MonotonicClock,
  type PostRepository,
  type PublicationRepository,
  type PublishFailure,
  type PublishFence,
  type PublishingLease,
  type PublishingObserver,
  type PublishTarget,
  type TargetMedia,
  type TargetPublication,
  type XAccount,
} from './ports.js';
import { SETTINGS, type XRateLimitKey } from './settings-keys.js';

export type { XRateLimitKey } from './settings-keys.js';

/** Slack on top of three request timeouts: DB writes, event-loop stalls, clocks that disagree a little. */
export const PUBLISH_LEASE_MARGIN_MS = 30_000;
/** TWITTER_TIMEOUT's default, for a service built without one. */
const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;
/** The wait after a `rate_limited` failure that came with no time (the X target always gives one). */
const DEFAULT_RATE_LIMIT_WAIT_MS = 15 * 60_000;

/**
 * The publish lease for an X request timeout: 3 x the timeout plus a margin. The lease is renewed
 * right before every request to X, and the X client gives every request a total deadline of one
 * timeout (not only an inactivity timeout: an answer that trickles in is cut too), so a request
 * always ends well inside the lease; the rest is room for the writes around it.
 */
export function publishLeaseMs(requestTimeoutMs: number): number {
  return 3 * requestTimeoutMs + PUBLISH_LEASE_MARGIN_MS;
}

/**
 * What the publishing service needs from the configuration. Dry run, prices, X's fallback window
 * and the timeline look-back belong to the account's PublishTarget.
 */
export interface PublishingConfig {
  readonly maxPostsPerHour: number;
  readonly maxPostsPerDay: number;
  /** TWITTER_TIMEOUT in ms: the lease is derived from it (see `publishLeaseMs`). Default 20 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** Overrides the derived lease (tests); must exceed the X request timeout several times. */
  readonly leaseMs?: number | undefined;
  readonly backoff?: BackoffPolicy | undefined;
}

export interface PublishingServiceDeps {
  readonly drafts: DraftRepository;
  /** The publishing state of this account's approved drafts. */
  readonly publications: PublicationRepository;
  readonly posts: PostRepository;
  /**
   * Where this account's publications go: its X target, or the dry-run target (which can reach
   * no network). The service has no dry-run branch; X's limits, prices and errors are the target's.
   */
  readonly target: PublishTarget;
  readonly clock: Clock;
  /** Measures time inside this process (leases seen, requests in flight); default performance.now(). */
  readonly monotonic?: MonotonicClock | undefined;
  readonly rng: () => number;
  readonly logger: Logger;
  readonly config: PublishingConfig;
  readonly observer?: PublishingObserver | undefined;
  /** This process's lease owner id; unique per service instance unless given. */
  readonly owner?: string | undefined;
  /**
   * The instance lease this service acts under (issue 12); `owner` should then name its term
   * (`${instanceOwner}#${epoch}`). With it, `reconcileOnStartup` takes over at once every
   * publication another owner left in `publishing`: only one instance is active, so that owner
   * is dead or its term ended. Without it, only expired leases are taken over.
   */
  readonly fence?: InstanceFence | undefined;
  /**
   * /pause of publishing (PauseService.holdsPublishing): while it names a pause, nothing of
   * this account goes to X, whoever asks (an Approve, a Retry, the deadline, the queue, a
   * calendar's Publish now): the draft stays approved and queued, its queue reason saying so.
   */
  readonly publishingHold?: (() => Promise<PauseState | null>) | undefined;
  /** Where a draft's image files are (issue 14): the target reads an image's bytes from here when it has to upload it. */
  readonly mediaFiles?: MediaFileStore | undefined;
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

/** The rate-limit families /ratelimit lists, in order; a target that reports none (dry run) shows them empty. */
const RATE_LIMIT_KEYS = Object.keys(SETTINGS.xRateLimit) as XRateLimitKey[];

/** The publication's window closed between two posts of a thread: requeue it for `notBefore`. */
class WindowClosedError extends Error {
  constructor(
    readonly notBefore: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'WindowClosedError';
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
  /** Whether the target was asked who it posts as (it may have no remote account: dry run). */
  private verified = false;

  constructor(private readonly deps: PublishingServiceDeps) {
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.leaseMs = deps.config.leaseMs ?? publishLeaseMs(deps.config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.monotonic = deps.monotonic ?? systemMonotonicClock;
    this.backoff = deps.config.backoff ?? DEFAULT_PUBLISH_BACKOFF;
  }

  /**
   * Asks the target who it posts as (X: GET /2/users/me; the target remembers it for its
   * timeline checks) and logs the handle.
   * Rejected credentials throw the target's error (X: `XAuthenticationError`, naming the account
   * and its four variables; the caller should stop); other failures throw too. Returns null when
   * the target has no remote account (dry run: nothing is sent anywhere).
   */
  async verifyConnection(): Promise<XAccount | null> {
    const { accountId, network } = this.deps.target.identity;
    const verified = await this.deps.target.verify();
    this.verified = true;
    if (!verified) {
      this.deps.logger.info('DRY_RUN is on: nothing will be sent to X', { accountId, network });
      return null;
    }
    this.deps.logger.info(`Connected to X as @${verified.handle}`, { accountId, xUserId: verified.userId });
    return { id: verified.userId, username: verified.handle };
  }

  /**
   * The start-up check: verifies the credentials (an auth failure throws, and the bot should
   * stop), but tolerates X being unreachable right now: publishing backs off and retries.
   */
  async checkConnection(): Promise<XAccount | null> {
    try {
      return await this.verifyConnection();
    } catch (error) {
      const { errorClass } = this.deps.target.classifyError(error);
      if (errorClass === 'auth' || errorClass === 'forbidden') throw error;
      this.deps.logger.warn('Could not verify the X connection at start-up; continuing', { error: describe(error) });
      return null;
    }
  }

  /**
   * Start-up, before anything is published: settles every draft a previous run left in
   * `publishing` by looking for its tweets on the timeline and posting only what is missing.
   * Under the instance lease (`fence`), every such draft of another owner is taken over at once,
   * whatever its lease's expiry (recovery in seconds after a kill -9), and a published one
   * records that it was recovered. Without it, drafts under a live lease belong to another
   * process and wait for it to expire.
   */
  async reconcileOnStartup(): Promise<PublishOutcome[]> {
    if (!this.verified) await this.checkConnection();
    // Under /pause of publishing, a publication a crash interrupted waits for /resume too (the publish queue takes it over then).
    return this.reclaimStaleDrafts(async () => (await this.publishingHeld()) !== null, { atStartup: true });
  }

  /**
   * The queue tick: settles stale `publishing` drafts (expired leases), then publishes approved
   * drafts whose wait is over, oldest decision first. `held` (e.g. /pause) is asked again before
   * each draft: one tick can take many POSTs, and a pause that lands mid-tick must stop it there
   * (a POST already in flight cannot be called back).
   */
  async processDueDrafts(limit = 10, options: { readonly held?: (() => Promise<boolean>) | undefined } = {}): Promise<PublishOutcome[]> {
    const held = async (): Promise<boolean> => (options.held ? await options.held() : false) || (await this.publishingHeld()) !== null;
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
    if (await this.publishingHeld()) return this.holdForPause(draft, now);
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

  /**
   * When the publish queue next has work, as wall-clock time (null: nothing waits; at or before
   * now: due already): the earliest queued publication's `not_before` (a slot, our caps, X's
   * reset, a backoff's end; unset = now), held back for a draft whose uncertain backoff this
   * process keeps on its monotonic clock; and the time another owner's publishing lease lapses
   * by both clocks (a crashed attempt to take over). Drafts this process is carrying are not
   * waited for: their outcome announces itself.
   */
  async nextDueAt(): Promise<number | null> {
    const now = this.deps.clock.now();
    const monoNow = this.monotonic.now();
    let next: number | null = null;
    const consider = (at: number) => {
      if (next === null || at < next) next = at;
    };
    for (const queued of await this.deps.publications.queuedDueTimes()) {
      if (this.inFlight.has(queued.id)) continue;
      const uncertainLeft = Math.max(0, (this.uncertainUntil.get(queued.id) ?? 0) - monoNow);
      consider(Math.max(queued.notBefore ?? now, now + uncertainLeft));
    }
    for (const lease of await this.deps.publications.findPublishingLeases()) {
      if (this.inFlight.has(lease.id)) continue;
      const remaining = Math.max(0, (lease.expiresAt ?? 0) - now);
      const seen = this.seenLeases.get(lease.id);
      const key = leaseKey(lease);
      // A lease watched since before a wall-clock step lapses on the monotonic clock too (see leaseLapsed).
      const watchedLeft = seen && seen.key === key ? Math.max(0, seen.lapsesAt - monoNow) : 0;
      consider(now + Math.max(remaining, watchedLeft));
    }
    return next;
  }

  /** The pause holding this account's publishing, if any (a failed read throws: nothing is published on a guess). */
  private async publishingHeld(): Promise<PauseState | null> {
    return this.deps.publishingHold ? this.deps.publishingHold() : null;
  }

  /**
   * An approved draft due now while /pause holds publishing: it stays queued, due, with a queue
   * reason the card shows; /resume spreads it out with the rest. A draft scheduled to a slot
   * keeps its schedule (the calendar settles slots that passed at /resume).
   */
  private async holdForPause(draft: Draft, now: number): Promise<PublishOutcome> {
    if (draft.scheduledFor != null || draft.queueReason === PAUSE_HOLD_REASON) {
      return { kind: 'queued', draft, notBefore: draft.notBefore ?? now, reason: draft.queueReason ?? PAUSE_HOLD_REASON };
    }
    return this.defer(draft, draft.notBefore ?? now, PAUSE_HOLD_REASON);
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

  /** Everything /ratelimit shows: our caps, the target's buckets per endpoint, and the next queued time. */
  async rateLimitStatus(): Promise<RateLimitStatus> {
    const reported = await this.deps.target.rateLimitState();
    return {
      window: await this.nextPublishWindow(1),
      x: Object.fromEntries(RATE_LIMIT_KEYS.map((key) => [key, reported[key] ?? null])) as Record<XRateLimitKey, XRateState | null>,
      nextQueuedAt: await this.deps.publications.nextQueuedAt(),
    };
  }

  private async reclaimStaleDrafts(held: () => Promise<boolean> = async () => false, options: { atStartup?: boolean } = {}): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    const leases = await this.deps.publications.findPublishingLeases();
    for (const id of this.seenLeases.keys()) if (!leases.some((l) => l.id === id)) this.seenLeases.delete(id);
    for (const lease of leases) {
      if (await held()) break;
      // Ours and running right now: a wall-clock step must not make us run it twice.
      if (this.inFlight.has(lease.id)) continue;
      // Under the instance lease, another owner's draft at start-up was abandoned by a process or term that is over.
      const abandoned = options.atStartup === true && this.deps.fence !== undefined && lease.owner !== this.owner;
      if (!abandoned && !this.leaseLapsed(lease, this.deps.clock.now(), this.monotonic.now())) continue;
      const attemptId = randomUUID();
      this.inFlight.set(lease.id, attemptId);
      try {
        const reclaim = abandoned ? this.deps.publications.reclaimAbandonedPublishing : this.deps.publications.reclaimStalePublishing;
        const reclaimed = await reclaim.call(this.deps.publications, lease.id, this.owner, attemptId, this.deps.clock.now(), this.leaseMs);
        if (!reclaimed) continue; // a live lease by the database's reckoning, someone else took it first, or we lost the instance lease
        this.seenLeases.delete(lease.id);
        this.deps.logger.warn('Reconciling a draft left in publishing', {
          draftId: lease.id,
          postedTweets: reclaimed.postedTweetIds.length,
          previousOwner: lease.owner,
          leaseExpired: !abandoned,
        });
        outcomes.push(await this.runClaimed(reclaimed, true, options.atStartup === true));
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
    const key = leaseKey(lease);
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
    const count = Math.max(1, tweetCount);
    const ours = nextPublishWindow({ now, publicationTimes, caps, xState: {}, tweetCount: count });
    // The network's limits (X's buckets, the per-app one shared with other accounts; none in dry
    // run). The later wait wins; on a tie our cap's reason stays, as when both were one input.
    const theirs = await this.deps.target.rateLimitWindow(count, now);
    return theirs.allowedAt > ours.allowedAt ? { ...ours, allowedAt: theirs.allowedAt, reason: theirs.reason } : ours;
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
  private async runClaimed(draft: Draft, uncertain: boolean, recovery = false): Promise<PublishOutcome> {
    const fence: PublishFence = { owner: this.owner, attemptId: draft.publishAttemptId ?? '' };
    // Tweets this run posted itself (not found on the timeline): what a recovery's card reports.
    let postedNow = 0;
    const log = this.deps.logger.child({ draftId: draft.id, attemptId: fence.attemptId });
    const target = this.deps.target;
    try {
      const ids = [...draft.postedTweetIds];
      // What was uploaded for each image so far (stored on the publication): re-used by the target while X still has it.
      const uploads = new Map<number, MediaUpload>((draft.mediaUploads ?? []).map((upload) => [upload.position, upload]));
      const media = (): TargetMedia[] =>
        (draft.media ?? []).map((image) => ({
          position: image.position,
          sha256: image.sha256,
          mimeType: image.mimeType,
          bytes: image.bytes,
          altText: image.altText,
          upload: uploads.get(image.position) ?? null,
          read: () => this.readMedia(image.sha256),
        }));
      const publication = (): TargetPublication => ({ draftId: draft.id, tweets: draft.tweets, postedIds: [...ids], media: media() });
      let foundOnTimeline = 0;
      let marked = uncertain;
      const adoptFromTimeline = async (): Promise<number> => {
        await this.renewLease(draft, fence);
        const found = await target.findPosted(publication());
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
      // When the request in flight started (monotonic); null between requests.
      let startedAt: number | null = null;
      const requestEnded = (): void => {
        if (startedAt === null) return;
        const tookMs = this.monotonic.now() - startedAt;
        startedAt = null;
        if (tookMs > this.leaseMs) log.warn('An X request outlasted the publish lease', { tookMs, leaseMs: this.leaseMs });
      };
      const hooks = {
        // Before every post: our window (caps for a new publication, the target's limits), then
        // the lease renewed, so the request starts with a whole lease ahead of it.
        beforePost: async (index: number): Promise<void> => {
          const now = this.deps.clock.now();
          const window = await this.windowFor(draft, index, now);
          if (window.allowedAt > now) throw new WindowClosedError(window.allowedAt, window.reason ?? 'rate limited');
          await this.renewLease(draft, fence);
          startedAt = this.monotonic.now();
        },
        // Before every media request of post 0 (an upload, its alt text): the lease renewed.
        beforeMediaRequest: async (): Promise<void> => {
          await this.renewLease(draft, fence);
          startedAt = this.monotonic.now();
        },
        // Each media id is stored the moment X returns it: a crash or a retry re-uses it instead of uploading again.
        onMediaUploaded: async (upload: MediaUpload): Promise<void> => {
          requestEnded();
          if (!(await this.deps.publications.recordMediaUpload(draft.id, fence, upload, this.deps.clock.now()))) throw new LostLeaseError(draft.id);
          uploads.set(upload.position, upload);
        },
        // X refused the stored ids: none of them may be re-used, the retry uploads again.
        onMediaForgotten: async (): Promise<void> => {
          if (!(await this.deps.publications.forgetMediaUploads(draft.id, fence, this.deps.clock.now()))) throw new LostLeaseError(draft.id);
          uploads.clear();
        },
        // The id is stored before the target sends the next request: a crash resumes after it.
        onPosted: async (id: string): Promise<void> => {
          requestEnded();
          postedNow += 1;
          ids.push(id);
          await this.recordTweet(draft, fence, ids, this.deps.clock.now());
        },
      };
      while (ids.length < draft.tweets.length) {
        try {
          const returned = await target.publish(publication(), hooks);
          // A target that stops short without an error would send this loop round for ever.
          if (returned.length < draft.tweets.length)
            throw new Error(`the ${target.identity.network} target returned ${returned.length} of ${draft.tweets.length} ids`);
        } catch (error) {
          requestEnded();
          if (error instanceof WindowClosedError) return await this.requeue(draft, fence, { notBefore: error.notBefore, reason: error.reason });
          if (error instanceof LostLeaseError) throw error;
          // After an uncertain attempt, X's duplicate 403 may be our own earlier POST (one that
          // timed out, or a run this one took over): if the timeline has it, it is published.
          if (uncertain && target.classifyError(error).errorClass === 'duplicate' && (await adoptFromTimeline()) > 0) continue;
          throw error;
        }
      }
      const recovered = recovery ? (postedNow > 0 ? 'posted_now' : 'already_on_x') : null;
      return await this.complete(draft, fence, ids, foundOnTimeline, recovered);
    } catch (error) {
      return this.handleFailure(draft, fence, error);
    }
  }

  /** An image's bytes for an upload; MediaFileMissingError when the file is gone (or no media store was given). */
  private async readMedia(sha256: string): Promise<Uint8Array> {
    if (!this.deps.mediaFiles) throw new MediaFileMissingError(sha256);
    return this.deps.mediaFiles.read(sha256);
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
      dryRun: this.deps.target.identity.dryRun,
      postedAt: now,
    });
  }

  private async complete(
    draft: Draft,
    fence: PublishFence,
    ids: readonly string[],
    foundOnTimeline: number,
    recovered: PublicationRecovery | null,
  ): Promise<PublishOutcome> {
    const now = this.deps.clock.now();
    const { dryRun, network } = this.deps.target.identity;
    // What the target charges (0 in dry run: nothing was sent, so nothing was spent).
    const cost = this.deps.target.costUsd(draft.tweets);
    if (!(await this.deps.publications.markPublished(draft.id, fence, { tweetIds: ids, dryRun, xCostUsd: cost, recovered }, now))) {
      throw new LostLeaseError(draft.id);
    }
    // markPublished cleared the publication's transient-failure count and unresolved mark with it.
    const published = (await this.deps.drafts.findById(draft.id)) ?? draft;
    this.deps.logger.info(dryRun ? 'Published (dry run)' : 'Published to X', { draftId: draft.id, network, tweetIds: ids, xCostUsd: cost, foundOnTimeline });
    await this.notify('onPublished', () => this.deps.observer?.onPublished?.(published));
    return { kind: 'published', draft: published, tweetIds: ids, foundOnTimeline };
  }

  private async handleFailure(draft: Draft, fence: PublishFence, error: unknown): Promise<PublishOutcome> {
    const log = this.deps.logger.child({ draftId: draft.id });
    if (error instanceof LostLeaseError) {
      log.warn(error.message);
      return { kind: 'skipped', draftId: draft.id, reason: error.message };
    }
    if (error instanceof MediaFileMissingError) {
      // No retry brings the file back: the draft fails (kept, with an alert) until its images are fixed.
      const message = `${error.message}: restore the file into MEDIA_DIR (the backup's .media folder has it), then press Retry`;
      try {
        return await this.fail(draft, fence, 'invalid', message, true);
      } catch (inner) {
        if (inner instanceof LostLeaseError) return { kind: 'skipped', draftId: draft.id, reason: inner.message };
        throw inner;
      }
    }
    // The target knows its network's errors; anything else (a bug, a store error) it calls an
    // unrecognised transient failure that may have reached the network.
    const failure: PublishFailure = this.deps.target.classifyError(error);
    if (!failure.recognised) log.error('Unexpected error while publishing', { error: describe(error) });
    const now = this.deps.clock.now();
    try {
      // A 5xx is not `maybePosted` (X answered), yet X does sometimes act before failing.
      if (failure.maybePosted || failure.errorClass === 'transient') await this.deps.publications.setUnresolved(draft.id, now);
      switch (failure.errorClass) {
        case 'rate_limited': {
          const resetAt = Math.max(failure.resetAt ?? now + DEFAULT_RATE_LIMIT_WAIT_MS, now + 1);
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

  private async notify(hook: string, call: () => void | Promise<void> | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      // An observer (Discord card) failing must not undo or repeat a publication.
      this.deps.logger.error(`Publishing observer ${hook} failed`, { error: describe(error) });
    }
  }
}

/** One lease as seen: a renewal or a take-over makes it another. */
function leaseKey(lease: PublishingLease): string {
  return `${lease.owner ?? ''}|${lease.attemptId ?? ''}|${lease.expiresAt ?? ''}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
