import type { DataSource, Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { PostedTweet, PostMetrics, PostRepository } from '../../services/ports.js';
import { PostEntity } from '../entities/post.entity.js';
import { execute, queryRows, toNumber } from '../sql.js';
import { addToRollup, rollupPostRecorded, topicOfDraft } from '../stats-rollups.js';
import { localDayOf } from '../../domain/local-day.js';

/** Engagement of one publication: every interaction a reader can make, summed over its tweets. */
const ENGAGEMENT_SQL = 'SUM(p.likes + p.retweets + p.replies + p.quotes)';

export class TypeOrmPostRepository implements PostRepository {
  private readonly posts: Repository<PostEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
    /** The account's TIMEZONE: the /stats rollups count its local days. */
    private readonly timeZone: string = 'UTC',
  ) {
    this.posts = dataSource.getRepository(PostEntity);
  }

  async recordPosted(tweet: PostedTweet): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // RETURNING tells, on both engines, whether the row is new: a tweet recorded twice counts once.
      const inserted = await execute(
        manager,
        `INSERT INTO posts (account_id, draft_id, tweet_id, content, content_type, status, created_at, posted_at, is_thread, thread_id, thread_position, dry_run)
         VALUES (:accountId, :draftId, :tweetId, :content, :contentType, 'posted', :postedAt, :postedAt, :isThread, :threadId, :threadPosition, :dryRun)
         ON CONFLICT DO NOTHING RETURNING id`,
        {
          accountId: this.accountId,
          draftId: tweet.draftId,
          tweetId: tweet.tweetId,
          content: tweet.content,
          contentType: tweet.contentType,
          postedAt: tweet.postedAt,
          isThread: tweet.isThread ? 1 : 0,
          threadId: tweet.threadId,
          threadPosition: tweet.threadPosition,
          dryRun: tweet.dryRun ? 1 : 0,
        },
      );
      if (inserted.rows.length === 0) return;
      await rollupPostRecorded(manager, this.accountId, this.timeZone, tweet);
    });
  }

  async publicationTimesSince(since: number): Promise<number[]> {
    const rows: Array<{ postedAt: number }> = await this.posts
      .createQueryBuilder('p')
      .select('p.posted_at', 'postedAt')
      .where('p.status = :status AND p.thread_position = 0 AND p.posted_at >= :since AND p.account_id = :accountId', {
        status: 'posted',
        since,
        accountId: this.accountId,
      })
      .orderBy('p.posted_at', 'ASC')
      .getRawMany();
    return rows.map((r) => Number(r.postedAt));
  }

  async findForEngagement(since: number): Promise<Array<{ tweetId: string; draftId: number | null }>> {
    const rows = await this.posts
      .createQueryBuilder('p')
      .select(['p.tweetId', 'p.draftId'])
      .where('p.status = :status AND p.dry_run = 0 AND p.tweet_id IS NOT NULL AND p.posted_at >= :since AND p.account_id = :accountId', {
        status: 'posted',
        since,
        accountId: this.accountId,
      })
      .orderBy('p.posted_at', 'DESC')
      .getMany();
    return rows.map((r) => ({ tweetId: r.tweetId as string, draftId: r.draftId }));
  }

  async updateMetrics(tweetId: string, metrics: PostMetrics, now: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [before] = await queryRows<Record<string, unknown>>(
        manager,
        `SELECT draft_id AS "draftId", status, posted_at AS "postedAt", content_type AS "contentType", likes, retweets, replies, quotes, impressions
           FROM posts WHERE tweet_id = :tweetId AND account_id = :accountId`,
        { tweetId, accountId: this.accountId },
      );
      await manager.update(PostEntity, { tweetId, accountId: this.accountId }, { ...metrics, metricsUpdatedAt: now });
      // The rollup moves by the refresh's delta, on the day the tweet was posted.
      if (!before || before['status'] !== 'posted' || before['postedAt'] === null || before['postedAt'] === undefined) return;
      const draftId = before['draftId'] === null || before['draftId'] === undefined ? null : toNumber(before['draftId']);
      await addToRollup(
        manager,
        {
          accountId: this.accountId,
          day: localDayOf(toNumber(before['postedAt']), this.timeZone),
          topicName: await topicOfDraft(manager, draftId),
          contentType: String(before['contentType']),
        },
        {
          likes: metrics.likes - toNumber(before['likes']),
          retweets: metrics.retweets - toNumber(before['retweets']),
          replies: metrics.replies - toNumber(before['replies']),
          quotes: metrics.quotes - toNumber(before['quotes']),
          impressions: metrics.impressions - toNumber(before['impressions']),
        },
      );
    });
  }

  async engagementByTopic(): Promise<{ byTopicId: Map<number, number>; publishedByTopicId: Map<number, number>; accountAverage: number }> {
    // One row per publication (draft) first, then averaged per topic, so a 5-tweet thread is
    // one data point rather than five.
    // d.topic_id is grouped too: one value per draft anyway, and PostgreSQL accepts only a
    // selected column that is grouped (it cannot see that p.draft_id determines it).
    const rows = await queryRows<{ topicId: unknown; engagement: unknown }>(
      this.posts.manager,
      `SELECT d.topic_id AS "topicId", ${ENGAGEMENT_SQL} AS engagement
         FROM posts p JOIN drafts d ON d.id = p.draft_id
        WHERE p.status = 'posted' AND p.dry_run = 0 AND p.account_id = :accountId
        GROUP BY p.draft_id, d.topic_id`,
      { accountId: this.accountId },
    );
    const sums = new Map<number, { total: number; count: number }>();
    let total = 0;
    for (const row of rows) {
      total += Number(row.engagement);
      if (row.topicId === null) continue;
      const topicId = Number(row.topicId);
      const entry = sums.get(topicId) ?? { total: 0, count: 0 };
      entry.total += Number(row.engagement);
      entry.count += 1;
      sums.set(topicId, entry);
    }
    const byTopicId = new Map<number, number>();
    const publishedByTopicId = new Map<number, number>();
    for (const [topicId, { total: t, count }] of sums) {
      byTopicId.set(topicId, t / count);
      publishedByTopicId.set(topicId, count);
    }
    return { byTopicId, publishedByTopicId, accountAverage: rows.length === 0 ? 0 : total / rows.length };
  }

  async publicationEngagementSince(since: number): Promise<Array<{ postedAt: number; engagement: number }>> {
    // A thread's tweets share its thread_id (the first tweet's id); a single tweet has none.
    // Only publications X has reported metrics for: an unmeasured post is not a post nobody liked.
    const rows = await queryRows<{ postedAt: unknown; engagement: unknown }>(
      this.posts.manager,
      `SELECT MIN(p.posted_at) AS "postedAt", ${ENGAGEMENT_SQL} AS engagement
         FROM posts p
        WHERE p.status = 'posted' AND p.dry_run = 0 AND p.account_id = :accountId AND p.posted_at >= :since
          AND p.metrics_updated_at IS NOT NULL
        GROUP BY COALESCE(p.thread_id, p.tweet_id)`,
      { accountId: this.accountId, since },
    );
    return rows.map((row) => ({ postedAt: Number(row.postedAt), engagement: Number(row.engagement) }));
  }

  async latestPublication(): Promise<{ tweetId: string; postedAt: number; draftId: number | null; dryRun: boolean } | null> {
    const row = await this.posts
      .createQueryBuilder('p')
      .where('p.status = :status AND p.thread_position = 0 AND p.account_id = :accountId', { status: 'posted', accountId: this.accountId })
      .orderBy('p.posted_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .getOne();
    return row && row.tweetId && row.postedAt !== null ? { tweetId: row.tweetId, postedAt: row.postedAt, draftId: row.draftId, dryRun: row.dryRun } : null;
  }
}
