import { MessageFlags, type Interaction } from 'discord.js';
import type { Logger } from '../../logging/index.js';
import { NO_MENTIONS } from './allowed-mentions.js';

/** What anyone outside DISCORD_GUILD_ID is told; it names nothing of ours. */
export const NOT_OUR_GUILD_MESSAGE = 'This bot only takes commands and clicks in its own server. Nothing was done.';

/**
 * The one guard every interaction passes before any handler runs: it must come from
 * DISCORD_GUILD_ID. The bot can be added to other guilds and reached by DM, and there the
 * moderator check proves nothing (without MODERATOR_ROLE_ID, Manage Server in any guild would
 * pass). Each router asks it first, for the interactions that router owns.
 */
export class GuildGuard {
  constructor(
    private readonly guildId: string,
    private readonly logger: Logger,
  ) {}

  /** True when the interaction comes from our guild; otherwise it has been answered with nothing done. */
  async admit(interaction: Interaction): Promise<boolean> {
    if (interaction.inGuild() && interaction.guildId === this.guildId) return true;
    // Logged, not audited: anyone in any guild could otherwise write rows into our audit table.
    this.logger.warn('interaction from outside the guild refused', {
      interactionId: interaction.id,
      guildId: interaction.guildId ?? 'dm',
      userId: interaction.user.id,
      type: interaction.type,
    });
    try {
      if (interaction.isAutocomplete()) await interaction.respond([]);
      else if (interaction.isRepliable())
        await interaction.reply({ content: NOT_OUR_GUILD_MESSAGE, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
    } catch (error) {
      this.logger.warn('could not answer an interaction from outside the guild', { interactionId: interaction.id, error });
    }
    return false;
  }
}
