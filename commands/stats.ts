import {
  AttachmentBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type EmbedBuilder,
} from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, count, embed, humanDuration, percent, plain, respond, usd } from '../src/adapters/discord/command-replies.js';
import { accountLabel, allAccountsLine, namesAccounts, respondInPages, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import {
  alignSeries,
  combineStatsReports,
  InvalidStatsPeriodError,
  MEDIAN_MAX_DAYS,
  parseStatsPeriod,
  STATS_PERIODS,
  type StatsPeriod,
  type LearningReport,
  type StatsReport,
  type StatsService,
} from '../src/services/stats-service.js';
import type { LearningLine } from '../src/domain/learning-stats.js';

/** Topics shown in the per-topic table; the busiest first. */
const MAX_TOPICS_SHOWN = 10;
/** Per account when one reply covers several: each section stays small, so several fit a message. */
const MAX_TOPICS_PER_SECTION = 3;
const CHART_FILE = 'stats.png';
const LEARNING_CHART_FILE = 'learning.png';
/** Lines per table (topics, content types) of the learning view: all of one account's, a few per account of several. */
const MAX_LEARNING_LINES = 10;
const MAX_LEARNING_LINES_PER_SECTION = 5;

/** What /stats shows: the default overview, or what the bot learns from the moderators (issue 15 §5). */
export const STATS_VIEWS = ['overview', 'learning'] as const;
export type StatsView = (typeof STATS_VIEWS)[number];

const PERIOD_LABEL: Record<(typeof STATS_PERIODS)[number], string> = {
  '24h': 'last 24 hours',
  // Local days of the account's TIMEZONE, today included: what the rollups are kept by.
  '7d': 'last 7 days incl. today',
  '30d': 'last 30 days incl. today',
  all: 'all time',
};

/** What building the /stats reply of one account needs (the bench builds just this). */
export interface StatsReplyContext {
  readonly stats: StatsService;
  readonly renderStatsChart: CommandContext['renderStatsChart'];
  readonly config: { readonly posting: { readonly timezone: string; readonly dryRun: boolean } };
}

/**
 * Builds the /stats reply of one account (embed + chart PNG); the bench times exactly this.
 * `account`: the label its title names, when the bot serves several accounts.
 */
export async function buildStatsReply(
  ctx: StatsReplyContext,
  period: StatsPeriod,
  options: { readonly account?: string } = {},
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
  const title = `Stats${options.account ? ` · ${options.account}` : ''} · ${PERIOD_LABEL[report.period]}${ctx.config.posting.dryRun ? ' · DRY RUN' : ''}`;
  const reply = embed(COLORS.info, title.slice(0, 256)).addFields(...headlineFields(report, true));
  reply.addFields({ name: 'Topics', value: topicLines(report, MAX_TOPICS_SHOWN) });
  reply.setImage(`attachment://${CHART_FILE}`);
  reply.setTimestamp(report.until);
  return { embed: reply, chart, report };
}

/** The accounts of a /stats covering several: each with its StatsService, its label and whether it is in dry run. */
export interface StatsReplyAccount {
  readonly label: string;
  readonly stats: StatsService;
  readonly dryRun: boolean;
}

/**
 * Builds the /stats reply covering several accounts: a total (with the chart, one posts series
 * per account) and one compact section per account. Each account is queried once; the total adds
 * their reports up (combineStatsReports). Every series is bucketed in the bot's TIMEZONE, so the
 * chart's days are the same for all.
 */
export async function buildAccountsStatsReply(
  ctx: Pick<StatsReplyContext, 'renderStatsChart'> & { readonly config: { readonly posting: { readonly timezone: string } } },
  accounts: readonly StatsReplyAccount[],
  period: StatsPeriod,
): Promise<{ embeds: EmbedBuilder[]; chart: Buffer; total: StatsReport; reports: StatsReport[] }> {
  if (accounts.length === 0) throw new Error('buildAccountsStatsReply needs at least one account');
  const { timezone } = ctx.config.posting;
  // The chart needs every account's series; each report queries its series first. The reports
  // run together, so the chart is drawn once the last series is in and its PNG is encoded (off
  // the main thread) while the reports' other aggregates run, as for one account.
  const series: StatsReport['series'][] = new Array<StatsReport['series']>(accounts.length);
  let missing = accounts.length;
  let allSeriesIn!: () => void;
  const chart = new Promise<void>((resolve) => (allSeriesIn = resolve)).then(() => {
    const aligned = alignSeries(series);
    return ctx.renderStatsChart({
      title: `Posts and engagement, ${PERIOD_LABEL[period]}`,
      buckets: aligned.buckets,
      bucketMs: aligned.bucketMs,
      timezone,
      accounts: accounts.map((account, i) => ({ label: account.label, publications: aligned.publications[i] ?? [] })),
    });
  });
  // Not awaited yet: a rejected chart must not go unhandled while the reports run.
  chart.catch(() => undefined);
  const reports = (
    await Promise.all(
      accounts.map((account, i) =>
        account.stats.reportWithChart(
          period,
          async (own) => {
            series[i] = own;
            missing -= 1;
            if (missing === 0) allSeriesIn();
            return null;
          },
          { timezone },
        ),
      ),
    )
  ).map((r) => r.report);
  const total = combineStatsReports(reports);
  const dryRuns = accounts.filter((a) => a.dryRun).length;
  const totalEmbed = embed(
    COLORS.info,
    `Stats · all ${accounts.length} accounts · ${PERIOD_LABEL[period]}${dryRuns === accounts.length ? ' · DRY RUN' : dryRuns > 0 ? ` · ${dryRuns} in DRY RUN` : ''}`,
  )
    .addFields(...headlineFields(total, false))
    .addFields({ name: 'Topics (all accounts)', value: topicLines(total, MAX_TOPICS_PER_SECTION) })
    .setImage(`attachment://${CHART_FILE}`)
    .setTimestamp(total.until);
  const sections = accounts.map((account, i) => {
    const report = reports[i] as StatsReport;
    return embed(COLORS.info, `${account.label}${account.dryRun ? ' · DRY RUN' : ''}`.slice(0, 256))
      .addFields(...headlineFields(report, true))
      .addFields({ name: 'Top topics', value: topicLines(report, MAX_TOPICS_PER_SECTION) });
  });
  return { embeds: [totalEmbed, ...sections], chart: await chart, total, reports };
}

/** What building the learning view of one or several accounts needs. */
export interface LearningReplyContext {
  readonly renderApprovalChart: CommandContext['renderApprovalChart'];
}

/** One account of a learning view: its label (when the reply names accounts), its stats, its dry run. */
export interface LearningReplyAccount {
  readonly label?: string;
  readonly stats: Pick<StatsService, 'learningReport'>;
  readonly dryRun: boolean;
}

/**
 * /stats view:learning (issue 15 §5): per account, the approval rate and median engagement by
 * topic and by content type over the period, and one chart of the approval rate by ISO week over
 * the last 12 weeks (one line and one set of bars per account). The chart goes with the first
 * embed; the footer of the first says what the figures are.
 */
export async function buildLearningReply(
  ctx: LearningReplyContext,
  accounts: readonly LearningReplyAccount[],
  period: StatsPeriod,
): Promise<{ embeds: EmbedBuilder[]; chart: Buffer; reports: LearningReport[] }> {
  if (accounts.length === 0) throw new Error('buildLearningReply needs at least one account');
  const reports = await Promise.all(accounts.map((a) => a.stats.learningReport(period)));
  // Each account's weeks are its own zone's; a week is named by its Monday's date, the same
  // calendar label whatever the zone, so the accounts' weeks line up by it.
  const weeks = [...new Set(reports.flatMap((r) => r.weeks.map((w) => w.weekStart)))].sort((a, b) => a - b);
  const chart = ctx.renderApprovalChart({
    title: `Approval rate by week, last ${reports[0]?.weeks.length ?? 0} weeks`,
    weeks,
    accounts: reports.map((r, i) => {
      const byWeek = new Map(r.weeks.map((w) => [w.weekStart, w]));
      return {
        label: accounts[i]?.label ?? 'account',
        decisions: weeks.map((w) => byWeek.get(w)?.decisions ?? 0),
        approvalRates: weeks.map((w) => byWeek.get(w)?.approvalRate ?? null),
      };
    }),
  });
  const several = accounts.length > 1;
  const maxLines = several ? MAX_LEARNING_LINES_PER_SECTION : MAX_LEARNING_LINES;
  const embeds = reports.map((report, i) => {
    const account = accounts[i] as LearningReplyAccount;
    const title = several
      ? `${account.label ?? ''} · learning · ${PERIOD_LABEL[period]}${account.dryRun ? ' · DRY RUN' : ''}`
      : `Learning${account.label ? ` · ${account.label}` : ''} · ${PERIOD_LABEL[period]}${account.dryRun ? ' · DRY RUN' : ''}`;
    return embed(COLORS.info, title.slice(0, 256))
      .setDescription(
        report.approved + report.rejected === 0
          ? `No moderator decisions ${period === 'all' ? 'yet' : `in the ${PERIOD_LABEL[period]}`}.`
          : `Approval rate **${percent(report.approvalRate)}** (${count(report.approved)} of ${count(report.approved + report.rejected)} moderator decisions)`,
      )
      .addFields(
        { name: 'By topic', value: learningTable(report.byTopic, maxLines) },
        { name: 'By content type', value: learningTable(report.byContentType, maxLines) },
      );
  });
  const first = embeds[0] as EmbedBuilder;
  first.setImage(`attachment://${LEARNING_CHART_FILE}`).setTimestamp((reports[0] as LearningReport).until);
  first.setFooter({ text: learningFooter(period, reports) });
  return { embeds, chart: await chart, reports };
}

/** A field value holds 1024 characters. */
const MAX_FIELD_CHARS = 1_024;

/**
 * `**topic**: 67% approved (4/6) · median eng 7 (3 posts)`, busiest first; whole lines only,
 * within a field's 1024 characters (long escaped names fill it before `max` lines), then
 * "…and N more".
 */
function learningTable(lines: readonly LearningLine[], max: number): string {
  const rendered = lines.map((l) => {
    const decided = l.approved + l.rejected;
    const approval = decided > 0 ? `${percent(l.approvalRate)} approved (${count(l.approved)}/${count(decided)})` : 'no decisions';
    const engagement = l.medianEngagement === null ? 'median eng –' : `median eng ${Math.round(l.medianEngagement * 10) / 10} (${count(l.measured)} posts)`;
    return `**${plain(l.name)}**: ${approval} · ${engagement}`;
  });
  if (rendered.length === 0) return 'no decisions in this period';
  const out: string[] = [];
  let length = 0;
  for (const [index, line] of rendered.entries()) {
    const rest = rendered.length - index;
    // Room for this line, and for the "…and N more" line after it unless it is the last one.
    const tail = rest > 1 ? `\n…and ${rest - 1} more`.length : 0;
    if (index >= max || length + (index > 0 ? 1 : 0) + line.length + tail > MAX_FIELD_CHARS) {
      out.push(`…and ${rest} more`);
      break;
    }
    out.push(line);
    length += (index > 0 ? 1 : 0) + line.length;
  }
  // A safety net only: a line is a few hundred characters at most.
  return out.join('\n').slice(0, MAX_FIELD_CHARS);
}

/** What the figures are: Discord shows it under the first embed. */
function learningFooter(period: StatsPeriod, reports: readonly LearningReport[]): string {
  const zones = [...new Set(reports.map((r) => r.timezone))].join(', ');
  return [
    'Approval rate = moderator approvals (as written or after an edit) ÷ moderator decisions (approvals + rejections); drafts expired or published at the deadline are not decisions and are not counted.',
    `Rates: drafts generated in the ${PERIOD_LABEL[period]}. Median engagement (likes + retweets + replies + quotes, 7 days after publishing, else 24 h; dry runs excluded): drafts decided in the ${period === 'all' ? `last ${MEDIAN_MAX_DAYS} days incl. today` : PERIOD_LABEL[period]} and published.`,
    `Chart: ISO weeks (from Monday) in ${zones}; bars are decisions, a week without any reads "no data".`,
  ]
    .join('\n')
    .slice(0, 2048);
}

/** Drafts, posts and spend; `median`: whether the report has a median decision time to show (a total has none). */
function headlineFields(report: StatsReport, median: boolean): { name: string; value: string }[] {
  const { drafts, publications: p, tokens } = report;
  return [
    {
      name: 'Drafts',
      value: [
        `Generated **${count(drafts.generated)}** · pending ${count(drafts.pending)}`,
        `Approved **${count(drafts.approvedByModerator)}** · rejected **${count(drafts.rejected)}** · expired **${count(drafts.expired)}**`,
        `Published at timeout **${count(drafts.publishedAtTimeout)}**`,
        median
          ? `Approval rate **${percent(report.approvalRate)}** · median decision${report.period === '24h' ? '' : ' (last 24 h)'} ${report.medianDecisionMs === null ? '–' : humanDuration(report.medianDecisionMs)}`
          : `Approval rate **${percent(report.approvalRate)}**`,
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
  ];
}

function topicLines(report: StatsReport, max: number): string {
  const topics = report.topics.slice(0, max).map((t) => {
    const avg = t.avgEngagement === null ? '–' : (Math.round(t.avgEngagement * 10) / 10).toString();
    return `**${plain(t.topicName)}**: ${percent(t.approvalRate)} approved · avg eng ${avg} · ${t.generated} drafts`;
  });
  if (report.topics.length > max) topics.push(`…and ${report.topics.length - max} more`);
  return topics.length > 0 ? topics.join('\n').slice(0, 1024) : 'no drafts in this period';
}

/**
 * /stats [period] [account]: counts, rates, engagement, spend and a chart of posts and engagement
 * per day. Not narrowed to one account, it shows every account and a total, the chart with one
 * series per account.
 */
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
    )
    .addStringOption(accountOption('all'))
    .addStringOption((o) =>
      o
        .setName('view')
        .setDescription('overview (default), or learning: approval and engagement by topic and type, and by week')
        .setRequired(false)
        .addChoices(...STATS_VIEWS.map((v) => ({ name: v, value: v }))),
    ),
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, _actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    let period;
    try {
      period = parseStatsPeriod(interaction.options.getString('period'));
    } catch (error) {
      if (error instanceof InvalidStatsPeriodError) throw new UserError(error.message, { period: error.period });
      throw error;
    }
    // The aggregates and the chart take tens of milliseconds, more on a busy box: defer first.
    await interaction.deferReply();
    if (interaction.options.getString('view') === 'learning') {
      const { embeds, chart } = await buildLearningReply(
        ctx,
        accounts.map((account) => ({
          ...(accounts.length > 1 || namesAccounts(ctx) ? { label: accountLabel(account) } : {}),
          stats: account.stats,
          dryRun: account.config.posting.dryRun,
        })),
        period,
      );
      const files = [new AttachmentBuilder(chart, { name: LEARNING_CHART_FILE, description: 'Approval rate and moderator decisions per week' })];
      if (accounts.length === 1) await respond(interaction, embeds, { files });
      else await respondInPages(interaction, embeds, { content: `**Learning** · ${allAccountsLine(accounts)}`, files });
      return;
    }
    if (accounts.length === 1) {
      const account = accounts[0] as AccountCommandContext;
      const { embed: reply, chart } = await buildStatsReply(
        { stats: account.stats, renderStatsChart: ctx.renderStatsChart, config: account.config },
        period,
        namesAccounts(ctx) ? { account: accountLabel(account) } : {},
      );
      await respond(interaction, [reply], { files: [chartFile(chart)] });
      return;
    }
    const { embeds, chart } = await buildAccountsStatsReply(
      ctx,
      accounts.map((account) => ({ label: accountLabel(account), stats: account.stats, dryRun: account.config.posting.dryRun })),
      period,
    );
    await respondInPages(interaction, embeds, { content: `**Stats** · ${allAccountsLine(accounts)}`, files: [chartFile(chart)] });
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};

function chartFile(chart: Buffer): AttachmentBuilder {
  return new AttachmentBuilder(chart, { name: CHART_FILE, description: 'Posts and engagement per day' });
}
