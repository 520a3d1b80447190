import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/rate-limits.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { EngagementService } from '../../src/services/engagement-service.js';
import { createPublishingHarness, T0, type PublishingHarness } from '../support/publishing-harness.js';
import { SETTINGS } from '../../src/services/settings-keys.js';

let h: PublishingHarness | undefined;

afterEach(async () => {
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  expect(problems).toEqual([]);
});

function engagement(x: PublishingHarness, windowDays = 7): EngagementService {
  return new EngagementService({
    posts: x.db.repos.posts,
    topics: x.db.repos.topics,
    settings: x.db.repos.settings,
    learning: x.db.repos.learning,
    publisher: x.publisher,
    clock: x.clock,
    logger: createSilentLogger(),
    config: { engagementWindowDays: windowDays },
  });
}

/** Stores `n` real posts (tweets seeded at the fake) without going through the publisher. */
async function seedPosts(x: PublishingHarness, n: number, postedAt: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const tweet = x.fake.seedTweet(`bulk ${postedAt} ${i}`, { metrics: { like_count: i } });
    await x.db.repos.posts.recordPosted({
      draftId: null as unknown as number,
      tweetId: tweet.id,
      content: tweet.text,
      contentType: 'education',
      isThread: false,
      threadId: null,
      threadPosition: 0,
      dryRun: false,
      postedAt,
    });
    ids.push(tweet.id);
  }
  return ids;
}

const lookups = (x: PublishingHarness) => x.fake.requestsTo('GET', '/2/tweets');

