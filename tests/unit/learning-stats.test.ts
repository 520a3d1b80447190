import { describe, expect, it } from 'vitest';
import { localDayOf } from '../../src/domain/local-day.js';
import { mulberry32 } from '../support/seeded-random.js';
import {
  approvalRate,
  firstChartDay,
  isoWeekStartDay,
  learningLines,
  localDayDate,
  weeklyApproval,
  type DecisionCounts,
  type EngagementSample,
} from '../../src/domain/learning-stats.js';

const at = (iso: string) => Date.parse(iso);

describe('learning stats: approval rates, medians and ISO weeks', () => {
  it('GIVEN local days of every weekday THEN each maps to the Monday that starts its ISO week', () => {
    // 2026-11-23 is a Monday, 2026-11-29 the Sunday that ends its week.
    const monday = Date.UTC(2026, 10, 23) / 86_400_000;
    for (let i = 0; i < 7; i++) expect(isoWeekStartDay(monday + i)).toBe(monday);
    expect(isoWeekStartDay(monday + 7)).toBe(monday + 7);
    expect(isoWeekStartDay(monday - 1)).toBe(monday - 7);
    // Before 1970 too (negative day numbers).
    expect(localDayDate(isoWeekStartDay(-10)).getUTCDay()).toBe(1);
  });

  it('GIVEN decisions around the end of DST in Berlin and New York THEN each counts in the local ISO week, not the UTC one', () => {
    // Berlin: clocks go back on Sunday 25 Oct 2026. Monday 26 Oct 00:30 local is still Sunday in UTC.
    const berlinMondayEarly = at('2026-10-25T23:30:00Z');
    // New York: clocks go back on Sunday 1 Nov 2026. Sunday 1 Nov 22:00 local is already Monday in UTC.
    const newYorkSundayLate = at('2026-11-02T03:00:00Z');
    const today = localDayOf(at('2026-11-05T12:00:00Z'), 'Europe/Berlin');

    const berlin = weeklyApproval([{ day: localDayOf(berlinMondayEarly, 'Europe/Berlin'), approved: 1, rejected: 0 }], today);
    const berlinWeek = berlin.find((w) => w.decisions > 0);
    expect(
      localDayDate(berlinWeek?.weekStart ?? 0)
        .toISOString()
        .slice(0, 10),
    ).toBe('2026-10-26');
    // Bucketed in UTC it would have been the week before.
    expect(
      localDayDate(isoWeekStartDay(localDayOf(berlinMondayEarly, 'UTC')))
        .toISOString()
        .slice(0, 10),
    ).toBe('2026-10-19');

    const newYork = weeklyApproval([{ day: localDayOf(newYorkSundayLate, 'America/New_York'), approved: 0, rejected: 1 }], today);
    const newYorkWeek = newYork.find((w) => w.decisions > 0);
    expect(
      localDayDate(newYorkWeek?.weekStart ?? 0)
        .toISOString()
        .slice(0, 10),
    ).toBe('2026-10-26');
    expect(
      localDayDate(isoWeekStartDay(localDayOf(newYorkSundayLate, 'UTC')))
        .toISOString()
        .slice(0, 10),
    ).toBe('2026-11-02');

    // Twelve Mondays, seven calendar days apart across the DST change (not 168 hours).
    expect(berlin).toHaveLength(12);
    for (const [i, w] of berlin.entries()) {
      expect(localDayDate(w.weekStart).getUTCDay()).toBe(1);
      if (i > 0) expect(w.weekStart - (berlin[i - 1]?.weekStart ?? 0)).toBe(7);
    }
    expect(berlin.at(-1)?.weekStart).toBe(isoWeekStartDay(today));
    expect(firstChartDay(today)).toBe(berlin[0]?.weekStart);
  });

  it('GIVEN weeks without decisions THEN they are kept with 0 decisions and no rate (no data), not 0 %; days outside the 12 weeks are ignored', () => {
    const today = Date.UTC(2026, 10, 25) / 86_400_000; // a Wednesday
    const weeks = weeklyApproval(
      [
        { day: today, approved: 3, rejected: 1 },
        { day: today - 1, approved: 0, rejected: 2 },
        { day: today - 14, approved: 0, rejected: 4 },
        { day: today - 7 * 20, approved: 9, rejected: 9 },
      ],
      today,
    );
    expect(weeks).toHaveLength(12);
    expect(weeks.at(-1)).toMatchObject({ approved: 3, rejected: 3, decisions: 6, approvalRate: 0.5 });
    expect(weeks.at(-2)).toMatchObject({ decisions: 0, approvalRate: null });
    expect(weeks.at(-3)).toMatchObject({ approved: 0, rejected: 4, decisions: 4, approvalRate: 0 });
    expect(weeks.reduce((sum, w) => sum + w.decisions, 0)).toBe(10);
    expect(weeklyApproval([], today).every((w) => w.decisions === 0 && w.approvalRate === null)).toBe(true);
  });

  it('GIVEN decisions and engagement of several topics and types THEN the lines give approval rates and medians (odd and even counts) per topic and per type', () => {
    const decisions: DecisionCounts[] = [
      { topicName: 'safety', contentType: 'education', approved: 3, rejected: 1 },
      { topicName: 'safety', contentType: 'meme', approved: 1, rejected: 1 },
      { topicName: 'memes', contentType: 'meme', approved: 0, rejected: 2 },
      { topicName: 'quiet', contentType: 'education', approved: 0, rejected: 0 },
    ];
    const samples: EngagementSample[] = [
      { topicName: 'safety', contentType: 'education', engagement: 10 },
      { topicName: 'safety', contentType: 'education', engagement: 2 },
      { topicName: 'safety', contentType: 'meme', engagement: 7 },
      { topicName: 'memes', contentType: 'meme', engagement: 100 },
      { topicName: 'memes', contentType: 'meme', engagement: 1 },
      { topicName: 'memes', contentType: 'meme', engagement: 4 },
    ];
    expect(learningLines(decisions, samples, 'topicName')).toEqual([
      { name: 'safety', approved: 4, rejected: 2, approvalRate: 4 / 6, measured: 3, medianEngagement: 7 },
      { name: 'memes', approved: 0, rejected: 2, approvalRate: 0, measured: 3, medianEngagement: 4 },
    ]);
    expect(learningLines(decisions, samples, 'contentType')).toEqual([
      { name: 'meme', approved: 1, rejected: 3, approvalRate: 0.25, measured: 4, medianEngagement: 5.5 },
      { name: 'education', approved: 3, rejected: 1, approvalRate: 0.75, measured: 2, medianEngagement: 6 },
    ]);
    // Engagement without any decision in the period still gets a line, with no rate.
    expect(learningLines([], [{ topicName: 'late', contentType: 'meme', engagement: 3 }], 'topicName')).toEqual([
      { name: 'late', approved: 0, rejected: 0, approvalRate: null, measured: 1, medianEngagement: 3 },
    ]);
    expect(approvalRate(0, 0)).toBeNull();
    // Samples grouped by figure (the repository counts the drafts of each): the same medians as one sample a draft.
    const grouped: EngagementSample[] = [
      { topicName: 'safety', contentType: 'education', engagement: 2, drafts: 3 },
      { topicName: 'safety', contentType: 'education', engagement: 10, drafts: 2 },
      { topicName: 'safety', contentType: 'meme', engagement: 7, drafts: 1 },
    ];
    expect(learningLines([], grouped, 'contentType')).toEqual([
      { name: 'education', approved: 0, rejected: 0, approvalRate: null, measured: 5, medianEngagement: 2 },
      { name: 'meme', approved: 0, rejected: 0, approvalRate: null, measured: 1, medianEngagement: 7 },
    ]);
    expect(learningLines([], grouped, 'topicName')).toEqual([
      { name: 'safety', approved: 0, rejected: 0, approvalRate: null, measured: 6, medianEngagement: 4.5 },
    ]);
  });
});

