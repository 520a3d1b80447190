import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import type { Actor } from '../src/domain/draft.js';

/** /backup: takes an online database backup now (moderators only). Bot-wide: no account option. */
export const backup: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('backup')
    .setDescription('Take an online backup of the database now')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  guard: 'moderator',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor): Promise<void> {
    // A large database takes a moment to copy: acknowledge first.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const result = await ctx.takeBackup();
    // The audit log is per account; a bot-wide action goes to the first account's, as the router's refusals do.
    await ctx.accounts.active[0]?.audit.record(
      { draftId: null, revision: null, actor, action: '/backup', outcome: 'applied', detail: result.path, interactionId: interaction.id },
      ctx.clock.now(),
    );
    const file = result.path.split('/').pop() ?? result.path;
    const reply = embed(COLORS.ok, '💾 Backup taken').setDescription(
      [
        `\`${plain(file)}\` (${(result.bytes / 1024).toFixed(0)} KiB) in the backups folder.`,
        result.removed.length > 0 ? `Removed ${result.removed.length} older backup(s), keeping the newest ${ctx.config.storage.backupKeep}.` : null,
        'To restore: stop the bot, copy the file over DATABASE_PATH (delete its -wal and -shm files), start the bot.',
      ]
        .filter((line): line is string => line !== null)
        .join('\n'),
    );
    await respond(interaction, [reply]);
  },
};
