import { median } from '../domain/median.js';
import {
  approvalRate,
  firstChartDay,
  learningLines,
  weeklyApproval,
  type DecisionCounts,
  type LearningLine,
  type WeekApproval,
} from '../domain/learning-stats.js';
import { utcOffsetAt } from '../domain/time-zone.js';
import { localDayOf, nextMonth, startOfLocalDay } from '../domain/local-day.js';
import { addCounts, sumCounts } from '../domain/counters.js';
import { DAY_MS, HOUR_MS } from '../domain/rate-limits.js';
import type { TokenUsage } from '../domain/generation.js';
import type {
  BucketBounds,
  Clock,
  DraftOutcomeCounts,
  PublicationTotals,
  RollupDay,
  StatsRepository,
  TopicDraftCounts,
  TopicEngagement,
  TopicRepository,
} from './ports.js';

/** The periods /stats offers; a contract with the slash command's choices. */
export const STATS_PERIODS = ['24h', '7d', '30d', 'all'] as const;
export type StatsPeriod = (typeof STATS_PERIODS)[number];

const PERIOD_MS: Record<Exclude<StatsPeriod, 'all'>, number> = { '24h': 24 * HOUR_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS };

/** The chart never shows more bars than this; longer spans are bucketed by several days. */
export const MAX_CHART_BUCKETS = 60;

export interface DailyBucket {
  /** Epoch ms of the bucket's start (local midnight). */
  readonly start: number;
  readonly publications: number;
  readonly engagement: number;
}

