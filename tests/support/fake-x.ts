import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { FakeHttpServer, type FakeResponse, type FaultMatcher, type RecordedRequest } from './fake-http.js';
import { parseOAuthHeader } from './spec-validator.js';

/** A tweet as the fake X stores it. */
export interface FakeTweet {
  readonly id: string;
  readonly text: string;
  readonly authorId: string;
  /** ISO 8601, from the fake's clock. */
  readonly createdAt: string;
  readonly inReplyToId: string | undefined;
  readonly conversationId: string;
  publicMetrics: PublicMetrics;
  /** `media.media_ids` of the POST, in order; empty for a text-only tweet. */
  readonly mediaIds?: readonly string[];
}

/** An upload as the fake X keeps it: initialised, appended in segments, finalised. */
export interface FakeMedia {
  readonly id: string;
  readonly mediaKey: string;
  /** The user whose token initialised it: only they may attach it or set its metadata. */
  readonly ownerId: string;
  readonly mediaType: string;
  readonly category: string | undefined;
  readonly totalBytes: number;
  readonly segments: Map<number, Buffer>;
  /** Set by FINALIZE; undefined while the upload is still open. */
  finalizedAt: number | undefined;
  /** When X forgets the id (24 h after INITIALIZE by the fake's clock); `ageMedia` moves it. */
  expiresAt: number;
  /** What POST /2/media/metadata set; undefined when never set. */
  altText: string | undefined;
}

/** A finalised upload, for assertions: the bytes' sha256 as X received them, their type and category. */
export interface FakeMediaUpload {
  readonly mediaId: string;
  readonly ownerId: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly mediaType: string;
  readonly category: string | undefined;
  readonly finalizedAt: number;
}

/** One accepted POST /2/media/metadata. */
export interface FakeMediaMetadata {
  readonly mediaId: string;
  readonly altText: string | undefined;
}

/** The media routes, as fault paths (relative to the prefix; a RegExp matches any media id). */
export const FAKE_X_MEDIA_ROUTES = {
  initialize: { method: 'POST', path: '/2/media/upload/initialize' },
  append: { method: 'POST', path: /\/2\/media\/upload\/[0-9]+\/append$/ },
  finalize: { method: 'POST', path: /\/2\/media\/upload\/[0-9]+\/finalize$/ },
  status: { method: 'GET', path: /\/2\/media\/upload$/ },
  metadata: { method: 'POST', path: '/2/media/metadata' },
} as const satisfies Record<string, { method: string; path: string | RegExp }>;
export type FakeXMediaRoute = keyof typeof FAKE_X_MEDIA_ROUTES;

/** X keeps an uploaded media id for 24 hours. */
export const FAKE_X_MEDIA_TTL_MS = 24 * 60 * 60 * 1000;

