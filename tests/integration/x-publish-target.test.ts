import { afterEach, describe, expect, it } from 'vitest';
import { XPublisher } from '../../src/adapters/twitter/x-publisher.js';
import {
  appKeyFingerprint,
  settingsAppLimitStore,
  XAuthenticationError,
  XPublishTarget,
  type XPublishTargetDeps,
} from '../../src/adapters/twitter/x-publish-target.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { PublishFailure, SettingsRepository, TargetPublication } from '../../src/services/ports.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { UNAUTHORIZED_BODY } from '../support/fake-x.js';
import { createPublishingHarness, T0, X_CREDENTIALS, type PublishingHarness } from '../support/publishing-harness.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

/**
 * The X publish target (issue 11 §2) with the real twitter-api-v2 client against the fake X:
 * resume, ids reported one by one, the timeline continuation, error classes, the per-account
 * rate-limit keys and X's per-app limit shared by the accounts of one app key, and cost.
 */

const PRICES = { perPostUsd: 0.015, perPostWithUrlUsd: 0.2 } as const;

let h: PublishingHarness | undefined;
const extraDbs: TempDatabase[] = [];

async function harness(options: Parameters<typeof createPublishingHarness>[0] = {}): Promise<PublishingHarness> {
  h = await createPublishingHarness(options);
  return h;
}

afterEach(async () => {
  for (const db of extraDbs.splice(0)) await db.close();
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  // Every request the real client sent must be one the real X API accepts.
  expect(problems).toEqual([]);
});

/** The `default` account's target over the harness's client; its settings double as the bot-wide ones. */
function targetOf(x: PublishingHarness, overrides: Partial<XPublishTargetDeps> = {}): XPublishTarget {
  return new XPublishTarget({
    accountId: 'default',
    publisher: x.publisher,
    appFingerprint: appKeyFingerprint(X_CREDENTIALS.appKey),
    settings: x.db.repos.settings,
    appLimits: settingsAppLimitStore(x.db.repos.settings),
    clock: x.clock,
    logger: createSilentLogger(),
    prices: PRICES,
    ...overrides,
  });
}

/** Another account's settings: a database of its own, since repositories are not account-scoped yet. */
async function otherAccountSettings(): Promise<SettingsRepository> {
  const db = await openTempDatabase();
  extraDbs.push(db);
  return db.repos.settings;
}

const publication = (tweets: readonly string[], postedIds: readonly string[] = [], draftId = 1): TargetPublication => ({ draftId, tweets, postedIds });
const posts = (x: PublishingHarness) => x.fake.requestsTo('POST', '/2/tweets');

/** What a target method threw, classified by that target. */
async function failureOf(target: XPublishTarget, run: () => Promise<unknown>): Promise<PublishFailure & { error: unknown }> {
  const error = await run().then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  return { ...target.classifyError(error), error };
}

describe('X publish target: publish with resume', () => {
  it('GIVEN a thread whose first tweet is stored WHEN published THEN only the rest is posted, replying to the stored id, and each id is reported before the next request', async () => {
    const x = await harness();
    const target = targetOf(x);
    const root = x.fake.seedTweet('1/3 resume after me');
    const tweets = ['1/3 resume after me', '2/3 then me', '3/3 and me'];
    const seen: Array<{ event: string; index: number; id?: string; postsSoFar: number }> = [];

    const ids = await target.publish(publication(tweets, [root.id]), {
      beforePost: async (index) => void seen.push({ event: 'before', index, postsSoFar: posts(x).length }),
      onPosted: async (id, index) => void seen.push({ event: 'posted', index, id, postsSoFar: posts(x).length }),
    });

    const [, second, third] = x.fake.tweets;
    expect(ids).toEqual([root.id, second!.id, third!.id]);
    expect(posts(x).map((r) => r.body)).toEqual([
      { text: '2/3 then me', reply: { in_reply_to_tweet_id: root.id } },
      { text: '3/3 and me', reply: { in_reply_to_tweet_id: second!.id } },
    ]);
    // Each id reaches the service while only its own POST has been sent: stored before the next one.
    expect(seen).toEqual([
      { event: 'before', index: 1, postsSoFar: 0 },
      { event: 'posted', index: 1, id: second!.id, postsSoFar: 1 },
      { event: 'before', index: 2, postsSoFar: 1 },
      { event: 'posted', index: 2, id: third!.id, postsSoFar: 2 },
    ]);
    // X's headers are kept under the account's (unprefixed) keys.
    expect((await x.db.repos.settings.get(SETTINGS.xRateLimit.post))?.endpoint).toMatchObject({ limit: 100, remaining: 98 });
  });

  it('GIVEN a hook that throws (a lost lease) WHEN publishing THEN the error surfaces unchanged and nothing more is posted', async () => {
    const x = await harness();
    const target = targetOf(x);
    const lost = new Error('lease lost');
    const failure = await failureOf(target, () =>
      target.publish(publication(['a', 'b', 'c']), {
        beforePost: async (index) => {
          if (index === 1) throw lost;
        },
        onPosted: async () => {},
      }),
    );
    expect(failure.error).toBe(lost);
    expect(posts(x).map((r) => (r.body as { text: string }).text)).toEqual(['a']);
  });

  it('GIVEN every id already stored WHEN published THEN nothing is sent', async () => {
    const x = await harness();
    const ids = await targetOf(x).publish(publication(['done'], ['1790000000000000001']), { onPosted: async () => {} });
    expect(ids).toEqual(['1790000000000000001']);
    expect(x.fake.requests).toHaveLength(0);
  });
});

