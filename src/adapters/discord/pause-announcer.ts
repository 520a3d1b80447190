import type { Client } from 'discord.js';
import type { Actor } from '../../domain/draft.js';
import { describePauseScope, scopeHoldsGeneration, scopeHoldsPublishing, type PauseScope, type PauseState } from '../../domain/schedule.js';
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

  async announcePause(state: PauseState, widenedFrom?: PauseScope | undefined): Promise<void> {
    const held: string[] = [];
    if (scopeHoldsGeneration(state.scope)) held.push('new drafts');
    if (scopeHoldsPublishing(state.scope)) {
      held.push(
        'everything that goes to X: publishing on timeout, the publish queue and the scheduled slots (approved drafts stay approved), ' +
          'an Approve or Retry (the decision is recorded, the draft waits) and publications a crash interrupted',
      );
    }
    const text = [
      widenedFrom
        ? `Widened by ${plain(state.by.name)}: ${describePauseScope(widenedFrom)} was paused; now ${describePauseScope(state.scope)} are paused.`
        : `Paused by ${plain(state.by.name)} ${discordWhen(state.since)}${state.reason ? `: ${plain(state.reason)}` : ''}.`,
      // Says what /pause and /status say (commands/pause.ts pauseHoldLines), without the counts.
      `Held until /resume (${describePauseScope(state.scope)}): ${held.join('; ')}.`,
      ...(state.scope === 'generation' ? ['Not held: publishing. Approved and scheduled drafts go out as usual.'] : []),
      ...(state.scope === 'publishing' ? ['Not held: draft generation.'] : []),
    ].join('\n');
    const title = state.scope === 'all' ? '⏸️ Posting paused' : state.scope === 'generation' ? '⏸️ Draft generation paused' : '⏸️ Publishing paused';
    await this.send(embed(COLORS.paused, `${title}${this.forAccount()}`).setDescription(text).setTimestamp(state.since));
  }

  async announceResume(actor: Actor, previous: PauseState, remaining?: PauseState | null | undefined): Promise<void> {
    const now = this.clock.now();
    const text = `Resumed by ${plain(actor.name)} after ${humanDuration(now - previous.since)} (paused by ${plain(previous.by.name)}).${
      remaining ? ` Still paused: ${describePauseScope(remaining.scope)}.` : ''
    }`;
    const title = remaining ? (remaining.scope === 'generation' ? '▶️ Publishing resumed' : '▶️ Draft generation resumed') : '▶️ Posting resumed';
    await this.send(
      embed(remaining ? COLORS.paused : COLORS.ok, `${title}${this.forAccount()}`)
        .setDescription(text)
        .setTimestamp(now),
    );
  }

  private forAccount(): string {
    return this.accountId === undefined ? '' : ` for ${this.accountId}`;
  }

  private async send(message: ReturnType<typeof embed>): Promise<void> {
    const channel = await fetchModerationChannel(this.client, this.channelId);
    await channel.send({ embeds: [message], allowedMentions: NO_MENTIONS });
  }
}
