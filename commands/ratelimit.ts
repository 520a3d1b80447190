import { InteractionContextType, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction, type EmbedBuilder } from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, discordTime, discordWhen, embed } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, allAccountsLine, respondPerAccount, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import type { XLimitBucket, XRateState } from '../src/domain/rate-limits.js';

function bucketLine(name: string, bucket: XLimitBucket | undefined, now: number): string {
  if (!bucket) return `${name}: not reported yet`;
  const reset = bucket.resetAt > now ? `resets ${discordTime(bucket.resetAt, 'R')}` : `reset ${discordTime(bucket.resetAt, 'R')}`;
  return `${name}: **${bucket.remaining}/${bucket.limit}** left · ${reset}`;
}

/** One account's caps and X limits; titled with the account when the bot serves several. */
async function renderRateLimits(ctx: CommandContext, account: AccountCommandContext): Promise<EmbedBuilder> {
  const now = ctx.clock.now();
  const status = await account.rateLimitStatus();
  const { usage } = status.window;
  const reply = embed(
    status.window.reason ? COLORS.warn : COLORS.ok,
    `Rate limits${accountSuffix(ctx, account)}${account.config.posting.dryRun ? ' · DRY RUN' : ''}`,
  );
  reply.addFields({
    name: 'Our caps',
    value: [
      `This hour: **${usage.usedThisHour}/${usage.maxPerHour}** used · ${Math.max(0, usage.maxPerHour - usage.usedThisHour)} left`,
      `Last 24 h: **${usage.usedToday}/${usage.maxPerDay}** used · ${Math.max(0, usage.maxPerDay - usage.usedToday)} left`,
    ].join('\n'),
  });
  const post: XRateState | null = status.x.post;
  const lines = [
    bucketLine('Per 15 min', post?.endpoint, now),
    bucketLine('Per user, 24 h', post?.user24h, now),
    // X counts this one per app key: accounts sharing an app share it.
    bucketLine('Per app, 24 h', post?.app24h, now),
  ];
  if (post?.blockedUntil !== undefined && post.blockedUntil > now) lines.push(`⛔ X answered 429: blocked until ${discordWhen(post.blockedUntil)}`);
  if (post?.observedAt !== undefined) lines.push(`Last seen ${discordTime(post.observedAt, 'R')}`);
  reply.addFields({ name: 'X limits (POST /2/tweets)', value: lines.join('\n') });
  const next = status.window.allowedAt <= now ? 'now' : `${discordWhen(status.window.allowedAt)}\n${status.window.reason ?? ''}`;
  reply.addFields({ name: 'Next post can go out', value: next });
  if (status.nextQueuedAt !== null) reply.addFields({ name: 'Next queued draft', value: discordWhen(status.nextQueuedAt) });
  reply.setTimestamp(now);
  return reply;
}

/**
 * /ratelimit [account]: our caps used and left, X's last reported limits with resets, the next
 * possible post. Not narrowed to one account, it covers every account, one section each.
 */
export const ratelimit: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('ratelimit')
    .setDescription('Show our posting caps, the limits X last reported, and when the next post can go out')
    .setContexts(InteractionContextType.Guild)
    .addStringOption(accountOption('all')),
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, _actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    await respondPerAccount(
      interaction,
      accounts,
      (account) => renderRateLimits(ctx, account),
      () => `**Rate limits** · ${allAccountsLine(accounts)} X's per-app 24 h limit is shared by the accounts that use the same app key.`,
    );
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};