export interface AnthropicPricing {
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export interface TopicStatsLine {
  readonly topicName: string;
  readonly generated: number;
  readonly approved: number;
  readonly rejected: number;
  /** Publications of this topic in the period, and their summed engagement. */
  readonly publications: number;
  readonly engagement: number;
  /** approved / (approved + rejected), null when nothing was decided. */
  readonly approvalRate: number | null;
  /** Mean engagement per publication, null without publications. */
  readonly avgEngagement: number | null;
}

/** Everything /stats shows for one period. */
export interface StatsReport {
  readonly period: StatsPeriod;
  readonly since: number | null;
  readonly until: number;
  readonly drafts: DraftOutcomeCounts;
  /** Moderator approvals / moderator decisions; null when none. */
  readonly approvalRate: number | null;
  readonly medianDecisionMs: number | null;
  readonly publications: PublicationTotals;
  readonly engagementTotal: number;
  readonly topics: readonly TopicStatsLine[];
  readonly tokens: TokenUsage & { readonly runs: number };
  readonly anthropicSpendUsd: number;
  readonly xSpendUsd: number;
  readonly series: { readonly bucketMs: number; readonly buckets: readonly DailyBucket[] };
}

/**
 * What /stats view:learning shows of one account (issue 15 §5): approval rate and median
 * engagement by topic and by content type over the period, and the approval rate of the last 12
 * ISO weeks of its TIMEZONE.
 */
export interface LearningReport {
  readonly period: StatsPeriod;
  /** Start of the period (null: all time): drafts created since count in the rates, drafts decided since in the medians. */
  readonly since: number | null;
  /** Start of the medians' drafts: the period's, or the last MEDIAN_MAX_DAYS local days for "all". */
  readonly medianSince: number;
  readonly until: number;
  /** The zone the days and weeks are the account's local ones of. */
  readonly timezone: string;
  readonly approved: number;
  readonly rejected: number;
  /** Moderator approvals / moderator decisions over the period; null when none. */
  readonly approvalRate: number | null;
  readonly byTopic: readonly LearningLine[];
  readonly byContentType: readonly LearningLine[];
  /** Oldest first; a week with 0 decisions has no rate (no data). */
  readonly weeks: readonly WeekApproval[];
}

/**
 * The medians of /stats view:learning for "all" cover this many local days, today included: the
 * same drafts as "30d". A median needs one figure per draft (it cannot be summed into a rollup
 * exactly); 90 days of them at a million posts took about 16 ms an account, 80 ms for five.
 */
export const MEDIAN_MAX_DAYS = 30;

/** Thrown for a period /stats does not know; the message lists the allowed ones. */
export class InvalidStatsPeriodError extends Error {
  constructor(readonly period: string) {
    super(`Unknown period "${period}". Allowed: ${STATS_PERIODS.join(', ')}.`);
    this.name = 'InvalidStatsPeriodError';
  }
}

export function parseStatsPeriod(value: string | null | undefined): StatsPeriod {
  if (value === null || value === undefined || value === '') return '7d';
  if ((STATS_PERIODS as readonly string[]).includes(value)) return value as StatsPeriod;
  throw new InvalidStatsPeriodError(value);
}

/** Estimated Anthropic spend in USD from token counts and per-million-token prices. */
export function anthropicSpendUsd(tokens: TokenUsage, pricing: AnthropicPricing): number {
  return (
    (tokens.inputTokens * pricing.input +
      tokens.outputTokens * pricing.output +
      tokens.cacheReadTokens * pricing.cacheRead +
      tokens.cacheCreationTokens * pricing.cacheWrite) /
    1_000_000
  );
}

/**
 * The chart's buckets: local days (or groups of days for long spans) from the period's start to
 * `until`, the first one clipped to `since`, so the buckets' totals are the period's totals.
 */
export function chartBuckets(since: number | null, firstAt: number, until: number, timezone: string): { bucketMs: number; buckets: BucketBounds[] } {
  const from = since ?? firstAt;
  // So day buckets start at local midnight.
  const offsetMs = utcOffsetAt(until, timezone);
  const spanDays = Math.max(1, Math.ceil((until - from) / DAY_MS) + 1);
  const bucketMs = Math.ceil(spanDays / MAX_CHART_BUCKETS) * DAY_MS;
  const buckets: BucketBounds[] = [];
  let start = Math.floor((from + offsetMs) / bucketMs) * bucketMs - offsetMs;
  while (start <= until) {
    // "all" has no lower bound: the first bucket takes everything before it too.
    const lower = buckets.length === 0 ? (since ?? 0) : start;
    buckets.push({ start, from: lower, to: start + bucketMs });
    start += bucketMs;
  }
  const last = buckets[buckets.length - 1];
  if (last) buckets[buckets.length - 1] = { ...last, to: until + 1 };
  return { bucketMs, buckets };
}

/** The periods read from the rollups, in local days (today included). */
const ROLLUP_PERIOD_DAYS: Record<Exclude<StatsPeriod, '24h' | 'all'>, number> = { '7d': 7, '30d': 30 };

/**
 * The chart's series from the rollups' days: one bar per local day from `firstDay` to `today`,
 * or, for long spans, per group of days (aligned on multiples of the group, at most
 * MAX_CHART_BUCKETS bars), each starting at its local midnight.
 */
export function rollupSeries(firstDay: number, today: number, days: readonly RollupDay[], timezone: string): StatsReport['series'] {
  const from = Math.min(firstDay, today);
  const bucketDays = Math.ceil((today - from + 1) / MAX_CHART_BUCKETS);
  const firstBucket = Math.floor(from / bucketDays) * bucketDays;
  const buckets: Array<{ start: number; publications: number; engagement: number }> = [];
  for (let day = firstBucket; day <= today; day += bucketDays) buckets.push({ start: startOfLocalDay(day, timezone), publications: 0, engagement: 0 });
  for (const d of days) {
    const bucket = buckets[Math.floor((d.day - firstBucket) / bucketDays)];
    if (!bucket || d.day < firstBucket) continue;
    bucket.publications += d.publications;
    bucket.engagement += d.engagement;
  }
  return { bucketMs: bucketDays * DAY_MS, buckets };
}

/**
 * The chart's series of "all" over a long history, from the monthly rollups: one bar per calendar
 * month from `months[0]` to today's month (or per group of `k` months when there are more than
 * MAX_CHART_BUCKETS), each starting at its local midnight. `bucketMs` is the nominal width (k × 30
 * days): the chart labels buckets of 28 days or more by month and year.
 */
export function monthlySeries(months: readonly RollupDay[], today: number, timezone: string): StatsReport['series'] {
  const first = months[0]?.day;
  if (first === undefined) return { bucketMs: DAY_MS, buckets: [] };
  const starts: number[] = [];
  for (let month = first; month <= today; month = nextMonth(month)) starts.push(month);
  const perBucket = Math.ceil(starts.length / MAX_CHART_BUCKETS);
  const buckets: Array<{ start: number; publications: number; engagement: number }> = [];
  for (let i = 0; i < starts.length; i += perBucket) buckets.push({ start: startOfLocalDay(starts[i] as number, timezone), publications: 0, engagement: 0 });
  const index = new Map(starts.map((month, i) => [month, Math.floor(i / perBucket)]));
  for (const m of months) {
    const bucket = buckets[index.get(m.day) ?? -1];
    if (!bucket) continue;
    bucket.publications += m.publications;
    bucket.engagement += m.engagement;
  }
  return { bucketMs: perBucket * 30 * DAY_MS, buckets };
}

const ZERO_DRAFTS: DraftOutcomeCounts = { generated: 0, approvedByModerator: 0, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0 };
const ZERO_TOKENS: StatsReport['tokens'] = { runs: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };

const ZERO_TOTALS: PublicationTotals = { publications: 0, dryRunPublications: 0, tweets: 0, likes: 0, retweets: 0, replies: 0, quotes: 0, impressions: 0 };

const addTotals = (a: PublicationTotals, b: PublicationTotals): PublicationTotals => addCounts(a, b);

const engagementOf = (t: PublicationTotals) => t.likes + t.retweets + t.replies + t.quotes;

/**
 * /stats: draft outcomes, approval rate, time to decision, publications and engagement, topics,
 * Anthropic tokens with their estimated cost, and X spend, all through SQL aggregates.
 *
 * Per-topic engagement for a bounded period joins the period's posts to their drafts; for "all"
 * that join would touch every post, so it uses the topics' average engagement the engagement
 * refresh maintains (the same figure /topics list shows and topic selection uses).
 */
export class StatsService {
  constructor(
    private readonly deps: {
      readonly stats: StatsRepository;
      readonly topics: Pick<TopicRepository, 'list'>;
      readonly clock: Clock;
      readonly pricing: AnthropicPricing;
      readonly timezone: string;
    },
  ) {}

