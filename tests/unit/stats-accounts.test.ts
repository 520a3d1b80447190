import { describe, expect, it } from 'vitest';
import { renderStatsChart, statsChartConfig, type StatsChartInput } from '../../src/adapters/chart/stats-chart.js';
import { alignSeries, combineStatsReports, StatsService, type DailyBucket } from '../../src/services/stats-service.js';
import type { BucketBounds, PublicationTotals, StatsRepository, TopicDraftCounts } from '../../src/services/ports.js';
import { monthOfDay } from '../../src/domain/local-day.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-25T12:00:00Z');
const PRICING = { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 };

const bucket = (start: number, publications: number, engagement = publications * 10): DailyBucket => ({ start, publications, engagement });

/** A stats repository over fixed numbers: posts at given times, drafts per topic, decision durations. */
function fakeStats(input: {
  posts: Array<{ at: number; engagement: number }>;
  topics: TopicDraftCounts[];
  durations: number[];
  tokens: number;
  xUsd: number;
}): StatsRepository {
  const totals = (from: number, to: number): PublicationTotals => {
    const inRange = input.posts.filter((p) => p.at >= from && p.at < to);
    return {
      publications: inRange.length,
      dryRunPublications: 0,
      tweets: inRange.length,
      likes: inRange.reduce((sum, p) => sum + p.engagement, 0),
      retweets: 0,
      replies: 0,
      quotes: 0,
      impressions: 0,
    };
  };
  return {
    draftsByTopic: async () => input.topics,
    moderatorDecisionDurations: async () => input.durations,
    publicationTotals: async (buckets: readonly BucketBounds[]) => buckets.map((b) => totals(b.from, b.to)),
    topicEngagement: async () => [],
    tokenUsage: async () => ({ runs: 1, inputTokens: input.tokens, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 }),
    xSpendUsd: async () => input.xUsd,
    firstPublicationAt: async () => (input.posts.length > 0 ? Math.min(...input.posts.map((p) => p.at)) : null),
    // The rollups of the same numbers (days in UTC, as these services count them): the drafts
    // under their topics, the posts, tokens and spend under '' (no topic line).
    rollupDailySeries: async (fromDay) => {
      const days = new Map<number, { day: number; publications: number; engagement: number }>();
      for (const p of input.posts) {
        const day = Math.floor(p.at / DAY);
        if (fromDay !== null && day < fromDay) continue;
        const d = days.get(day) ?? { day, publications: 0, engagement: 0 };
        d.publications += 1;
        d.engagement += p.engagement;
        days.set(day, d);
      }
      return [...days.values()].sort((x, y) => x.day - y.day);
    },
    rollupMonthlySeries: async () => {
      const months = new Map<number, { day: number; publications: number; engagement: number }>();
      for (const p of input.posts) {
        const day = monthOfDay(Math.floor(p.at / DAY));
        const d = months.get(day) ?? { day, publications: 0, engagement: 0 };
        d.publications += 1;
        d.engagement += p.engagement;
        months.set(day, d);
      }
      return [...months.values()].sort((x, y) => x.day - y.day);
    },
    // The learning view (issue 15) is not what these tests read.
    rollupDecisionsByTopicAndType: async () => [],
    decisionsByTopicAndType: async () => [],
    rollupDecisionDays: async () => [],
    engagementSamples: async () => [],
    rollupTopicSums: async (fromDay) => {
      const none = { publications: 0, dryRunPublications: 0, tweets: 0, likes: 0, retweets: 0, replies: 0, quotes: 0, impressions: 0 };
      const noTokens = { runs: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
      const noDrafts = { generated: 0, approvedByModerator: 0, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0, published: 0 };
      const since = fromDay === null ? -Infinity : fromDay * DAY;
      return [
        ...input.topics.map(({ topicName, ...drafts }) => ({ topicName, drafts, totals: none, xSpendUsd: 0, tokens: noTokens })),
        {
          topicName: '',
          drafts: noDrafts,
          totals: totals(since, Infinity),
          xSpendUsd: input.xUsd,
          tokens: { ...noTokens, runs: 1, inputTokens: input.tokens },
        },
      ];
    },
  };
}

const topicCounts = (topicName: string, generated: number, approved: number, rejected: number): TopicDraftCounts => ({
  topicName,
  generated,
  approvedByModerator: approved,
  rejected,
  expired: 0,
  publishedAtTimeout: 0,
  pending: generated - approved - rejected,
  published: approved,
});

function service(repo: StatsRepository, timezone = 'UTC'): StatsService {
  return new StatsService({ stats: repo, topics: { list: async () => [] }, clock: { now: () => NOW }, pricing: PRICING, timezone });
}

describe('/stats over several accounts: the total and the chart series', () => {
  it('GIVEN two accounts of the same period THEN the total adds counts, engagement, tokens and spend, recomputes the rates, adds topics by name, and has no median', async () => {
    const a = await service(
      fakeStats({ posts: [{ at: NOW - DAY, engagement: 5 }], topics: [topicCounts('safety', 4, 2, 1)], durations: [60_000], tokens: 1_000_000, xUsd: 0.01 }),
    ).report('7d');
    const b = await service(
      fakeStats({
        posts: [
          { at: NOW - 2 * DAY, engagement: 7 },
          { at: NOW - 3 * DAY, engagement: 1 },
        ],
        topics: [topicCounts('safety', 2, 1, 1), topicCounts('memes', 3, 0, 3)],
        durations: [120_000],
        tokens: 2_000_000,
        xUsd: 0.02,
      }),
    ).report('7d');
    const total = combineStatsReports([a, b]);
    expect(total.drafts).toMatchObject({ generated: 9, approvedByModerator: 3, rejected: 5 });
    expect(total.approvalRate).toBeCloseTo(3 / 8);
    expect(total.publications.publications).toBe(3);
    expect(total.engagementTotal).toBe(13);
    expect(total.tokens.inputTokens).toBe(3_000_000);
    expect(total.tokens.runs).toBe(2);
    expect(total.anthropicSpendUsd).toBeCloseTo(9);
    expect(total.xSpendUsd).toBeCloseTo(0.03);
    expect(total.medianDecisionMs).toBeNull();
    expect(total.topics.map((t) => [t.topicName, t.generated, t.approved, t.rejected])).toEqual([
      ['safety', 6, 3, 2],
      ['memes', 3, 0, 3],
    ]);
    // The series is the sum of both, bucket by bucket.
    expect(total.series.buckets.map((x) => x.publications)).toEqual(a.series.buckets.map((x, i) => x.publications + (b.series.buckets[i]?.publications ?? 0)));
    expect(total.series.buckets.reduce((sum, x) => sum + x.engagement, 0)).toBe(13);
  });

  it('GIVEN "all" for accounts whose histories start on different days and span different lengths THEN their series share the grid of the earliest one and nothing is dropped or counted twice', () => {
    // The old account: 3-day buckets from day 0; the new one: daily buckets from day 10.
    const old = { bucketMs: 3 * DAY, buckets: [bucket(0, 1), bucket(3 * DAY, 2), bucket(6 * DAY, 0), bucket(9 * DAY, 4), bucket(12 * DAY, 1)] };
    const young = { bucketMs: DAY, buckets: [bucket(10 * DAY, 1), bucket(11 * DAY, 2), bucket(12 * DAY, 3), bucket(13 * DAY, 5)] };
    const aligned = alignSeries([young, old]);
    expect(aligned.bucketMs).toBe(3 * DAY);
    expect(aligned.buckets.map((b) => b.start)).toEqual(old.buckets.map((b) => b.start));
    expect(aligned.publications[0]).toEqual([0, 0, 0, 3, 8]);
    expect(aligned.publications[1]).toEqual([1, 2, 0, 4, 1]);
    expect(aligned.buckets.map((b) => b.publications)).toEqual([1, 2, 0, 7, 9]);
    const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
    expect(sum(aligned.buckets.map((b) => b.engagement))).toBe(
      10 * (sum(old.buckets.map((b) => b.publications)) + sum(young.buckets.map((b) => b.publications))),
    );
  });

  // The last 24 h (raw rows) can be bucketed in any zone. The longer periods read the rollups,
  // which are kept by the account's own local days: their days are always the account's.
  it("GIVEN a 24 h report bucketed in another time zone than its service THEN its days start at that zone's midnight", async () => {
    const repo = fakeStats({ posts: [], topics: [], durations: [], tokens: 0, xUsd: 0 });
    const { report } = await service(repo, 'Asia/Tokyo').reportWithChart('24h', null, { timezone: 'UTC' });
    expect(report.series.buckets.slice(1).every((b) => b.start % DAY === 0)).toBe(true);
    const { report: tokyo } = await service(repo, 'Asia/Tokyo').reportWithChart('24h', null);
    expect(tokyo.series.buckets.slice(1).every((b) => (b.start + 9 * 3_600_000) % DAY === 0)).toBe(true);
  });
});

describe('the /stats chart', () => {
  const buckets = [bucket(NOW - 2 * DAY, 3), bucket(NOW - DAY, 1), bucket(NOW, 2)];
  const base: StatsChartInput = { title: 'Posts and engagement, last 7 days', buckets, bucketMs: DAY, timezone: 'UTC' };

  it('GIVEN one account THEN the chart has the one posts series and the engagement line, unstacked, as before accounts', () => {
    for (const input of [base, { ...base, accounts: [{ label: 'default', publications: [3, 1, 2] }] }]) {
      const config = statsChartConfig(input);
      expect(config.data.datasets.map((d) => [d.type, d.label, d.data])).toEqual([
        ['bar', 'Posts', [3, 1, 2]],
        ['line', 'Engagement', [30, 10, 20]],
      ]);
      expect(config.options?.scales?.['posts']).toMatchObject({ stacked: false });
    }
  });

  it('GIVEN three accounts THEN the chart has one stacked posts series per account, each its own colour, and one engagement line over all', () => {
    const config = statsChartConfig({
      ...base,
      accounts: [
        { label: 'main (@main)', publications: [1, 0, 1] },
        { label: 'news', publications: [2, 0, 0] },
        { label: 'alerts', publications: [0, 1, 1] },
      ],
    });
    const bars = config.data.datasets.filter((d) => d.type === 'bar');
    expect(bars.map((d) => [d.label, d.data, (d as { stack?: string }).stack])).toEqual([
      ['main (@main)', [1, 0, 1], 'posts'],
      ['news', [2, 0, 0], 'posts'],
      ['alerts', [0, 1, 1], 'posts'],
    ]);
    expect(new Set(bars.map((d) => d.backgroundColor)).size).toBe(3);
    const lines = config.data.datasets.filter((d) => d.type === 'line');
    expect(lines.map((d) => [d.label, d.data])).toEqual([['Engagement (all accounts)', [30, 10, 20]]]);
    expect(config.options?.scales?.['posts']).toMatchObject({ stacked: true });
    expect(config.options?.scales?.['x']).toMatchObject({ stacked: true });
  });

  it('GIVEN three accounts THEN the chart renders to a PNG', async () => {
    const png = await renderStatsChart({ ...base, accounts: ['a', 'b', 'c'].map((label, i) => ({ label, publications: [i, 1, 0] })) });
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(8_000);
  });
});

describe('/stats all over a long history: calendar months from the monthly rollups', () => {
  const none = { topics: [], durations: [], tokens: 0, xUsd: 0 };

  it('GIVEN posts over 200 days WHEN /stats all is built THEN the chart has one bar per calendar month from the first post, at local midnight, labelled by month and year, and keeps every post', async () => {
    const posts = Array.from({ length: 200 }, (_, i) => ({ at: NOW - i * DAY, engagement: i % 3 }));
    const report = await service(fakeStats({ posts, ...none }), 'Europe/Berlin').report('all');
    // 2026-05-09 .. 2026-11-25: May to November.
    expect(report.series.buckets.map((b) => new Date(b.start + 12 * 3_600_000).toISOString().slice(0, 10))).toEqual([
      '2026-05-01',
      '2026-06-01',
      '2026-07-01',
      '2026-08-01',
      '2026-09-01',
      '2026-10-01',
      '2026-11-01',
    ]);
    // Local midnight in Berlin (UTC+2 in summer).
    expect(report.series.buckets[1]?.start).toBe(Date.parse('2026-05-31T22:00:00Z'));
    expect(report.series.buckets.reduce((sum, b) => sum + b.publications, 0)).toBe(200);
    expect(report.series.buckets.reduce((sum, b) => sum + b.engagement, 0)).toBe(posts.reduce((sum, p) => sum + p.engagement, 0));
    expect(report.series.buckets.at(-1)?.publications).toBe(25);
    const config = statsChartConfig({ title: 't', buckets: report.series.buckets, bucketMs: report.series.bucketMs, timezone: 'Europe/Berlin' });
    expect(config.data.labels?.slice(0, 2)).toEqual(['May 2026', 'Jun 2026']);
  });

  it('GIVEN posts over ten years WHEN /stats all is built THEN months are grouped so the chart keeps at most 60 bars, and every post', async () => {
    const posts = Array.from({ length: 400 }, (_, i) => ({ at: NOW - i * 9 * DAY, engagement: 1 }));
    const report = await service(fakeStats({ posts, ...none })).report('all');
    expect(report.series.buckets.length).toBeLessThanOrEqual(60);
    expect(report.series.bucketMs).toBe(2 * 30 * DAY);
    expect(report.series.buckets.reduce((sum, b) => sum + b.publications, 0)).toBe(400);
  });

  it('GIVEN posts over 20 days of one month WHEN /stats all is built THEN the chart still has one bar per day', async () => {
    const posts = Array.from({ length: 20 }, (_, i) => ({ at: NOW - i * DAY, engagement: 1 }));
    const report = await service(fakeStats({ posts, ...none })).report('all');
    expect(report.series.bucketMs).toBe(DAY);
    expect(report.series.buckets).toHaveLength(20);
  });
});
