import { afterEach, describe, expect, it } from 'vitest';
import {
  createRepositories,
  monthlyOf,
  rebuildAllRollups,
  readMonthlyRollups,
  readRollups,
  recomputeRollups,
  type Repositories,
  type RollupRow,
} from '../../src/db/index.js';
import { execute } from '../../src/db/sql.js';
import { DAY_MS, HOUR_MS } from '../../src/domain/rate-limits.js';
import { localDayOf, monthOfDay } from '../../src/domain/local-day.js';
import { StatsService } from '../../src/services/stats-service.js';
import { TypeOrmStatsRepository } from '../../src/db/repositories/stats.repository.js';
import { learningLines, type EngagementSample } from '../../src/domain/learning-stats.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { mulberry32, pick } from '../support/seeded-random.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

/** Three accounts in three zones: DST in Europe and America inside the history, and a +5:45 offset. */
const ZONES: Record<string, string> = { default: 'Europe/Berlin', news: 'America/New_York', alerts: 'Asia/Kathmandu' };
const zoneOf = (accountId: string) => ZONES[accountId] ?? 'UTC';
const START = Date.parse('2026-10-01T00:00:00Z');
const TOPICS = ['education', 'safety', 'meme'] as const;
const MOD = { id: '1200000000000000401', name: 'mod' };
const PRICING = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

/** x_cost_usd is a floating sum: compared to a billionth of a dollar, everything else exactly. */
const rounded = (rows: readonly RollupRow[]) => rows.map((r) => ({ ...r, x_cost_usd: Math.round(r.x_cost_usd * 1e9) / 1e9 }));

interface Open {
  readonly id: number;
  readonly revision: number;
}

/**
 * A seeded history driven through the real repositories, as the services call them: drafts
 * created, decided (by a moderator or at timeout), approvals undone, publications claimed and
 * published with their tweets recorded (threads, dry runs, a duplicate record), engagement
 * refreshed again and again, generation runs. Time moves forward by random steps across DST changes.
 */
