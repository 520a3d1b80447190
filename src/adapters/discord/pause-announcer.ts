import type { Client } from 'discord.js';
import type { Actor } from '../../domain/draft.js';
import type { PauseState } from '../../domain/schedule.js';
import type { PauseAnnouncer } from '../../services/ports.js';
import { COLORS, discordWhen, embed, humanDuration, NO_MENTIONS, plain } from './command-replies.js';
import { fetchModerationChannel } from './moderation-channel.js';

/**
 * Announces /pause and /resume in the moderation channel, so every moderator sees it. With
 * several accounts (which may share a channel) the title names the account.
 */
export class DiscordPauseAnnouncer implements PauseAnnouncer {
  constructor(
    private readonly client: Client,
    private readonly channelId: string,
    private readonly clock: { now(): number },
    /** Set when the bot has several accounts: the account whose posting this announces. */
    private readonly accountId?: string | undefined,
  ) {}

  async announcePause(state: PauseState): Promise<void> {
    const text = [
      `Paused by ${plain(state.by.name)} ${discordWhen(state.since)}${state.reason ? `: ${plain(state.reason)}` : ''}.`,
      // Says what /pause and /status say (commands/pause.ts pauseHoldLines), without the counts.
      'Held until /resume: new drafts, publishing on timeout, the publish queue (approved drafts waiting for a cap, ' +
        "X's limits or a retry stay approved) and publications a crash interrupted.",
      'Not held: Approve or Retry on a card publishes that draft at once, unless a cap makes it wait; then it waits for /resume too.',
    ].join('\n');
    await this.send(embed(COLORS.paused, `⏸️ Posting paused${this.forAccount()}`).setDescription(text).setTimestamp(state.since));
  }

  async announceResume(actor: Actor, previous: PauseState): Promise<void> {
    const now = this.clock.now();
    const text = `Resumed by ${plain(actor.name)} after ${humanDuration(now - previous.since)} (paused by ${plain(previous.by.name)}).`;
    await this.send(embed(COLORS.ok, `▶️ Posting resumed${this.forAccount()}`).setDescription(text).setTimestamp(now));
  }

  private forAccount(): string {
    return this.accountId === undefined ? '' : ` for ${this.accountId}`;
  }

  private async send(message: ReturnType<typeof embed>): Promise<void> {
    const channel = await fetchModerationChannel(this.client, this.channelId);
    await channel.send({ embeds: [message], allowedMentions: NO_MENTIONS });
  }
}