describe('learning lines from counted samples', () => {
  it('GIVEN a random month of drafts, given once as one sample a draft and once counted per figure THEN every line (counts and medians) is the same', () => {
    const rng = mulberry32(1617);
    const topics = ['safety', 'memes', 'quiet'];
    const types = ['education', 'meme'];
    for (let round = 0; round < 50; round++) {
      const perDraft: EngagementSample[] = Array.from({ length: Math.floor(rng() * 80) }, () => ({
        topicName: topics[Math.floor(rng() * topics.length)] as string,
        contentType: types[Math.floor(rng() * types.length)] as string,
        engagement: Math.floor(rng() * 15),
      }));
      const counted = new Map<string, EngagementSample & { drafts: number }>();
      for (const s of perDraft) {
        const key = `${s.topicName}|${s.contentType}|${s.engagement}`;
        const c = counted.get(key) ?? { ...s, drafts: 0 };
        c.drafts += 1;
        counted.set(key, c);
      }
      for (const by of ['topicName', 'contentType'] as const) {
        expect(learningLines([], [...counted.values()], by)).toEqual(learningLines([], perDraft, by));
      }
    }
  });
});

describe('the weekly approval chart', () => {
  const monday = Date.UTC(2026, 10, 23) / 86_400_000;
  const weeks = [monday - 14, monday - 7, monday];

  it('GIVEN a week without decisions THEN its rate is a gap (null, not 0), it is labelled "no data", and the bars are the decisions', async () => {
    const { approvalChartConfig, renderApprovalChart } = await import('../../src/adapters/chart/stats-chart.js');
    const input = { title: 'Approval rate by week', weeks, accounts: [{ label: 'main', decisions: [4, 0, 2], approvalRates: [0.75, null, 0] }] };
    const config = approvalChartConfig(input);
    expect(config.data.labels).toEqual(['09 Nov', '16 Nov', '23 Nov']);
    const [bars, line] = config.data.datasets;
    expect(bars).toMatchObject({ type: 'bar', label: 'Moderator decisions', data: [4, 0, 2], yAxisID: 'decisions' });
    expect(line).toMatchObject({ type: 'line', label: 'Approval rate %', data: [75, null, 0], yAxisID: 'approval', spanGaps: false });
    expect((config.options?.plugins as { draftgateNoData?: { weeks: boolean[] } }).draftgateNoData?.weeks).toEqual([false, true, false]);
    const png = await renderApprovalChart(input);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  });

  it('GIVEN two accounts THEN each has its own bars and line, and a week is "no data" only when neither decided', async () => {
    const { approvalChartConfig } = await import('../../src/adapters/chart/stats-chart.js');
    const config = approvalChartConfig({
      title: 't',
      weeks,
      accounts: [
        { label: 'main', decisions: [1, 0, 0], approvalRates: [1, null, null] },
        { label: 'news', decisions: [0, 3, 0], approvalRates: [null, 1 / 3, null] },
      ],
    });
    expect(config.data.datasets.map((d) => d.label)).toEqual(['main: decisions', 'news: decisions', 'main: approval %', 'news: approval %']);
    expect(config.data.datasets[3]?.data).toEqual([null, 33.3, null]);
    expect((config.options?.plugins as { draftgateNoData?: { weeks: boolean[] } }).draftgateNoData?.weeks).toEqual([false, false, true]);
  });
});

