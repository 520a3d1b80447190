import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { buildStatsReply } from '../commands/stats.js';
import { renderStatsChart } from '../src/adapters/chart/stats-chart.js';
import { TypeOrmStatsRepository } from '../src/db/repositories/stats.repository.js';
import { StatsService, type StatsPeriod } from '../src/services/stats-service.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { rebuildAllRollups } from '../src/db/index.js';
import { openTempDatabase } from '../tests/support/temp-database.js';
import { report, summarise } from './report.js';

const POSTS = 100_000;
const RUNS_PER_PERIOD = 40;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
/** The history spans about three years, so "all" has to bucket its chart. */
const SPAN_DAYS = 1_100;

describe('/stats on a big history', () => {
  it(`GIVEN ${POSTS.toLocaleString('en')} posts with matching drafts THEN building the /stats reply (aggregates + chart PNG) is timed per period`, async () => {
    const db = await openTempDatabase();
    try {
      const rng = mulberry32(606);
      // The seeded topics, so the all-time per-topic averages come from the real topics table.
      const TOPICS = (await db.repos.topics.list()).map((t) => t.name);
      for (const [i, t] of (await db.repos.topics.list()).entries()) await db.repos.topics.setAverageEngagement(t.id, 20 + i, 1_000, 0);
      const fillStarted = performance.now();
      // Bulk load through the raw better-sqlite3 handle: one transaction, prepared statements.
      const raw = (db.dataSource.driver as unknown as { databaseConnection: import('better-sqlite3').Database }).databaseConnection;
      const insertDraft = raw.prepare(
        `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, decided_at, decision_source,
                             input_tokens, output_tokens, cache_read_tokens, created_at, updated_at)
         VALUES (?, 'education', 'tweet', '["text"]', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      // Published: an approved draft whose publication went out.
      const insertPublication = raw.prepare(
        `INSERT INTO publications (draft_id, account_id, status, cost_usd, published_at, root_tweet_id, created_at, updated_at)
         VALUES (?, 'default', 'published', ?, ?, ?, ?, ?)`,
      );
      const insertPost = raw.prepare(
        `INSERT INTO posts (draft_id, tweet_id, content, content_type, status, created_at, posted_at, likes, retweets, replies, quotes, impressions, thread_position)
         VALUES (?, ?, 'text', 'education', 'posted', ?, ?, ?, ?, ?, ?, ?, 0)`,
      );
      const insertRun = raw.prepare(
        `INSERT INTO generation_runs (trigger, outcome, draft_id, topic_name, attempts, input_tokens, output_tokens, started_at, finished_at)
         VALUES ('schedule', 'created', ?, ?, 1, ?, ?, ?, ?)`,
      );
      raw.transaction(() => {
        for (let i = 0; i < POSTS; i++) {
          // Decided within 2 hours and posted a minute later, all before NOW.
          const createdAt = NOW - 3 * 3_600_000 - Math.floor(rng() * SPAN_DAYS * DAY);
          const decidedAt = createdAt + Math.floor(rng() * 2 * 3_600_000);
          const postedAt = decidedAt + 60_000;
          const topic = TOPICS[i % TOPICS.length] as string;
          const timeout = rng() < 0.1;
          const { lastInsertRowid } = insertDraft.run(
            topic,
            `hash-${i}`,
            'approved',
            decidedAt,
            timeout ? 'timeout' : 'moderator',
            1_200,
            300,
            900,
            createdAt,
            postedAt,
          );
          insertPublication.run(lastInsertRowid, 0.015, postedAt, String(10_000_000 + i), decidedAt, postedAt);
          insertPost.run(
            lastInsertRowid,
            String(10_000_000 + i),
            postedAt,
            postedAt,
            Math.floor(rng() * 50),
            Math.floor(rng() * 10),
            Math.floor(rng() * 8),
            Math.floor(rng() * 3),
            Math.floor(rng() * 2_000),
          );
          insertRun.run(lastInsertRowid, topic, 1_200, 300, createdAt, createdAt + 5_000);
        }
        // Decisions that did not publish, so every counter has something to count.
        const other = raw.prepare(
          `INSERT INTO drafts (topic_name, content_type, kind, tweets, content_hash, status, decided_at, decision_source, created_at, updated_at)
           VALUES (?, 'education', 'tweet', '["text"]', ?, ?, ?, ?, ?, ?)`,
        );
        for (let i = 0; i < 20_000; i++) {
          const createdAt = NOW - Math.floor(rng() * SPAN_DAYS * DAY);
          const status = i % 2 === 0 ? 'rejected' : 'expired';
          other.run(
            TOPICS[i % TOPICS.length],
            `other-${i}`,
            status,
            createdAt + 3_600_000,
            status === 'rejected' ? 'moderator' : 'timeout',
            createdAt,
            createdAt,
          );
        }
      })();
      // The raw rows went in without the bot's writes: the rollups /stats reads are rebuilt from them.
      await rebuildAllRollups(db.dataSource, () => 'Europe/Berlin');
      const fillSeconds = (performance.now() - fillStarted) / 1000;

      const ctx = {
        stats: new StatsService({
          stats: new TypeOrmStatsRepository(db.dataSource),
          topics: db.repos.topics,
          clock: { now: () => NOW },
          pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
          timezone: 'Europe/Berlin',
        }),
        renderStatsChart,
        config: { posting: { timezone: 'Europe/Berlin', dryRun: false } },
      };
      // Warm-up: chart.js and the canvas build their caches on the first draw.
      await buildStatsReply(ctx, '7d');

      for (const period of ['24h', '7d', '30d', 'all'] as StatsPeriod[]) {
        const timings: number[] = [];
        let last: Awaited<ReturnType<typeof buildStatsReply>> | undefined;
        for (let i = 0; i < RUNS_PER_PERIOD; i++) {
          const started = performance.now();
          last = await buildStatsReply(ctx, period);
          last.embed.toJSON();
          timings.push(performance.now() - started);
        }
        const s = summarise(timings);
        report(
          `stats-reply-${period}`,
          { posts: POSTS, runs: RUNS_PER_PERIOD, medianMs: s.median, p95Ms: s.p95, maxMs: s.max, pngBytes: last?.chart.length ?? 0, fillSeconds },
          '< 100 ms',
        );
        // Correctness, not speed: a real PNG and the counts the fill implies.
        expect(last?.chart.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
        // A blank 800x400 PNG is about 1.3 KB; bars, lines and labels make it many times that.
        expect(last?.chart.length).toBeGreaterThan(8_000);
        if (period === 'all') {
          expect(last?.report.publications.publications).toBe(POSTS);
          expect(last?.report.drafts.generated).toBe(POSTS + 20_000);
          expect(last?.report.series.buckets.length).toBeLessThanOrEqual(61);
        }
      }
    } finally {
      await db.close();
    }
  });
});
