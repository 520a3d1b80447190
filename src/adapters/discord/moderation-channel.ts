import type { Client, SendableChannels } from 'discord.js';

/** Raised when the moderation channel is missing or the bot cannot post in it. */
export class ModerationChannelError extends Error {
  constructor(
    readonly channelId: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModerationChannelError';
  }
}

/**
 * The channel cards, alerts and announcements go to. Served from the cache the Guilds intent
 * fills; fetched over REST only when missing.
 */
export async function fetchModerationChannel(client: Client, channelId: string): Promise<SendableChannels> {
  const channel = await client.channels.fetch(channelId);
  if (!channel?.isSendable()) {
    throw new ModerationChannelError(channelId, `moderation channel ${channelId} is missing or not a text channel the bot can post in`);
  }
  return channel;
}
