import { InteractionContextType, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction, type EmbedBuilder } from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, discordTime, discordWhen, embed, humanDuration, plain } from '../src/adapters/discord/command-replies.js';
import { accountLabel, allAccountsLine, namesAccounts, respondPerAccount, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import { DISCORD_LIMITS } from '../src/adapters/discord/draft-card.js';
import { isDryRunTweetId, tweetUrl } from '../src/domain/draft.js';
import { describePauseScope, formatWindow, scopeHoldsGeneration } from '../src/domain/schedule.js';
import { pauseHoldLines } from './pause.js';

/** Pending drafts listed by name; the rest are counted. Keeps the embed short on a phone. */
const MAX_PENDING_LISTED = 8;
/** Per account when one reply covers several: each section stays small, so several fit a message. */
const MAX_PENDING_LISTED_PER_SECTION = 3;
/** Kept free in the pending field for the "…and N more" line. */
const MORE_LINE_ROOM = 24;

/**
 * One account's /status. `section`: one of several in a reply covering every account, so it is
 * compact (fewer pending drafts listed, no pause details, no version and uptime: the reply's
 * content line carries those) and titled with the account.
 */
async function renderStatus(ctx: CommandContext, account: AccountCommandContext, section: boolean): Promise<EmbedBuilder> {
  const now = ctx.clock.now();
  const config = account.config;
  const [scheduler, pending, last] = await Promise.all([
    account.schedulerStatus(),
    account.drafts.findByStatuses(['pending']),
    account.posts.latestPublication(),
  ]);
  const paused = scheduler.pause;
  const named = namesAccounts(ctx);
  const title = `${section ? accountLabel(account) : 'draftgate status'}${!section && named ? ` · ${accountLabel(account)}` : ''}${config.posting.dryRun ? ' · DRY RUN' : ''}`;
  const reply = embed(paused ? COLORS.paused : COLORS.ok, title);

  const state = paused
    ? `⏸️ **Paused** by ${plain(paused.by.name)} since ${discordWhen(paused.since)}\nHolds: ${describePauseScope(paused.scope)}${paused.reason ? `\nReason: ${plain(paused.reason)}` : ''}${
        section ? `\n\`/status account:${account.id}\` says what the pause holds.` : ''
      }`
    : '▶️ **Running**';
  reply.setDescription(config.posting.dryRun ? `${state}\n🧪 **DRY RUN**: nothing is posted to X.` : state);
  if (paused && !section)
    reply.addFields({
      name: 'What the pause holds',
      value: pauseHoldLines(await account.drafts.countByStatus(), config.posting.timeoutAction, paused.scope)
        .join('\n')
        .slice(0, 1024),
    });

  const next =
    scheduler.nextRunAt === null
      ? 'none planned (check POST_SCHEDULE against ACTIVE_HOURS)'
      : `${discordWhen(scheduler.nextRunAt)}${paused && scopeHoldsGeneration(paused.scope) ? '\n(skipped while paused)' : ''}`;
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
      value: `${outcome} ${discordTime(run.finishedAt, 'R')}${run.reason ? `: ${plain(run.reason).slice(0, section ? 150 : 300)}` : ''}`,
    });
  }

  const most = section ? MAX_PENDING_LISTED_PER_SECTION : MAX_PENDING_LISTED;
  const candidates = pending
    .slice()
    .sort((a, b) => (a.deadlineAt ?? Infinity) - (b.deadlineAt ?? Infinity))
    .slice(0, most)
    .map((d) => {
      const card =
        d.moderationChannelId && d.moderationMessageId
          ? ` · [card](https://discord.com/channels/${ctx.config.discord.guildId}/${d.moderationChannelId}/${d.moderationMessageId})`
          : '';
      const deadline = d.deadlineAt === null ? 'no deadline' : d.deadlineAt <= now ? 'overdue' : `due ${discordTime(d.deadlineAt, 'R')}`;
      return `#${d.id} ${plain(d.topicName)} · ${deadline}${card}`;
    });
  // A line with its card link is about 140 characters: as many as fit the field, with room for the count of the rest.
  const lines: string[] = [];
  let length = 0;
  for (const line of candidates) {
    if (length + line.length + 1 > DISCORD_LIMITS.fieldValue - MORE_LINE_ROOM) break;
    lines.push(line);
    length += line.length + 1;
  }
  if (pending.length > lines.length) lines.push(`…and ${pending.length - lines.length} more`);
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
  if (!section) {
    reply.addFields({ name: 'Version', value: `v${ctx.version}`, inline: true }, { name: 'Uptime', value: humanDuration(now - ctx.startedAt), inline: true });
    const instance = instanceLine(ctx);
    if (instance) reply.addFields({ name: 'Instance', value: instance });
  }
  reply.setTimestamp(now);
  return reply;
}

/**
 * This instance's role, its epoch and when the lease was last renewed: with a standby beside it,
 * which one answered and whether it keeps its lease. Null when the context has no lease.
 */
function instanceLine(ctx: CommandContext): string | null {
  const lease = ctx.instance?.();
  if (!lease) return null;
  const epoch = lease.epoch === null ? '' : ` · epoch ${lease.epoch}`;
  const renewed = lease.renewedAt === null ? 'lease never renewed' : `lease renewed ${discordTime(lease.renewedAt, 'R')}`;
  return `${lease.role}${epoch} · ${renewed}`;
}

/**
 * /status [account]: running or paused, next run, pending drafts with deadlines, last publish,
 * version, uptime, and this instance's role and lease. Not narrowed to one account, it covers every account, one section each.
 */
export const status: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('status')
    .setDescription('Show whether posting runs, the next scheduled run, pending drafts and the last publish')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(accountOption('all')),
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, _actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    await respondPerAccount(
      interaction,
      accounts,
      (account, section) => renderStatus(ctx, account, section),
      () => {
        const instance = instanceLine(ctx);
        return `**draftgate status** · ${allAccountsLine(accounts)} · v${ctx.version} · up ${humanDuration(ctx.clock.now() - ctx.startedAt)}${instance ? ` · ${instance}` : ''}`;
      },
    );
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};
