import https from 'node:https';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError, ApiResponseError, TwitterApi, type TwitterApi as TwitterApiClient } from 'twitter-api-v2';
import { Agent as HttpAgent } from 'node:http';
import { createTwitterClient, isRequestTimeout, redirectTwitterUrl, requestErrorCause } from '../../src/adapters/twitter/base-url.js';
import { DUPLICATE_CONTENT_BODY, FakeX, TOO_MANY_REQUESTS_BODY, UNAUTHORIZED_BODY, type FakeXUserOptions } from '../support/fake-x.js';
import type { RecordedRequest } from '../support/fake-http.js';
import { loadSpecValidator, type SpecValidator } from '../support/spec-validator.js';

const CREDENTIALS = {
  appKey: 'draftgate-consumer-key',
  appSecret: 'draftgate-consumer-secret',
  accessToken: '1600000000000000001-accesstoken',
  accessSecret: 'draftgate-access-secret',
};

let fake: FakeX;
let client: TwitterApiClient;
let spec: SpecValidator;
/** Requests whose path carries a prefix the spec does not know; stripped before validation. */
let pathPrefix = '';

async function startFake(options: ConstructorParameters<typeof FakeX>[0] = {}): Promise<void> {
  fake = new FakeX({ consumerKey: CREDENTIALS.appKey, consumerSecret: CREDENTIALS.appSecret, accessTokenSecret: CREDENTIALS.accessSecret, ...options });
  const base = await fake.start();
  pathPrefix = options.pathPrefix ?? '';
  client = createTwitterClient(CREDENTIALS, { apiBase: base, timeoutMs: 2_000 });
}

async function expectFailure<T>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

beforeEach(async () => {
  spec = await loadSpecValidator('x');
  await startFake();
});

afterEach(async () => {
  // Every request the real client put on the wire must be one the real X API accepts.
  const problems = fake.requests.flatMap((r: RecordedRequest) => spec.validate({ ...r, path: r.path.slice(pathPrefix.length) }));
  await fake.stop();
  expect(problems).toEqual([]);
});

