import { ApiPartialResponseError, ApiRequestError, ApiResponseError, type TwitterApi } from 'twitter-api-v2';
import type { IncomingHttpHeaders } from 'node:http';
import { parseXRateHeaders, type XRateState } from '../../domain/rate-limits.js';
import { classifyXHttpStatus, transportFailureMaybePosted, XApiError } from '../../domain/x-errors.js';
import type { MediaMimeType } from '../../domain/media.js';
import type { Clock, ObservedXRateLimit, PostMetrics, RecentTweet, TweetPublisher, XAccount } from '../../services/ports.js';
import { createTwitterClient, isRequestTimeout, requestDeadlineExceeded, requestErrorCause, type TwitterClientCredentials } from './base-url.js';

export { XApiError } from '../../domain/x-errors.js';

/** How the publisher reaches X. */
export interface XPublisherOptions {
  readonly apiBase?: string | undefined;
  readonly timeoutMs?: number | undefined;
  /** Stamps rate-limit observations; defaults to the system clock. */
  readonly clock?: Clock | undefined;
}

/** X allows 100 ids per GET /2/tweets. */
export const MAX_LOOKUP_IDS = 100;

interface TweetV2Data {
  readonly id: string;
  readonly text: string;
  readonly conversation_id?: string;
  readonly public_metrics?: {
    readonly like_count?: number;
    readonly retweet_count?: number;
    readonly reply_count?: number;
    readonly quote_count?: number;
    readonly impression_count?: number;
  };
}

function headerRecord(headers: IncomingHttpHeaders | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {})) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/** The rate-limit state a response's headers describe, or null when it carried none. */
function observeRateLimit(headers: IncomingHttpHeaders | undefined, now: number): ObservedXRateLimit {
  const state = parseXRateHeaders(headerRecord(headers), now);
  return state.endpoint || state.user24h || state.app24h ? state : null;
}

/**
 * When a 429 lifts: the latest reset among the buckets it exhausted, else the endpoint window's
 * reset; undefined when X sent no usable header (the caller then waits a default window).
 */
function rateLimitResetAt(state: XRateState | null): number | undefined {
  if (!state) return undefined;
  const buckets = [state.endpoint, state.user24h, state.app24h].filter((b) => b !== undefined);
  const exhausted = buckets.filter((b) => b.remaining <= 0);
  const pool = exhausted.length > 0 ? exhausted : state.endpoint ? [state.endpoint] : [];
  if (pool.length === 0) return undefined;
  return Math.max(...pool.map((b) => b.resetAt));
}

function problemDetail(data: ApiResponseError['data'] | undefined): string | undefined {
  if (!data) return undefined;
  const parts: string[] = [];
  if (typeof data.detail === 'string') parts.push(data.detail);
  else if (typeof data.title === 'string') parts.push(data.title);
  for (const e of data.errors ?? []) {
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && !parts.includes(message)) parts.push(message);
  }
  if (typeof data.error === 'string') parts.push(data.error);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/**
 * Turns whatever twitter-api-v2 threw into a classified `XApiError`. `operation` names the call
 * (e.g. "POST /2/tweets") for the message; credentials never appear in it, because neither the
 * library's messages nor our own include request headers.
 */