  async report(period: StatsPeriod): Promise<StatsReport> {
    return (await this.reportWithChart(period, null)).report;
  }

  /**
   * The report plus a chart of its series. The series is queried first and handed to
   * `renderChart` at once, so a renderer that encodes off the main thread (the PNG encoder of
   * @napi-rs/canvas does) works while the other aggregates run. `options.timezone` buckets the
   * series in another zone than this service's: several accounts' series on one chart need the
   * same days.
   */
  async reportWithChart<C>(
    period: StatsPeriod,
    renderChart: ((series: StatsReport['series']) => Promise<C>) | null,
    options: { readonly timezone?: string } = {},
  ): Promise<{ report: StatsReport; chart: C | null }> {
    if (period !== '24h') return this.reportFromRollups(period, renderChart);
    // The last 24 hours from the raw rows, each query a range of an index on time.
    const { stats, clock, pricing } = this.deps;
    const timezone = options.timezone ?? this.deps.timezone;
    const until = clock.now();
    const since: number | null = until - PERIOD_MS[period];
    const firstAt = since;
    const { bucketMs, buckets } = chartBuckets(since, firstAt, until, timezone);

    const bucketTotals = await stats.publicationTotals(buckets);
    const series = {
      bucketMs,
      buckets: buckets.map((b, i): DailyBucket => {
        const totals = bucketTotals[i] ?? ZERO_TOTALS;
        return { start: b.start, publications: totals.publications, engagement: engagementOf(totals) };
      }),
    };
    const chart = renderChart ? renderChart(series) : null;
    // Not awaited yet: a rejected chart must not go unhandled while the queries below run.
    chart?.catch(() => undefined);

    const byTopic = await stats.draftsByTopic(since);
    const durations = await stats.moderatorDecisionDurations(since);
    const tokens = await stats.tokenUsage(since);
    const xSpendUsd = await stats.xSpendUsd(since);
    const engagement = since === null ? await this.allTimeTopicEngagement(byTopic) : await stats.topicEngagement(since);

    const drafts = byTopic.reduce<DraftOutcomeCounts>(
      (sum, t) =>
        addCounts(sum, {
          generated: t.generated,
          approvedByModerator: t.approvedByModerator,
          rejected: t.rejected,
          expired: t.expired,
          publishedAtTimeout: t.publishedAtTimeout,
          pending: t.pending,
        }),
      { generated: 0, approvedByModerator: 0, rejected: 0, expired: 0, publishedAtTimeout: 0, pending: 0 },
    );
    const publications = bucketTotals.reduce(addTotals, ZERO_TOTALS);
    const engagementByName = new Map(engagement.map((e) => [e.topicName, e]));
    const names = new Set([...byTopic.map((t) => t.topicName), ...engagement.filter((e) => e.publications > 0).map((e) => e.topicName)]);
    const topics = [...names]
      .map((topicName): TopicStatsLine => {
        const counts = byTopic.find((t) => t.topicName === topicName);
        const approved = counts?.approvedByModerator ?? 0;
        const rejected = counts?.rejected ?? 0;
        const e = engagementByName.get(topicName);
        return {
          topicName,
          generated: counts?.generated ?? 0,
          approved,
          rejected,
          publications: e?.publications ?? 0,
          engagement: e?.engagement ?? 0,
          approvalRate: approved + rejected > 0 ? approved / (approved + rejected) : null,
          avgEngagement: e && e.publications > 0 ? e.engagement / e.publications : null,
        };
      })
      .sort((a, b) => b.generated - a.generated || a.topicName.localeCompare(b.topicName));
    const decided = drafts.approvedByModerator + drafts.rejected;
    const report: StatsReport = {
      period,
      since,
      until,
      drafts,
      approvalRate: decided > 0 ? drafts.approvedByModerator / decided : null,
      medianDecisionMs: median(durations),
      publications,
      engagementTotal: engagementOf(publications),
      topics,
      tokens,
      anthropicSpendUsd: anthropicSpendUsd(tokens, pricing),
      xSpendUsd,
      series,
    };
    return { report, chart: chart ? await chart : null };
  }

