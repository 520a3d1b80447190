import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import type { Actor, DraftStatus } from '../src/domain/draft.js';

export const PAUSE_REASON_MAX_LENGTH = 200;

/**
 * Exactly what a pause holds and what it does not, for the /pause reply and /status (the README
 * says the same). Counts are read when it is shown.
 */
export function pauseHoldLines(counts: Record<DraftStatus, number>, timeoutAction: 'publish' | 'expire'): string[] {
  const queued = counts.approved;
  const interrupted = counts.publishing;
  return [
    '**Held until /resume:**',
    '• no new drafts are generated;',
    timeoutAction === 'publish'
      ? '• nothing is published on timeout: overdue drafts stay pending;'
      : '• (overdue drafts still expire: TIMEOUT_ACTION=expire publishes nothing);',
    `• ${queued} approved draft${queued === 1 ? '' : 's'} waiting in the publish queue (for a cap, X's limits or a retry) stay${queued === 1 ? 's' : ''} approved; nothing is posted;`,
    `• publications a crash interrupted are not resumed${interrupted > 0 ? ` (${interrupted} now)` : ''}.`,
    '**Not held:** Approve or Retry on a card publishes that draft at once, unless a cap makes it wait; then it waits for /resume too.',
  ];
}

/** /pause [reason]: holds draft generation and everything the bot would publish on its own. Approve still publishes. */
export const pause: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('pause')
    .setDescription('Hold draft generation and all publishing but an explicit Approve or Retry, until /resume')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName('reason').setDescription('Why posting is paused (shown in /status)').setMaxLength(PAUSE_REASON_MAX_LENGTH).setRequired(false),
    ),
  guard: 'moderator',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor): Promise<void> {
    const reason = interaction.options.getString('reason')?.slice(0, PAUSE_REASON_MAX_LENGTH) ?? null;
    // A read never waits for a lock; it tells whether the answer is private before the write.
    await deferBeforeWrite(interaction, { ephemeral: (await ctx.pause.current()) !== null });
    const result = await ctx.pause.pause(actor, reason, interaction.id);
    if (!result.changed) {
      const state = result.state;
      await respond(
        interaction,
        [embed(COLORS.paused, 'Already paused').setDescription(`Paused by ${plain(state.by.name)} since ${discordWhen(state.since)}. Use /resume to restart.`)],
        { ephemeral: true },
      );
      return;
    }
    const counts = await ctx.drafts.countByStatus();
    const reply = embed(COLORS.paused, '⏸️ Posting paused')
      .setDescription(
        [
          `By ${plain(actor.name)}${result.state.reason ? `: ${plain(result.state.reason)}` : ''}.`,
          ...pauseHoldLines(counts, ctx.config.posting.timeoutAction),
        ].join('\n'),
      )
      .setTimestamp(result.state.since);
    await respond(interaction, [reply]);
  },
};
