import { createHash } from 'node:crypto';
import { twitterCredentialVariables, type AccountId } from '../../domain/account.js';
import { mergeXRateState, nextPublishWindow, type XLimitBucket, type XRateState } from '../../domain/rate-limits.js';
import { findPostedContinuation } from '../../domain/thread-reconcile.js';
import { publicationCostUsd, type XPostPrices } from '../../domain/x-cost.js';
import { XApiError } from '../../domain/x-errors.js';
import { mediaUploadReusable, type MediaUpload } from '../../domain/media.js';
import type { Logger } from '../../logging/index.js';
import {
  MediaFileMissingError,
  type Clock,
  type ObservedXRateLimit,
  type PublishFailure,
  type PublishHooks,
  type PublishTarget,
  type PublishTargetIdentity,
  type SettingsRepository,
  type TargetAccount,
  type TargetMedia,
  type TargetPublication,
  type TargetWindow,
  type TweetPublisher,
} from '../../services/ports.js';
import { SETTINGS, type XRateLimitKey } from '../../services/settings-keys.js';
import type { TwitterClientCredentials } from './base-url.js';
import { XPublisher, type XPublisherOptions } from './x-publisher.js';

/** X's window after a 429 that carried no usable reset header. */
const DEFAULT_RATE_LIMIT_FALLBACK_MS = 15 * 60_000;

/**
 * Names an X app without revealing its key: the first 12 hex digits of the key's SHA-256. Stored
 * in the shared app-limit key, so it must never be the key itself (the key is a secret).
 */
export function appKeyFingerprint(appKey: string): string {
  return createHash('sha256').update(appKey, 'utf8').digest('hex').slice(0, 12);
}

/**
 * X's per-app 24-hour POST bucket, shared by every account whose requests are signed with the
 * same app key: one account's posts use up the others' allowance. Keyed by `appKeyFingerprint`.
 * The composition root backs it with the bot-wide (not account-scoped) settings.
 */
export interface AppLimitStore {
  get(appFingerprint: string): Promise<XLimitBucket | null>;
  /** Records a freshly observed bucket (see `mergeAppBucket`). */
  record(appFingerprint: string, observed: XLimitBucket, now: number): Promise<void>;
}

/**
 * Which of two observations of the same shared bucket to believe. Answers from several accounts
 * can arrive out of order: a later window (later reset) wins, and within one window the lower
 * `remaining` is the more recent count, because a bucket only goes down until it resets.
 */
export function mergeAppBucket(previous: XLimitBucket | null | undefined, observed: XLimitBucket | null | undefined): XLimitBucket | undefined {
  if (!previous) return observed ?? undefined;
  if (!observed) return previous;
  if (observed.resetAt !== previous.resetAt) return observed.resetAt > previous.resetAt ? observed : previous;
  return observed.remaining <= previous.remaining ? observed : previous;
}

/** The shared app buckets in a settings repository (SETTINGS.xAppLimit); give it the bot-wide one. */
export function settingsAppLimitStore(settings: SettingsRepository): AppLimitStore {
  return {
    get: (fingerprint) => settings.get(SETTINGS.xAppLimit.for(fingerprint)),
    async record(fingerprint, observed, now) {
      const key = SETTINGS.xAppLimit.for(fingerprint);
      const merged = mergeAppBucket(await settings.get(key), observed);
      if (merged) await settings.set(key, merged, now);
    },
  };
}

/** Start-up (or a timeline read) found credentials X refuses: the account must not run until they are fixed. */
export class XAuthenticationError extends Error {
  /** The four environment variables holding this account's X credentials. */
  readonly variables: readonly [string, string, string, string];

  constructor(
    readonly accountId: AccountId,
    override readonly cause: XApiError,
  ) {
    const variables = twitterCredentialVariables(accountId);
    super(
      `X rejected the credentials of account "${accountId}" (HTTP ${cause.status ?? '?'}) on GET /2/users/me. ` +
        `Check ${variables.slice(0, 3).join(', ')} and ${variables[3]} ` +
        '(OAuth 1.0a user context with read and write permission), or turn dry run on for this account.',
    );
    this.name = 'XAuthenticationError';
    this.variables = variables;
  }
}