  /**
   * 7d, 30d and all from the rollups only: the last 7 or 30 LOCAL days of the account's
   * TIMEZONE, today included (since = the local midnight starting the first), or every day. Each
   * figure is a sum over a few hundred rollup rows, whatever the history's size. The median
   * decision time cannot be summed: it is the last 24 hours' (raw rows, read through the decision
   * index by time), and the reply says so. Days are the account's own: a series asked for in
   * another zone (several accounts on one chart) keeps them.
   */
  private async reportFromRollups<C>(
    period: Exclude<StatsPeriod, '24h'>,
    renderChart: ((series: StatsReport['series']) => Promise<C>) | null,
  ): Promise<{ report: StatsReport; chart: C | null }> {
    const { stats, clock, pricing, timezone } = this.deps;
    const until = clock.now();
    const today = localDayOf(until, timezone);
    const fromDay = period === 'all' ? null : today - ROLLUP_PERIOD_DAYS[period] + 1;
    const series = fromDay === null ? await this.allTimeSeries(today) : rollupSeries(fromDay, today, await stats.rollupDailySeries(fromDay), timezone);
    const chart = renderChart ? renderChart(series) : null;
    // Not awaited yet: a rejected chart must not go unhandled while the queries below run.
    chart?.catch(() => undefined);

    const sums = await stats.rollupTopicSums(fromDay);
    const durations = await stats.moderatorDecisionDurations(until - PERIOD_MS['24h']);
    const drafts = sums.reduce<DraftOutcomeCounts>(
      (sum, { drafts: d }) =>
        addCounts(sum, {
          generated: d.generated,
          approvedByModerator: d.approvedByModerator,
          rejected: d.rejected,
          expired: d.expired,
          publishedAtTimeout: d.publishedAtTimeout,
          pending: d.pending,
        }),
      ZERO_DRAFTS,
    );
    const publications = sums.map((s) => s.totals).reduce(addTotals, ZERO_TOTALS);
    const tokens = sums.reduce<StatsReport['tokens']>((sum, s) => addCounts(sum, s.tokens), ZERO_TOKENS);
    const topics = sums
      // '' holds the posts without a draft and the runs without a topic: no topic line.
      .filter((s) => s.topicName !== '' && (s.drafts.generated > 0 || s.totals.publications > 0))
      .map((s): TopicStatsLine => {
        const approved = s.drafts.approvedByModerator;
        const rejected = s.drafts.rejected;
        const engagement = engagementOf(s.totals);
        return {
          topicName: s.topicName,
          generated: s.drafts.generated,
          approved,
          rejected,
          publications: s.totals.publications,
          engagement,
          approvalRate: approved + rejected > 0 ? approved / (approved + rejected) : null,
          avgEngagement: s.totals.publications > 0 ? engagement / s.totals.publications : null,
        };
      })
      .sort((a, b) => b.generated - a.generated || a.topicName.localeCompare(b.topicName));
    const decided = drafts.approvedByModerator + drafts.rejected;
    const report: StatsReport = {
      period,
      since: fromDay === null ? null : startOfLocalDay(fromDay, timezone),
      until,
      drafts,
      approvalRate: decided > 0 ? drafts.approvedByModerator / decided : null,
      medianDecisionMs: median(durations),
      publications,
      engagementTotal: engagementOf(publications),
      topics,
      tokens,
      anthropicSpendUsd: anthropicSpendUsd(tokens, pricing),
      xSpendUsd: sums.reduce((sum, s) => sum + s.xSpendUsd, 0),
      series,
    };
    return { report, chart: chart ? await chart : null };
  }