async function driveHistory(db: TempDatabase, seed: number, steps: number): Promise<void> {
  const rng = mulberry32(seed);
  // Its own sequence, so the image descriptions (issue 14) leave the rest of the history as it was.
  const imageRng = mulberry32(seed + 1);
  const repos: Record<string, Repositories> = Object.fromEntries(
    Object.keys(ZONES).map((id) => [id, createRepositories(db.dataSource, undefined, id as Repositories['accountId'], undefined, zoneOf(id))]),
  );
  const pending = new Map<string, Open[]>(Object.keys(ZONES).map((id) => [id, []]));
  const queued = new Map<string, number[]>(Object.keys(ZONES).map((id) => [id, []]));
  const posted = new Map<string, string[]>(Object.keys(ZONES).map((id) => [id, []]));
  let now = START;
  let n = 0;
  for (let step = 0; step < steps; step++) {
    now += Math.floor(rng() * 5 * HOUR_MS);
    const accountId = pick(rng, Object.keys(ZONES));
    const r = repos[accountId] as Repositories;
    const roll = rng();
    n += 1;
    if (roll < 0.25) {
      const topic = pick(rng, TOPICS);
      const draft = await r.drafts.create(newTweetDraft(`history ${seed} ${n} ${topic}`, { topicName: topic, contentType: topic }), now);
      pending.get(accountId)?.push({ id: draft.id, revision: draft.revision });
      const usage = {
        inputTokens: Math.floor(rng() * 5000),
        outputTokens: Math.floor(rng() * 500),
        cacheReadTokens: Math.floor(rng() * 100),
        cacheCreationTokens: 7,
      };
      await r.generationRuns.record({
        trigger: 'schedule',
        outcome: 'created',
        reason: null,
        draftId: draft.id,
        topicName: topic,
        attempts: 1,
        usage,
        startedAt: now - 1000,
        finishedAt: now,
      });
      if (imageRng() < 0.4) {
        // Claude described an image of the draft (Add image): a run of its own, with its tokens.
        await r.generationRuns.record({
          trigger: 'image_description',
          outcome: imageRng() < 0.8 ? 'created' : 'failed',
          reason: null,
          draftId: draft.id,
          topicName: topic,
          attempts: 1,
          usage: { inputTokens: 1200 + Math.floor(imageRng() * 800), outputTokens: Math.floor(imageRng() * 200), cacheReadTokens: 0, cacheCreationTokens: 0 },
          startedAt: now + 500,
          finishedAt: now + 600,
        });
      }
    } else if (roll < 0.3) {
      // A run that made nothing: no topic.
      const usage = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheCreationTokens: 0 };
      // /draft image: describes the image before any draft exists, and the daily avoid notes
      // (issue 15) condense feedback for no draft: neither has a draft or a topic.
      const kind = imageRng();
      await r.generationRuns.record({
        trigger: kind < 0.3 ? 'image_description' : kind < 0.5 ? 'avoid_notes' : 'command',
        outcome: kind >= 0.3 && kind < 0.4 ? 'created' : 'failed',
        reason: 'x',
        draftId: null,
        topicName: null,
        attempts: 2,
        usage,
        startedAt: now,
        finishedAt: now,
      });
    } else if (roll < 0.5) {
      const open = pending.get(accountId) as Open[];
      const draft = open.splice(Math.floor(rng() * open.length), 1)[0];
      if (!draft) continue;
      const to = pick(rng, ['approved', 'approved', 'rejected', 'expired'] as const);
      const source = to === 'rejected' ? 'moderator' : pick(rng, ['moderator', 'timeout'] as const);
      expect(await r.drafts.decide(draft.id, draft.revision, { to, source, actor: MOD }, now)).toBe(true);
      if (to === 'approved') queued.get(accountId)?.push(draft.id);
    } else if (roll < 0.55) {
      // An approval undone (/queue unschedule): the draft is pending again.
      const list = queued.get(accountId) as number[];
      const id = list.splice(Math.floor(rng() * list.length), 1)[0];
      if (id === undefined) continue;
      expect(await r.publicationCalendar.unschedule(id, null, now + DAY_MS, now)).toBe(true);
      const draft = await r.drafts.findById(id);
      pending.get(accountId)?.push({ id, revision: draft?.revision ?? 1 });
    } else if (roll < 0.75) {
      const list = queued.get(accountId) as number[];
      const id = list.splice(Math.floor(rng() * list.length), 1)[0];
      if (id === undefined) continue;
      const fence = { owner: 'test', attemptId: `attempt-${n}` };
      expect(await r.publications.claimForPublishing(id, fence.owner, fence.attemptId, now, 60_000)).not.toBeNull();
      const draft = await r.drafts.findById(id);
      const parts = rng() < 0.3 ? 3 : 1;
      const dryRun = rng() < 0.2;
      const ids = Array.from({ length: parts }, (_, i) => `${dryRun ? 'dryrun-' : ''}${accountId}-${id}-${i}`);
      for (const [i, tweetId] of ids.entries()) {
        const tweet = {
          draftId: id,
          tweetId,
          content: `part ${i}`,
          contentType: (draft?.contentType ?? 'education') as 'education',
          isThread: parts > 1,
          threadId: parts > 1 ? ids[0]! : null,
          threadPosition: i,
          dryRun,
          postedAt: now + i,
        };
        await r.posts.recordPosted(tweet);
        // Recorded twice (a retried attempt): counted once.
        if (rng() < 0.1) await r.posts.recordPosted(tweet);
      }
      expect(await r.publications.markPublished(id, fence, { tweetIds: ids, dryRun, xCostUsd: dryRun ? 0 : 0.01 * parts + rng() / 1000 }, now + parts)).toBe(
        true,
      );
      if (!dryRun) posted.get(accountId)?.push(...ids);
    } else {
      const tweets = posted.get(accountId) as string[];
      if (tweets.length === 0) continue;
      const tweetId = pick(rng, tweets);
      const m = () => Math.floor(rng() * 50);
      await r.posts.updateMetrics(tweetId, { likes: m(), retweets: m(), replies: m(), quotes: m(), impressions: m() * 10 }, now);
    }
  }
}

