import { DiscordAPIError, RESTJSONErrorCodes, type Client, type SendableChannels } from 'discord.js';
import { CardGoneError, type CardLocation, type DraftCardPort, type DraftCardView } from '../../services/ports.js';
import { NO_MENTIONS } from './allowed-mentions.js';
import { fitMessageContent, renderDraftCard } from './draft-card.js';
import { fetchModerationChannel } from './moderation-channel.js';

/**
 * The moderation channel behind the service's card port: posts a draft's card, edits it in
 * place, and posts alerts. Every message carries an empty allowed_mentions.
 */
export class DiscordDraftCards implements DraftCardPort {
  constructor(
    private readonly client: Client,
    private readonly channelId: string,
  ) {}

  /**
   * Posts with an enforced nonce: when Discord stored a card but its answer was lost, a retry
   * (discord.js's own, or the next attempt within a few minutes) gets that card back instead of
   * a second one that nobody would ever update. The nonce names the draft by id and creation
   * time, so a draft that reuses an id after a restore never gets an older draft's card back.
   */
  async postCard(view: DraftCardView): Promise<CardLocation> {
    const channel = await this.channel();
    const message = await channel.send({ ...renderDraftCard(view), allowedMentions: NO_MENTIONS, nonce: cardNonce(view), enforceNonce: true });
    return { channelId: message.channelId, messageId: message.id };
  }

  async updateCard(view: DraftCardView): Promise<void> {
    const { moderationChannelId, moderationMessageId } = view.draft;
    if (!moderationMessageId) return;
    const channel = await this.channel(moderationChannelId ?? this.channelId);
    // messages.edit PATCHes by id: no fetch, so it works for cards posted before a restart.
    try {
      await channel.messages.edit(moderationMessageId, { ...renderDraftCard(view), allowedMentions: NO_MENTIONS });
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMessage) throw new CardGoneError(view.draft.id, moderationMessageId);
      throw error;
    }
  }

  async alert(text: string): Promise<void> {
    const channel = await this.channel();
    await channel.send({ content: fitMessageContent(text), allowedMentions: NO_MENTIONS });
  }

  private channel(id = this.channelId): Promise<SendableChannels> {
    return fetchModerationChannel(this.client, id);
  }
}

/**
 * The card's nonce, at most 25 characters (Discord's limit): the draft's id and creation time in
 * base 36, then as much of its content hash as fits. A restore from backup hands ids out again,
 * and a test clock (or a clock step) can repeat a creation time; the text tells such drafts apart,
 * so another draft's card is never handed back as this one's.
 */
function cardNonce(view: DraftCardView): string {
  const { id, createdAt, contentHash } = view.draft;
  const base = `d${id.toString(36)}.${Math.max(0, createdAt).toString(36)}.`;
  return `${base}${contentHash.replace(/[^0-9a-z]/gi, '')}`.slice(0, 25);
}