  /**
   * /stats view:learning. The decisions come from the rollups (moderator approvals, edited or
   * not, vs rejections, by the drafts' creation days; the deadline's outcomes are not decisions),
   * except for 24h, which the daily rollups cannot cut and the drafts' time index reads. The
   * medians need one figure per draft: the learning signals of the drafts decided in the period
   * (one index range). The weekly chart sums 12 weeks of rollup days.
   */
  async learningReport(period: StatsPeriod): Promise<LearningReport> {
    const { stats, clock, timezone } = this.deps;
    const until = clock.now();
    const today = localDayOf(until, timezone);
    let since: number | null;
    let decisions: DecisionCounts[];
    if (period === '24h') {
      since = until - PERIOD_MS['24h'];
      decisions = await stats.decisionsByTopicAndType(since);
    } else {
      const fromDay = period === 'all' ? null : today - ROLLUP_PERIOD_DAYS[period] + 1;
      since = fromDay === null ? null : startOfLocalDay(fromDay, timezone);
      decisions = await stats.rollupDecisionsByTopicAndType(fromDay);
    }
    // "all" would read every draft ever published for one median: the medians of "all" cover
    // the last MEDIAN_MAX_DAYS local days, so /stats never scans the history (issue 16).
    const medianSince = since ?? startOfLocalDay(today - MEDIAN_MAX_DAYS + 1, timezone);
    const samples = await stats.engagementSamples(medianSince);
    const days = await stats.rollupDecisionDays(firstChartDay(today));
    const approved = decisions.reduce((sum, d) => sum + d.approved, 0);
    const rejected = decisions.reduce((sum, d) => sum + d.rejected, 0);
    return {
      period,
      since,
      medianSince,
      until,
      timezone,
      approved,
      rejected,
      approvalRate: approvalRate(approved, rejected),
      byTopic: learningLines(decisions, samples, 'topicName'),
      byContentType: learningLines(decisions, samples, 'contentType'),
      weeks: weeklyApproval(days, today),
    };
  }

  /**
   * The chart of "all": days (grouped as rollupSeries does) while the history is short enough to
   * show them, read from the days of the months that have posts; calendar months from the monthly
   * rollups once it spans more than MAX_CHART_BUCKETS days, so "all" never reads every day.
   */
  private async allTimeSeries(today: number): Promise<StatsReport['series']> {
    const { stats, timezone } = this.deps;
    const months = await stats.rollupMonthlySeries();
    const firstMonth = months[0]?.day ?? today;
    if (today - firstMonth + 1 > MAX_CHART_BUCKETS) return monthlySeries(months, today, timezone);
    const days = await stats.rollupDailySeries(firstMonth);
    return rollupSeries(days[0]?.day ?? today, today, days, timezone);
  }

