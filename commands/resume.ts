import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, humanDuration, plain, respond } from '../src/adapters/discord/command-replies.js';
import type { Actor } from '../src/domain/draft.js';

/** /resume: releases what /pause held; the publish queue runs at once. */
export const resume: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('resume')
    .setDescription('Release what /pause held: draft generation, publishing on timeout and the publish queue')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  guard: 'moderator',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor): Promise<void> {
    // A read never waits for a lock; it tells whether the answer is private before the write.
    await deferBeforeWrite(interaction, { ephemeral: (await ctx.pause.current()) === null });
    const result = await ctx.pause.resume(actor, interaction.id);
    if (!result.changed) {
      await respond(interaction, [embed(COLORS.info, 'Not paused').setDescription('Posting is already running; nothing to resume.')], {
        ephemeral: true,
      });
      return;
    }
    const now = ctx.clock.now();
    const status = await ctx.scheduler.status();
    const next = status.nextRunAt === null ? 'none planned' : discordWhen(status.nextRunAt);
    const reply = embed(COLORS.ok, '▶️ Posting resumed')
      .setDescription(
        [
          `By ${plain(actor.name)}, after ${humanDuration(now - result.previous.since)} paused by ${plain(result.previous.by.name)}.`,
          `Next scheduled run: ${next}.`,
          'Drafts held by the pause (overdue, or waiting in the publish queue) are handled now.',
        ].join('\n'),
      )
      .setTimestamp(now);
    await respond(interaction, [reply]);
  },
};
