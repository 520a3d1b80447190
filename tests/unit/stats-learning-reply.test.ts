import { describe, expect, it } from 'vitest';
import { buildLearningReply } from '../../commands/stats.js';
import { renderApprovalChart } from '../../src/adapters/chart/stats-chart.js';
import { pageEmbeds } from '../../src/adapters/discord/command-sections.js';
import { discordLimitViolations } from '../../src/adapters/discord/draft-card.js';
import type { LearningLine } from '../../src/domain/learning-stats.js';
import type { LearningReport } from '../../src/services/stats-service.js';

const UNTIL = Date.UTC(2026, 10, 25, 11);
const MONDAY = Date.UTC(2026, 10, 23) / 86_400_000;

function report(overrides: Partial<LearningReport> = {}): LearningReport {
  return {
    period: '7d',
    since: UTC_WEEK_AGO,
    medianSince: UTC_WEEK_AGO,
    until: UNTIL,
    timezone: 'Europe/Berlin',
    approved: 0,
    rejected: 0,
    approvalRate: null,
    byTopic: [],
    byContentType: [],
    weeks: Array.from({ length: 12 }, (_, i) => ({ weekStart: MONDAY - (11 - i) * 7, approved: 0, rejected: 0, decisions: 0, approvalRate: null })),
    ...overrides,
  };
}
const UTC_WEEK_AGO = UNTIL - 7 * 86_400_000;

/** Topic names at their longest, full of Markdown and mentions, so escaping makes every line grow. */
function lines(n: number, prefix: string): LearningLine[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `${prefix}${i} @everyone *_~|>`.padEnd(100, '*'),
    approved: 1_000 + i,
    rejected: 2_000,
    approvalRate: (1_000 + i) / (3_000 + i),
    measured: 999,
    medianEngagement: 12_345.6,
  }));
}

const chart = { renderApprovalChart };

describe('/stats view:learning reply', () => {
  it('GIVEN an account without any moderator decision in the period THEN it says so in words, not "– (0 of 0)"', async () => {
    const { embeds } = await buildLearningReply(chart, [{ stats: { learningReport: async () => report() }, dryRun: false }], '7d');
    const [only] = embeds.map((e) => e.toJSON());
    expect(only?.description).toBe('No moderator decisions in the last 7 days incl. today.');
    expect(only?.fields?.map((f) => f.value)).toEqual(['no decisions in this period', 'no decisions in this period']);
  });

  it("GIVEN 5 accounts with many long, Markdown-heavy topics THEN every section names the period, every table line is whole (never cut mid-line), every message stays within Discord's limits and the chart is one PNG well under 10 MiB", async () => {
    const accounts = Array.from({ length: 5 }, (_, a) => ({
      label: `account-${a} (@handle_${a})`,
      stats: {
        learningReport: async () =>
          report({
            period: '30d',
            approved: 5_000,
            rejected: 10_000,
            approvalRate: 1 / 3,
            byTopic: lines(40, `topic ${a}.`),
            byContentType: lines(12, `type ${a}.`),
            weeks: report().weeks.map((w, i) => ({ ...w, approved: i, rejected: 3, decisions: i + 3, approvalRate: i / (i + 3) })),
          }),
      },
      dryRun: a === 4,
    }));
    const { embeds, chart: png } = await buildLearningReply(chart, accounts, '30d');
    const json = embeds.map((e) => e.toJSON());
    expect(json).toHaveLength(5);
    for (const [i, e] of json.entries()) {
      expect(e.title).toContain(`account-${i}`);
      expect(e.title).toContain('last 30 days incl. today');
      expect(discordLimitViolations({ embeds: [e] })).toEqual([]);
      for (const field of e.fields ?? []) {
        for (const line of field.value.split('\n')) expect(line).toMatch(/ · median eng 12345\.6 \(999 posts\)$|^…and \d+ more$/);
      }
    }
    for (const page of pageEmbeds(embeds)) expect(discordLimitViolations({ embeds: page.map((e) => e.toJSON()) })).toEqual([]);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeLessThan(10 * 1024 * 1024);
  });
});
