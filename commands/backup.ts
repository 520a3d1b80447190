import {
  InteractionContextType,
  MessageFlags,
  type EmbedBuilder,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import type { Actor } from '../src/domain/draft.js';
import { POSTGRES_BACKUP_GUIDE, type MediaBackupResult } from '../src/services/backup-service.js';

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
    const audit = (outcome: string, detail: string) =>
      ctx.accounts.active[0]?.audit.record(
        { draftId: null, revision: null, actor, action: '/backup', outcome, detail, interactionId: interaction.id },
        ctx.clock.now(),
      );
    if (result.status === 'skipped') {
      await audit('skipped', result.reason);
      await respond(interaction, [postgresReply(result.media)]);
      return;
    }
    await audit('applied', result.path);
    const file = result.path.split('/').pop() ?? result.path;
    const reply = embed(COLORS.ok, '💾 Backup taken').setDescription(
      [
        `\`${plain(file)}\` (${(result.bytes / 1024).toFixed(0)} KiB) in the backups folder.`,
        result.media ? `${imagesLine(result.media)} beside it.` : null,
        result.removed.length > 0 ? `Removed ${result.removed.length} older backup(s), keeping the newest ${ctx.config.storage.backupKeep}.` : null,
        result.media
          ? 'To restore: stop the bot, copy the file over DATABASE_PATH (delete its -wal and -shm files), copy the files of its `.media` folder into MEDIA_DIR, start the bot.'
          : 'To restore: stop the bot, copy the file over DATABASE_PATH (delete its -wal and -shm files), start the bot.',
      ]
        .filter((line): line is string => line !== null)
        .join('\n'),
    );
    await respond(interaction, [reply]);
  },
};

/**
 * On PostgreSQL the bot copies nothing: the data lives in a server it cannot snapshot consistently
 * from here (and a managed one has its own backups). Saying so, instead of a fake "Backup taken".
 */
/** The images saved with a backup (issue 14), as one line of the reply. */
function imagesLine(media: MediaBackupResult): string {
  const folder = media.path.split('/').pop() ?? media.path;
  const missing = media.missing.length > 0 ? ` (${media.missing.length} no longer on disk)` : '';
  return `${media.files} image(s) in \`${plain(folder)}\`${missing}`;
}

function postgresReply(media: MediaBackupResult | null): EmbedBuilder {
  return embed(COLORS.info, '🐘 No backup taken: the database is PostgreSQL').setDescription(
    [
      media
        ? `The bot keeps its data in a PostgreSQL server (DATABASE_URL), which it does not back up itself. The images are the bot's: ${imagesLine(media)} in the backups folder.`
        : 'The bot keeps its data in a PostgreSQL server (DATABASE_URL), which it does not back up itself: nothing was written.',
      'Back up the server with `pg_dump`, e.g. `pg_dump --format=custom --file=draftgate.dump "$DATABASE_URL"`, and restore with `pg_restore`.',
      `How, and a restore drill: ${POSTGRES_BACKUP_GUIDE}.`,
    ].join('\n'),
  );
}