export interface XPublishTargetDeps {
  readonly accountId: AccountId;
  /** The account's own client: it holds this account's credentials and no other's. */
  readonly publisher: TweetPublisher;
  /** `appKeyFingerprint` of the app key the publisher signs with. */
  readonly appFingerprint: string;
  /** The account's settings (scoped by the composition root): the rate-limit keys need no account in their name. */
  readonly settings: SettingsRepository;
  /** X's per-app bucket, shared across accounts of the same app. */
  readonly appLimits: AppLimitStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly prices: XPostPrices;
  /** Wait after a 429 that carried no usable reset header. Default 15 min (X's window). */
  readonly rateLimitFallbackMs?: number | undefined;
  /** How many recent tweets the timeline check looks through (5..100). Default 100. */
  readonly reconcileLookback?: number | undefined;
}

/**
 * The X publish target: one account's publications through twitter-api-v2. Everything X-specific
 * lives here: X's rate-limit headers and where they are kept, the per-app limit shared with the
 * other accounts of the same app, the auth error, the timeline reconcile, the price of a post and
 * the classification of X's failures. The exactly-once rules stay with the service; this class
 * posts only what it is asked to, and hands each id back before the next request.
 */
export class XPublishTarget implements PublishTarget {
  readonly identity: PublishTargetIdentity;
  private readonly rateLimitFallbackMs: number;
  private readonly reconcileLookback: number;
  private account: TargetAccount | null = null;

  constructor(private readonly deps: XPublishTargetDeps) {
    this.identity = { accountId: deps.accountId, network: 'x', dryRun: false };
    this.rateLimitFallbackMs = deps.rateLimitFallbackMs ?? DEFAULT_RATE_LIMIT_FALLBACK_MS;
    this.reconcileLookback = Math.min(100, Math.max(5, deps.reconcileLookback ?? 100));
  }

  /** Builds the account's own X client from its credentials; the app fingerprint comes from its app key. */
  static fromCredentials(
    credentials: TwitterClientCredentials,
    deps: Omit<XPublishTargetDeps, 'publisher' | 'appFingerprint'>,
    options: Omit<XPublisherOptions, 'clock'> = {},
  ): XPublishTarget {
    const publisher = XPublisher.fromCredentials(credentials, { ...options, clock: deps.clock });
    return new XPublishTarget({ ...deps, publisher, appFingerprint: appKeyFingerprint(credentials.appKey) });
  }

  /** The account GET /2/users/me last named; null before `verify` succeeded. */
  get verifiedAccount(): TargetAccount | null {
    return this.account;
  }

  async verify(): Promise<TargetAccount> {
    try {
      const me = await this.observed('me', () => this.deps.publisher.verifyCredentials());
      this.account = { userId: me.id, handle: me.username };
      return this.account;
    } catch (error) {
      if (error instanceof XApiError && (error.errorClass === 'auth' || error.errorClass === 'forbidden')) {
        throw new XAuthenticationError(this.deps.accountId, error);
      }
      throw error;
    }
  }

  async publish(publication: TargetPublication, hooks: PublishHooks): Promise<readonly string[]> {
    const ids = [...publication.postedIds];
    while (ids.length < publication.tweets.length) {
      const index = ids.length;
      await hooks.beforePost?.(index);
      // After the hook (which may check the service's own window first, with its own reason):
      // a backstop, so no POST goes out that X's last reported limits, the shared per-app one
      // included, would refuse.
      const window = await this.rateLimitWindow(publication.tweets.length - index, this.deps.clock.now());
      if (window.allowedAt > this.deps.clock.now()) {
        throw new XApiError(`X rate limit: ${window.reason ?? 'exhausted'}`, { errorClass: 'rate_limited', resetAt: window.allowedAt });
      }
      const text = publication.tweets[index] as string;
      // Images go on the first post only; each is uploaded (or re-used) and stored before the tweet.
      const media = index === 0 ? await this.uploadMedia(publication.media ?? [], hooks) : [];
      if (media.length > 0) await hooks.beforePost?.(index);
      const mediaIds = media.map((upload) => upload.mediaId);
      let posted: Awaited<ReturnType<TweetPublisher['postTweet']>>;
      try {
        posted = await this.observed('post', () => this.deps.publisher.postTweet(text, index === 0 ? undefined : ids[index - 1], mediaIds));
      } catch (error) {
        if (media.length > 0 && isInvalidMediaIds(error)) throw await this.forgetUploads(hooks, error);
        throw error;
      }
      ids.push(posted.id);
      await hooks.onPosted(posted.id, index);
    }
    return ids;
  }

