import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { buildAccountsStatsReply, buildStatsReply } from '../commands/stats.js';
import { renderStatsChart } from '../src/adapters/chart/stats-chart.js';
import { TypeOrmStatsRepository } from '../src/db/repositories/stats.repository.js';
import { StatsService, type StatsPeriod } from '../src/services/stats-service.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { rebuildAllRollups } from '../src/db/index.js';
import { openTempDatabase, type TempDatabase } from '../tests/support/temp-database.js';
import { report, summarise } from './report.js';

const POSTS = 100_000;
const RUNS_PER_PERIOD = 40;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
/** The history spans about three years, so "all" has to bucket its chart. */
const SPAN_DAYS = 1_100;
const PERIODS: StatsPeriod[] = ['24h', '7d', '30d', 'all'];
const FIVE_ACCOUNTS = ['default', 'news', 'alerts', 'memes', 'intl'] as const;
const PRICING = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };
const TIMEZONE = 'Europe/Berlin';

/**
 * The reply of /stats covering several accounts over the 100,000 posts of stats.bench.ts, spread
 * over 5 accounts (issue 11: no slower than the single-account figure of stats.bench.ts).
 *
 * Fills the database with POSTS published drafts (each with its publication, post and generation
 * run) and 20,000 rejected or expired ones, account by account in turn over `accounts`. Bulk load
 * through the raw better-sqlite3 handle: one transaction, prepared statements.
 */