describe('engagement refresh', () => {
  it('GIVEN published drafts with new metrics at X THEN posts and topic averages are updated from one lookup', async () => {
    const x = (h = await createPublishingHarness());
    const publishing = x.service();
    const education = (await x.db.repos.topics.findByName('education'))!;
    const memes = (await x.db.repos.topics.findByName('memes'))!;
    const thread = await x.approvedDraft(['edu 1/2', 'edu 2/2'], { topicId: education.id, topicName: 'education' });
    const single = await x.approvedDraft(['a meme'], { topicId: memes.id, topicName: 'memes' });
    await publishing.publishApprovedDraft(thread.id);
    await publishing.publishApprovedDraft(single.id);
    const [root, reply, meme] = x.fake.tweets;
    x.fake.setMetrics(root!.id, { like_count: 10, retweet_count: 2, reply_count: 1, quote_count: 1, impression_count: 500 });
    x.fake.setMetrics(reply!.id, { like_count: 4, retweet_count: 0, reply_count: 0, quote_count: 0, impression_count: 200 });
    x.fake.setMetrics(meme!.id, { like_count: 1, retweet_count: 0, reply_count: 0, quote_count: 0, impression_count: 50 });
    x.clock.advance(DAY_MS);
    // The evidence behind an average is stored with it, so it too changes only at a refresh.
    expect((await x.db.repos.topics.findById(education.id))?.publishedCount).toBe(0);

    const result = await engagement(x).refresh();

    expect(result).toEqual({ candidates: 3, updated: 3, requests: 1, topicsUpdated: 2, snapshotsTaken: 2, stoppedUntil: null });
    // A day after publishing: each draft's 24-hour figure for learning, a thread summed over its tweets.
    expect((await x.db.repos.learning.findByDraft(thread.id))?.engagement24h).toBe(18);
    expect((await x.db.repos.learning.findByDraft(single.id))?.engagement24h).toBe(1);
    const [request] = lookups(x);
    expect(request?.query['tweet.fields']).toBe('public_metrics');
    expect(request?.query['ids']?.split(',').sort()).toEqual([root!.id, reply!.id, meme!.id].sort());
    const rows: Array<{ tweet_id: string; likes: number; retweets: number; replies: number; quotes: number; impressions: number; metrics_updated_at: number }> =
      await x.db.dataSource.query('SELECT tweet_id, likes, retweets, replies, quotes, impressions, metrics_updated_at FROM posts ORDER BY id');
    expect(rows).toEqual([
      { tweet_id: root!.id, likes: 10, retweets: 2, replies: 1, quotes: 1, impressions: 500, metrics_updated_at: T0 + DAY_MS },
      { tweet_id: reply!.id, likes: 4, retweets: 0, replies: 0, quotes: 0, impressions: 200, metrics_updated_at: T0 + DAY_MS },
      { tweet_id: meme!.id, likes: 1, retweets: 0, replies: 0, quotes: 0, impressions: 50, metrics_updated_at: T0 + DAY_MS },
    ]);
    // A thread is one publication: 10+2+1+1 + 4 = 18 for education; 1 for memes.
    expect((await x.db.repos.topics.findById(education.id))?.avgEngagement).toBe(18);
    expect((await x.db.repos.topics.findById(memes.id))?.avgEngagement).toBe(1);
    // Each average is over one publication: the two-tweet thread counts once.
    expect((await x.db.repos.topics.list()).filter((t) => t.publishedCount > 0).map((t) => [t.name, t.publishedCount])).toEqual([
      ['education', 1],
      ['memes', 1],
    ]);
    expect((await x.db.repos.settings.get(SETTINGS.xRateLimit.lookup))?.endpoint).toMatchObject({ limit: 900, remaining: 899 });
  });

  it('GIVEN 150 recent posts and older ones THEN ids go 100 per request and posts outside the window are left alone', async () => {
    const x = (h = await createPublishingHarness());
    await seedPosts(x, 3, T0 - 10 * DAY_MS);
    const recent = await seedPosts(x, 150, T0 - DAY_MS);

    const result = await engagement(x, 7).refresh();

    expect(result).toMatchObject({ candidates: 150, updated: 150, requests: 2, stoppedUntil: null });
    const sent = lookups(x).map((r) => r.query['ids']!.split(','));
    expect(sent.map((ids) => ids.length)).toEqual([100, 50]);
    expect(sent.flat().sort()).toEqual([...recent].sort());
    const [{ n }] = await x.db.dataSource.query('SELECT COUNT(*) AS n FROM posts WHERE metrics_updated_at IS NOT NULL');
    expect(n).toBe(150);
  });

  it('GIVEN X answers the lookup with 429 THEN the refresh stops, remembers the reset, and waits for it next time', async () => {
    const x = (h = await createPublishingHarness());
    await seedPosts(x, 120, T0 - DAY_MS);
    const resetAt = Math.floor(T0 / 1000) + 900;
    x.fake.rateLimit429({ method: 'GET', path: '/2/tweets', resetAt });
    const service = engagement(x);

    expect(await service.refresh()).toMatchObject({ updated: 0, requests: 1, stoppedUntil: resetAt * 1000 });
    expect((await x.db.repos.settings.get(SETTINGS.xRateLimit.lookup))?.blockedUntil).toBe(resetAt * 1000);
    x.clock.advance(60_000);
    expect(await service.refresh()).toMatchObject({ updated: 0, requests: 0, stoppedUntil: resetAt * 1000 });
    expect(lookups(x)).toHaveLength(1);

    x.clock.set(resetAt * 1000);
    expect(await service.refresh()).toMatchObject({ updated: 120, requests: 2, stoppedUntil: null });
  });

  it('GIVEN X reports no lookups remaining THEN the refresh stops before the next batch until the window resets', async () => {
    const x = (h = await createPublishingHarness({ fake: { rateLimits: { readsPerWindow: 1 } } }));
    await seedPosts(x, 150, T0 - DAY_MS);
    const service = engagement(x);

    const first = await service.refresh();

    expect(first).toMatchObject({ updated: 100, requests: 1, stoppedUntil: T0 + 15 * 60_000 });
    expect(lookups(x)).toHaveLength(1);
    x.clock.advance(60_000);
    expect(await service.refresh()).toMatchObject({ updated: 0, requests: 0, stoppedUntil: T0 + 15 * 60_000 });
    x.clock.set(T0 + 15 * 60_000);
    expect(await service.refresh()).toMatchObject({ updated: 100, requests: 1, stoppedUntil: T0 + 30 * 60_000 });
    expect(lookups(x)).toHaveLength(2);
  });

  it('GIVEN dry run (no publisher) THEN nothing is requested and topic averages are still recomputed', async () => {
    const x = (h = await createPublishingHarness());
    const service = new EngagementService({
      posts: x.db.repos.posts,
      topics: x.db.repos.topics,
      settings: x.db.repos.settings,
      learning: x.db.repos.learning,
      publisher: null,
      clock: x.clock,
      logger: createSilentLogger(),
      config: { engagementWindowDays: 7 },
    });
    expect(await service.refresh()).toEqual({ candidates: 0, updated: 0, requests: 0, topicsUpdated: 0, snapshotsTaken: 0, stoppedUntil: null });
    expect(x.fake.requests).toHaveLength(0);
  });
});