describe('/stats rollups', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('GIVEN a randomised history of three accounts in three zones driven through the repositories WHEN the rollups are read THEN they equal a full recomputation from the raw rows, and a rebuild writes exactly them', async () => {
    db = await openTempDatabase();
    await driveHistory(db, 16, 700);
    const kept = rounded(await readRollups(db.dataSource));
    const recomputed = rounded(await recomputeRollups(db.dataSource, zoneOf));
    expect(kept.length).toBeGreaterThan(50);
    expect(new Set(kept.map((r) => r.accountId))).toEqual(new Set(Object.keys(ZONES)));
    expect(kept).toEqual(recomputed);
    // Something of every kind happened, so every column was compared.
    for (const column of [
      'drafts_approved',
      'drafts_timeout',
      'drafts_rejected',
      'drafts_expired',
      'drafts_published',
      'dry_run_publications',
      'likes',
      'x_cost_usd',
      'generation_runs',
    ] as const) {
      expect(
        kept.some((r) => r[column] > 0),
        column,
      ).toBe(true);
    }

    // The monthly rollups, kept by the same upserts, are the recomputed days added up by month,
    // over several months (the history crosses month ends in three zones).
    const monthly = rounded(await readMonthlyRollups(db.dataSource));
    expect(monthly).toEqual(rounded(monthlyOf(await recomputeRollups(db.dataSource, zoneOf))));
    expect(new Set(monthly.map((r) => r.day)).size).toBeGreaterThan(1);
    expect(monthly.every((r) => r.day === monthOfDay(r.day))).toBe(true);

    // The rebuild starts from wrong tables and ends with the same rows.
    await execute(db.dataSource, `UPDATE stats_daily SET likes = likes + 1000, drafts_generated = 0`);
    await execute(db.dataSource, `UPDATE stats_monthly SET tweets = tweets + 7, x_cost_usd = 0`);
    await execute(db.dataSource, `INSERT INTO stats_monthly (account_id, month, topic_name, content_type, tweets) VALUES ('default', 1, 'x', 'y', 3)`);
    await rebuildAllRollups(db.dataSource, zoneOf);
    expect(rounded(await readRollups(db.dataSource))).toEqual(kept);
    expect(rounded(await readMonthlyRollups(db.dataSource))).toEqual(monthly);
    // 700 events, each its own transaction: slow-ish on PostgreSQL.
  }, 180_000);

  it('GIVEN a database with history from before the rollups WHEN migrations StatsRollups and StatsMonthlyRollups run THEN they create the daily and monthly rollups from the existing rows, in TIMEZONE, and their downs drop them', async () => {
    db = await openTempDatabase();
    await driveHistory(db, 23, 400);
    const berlinRows = await recomputeRollups(db.dataSource, () => 'Europe/Berlin');
    const berlin = rounded(berlinRows);
    await db.dataSource.undoLastMigration(); // StatsRecentDraftsIndex
    await db.dataSource.undoLastMigration(); // StatsMonthlyRollups
    await expect(db.dataSource.query(`SELECT COUNT(*) AS n FROM stats_monthly`)).rejects.toThrow();
    await db.dataSource.undoLastMigration(); // StatsLearningIndex
    await db.dataSource.undoLastMigration(); // LearningSignals
    await db.dataSource.undoLastMigration(); // DraftMedia
    await db.dataSource.undoLastMigration(); // StatsRollups: the database as the previous version left it
    await expect(db.dataSource.query(`SELECT COUNT(*) AS n FROM stats_daily`)).rejects.toThrow();
    expect(((await db.dataSource.query(`SELECT name FROM migrations`)) as Array<{ name: string }>).map((m) => m.name)).not.toContain(
      'StatsRollups1796083204000',
    );
    const saved = process.env['TIMEZONE'];
    process.env['TIMEZONE'] = 'Europe/Berlin';
    try {
      expect((await db.dataSource.runMigrations()).map((m) => m.name)).toEqual([
        'StatsRollups1796083204000',
        'DraftMedia1796083205000',
        'LearningSignals1796083206000',
        'StatsLearningIndex1796083207000',
        'StatsMonthlyRollups1796083208000',
        'StatsRecentDraftsIndex1796083209000',
      ]);
    } finally {
      if (saved === undefined) delete process.env['TIMEZONE'];
      else process.env['TIMEZONE'] = saved;
    }
    const backfilled = rounded(await readRollups(db.dataSource));
    expect(backfilled.length).toBeGreaterThan(50);
    expect(backfilled).toEqual(berlin);
    // StatsMonthlyRollups adds the months up from those days.
    expect(rounded(await readMonthlyRollups(db.dataSource))).toEqual(rounded(monthlyOf(berlinRows)));
  }, 120_000);

  it('GIVEN a history WHEN /stats 7d, 30d and all are built from the rollups THEN their totals are the raw rows of those local days (today included)', async () => {
    db = await openTempDatabase();
    await driveHistory(db, 7, 300);
    const zone = zoneOf('default');
    const [latest] = (await db.dataSource.query(`SELECT MAX(created_at) AS last FROM drafts WHERE account_id = 'default'`)) as Array<{ last: number }>;
    const now = Number(latest?.last) + HOUR_MS;
    const repos = createRepositories(db.dataSource, undefined, 'default' as Repositories['accountId'], undefined, zone);
    const stats = new StatsService({ stats: repos.stats, topics: repos.topics, clock: { now: () => now }, pricing: PRICING, timezone: zone });
    for (const [period, days] of [
      ['7d', 7],
      ['30d', 30],
      ['all', null],
    ] as const) {
      const report = await stats.report(period);
      const fromDay = days === null ? -Infinity : localDayOf(now, zone) - days + 1;
      const drafts = (await db.dataSource.query(
        `SELECT created_at AS at, status, decision_source AS source FROM drafts WHERE account_id = 'default'`,
      )) as Array<{ at: number; status: string; source: string | null }>;
      const inPeriod = drafts.filter((d) => localDayOf(Number(d.at), zone) >= fromDay);
      expect(report.drafts.generated, period).toBe(inPeriod.length);
      expect(report.drafts.rejected, period).toBe(inPeriod.filter((d) => d.status === 'rejected').length);
      expect(report.drafts.approvedByModerator, period).toBe(inPeriod.filter((d) => d.status === 'approved' && d.source === 'moderator').length);
      const posts = (await db.dataSource.query(
        `SELECT posted_at AS at, thread_position AS pos, likes + retweets + replies + quotes AS eng FROM posts WHERE account_id = 'default' AND status = 'posted'`,
      )) as Array<{ at: number; pos: number; eng: number }>;
      const postsIn = posts.filter((p) => localDayOf(Number(p.at), zone) >= fromDay);
      expect(report.publications.tweets, period).toBe(postsIn.length);
      expect(report.publications.publications, period).toBe(postsIn.filter((p) => Number(p.pos) === 0).length);
      expect(report.engagementTotal, period).toBe(postsIn.reduce((s, p) => s + Number(p.eng), 0));
      expect(
        report.series.buckets.reduce((s, b) => s + b.publications, 0),
        period,
      ).toBe(report.publications.publications);
      expect(
        report.series.buckets.reduce((s, b) => s + b.engagement, 0),
        period,
      ).toBe(report.engagementTotal);
      if (days !== null) {
        expect(report.series.buckets, period).toHaveLength(days);
        expect(report.since, period).toBe(report.series.buckets[0]?.start);
      }
    }
    // 24 h reads the raw rows of the last 24 hours (through indexes on time).
    const day = await stats.report('24h');
    const recent = (await db.dataSource.query(`SELECT COUNT(*) AS n FROM drafts WHERE account_id = 'default' AND created_at >= ${now - DAY_MS}`)) as Array<{
      n: number;
    }>;
    expect(day.drafts.generated).toBe(Number(recent[0]?.n));
  }, 120_000);

  it('GIVEN random learning signals of two accounts (unpublished, dry runs, figures missing, 24-hour and 7-day figures) WHEN the medians are read from the counted samples THEN every line equals the one from a sample per draft of the same period', async () => {
    db = await openTempDatabase();
    const rng = mulberry32(1618);
    const now = Date.parse('2026-11-25T12:00:00Z');
    const rows: Array<{
      accountId: string;
      topicName: string;
      contentType: string;
      decidedAt: number;
      published: boolean;
      dryRun: boolean;
      e24: number | null;
      e7: number | null;
    }> = [];
    for (let draftId = 1; draftId <= 400; draftId++) {
      const row = {
        accountId: pick(rng, ['a', 'b']),
        topicName: pick(rng, ['safety', 'memes', 'education']),
        contentType: pick(rng, ['education', 'meme']),
        decidedAt: now - Math.floor(rng() * 20 * DAY_MS),
        published: rng() < 0.8,
        dryRun: rng() < 0.1,
        e24: rng() < 0.85 ? Math.floor(rng() * (rng() < 0.1 ? 5_000 : 30)) : null,
        e7: rng() < 0.5 ? Math.floor(rng() * 40) : null,
      };
      rows.push(row);
      await execute(
        db.dataSource,
        `INSERT INTO draft_signals (draft_id, account_id, topic_name, content_type, decision, decided_at, tweets, published_at, dry_run, engagement_24h, engagement_7d, created_at, updated_at)
         VALUES (:draftId, :accountId, :topicName, :contentType, 'approved', :decidedAt, '["t"]', :publishedAt, :dryRun, :e24, :e7, :decidedAt, :decidedAt)`,
        { draftId, ...row, publishedAt: row.published ? row.decidedAt + 60_000 : null, dryRun: row.dryRun ? 1 : 0 },
      );
    }
    let compared = 0;
    for (const accountId of ['a', 'b']) {
      const stats = new TypeOrmStatsRepository(db.dataSource, accountId as never);
      for (const since of [null, now - 30 * DAY_MS, now - 7 * DAY_MS, now - DAY_MS, now + DAY_MS]) {
        const perDraft: EngagementSample[] = rows
          .filter((r) => r.accountId === accountId && r.decidedAt >= (since ?? -Infinity) && r.published && !r.dryRun && (r.e7 ?? r.e24) !== null)
          .map((r) => ({ topicName: r.topicName, contentType: r.contentType, engagement: (r.e7 ?? r.e24) as number }));
        const counted = await stats.engagementSamples(since);
        expect(counted.reduce((sum, c) => sum + (c.drafts ?? 1), 0)).toBe(perDraft.length);
        for (const by of ['topicName', 'contentType'] as const) expect(learningLines([], counted, by)).toEqual(learningLines([], perDraft, by));
        compared += perDraft.length;
      }
    }
    expect(compared).toBeGreaterThan(300);
  }, 120_000);
});
