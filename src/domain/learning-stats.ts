import { DAY_MS } from './rate-limits.js';
import { countedMedian, type CountedValue } from './median.js';

/**
 * What /stats shows of learning (issue 15 §5): approval rates and median engagement by topic and
 * by content type, and the approval rate per week. Pure: the service hands in counts and figures.
 */

/** The weekly approval chart covers this many ISO weeks, the current (partial) one included. */
export const APPROVAL_CHART_WEEKS = 12;

/**
 * The local day (src/domain/local-day.ts) of the Monday that starts the ISO week of `day`. A
 * local day number is a calendar date, so a DST change inside the week moves nothing: the week is
 * the account's own, whatever its offset from UTC. Day 0 (1970-01-01) was a Thursday.
 */
export function isoWeekStartDay(day: number): number {
  return day - ((((day + 3) % 7) + 7) % 7);
}

/** The calendar date of a local day, as UTC midnight epoch ms: for labels, whatever the zone. */
export function localDayDate(day: number): Date {
  return new Date(day * DAY_MS);
}

/** Moderator approvals / moderator decisions; null when nobody decided (never a misleading 0 %). */
export function approvalRate(approved: number, rejected: number): number | null {
  const decisions = approved + rejected;
  return decisions > 0 ? approved / decisions : null;
}

/** Moderator decisions counted on one local day. */
export interface DayDecisions {
  readonly day: number;
  /** Approved by a moderator, as written or after an edit. */
  readonly approved: number;
  /** Rejected by a moderator. */
  readonly rejected: number;
}

/** One ISO week of the approval chart. */
export interface WeekApproval {
  /** The local day of its Monday. */
  readonly weekStart: number;
  readonly approved: number;
  readonly rejected: number;
  /** approved + rejected: 0 means no data for that week, not 0 %. */
  readonly decisions: number;
  /** null when the week had no decision. */
  readonly approvalRate: number | null;
}

/**
 * The last `weeks` ISO weeks up to the one holding `today` (a local day), oldest first, each with
 * the decisions of its days. Weeks without any decision are kept (the chart shows the gap), with
 * a null rate. Days outside the weeks are ignored.
 */
export function weeklyApproval(days: readonly DayDecisions[], today: number, weeks = APPROVAL_CHART_WEEKS): WeekApproval[] {
  const lastWeek = isoWeekStartDay(today);
  const firstWeek = lastWeek - (weeks - 1) * 7;
  const sums = Array.from({ length: weeks }, (_, i) => ({ weekStart: firstWeek + i * 7, approved: 0, rejected: 0 }));
  for (const d of days) {
    const sum = sums[(isoWeekStartDay(d.day) - firstWeek) / 7];
    if (!sum) continue;
    sum.approved += d.approved;
    sum.rejected += d.rejected;
  }
  return sums.map((s) => ({ ...s, decisions: s.approved + s.rejected, approvalRate: approvalRate(s.approved, s.rejected) }));
}

/** The first local day the weekly chart reads: the Monday `weeks - 1` weeks before today's week. */
export function firstChartDay(today: number, weeks = APPROVAL_CHART_WEEKS): number {
  return isoWeekStartDay(today) - (weeks - 1) * 7;
}

/** Moderator decisions of one (topic, content type) over a period. */
export interface DecisionCounts {
  readonly topicName: string;
  readonly contentType: string;
  readonly approved: number;
  readonly rejected: number;
}

/** One published draft's engagement (engagementOf: the 7-day figure, else the 24-hour one). */
export interface EngagementSample {
  readonly topicName: string;
  readonly contentType: string;
  readonly engagement: number;
  /** How many drafts of this topic and content type had exactly this figure (default 1). */
  readonly drafts?: number;
}

/** One line of the by-topic or by-content-type table. */
export interface LearningLine {
  readonly name: string;
  readonly approved: number;
  readonly rejected: number;
  readonly approvalRate: number | null;
  /** Published drafts with an engagement figure in the period, and their median; null without any. */
  readonly measured: number;
  readonly medianEngagement: number | null;
}

/**
 * The table lines grouped by `by` (topic or content type): decisions added up, engagement
 * medians over the samples of the group. Busiest first (most decisions, then most measured),
 * then by name, so the order is stable.
 */
export function learningLines(decisions: readonly DecisionCounts[], samples: readonly EngagementSample[], by: 'topicName' | 'contentType'): LearningLine[] {
  const groups = new Map<string, { approved: number; rejected: number; measured: number; values: CountedValue[] }>();
  const group = (name: string) => {
    let g = groups.get(name);
    if (!g) {
      g = { approved: 0, rejected: 0, measured: 0, values: [] };
      groups.set(name, g);
    }
    return g;
  };
  for (const d of decisions) {
    if (d.approved === 0 && d.rejected === 0) continue;
    const g = group(d[by]);
    g.approved += d.approved;
    g.rejected += d.rejected;
  }
  // Each sample is a figure and how many drafts had it: the median is taken over the counts, not
  // over a list with every draft's figure (thousands a month, for a few hundred distinct figures).
  for (const s of samples) {
    const g = group(s[by]);
    const count = s.drafts ?? 1;
    g.measured += count;
    g.values.push({ value: s.engagement, count });
  }
  return [...groups.entries()]
    .map(([name, g]) => ({
      name,
      approved: g.approved,
      rejected: g.rejected,
      approvalRate: approvalRate(g.approved, g.rejected),
      measured: g.measured,
      medianEngagement: countedMedian(g.values),
    }))
    .sort((a, b) => b.approved + b.rejected - (a.approved + a.rejected) || b.measured - a.measured || a.name.localeCompare(b.name));
}