describe('X publish target: error classification', () => {
  it('GIVEN a 429 WHEN posting THEN it is rate_limited with X reset time, the block is stored, and the next publish waits without a request', async () => {
    const x = await harness();
    const target = targetOf(x);
    const reset = Math.floor(T0 / 1000) + 600;
    x.fake.rateLimit429({ resetAt: reset });

    const failure = await failureOf(target, () => target.publish(publication(['too soon']), { onPosted: async () => {} }));

    expect(failure).toMatchObject({ errorClass: 'rate_limited', maybePosted: false, resetAt: reset * 1000 });
    expect(await target.rateLimitWindow(1, T0)).toMatchObject({ allowedAt: reset * 1000, reason: expect.stringMatching(/429|exhausted/) });
    const again = await failureOf(target, () => target.publish(publication(['too soon']), { onPosted: async () => {} }));
    expect(again).toMatchObject({ errorClass: 'rate_limited', resetAt: reset * 1000 });
    expect(posts(x)).toHaveLength(1);
    x.clock.set(reset * 1000);
    expect(await target.rateLimitWindow(1, x.clock.now())).toEqual({ allowedAt: reset * 1000, reason: null });
  });

  it('GIVEN a 503 WHEN posting THEN it is transient and X answered, so not maybePosted', async () => {
    const x = await harness();
    const target = targetOf(x);
    x.fake.serverError(503);
    const failure = await failureOf(target, () => target.publish(publication(['server down']), { onPosted: async () => {} }));
    expect(failure).toMatchObject({ errorClass: 'transient', maybePosted: false, resetAt: undefined, recognised: true });
    expect(failure.message).toMatch(/HTTP 503/);
  });

  it('GIVEN a POST that times out after X stored it WHEN classified THEN it is transient and maybePosted, and the timeline check finds the tweet', async () => {
    const x = await harness({ timeoutMs: 300 });
    const target = targetOf(x);
    x.fake.succeedThenLoseResponse({ mode: 'hang' });
    const reported: string[] = [];

    const failure = await failureOf(target, () => target.publish(publication(['lost answer']), { onPosted: async (id) => void reported.push(id) }));

    expect(failure).toMatchObject({ errorClass: 'transient', maybePosted: true });
    expect(failure.message).toMatch(/timed out/);
    expect(reported).toEqual([]);
    expect(await target.findPosted(publication(['lost answer']))).toEqual([x.fake.tweets[0]!.id]);
  });

  it('GIVEN a 401 on the POST THEN it is auth; GIVEN a 401 on GET /2/users/me THEN verify names the account and its four variables, never a secret', async () => {
    const x = await harness();
    const target = targetOf(x, { accountId: 'pump-news' });
    x.fake.http.injectFault({ method: 'POST', path: '/2/tweets', times: 1 }, { status: 401, body: UNAUTHORIZED_BODY });
    expect(await failureOf(target, () => target.publish(publication(['nope']), { onPosted: async () => {} }))).toMatchObject({
      errorClass: 'auth',
      maybePosted: false,
    });

    x.fake.http.injectFault({ method: 'GET', path: '/2/users/me', times: 1 }, { status: 401, body: UNAUTHORIZED_BODY });
    const failure = await failureOf(target, () => target.verify());
    expect(failure.error).toBeInstanceOf(XAuthenticationError);
    expect(failure).toMatchObject({ errorClass: 'auth', maybePosted: false });
    const message = (failure.error as Error).message;
    expect(message).toMatch(/"pump-news".*HTTP 401/s);
    for (const name of ['TWITTER_PUMP_NEWS_APP_KEY', 'TWITTER_PUMP_NEWS_APP_SECRET', 'TWITTER_PUMP_NEWS_ACCESS_TOKEN', 'TWITTER_PUMP_NEWS_ACCESS_SECRET']) {
      expect(message).toContain(name);
    }
    for (const secret of Object.values(X_CREDENTIALS)) expect(message).not.toContain(secret);
  });

  it("GIVEN X's duplicate 403 THEN it is duplicate, not maybePosted", async () => {
    const x = await harness();
    const target = targetOf(x);
    x.fake.seedTweet('said before');
    const failure = await failureOf(target, () => target.publish(publication(['said before']), { onPosted: async () => {} }));
    expect(failure).toMatchObject({ errorClass: 'duplicate', maybePosted: false });
  });

  it('GIVEN an error that is not an X answer THEN it is transient and maybePosted (the safe side)', async () => {
    const x = await harness();
    expect(targetOf(x).classifyError(new TypeError('boom'))).toMatchObject({
      errorClass: 'transient',
      maybePosted: true,
      recognised: false,
      message: expect.stringMatching(/boom/),
    });
  });
});

