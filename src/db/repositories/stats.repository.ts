import type { DataSource } from 'typeorm';
import type { TokenUsage } from '../../domain/generation.js';
import type { BucketBounds, PublicationTotals, StatsRepository, TopicDraftCounts, TopicEngagement } from '../../services/ports.js';

/** Statuses a draft reaches only through an approval. */
const APPROVED_STATUSES: readonly string[] = ['approved', 'publishing', 'published', 'failed'];
/** Engagement of a tweet: every interaction a reader can make (impressions are reach, not engagement). */
const ENGAGEMENT = '(p.likes + p.retweets + p.replies + p.quotes)';

type Row = Record<string, number | string | null>;
const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

/** The better-sqlite3 handle behind TypeORM's driver, for the one query that returns many rows. */
interface RawSqlite {
  prepare(sql: string): { pluck(): { all(...params: unknown[]): unknown[] } };
}

/**
 * The /stats aggregates in SQL. Every query reads a covering index (migration StatsIndexes):
 * period filters are index ranges, topics are grouped in index order (no sort), and the chart's
 * buckets are one index range scan each, so even "all" over 100,000 posts reads narrow index
 * entries only. The one join (per-topic engagement) is only used for bounded periods.
 */
export class TypeOrmStatsRepository implements StatsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async draftsByTopic(since: number | null): Promise<TopicDraftCounts[]> {
    // Grouped in the index's own order (topic, status, source): no sort, one count per group;
    // the counters are derived from the few groups here rather than per row in SQL.
    const rows = await this.query(
      `SELECT topic_name AS topicName, status, decision_source AS source, COUNT(*) AS n
         FROM drafts INDEXED BY idx_drafts_stats_topic
        WHERE created_at >= ?
        GROUP BY topic_name, status, decision_source`,
      [since ?? 0],
    );
    const byTopic = new Map<string, { -readonly [K in keyof TopicDraftCounts]: TopicDraftCounts[K] }>();
    for (const r of rows) {
      const topicName = String(r['topicName']);
      let t = byTopic.get(topicName);
      if (!t) {
        t = { topicName, generated: 0, approvedByModerator: 0, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0, published: 0 };
        byTopic.set(topicName, t);
      }
      const n = num(r['n']);
      const status = String(r['status']);
      t.generated += n;
      if (APPROVED_STATUSES.includes(status)) {
        if (r['source'] === 'moderator') t.approvedByModerator += n;
        else if (r['source'] === 'timeout') t.publishedAtTimeout += n;
      }
      if (status === 'rejected') t.rejected += n;
      if (status === 'expired') t.expired += n;
      if (status === 'pending') t.pending += n;
      if (status === 'published') t.published += n;
    }
    return [...byTopic.values()];
  }

  async moderatorDecisionDurations(since: number | null): Promise<ArrayLike<number>> {
    const sql = `SELECT decided_at - created_at FROM drafts
                  WHERE decision_source = 'moderator' AND created_at >= ? AND decided_at IS NOT NULL`;
    const raw = (this.dataSource.driver as unknown as { databaseConnection?: RawSqlite }).databaseConnection;
    // Plucked numbers straight from better-sqlite3: a median needs every value, and building
    // 100,000 row objects through TypeORM would cost more than the query itself.
    if (raw && typeof raw.prepare === 'function')
      return raw
        .prepare(sql)
        .pluck()
        .all(since ?? 0) as number[];
    const rows = await this.query(sql.replace('SELECT decided_at - created_at', 'SELECT decided_at - created_at AS ms'), [since ?? 0]);
    return rows.map((r) => num(r['ms']));
  }

  async publicationTotals(buckets: readonly BucketBounds[]): Promise<PublicationTotals[]> {
    const out: PublicationTotals[] = [];
    for (const bucket of buckets) {
      const [row] = await this.query(
        `SELECT SUM(thread_position = 0) AS publications,
                SUM(thread_position = 0 AND dry_run = 1) AS dryRunPublications,
                COUNT(*) AS tweets,
                SUM(likes) AS likes, SUM(retweets) AS retweets, SUM(replies) AS replies,
                SUM(quotes) AS quotes, SUM(impressions) AS impressions
           FROM posts INDEXED BY idx_posts_stats_time
          WHERE posted_at >= ? AND posted_at < ? AND status = 'posted'`,
        [bucket.from, bucket.to],
      );
      out.push({
        publications: num(row?.['publications']),
        dryRunPublications: num(row?.['dryRunPublications']),
        tweets: num(row?.['tweets']),
        likes: num(row?.['likes']),
        retweets: num(row?.['retweets']),
        replies: num(row?.['replies']),
        quotes: num(row?.['quotes']),
        impressions: num(row?.['impressions']),
      });
    }
    return out;
  }

  async topicEngagement(since: number): Promise<TopicEngagement[]> {
    const rows = await this.query(
      `SELECT d.topic_name AS topicName,
              SUM(p.thread_position = 0) AS publications,
              SUM(${ENGAGEMENT}) AS engagement
         FROM posts p INDEXED BY idx_posts_stats_time JOIN drafts d ON d.id = p.draft_id
        WHERE p.posted_at >= ? AND p.status = 'posted'
        GROUP BY d.topic_name`,
      [since],
    );
    return rows.map((r) => ({ topicName: String(r['topicName']), publications: num(r['publications']), engagement: num(r['engagement']) }));
  }

  async tokenUsage(since: number | null): Promise<TokenUsage & { runs: number }> {
    const [row] = await this.query(
      `SELECT COUNT(*) AS runs, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
              SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_creation_tokens) AS cacheCreationTokens
         FROM generation_runs INDEXED BY idx_generation_runs_stats WHERE started_at >= ?`,
      [since ?? 0],
    );
    return {
      runs: num(row?.['runs']),
      inputTokens: num(row?.['inputTokens']),
      outputTokens: num(row?.['outputTokens']),
      cacheReadTokens: num(row?.['cacheReadTokens']),
      cacheCreationTokens: num(row?.['cacheCreationTokens']),
    };
  }

  async xSpendUsd(since: number | null): Promise<number> {
    const [row] = await this.query(
      `SELECT SUM(x_cost_usd) AS usd FROM drafts INDEXED BY idx_drafts_stats_published WHERE status = 'published' AND published_at >= ?`,
      [since ?? 0],
    );
    return num(row?.['usd']);
  }

  async firstPublicationAt(): Promise<number | null> {
    const [row] = await this.query(`SELECT MIN(posted_at) AS first FROM posts WHERE status = 'posted'`, []);
    return row?.['first'] === null || row?.['first'] === undefined ? null : num(row['first']);
  }

  private query(sql: string, params: unknown[]): Promise<Row[]> {
    return this.dataSource.query(sql, params) as Promise<Row[]>;
  }
}
