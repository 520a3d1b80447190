import { InteractionContextType, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, discordTime, discordWhen, embed, humanDuration, plain, respond } from '../src/adapters/discord/command-replies.js';
import { isDryRunTweetId, tweetUrl } from '../src/domain/draft.js';
import { formatWindow } from '../src/domain/schedule.js';
import { pauseHoldLines } from './pause.js';

/** Pending drafts listed by name; the rest are counted. Keeps the embed short on a phone. */
const MAX_PENDING_LISTED = 8;

/** /status: running or paused, next run, pending drafts with deadlines, last publish, version, uptime. */
export const status: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('status')
    .setDescription('Show whether posting runs, the next scheduled run, pending drafts and the last publish')
    .setContexts(InteractionContextType.Guild),

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
    const now = ctx.clock.now();
    const { config } = ctx;
    const [scheduler, pending, last] = await Promise.all([ctx.scheduler.status(), ctx.drafts.findByStatuses(['pending']), ctx.posts.latestPublication()]);
    const paused = scheduler.pause;
    const title = `draftgate status${config.posting.dryRun ? ' · DRY RUN' : ''}`;
    const reply = embed(paused ? COLORS.paused : COLORS.ok, title);

    const state = paused
      ? `⏸️ **Paused** by ${plain(paused.by.name)} since ${discordWhen(paused.since)}${paused.reason ? `\nReason: ${plain(paused.reason)}` : ''}`
      : '▶️ **Running**';
    reply.setDescription(config.posting.dryRun ? `${state}\n🧪 **DRY RUN**: nothing is posted to X.` : state);
    if (paused)
      reply.addFields({ name: 'What the pause holds', value: pauseHoldLines(await ctx.drafts.countByStatus(), config.posting.timeoutAction).join('\n') });

    const next =
      scheduler.nextRunAt === null
        ? 'none planned (check POST_SCHEDULE against ACTIVE_HOURS)'
        : `${discordWhen(scheduler.nextRunAt)}${paused ? '\n(skipped while paused)' : ''}`;
    reply.addFields({
      name: 'Next scheduled run',
      value: `${next}\nSchedule \`${config.posting.schedule}\` ${config.posting.timezone}, active ${formatWindow(config.posting.activeHours)}`,
    });
    if (scheduler.missedWhileDown) {
      const { count, detectedAt } = scheduler.missedWhileDown;
      reply.addFields({
        name: 'Missed while down',
        value: `${count} scheduled run${count === 1 ? '' : 's'} passed while the bot was down (found ${discordTime(detectedAt, 'R')}); not replayed.`,
      });
    }
    if (scheduler.lastRun) {
      const run = scheduler.lastRun;
      const outcome = run.outcome === 'ok' ? 'draft generated' : run.outcome;
      reply.addFields({
        name: 'Last run',
        value: `${outcome} ${discordTime(run.finishedAt, 'R')}${run.reason ? `: ${plain(run.reason).slice(0, 300)}` : ''}`,
      });
    }

    const lines = pending
      .slice()
      .sort((a, b) => (a.deadlineAt ?? Infinity) - (b.deadlineAt ?? Infinity))
      .slice(0, MAX_PENDING_LISTED)
      .map((d) => {
        const card =
          d.moderationChannelId && d.moderationMessageId
            ? ` · [card](https://discord.com/channels/${config.discord.guildId}/${d.moderationChannelId}/${d.moderationMessageId})`
            : '';
        const deadline = d.deadlineAt === null ? 'no deadline' : d.deadlineAt <= now ? 'overdue' : `due ${discordTime(d.deadlineAt, 'R')}`;
        return `#${d.id} ${plain(d.topicName)} · ${deadline}${card}`;
      });
    if (pending.length > MAX_PENDING_LISTED) lines.push(`…and ${pending.length - MAX_PENDING_LISTED} more`);
    reply.addFields({
      name: `Pending drafts (${pending.length}/${config.posting.maxPendingDrafts})`,
      value: lines.length > 0 ? lines.join('\n') : 'none',
    });

    let lastPublish = 'nothing published yet';
    if (last) {
      const url = tweetUrl(last.tweetId);
      const where = isDryRunTweetId(last.tweetId) || last.dryRun ? 'dry run' : url ? `[on X](${url})` : last.tweetId;
      lastPublish = `${discordWhen(last.postedAt)} · ${where}${last.draftId !== null ? ` · draft #${last.draftId}` : ''}`;
    }
    reply.addFields({ name: 'Last publish', value: lastPublish });
    reply.addFields({ name: 'Version', value: `v${ctx.version}`, inline: true }, { name: 'Uptime', value: humanDuration(now - ctx.startedAt), inline: true });
    reply.setTimestamp(now);
    await respond(interaction, [reply]);
  },
};
