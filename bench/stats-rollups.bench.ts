import { copyFileSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { buildAccountsStatsReply, buildLearningReply, buildStatsReply } from '../commands/stats.js';
import { renderApprovalChart, renderStatsChart } from '../src/adapters/chart/stats-chart.js';
import { createRepositories, openDatabase, rebuildAllRollups } from '../src/db/index.js';
import { TypeOrmStatsRepository } from '../src/db/repositories/stats.repository.js';
import { alignSeries, StatsService, type StatsPeriod } from '../src/services/stats-service.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { openTempDatabase, type TempDatabase } from '../tests/support/temp-database.js';
import { report, summarise } from './report.js';

/**
 * Issue 16 §1: /stats from the rollups at 1,000,000 posts over 5 accounts. Targets: p95 < 50 ms
 * for every period, chart included; the chart rendering is timed apart too.
 *
 * The history is loaded with batched inserts through the raw better-sqlite3 handle (prepared
 * statements, one transaction per batch), not through the services; then `stats:rebuild`'s
 * recomputation fills the rollups from it, daily and monthly (its time is reported: it is also
 * what the StatsRollups migration's backfill costs on such a database). Every figure is the whole
 * reply (queries, chart, embeds); the charts are also timed alone ("chart-only" lines: the one
 * account chart, the five accounts' stacked chart, the learning view's weekly chart).
 */
const POSTS = 1_000_000;
const ACCOUNTS = ['main', 'news', 'alerts', 'deals', 'jobs'] as const;
const BATCH = 50_000;
const RUNS = 30;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
/** About three years, so "all" buckets its chart by several days. */
const SPAN_DAYS = 1_100;
const TIMEZONE = 'Europe/Berlin';
const PRICING = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const PERIODS: readonly StatsPeriod[] = ['24h', '7d', '30d', 'all'];

/** POSTS posted tweets: a published draft each (a fifth of them threads of 2, so fewer drafts), with its publication, and a run per draft. */
function fill(db: TempDatabase, topics: readonly string[]): { seconds: number; drafts: number } {
  const rng = mulberry32(1606);
  const started = performance.now();
  const raw = (db.dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
  const insertDraft = raw.prepare(
    `INSERT INTO drafts (account_id, topic_name, content_type, kind, tweets, content_hash, status, decided_at, decision_source,
                         input_tokens, output_tokens, cache_read_tokens, created_at, updated_at)
     VALUES (?, ?, 'education', ?, '["text"]', ?, ?, ?, ?, 1200, 300, 900, ?, ?)`,
  );
  const insertPublication = raw.prepare(
    `INSERT INTO publications (draft_id, account_id, status, posted_tweet_ids, root_tweet_id, published_at, cost_usd, created_at, updated_at)
     VALUES (?, ?, 'published', '[]', ?, ?, ?, ?, ?)`,
  );
  const insertPost = raw.prepare(
    `INSERT INTO posts (account_id, draft_id, tweet_id, content, content_type, status, created_at, posted_at, likes, retweets, replies, quotes, impressions, thread_position, is_thread)
     VALUES (?, ?, ?, 'text', 'education', 'posted', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Issue 15: the learning signal of each decided draft, with its engagement (7 days after, as
  // the engagement refresh takes it), which /stats view:learning reads for its medians.
  const insertSignal = raw.prepare(
    `INSERT INTO draft_signals (draft_id, account_id, topic_name, content_type, decision, decided_at, tweets, published_at, dry_run,
                                engagement_24h, engagement_7d, created_at, updated_at)
     VALUES (?, ?, ?, 'education', ?, ?, '["text"]', ?, 0, ?, ?, ?, ?)`,
  );
  const insertRun = raw.prepare(
    `INSERT INTO generation_runs (account_id, trigger, outcome, draft_id, topic_name, attempts, input_tokens, output_tokens, started_at, finished_at)
     VALUES (?, 'schedule', 'created', ?, ?, 1, 1200, 300, ?, ?)`,
  );
  let posts = 0;
  let drafts = 0;
  const batch = raw.transaction((until: number) => {
    while (posts < until) {
      const account = ACCOUNTS[drafts % ACCOUNTS.length] as string;
      const topic = topics[drafts % topics.length] as string;
      const createdAt = NOW - 3 * 3_600_000 - Math.floor(rng() * SPAN_DAYS * DAY);
      const decidedAt = createdAt + Math.floor(rng() * 2 * 3_600_000);
      const postedAt = decidedAt + 60_000;
      const parts = rng() < 0.2 ? 2 : 1;
      const timeout = rng() < 0.1;
      const { lastInsertRowid } = insertDraft.run(
        account,
        topic,
        parts > 1 ? 'thread' : 'tweet',
        `hash-${drafts}`,
        'approved',
        decidedAt,
        timeout ? 'timeout' : 'moderator',
        createdAt,
        postedAt,
      );
      const engagement24h = Math.floor(rng() * 60);
      const engagement7d = postedAt < NOW - 7 * DAY ? engagement24h + Math.floor(rng() * 20) : null;
      insertSignal.run(
        lastInsertRowid,
        account,
        topic,
        timeout ? 'published_by_timeout' : 'approved',
        decidedAt,
        postedAt,
        postedAt < NOW - DAY ? engagement24h : null,
        engagement7d,
        decidedAt,
        postedAt,
      );
      drafts += 1;
      const root = String(100_000_000 + posts);
      insertPublication.run(lastInsertRowid, account, root, postedAt, 0.015 * parts, decidedAt, postedAt);
      for (let i = 0; i < parts; i++) {
        insertPost.run(
          account,
          lastInsertRowid,
          String(100_000_000 + posts),
          postedAt + i,
          postedAt + i,
          Math.floor(rng() * 50),
          Math.floor(rng() * 10),
          Math.floor(rng() * 8),
          Math.floor(rng() * 3),
          Math.floor(rng() * 2_000),
          i,
          parts > 1 ? 1 : 0,
        );
        posts += 1;
      }
      insertRun.run(account, lastInsertRowid, topic, createdAt, createdAt + 5_000);
    }
  });
  while (posts < POSTS) batch(Math.min(POSTS, posts + BATCH));
  return { seconds: (performance.now() - started) / 1000, drafts };
}

/**
 * STATS_BENCH_DB=<file>: the fill takes minutes, so when profiling, the filled database (before the
 * rollups are rebuilt) is saved there on the first run and copied back on the next ones; the
 * migrations run on the copy as on any database. Without it, every run fills anew.
 */
async function filledDatabase(db: TempDatabase, topics: readonly string[]): Promise<{ db: TempDatabase; seconds: number; drafts: number; reused: boolean }> {
  const saved = process.env['STATS_BENCH_DB'];
  if (saved === undefined || saved === '' || !existsSync(saved)) {
    const filled = fill(db, topics);
    if (saved) await db.dataSource.query(`VACUUM INTO '${saved.replaceAll("'", "''")}'`);
    return { db, ...filled, reused: false };
  }
  await db.dataSource.destroy();
  copyFileSync(saved, db.path);
  const { dataSource } = await openDatabase(db.target);
  const [drafts] = (await dataSource.query(`SELECT COUNT(*) AS n FROM drafts`)) as Array<{ n: number }>;
  const reopened: TempDatabase = {
    ...db,
    dataSource,
    repos: createRepositories(dataSource),
    async close() {
      await dataSource.destroy();
      await db.close();
    },
  };
  return { db: reopened, seconds: 0, drafts: Number(drafts?.n), reused: true };
}

const statsOf = (db: TempDatabase, accountId: string | null) =>
  new StatsService({
    stats: new TypeOrmStatsRepository(db.dataSource, accountId as never),
    topics: db.repos.topics,
    clock: { now: () => NOW },
    pricing: PRICING,
    timezone: TIMEZONE,
  });

describe('/stats from the rollups at a million posts', () => {
  it(`GIVEN ${POSTS.toLocaleString('en')} posts over ${ACCOUNTS.length} accounts THEN the /stats reply (chart included) of one account and of all accounts is timed per period, and the chart alone`, async () => {
    let db = await openTempDatabase();
    try {
      const topics = (await db.repos.topics.list()).map((t) => t.name);
      const filled = await filledDatabase(db, topics);
      db = filled.db;
      const rebuildStarted = performance.now();
      const rollupRows = await rebuildAllRollups(db.dataSource, () => TIMEZONE);
      const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
      const [monthly] = (await db.dataSource.query(`SELECT COUNT(*) AS n FROM stats_monthly`)) as Array<{ n: number }>;
      report('stats-rollups-fill', {
        posts: POSTS,
        drafts: filled.drafts,
        accounts: ACCOUNTS.length,
        fill: filled.reused ? 'copied from STATS_BENCH_DB' : 'inserted',
        fillSeconds: filled.seconds,
        rebuildSeconds,
        rollupRows,
        monthlyRollupRows: Number(monthly?.n),
      });

      const one = { stats: statsOf(db, 'main'), renderStatsChart, config: { posting: { timezone: TIMEZONE, dryRun: false } } };
      const every = ACCOUNTS.map((id) => ({ label: id, stats: statsOf(db, id), dryRun: false }));
      // Warm-up: chart.js and the canvas build their caches on the first draw.
      await buildStatsReply(one, '7d');
      await buildAccountsStatsReply(one, every, '7d');

      for (const period of PERIODS) {
        const single: number[] = [];
        const all: number[] = [];
        const chartOnly: number[] = [];
        const chartAll: number[] = [];
        let last: Awaited<ReturnType<typeof buildStatsReply>> | undefined;
        let total: Awaited<ReturnType<typeof buildAccountsStatsReply>> | undefined;
        for (let i = 0; i < RUNS; i++) {
          let started = performance.now();
          last = await buildStatsReply(one, period);
          last.embed.toJSON();
          single.push(performance.now() - started);
          started = performance.now();
          total = await buildAccountsStatsReply(one, every, period);
          for (const e of total.embeds) e.toJSON();
          all.push(performance.now() - started);
          const series = last.report.series;
          started = performance.now();
          await renderStatsChart({ title: 'Posts and engagement', buckets: series.buckets, bucketMs: series.bucketMs, timezone: TIMEZONE });
          chartOnly.push(performance.now() - started);
          // The chart of the all-accounts reply: one stacked posts series per account.
          const aligned = alignSeries(total.reports.map((r) => r.series));
          started = performance.now();
          await renderStatsChart({
            title: 'Posts and engagement',
            buckets: aligned.buckets,
            bucketMs: aligned.bucketMs,
            timezone: TIMEZONE,
            accounts: ACCOUNTS.map((label, a) => ({ label, publications: aligned.publications[a] ?? [] })),
          });
          chartAll.push(performance.now() - started);
        }
        const s = summarise(single);
        const a = summarise(all);
        const c = summarise(chartOnly);
        report(
          `stats-rollups-${period}-one-account`,
          { posts: POSTS, runs: RUNS, medianMs: s.median, p95Ms: s.p95, maxMs: s.max, buckets: last?.report.series.buckets.length ?? 0 },
          'p95 < 50 ms',
        );
        report(`stats-rollups-${period}-all-accounts`, { posts: POSTS, runs: RUNS, medianMs: a.median, p95Ms: a.p95, maxMs: a.max }, 'p95 < 50 ms');
        report(`stats-rollups-${period}-chart-only`, { runs: RUNS, medianMs: c.median, p95Ms: c.p95, maxMs: c.max }, 'part of the 50 ms');
        const ca = summarise(chartAll);
        report(`stats-rollups-${period}-chart-only-all-accounts`, { runs: RUNS, medianMs: ca.median, p95Ms: ca.p95, maxMs: ca.max }, 'part of the 50 ms');
        // Correctness, not speed: a real PNG and the totals the fill implies.
        expect(last?.chart.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        if (period === 'all') {
          expect(total?.total.publications.tweets).toBe(POSTS);
          expect(total?.total.publications.publications).toBe(filled.drafts);
          expect(total?.total.drafts.generated).toBe(filled.drafts);
          expect(last?.report.series.buckets.length).toBeLessThanOrEqual(61);
        }
      }

      // Issue 15 §5: /stats view:learning at the same scale, one account and all five: the
      // decisions from the rollups (monthly for "all"), the medians from the learning signals of
      // the period (the last 30 days for "all"), their figures read as one text per topic and type and counted per figure, the weekly chart from
      // 12 weeks of rollup days.
      const learningCtx = { renderApprovalChart };
      const learningOne = [{ stats: statsOf(db, 'main'), dryRun: false }];
      const learningAll = ACCOUNTS.map((id) => ({ label: id, stats: statsOf(db, id), dryRun: false }));
      await buildLearningReply(learningCtx, learningOne, '7d');
      for (const period of PERIODS) {
        const single: number[] = [];
        const all: number[] = [];
        let last: Awaited<ReturnType<typeof buildLearningReply>> | undefined;
        const chartOnly: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          let started = performance.now();
          last = await buildLearningReply(learningCtx, learningOne, period);
          for (const e of last.embeds) e.toJSON();
          single.push(performance.now() - started);
          started = performance.now();
          const several = await buildLearningReply(learningCtx, learningAll, period);
          for (const e of several.embeds) e.toJSON();
          all.push(performance.now() - started);
          // The weekly chart of the five accounts alone.
          const weeks = several.reports[0]?.weeks ?? [];
          started = performance.now();
          await renderApprovalChart({
            title: 'Approval rate by week',
            weeks: weeks.map((w) => w.weekStart),
            accounts: several.reports.map((r, a) => ({
              label: ACCOUNTS[a] as string,
              decisions: r.weeks.map((w) => w.decisions),
              approvalRates: r.weeks.map((w) => w.approvalRate),
            })),
          });
          chartOnly.push(performance.now() - started);
        }
        const s = summarise(single);
        const a = summarise(all);
        const samples = last?.reports[0]?.byTopic.reduce((sum, t) => sum + t.measured, 0) ?? 0;
        report(
          `stats-learning-${period}-one-account`,
          { posts: POSTS, runs: RUNS, medianMs: s.median, p95Ms: s.p95, maxMs: s.max, engagementSamples: samples },
          'p95 < 50 ms',
        );
        report(`stats-learning-${period}-all-accounts`, { posts: POSTS, runs: RUNS, medianMs: a.median, p95Ms: a.p95, maxMs: a.max }, 'p95 < 50 ms');
        const c = summarise(chartOnly);
        report(`stats-learning-${period}-chart-only-all-accounts`, { runs: RUNS, medianMs: c.median, p95Ms: c.p95, maxMs: c.max }, 'part of the 50 ms');
        expect(last?.chart.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        expect(last?.reports[0]?.weeks).toHaveLength(12);
      }
    } finally {
      await db.close();
    }
    // The fill alone takes minutes on a loaded 2-core machine.
  }, 3_600_000);
});
