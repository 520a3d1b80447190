import { afterEach, describe, expect, it } from 'vitest';
import { createDataSource, createRepositories } from '../../src/db/index.js';
import { isDryRunTweetId } from '../../src/domain/draft.js';
import { HOUR_MS } from '../../src/domain/rate-limits.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { XAuthenticationError } from '../../src/adapters/twitter/x-publish-target.js';
import { PublishingService } from '../../src/services/publishing-service.js';
import { UNAUTHORIZED_BODY } from '../support/fake-x.js';
import { createPublishingHarness, moderator, RecordingObserver, T0, type PublishingHarness } from '../support/publishing-harness.js';
import { SETTINGS } from '../../src/services/settings-keys.js';

let h: PublishingHarness | undefined;

async function harness(options: Parameters<typeof createPublishingHarness>[0] = {}): Promise<PublishingHarness> {
  h = await createPublishingHarness(options);
  return h;
}

afterEach(async () => {
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  // Every request the real client sent must be one the real X API accepts.
  expect(problems).toEqual([]);
});

const tweetPosts = (x: PublishingHarness) => x.fake.requestsTo('POST', '/2/tweets');

describe('publishing to X exactly once', () => {
  it('GIVEN an approved tweet THEN it is posted once, its id, cost, posts row and X rate limits are stored', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const service = x.service({ observer });
    const draft = await x.approvedDraft(['Bonding curves set the price as supply is bought.']);

    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    expect(tweetPosts(x).map((r) => r.body)).toEqual([{ text: 'Bonding curves set the price as supply is bought.' }]);
    const [tweet] = x.fake.tweets;
    const stored = (await x.db.repos.drafts.findById(draft.id))!;
    expect(stored).toMatchObject({ status: 'published', tweetId: tweet!.id, postedTweetIds: [tweet!.id], dryRun: false, publishedAt: T0, publishAttempts: 1 });
    expect(stored.xCostUsd).toBeCloseTo(0.015, 9);
    expect(await x.db.repos.posts.publicationTimesSince(0)).toEqual([T0]);
    const postState = await x.db.repos.settings.get(SETTINGS.xRateLimit.post);
    expect(postState?.endpoint).toMatchObject({ limit: 100, remaining: 99 });
    expect(postState?.user24h).toMatchObject({ limit: 100, remaining: 99 });
    expect(postState?.app24h).toMatchObject({ remaining: 1666 });
    expect(observer.events).toEqual([{ kind: 'published', draftId: draft.id }]);
    // A second publish of the same draft does nothing.
    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('skipped');
    expect(tweetPosts(x)).toHaveLength(1);
  });

  it('GIVEN an approved thread THEN each tweet replies to the previous one and the cost is the sum of its tweets', async () => {
    const x = await harness();
    const tweets = ['1/3 How a launch works on Pump.fun', '2/3 The bonding curve prices each buy.', '3/3 Read before you ape.'];
    const draft = await x.approvedDraft(tweets);

    const outcome = await x.service().publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    const ids = x.fake.tweets.map((t) => t.id);
    expect(tweetPosts(x).map((r) => r.body)).toEqual([
      { text: tweets[0] },
      { text: tweets[1], reply: { in_reply_to_tweet_id: ids[0] } },
      { text: tweets[2], reply: { in_reply_to_tweet_id: ids[1] } },
    ]);
    expect(x.fake.tweets.map((t) => t.inReplyToId)).toEqual([undefined, ids[0], ids[1]]);
    const stored = (await x.db.repos.drafts.findById(draft.id))!;
    expect(stored).toMatchObject({ status: 'published', tweetId: ids[0], postedTweetIds: ids });
    // "Pump.fun" is a URL to twitter-text, so the first tweet pays the URL price.
    expect(stored.xCostUsd).toBeCloseTo(0.2 + 0.015 + 0.015, 9);
    const rows: Array<{ tweet_id: string; thread_id: string; thread_position: number; is_thread: number }> = await x.db.dataSource.query(
      'SELECT tweet_id, thread_id, thread_position, is_thread FROM posts ORDER BY thread_position',
    );
    expect(rows).toEqual(ids.map((id, i) => ({ tweet_id: id, thread_id: ids[0], thread_position: i, is_thread: 1 })));
    // A thread is one publication for our caps.
    expect(await x.db.repos.posts.publicationTimesSince(0)).toHaveLength(1);
  });

  it('GIVEN DRY_RUN and no X credentials THEN the draft walks the same states to published (dry run) and no request reaches X', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const service = x.service({ publisher: null, observer, config: { dryRun: true } });
    const draft = await x.approvedDraft(['one', 'two']);

    expect(await service.reconcileOnStartup()).toEqual([]);
    expect(await service.verifyConnection()).toBeNull();
    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    expect(x.fake.requests).toHaveLength(0);
    const stored = (await x.db.repos.drafts.findById(draft.id))!;
    expect(stored).toMatchObject({ status: 'published', dryRun: true, xCostUsd: 0, publishAttempts: 1 });
    expect(stored.postedTweetIds).toEqual([`dryrun-${draft.id}-1`, `dryrun-${draft.id}-2`]);
    expect(stored.postedTweetIds.every(isDryRunTweetId)).toBe(true);
    expect(stored.tweetId).not.toMatch(/^\d+$/);
    expect(observer.events).toEqual([{ kind: 'published', draftId: draft.id }]);
    // Dry-run posts count for our caps but are never sent for engagement.
    expect(await x.db.repos.posts.findForEngagement(0)).toEqual([]);
  });

  it('GIVEN the hourly cap is reached THEN the next draft is queued with a time and reason, and publishes once the hour has passed', async () => {
    const x = await harness({ config: { maxPostsPerHour: 1, maxPostsPerDay: 10 } });
    const observer = new RecordingObserver();
    const service = x.service({ observer });
    const first = await x.approvedDraft(['first of the hour']);
    const second = await x.approvedDraft(['second of the hour']);

    expect((await service.publishApprovedDraft(first.id)).kind).toBe('published');
    x.clock.advance(10 * 60_000);
    const queued = await service.publishApprovedDraft(second.id);

    expect(queued).toMatchObject({ kind: 'queued', notBefore: T0 + HOUR_MS });
    const waiting = (await x.db.repos.drafts.findById(second.id))!;
    expect(waiting).toMatchObject({ status: 'approved', notBefore: T0 + HOUR_MS, publishAttempts: 0 });
    expect(waiting.queueReason).toMatch(/hourly cap reached \(1\/1\)/);
    expect(observer.events.at(-1)).toEqual({ kind: 'queued', draftId: second.id });
    expect(await x.db.repos.publications.nextQueuedAt()).toBe(T0 + HOUR_MS);

    x.clock.set(T0 + HOUR_MS - 1);
    expect(await service.processDueDrafts()).toEqual([]);
    expect(tweetPosts(x)).toHaveLength(1);

    x.clock.set(T0 + HOUR_MS);
    const [later] = await service.processDueDrafts();
    expect(later?.kind).toBe('published');
    expect(x.postsOf('second of the hour')).toHaveLength(1);
    expect(await x.db.repos.drafts.findById(second.id)).toMatchObject({ status: 'published', notBefore: null, queueReason: null });
  });

  it('GIVEN the daily cap is reached THEN the draft waits until the oldest post of the day is 24 hours old', async () => {
    const x = await harness({ config: { maxPostsPerHour: 10, maxPostsPerDay: 2 } });
    const service = x.service();
    const drafts = [await x.approvedDraft(['day one']), await x.approvedDraft(['day two']), await x.approvedDraft(['day three'])];

    expect((await service.publishApprovedDraft(drafts[0]!.id)).kind).toBe('published');
    x.clock.advance(2 * HOUR_MS);
    expect((await service.publishApprovedDraft(drafts[1]!.id)).kind).toBe('published');
    x.clock.advance(2 * HOUR_MS);
    const queued = await service.publishApprovedDraft(drafts[2]!.id);

    expect(queued).toMatchObject({ kind: 'queued', notBefore: T0 + 24 * HOUR_MS });
    expect((await x.db.repos.drafts.findById(drafts[2]!.id))?.queueReason).toMatch(/daily cap reached \(2\/2\)/);
    x.clock.set(T0 + 24 * HOUR_MS);
    expect((await service.processDueDrafts()).map((o) => o.kind)).toEqual(['published']);
    expect(x.postsOf('day three')).toHaveLength(1);
  });

  it('GIVEN X answers 429 with a reset time THEN the draft waits until then without being sent again, and other drafts wait too', async () => {
    const x = await harness();
    const service = x.service();
    const resetAtSeconds = Math.floor(T0 / 1000) + 600;
    x.fake.rateLimit429({ resetAt: resetAtSeconds });
    const draft = await x.approvedDraft(['limited']);
    const other = await x.approvedDraft(['also limited']);

    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome).toMatchObject({ kind: 'queued', notBefore: resetAtSeconds * 1000 });
    const waiting = (await x.db.repos.drafts.findById(draft.id))!;
    expect(waiting).toMatchObject({ status: 'approved', errorClass: 'rate_limited', notBefore: resetAtSeconds * 1000 });
    expect(waiting.errorMessage).toMatch(/429/);
    expect((await x.db.repos.settings.get(SETTINGS.xRateLimit.post))?.blockedUntil).toBe(resetAtSeconds * 1000);
    // The second draft is queued from the stored state: no request is made to learn it.
    expect(await service.publishApprovedDraft(other.id)).toMatchObject({ kind: 'queued', notBefore: resetAtSeconds * 1000 });
    expect(tweetPosts(x)).toHaveLength(1);
    x.clock.advance(5 * 60_000);
    expect(await service.processDueDrafts()).toEqual([]);
    expect(tweetPosts(x)).toHaveLength(1);

    x.clock.set(resetAtSeconds * 1000);
    expect((await service.processDueDrafts()).map((o) => o.kind)).toEqual(['published', 'published']);
    expect(x.postsOf('limited')).toHaveLength(2);
    expect(x.fake.tweets.map((t) => t.text)).toEqual(['limited', 'also limited']);
    // A 429 means X did not post: no timeline lookup was needed.
    expect(x.fake.requestsTo('GET', /\/2\/users\/\d+\/tweets/)).toHaveLength(0);
  });

  it('GIVEN a 503 THEN the draft backs off with jitter, checks the timeline, and the retry publishes once', async () => {
    const x = await harness();
    const service = x.service({ rng: () => 0.25 });
    x.fake.serverError(503);
    const draft = await x.approvedDraft(['retry me']);

    const first = await service.publishApprovedDraft(draft.id);

    // base 30 s, equal jitter: 15 s + 0.25 * 15 s.
    expect(first).toMatchObject({ kind: 'queued', notBefore: T0 + 18_750 });
    expect(await x.db.repos.drafts.findById(draft.id)).toMatchObject({ status: 'approved', errorClass: 'transient' });
    expect((await x.db.repos.drafts.findById(draft.id))?.errorMessage).toMatch(/503/);
    x.clock.advance(18_750);
    const [second] = await service.processDueDrafts();

    expect(second?.kind).toBe('published');
    expect(x.postsOf('retry me')).toHaveLength(2);
    expect(x.fake.tweets).toHaveLength(1);
    expect(x.fake.requestsTo('GET', `/2/users/${x.fake.userId}/tweets`)).toHaveLength(1);
    expect(await x.db.repos.drafts.findById(draft.id)).toMatchObject({ status: 'published', errorClass: null, publishAttempts: 2 });
  });

  it('GIVEN X keeps failing with 5xx THEN the backoff grows and the draft fails with a reason after the last attempt', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const service = x.service({ rng: () => 0, observer });
    x.fake.serverError(500, { times: 5 });
    const draft = await x.approvedDraft(['never gets through']);
    const waits: number[] = [];
    let outcome = await service.publishApprovedDraft(draft.id);
    while (outcome.kind === 'queued') {
      waits.push(outcome.notBefore - x.clock.now());
      x.clock.set(outcome.notBefore);
      [outcome] = (await service.processDueDrafts()) as [typeof outcome];
    }
    expect(waits).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect(outcome).toMatchObject({ kind: 'failed', errorClass: 'transient', alert: true });
    expect((await x.db.repos.drafts.findById(draft.id))?.errorMessage).toMatch(/gave up after 5 attempts/);
    expect(x.fake.tweets).toHaveLength(0);
    // Retry gives it a fresh budget and it goes out.
    expect(await service.retryFailed(draft.id, moderator)).toMatchObject({ status: 'approved' });
    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('published');
    expect(x.fake.tweets.map((t) => t.text)).toEqual(['never gets through']);
  });

  it('GIVEN a 401 THEN the draft fails with an auth reason and an alert, is not retried, and Retry publishes it', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const service = x.service({ observer });
    x.fake.http.injectFault({ method: 'POST', path: '/2/tweets' }, { status: 401, body: UNAUTHORIZED_BODY });
    const draft = await x.approvedDraft(['auth trouble']);

    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome).toMatchObject({ kind: 'failed', errorClass: 'auth', alert: true });
    const failed = (await x.db.repos.drafts.findById(draft.id))!;
    expect(failed).toMatchObject({ status: 'failed', errorClass: 'auth' });
    expect(failed.errorMessage).toMatch(/HTTP 401/);
    expect(observer.events).toEqual([{ kind: 'failed', draftId: draft.id, alert: true }]);
    x.clock.advance(HOUR_MS);
    expect(await service.processDueDrafts()).toEqual([]);
    expect(tweetPosts(x)).toHaveLength(1);

    expect(await service.retryFailed(draft.id, moderator)).toMatchObject({ status: 'approved', decidedBy: moderator });
    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('published');
    expect(x.fake.tweets.map((t) => t.text)).toEqual(['auth trouble']);
  });

  it('GIVEN X says the content is a duplicate THEN the draft fails as duplicate, without alert or retry', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const service = x.service({ observer });
    x.fake.seedTweet('said it before');
    const draft = await x.approvedDraft(['said it before']);

    const outcome = await service.publishApprovedDraft(draft.id);

    expect(outcome).toMatchObject({ kind: 'failed', errorClass: 'duplicate', alert: false });
    const failed = (await x.db.repos.drafts.findById(draft.id))!;
    expect(failed.errorMessage).toMatch(/HTTP 403: You are not allowed to create a Tweet with duplicate content/);
    expect(observer.events).toEqual([{ kind: 'failed', draftId: draft.id, alert: false }]);
    x.clock.advance(HOUR_MS);
    expect(await service.processDueDrafts()).toEqual([]);
    expect(x.postsOf('said it before')).toHaveLength(1);
  });

  it('GIVEN a 403 that is not a duplicate THEN the draft fails as forbidden with an alert', async () => {
    const x = await harness();
    x.fake.http.injectFault(
      { method: 'POST', path: '/2/tweets' },
      { status: 403, body: { title: 'Forbidden', type: 'about:blank', status: 403, detail: 'You are not permitted to perform this action.' } },
    );
    const draft = await x.approvedDraft(['forbidden words']);
    expect(await x.service().publishApprovedDraft(draft.id)).toMatchObject({ kind: 'failed', errorClass: 'forbidden', alert: true });
  });

  it('GIVEN a crash before the POST (publishing, expired lease, no tweet at X) THEN start-up publishes it exactly once', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['crashed before posting']);
    expect(await x.db.repos.publications.claimForPublishing(draft.id, 'dead-process', 'attempt-1', T0, 60_000)).not.toBeNull();
    x.clock.advance(2 * 60_000);

    const outcomes = await x.service().reconcileOnStartup();

    expect(outcomes.map((o) => o.kind)).toEqual(['published']);
    expect(x.fake.requestsTo('GET', '/2/users/me')).toHaveLength(1);
    expect(x.fake.requestsTo('GET', `/2/users/${x.fake.userId}/tweets`)).toHaveLength(1);
    expect(x.postsOf('crashed before posting')).toHaveLength(1);
    expect(x.fake.tweets).toHaveLength(1);
    expect(await x.db.repos.drafts.findById(draft.id)).toMatchObject({ status: 'published', tweetId: x.fake.tweets[0]!.id, publishAttempts: 2 });
  });

  it('GIVEN a crash after the POST (X has the tweet, the DB says publishing) THEN start-up records it with NO second POST', async () => {
    const x = await harness();
    const text = 'crashed after posting & before storing https://pump.fun/board';
    const draft = await x.approvedDraft([text]);
    await x.db.repos.publications.claimForPublishing(draft.id, 'dead-process', 'attempt-1', T0, 60_000);
    const posted = x.fake.seedTweet(text);
    x.fake.seedTweet('an unrelated later tweet');
    x.clock.advance(2 * 60_000);

    const [outcome] = await x.service().reconcileOnStartup();

    expect(outcome).toMatchObject({ kind: 'published', tweetIds: [posted.id], foundOnTimeline: 1 });
    expect(tweetPosts(x)).toHaveLength(0);
    const stored = (await x.db.repos.drafts.findById(draft.id))!;
    expect(stored).toMatchObject({ status: 'published', tweetId: posted.id });
    expect(stored.xCostUsd).toBeCloseTo(0.2, 9);
    expect(await x.db.repos.posts.findForEngagement(0)).toEqual([{ tweetId: posted.id, draftId: draft.id }]);
  });

  it('GIVEN a thread interrupted half-way THEN it resumes after the last posted tweet and never posts the first again', async () => {
    const x = await harness();
    const tweets = ['1/3 resume me', '2/3 posted but not stored', '3/3 still to post'];
    const draft = await x.approvedDraft(tweets);
    await x.db.repos.publications.claimForPublishing(draft.id, 'dead-process', 'attempt-1', T0, 60_000);
    const one = x.fake.seedTweet(tweets[0]!);
    await x.db.repos.publications.recordPostedTweet(draft.id, { owner: 'dead-process', attemptId: 'attempt-1' }, [one.id], T0);
    const two = x.fake.seedTweet(tweets[1]!, { inReplyToId: one.id });
    x.clock.advance(2 * 60_000);

    const [outcome] = await x.service().reconcileOnStartup();

    expect(outcome).toMatchObject({ kind: 'published', foundOnTimeline: 1 });
    expect(tweetPosts(x).map((r) => r.body)).toEqual([{ text: tweets[2], reply: { in_reply_to_tweet_id: two.id } }]);
    const three = x.fake.tweets[2]!;
    expect(three.inReplyToId).toBe(two.id);
    expect((await x.db.repos.drafts.findById(draft.id))?.postedTweetIds).toEqual([one.id, two.id, three.id]);
  });

  it('GIVEN a thread hit by a 429 mid-way THEN it waits for the reset and continues from the next tweet, not re-capped', async () => {
    const x = await harness({ config: { maxPostsPerHour: 1 } });
    const service = x.service();
    const tweets = ['1/2 first half', '2/2 second half'];
    const draft = await x.approvedDraft(tweets);
    const resetAtSeconds = Math.floor(T0 / 1000) + 300;
    // Arm the 429 just before the second POST, so the first tweet is out when X refuses.
    const post = x.publisher.postTweet.bind(x.publisher);
    let calls = 0;
    x.publisher.postTweet = async (text, inReplyToId) => {
      calls += 1;
      if (calls === 2) x.fake.rateLimit429({ resetAt: resetAtSeconds });
      return post(text, inReplyToId);
    };

    const halfway = await service.publishApprovedDraft(draft.id);

    expect(halfway).toMatchObject({ kind: 'queued', notBefore: resetAtSeconds * 1000 });
    const waiting = (await x.db.repos.drafts.findById(draft.id))!;
    expect(waiting).toMatchObject({ status: 'approved', errorClass: 'rate_limited' });
    expect(waiting.postedTweetIds).toEqual([x.fake.tweets[0]!.id]);
    x.clock.set(resetAtSeconds * 1000);
    // The hourly cap (1) is used by this thread's own root: a resumed thread is not held back by it.
    expect((await service.processDueDrafts()).map((o) => o.kind)).toEqual(['published']);
    expect(x.postsOf(tweets[0]!)).toHaveLength(1);
    expect(x.postsOf(tweets[1]!)).toHaveLength(2);
    expect(x.fake.tweets.map((t) => [t.text, t.inReplyToId])).toEqual([
      [tweets[0], undefined],
      [tweets[1], x.fake.tweets[0]!.id],
    ]);
  });

  it('GIVEN a POST that times out after X stored the tweet THEN the retry finds it on the timeline and does not post again', async () => {
    const x = await harness({ timeoutMs: 300 });
    const service = x.service();
    x.fake.succeedThenLoseResponse({ mode: 'hang' });
    const draft = await x.approvedDraft(['the answer got lost']);

    const first = await service.publishApprovedDraft(draft.id);
    expect(first.kind).toBe('queued');
    expect((await x.db.repos.drafts.findById(draft.id))?.errorMessage).toMatch(/timed out/);
    x.clock.advance(60_000);
    const [second] = await service.processDueDrafts();

    expect(second).toMatchObject({ kind: 'published', foundOnTimeline: 1 });
    expect(x.postsOf('the answer got lost')).toHaveLength(1);
    expect(x.fake.tweets).toHaveLength(1);
  });

  it('GIVEN a dropped connection before X stored anything THEN the retry posts it once', async () => {
    const x = await harness({ timeoutMs: 300 });
    const service = x.service();
    x.fake.hang();
    const draft = await x.approvedDraft(['hung before storing']);
    expect((await service.publishApprovedDraft(draft.id)).kind).toBe('queued');
    x.clock.advance(60_000);
    expect((await service.processDueDrafts()).map((o) => o.kind)).toEqual(['published']);
    expect(x.fake.tweets.map((t) => t.text)).toEqual(['hung before storing']);
  });

  it('GIVEN a draft held under a live lease by another process THEN start-up leaves it alone, and takes it over once the lease expires', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['someone else is on it']);
    await x.db.repos.publications.claimForPublishing(draft.id, 'other-process', 'attempt-1', T0, 60_000);
    const service = x.service();

    expect(await service.reconcileOnStartup()).toEqual([]);
    expect(await x.db.repos.drafts.findById(draft.id)).toMatchObject({ status: 'publishing' });
    expect(tweetPosts(x)).toHaveLength(0);

    x.clock.advance(60_001);
    expect((await service.processDueDrafts()).map((o) => o.kind)).toEqual(['published']);
    expect(x.fake.tweets).toHaveLength(1);
  });

  it('GIVEN two processes on one database by mistake THEN a draft yields one tweet', async () => {
    const x = await harness();
    const second = createDataSource(x.db.target);
    await second.initialize();
    try {
      const otherRepos = createRepositories(second);
      const a = x.service();
      const b = new PublishingService({
        drafts: otherRepos.drafts,
        publications: otherRepos.publications,
        posts: otherRepos.posts,
        target: x.xTarget({ settings: otherRepos.settings }),
        clock: x.clock,
        rng: () => 0.5,
        logger: createSilentLogger(),
        config: { maxPostsPerHour: 100, maxPostsPerDay: 100 },
      });
      const drafts = [await x.approvedDraft(['race one']), await x.approvedDraft(['race two', 'race two b'])];
      await Promise.all([a.reconcileOnStartup(), b.reconcileOnStartup()]);
      const outcomes = (await Promise.all([a.processDueDrafts(), b.processDueDrafts()])).flat();

      expect(outcomes.filter((o) => o.kind === 'published')).toHaveLength(2);
      for (const text of ['race one', 'race two', 'race two b']) expect(x.postsOf(text)).toHaveLength(1);
      for (const d of drafts) expect((await x.db.repos.drafts.findById(d.id))?.status).toBe('published');
    } finally {
      await second.destroy();
    }
  });

  it('GIVEN credentials X rejects THEN start-up stops with a clear error naming the variables', async () => {
    const x = await harness();
    x.fake.http.injectFault({ method: 'GET', path: '/2/users/me' }, { status: 401, body: UNAUTHORIZED_BODY });
    const service = x.service();
    const error = await service.reconcileOnStartup().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(XAuthenticationError);
    expect((error as Error).message).toMatch(/HTTP 401.*TWITTER_APP_KEY/s);
    expect((error as Error).message).not.toContain('draftgate-consumer-secret');
  });

  it('GIVEN a healthy start-up THEN it names the account and /ratelimit shows caps and X buckets', async () => {
    const x = await harness({ config: { maxPostsPerHour: 3, maxPostsPerDay: 9 } });
    const service = x.service();
    expect(await service.verifyConnection()).toEqual({ id: x.fake.userId, username: x.fake.username });
    const draft = await x.approvedDraft(['status check']);
    await service.publishApprovedDraft(draft.id);
    const status = await service.rateLimitStatus();
    expect(status.window).toMatchObject({ allowedAt: T0, reason: null, usage: { usedThisHour: 1, usedToday: 1, maxPerHour: 3, maxPerDay: 9 } });
    expect(status.x.post?.endpoint?.remaining).toBe(99);
    expect(status.x.me?.endpoint?.limit).toBe(900);
    expect(status.nextQueuedAt).toBeNull();
  });
});