describe('fake X with the real twitter-api-v2 client', () => {
  it('GIVEN a text THEN v2.tweet posts it and the fake stores it with a 19-digit id', async () => {
    const result = await client.v2.tweet('gm from draftgate');
    expect(result.data.id).toMatch(/^\d{19}$/);
    expect(result.data).toEqual({ id: result.data.id, text: 'gm from draftgate', edit_history_tweet_ids: [result.data.id] });
    expect(fake.tweets.map((t) => [t.id, t.text, t.authorId, t.inReplyToId])).toEqual([[result.data.id, 'gm from draftgate', fake.userId, undefined]]);
    const [sent] = fake.requestsTo('POST', '/2/tweets');
    expect(sent?.body).toEqual({ text: 'gm from draftgate' });
    expect(sent?.headers['content-type']).toContain('application/json');
  });

  it('GIVEN two posts THEN ids increase and every rate-limit remaining count goes down', async () => {
    const first = await client.v2.post('tweets', { text: 'one' }, { fullResponse: true });
    const second = await client.v2.post('tweets', { text: 'two' }, { fullResponse: true });
    expect(BigInt(second.data.data.id)).toBeGreaterThan(BigInt(first.data.data.id));
    expect(first.rateLimit).toMatchObject({ limit: 100, remaining: 99, userDay: { limit: 100, remaining: 99 }, day: { limit: 1667, remaining: 1666 } });
    expect(second.rateLimit).toMatchObject({ remaining: 98, userDay: { remaining: 98 }, day: { remaining: 1665 } });
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(second.rateLimit?.reset).toBeGreaterThan(nowSeconds);
    expect(second.rateLimit?.userDay?.reset).toBeGreaterThan(nowSeconds + 23 * 3600);
  });

  it('GIVEN tweetThread THEN each part replies to the previous one on the wire and in the store', async () => {
    const posted = await client.v2.tweetThread(['1/3 pump.fun', '2/3 bonding curves', '3/3 fin']);
    const ids = posted.map((p) => p.data.id);
    expect(fake.tweets.map((t) => t.inReplyToId)).toEqual([undefined, ids[0], ids[1]]);
    expect(fake.tweets.map((t) => t.conversationId)).toEqual([ids[0], ids[0], ids[0]]);
    expect(fake.requestsTo('POST', '/2/tweets').map((r) => r.body)).toEqual([
      { text: '1/3 pump.fun' },
      { text: '2/3 bonding curves', reply: { in_reply_to_tweet_id: ids[0] } },
      { text: '3/3 fin', reply: { in_reply_to_tweet_id: ids[1] } },
    ]);
    expect(fake.tweets[0]?.publicMetrics.reply_count).toBe(1);
  });

  it('GIVEN v2.me THEN the fake user comes back', async () => {
    const me = await client.v2.me();
    expect(me.data).toEqual({ id: fake.userId, name: fake.name, username: fake.username });
    expect(fake.requestsTo('GET', '/2/users/me')).toHaveLength(1);
  });

  it('GIVEN 7 tweets THEN userTimeline pages newest first with next_token, tweet.fields and since_id', async () => {
    const seeded = Array.from({ length: 7 }, (_, i) => fake.seedTweet(`tweet ${i}`, { metrics: { like_count: i } }));
    const timeline = await client.v2.userTimeline(fake.userId, { max_results: 5, 'tweet.fields': ['created_at', 'public_metrics'] });
    expect(timeline.tweets.map((t) => t.text)).toEqual(['tweet 6', 'tweet 5', 'tweet 4', 'tweet 3', 'tweet 2']);
    expect(timeline.tweets[0]).toMatchObject({ created_at: seeded[6]?.createdAt, public_metrics: { like_count: 6 } });
    expect(timeline.meta).toMatchObject({ result_count: 5, newest_id: seeded[6]?.id, oldest_id: seeded[2]?.id });
    expect(timeline.done).toBe(false);
    await timeline.fetchNext();
    expect(timeline.tweets.map((t) => t.text)).toEqual(['tweet 6', 'tweet 5', 'tweet 4', 'tweet 3', 'tweet 2', 'tweet 1', 'tweet 0']);
    const [, secondPage] = fake.requestsTo('GET', `/2/users/${fake.userId}/tweets`);
    expect(secondPage?.query['pagination_token']).toMatch(/.+/);

    const newer = await client.v2.userTimeline(fake.userId, { since_id: seeded[4]!.id, max_results: 5 });
    expect(newer.tweets.map((t) => t.text)).toEqual(['tweet 6', 'tweet 5']);
    const none = await client.v2.userTimeline(fake.userId, { since_id: seeded[6]!.id, max_results: 5 });
    expect(none.tweets).toEqual([]);
    expect(none.meta.result_count).toBe(0);
  });

  it('GIVEN known and unknown ids THEN v2.tweets returns public_metrics and X-style errors', async () => {
    const a = fake.seedTweet('metrics a');
    const b = fake.seedTweet('metrics b');
    fake.setMetrics(a.id, { like_count: 42, impression_count: 1000 });
    const unknown = '1234567890123456789';
    const result = await client.v2.tweets([a.id, unknown, b.id], { 'tweet.fields': ['public_metrics'] });
    expect(result.data.map((t) => t.id)).toEqual([a.id, b.id]);
    expect(result.data[0]?.public_metrics).toEqual({
      retweet_count: 0,
      reply_count: 0,
      like_count: 42,
      quote_count: 0,
      impression_count: 1000,
      bookmark_count: 0,
    });
    expect(result.errors).toEqual([expect.objectContaining({ resource_id: unknown, title: 'Not Found Error', parameter: 'ids' })]);
    expect(fake.requestsTo('GET', '/2/tweets')[0]?.query).toEqual({ ids: `${a.id},${unknown},${b.id}`, 'tweet.fields': 'public_metrics' });
  });

  it('GIVEN 101 ids THEN the fake answers 400 like X', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => String(1_000_000_000_000_000_000n + BigInt(i)));
    const error = await expectFailure(client.v2.tweets(ids), ApiResponseError);
    expect(error.code).toBe(400);
    expect(error.data).toMatchObject({ title: 'Invalid Request' });
    // The request itself breaks the spec's maxItems: 100; check, then forget it for afterEach.
    expect(spec.validate(fake.requests[0]!).join('\n')).toMatch(/must NOT have more than 100 items/);
    fake.requests.length = 0;
  });
});