  /**
   * The media ids for post 0, in order: a stored upload of the same file younger than
   * MEDIA_LIMITS.mediaIdReuseMs is re-used, anything else is uploaded; each id (then its alt text)
   * is handed to the service the moment X accepts it, so a crash before the tweet never uploads
   * it again while X still has it.
   */
  private async uploadMedia(media: readonly TargetMedia[], hooks: PublishHooks): Promise<MediaUpload[]> {
    const uploads: MediaUpload[] = [];
    for (const item of [...media].sort((a, b) => a.position - b.position)) {
      const stored = item.upload;
      let upload = stored && stored.sha256 === item.sha256 && mediaUploadReusable(stored, this.deps.clock.now()) ? stored : null;
      if (!upload) {
        const bytes = await item.read();
        await hooks.beforeMediaRequest?.();
        const { id } = await this.mediaCall(() => this.deps.publisher.uploadMedia(bytes, item.mimeType));
        upload = { position: item.position, sha256: item.sha256, mediaId: id, uploadedAt: this.deps.clock.now(), altTextApplied: !item.altText };
        await hooks.onMediaUploaded?.(upload);
      }
      if (!upload.altTextApplied && item.altText) {
        const altText = item.altText;
        const mediaId = upload.mediaId;
        await hooks.beforeMediaRequest?.();
        await this.mediaCall(() => this.deps.publisher.createMediaMetadata(mediaId, altText));
        upload = { ...upload, altTextApplied: true };
        await hooks.onMediaUploaded?.(upload);
      }
      uploads.push(upload);
    }
    return uploads;
  }

  /**
   * X refused the tweet's media ids (expired early, or lost on X's side): the stored uploads are
   * forgotten so the retry uploads them again, and the failure is transient.
   */
  private async forgetUploads(hooks: PublishHooks, error: unknown): Promise<XApiError> {
    await hooks.onMediaForgotten?.();
    const detail = error instanceof XApiError ? error.message : String(error);
    return new XApiError(`X refused the media ids of the first post; the images will be uploaded again on the retry (${detail})`, {
      errorClass: 'transient',
      status: error instanceof XApiError ? error.status : undefined,
      maybePosted: false,
      cause: error,
    });
  }

