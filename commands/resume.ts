import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, humanDuration, plain, respond } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, listAccountIds, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import type { Actor } from '../src/domain/draft.js';

/**
 * /resume [account]: releases what /pause held; the publish queue runs at once. Not narrowed to
 * one account, it resumes every paused account and says so.
 */
export const resume: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('resume')
    .setDescription('Release what /pause held: draft generation, publishing on timeout and the publish queue')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption(accountOption('all')),
  guard: 'moderator',
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    // A read never waits for a lock; it tells whether the answer is private before the write.
    const before = await Promise.all(accounts.map((account) => account.pause.current()));
    await deferBeforeWrite(interaction, { ephemeral: before.every((state) => state === null) });
    if (accounts.length === 1) return resumeOne(interaction, ctx, actor, accounts[0] as AccountCommandContext);

    const now = ctx.clock.now();
    const lines: string[] = [];
    const resumed: string[] = [];
    const running: string[] = [];
    for (const account of accounts) {
      const result = await account.pause.resume(actor, interaction.id);
      if (!result.changed) {
        running.push(account.id);
        continue;
      }
      resumed.push(account.id);
      const status = await account.schedulerStatus();
      const next = status.nextRunAt === null ? 'none planned' : discordWhen(status.nextRunAt);
      lines.push(
        `\`${account.id}\`: after ${humanDuration(now - result.previous.since)} paused by ${plain(result.previous.by.name)}; next scheduled run ${next}.`,
      );
    }
    if (resumed.length === 0) {
      await respond(interaction, [embed(COLORS.info, 'Not paused').setDescription('No account is paused; nothing to resume.')], { ephemeral: true });
      return;
    }
    const reply = embed(COLORS.ok, `▶️ Posting resumed for ${resumed.length} account${resumed.length === 1 ? '' : 's'}`)
      .setDescription(
        [
          `Resumed ${resumed.length} account${resumed.length === 1 ? '' : 's'}: ${listAccountIds(resumed)} (by ${plain(actor.name)}).`,
          ...lines,
          ...(running.length > 0 ? [`Already running: ${listAccountIds(running)}.`] : []),
          'Drafts held by the pause (overdue, or waiting in the publish queue) are handled now.',
        ]
          .join('\n')
          .slice(0, 4096),
      )
      .setTimestamp(now);
    await respond(interaction, [reply]);
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};

/** /resume of one account: the reply of the single-account bot, titled with the account when there are several. */
async function resumeOne(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void> {
  const result = await account.pause.resume(actor, interaction.id);
  if (!result.changed) {
    await respond(
      interaction,
      [embed(COLORS.info, `Not paused${accountSuffix(ctx, account)}`).setDescription('Posting is already running; nothing to resume.')],
      { ephemeral: true },
    );
    return;
  }
  const now = ctx.clock.now();
  const status = await account.schedulerStatus();
  const next = status.nextRunAt === null ? 'none planned' : discordWhen(status.nextRunAt);
  const reply = embed(COLORS.ok, `▶️ Posting resumed${accountSuffix(ctx, account)}`)
    .setDescription(
      [
        `By ${plain(actor.name)}, after ${humanDuration(now - result.previous.since)} paused by ${plain(result.previous.by.name)}.`,
        `Next scheduled run: ${next}.`,
        'Drafts held by the pause (overdue, or waiting in the publish queue) are handled now.',
      ].join('\n'),
    )
    .setTimestamp(now);
  await respond(interaction, [reply]);
}