export function toXApiError(error: unknown, operation: string, now: number): XApiError {
  if (error instanceof XApiError) return error;
  if (error instanceof ApiResponseError) {
    const rateLimit = observeRateLimit(error.headers, now) ?? undefined;
    const detail = problemDetail(error.data);
    const errorClass = classifyXHttpStatus(error.code, detail);
    return new XApiError(`X ${operation} failed with HTTP ${error.code}${detail ? `: ${detail}` : ''}`, {
      errorClass,
      status: error.code,
      detail,
      rateLimit,
      resetAt: errorClass === 'rate_limited' ? rateLimitResetAt(rateLimit ?? null) : undefined,
      cause: error,
    });
  }
  const deadlineMs = requestDeadlineExceeded(error);
  if (deadlineMs !== undefined && (error instanceof ApiRequestError || error instanceof ApiPartialResponseError)) {
    // Our total deadline cut the request short (an answer trickling in, or none at all): like a
    // timeout, X may have acted on it, unless an error status had already arrived.
    const status = error instanceof ApiPartialResponseError ? error.response.statusCode : undefined;
    return new XApiError(`X ${operation} timed out (no complete answer within ${deadlineMs} ms${status ? `, HTTP ${status} head received` : ''})`, {
      errorClass: 'transient',
      status,
      maybePosted: status === undefined || status < 400,
      cause: error,
    });
  }
  if (error instanceof ApiPartialResponseError) {
    const status = error.response.statusCode;
    // The answer was cut mid-body: a 2xx head means X acted on the request.
    return new XApiError(`X ${operation} answer was interrupted (HTTP ${status ?? '?'}): ${error.responseError.message}`, {
      errorClass: 'transient',
      status,
      maybePosted: status === undefined || status < 400,
      cause: error,
    });
  }
  if (error instanceof ApiRequestError) {
    const cause = requestErrorCause(error) as NodeJS.ErrnoException | undefined;
    const timedOut = isRequestTimeout(error);
    return new XApiError(`X ${operation} ${timedOut ? 'timed out' : `connection failed (${cause?.code ?? cause?.message ?? 'unknown'})`}`, {
      errorClass: 'transient',
      maybePosted: timedOut || transportFailureMaybePosted(cause?.code),
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  // Unknown failures are treated as "may have reached X": the safe side for exactly-once.
  return new XApiError(`X ${operation} failed unexpectedly: ${message}`, { errorClass: 'transient', maybePosted: true, cause: error });
}

/** The X adapter: twitter-api-v2 with OAuth 1.0a user context, every error classified. */
export class XPublisher implements TweetPublisher {
  private readonly clock: Clock;

  constructor(
    private readonly client: TwitterApi,
    options: { readonly clock?: Clock | undefined } = {},
  ) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** Builds the client from credentials (and the optional fake/proxy base URL and timeout). */
  static fromCredentials(credentials: TwitterClientCredentials, options: XPublisherOptions = {}): XPublisher {
    const client = createTwitterClient(credentials, { apiBase: options.apiBase, timeoutMs: options.timeoutMs });
    return new XPublisher(client, { clock: options.clock });
  }

  async verifyCredentials(): Promise<XAccount & { rateLimit: ObservedXRateLimit }> {
    const response = await this.call('GET /2/users/me', () =>
      this.client.v2.get<{ data?: { id?: string; username?: string } }>('users/me', undefined, { fullResponse: true }),
    );
    const user = response.data.data;
    if (!user?.id || !user.username) {
      throw new XApiError('X GET /2/users/me answered without a user', { errorClass: 'invalid', status: 200 });
    }
    return { id: user.id, username: user.username, rateLimit: observeRateLimit(response.headers, this.clock.now()) };
  }

  async postTweet(text: string, inReplyToId?: string, mediaIds?: readonly string[]): Promise<{ id: string; rateLimit: ObservedXRateLimit }> {
    const body = {
      text,
      ...(inReplyToId === undefined ? {} : { reply: { in_reply_to_tweet_id: inReplyToId } }),
      ...(mediaIds === undefined || mediaIds.length === 0 ? {} : { media: { media_ids: [...mediaIds] } }),
    };
    const response = await this.call('POST /2/tweets', () => this.client.v2.post<{ data?: { id?: string } }>('tweets', body, { fullResponse: true }));
    const id = response.data.data?.id;
    if (!id) {
      // A 2xx without an id: X may well have posted it, so this must be reconciled, not retried blindly.
      throw new XApiError('X POST /2/tweets answered without a tweet id', { errorClass: 'transient', status: 201, maybePosted: true });
    }
    return { id, rateLimit: observeRateLimit(response.headers, this.clock.now()) };
  }

  /**
   * X's v2 chunked upload through twitter-api-v2 (INITIALIZE, APPEND in 1 MB segments, FINALIZE,
   * and STATUS while X still processes). Any step's failure is classified like a tweet's; a lost
   * answer leaves at worst an unused media id on X, which expires on its own.
   */
  async uploadMedia(bytes: Uint8Array, mimeType: MediaMimeType): Promise<{ id: string }> {
    const category = mimeType === 'image/gif' ? 'tweet_gif' : 'tweet_image';
    const id = await this.call('POST /2/media/upload', () =>
      this.client.v2.uploadMedia(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { media_type: mimeType, media_category: category }),
    );
    if (typeof id !== 'string' || id === '') {
      throw new XApiError('X media upload answered without a media id', { errorClass: 'transient', status: 200 });
    }
    return { id };
  }

  async createMediaMetadata(mediaId: string, altText: string): Promise<void> {
    await this.call('POST /2/media/metadata', () => this.client.v2.createMediaMetadata(mediaId, { alt_text: { text: altText } }));
  }

  async recentTweets(userId: string, options: { max: number }): Promise<{ tweets: RecentTweet[]; rateLimit: ObservedXRateLimit }> {
    // X accepts 5..100 per page; one page is enough to find what a crash left behind minutes ago.
    const maxResults = Math.min(100, Math.max(5, Math.floor(options.max)));
    const response = await this.call('GET /2/users/:id/tweets', () =>
      this.client.v2.get<{ data?: TweetV2Data[] }>(
        `users/${encodeURIComponent(userId)}/tweets`,
        { max_results: maxResults, 'tweet.fields': 'conversation_id' },
        { fullResponse: true },
      ),
    );
    const tweets = (response.data.data ?? []).slice(0, options.max).map((t) => ({
      id: t.id,
      text: t.text,
      conversationId: t.conversation_id ?? null,
    }));
    return { tweets, rateLimit: observeRateLimit(response.headers, this.clock.now()) };
  }

  async fetchMetrics(ids: readonly string[]): Promise<{ metrics: Map<string, PostMetrics>; rateLimit: ObservedXRateLimit }> {
    if (ids.length === 0) return { metrics: new Map(), rateLimit: null };
    if (ids.length > MAX_LOOKUP_IDS) throw new RangeError(`fetchMetrics takes at most ${MAX_LOOKUP_IDS} ids, got ${ids.length}`);
    const response = await this.call('GET /2/tweets', () =>
      this.client.v2.get<{ data?: TweetV2Data[] }>('tweets', { ids: ids.join(','), 'tweet.fields': 'public_metrics' }, { fullResponse: true }),
    );
    const metrics = new Map<string, PostMetrics>();
    for (const t of response.data.data ?? []) {
      const m = t.public_metrics ?? {};
      metrics.set(t.id, {
        likes: m.like_count ?? 0,
        retweets: m.retweet_count ?? 0,
        replies: m.reply_count ?? 0,
        quotes: m.quote_count ?? 0,
        impressions: m.impression_count ?? 0,
      });
    }
    return { metrics, rateLimit: observeRateLimit(response.headers, this.clock.now()) };
  }

  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw toXApiError(error, operation, this.clock.now());
    }
  }
}