  /** A media request's failure is classified like a tweet's, but it cannot have posted anything. */
  private async mediaCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof XApiError && error.maybePosted) {
        throw new XApiError(error.message, {
          errorClass: error.errorClass,
          status: error.status,
          resetAt: error.resetAt,
          maybePosted: false,
          detail: error.detail,
          rateLimit: error.rateLimit,
          cause: error,
        });
      }
      throw error;
    }
  }

  async findPosted(publication: TargetPublication): Promise<readonly string[]> {
    if (publication.postedIds.length >= publication.tweets.length) return [];
    let account = this.account;
    if (!account) {
      try {
        account = await this.verify();
      } catch (error) {
        // Mid-run, rejected credentials fail the publication (with an alert) like a 401 on the POST would.
        throw error instanceof XAuthenticationError ? error.cause : error;
      }
    }
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
    const userId = account.userId;
    const { tweets } = await this.observed('timeline', () => this.deps.publisher.recentTweets(userId, { max: this.reconcileLookback }));
    return findPostedContinuation(publication.tweets, publication.postedIds, tweets, { rootHasMedia: (publication.media?.length ?? 0) > 0 });
  }

  async rateLimitWindow(tweetCount: number, now: number): Promise<TargetWindow> {
    const xState = await this.postState();
    const unlimited = { maxPerHour: Number.POSITIVE_INFINITY, maxPerDay: Number.POSITIVE_INFINITY };
    const window = nextPublishWindow({ now, publicationTimes: [], caps: unlimited, xState, tweetCount: Math.max(1, tweetCount) });
    return { allowedAt: window.allowedAt, reason: window.reason };
  }

  async rateLimitState(): Promise<Readonly<Record<XRateLimitKey, XRateState | null>>> {
    const keys = Object.keys(SETTINGS.xRateLimit) as XRateLimitKey[];
    const entries = await Promise.all(keys.map(async (key) => [key, await this.deps.settings.get(SETTINGS.xRateLimit[key])] as const));
    const state = Object.fromEntries(entries) as Record<XRateLimitKey, XRateState | null>;
    const shared = await this.deps.appLimits.get(this.deps.appFingerprint);
    // /ratelimit shows the per-app bucket as the whole app sees it, not as this account last did.
    if (shared) state.post = { ...(state.post ?? {}), app24h: mergeAppBucket(state.post?.app24h, shared) };
    return state;
  }

  costUsd(tweets: readonly string[]): number {
    return publicationCostUsd(tweets, this.deps.prices);
  }

  classifyError(error: unknown): PublishFailure {
    if (error instanceof MediaFileMissingError) {
      // The image is gone from the media directory (deleted, or a restore without media): no retry brings it back.
      const message = `${error.message}: the draft cannot be published without it; restore the file into MEDIA_DIR (the backup's .media folder has it), then press Retry`;
      return { errorClass: 'invalid', message, maybePosted: false, resetAt: undefined, recognised: true };
    }
    if (error instanceof XAuthenticationError) {
      return { errorClass: error.cause.errorClass, message: error.message, maybePosted: false, resetAt: undefined, recognised: true };
    }
    if (error instanceof XApiError) {
      const now = this.deps.clock.now();
      const resetAt = error.errorClass === 'rate_limited' ? Math.max(error.resetAt ?? now + this.rateLimitFallbackMs, now + 1) : undefined;
      return { errorClass: error.errorClass, message: error.message, maybePosted: error.maybePosted, resetAt, recognised: true };
    }
    // Not X's answer (a bug, a store error mid-run): treated as "may have reached X", the safe
    // side for exactly-once, so the next attempt reads the timeline first.
    return {
      errorClass: 'transient',
      message: `Unexpected error while publishing: ${describe(error)}`,
      maybePosted: true,
      resetAt: undefined,
      recognised: false,
    };
  }

  /** X's POST limits as this account last saw them, with the per-app bucket as the whole app last saw it. */
  private async postState(): Promise<XRateState> {
    const own = (await this.deps.settings.get(SETTINGS.xRateLimit.post)) ?? {};
    const shared = await this.deps.appLimits.get(this.deps.appFingerprint);
    return { ...own, app24h: mergeAppBucket(own.app24h, shared) };
  }

  /** Runs an X call and stores the rate-limit headers of its answer, success or failure. */
  private async observed<T extends { readonly rateLimit: ObservedXRateLimit }>(key: XRateLimitKey, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      await this.recordRateLimit(key, result.rateLimit, undefined);
      return result;
    } catch (error) {
      if (error instanceof XApiError) {
        const now = this.deps.clock.now();
        const blockedUntil = error.errorClass === 'rate_limited' ? Math.max(error.resetAt ?? now + this.rateLimitFallbackMs, now + 1) : undefined;
        await this.recordRateLimit(key, error.rateLimit ?? null, blockedUntil);
      }
      throw error;
    }
  }

  /**
   * Never throws: this bookkeeping runs between X's answer and the service's write of the tweet
   * id (or of the failure's class), and a store error here (locked, full) must not turn a tweet X
   * just returned into an unknown outcome, nor a 429 into an "unexpected" error.
   */
  private async recordRateLimit(key: XRateLimitKey, observed: ObservedXRateLimit, blockedUntil: number | undefined): Promise<void> {
    if (!observed && blockedUntil === undefined) return;
    const now = this.deps.clock.now();
    const settingsKey = SETTINGS.xRateLimit[key];
    try {
      const previous = (await this.deps.settings.get(settingsKey)) ?? {};
      const merged = mergeXRateState(previous, { ...(observed ?? {}), ...(blockedUntil !== undefined ? { blockedUntil } : {}) });
      await this.deps.settings.set(settingsKey, merged, now);
    } catch (error) {
      this.deps.logger.error("Could not store X's rate-limit state; carrying on", {
        accountId: this.deps.accountId,
        key: settingsKey.key,
        error: describe(error),
      });
    }
    if (!observed?.app24h) return;
    try {
      await this.deps.appLimits.record(this.deps.appFingerprint, observed.app24h, now);
    } catch (error) {
      this.deps.logger.error("Could not store X's shared per-app limit; carrying on", {
        accountId: this.deps.accountId,
        app: this.deps.appFingerprint,
        error: describe(error),
      });
    }
  }
}

/** X's 400 to a tweet whose media ids it no longer knows (expired, or never finalised): "Your media IDs are invalid." */
function isInvalidMediaIds(error: unknown): boolean {
  return error instanceof XApiError && error.status === 400 && /media ?ids?/i.test(error.detail ?? error.message);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
