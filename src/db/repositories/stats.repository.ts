import type { DataSource } from 'typeorm';
import { DEFAULT_ACCOUNT_ID, type AccountId } from '../../domain/account.js';
import type { TokenUsage } from '../../domain/generation.js';
import type { DayDecisions, DecisionCounts, EngagementSample } from '../../domain/learning-stats.js';
import type { BucketBounds, PublicationTotals, RollupDay, RollupTopicSums, StatsRepository, TopicDraftCounts, TopicEngagement } from '../../services/ports.js';
import { ROLLUP_COLUMNS } from '../stats-rollups.js';
import { engineOf, indexedBy, orderedJoin, queryRows, toNumber as num, type SqlParams } from '../sql.js';

/** Engagement of a tweet: every interaction a reader can make (impressions are reach, not engagement). */
const ENGAGEMENT = '(p.likes + p.retweets + p.replies + p.quotes)';

type Row = Record<string, number | string | null>;

const decisionCounts = (r: Row): DecisionCounts => ({
  topicName: String(r['topicName']),
  contentType: String(r['contentType']),
  approved: num(r['approved']),
  rejected: num(r['rejected']),
});

/**
 * The rollups a period reads: every day of the history ("all", fromDay null) is every month of
 * it, so "all" reads the monthly rows (twelve a year per topic) instead of the daily ones.
 */
const rollupsFor = (fromDay: number | null): { table: 'stats_daily' | 'stats_monthly'; period: 'day' | 'month' } =>
  fromDay === null ? { table: 'stats_monthly', period: 'month' } : { table: 'stats_daily', period: 'day' };

/** 1 for each row where `condition` holds: a count inside SUM that both engines accept (PostgreSQL cannot SUM a boolean). */
const countWhere = (condition: string): string => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;

/** The better-sqlite3 handle behind TypeORM's driver, for the one query that returns many rows. */
interface RawSqlite {
  prepare(sql: string): {
    pluck(): { all(params: Record<string, unknown>): unknown[] };
    raw(): { all(params: Record<string, unknown>): unknown[][] };
  };
}

/**
 * The /stats aggregates in SQL. Every query reads a covering index (migration StatsIndexes):
 * period filters are index ranges, topics are grouped in index order (no sort), and the chart's
 * buckets are one index range scan each, so even "all" over 100,000 posts reads narrow index
 * entries only. The one join (per-topic engagement) is only used for bounded periods.
 */
