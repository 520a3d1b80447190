import { AttachmentBuilder, InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction, type EmbedBuilder } from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, count, embed, humanDuration, percent, plain, respond, usd } from '../src/adapters/discord/command-replies.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import { InvalidStatsPeriodError, parseStatsPeriod, STATS_PERIODS, type StatsReport } from '../src/services/stats-service.js';

/** Topics shown in the per-topic table; the busiest first. */
const MAX_TOPICS_SHOWN = 10;
const CHART_FILE = 'stats.png';

const PERIOD_LABEL: Record<(typeof STATS_PERIODS)[number], string> = {
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
  '30d': 'last 30 days',
  all: 'all time',
};

/** What building the /stats reply needs from the context (the bench builds just this). */
export type StatsReplyContext = Pick<CommandContext, 'stats' | 'renderStatsChart'> & {
  readonly config: { readonly posting: { readonly timezone: string; readonly dryRun: boolean } };
};

/** Builds the /stats reply (embed + chart PNG); the bench times exactly this. */
export async function buildStatsReply(
  ctx: StatsReplyContext,
  period: (typeof STATS_PERIODS)[number],
): Promise<{ embed: EmbedBuilder; chart: Buffer; report: StatsReport }> {
  const { report, chart } = await ctx.stats.reportWithChart(period, (series) =>
    ctx.renderStatsChart({
      title: `Posts and engagement, ${PERIOD_LABEL[period]}`,
      buckets: series.buckets,
      bucketMs: series.bucketMs,
      timezone: ctx.config.posting.timezone,
    }),
  );
  if (!chart) throw new Error('the stats chart was not rendered');
  return { embed: renderStats(report, ctx), chart, report };
}

function renderStats(report: StatsReport, ctx: StatsReplyContext): EmbedBuilder {
  const { drafts, publications: p, tokens } = report;
  const reply = embed(COLORS.info, `Stats · ${PERIOD_LABEL[report.period]}${ctx.config.posting.dryRun ? ' · DRY RUN' : ''}`);
  reply.addFields(
    {
      name: 'Drafts',
      value: [
        `Generated **${count(drafts.generated)}** · pending ${count(drafts.pending)}`,
        `Approved **${count(drafts.approvedByModerator)}** · rejected **${count(drafts.rejected)}** · expired **${count(drafts.expired)}**`,
        `Published at timeout **${count(drafts.publishedAtTimeout)}**`,
        `Approval rate **${percent(report.approvalRate)}** · median decision ${report.medianDecisionMs === null ? '–' : humanDuration(report.medianDecisionMs)}`,
      ].join('\n'),
    },
    {
      name: 'Posts',
      value: [
        `Published **${count(p.publications)}**${p.dryRunPublications > 0 ? ` (${count(p.dryRunPublications)} dry run)` : ''} · ${count(p.tweets)} tweets`,
        `Engagement **${count(report.engagementTotal)}**: ❤️ ${count(p.likes)} · 🔁 ${count(p.retweets)} · 💬 ${count(p.replies)} · 🗨️ ${count(p.quotes)}`,
        `Impressions ${count(p.impressions)}`,
      ].join('\n'),
    },
    {
      name: 'Spend',
      value: [
        `Anthropic: ${count(tokens.inputTokens)} in · ${count(tokens.outputTokens)} out · ${count(tokens.cacheReadTokens)} cache read · ${count(tokens.cacheCreationTokens)} cache write tokens`,
        `≈ **${usd(report.anthropicSpendUsd)}** (${count(tokens.runs)} generation runs)`,
        `X: **${usd(report.xSpendUsd)}**`,
      ].join('\n'),
    },
  );
  const topics = report.topics.slice(0, MAX_TOPICS_SHOWN).map((t) => {
    const avg = t.avgEngagement === null ? '–' : (Math.round(t.avgEngagement * 10) / 10).toString();
    return `**${plain(t.topicName)}**: ${percent(t.approvalRate)} approved · avg eng ${avg} · ${t.generated} drafts`;
  });
  if (report.topics.length > MAX_TOPICS_SHOWN) topics.push(`…and ${report.topics.length - MAX_TOPICS_SHOWN} more`);
  reply.addFields({ name: 'Topics', value: topics.length > 0 ? topics.join('\n').slice(0, 1024) : 'no drafts in this period' });
  reply.setImage(`attachment://${CHART_FILE}`);
  reply.setTimestamp(report.until);
  return reply;
}

/** /stats [period]: counts, rates, engagement, spend and a chart of posts and engagement per day. */
export const stats: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Show drafts, approvals, posts, engagement and spend, with a chart')
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o
        .setName('period')
        .setDescription('The period to report (default 7d)')
        .setRequired(false)
        .addChoices(...STATS_PERIODS.map((p) => ({ name: p, value: p }))),
    ),

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
    let period;
    try {
      period = parseStatsPeriod(interaction.options.getString('period'));
    } catch (error) {
      if (error instanceof InvalidStatsPeriodError) throw new UserError(error.message, { period: error.period });
      throw error;
    }
    // The aggregates and the chart take tens of milliseconds, more on a busy box: defer first.
    await interaction.deferReply();
    const { embed: reply, chart } = await buildStatsReply(ctx, period);
    await respond(interaction, [reply], { files: [new AttachmentBuilder(chart, { name: CHART_FILE, description: 'Posts and engagement per day' })] });
  },
};
