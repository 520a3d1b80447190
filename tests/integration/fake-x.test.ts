import https from 'node:https';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiRequestError, ApiResponseError, TwitterApi, type TwitterApi as TwitterApiClient } from 'twitter-api-v2';
import { Agent as HttpAgent } from 'node:http';
import { createTwitterClient, isRequestTimeout, redirectTwitterUrl, requestErrorCause } from '../../src/adapters/twitter/base-url.js';
import { DUPLICATE_CONTENT_BODY, FakeX, TOO_MANY_REQUESTS_BODY, UNAUTHORIZED_BODY } from '../support/fake-x.js';
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