describe('StatsService.learningReport: which figures each period reads', () => {
  it('GIVEN 24h THEN the decisions come from the raw drafts of the last 24 hours; GIVEN 7d THEN from the rollups of the last 7 local days; the medians and weeks read the same start', async () => {
    const { StatsService } = await import('../../src/services/stats-service.js');
    const now = Date.parse('2026-11-25T12:00:00Z');
    const calls: string[] = [];
    const decisions = [{ topicName: 'safety', contentType: 'safety', approved: 2, rejected: 1 }];
    const stats = {
      decisionsByTopicAndType: async (since: number) => (calls.push(`raw ${since}`), decisions),
      rollupDecisionsByTopicAndType: async (fromDay: number | null) => (calls.push(`rollups ${fromDay}`), decisions),
      rollupDecisionDays: async (fromDay: number) => (calls.push(`days ${fromDay}`), [{ day: localDayOf(now, 'Europe/Berlin'), approved: 2, rejected: 1 }]),
      engagementSamples: async (since: number | null) => (calls.push(`samples ${since}`), [{ topicName: 'safety', contentType: 'safety', engagement: 5 }]),
    };
    const service = new StatsService({
      stats: stats as never,
      topics: { list: async () => [] },
      clock: { now: () => now },
      pricing: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      timezone: 'Europe/Berlin',
    });
    const today = localDayOf(now, 'Europe/Berlin');

    const day = await service.learningReport('24h');
    expect(calls.splice(0)).toEqual([`raw ${now - 86_400_000}`, `samples ${now - 86_400_000}`, `days ${firstChartDay(today)}`]);
    expect(day).toMatchObject({ since: now - 86_400_000, approved: 2, rejected: 1, approvalRate: 2 / 3, timezone: 'Europe/Berlin' });
    expect(day.byTopic).toEqual([{ name: 'safety', approved: 2, rejected: 1, approvalRate: 2 / 3, measured: 1, medianEngagement: 5 }]);
    expect(day.weeks.at(-1)).toMatchObject({ decisions: 3 });

    const week = await service.learningReport('7d');
    // Local midnight in Berlin (UTC+1) six days before today.
    const since = Date.parse('2026-11-18T23:00:00Z');
    expect(calls.splice(0)).toEqual([`rollups ${today - 6}`, `samples ${since}`, `days ${firstChartDay(today)}`]);
    expect(week.since).toBe(since);

    // All time for the rates (sums of rollups), the last 30 local days for the medians (one row
    // per draft): the same drafts as 30d, from local midnight in Berlin (UTC+1 since 25 October).
    const all = await service.learningReport('all');
    const thirtyDays = Date.parse('2026-10-26T23:00:00Z');
    expect(calls.splice(0)).toEqual(['rollups null', `samples ${thirtyDays}`, `days ${firstChartDay(today)}`]);
    expect(all).toMatchObject({ since: null, medianSince: thirtyDays });
    expect((await service.learningReport('30d')).medianSince).toBe(thirtyDays);
  });
});
