import type { DataSource, Repository } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { PostedTweet, PostMetrics, PostRepository } from '../../services/ports.js';
import { PostEntity } from '../entities/post.entity.js';
import { queryRows } from '../sql.js';

/** Engagement of one publication: every interaction a reader can make, summed over its tweets. */
const ENGAGEMENT_SQL = 'SUM(p.likes + p.retweets + p.replies + p.quotes)';

export class TypeOrmPostRepository implements PostRepository {
  private readonly posts: Repository<PostEntity>;

  constructor(
    dataSource: DataSource,
    private readonly accountId: AccountId,
  ) {
    this.posts = dataSource.getRepository(PostEntity);
  }

  async recordPosted(tweet: PostedTweet): Promise<void> {
    await this.posts
      .createQueryBuilder()
      .insert()
      .into(PostEntity)
      .values({
        accountId: this.accountId,
        draftId: tweet.draftId,
        tweetId: tweet.tweetId,
        content: tweet.content,
        contentType: tweet.contentType,
        status: 'posted',
        createdAt: tweet.postedAt,
        postedAt: tweet.postedAt,
        isThread: tweet.isThread,
        threadId: tweet.threadId,
        threadPosition: tweet.threadPosition,
        dryRun: tweet.dryRun,
      })
      .orIgnore()
      .execute();
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
    await this.posts.update({ tweetId, accountId: this.accountId }, { ...metrics, metricsUpdatedAt: now });
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