/** What X's media upload takes per category for a post: the types and the most bytes. */
const MEDIA_CATEGORY_RULES: Readonly<Record<string, { readonly types: readonly string[]; readonly maxBytes: number }>> = {
  tweet_image: { types: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/bmp', 'image/pjpeg', 'image/tiff'], maxBytes: 5 * 1024 * 1024 },
  tweet_gif: { types: ['image/gif'], maxBytes: 15 * 1024 * 1024 },
};

/** X's 400 to a POST /2/tweets whose media ids are unknown, someone else's or expired. */
export function invalidMediaIdsBody(ids: readonly string[]): Record<string, unknown> {
  return {
    errors: [{ parameters: { 'media.media_ids': [...ids] }, message: 'Your media IDs are invalid.' }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  };
}

/** X's `public_metrics` for a tweet. */
export interface PublicMetrics {
  retweet_count: number;
  reply_count: number;
  like_count: number;
  quote_count: number;
  impression_count: number;
  bookmark_count: number;
}

/** Request-count limits the fake enforces and reports in x-rate-limit-* / x-*-limit-24hour-* headers. */
export interface FakeXRateLimits {
  /** Per 15-minute window, per endpoint. POST /2/tweets: 100 (Basic tier, per user). */
  readonly postTweetsPerWindow: number;
  /** GET endpoints, per 15-minute window. */
  readonly readsPerWindow: number;
  readonly userPostsPer24h: number;
  readonly appPostsPer24h: number;
}

/**
 * One more X user the fake knows, beside the default one: who an OAuth 1.0a access token belongs
 * to. Every request signed with `accessToken` is that user's: /2/users/me answers them, a POST
 * lands on their timeline, the duplicate rule and the user limits are theirs.
 */
export interface FakeXUserOptions {
  readonly userId: string;
  readonly username: string;
  readonly name?: string;
  /** The `oauth_token` that identifies this user. */
  readonly accessToken: string;
  /** The token's secret; with the app's consumer secret known too, the fake checks the HMAC signature. */
  readonly accessTokenSecret?: string;
  /** The app (consumer key) the token was issued to; default: the fake's `consumerKey` (one app, several users). */
  readonly consumerKey?: string;
  /** The app's secret; defaults to the fake's `consumerSecret` when the user shares the default app. */
  readonly consumerSecret?: string;
  /** X shows a protected user's tweets to that user only. */
  readonly protected?: boolean;
  /** This user's own request limits (window and user 24h); the app 24h limit is the app's. */
  readonly rateLimits?: Partial<Omit<FakeXRateLimits, 'appPostsPer24h'>>;
}

/** A user as the fake knows it (no secrets). */
export interface FakeXUser {
  readonly userId: string;
  readonly username: string;
  readonly name: string;
  /**
   * The token the user was created with (`addToken` adds more); undefined: the default user
   * without `accessToken`, which answers to any token no other user holds.
   */
  readonly accessToken: string | undefined;
  /** The app of that first token. */
  readonly consumerKey: string;
  readonly protected: boolean;
}

interface UserRecord extends FakeXUser {
  readonly consumerSecret: string | undefined;
  readonly accessTokenSecret: string | undefined;
  readonly limits: FakeXRateLimits;
}

/** One more access token for a known user (X issues one per app the user authorised). */
export interface FakeXTokenOptions {
  readonly accessToken: string;
  readonly accessTokenSecret?: string;
  /** Default: the fake's `consumerKey`. */
  readonly consumerKey?: string;
  /** Defaults to the fake's `consumerSecret` for the default app. */
  readonly consumerSecret?: string;
}

/** An access token: whose it is and which app it was issued to. */
interface Credential {
  readonly accessToken: string | undefined;
  readonly accessTokenSecret: string | undefined;
  readonly consumerKey: string;
  readonly consumerSecret: string | undefined;
  readonly user: UserRecord;
}

export interface FakeXOptions {
  /** The consumer (app) key a request must be signed with; anything else gets 401. */
  readonly consumerKey?: string;
  /**
   * With both secrets set, the fake recomputes the OAuth 1.0a HMAC-SHA1 signature over the URL it
   * actually received (http://127.0.0.1:port/...) and answers 401 on a mismatch.
   */
  readonly consumerSecret?: string;
  readonly accessTokenSecret?: string;
  /**
   * The default user's access token. Unset (as in every single-user test): the default user
   * answers to any token that no other user holds, as the fake always did. Set: only this token
   * is the default user's, and a token no user holds gets 401.
   */
  readonly accessToken?: string;
  /** More users, each with its own token (see `addUser`). */
  readonly users?: readonly FakeXUserOptions[];
  readonly userId?: string;
  readonly username?: string;
  readonly name?: string;
  /** ms since epoch; drives created_at and rate-limit windows. */
  readonly clock?: () => number;
  /** Serve under a path prefix, e.g. '/x' -> POST /x/2/tweets. */
  readonly pathPrefix?: string;
  /** X refuses a tweet whose text equals one of the same user's tweets (403). Default true. */
  readonly rejectDuplicates?: boolean;
  readonly rateLimits?: Partial<FakeXRateLimits>;
}

/** Which requests a convenience fault applies to; `path` is relative to the prefix. Default POST /2/tweets once. */
export interface FakeXFaultTarget {
  readonly method?: string;
  readonly path?: string | RegExp;
  readonly times?: number;
  /** Only requests attributed to this user (by their token); default: anyone's. */
  readonly userId?: string;
}

/** The real 403 body X answers to a duplicate tweet. */
export const DUPLICATE_CONTENT_BODY = {
  detail: 'You are not allowed to create a Tweet with duplicate content.',
  type: 'about:blank',
  title: 'Forbidden',
  status: 403,
} as const;

export const UNAUTHORIZED_BODY = { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' } as const;
export const TOO_MANY_REQUESTS_BODY = { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 } as const;
const SERVICE_UNAVAILABLE_BODY = { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: 503 };

const WINDOW_SECONDS = 15 * 60;
const DAY_SECONDS = 24 * 60 * 60;
const DEFAULT_LIMITS: FakeXRateLimits = { postTweetsPerWindow: 100, readsPerWindow: 900, userPostsPer24h: 100, appPostsPer24h: 1667 };
const DEFAULT_TWEET_FIELDS = ['id', 'text', 'edit_history_tweet_ids'];

interface Counter {
  readonly limit: number;
  readonly periodSeconds: number;
  used: number;
  resetAt: number;
}

function invalidRequest(message: string, parameters: Record<string, string[]> = {}): FakeResponse {
  return {
    status: 400,
    body: {
      errors: [{ parameters, message }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    },
  };
}

function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!*'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * A fake X API v2 (the routes the bot uses) on FakeHttpServer: POST /2/tweets, GET /2/users/me,
 * GET /2/users/:id/tweets, GET /2/tweets. Every request is recorded; faults are injectable.
 */
export class FakeX {
  readonly http: FakeHttpServer;
  readonly tweets: FakeTweet[] = [];
  readonly userId: string;
  readonly username: string;
  readonly name: string;
  readonly consumerKey: string;
  /** Switch X's duplicate-content rule on or off at any time. */
  rejectDuplicates: boolean;
  private readonly clock: () => number;
  private readonly prefix: string;
  private readonly limits: FakeXRateLimits;
  private readonly counters = new Map<string, Counter>();
  private readonly defaultCredential: Credential;
  private readonly usersById = new Map<string, UserRecord>();
  private readonly credentialsByToken = new Map<string, Credential>();
  private readonly attributions = new WeakMap<RecordedRequest, Credential | null>();
  private nextId = 1_790_000_000_000_000_001n;
  /** Every media id ever initialised, by id. */
  readonly media = new Map<string, FakeMedia>();
  /** Finalised uploads in order. */
  readonly mediaUploads: FakeMediaUpload[] = [];
  /** Accepted metadata calls in order. */
  readonly mediaMetadata: FakeMediaMetadata[] = [];
  /** POST /2/tweets refused for their media ids (unknown, another user's, expired), in order. */
  readonly mediaRefusals: string[][] = [];
  private nextMediaId = 1_880_000_000_000_000_001n;

  constructor(private readonly options: FakeXOptions = {}) {
    this.http = new FakeHttpServer('fake-x');
    this.consumerKey = options.consumerKey ?? 'fake-x-consumer-key';
    this.userId = options.userId ?? '1600000000000000001';
    this.username = options.username ?? 'draftgate_bot';
    this.name = options.name ?? 'Draftgate Bot';
    this.clock = options.clock ?? Date.now;
    this.prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
    this.rejectDuplicates = options.rejectDuplicates ?? true;
    this.limits = { ...DEFAULT_LIMITS, ...options.rateLimits };
    const defaultUser: UserRecord = {
      userId: this.userId,
      username: this.username,
      name: this.name,
      accessToken: options.accessToken,
      consumerKey: this.consumerKey,
      consumerSecret: options.consumerSecret,
      accessTokenSecret: options.accessTokenSecret,
      protected: false,
      limits: this.limits,
    };
    this.defaultCredential = this.register(defaultUser);
    for (const user of options.users ?? []) this.addUser(user);
    this.route('POST', '/2/tweets', (request, _params, user) => this.createTweet(request, user));
    this.route('GET', '/2/users/me', (_request, _params, user) => ({
      status: 200,
      body: { data: { id: user.userId, name: user.name, username: user.username } },
    }));
    this.route('GET', '/2/users/:id/tweets', (request, params, user) => this.userTimeline(request, params['id'] ?? '', user));
    this.route('GET', '/2/tweets', (request, _params, user) => this.lookupTweets(request, user));
    this.route('POST', '/2/media/upload/initialize', (request, _params, user) => this.initializeMedia(request, user));
    this.route('POST', '/2/media/upload/:id/append', (request, params, user) => this.appendMedia(request, params['id'] ?? '', user));
    this.route('POST', '/2/media/upload/:id/finalize', (_request, params, user) => this.finalizeMedia(params['id'] ?? '', user));
    this.route('GET', '/2/media/upload', (request, _params, user) => this.mediaStatus(request, user));
    this.route('POST', '/2/media/metadata', (request, _params, user) => this.createMediaMetadata(request, user));
  }

  /** Another X user with its own token; two users may share an app (consumer key). */
  addUser(options: FakeXUserOptions): FakeXUser {
    const consumerKey = options.consumerKey ?? this.consumerKey;
    const record: UserRecord = {
      userId: options.userId,
      username: options.username,
      name: options.name ?? options.username,
      accessToken: options.accessToken,
      consumerKey,
      consumerSecret: options.consumerSecret ?? (consumerKey === this.consumerKey ? this.options.consumerSecret : undefined),
      accessTokenSecret: options.accessTokenSecret,
      protected: options.protected ?? false,
      limits: { ...this.limits, ...options.rateLimits },
    };
    this.register(record);
    return publicUser(record);
  }

  /**
   * Another access token for a known user, e.g. the same X user authorised a second app: requests
   * signed with it are that user's (what two accounts resolving to one X user look like).
   */
  addToken(userId: string, options: FakeXTokenOptions): void {
    const user = this.usersById.get(userId);
    if (!user) throw new Error(`fake-x: no user ${userId}`);
    const consumerKey = options.consumerKey ?? this.consumerKey;
    this.addCredential({
      accessToken: options.accessToken,
      accessTokenSecret: options.accessTokenSecret,
      consumerKey,
      consumerSecret: options.consumerSecret ?? (consumerKey === this.consumerKey ? this.options.consumerSecret : undefined),
      user,
    });
  }

  /** Every user the fake knows, the default user first. */
  get users(): FakeXUser[] {
    return [...this.usersById.values()].map(publicUser);
  }

  /** The user a recorded request was attributed to (by its OAuth token, consumer key and signature); undefined if X would answer 401. */
  userOf(request: RecordedRequest): FakeXUser | undefined {
    const credential = this.attribute(request);
    return credential ? publicUser(credential.user) : undefined;
  }

  /** The requests attributed to a user, optionally only those to a method and path (relative to the prefix). */
  requestsBy(userId: string, method?: string, path?: string | RegExp): RecordedRequest[] {
    const requests = method !== undefined && path !== undefined ? this.requestsTo(method, path) : this.requests;
    return requests.filter((r) => this.attribute(r)?.user.userId === userId);
  }

  /** A user's tweets (posted or seeded), oldest first. */
  tweetsOf(userId: string): FakeTweet[] {
    return this.tweets.filter((t) => t.authorId === userId);
  }

  private register(record: UserRecord): Credential {
    if (this.usersById.has(record.userId)) throw new Error(`fake-x: user ${record.userId} already exists`);
    const { accessToken, accessTokenSecret, consumerKey, consumerSecret } = record;
    const credential: Credential = { accessToken, accessTokenSecret, consumerKey, consumerSecret, user: record };
    this.addCredential(credential);
    this.usersById.set(record.userId, record);
    return credential;
  }

  private addCredential(credential: Credential): void {
    if (credential.accessToken === undefined) return;
    const holder = this.credentialsByToken.get(credential.accessToken);
    if (holder) throw new Error(`fake-x: access token ${credential.accessToken} already belongs to user ${holder.user.userId}`);
    this.credentialsByToken.set(credential.accessToken, credential);
  }

  start(): Promise<string> {
    return this.http.start().then((url) => url + this.prefix);
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  /** The base URL to give the client (includes the path prefix). */
  get url(): string {
    return this.http.url + this.prefix;
  }

  get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  /** Requests to a path relative to the prefix (e.g. '/2/tweets'). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.http.requestsTo(method, typeof path === 'string' ? this.prefix + path : path);
  }

  /** Stores a tweet as if it had been posted (e.g. "the POST succeeded but the bot crashed"). */
  seedTweet(
    text: string,
    opts: { inReplyToId?: string; authorId?: string; createdAt?: number; metrics?: Partial<PublicMetrics>; mediaIds?: readonly string[] } = {},
  ): FakeTweet {
    const id = (this.nextId++).toString();
    const parent = opts.inReplyToId ? this.tweets.find((t) => t.id === opts.inReplyToId) : undefined;
    const tweet: FakeTweet = {
      id,
      text,
      authorId: opts.authorId ?? this.userId,
      createdAt: new Date(opts.createdAt ?? this.clock()).toISOString(),
      inReplyToId: opts.inReplyToId,
      conversationId: parent?.conversationId ?? opts.inReplyToId ?? id,
      publicMetrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, impression_count: 0, bookmark_count: 0, ...opts.metrics },
      mediaIds: [...(opts.mediaIds ?? [])],
    };
    this.tweets.push(tweet);
    if (parent) parent.publicMetrics.reply_count += 1;
    return tweet;
  }

  setMetrics(id: string, metrics: Partial<PublicMetrics>): void {
    const tweet = this.tweets.find((t) => t.id === id);
    if (!tweet) throw new Error(`fake-x: no tweet ${id}`);
    tweet.publicMetrics = { ...tweet.publicMetrics, ...metrics };
  }

  /** 429 with X's headers; `resetAt` is unix seconds (default: 15 minutes from the clock). */
  rateLimit429(opts: FakeXFaultTarget & { resetAt?: number } = {}): void {
    const resetAt = String(opts.resetAt ?? Math.floor(this.clock() / 1000) + WINDOW_SECONDS);
    this.http.injectFault(this.matcher(opts), {
      status: 429,
      headers: {
        'x-rate-limit-limit': String(this.limits.postTweetsPerWindow),
        'x-rate-limit-remaining': '0',
        'x-rate-limit-reset': resetAt,
        'x-user-limit-24hour-limit': String(this.limits.userPostsPer24h),
        'x-user-limit-24hour-remaining': '0',
        'x-user-limit-24hour-reset': resetAt,
      },
      body: TOO_MANY_REQUESTS_BODY,
    });
  }

  /** The next matching POST gets X's duplicate-content 403 whatever its text. */
  duplicate403(opts: FakeXFaultTarget = {}): void {
    this.http.injectFault(this.matcher(opts), { status: 403, body: DUPLICATE_CONTENT_BODY });
  }

  serverError(status = 503, opts: FakeXFaultTarget = {}): void {
    this.http.injectFault(this.matcher(opts), { status, body: { ...SERVICE_UNAVAILABLE_BODY, status } });
  }

  /** The request is received but never answered. */
  hang(opts: FakeXFaultTarget = {}): void {
    this.http.injectFault(this.matcher(opts), { hang: true });
  }

  /**
   * Holds the next matching request (default: the next POST /2/tweets) before X acts on it: a slow
   * POST in flight. `release()` lets it through (the tweet is then stored and answered, unless the
   * client gave up meanwhile; X still acts on a request whose client has gone).
   */
  hold(opts: FakeXFaultTarget = {}): { release(): void } {
    let release!: () => void;
    const until = new Promise<void>((resolve) => (release = resolve));
    this.http.injectFault(this.matcher(opts), { until });
    return { release };
  }

  /**
   * The route runs (a POST stores its tweet) and its answer starts at once, but the body arrives
   * one byte every `intervalMs`: never silent long enough for an idle timeout, yet slow overall.
   */
  trickle(opts: FakeXFaultTarget & { intervalMs: number }): void {
    this.http.injectFault(this.matcher(opts), { trickleMs: opts.intervalMs });
  }

  /**
   * The route runs (a POST stores its tweet) but the answer never reaches the client: the socket
   * is dropped ('disconnect', default) or left hanging until the client times out ('hang').
   */
  succeedThenLoseResponse(opts: FakeXFaultTarget & { mode?: 'disconnect' | 'hang' } = {}): void {
    const mode = opts.mode ?? 'disconnect';
    this.http.injectFault(this.matcher(opts), { afterRoute: true, ...(mode === 'hang' ? { hang: true } : { disconnect: true }) });
  }

  /**
   * A fault on one media route (see FAKE_X_MEDIA_ROUTES): an HTTP error with X's body (5xx, 401,
   * 400, 429), or the connection dropped before (`drop`) or after (`lose`) the route ran.
   */
  mediaFault(route: FakeXMediaRoute, fault: 'drop' | 'lose' | 400 | 401 | 429 | 500 | 502 | 503, opts: Omit<FakeXFaultTarget, 'method' | 'path'> = {}): void {
    const target = { ...opts, ...FAKE_X_MEDIA_ROUTES[route] };
    if (fault === 'drop') this.http.injectFault(this.matcher(target), { disconnect: true });
    else if (fault === 'lose') this.succeedThenLoseResponse(target);
    else if (fault === 401) this.http.injectFault(this.matcher(target), { status: 401, body: UNAUTHORIZED_BODY });
    else if (fault === 429) this.rateLimit429(target);
    else if (fault === 400) this.http.injectFault(this.matcher(target), invalidRequest('One or more parameters to your request was invalid.'));
    else this.serverError(fault, target);
  }

  /** Moves a media id's upload (default: every one) `ms` into the past: X forgets it 24 h after upload. */
  ageMedia(ms: number, mediaId?: string): void {
    for (const media of this.media.values()) {
      if (mediaId !== undefined && media.id !== mediaId) continue;
      media.expiresAt -= ms;
      if (media.finalizedAt !== undefined) media.finalizedAt -= ms;
    }
  }

  /** The finalised uploads of a user, in order. */
  uploadsBy(userId: string): FakeMediaUpload[] {
    return this.mediaUploads.filter((u) => u.ownerId === userId);
  }

  private matcher(target: FakeXFaultTarget): FaultMatcher {
    const path = target.path ?? '/2/tweets';
    const userId = target.userId;
    return {
      method: target.method ?? 'POST',
      path: typeof path === 'string' ? this.prefix + path : path,
      times: target.times ?? 1,
      ...(userId !== undefined ? { where: (request: RecordedRequest) => this.attribute(request)?.user.userId === userId } : {}),
    };
  }

  /** Registers a route behind authentication and rate limiting, with rate-limit headers on every answer. */
  private route(method: string, path: string, handler: (request: RecordedRequest, params: Record<string, string>, user: UserRecord) => FakeResponse): void {
    this.http.route(method, this.prefix + path, (request, params) => {
      const credential = this.attribute(request);
      if (!credential) return { status: 401, body: UNAUTHORIZED_BODY };
      const user = credential.user;
      const isPost = method === 'POST' && path === '/2/tweets';
      // X counts the 15-minute window and the 24-hour user limit per user, the 24-hour app limit per app key.
      const window = this.count(`${user.userId} ${method} ${path}`, isPost ? user.limits.postTweetsPerWindow : user.limits.readsPerWindow, WINDOW_SECONDS);
      const headers: Record<string, string> = {
        'x-rate-limit-limit': String(window.limit),
        'x-rate-limit-remaining': String(Math.max(0, window.limit - window.used)),
        'x-rate-limit-reset': String(window.resetAt),
      };
      let exhausted = window.used > window.limit;
      if (isPost) {
        const userDay = this.count(`user-24h ${user.userId}`, user.limits.userPostsPer24h, DAY_SECONDS);
        const app = this.count(`app-24h ${credential.consumerKey}`, this.limits.appPostsPer24h, DAY_SECONDS);
        headers['x-user-limit-24hour-limit'] = String(userDay.limit);
        headers['x-user-limit-24hour-remaining'] = String(Math.max(0, userDay.limit - userDay.used));
        headers['x-user-limit-24hour-reset'] = String(userDay.resetAt);
        headers['x-app-limit-24hour-limit'] = String(app.limit);
        headers['x-app-limit-24hour-remaining'] = String(Math.max(0, app.limit - app.used));
        headers['x-app-limit-24hour-reset'] = String(app.resetAt);
        exhausted ||= userDay.used > userDay.limit || app.used > app.limit;
      }
      const response = exhausted ? { status: 429, body: TOO_MANY_REQUESTS_BODY } : handler(request, params, user);
      return { ...response, headers: { ...headers, ...response.headers } };
    });
  }

  /** Counts one request in a fixed window and returns the counter after counting. */
  private count(key: string, limit: number, periodSeconds: number): Counter {
    const now = Math.floor(this.clock() / 1000);
    let counter = this.counters.get(key);
    if (!counter || now >= counter.resetAt) {
      counter = { limit, periodSeconds, used: 0, resetAt: now + periodSeconds };
      this.counters.set(key, counter);
    }
    counter.used += 1;
    return counter;
  }

  /**
   * The user a request acts as, or undefined where X answers 401: anything that is not OAuth 1.0a
   * user context, a token no user holds (unless the default user takes any token), a token used
   * with another app's consumer key, or a signature that does not verify with the user's secrets.
   */
  private attribute(request: RecordedRequest): Credential | undefined {
    const cached = this.attributions.get(request);
    if (cached !== undefined) return cached ?? undefined;
    const user = this.identify(request);
    this.attributions.set(request, user ?? null);
    return user;
  }

  private identify(request: RecordedRequest): Credential | undefined {
    const header = request.headers['authorization'] ?? '';
    const oauth = parseOAuthHeader(header);
    const shaped =
      oauth !== undefined &&
      oauth['oauth_signature_method'] === 'HMAC-SHA1' &&
      oauth['oauth_version'] === '1.0' &&
      ['oauth_token', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce'].every((k) => (oauth[k] ?? '') !== '');
    if (!shaped) return undefined;
    const token = oauth['oauth_token'] ?? '';
    const credential = this.credentialsByToken.get(token) ?? (this.defaultCredential.accessToken === undefined ? this.defaultCredential : undefined);
    if (!credential || oauth['oauth_consumer_key'] !== credential.consumerKey) return undefined;
    if (credential.consumerSecret !== undefined && credential.accessTokenSecret !== undefined && !this.signatureMatches(request, oauth, credential)) {
      return undefined;
    }
    return credential;
  }

  /** RFC 5849 §3.4: recompute HMAC-SHA1 over the request as received. */
  private signatureMatches(request: RecordedRequest, oauth: Record<string, string>, credential: Credential): boolean {
    const baseUrl = `http://${(request.headers['host'] ?? '').toLowerCase()}${request.path}`;
    const params: Array<[string, string]> = [];
    for (const [key, value] of Object.entries(oauth)) if (key !== 'oauth_signature' && key !== 'realm') params.push([key, value]);
    for (const [key, value] of Object.entries(request.query)) params.push([key, value]);
    if ((request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      for (const [key, value] of new URLSearchParams(request.rawBody)) params.push([key, value]);
    }
    const normalized = params
      .map(([k, v]) => [percentEncode(k), percentEncode(v)] as const)
      .sort(([ak, av], [bk, bv]) => (ak === bk ? (av < bv ? -1 : av > bv ? 1 : 0) : ak < bk ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const base = `${request.method}&${percentEncode(baseUrl)}&${percentEncode(normalized)}`;
    const key = `${percentEncode(credential.consumerSecret ?? '')}&${percentEncode(credential.accessTokenSecret ?? '')}`;
    const expected = Buffer.from(createHmac('sha1', key).update(base).digest('base64'));
    const actual = Buffer.from(oauth['oauth_signature'] ?? '');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  private createTweet(request: RecordedRequest, user: UserRecord): FakeResponse {
    const body = request.body as { text?: unknown; reply?: { in_reply_to_tweet_id?: unknown }; media?: { media_ids?: unknown } } | undefined;
    if (!body || typeof body !== 'object') return invalidRequest('Request body must be a JSON object');
    if (typeof body.text !== 'string' || body.text.length === 0) return invalidRequest('$.text: text is required', { text: [] });
    let mediaIds: string[] = [];
    if (body.media !== undefined) {
      const ids = body.media?.media_ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 4 || !ids.every((id) => typeof id === 'string')) {
        return invalidRequest('$.media.media_ids: between 1 and 4 media ids are required', { 'media.media_ids': [] });
      }
      mediaIds = ids as string[];
      const now = this.clock();
      // X answers the same 400 whether the id never existed, is another user's, was never finalised or has expired.
      const invalid = mediaIds.filter((id) => {
        const media = this.media.get(id);
        return !media || media.ownerId !== user.userId || media.finalizedAt === undefined || now >= media.expiresAt;
      });
      if (invalid.length > 0) {
        this.mediaRefusals.push(invalid);
        return { status: 400, body: invalidMediaIdsBody(invalid) };
      }
    }
    let replyTo: string | undefined;
    if (body.reply !== undefined) {
      const target = body.reply?.in_reply_to_tweet_id;
      if (typeof target !== 'string') return invalidRequest('$.reply.in_reply_to_tweet_id: is required', {});
      replyTo = target;
    }
    const text = body.text;
    if (this.rejectDuplicates && this.tweets.some((t) => t.authorId === user.userId && t.text === text)) {
      return { status: 403, body: DUPLICATE_CONTENT_BODY };
    }
    const tweet = this.seedTweet(text, { authorId: user.userId, ...(replyTo !== undefined ? { inReplyToId: replyTo } : {}), mediaIds });
    return { status: 201, body: { data: { id: tweet.id, text: tweet.text, edit_history_tweet_ids: [tweet.id] } } };
  }

  private initializeMedia(request: RecordedRequest, user: UserRecord): FakeResponse {
    const body = request.body as { media_type?: unknown; total_bytes?: unknown; media_category?: unknown } | undefined;
    if (!body || typeof body !== 'object') return invalidRequest('Request body must be a JSON object');
    if (typeof body.media_type !== 'string') return invalidRequest('$.media_type: media_type is required', { media_type: [] });
    if (typeof body.total_bytes !== 'number' || !Number.isInteger(body.total_bytes) || body.total_bytes <= 0) {
      return invalidRequest('$.total_bytes: total_bytes is required', { total_bytes: [String(body.total_bytes)] });
    }
    const category = typeof body.media_category === 'string' ? body.media_category : undefined;
    // X's per-category rules (without a category, the type decides it): what a post may carry.
    const effective = category ?? (body.media_type === 'image/gif' ? 'tweet_gif' : body.media_type.startsWith('image/') ? 'tweet_image' : undefined);
    const rule = effective === undefined ? undefined : MEDIA_CATEGORY_RULES[effective];
    if (rule) {
      if (!rule.types.includes(body.media_type)) {
        return invalidRequest(`$.media_type: ${body.media_type} is not allowed for media_category ${effective}`, { media_type: [body.media_type] });
      }
      if (body.total_bytes > rule.maxBytes) {
        return invalidRequest(`$.total_bytes: ${body.total_bytes} is over the ${effective} limit of ${rule.maxBytes} bytes`, {
          total_bytes: [String(body.total_bytes)],
        });
      }
    }
    const id = (this.nextMediaId++).toString();
    const now = this.clock();
    const media: FakeMedia = {
      id,
      mediaKey: `3_${id}`,
      ownerId: user.userId,
      mediaType: body.media_type,
      category,
      totalBytes: body.total_bytes,
      segments: new Map(),
      finalizedAt: undefined,
      expiresAt: now + FAKE_X_MEDIA_TTL_MS,
      altText: undefined,
    };
    this.media.set(id, media);
    return { status: 200, body: { data: { id, media_key: media.mediaKey, expires_after_secs: FAKE_X_MEDIA_TTL_MS / 1000 } } };
  }

  /** The caller's media id, or X's answer when it is not theirs or not known. */
  private ownMedia(id: string, user: UserRecord): FakeMedia | FakeResponse {
    const media = this.media.get(id);
    if (!media || media.ownerId !== user.userId || this.clock() >= media.expiresAt) {
      return invalidRequest(`The media id [${id}] is not valid`, { id: [id] });
    }
    return media;
  }

  private appendMedia(request: RecordedRequest, id: string, user: UserRecord): FakeResponse {
    const media = this.ownMedia(id, user);
    if (!('segments' in media)) return media;
    if (media.finalizedAt !== undefined) return invalidRequest(`The media id [${id}] is already finalized`, { id: [id] });
    const parts = request.multipart;
    const segmentPart = parts?.find((p) => p.name === 'segment_index');
    const mediaPart = parts?.find((p) => p.name === 'media');
    const segment = segmentPart ? Number(segmentPart.data.toString('utf8')) : NaN;
    if (!mediaPart || !Number.isInteger(segment) || segment < 0 || segment > 999) {
      return invalidRequest('APPEND needs multipart fields media and segment_index (0..999)', { media: [], segment_index: [] });
    }
    media.segments.set(segment, Buffer.from(mediaPart.data));
    return { status: 200, body: { data: { expires_at: Math.floor(media.expiresAt / 1000) } } };
  }

  private finalizeMedia(id: string, user: UserRecord): FakeResponse {
    const media = this.ownMedia(id, user);
    if (!('segments' in media)) return media;
    const order = [...media.segments.keys()].sort((a, b) => a - b);
    const bytes = Buffer.concat(order.map((i) => media.segments.get(i) as Buffer));
    if (order.some((index, i) => index !== i) || bytes.length !== media.totalBytes) {
      return invalidRequest(`File size mismatch: received ${bytes.length} bytes in ${order.length} segments, expected total_bytes ${media.totalBytes}`, {
        total_bytes: [String(media.totalBytes)],
      });
    }
    if (media.finalizedAt === undefined) {
      media.finalizedAt = this.clock();
      this.mediaUploads.push({
        mediaId: id,
        ownerId: media.ownerId,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        mediaType: media.mediaType,
        category: media.category,
        finalizedAt: media.finalizedAt,
      });
    }
    // Images need no processing: X answers without processing_info, so the client does not poll STATUS.
    const expiresAfterSecs = Math.max(0, Math.floor((media.expiresAt - this.clock()) / 1000));
    return { status: 200, body: { data: { id, media_key: media.mediaKey, size: bytes.length, expires_after_secs: expiresAfterSecs } } };
  }

  private mediaStatus(request: RecordedRequest, user: UserRecord): FakeResponse {
    const id = request.query['media_id'] ?? '';
    const media = this.ownMedia(id, user);
    if (!('segments' in media)) return media;
    const state = media.finalizedAt === undefined ? 'pending' : 'succeeded';
    return { status: 200, body: { data: { id, media_key: media.mediaKey, processing_info: { state, progress_percent: state === 'succeeded' ? 100 : 0 } } } };
  }

  private createMediaMetadata(request: RecordedRequest, user: UserRecord): FakeResponse {
    const body = request.body as { id?: unknown; metadata?: { alt_text?: { text?: unknown } } } | undefined;
    if (!body || typeof body !== 'object' || typeof body.id !== 'string') return invalidRequest('$.id: id is required', { id: [] });
    const media = this.ownMedia(body.id, user);
    if (!('segments' in media)) return media;
    const text = body.metadata?.alt_text?.text;
    // X counts alt text in characters (code points), as the domain does: an emoji is one.
    if (text !== undefined && (typeof text !== 'string' || [...text].length > 1000)) {
      return invalidRequest('$.metadata.alt_text.text: at most 1000 characters', { 'metadata.alt_text.text': [] });
    }
    if (typeof text === 'string') media.altText = text;
    this.mediaMetadata.push({ mediaId: media.id, altText: typeof text === 'string' ? text : undefined });
    return { status: 200, body: { data: { id: media.id, associated_metadata: { alt_text: { text: media.altText ?? '' } } } } };
  }

  private userTimeline(request: RecordedRequest, userId: string, caller: UserRecord): FakeResponse {
    const maxResults = request.query['max_results'] === undefined ? 10 : Number(request.query['max_results']);
    if (!Number.isInteger(maxResults) || maxResults < 5 || maxResults > 100) {
      return invalidRequest(`The \`max_results\` query parameter value [${request.query['max_results']}] is not between 5 and 100`, {
        max_results: [String(request.query['max_results'])],
      });
    }
    const owner = this.usersById.get(userId);
    if (owner?.protected && owner.userId !== caller.userId) {
      // X answers 200 with a problem, not the protected user's tweets.
      return { status: 200, body: { errors: [notAuthorized('user', userId)] } };
    }
    const sinceId = request.query['since_id'];
    let newestFirst = this.tweets
      .filter((t) => t.authorId === userId && (sinceId === undefined || BigInt(t.id) > BigInt(sinceId)))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    const token = request.query['pagination_token'];
    if (token !== undefined) {
      const below = decodePaginationToken(token);
      if (below === undefined) return invalidRequest(`The \`pagination_token\` query parameter value [${token}] is not valid`, { pagination_token: [token] });
      newestFirst = newestFirst.filter((t) => BigInt(t.id) < below);
    }
    const page = newestFirst.slice(0, maxResults);
    const fields = this.tweetFields(request);
    if (page.length === 0) return { status: 200, body: { meta: { result_count: 0 } } };
    const oldest = page[page.length - 1]!;
    const meta: Record<string, unknown> = { result_count: page.length, newest_id: page[0]!.id, oldest_id: oldest.id };
    if (newestFirst.length > page.length) meta['next_token'] = encodePaginationToken(BigInt(oldest.id));
    return { status: 200, body: { data: page.map((t) => this.render(t, fields)), meta } };
  }

  private lookupTweets(request: RecordedRequest, caller: UserRecord): FakeResponse {
    const raw = request.query['ids'];
    if (raw === undefined || raw === '') return invalidRequest('The `ids` query parameter can not be empty', { ids: [] });
    const ids = raw.split(',');
    if (ids.length > 100)
      return invalidRequest(`The number of values in the \`ids\` query parameter list [${ids.length}] is not between 1 and 100`, { ids: [raw] });
    const bad = ids.find((id) => !/^[0-9]{1,19}$/.test(id));
    if (bad !== undefined) return invalidRequest(`The \`ids\` query parameter value [${bad}] is not valid`, { ids: [bad] });
    const fields = this.tweetFields(request);
    const data: unknown[] = [];
    const errors: unknown[] = [];
    for (const id of ids) {
      const tweet = this.tweets.find((t) => t.id === id);
      const hidden = tweet !== undefined && tweet.authorId !== caller.userId && this.usersById.get(tweet.authorId)?.protected === true;
      if (hidden) errors.push(notAuthorized('tweet', id));
      else if (tweet) data.push(this.render(tweet, fields));
      else {
        errors.push({
          value: id,
          detail: `Could not find tweet with ids: [${id}].`,
          title: 'Not Found Error',
          resource_type: 'tweet',
          parameter: 'ids',
          resource_id: id,
          type: 'https://api.twitter.com/2/problems/resource-not-found',
        });
      }
    }
    const body: Record<string, unknown> = {};
    if (data.length > 0) body['data'] = data;
    if (errors.length > 0) body['errors'] = errors;
    return { status: 200, body };
  }

  private tweetFields(request: RecordedRequest): Set<string> {
    const requested = request.query['tweet.fields'] ?? request.query['post.fields'] ?? '';
    return new Set([...DEFAULT_TWEET_FIELDS, ...requested.split(',').filter(Boolean)]);
  }

  private render(tweet: FakeTweet, fields: Set<string>): Record<string, unknown> {
    // X's `text` of a post with media ends with the media's t.co link (display_text_range leaves it out).
    const text = tweet.mediaIds && tweet.mediaIds.length > 0 ? `${tweet.text} https://t.co/${mediaLinkCode(tweet.id)}` : tweet.text;
    const out: Record<string, unknown> = { id: tweet.id, text, edit_history_tweet_ids: [tweet.id] };
    if (fields.has('author_id')) out['author_id'] = tweet.authorId;
    if (fields.has('created_at')) out['created_at'] = tweet.createdAt;
    if (fields.has('conversation_id')) out['conversation_id'] = tweet.conversationId;
    if (fields.has('public_metrics')) out['public_metrics'] = { ...tweet.publicMetrics };
    if (tweet.inReplyToId !== undefined) {
      const parent = this.tweets.find((t) => t.id === tweet.inReplyToId);
      if (fields.has('in_reply_to_user_id') && parent) out['in_reply_to_user_id'] = parent.authorId;
      if (fields.has('referenced_tweets')) out['referenced_tweets'] = [{ type: 'replied_to', id: tweet.inReplyToId }];
    }
    return out;
  }
}

function publicUser(record: UserRecord): FakeXUser {
  const { userId, username, name, accessToken, consumerKey } = record;
  return { userId, username, name, accessToken, consumerKey, protected: record.protected };
}

/** X's problem for a resource the caller may not see (a protected user or their tweets). */
function notAuthorized(resourceType: 'user' | 'tweet', id: string): Record<string, unknown> {
  return {
    value: id,
    detail: `Sorry, you are not authorized to see the ${resourceType === 'user' ? 'user' : 'Tweet'} with id: [${id}].`,
    title: 'Authorization Error',
    resource_type: resourceType,
    parameter: resourceType === 'user' ? 'id' : 'ids',
    resource_id: id,
    type: 'https://api.twitter.com/2/problems/not-authorized-for-resource',
  };
}

// X's tokens are opaque base32-ish strings; ours encode "older than this id" so pages are stable.
function encodePaginationToken(belowId: bigint): string {
  return `7140dibdnow9c7btw${belowId.toString(32)}`;
}

function decodePaginationToken(token: string): bigint | undefined {
  const match = /^7140dibdnow9c7btw([0-9a-v]+)$/.exec(token);
  if (!match) return undefined;
  return [...match[1]!].reduce((acc, digit) => acc * 32n + BigInt(parseInt(digit, 32)), 0n);
}

/** A stable 10-character t.co code (letters and digits, as t.co's are) for the media link of tweet `id`. */
function mediaLinkCode(id: string): string {
  return createHash('sha256').update(`media:${id}`).digest('hex').slice(0, 10);
}
