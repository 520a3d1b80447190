import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import type { Actor } from '../src/domain/draft.js';

export const PAUSE_REASON_MAX_LENGTH = 200;

/** /pause [reason]: stops draft generation and publishing on timeout. Approve still publishes. */
export const pause: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('pause')
    .setDescription('Stop generating drafts and publishing on timeout (an explicit Approve still publishes)')
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
    const reply = embed(COLORS.paused, '⏸️ Posting paused')
      .setDescription(
        [
          `By ${plain(actor.name)}${result.state.reason ? `: ${plain(result.state.reason)}` : ''}.`,
          'No drafts are generated and nothing is published on timeout until /resume.',
          'Approving a draft still publishes it.',
        ].join('\n'),
      )
      .setTimestamp(result.state.since);
    await respond(interaction, [reply]);
  },
};