describe('base URL redirect', () => {
  it('GIVEN apiBase THEN every request goes to the fake over http and nothing else is contacted', async () => {
    const calls: Array<{ host: unknown; port: unknown; path: unknown; protocol: unknown }> = [];
    const original = https.request;
    const spy = vi.spyOn(https, 'request').mockImplementation(((options: https.RequestOptions, ...rest: unknown[]) => {
      calls.push({ host: options.host, port: options.port, path: options.path, protocol: options.protocol });
      return (original as (...args: unknown[]) => ReturnType<typeof https.request>)(options, ...rest);
    }) as typeof https.request);
    try {
      await client.v2.me();
      await client.v2.tweet('redirected');
    } finally {
      spy.mockRestore();
    }
    const port = new URL(fake.url).port;
    expect(calls).toEqual([
      { host: '127.0.0.1', port, path: '/2/users/me', protocol: 'http:' },
      { host: '127.0.0.1', port, path: '/2/tweets', protocol: 'http:' },
    ]);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /2/users/me', 'POST /2/tweets']);
  });

  it('GIVEN a base URL with a path prefix THEN requests keep the prefix and stay correctly signed', async () => {
    await fake.stop();
    await startFake({ pathPrefix: '/x' });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/x$/);
    await client.v2.tweet('prefixed');
    const me = await client.v2.me();
    expect(me.data.id).toBe(fake.userId);
    expect(fake.requests.map((r) => r.path)).toEqual(['/x/2/tweets', '/x/2/users/me']);
  });

  it('GIVEN the library URL forms THEN redirectTwitterUrl keeps path, placeholders and query and ignores other hosts', () => {
    expect(redirectTwitterUrl('https://api.x.com/2/users/:id/tweets?a=1', 'http://127.0.0.1:9/x/')).toBe('http://127.0.0.1:9/x/2/users/:id/tweets?a=1');
    expect(redirectTwitterUrl('https://upload.x.com/1.1/media/upload.json', 'http://127.0.0.1:9')).toBe('http://127.0.0.1:9/1.1/media/upload.json');
    expect(redirectTwitterUrl('https://ads-api.x.com/12/accounts', 'http://127.0.0.1:9')).toBe('https://ads-api.x.com/12/accounts');
  });

  it('GIVEN a plugin that rewrites the URL after signing THEN the fake rejects the signature (why the hook choice matters)', async () => {
    const port = Number(new URL(fake.url).port);
    const agent = new HttpAgent({ keepAlive: false });
    const lateRewrite = new TwitterApi(CREDENTIALS, {
      plugins: [
        {
          onBeforeRequest({ computedParams, requestOptions }) {
            computedParams.url.protocol = 'http:';
            computedParams.url.hostname = '127.0.0.1';
            computedParams.url.port = String(port);
            requestOptions.agent = agent;
          },
        },
      ],
    });
    const error = await expectFailure(lateRewrite.v2.me(), ApiResponseError);
    expect(error.code).toBe(401);
    expect(fake.requestsTo('GET', '/2/users/me')).toHaveLength(1);
  });
});