export class TypeOrmStatsRepository implements StatsRepository {
  /** `accountId` null: every account together (the /stats total). */
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId | null = DEFAULT_ACCOUNT_ID,
  ) {}

  /**
   * The index of a range of recent drafts (24h): for one account, its own range of the covering
   * (account_id, created_at, ...) index (migration StatsRecentDraftsIndex), never a lookup into
   * the table; for all accounts together, the range of (created_at).
   */
  private recentDraftsIndex(): string {
    return this.accountId === null ? 'idx_drafts_created_at' : 'idx_drafts_stats_recent';
  }

  /** The account filter of a query over `column`: nothing for all accounts. */
  private scope(column: string): { sql: string; params: SqlParams } {
    return this.accountId === null ? { sql: '', params: {} } : { sql: ` AND ${column} = :accountId`, params: { accountId: this.accountId } };
  }

  async draftsByTopic(since: number | null): Promise<TopicDraftCounts[]> {
    // Grouped in the index's own order (topic, status, source): no sort, one count per group;
    // the counters are derived from the few groups here rather than per row in SQL.
    // Per account, the groups come in the index's order (account, topic, status, source).
    const scope = this.scope('account_id');
    // A bounded period (/stats 24h) reads a range of the time index: its cost follows the period, not the history.
    const index = since === null ? 'idx_drafts_stats_topic' : this.recentDraftsIndex();
    const rows = await this.query(
      `SELECT topic_name AS "topicName", status, decision_source AS source, COUNT(*) AS n
         FROM drafts${indexedBy(this.dataSource, index)}
        WHERE created_at >= :since${scope.sql}
        GROUP BY topic_name, status, decision_source`,
      { since: since ?? 0, ...scope.params },
    );
    // Published is the publication's status: the draft row says only `approved`. Every approved
    // draft has exactly one publication (the approval creates it), so the published ones are the
    // approved ones minus the few whose publication is not (yet) published: counting those few
    // reads a handful of rows, where counting the published ones would visit every draft. CROSS
    // JOIN and the status-led index fix that order (left alone, SQLite starts from the drafts).
    const pubScope = this.scope('p.account_id');
    const unpublished = await this.query(
      `SELECT d.topic_name AS "topicName", COUNT(*) AS n
         FROM publications p${indexedBy(this.dataSource, 'idx_publications_lease')} ${orderedJoin(this.dataSource)} drafts d ON d.id = p.draft_id AND d.account_id = p.account_id
        WHERE p.status IN ('queued', 'publishing', 'failed') AND d.status = 'approved' AND d.created_at >= :since${pubScope.sql}
        GROUP BY d.topic_name`,
      { since: since ?? 0, ...pubScope.params },
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
      if (status === 'approved') {
        t.published += n;
        if (r['source'] === 'moderator') t.approvedByModerator += n;
        else if (r['source'] === 'timeout') t.publishedAtTimeout += n;
      }
      if (status === 'rejected') t.rejected += n;
      if (status === 'expired') t.expired += n;
      if (status === 'pending') t.pending += n;
    }
    for (const r of unpublished) {
      const t = byTopic.get(String(r['topicName']));
      if (t) t.published -= num(r['n']);
    }
    return [...byTopic.values()];
  }

  async moderatorDecisionDurations(since: number | null): Promise<ArrayLike<number>> {
    const scope = this.scope('account_id');
    const sql = `SELECT decided_at - created_at AS ms FROM drafts
                  WHERE decision_source = 'moderator' AND created_at >= :since AND decided_at IS NOT NULL${scope.sql}`;
    const params = { since: since ?? 0, ...scope.params };
    const raw = (this.dataSource.driver as unknown as { databaseConnection?: RawSqlite }).databaseConnection;
    // Plucked numbers straight from better-sqlite3 (which binds `:name` from an object itself): a
    // median needs every value, and building 100,000 row objects through TypeORM would cost more
    // than the query itself.
    if (engineOf(this.dataSource) === 'sqlite' && raw && typeof raw.prepare === 'function') return raw.prepare(sql).pluck().all(params) as number[];
    const rows = await this.query(sql, params);
    return rows.map((r) => num(r['ms']));
  }

  async publicationTotals(buckets: readonly BucketBounds[]): Promise<PublicationTotals[]> {
    const out: PublicationTotals[] = [];
    const scope = this.scope('account_id');
    for (const bucket of buckets) {
      const [row] = await this.query(
        `SELECT ${countWhere('thread_position = 0')} AS publications,
                ${countWhere('thread_position = 0 AND dry_run = 1')} AS "dryRunPublications",
                COUNT(*) AS tweets,
                SUM(likes) AS likes, SUM(retweets) AS retweets, SUM(replies) AS replies,
                SUM(quotes) AS quotes, SUM(impressions) AS impressions
           FROM posts${indexedBy(this.dataSource, 'idx_posts_stats_time')}
          WHERE posted_at >= :from AND posted_at < :to AND status = 'posted'${scope.sql}`,
        { from: bucket.from, to: bucket.to, ...scope.params },
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
      `SELECT d.topic_name AS "topicName",
              ${countWhere('p.thread_position = 0')} AS publications,
              SUM(${ENGAGEMENT}) AS engagement
         FROM posts p${indexedBy(this.dataSource, 'idx_posts_stats_time')} JOIN drafts d ON d.id = p.draft_id
        WHERE p.posted_at >= :since AND p.status = 'posted'${this.scope('p.account_id').sql}
        GROUP BY d.topic_name`,
      { since, ...this.scope('p.account_id').params },
    );
    return rows.map((r) => ({ topicName: String(r['topicName']), publications: num(r['publications']), engagement: num(r['engagement']) }));
  }

  async tokenUsage(since: number | null): Promise<TokenUsage & { runs: number }> {
    const [row] = await this.query(
      `SELECT COUNT(*) AS runs, SUM(input_tokens) AS "inputTokens", SUM(output_tokens) AS "outputTokens",
              SUM(cache_read_tokens) AS "cacheReadTokens", SUM(cache_creation_tokens) AS "cacheCreationTokens"
         FROM generation_runs${indexedBy(this.dataSource, 'idx_generation_runs_stats')} WHERE started_at >= :since${this.scope('account_id').sql}`,
      { since: since ?? 0, ...this.scope('account_id').params },
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
    const scope = this.scope('account_id');
    const [row] = await this.query(
      `SELECT SUM(cost_usd) AS usd FROM publications${indexedBy(this.dataSource, 'idx_publications_stats')} WHERE status = 'published' AND published_at >= :since${scope.sql}`,
      { since: since ?? 0, ...scope.params },
    );
    return num(row?.['usd']);
  }

  async firstPublicationAt(): Promise<number | null> {
    const scope = this.scope('account_id');
    const [row] = await this.query(`SELECT MIN(posted_at) AS "first" FROM posts WHERE status = 'posted'${scope.sql}`, scope.params);
    return row?.['first'] === null || row?.['first'] === undefined ? null : num(row['first']);
  }

  async rollupTopicSums(fromDay: number | null): Promise<RollupTopicSums[]> {
    // A range of the primary key (account_id, day, ...): a few rows per day and topic; all of
    // them ("all") from the monthly rollups, a few rows per month and topic.
    const scope = this.scope('account_id');
    const { table, period } = rollupsFor(fromDay);
    const rows = await this.query(
      `SELECT topic_name AS "topicName", ${ROLLUP_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(', ')}
         FROM ${table} WHERE ${period} >= :fromDay${scope.sql}
        GROUP BY topic_name`,
      { fromDay: fromDay ?? Number.MIN_SAFE_INTEGER, ...scope.params },
    );
    return rows.map((r) => ({
      topicName: String(r['topicName']),
      drafts: {
        generated: num(r['drafts_generated']),
        approvedByModerator: num(r['drafts_approved']),
        rejected: num(r['drafts_rejected']),
        expired: num(r['drafts_expired']),
        publishedAtTimeout: num(r['drafts_timeout']),
        pending: num(r['drafts_pending']),
        published: num(r['drafts_published']),
      },
      totals: {
        publications: num(r['publications']),
        dryRunPublications: num(r['dry_run_publications']),
        tweets: num(r['tweets']),
        likes: num(r['likes']),
        retweets: num(r['retweets']),
        replies: num(r['replies']),
        quotes: num(r['quotes']),
        impressions: num(r['impressions']),
      },
      xSpendUsd: num(r['x_cost_usd']),
      tokens: {
        runs: num(r['generation_runs']),
        inputTokens: num(r['input_tokens']),
        outputTokens: num(r['output_tokens']),
        cacheReadTokens: num(r['cache_read_tokens']),
        cacheCreationTokens: num(r['cache_creation_tokens']),
      },
    }));
  }

  async rollupDailySeries(fromDay: number | null): Promise<RollupDay[]> {
    const scope = this.scope('account_id');
    const rows = await this.query(
      `SELECT day, SUM(publications) AS publications, SUM(likes + retweets + replies + quotes) AS engagement
         FROM stats_daily WHERE day >= :fromDay AND tweets > 0${scope.sql}
        GROUP BY day ORDER BY day`,
      { fromDay: fromDay ?? Number.MIN_SAFE_INTEGER, ...scope.params },
    );
    return rows.map((r) => ({ day: num(r['day']), publications: num(r['publications']), engagement: num(r['engagement']) }));
  }

  async rollupMonthlySeries(): Promise<RollupDay[]> {
    const scope = this.scope('account_id');
    const rows = await this.query(
      `SELECT month AS day, SUM(publications) AS publications, SUM(likes + retweets + replies + quotes) AS engagement
         FROM stats_monthly WHERE tweets > 0${scope.sql}
        GROUP BY month ORDER BY month`,
      scope.params,
    );
    return rows.map((r) => ({ day: num(r['day']), publications: num(r['publications']), engagement: num(r['engagement']) }));
  }

  async rollupDecisionsByTopicAndType(fromDay: number | null): Promise<DecisionCounts[]> {
    // The same primary-key range as rollupTopicSums (monthly for "all"); the deadline's columns
    // (drafts_timeout, drafts_expired) are not moderator decisions and are left out.
    const scope = this.scope('account_id');
    const { table, period } = rollupsFor(fromDay);
    const rows = await this.query(
      `SELECT topic_name AS "topicName", content_type AS "contentType", SUM(drafts_approved) AS approved, SUM(drafts_rejected) AS rejected
         FROM ${table} WHERE ${period} >= :fromDay AND (drafts_approved <> 0 OR drafts_rejected <> 0)${scope.sql}
        GROUP BY topic_name, content_type`,
      { fromDay: fromDay ?? Number.MIN_SAFE_INTEGER, ...scope.params },
    );
    return rows.map(decisionCounts);
  }

  async decisionsByTopicAndType(since: number): Promise<DecisionCounts[]> {
    const scope = this.scope('account_id');
    const rows = await this.query(
      `SELECT topic_name AS "topicName", content_type AS "contentType",
              ${countWhere(`status = 'approved' AND decision_source = 'moderator'`)} AS approved,
              ${countWhere(`status = 'rejected'`)} AS rejected
         FROM drafts${indexedBy(this.dataSource, this.recentDraftsIndex())}
        WHERE created_at >= :since${scope.sql}
        GROUP BY topic_name, content_type`,
      { since, ...scope.params },
    );
    return rows.map(decisionCounts).filter((d) => d.approved + d.rejected > 0);
  }

  async rollupDecisionDays(fromDay: number): Promise<DayDecisions[]> {
    const scope = this.scope('account_id');
    const rows = await this.query(
      `SELECT day, SUM(drafts_approved) AS approved, SUM(drafts_rejected) AS rejected
         FROM stats_daily WHERE day >= :fromDay AND (drafts_approved <> 0 OR drafts_rejected <> 0)${scope.sql}
        GROUP BY day ORDER BY day`,
      { fromDay, ...scope.params },
    );
    return rows.map((r) => ({ day: num(r['day']), approved: num(r['approved']), rejected: num(r['rejected']) }));
  }

  async engagementSamples(since: number | null): Promise<EngagementSample[]> {
    // One row per decided draft (the learning signals), read through an index led by
    // (account_id, decided_at): a bounded period reads that period's drafts only. COALESCE is engagementOf.
    const scope = this.scope('account_id');
    // The covering index (migration StatsLearningIndex): one range scan, no lookup into the table.
    // Left alone, SQLite may take the (account_id, published_at) one, which reads every published draft.
    const index = this.accountId === null ? '' : indexedBy(this.dataSource, 'idx_draft_signals_stats');
    // A median needs each figure and how many drafts had it, not a row per draft. Grouped by topic
    // and content type only, with the group's figures as one text ("12,3,12,..."), counted here:
    // a GROUP BY that also keys on the figure makes the engine sort every draft by three keys.
    // At a million posts (5 accounts' month, 22,000 drafts; A/B alternating on SQLite, loaded
    // machine) the read and the medians took 27 ms median that way, 22 this way. The figures are
    // integers on both engines.
    const figure = 'COALESCE(engagement_7d, engagement_24h)';
    const figures = engineOf(this.dataSource) === 'sqlite' ? `group_concat(${figure}, ',')` : `string_agg(CAST(${figure} AS TEXT), ',')`;
    const sql = `SELECT topic_name AS "topicName", content_type AS "contentType", ${figures} AS figures
         FROM draft_signals${index}
        WHERE decided_at >= :since AND published_at IS NOT NULL AND dry_run = 0
          AND ${figure} IS NOT NULL${scope.sql}
        GROUP BY topic_name, content_type`;
    const rows = await this.query(sql, { since: since ?? Number.MIN_SAFE_INTEGER, ...scope.params });
    const samples: EngagementSample[] = [];
    for (const r of rows) {
      const topicName = String(r['topicName']);
      const contentType = String(r['contentType']);
      const counts = new Map<number, number>();
      for (const text of String(r['figures']).split(',')) {
        const engagement = Number(text);
        counts.set(engagement, (counts.get(engagement) ?? 0) + 1);
      }
      for (const [engagement, drafts] of counts) samples.push({ topicName, contentType, engagement, drafts });
    }
    return samples;
  }

  private query(sql: string, params: SqlParams): Promise<Row[]> {
    return queryRows<Row>(this.dataSource, sql, params);
  }
}