describe('X publish target: the timeline check', () => {
  it('GIVEN part of a thread on the timeline WHEN checked THEN the continuation after the stored ids comes back, in order, stopping at the first gap', async () => {
    const x = await harness();
    const target = targetOf(x);
    const tweets = ['1/4 on the timeline', '2/4 also there', '3/4 missing', '4/4 there but after a gap'];
    x.fake.seedTweet('2/4 also there'); // same text, not in the thread: not ours
    const one = x.fake.seedTweet(tweets[0]!);
    const two = x.fake.seedTweet(tweets[1]!, { inReplyToId: one.id });
    x.fake.seedTweet(tweets[3]!, { inReplyToId: two.id });

    expect(await target.findPosted(publication(tweets))).toEqual([one.id, two.id]);
    expect(await target.findPosted(publication(tweets, [one.id]))).toEqual([two.id]);
    expect(await target.findPosted(publication(tweets, [one.id, two.id]))).toEqual([]);
    // It verified the account first to know whose timeline to read.
    expect(x.fake.requestsTo('GET', '/2/users/me')).toHaveLength(1);
    expect(x.fake.requestsTo('GET', `/2/users/${x.fake.userId}/tweets`)).toHaveLength(3);
    expect(target.verifiedAccount).toEqual({ userId: x.fake.userId, handle: x.fake.username });
  });

  it('GIVEN the timeline read limit is spent WHEN checked THEN it is rate_limited without a request, rather than a guess', async () => {
    const x = await harness();
    const target = targetOf(x);
    await target.verify();
    await x.db.repos.settings.set(SETTINGS.xRateLimit.timeline, { endpoint: { limit: 900, remaining: 0, resetAt: T0 + 60_000 } }, T0);
    const failure = await failureOf(target, () => target.findPosted(publication(['anything'])));
    expect(failure).toMatchObject({ errorClass: 'rate_limited', resetAt: T0 + 60_000, maybePosted: false });
    expect(x.fake.requestsTo('GET', `/2/users/${x.fake.userId}/tweets`)).toHaveLength(0);
  });
});