async function fill(db: TempDatabase, accounts: readonly string[]): Promise<number> {
  const rng = mulberry32(606);
  // The seeded topics, so the all-time per-topic averages come from the real topics table.
  const topics = (await db.repos.topics.list()).map((t) => t.name);
  for (const [i, t] of (await db.repos.topics.list()).entries()) await db.repos.topics.setAverageEngagement(t.id, 20 + i, 1_000, 0);
  const started = performance.now();
  const raw = (db.dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
  const insertDraft = raw.prepare(
    `INSERT INTO drafts (account_id, topic_name, content_type, kind, tweets, content_hash, status, decided_at, decision_source,
                         input_tokens, output_tokens, cache_read_tokens, created_at, updated_at)
     VALUES (?, ?, 'education', 'tweet', '["text"]', ?, 'approved', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertPublication = raw.prepare(
    `INSERT INTO publications (draft_id, account_id, status, posted_tweet_ids, root_tweet_id, published_at, cost_usd, created_at, updated_at)
     VALUES (?, ?, 'published', ?, ?, ?, 0.015, ?, ?)`,
  );
  const insertPost = raw.prepare(
    `INSERT INTO posts (account_id, draft_id, tweet_id, content, content_type, status, created_at, posted_at, likes, retweets, replies, quotes, impressions, thread_position)
     VALUES (?, ?, ?, 'text', 'education', 'posted', ?, ?, ?, ?, ?, ?, ?, 0)`,
  );
  const insertRun = raw.prepare(
    `INSERT INTO generation_runs (account_id, trigger, outcome, draft_id, topic_name, attempts, input_tokens, output_tokens, started_at, finished_at)
     VALUES (?, 'schedule', 'created', ?, ?, 1, ?, ?, ?, ?)`,
  );
  const other = raw.prepare(
    `INSERT INTO drafts (account_id, topic_name, content_type, kind, tweets, content_hash, status, decided_at, decision_source, created_at, updated_at)
     VALUES (?, ?, 'education', 'tweet', '["text"]', ?, ?, ?, ?, ?, ?)`,
  );
  raw.transaction(() => {
    for (let i = 0; i < POSTS; i++) {
      const account = accounts[i % accounts.length] as string;
      // Decided within 2 hours and posted a minute later, all before NOW.
      const createdAt = NOW - 3 * 3_600_000 - Math.floor(rng() * SPAN_DAYS * DAY);
      const decidedAt = createdAt + Math.floor(rng() * 2 * 3_600_000);
      const postedAt = decidedAt + 60_000;
      const topic = topics[i % topics.length] as string;
      const timeout = rng() < 0.1;
      const tweetId = String(10_000_000 + i);
      const { lastInsertRowid } = insertDraft.run(
        account,
        topic,
        `hash-${i}`,
        decidedAt,
        timeout ? 'timeout' : 'moderator',
        1_200,
        300,
        900,
        createdAt,
        postedAt,
      );
      insertPublication.run(lastInsertRowid, account, JSON.stringify([tweetId]), tweetId, postedAt, decidedAt, postedAt);
      insertPost.run(
        account,
        lastInsertRowid,
        tweetId,
        postedAt,
        postedAt,
        Math.floor(rng() * 50),
        Math.floor(rng() * 10),
        Math.floor(rng() * 8),
        Math.floor(rng() * 3),
        Math.floor(rng() * 2_000),
      );
      insertRun.run(account, lastInsertRowid, topic, 1_200, 300, createdAt, createdAt + 5_000);
    }
    // Decisions that did not publish, so every counter has something to count.
    for (let i = 0; i < 20_000; i++) {
      const createdAt = NOW - Math.floor(rng() * SPAN_DAYS * DAY);
      const status = i % 2 === 0 ? 'rejected' : 'expired';
      other.run(
        accounts[i % accounts.length],
        topics[i % topics.length],
        `other-${i}`,
        status,
        createdAt + 3_600_000,
        status === 'rejected' ? 'moderator' : 'timeout',
        createdAt,
        createdAt,
      );
    }
  })();
  return (performance.now() - started) / 1000;
}

function statsOf(db: TempDatabase, accountId: string): StatsService {
  return new StatsService({
    stats: new TypeOrmStatsRepository(db.dataSource, accountId),
    // Every account has the seeded topics' averages here: only the all-time per-topic lines read them.
    topics: db.repos.topics,
    clock: { now: () => NOW },
    pricing: PRICING,
    timezone: TIMEZONE,
  });
}

describe('/stats over several accounts on a big history', () => {
  it(`GIVEN ${POSTS.toLocaleString('en')} posts spread over ${FIVE_ACCOUNTS.length} accounts THEN one account's /stats reply, and the reply covering every account (a report each, their total, one chart series per account), are timed per period`, async () => {
    const db = await openTempDatabase();
    try {
      const fillSeconds = await fill(db, FIVE_ACCOUNTS);
      // The raw rows went in without the bot's writes: the rollups /stats reads are rebuilt from them.
      await rebuildAllRollups(db.dataSource, () => TIMEZONE);
      const accounts = FIVE_ACCOUNTS.map((id) => ({ label: id, stats: statsOf(db, id), dryRun: false }));
      const ctx = { renderStatsChart, config: { posting: { timezone: TIMEZONE } } };
      await buildAccountsStatsReply(ctx, accounts, '7d');
      // One account's reply (the account option or its channel names it): its fifth of the posts among everyone's.
      const oneId = FIVE_ACCOUNTS[1];
      const one = { stats: statsOf(db, oneId), renderStatsChart, config: { posting: { timezone: TIMEZONE, dryRun: false } } };
      await buildStatsReply(one, '7d', { account: oneId });

      for (const period of PERIODS) {
        const oneTimings: number[] = [];
        let oneLast: Awaited<ReturnType<typeof buildStatsReply>> | undefined;
        for (let i = 0; i < RUNS_PER_PERIOD; i++) {
          const started = performance.now();
          oneLast = await buildStatsReply(one, period, { account: oneId });
          oneLast.embed.toJSON();
          oneTimings.push(performance.now() - started);
        }
        const o = summarise(oneTimings);
        report(
          `stats-reply-one-of-${FIVE_ACCOUNTS.length}-accounts-${period}`,
          {
            posts: POSTS,
            accounts: FIVE_ACCOUNTS.length,
            runs: RUNS_PER_PERIOD,
            medianMs: o.median,
            p95Ms: o.p95,
            maxMs: o.max,
            pngBytes: oneLast?.chart.length ?? 0,
            fillSeconds,
          },
          `no slower than stats-reply-${period}`,
        );
        expect(oneLast?.chart.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        if (period === 'all') expect(oneLast?.report.publications.publications).toBe(POSTS / FIVE_ACCOUNTS.length);

        const timings: number[] = [];
        let last: Awaited<ReturnType<typeof buildAccountsStatsReply>> | undefined;
        for (let i = 0; i < RUNS_PER_PERIOD; i++) {
          const started = performance.now();
          last = await buildAccountsStatsReply(ctx, accounts, period);
          for (const e of last.embeds) e.toJSON();
          timings.push(performance.now() - started);
        }
        const s = summarise(timings);
        report(
          `stats-reply-${FIVE_ACCOUNTS.length}-accounts-${period}`,
          {
            posts: POSTS,
            accounts: FIVE_ACCOUNTS.length,
            runs: RUNS_PER_PERIOD,
            medianMs: s.median,
            p95Ms: s.p95,
            maxMs: s.max,
            pngBytes: last?.chart.length ?? 0,
            fillSeconds,
          },
          `no slower than stats-reply-${period}`,
        );
        expect(last?.chart.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        expect(last?.embeds).toHaveLength(1 + FIVE_ACCOUNTS.length);
        if (period === 'all') {
          expect(last?.total.publications.publications).toBe(POSTS);
          expect(last?.total.drafts.generated).toBe(POSTS + 20_000);
          expect(last?.reports.map((r) => r.publications.publications)).toEqual(FIVE_ACCOUNTS.map(() => POSTS / FIVE_ACCOUNTS.length));
        }
      }
    } finally {
      await db.close();
    }
  });
});
