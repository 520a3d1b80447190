import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories } from '../../src/db/index.js';
import { queryRows } from '../../src/db/sql.js';
import { DAY_MS } from '../../src/domain/rate-limits.js';
import type { BucketBounds, PublicationTotals } from '../../src/services/ports.js';
import { chartBuckets } from '../../src/services/stats-service.js';
import { mulberry32 } from '../support/seeded-random.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const UNTIL = Date.parse('2026-11-30T18:00:00Z');

interface StoredPost {
  readonly accountId: string;
  readonly postedAt: number;
  readonly threadPosition: number;
  readonly dryRun: boolean;
  readonly status: 'posted' | 'failed';
  readonly likes: number;
  readonly impressions: number;
}

/** What a bucket holds by its own bounds, counted in JavaScript from the rows inserted. */
function expected(posts: readonly StoredPost[], accountId: string, bucket: BucketBounds): PublicationTotals {
  const inside = posts.filter((p) => p.accountId === accountId && p.status === 'posted' && p.postedAt >= bucket.from && p.postedAt < bucket.to);
  return {
    publications: inside.filter((p) => p.threadPosition === 0).length,
    dryRunPublications: inside.filter((p) => p.threadPosition === 0 && p.dryRun).length,
    tweets: inside.length,
    likes: inside.reduce((sum, p) => sum + p.likes, 0),
    retweets: 0,
    replies: 0,
    quotes: 0,
    impressions: inside.reduce((sum, p) => sum + p.impressions, 0),
  };
}

describe('/stats chart buckets', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('GIVEN posts of two accounts on, just before and just after every bucket edge WHEN the chart buckets of each period are totalled THEN each bucket holds exactly the posts its bounds say, and nothing of the other account', async () => {
    db = await openTempDatabase();
    const rng = mulberry32(11);
    const posts: StoredPost[] = [];
    const firstAt = UNTIL - 400 * DAY_MS;
    const periods: Array<{ since: number | null; firstAt: number }> = [
      { since: UNTIL - DAY_MS, firstAt: UNTIL - DAY_MS },
      { since: UNTIL - 7 * DAY_MS, firstAt: UNTIL - 7 * DAY_MS },
      { since: UNTIL - 30 * DAY_MS, firstAt: UNTIL - 30 * DAY_MS },
      // "all": the first bucket also takes everything before its start.
      { since: null, firstAt },
    ];
    // Posts at every edge of every period's buckets (and 1 ms either side), plus random ones.
    const times = new Set<number>([firstAt - 5 * DAY_MS, UNTIL, UNTIL + 1]);
    for (const { since, firstAt: from } of periods) {
      for (const bucket of chartBuckets(since, from, UNTIL, 'Europe/Berlin').buckets) {
        for (const t of [bucket.from, bucket.start, bucket.to]) for (const d of [-1, 0, 1]) times.add(t + d);
      }
    }
    for (let i = 0; i < 400; i++) times.add(firstAt + Math.floor(rng() * (UNTIL - firstAt)));
    let n = 0;
    for (const postedAt of times) {
      for (const accountId of ['default', 'news']) {
        if (rng() < 0.3) continue;
        const post: StoredPost = {
          accountId,
          postedAt,
          threadPosition: rng() < 0.2 ? 1 : 0,
          dryRun: rng() < 0.1,
          status: rng() < 0.1 ? 'failed' : 'posted',
          likes: Math.floor(rng() * 10),
          impressions: Math.floor(rng() * 100),
        };
        posts.push(post);
        n += 1;
        await queryRows(
          db.dataSource,
          `INSERT INTO posts (account_id, tweet_id, content, content_type, status, created_at, posted_at, likes, impressions, thread_position, dry_run)
           VALUES (:accountId, :tweetId, 'x', 'education', :status, :postedAt, :postedAt, :likes, :impressions, :threadPosition, :dryRun)`,
          {
            accountId,
            tweetId: `t${n}`,
            status: post.status,
            postedAt,
            likes: post.likes,
            impressions: post.impressions,
            threadPosition: post.threadPosition,
            dryRun: post.dryRun ? 1 : 0,
          },
        );
      }
    }

    for (const accountId of ['default', 'news']) {
      const stats = createRepositories(db.dataSource, undefined, accountId).stats;
      for (const { since, firstAt: from } of periods) {
        const { buckets } = chartBuckets(since, from, UNTIL, 'Europe/Berlin');
        expect(buckets.length).toBeGreaterThan(1);
        expect(await stats.publicationTotals(buckets)).toEqual(buckets.map((bucket) => expected(posts, accountId, bucket)));
      }
    }
    // Buckets with gaps between them count only what is inside each.
    const stats = createRepositories(db.dataSource, undefined, 'news').stats;
    const irregular: BucketBounds[] = [
      { start: UNTIL - 10 * DAY_MS, from: UNTIL - 10 * DAY_MS, to: UNTIL - 9 * DAY_MS },
      { start: UNTIL - 3 * DAY_MS, from: UNTIL - 3 * DAY_MS, to: UNTIL },
    ];
    expect(await stats.publicationTotals(irregular)).toEqual(irregular.map((bucket) => expected(posts, 'news', bucket)));
  });
});