describe("X publish target: X's per-app 24-hour limit is shared by the accounts of one app key", () => {
  it('GIVEN account A used up the app bucket WHEN account B (same app key, own settings) asks THEN B waits for the app reset and posts nothing, while another app is not held', async () => {
    const x = await harness({ fake: { rateLimits: { appPostsPer24h: 2 } } });
    const a = targetOf(x);
    const bPublisher = XPublisher.fromCredentials(
      { ...X_CREDENTIALS, accessToken: '1600000000000000002-other' },
      { apiBase: x.fake.url, timeoutMs: 2_000, clock: x.clock },
    );
    const bSettings = await otherAccountSettings();
    const b = targetOf(x, { accountId: 'news', publisher: bPublisher, settings: bSettings });
    const otherApp = targetOf(x, { accountId: 'other-app', settings: await otherAccountSettings(), appFingerprint: appKeyFingerprint('another-app-key') });

    expect(await b.rateLimitWindow(1, T0)).toEqual({ allowedAt: T0, reason: null });
    await a.publish(publication(['A 1/2', 'A 2/2']), { onPosted: async () => {} });

    const window = await b.rateLimitWindow(1, T0);
    expect(window.allowedAt).toBeGreaterThan(T0);
    expect(window.reason).toMatch(/per-app 24-hour limit exhausted \(0\/2 left\)/);
    const failure = await failureOf(b, () => b.publish(publication(['B waits']), { onPosted: async () => {} }));
    expect(failure).toMatchObject({ errorClass: 'rate_limited', resetAt: window.allowedAt, maybePosted: false });
    expect(posts(x)).toHaveLength(2);
    expect((await b.rateLimitState())['post']?.app24h).toMatchObject({ limit: 2, remaining: 0 });
    // B's own per-account state was never written: the shared bucket alone held it.
    expect(await bSettings.get(SETTINGS.xRateLimit.post)).toBeNull();
    expect(await otherApp.rateLimitWindow(1, T0)).toEqual({ allowedAt: T0, reason: null });
  });

  it("GIVEN account A hits X's per-user limit (429) WHEN account B of the same app asks THEN only A waits: per-user limits are kept per account", async () => {
    const x = await harness();
    const a = targetOf(x);
    const b = targetOf(x, { accountId: 'news', settings: await otherAccountSettings() });
    const reset = Math.floor(T0 / 1000) + 900;
    x.fake.rateLimit429({ resetAt: reset });

    expect(await failureOf(a, () => a.publish(publication(['A is limited']), { onPosted: async () => {} }))).toMatchObject({ errorClass: 'rate_limited' });

    expect((await a.rateLimitWindow(1, T0)).allowedAt).toBe(reset * 1000);
    expect(await b.rateLimitWindow(1, T0)).toEqual({ allowedAt: T0, reason: null });
  });

  it('GIVEN the shared bucket is stored THEN its key names the app by fingerprint, never by the key itself', async () => {
    const x = await harness();
    await targetOf(x).publish(publication(['fingerprinted']), { onPosted: async () => {} });
    const rows: Array<{ key: string; value: string }> = await x.db.dataSource.query(`SELECT key, value FROM settings WHERE key LIKE 'x.app_limit.%'`);
    expect(rows.map((r) => r.key)).toEqual([`x.app_limit.${appKeyFingerprint(X_CREDENTIALS.appKey)}`]);
    expect(appKeyFingerprint(X_CREDENTIALS.appKey)).toMatch(/^[0-9a-f]{12}$/);
    expect(JSON.stringify(rows)).not.toContain(X_CREDENTIALS.appKey);
    expect(JSON.parse(rows[0]!.value)).toMatchObject({ limit: 1667, remaining: 1666 });
  });
});

describe('X publish target: identity, account and cost', () => {
  it('GIVEN working credentials THEN verify names the X user, identity names the account, and cost is the sum of the tweets at X prices', async () => {
    const x = await harness();
    const target = targetOf(x, { accountId: 'pumpfun' });
    expect(target.identity).toEqual({ accountId: 'pumpfun', network: 'x', dryRun: false });
    expect(await target.verify()).toEqual({ userId: x.fake.userId, handle: x.fake.username });
    expect((await target.rateLimitState())['me']?.endpoint?.limit).toBe(900);
    // "Pump.fun" is a URL to twitter-text, so that tweet pays the URL price.
    expect(target.costUsd(['Read Pump.fun docs', 'plain words'])).toBeCloseTo(0.2 + 0.015, 9);
    expect(target.costUsd(['plain words'])).toBeCloseTo(0.015, 9);
  });
});