  /** All-time per-topic engagement from the topics table; publications are the published drafts. */
  private async allTimeTopicEngagement(byTopic: readonly TopicDraftCounts[]): Promise<TopicEngagement[]> {
    const averages = new Map((await this.deps.topics.list()).map((t) => [t.name, t.avgEngagement]));
    return byTopic.map((t) => ({ topicName: t.topicName, publications: t.published, engagement: (averages.get(t.topicName) ?? 0) * t.published }));
  }
}

/** Several reports' series on one grid: the buckets every series is added into, and each series' posts per bucket. */
export interface AlignedSeries {
  readonly bucketMs: number;
  /** Totals over every report, per grid bucket. */
  readonly buckets: readonly DailyBucket[];
  /** Per report, in order: its publications per grid bucket. */
  readonly publications: readonly (readonly number[])[];
}

/**
 * Puts several reports' series (same period, same time zone) on one grid, for one chart. For a
 * bounded period they share their buckets. For "all" each report's buckets start at its own first
 * publication, and a long span groups days: the grid is the series that starts first (the widest
 * span, so the coarsest buckets), and every other bucket is added into the grid bucket its start
 * falls in. Nothing is counted twice or dropped: each series' totals are kept.
 */
export function alignSeries(series: readonly StatsReport['series'][]): AlignedSeries {
  const grid = series.reduce<StatsReport['series'] | undefined>((best, s) => {
    const start = s.buckets[0]?.start ?? Infinity;
    const bestStart = best?.buckets[0]?.start ?? Infinity;
    return best === undefined || start < bestStart || (start === bestStart && s.bucketMs > best.bucketMs) ? s : best;
  }, undefined);
  if (grid === undefined || grid.buckets.length === 0) return { bucketMs: grid?.bucketMs ?? DAY_MS, buckets: [], publications: series.map(() => []) };
  const starts = grid.buckets.map((b) => b.start);
  const slot = (start: number) => {
    let index = 0;
    while (index + 1 < starts.length && (starts[index + 1] as number) <= start) index++;
    return index;
  };
  const totals = grid.buckets.map((b) => ({ start: b.start, publications: 0, engagement: 0 }));
  const publications = series.map((s) => {
    const mine = new Array<number>(starts.length).fill(0);
    for (const bucket of s.buckets) {
      const i = slot(bucket.start);
      mine[i] = (mine[i] as number) + bucket.publications;
      const total = totals[i] as { publications: number; engagement: number };
      total.publications += bucket.publications;
      total.engagement += bucket.engagement;
    }
    return mine;
  });
  return { bucketMs: grid.bucketMs, buckets: totals, publications };
}

/**
 * The total of several accounts' reports for one period: counts, engagement, tokens and spend
 * added, rates recomputed from the sums, topics of the same name added together, the series
 * aligned (alignSeries). The median decision time cannot be added up, so it is null: adding
 * the accounts' reports saves querying every account a second time.
 */
export function combineStatsReports(reports: readonly StatsReport[]): StatsReport {
  const first = reports[0];
  if (first === undefined) throw new Error('combineStatsReports needs at least one report');
  const drafts = sumCounts(reports.map((r) => r.drafts));
  const publications = reports.map((r) => r.publications).reduce(addTotals, ZERO_TOTALS);
  const tokens = sumCounts(reports.map((r) => r.tokens));
  const byName = new Map<string, { topicName: string; generated: number; approved: number; rejected: number; publications: number; engagement: number }>();
  for (const t of reports.flatMap((r) => r.topics)) {
    const sum = byName.get(t.topicName) ?? { topicName: t.topicName, generated: 0, approved: 0, rejected: 0, publications: 0, engagement: 0 };
    sum.generated += t.generated;
    sum.approved += t.approved;
    sum.rejected += t.rejected;
    sum.publications += t.publications;
    sum.engagement += t.engagement;
    byName.set(t.topicName, sum);
  }
  const topics = [...byName.values()]
    .map((t): TopicStatsLine => ({
      ...t,
      approvalRate: t.approved + t.rejected > 0 ? t.approved / (t.approved + t.rejected) : null,
      avgEngagement: t.publications > 0 ? t.engagement / t.publications : null,
    }))
    .sort((a, b) => b.generated - a.generated || a.topicName.localeCompare(b.topicName));
  const decided = drafts.approvedByModerator + drafts.rejected;
  const aligned = alignSeries(reports.map((r) => r.series));
  return {
    period: first.period,
    since: first.since,
    until: Math.max(...reports.map((r) => r.until)),
    drafts,
    approvalRate: decided > 0 ? drafts.approvedByModerator / decided : null,
    medianDecisionMs: null,
    publications,
    engagementTotal: engagementOf(publications),
    topics,
    tokens,
    anthropicSpendUsd: reports.reduce((sum, r) => sum + r.anthropicSpendUsd, 0),
    xSpendUsd: reports.reduce((sum, r) => sum + r.xSpendUsd, 0),
    series: { bucketMs: aligned.bucketMs, buckets: aligned.buckets },
  };
}