describe('fake X faults', () => {
  it('GIVEN rateLimit429 THEN ApiResponseError carries rateLimitError, the parsed reset and the 24h user limit', async () => {
    fake.rateLimit429({ resetAt: 1_900_000_000 });
    const error = await expectFailure(client.v2.tweet('limited'), ApiResponseError);
    expect(error.code).toBe(429);
    expect(error.rateLimitError).toBe(true);
    expect(error.rateLimit).toMatchObject({ remaining: 0, reset: 1_900_000_000, userDay: { limit: 100, remaining: 0, reset: 1_900_000_000 } });
    expect(error.data).toEqual(TOO_MANY_REQUESTS_BODY);
    expect(fake.tweets).toEqual([]);
    // times: 1 -> the next post goes through
    await client.v2.tweet('limited');
    expect(fake.tweets).toHaveLength(1);
  });

  it('GIVEN the 24h user limit is used up THEN the fake itself answers 429 with remaining 0', async () => {
    await fake.stop();
    await startFake({ rateLimits: { userPostsPer24h: 2 } });
    await client.v2.tweet('a');
    await client.v2.tweet('b');
    const error = await expectFailure(client.v2.tweet('c'), ApiResponseError);
    expect(error.code).toBe(429);
    expect(error.rateLimit?.userDay).toMatchObject({ limit: 2, remaining: 0 });
    expect(fake.tweets.map((t) => t.text)).toEqual(['a', 'b']);
  });

  it('GIVEN the same text twice THEN the second post gets X duplicate-content 403, unless the rule is off', async () => {
    await client.v2.tweet('same words');
    const error = await expectFailure(client.v2.tweet('same words'), ApiResponseError);
    expect(error.code).toBe(403);
    expect(error.data).toEqual(DUPLICATE_CONTENT_BODY);
    // twitter-api-v2 only formats `errors[]` into the message; X's problem body has none.
    expect(error.message).toBe('Request failed with code 403');
    fake.rejectDuplicates = false;
    await client.v2.tweet('same words');
    expect(fake.tweets).toHaveLength(2);
  });

  it('GIVEN duplicate403 THEN a fresh text is refused with the duplicate detail', async () => {
    fake.duplicate403();
    const error = await expectFailure(client.v2.tweet('brand new'), ApiResponseError);
    expect(error.data).toMatchObject({ detail: DUPLICATE_CONTENT_BODY.detail, status: 403 });
    expect(fake.tweets).toEqual([]);
  });

  it('GIVEN serverError THEN ApiResponseError has the 5xx code and nothing is stored', async () => {
    fake.serverError(503);
    const error = await expectFailure(client.v2.tweet('down'), ApiResponseError);
    expect(error.code).toBe(503);
    fake.serverError(500, { method: 'GET', path: '/2/users/me' });
    expect((await expectFailure(client.v2.me(), ApiResponseError)).code).toBe(500);
    expect(fake.tweets).toEqual([]);
  });

  it('GIVEN hang THEN the client times out after timeoutMs with ApiRequestError', async () => {
    client = createTwitterClient(CREDENTIALS, { apiBase: fake.url, timeoutMs: 300 });
    fake.hang();
    const started = performance.now();
    const error = await expectFailure(client.v2.tweet('into the void'), ApiRequestError);
    const elapsed = performance.now() - started;
    // The library's inactivity timeout ('Request timeout.') or our total deadline of the same length, whichever fires first.
    expect(requestErrorCause(error)?.message).toMatch(/^(Request timeout\.|The operation was aborted)$/);
    expect(isRequestTimeout(error)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2_000);
    expect(fake.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(fake.tweets).toEqual([]);
  });

  it('GIVEN success then a dropped connection THEN the client errors although the tweet exists, and a retry is a duplicate', async () => {
    fake.succeedThenLoseResponse();
    const error = await expectFailure(client.v2.tweet('posted but unacknowledged'), ApiRequestError);
    expect(requestErrorCause(error)?.message).toMatch(/socket hang up|Socket closed|ECONNRESET/);
    expect(isRequestTimeout(error)).toBe(false);
    expect(fake.tweets.map((t) => t.text)).toEqual(['posted but unacknowledged']);
    const retry = await expectFailure(client.v2.tweet('posted but unacknowledged'), ApiResponseError);
    expect(retry.code).toBe(403);
  });

  it('GIVEN an afterRoute fault with only a delay THEN the route runs exactly once and its answer arrives late', async () => {
    fake.http.injectFault({ method: 'POST', path: '/2/tweets' }, { afterRoute: true, delayMs: 150 });
    const started = performance.now();
    const result = await client.v2.tweet('late but fine');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(fake.tweets.map((t) => t.id)).toEqual([result.data.id]);
  });

  it('GIVEN success then a hanging response THEN the client times out although the tweet exists', async () => {
    client = createTwitterClient(CREDENTIALS, { apiBase: fake.url, timeoutMs: 300 });
    fake.succeedThenLoseResponse({ mode: 'hang' });
    const error = await expectFailure(client.v2.tweet('slow success'), ApiRequestError);
    expect(isRequestTimeout(error)).toBe(true);
    expect(fake.tweets.map((t) => t.text)).toEqual(['slow success']);
  });
});

describe('fake X authentication', () => {
  it('GIVEN a wrong consumer key THEN 401 with X body', async () => {
    client = createTwitterClient({ ...CREDENTIALS, appKey: 'someone-else' }, { apiBase: fake.url });
    const error = await expectFailure(client.v2.me(), ApiResponseError);
    expect(error.code).toBe(401);
    expect(error.data).toEqual(UNAUTHORIZED_BODY);
  });

  it('GIVEN the right key but a wrong secret THEN the HMAC check fails with 401 and nothing is posted', async () => {
    client = createTwitterClient({ ...CREDENTIALS, accessSecret: 'wrong' }, { apiBase: fake.url });
    expect((await expectFailure(client.v2.tweet('unsigned'), ApiResponseError)).code).toBe(401);
    expect(fake.tweets).toEqual([]);
  });

  it('GIVEN a bearer token instead of OAuth 1.0a THEN 401', async () => {
    // Reuse the redirect plugins of a configured client, with app-only bearer auth.
    const redirected = createTwitterClient(CREDENTIALS, { apiBase: fake.url });
    const bearerClient = new TwitterApi('app-only-bearer', { plugins: redirected.getPlugins() });
    expect(bearerClient.getActiveTokens().type).toBe('oauth2');
    const error = await expectFailure(bearerClient.v2.me(), ApiResponseError);
    expect(error.code).toBe(401);
    expect(fake.requestsTo('GET', '/2/users/me')[0]?.headers['authorization']).toBe('Bearer app-only-bearer');
  });
});

describe('fake X with several users (accounts)', () => {
  /** A second user of the same app as CREDENTIALS, with its own token. */
  const NEWS = {
    user: { userId: '1700000000000000002', username: 'pump_news', name: 'Pump News' },
    credentials: { ...CREDENTIALS, accessToken: '1700000000000000002-newstoken', accessSecret: 'news-access-secret' },
  };
  /** A third user on another app (consumer key). */
  const ALERTS = {
    user: { userId: '1800000000000000003', username: 'pump_alerts' },
    credentials: {
      appKey: 'alerts-consumer-key',
      appSecret: 'alerts-consumer-secret',
      accessToken: '1800000000000000003-alertstoken',
      accessSecret: 'alerts-access-secret',
    },
  };

  function userOptions(entry: typeof NEWS | typeof ALERTS, extra: Partial<FakeXUserOptions> = {}): FakeXUserOptions {
    const { appKey, appSecret, accessToken, accessSecret } = entry.credentials;
    return { ...entry.user, accessToken, accessTokenSecret: accessSecret, consumerKey: appKey, consumerSecret: appSecret, ...extra };
  }

  async function startUsers(options: ConstructorParameters<typeof FakeX>[0] = {}): Promise<{ news: TwitterApiClient; alerts: TwitterApiClient }> {
    await fake.stop();
    await startFake({ accessToken: CREDENTIALS.accessToken, users: [userOptions(NEWS), userOptions(ALERTS)], ...options });
    return {
      news: createTwitterClient(NEWS.credentials, { apiBase: fake.url, timeoutMs: 2_000 }),
      alerts: createTwitterClient(ALERTS.credentials, { apiBase: fake.url, timeoutMs: 2_000 }),
    };
  }

  it("GIVEN two users with their own tokens WHEN each calls v2.me and posts THEN each is answered as itself, each tweet is on its own author's timeline, and every request is attributed to its user", async () => {
    const { news } = await startUsers();
    expect((await client.v2.me()).data).toEqual({ id: fake.userId, name: fake.name, username: fake.username });
    expect((await news.v2.me()).data).toEqual({ id: NEWS.user.userId, name: 'Pump News', username: 'pump_news' });
    const mine = await client.v2.tweet('gm from the main account');
    const theirs = await news.v2.tweetThread(['news 1/2', 'news 2/2']);

    expect(fake.tweetsOf(fake.userId).map((t) => [t.id, t.text])).toEqual([[mine.data.id, 'gm from the main account']]);
    expect(fake.tweetsOf(NEWS.user.userId).map((t) => [t.id, t.text])).toEqual(theirs.map((p) => [p.data.id, p.data.text]));
    expect(fake.tweetsOf(ALERTS.user.userId)).toEqual([]);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${fake.userOf(r)?.username}`)).toEqual([
      'GET /2/users/me draftgate_bot',
      'GET /2/users/me pump_news',
      'POST /2/tweets draftgate_bot',
      'POST /2/tweets pump_news',
      'POST /2/tweets pump_news',
    ]);
    expect(fake.requestsBy(NEWS.user.userId, 'POST', '/2/tweets').map((r) => r.body)).toEqual([
      { text: 'news 1/2' },
      { text: 'news 2/2', reply: { in_reply_to_tweet_id: theirs[0]!.data.id } },
    ]);
    expect(fake.users.map((u) => [u.userId, u.consumerKey])).toEqual([
      [fake.userId, CREDENTIALS.appKey],
      [NEWS.user.userId, CREDENTIALS.appKey],
      [ALERTS.user.userId, ALERTS.credentials.appKey],
    ]);
  });

  it("GIVEN the same text from two users THEN both are posted and X's duplicate 403 applies per user", async () => {
    const { news } = await startUsers();
    await client.v2.tweet('same words');
    await news.v2.tweet('same words');
    expect((await expectFailure(news.v2.tweet('same words'), ApiResponseError)).code).toBe(403);
    expect((await expectFailure(client.v2.tweet('same words'), ApiResponseError)).code).toBe(403);
    expect(fake.tweets.map((t) => [t.authorId, t.text])).toEqual([
      [fake.userId, 'same words'],
      [NEWS.user.userId, 'same words'],
    ]);
  });

  it("GIVEN two users of one app and one of another WHEN they post THEN the window and user 24h counts are per user and the app 24h count is shared by the app's users only", async () => {
    const { news, alerts } = await startUsers();
    const first = await client.v2.post('tweets', { text: 'main one' }, { fullResponse: true });
    const second = await news.v2.post('tweets', { text: 'news one' }, { fullResponse: true });
    const third = await alerts.v2.post('tweets', { text: 'alerts one' }, { fullResponse: true });
    const fourth = await client.v2.post('tweets', { text: 'main two' }, { fullResponse: true });
    expect(first.rateLimit).toMatchObject({ remaining: 99, userDay: { remaining: 99 }, day: { remaining: 1666 } });
    expect(second.rateLimit).toMatchObject({ remaining: 99, userDay: { remaining: 99 }, day: { remaining: 1665 } });
    expect(third.rateLimit).toMatchObject({ remaining: 99, userDay: { remaining: 99 }, day: { remaining: 1666 } });
    expect(fourth.rateLimit).toMatchObject({ remaining: 98, userDay: { remaining: 98 }, day: { remaining: 1664 } });
  });

  it("GIVEN one user's own 24h limit is used up THEN that user gets 429 while another user of the same app posts on", async () => {
    await fake.stop();
    await startFake({ accessToken: CREDENTIALS.accessToken, users: [userOptions(NEWS, { rateLimits: { userPostsPer24h: 1 } })] });
    const news = createTwitterClient(NEWS.credentials, { apiBase: fake.url, timeoutMs: 2_000 });
    await news.v2.tweet('news a');
    const error = await expectFailure(news.v2.tweet('news b'), ApiResponseError);
    expect(error.code).toBe(429);
    expect(error.rateLimit?.userDay).toMatchObject({ limit: 1, remaining: 0 });
    await client.v2.tweet('main a');
    expect(fake.tweets.map((t) => [t.authorId, t.text])).toEqual([
      [NEWS.user.userId, 'news a'],
      [fake.userId, 'main a'],
    ]);
  });

  it("GIVEN tweets of several users THEN a timeline holds only its owner's tweets, and a protected user's timeline and tweets are refused to others but shown to them", async () => {
    const { news } = await startUsers({ users: [userOptions(NEWS, { protected: true }), userOptions(ALERTS)] });
    const main = await client.v2.tweet('main tweet');
    const secret = await news.v2.tweet('news tweet');

    const own = await client.v2.userTimeline(fake.userId, { max_results: 5 });
    expect(own.tweets.map((t) => t.text)).toEqual(['main tweet']);
    const theirs = await news.v2.userTimeline(NEWS.user.userId, { max_results: 5 });
    expect(theirs.tweets.map((t) => t.text)).toEqual(['news tweet']);

    const refused = await client.v2.get(`users/${NEWS.user.userId}/tweets`, { max_results: 5 });
    expect(refused).toEqual({ errors: [expect.objectContaining({ title: 'Authorization Error', resource_id: NEWS.user.userId })] });
    const lookup = await client.v2.tweets([main.data.id, secret.data.id]);
    expect(lookup.data.map((t) => t.text)).toEqual(['main tweet']);
    expect(lookup.errors).toEqual([expect.objectContaining({ title: 'Authorization Error', resource_id: secret.data.id })]);
    expect((await news.v2.tweets([secret.data.id])).data.map((t) => t.text)).toEqual(['news tweet']);
  });

  it("GIVEN a default access token WHEN a request uses an unknown token, a token with another app's key, or a wrong secret THEN 401, nothing is stored and no user is credited", async () => {
    await startUsers();
    const unknown = createTwitterClient({ ...CREDENTIALS, accessToken: '1900000000000000009-stranger' }, { apiBase: fake.url });
    expect((await expectFailure(unknown.v2.tweet('who am i'), ApiResponseError)).code).toBe(401);
    const wrongApp = createTwitterClient(
      { ...NEWS.credentials, appKey: ALERTS.credentials.appKey, appSecret: ALERTS.credentials.appSecret },
      { apiBase: fake.url },
    );
    expect((await expectFailure(wrongApp.v2.me(), ApiResponseError)).code).toBe(401);
    const wrongSecret = createTwitterClient({ ...NEWS.credentials, accessSecret: CREDENTIALS.accessSecret }, { apiBase: fake.url });
    expect((await expectFailure(wrongSecret.v2.tweet('signed with the main secret'), ApiResponseError)).code).toBe(401);
    expect(fake.tweets).toEqual([]);
    expect(fake.requests.map((r) => fake.userOf(r))).toEqual([undefined, undefined, undefined]);
  });

  it("GIVEN no default access token (every single-user test) WHEN an unknown token signs THEN it is still the default user's, while a known token stays its own user's", async () => {
    await fake.stop();
    await startFake({ users: [userOptions(NEWS)] });
    const anyToken = createTwitterClient({ ...CREDENTIALS, accessToken: 'whatever-token' }, { apiBase: fake.url });
    expect((await anyToken.v2.me()).data.id).toBe(fake.userId);
    const news = createTwitterClient(NEWS.credentials, { apiBase: fake.url });
    expect((await news.v2.me()).data.id).toBe(NEWS.user.userId);
  });

  it("GIVEN a fault for one user THEN only that user's request gets it", async () => {
    const { news } = await startUsers();
    fake.serverError(503, { userId: NEWS.user.userId });
    await client.v2.tweet('main passes');
    expect((await expectFailure(news.v2.tweet('news fails'), ApiResponseError)).code).toBe(503);
    await news.v2.tweet('news passes');
    expect(fake.tweets.map((t) => t.text)).toEqual(['main passes', 'news passes']);
  });

  it('GIVEN a second token of the same user on another app WHEN both call v2.me and post THEN both are that user, and the app 24h count is per app', async () => {
    const { alerts } = await startUsers();
    fake.addToken(NEWS.user.userId, {
      accessToken: '1700000000000000002-alertsapp',
      accessTokenSecret: 'second-secret',
      consumerKey: ALERTS.credentials.appKey,
      consumerSecret: ALERTS.credentials.appSecret,
    });
    const viaAlertsApp = createTwitterClient(
      { ...ALERTS.credentials, accessToken: '1700000000000000002-alertsapp', accessSecret: 'second-secret' },
      { apiBase: fake.url, timeoutMs: 2_000 },
    );
    const news = createTwitterClient(NEWS.credentials, { apiBase: fake.url, timeoutMs: 2_000 });
    expect((await viaAlertsApp.v2.me()).data.id).toBe(NEWS.user.userId);
    expect((await news.v2.me()).data.id).toBe(NEWS.user.userId);
    await alerts.v2.tweet('alerts one');
    const posted = await viaAlertsApp.v2.post('tweets', { text: 'news via the alerts app' }, { fullResponse: true });
    expect(posted.rateLimit).toMatchObject({ userDay: { remaining: 99 }, day: { remaining: 1665 } });
    expect(fake.tweetsOf(NEWS.user.userId).map((t) => t.text)).toEqual(['news via the alerts app']);
    expect(() => fake.addToken('42', { accessToken: 'x' })).toThrow(/no user 42/);
  });

  it('GIVEN a user id or token already known WHEN addUser THEN it throws', async () => {
    await startUsers();
    expect(() => fake.addUser({ ...userOptions(NEWS), accessToken: 'fresh-token' })).toThrow(/user 1700000000000000002 already exists/);
    expect(() => fake.addUser({ ...userOptions(NEWS), userId: '1' })).toThrow(/already belongs to user 1700000000000000002/);
  });
});
