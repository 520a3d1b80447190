import { DiscordAPIError, RESTJSONErrorCodes, type Client, type SendableChannels } from 'discord.js';
import { CardGoneError, type CardLocation, type DraftCardPort, type DraftCardView, type MediaFileStore } from '../../services/ports.js';
import { NO_MENTIONS } from './allowed-mentions.js';
import { cardImageSources, type ExistingAttachment } from './card-images.js';
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
    /** The draft images' files (issue 14), for the card's previews; absent: images are listed without them. */
    private readonly mediaFiles?: MediaFileStore,
  ) {}

  /**
   * Posts with an enforced nonce: when Discord stored a card but its answer was lost, a retry
   * (discord.js's own, or the next attempt within a few minutes) gets that card back instead of
   * a second one that nobody would ever update. The nonce names the draft by id and creation
   * time, so a draft that reuses an id after a restore never gets an older draft's card back.
   */
  async postCard(view: DraftCardView): Promise<CardLocation> {
    const channel = await this.channel();
    const sources = await cardImageSources(view.draft, this.mediaFiles, []);
    const message = await channel.send({ ...renderDraftCard(view, sources), allowedMentions: NO_MENTIONS, nonce: cardNonce(view), enforceNonce: true });
    return { channelId: message.channelId, messageId: message.id };
  }

  async updateCard(view: DraftCardView): Promise<void> {
    const { moderationChannelId, moderationMessageId } = view.draft;
    if (!moderationMessageId) return;
    const channel = await this.channel(moderationChannelId ?? this.channelId);
    // messages.edit PATCHes by id: no fetch, so it works for cards posted before a restart.
    try {
      const existing = await this.existingAttachments(channel, view, moderationMessageId);
      const sources = await cardImageSources(view.draft, this.mediaFiles, existing);
      await channel.messages.edit(moderationMessageId, { ...renderDraftCard(view, sources), allowedMentions: NO_MENTIONS });
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMessage) throw new CardGoneError(view.draft.id, moderationMessageId);
      throw error;
    }
  }

  async alert(text: string): Promise<void> {
    const channel = await this.channel();
    await channel.send({ content: fitMessageContent(text), allowedMentions: NO_MENTIONS });
  }

  /**
   * The card's attachments, so images already on it are kept by id rather than uploaded again
   * (up to 4 × 5 MB on every edit). Only for a draft with images: one GET, never from discord.js's
   * cache (an edit does not refresh a cached message, so it may list attachments long gone). A
   * failed read costs only a re-upload.
   */
  private async existingAttachments(channel: SendableChannels, view: DraftCardView, messageId: string): Promise<ExistingAttachment[]> {
    if ((view.draft.media?.length ?? 0) === 0 || !('messages' in channel)) return [];
    try {
      const message = await channel.messages.fetch({ message: messageId, force: true });
      return [...message.attachments.values()].map((a) => ({ id: a.id, name: a.name }));
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMessage) throw error;
      return [];
    }
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
