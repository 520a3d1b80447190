import { MessageFlags } from 'discord.js';
import { encodeDraftCustomId, type DraftAction } from '../../src/domain/custom-id.js';
import type { Draft } from '../../src/domain/draft.js';
import type { FakeMessage, InjectedInteraction, ModalUpload } from './fake-discord.js';
import type { Fakes, TestApp } from './test-app.js';

/** The card a test drives: the draft as created and the Discord message that shows it. */
export interface PostedCard {
  readonly draft: Draft;
  readonly messageId: string;
}

/**
 * Drives moderation the way people do: drafts are generated through the real app (Claude fake
 * behind it) and posted as cards, then buttons are clicked and modals submitted through the
 * Discord fake. Reads back what the bot did on the wire.
 */
export class ModerationDriver {
  constructor(
    readonly fakes: Fakes,
    readonly testApp: TestApp,
  ) {}

  /** Generates a draft with exactly these tweets (queued at the Anthropic fake) and posts its card. */
  async postDraft(tweets: string | readonly string[], topicName = 'education'): Promise<PostedCard> {
    const list = typeof tweets === 'string' ? [tweets] : [...tweets];
    this.fakes.anthropic.queueOutput({ draft: list.length === 1 ? { kind: 'tweet', text: list[0] } : { kind: 'thread', tweets: list } });
    const outcome = await this.testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName });
    if (outcome.status !== 'created') throw new Error(`expected a draft, got ${outcome.status}: ${outcome.reason}`);
    if (!outcome.card) throw new Error('the draft card was not posted');
    return { draft: outcome.draft, messageId: outcome.card.messageId };
  }

  /** Clicks a card button (the custom_id must be on the message, as Discord requires). */
  click(
    card: { messageId: string },
    action: DraftAction,
    draftId: number,
    revision: number,
    userId = this.fakes.discord.userIds.moderator,
  ): InjectedInteraction {
    return this.fakes.discord.injectButtonClick({ messageId: card.messageId, customId: encodeDraftCustomId({ action, draftId, revision }), userId });
  }

  /** Submits a draft modal from the card's message. */
  submit(
    card: { messageId: string },
    action: 'regenerate-modal' | 'edit-modal' | 'reject-modal' | 'reschedule-modal' | 'add-image-modal',
    draftId: number,
    revision: number,
    fields: Record<string, string>,
    userId = this.fakes.discord.userIds.moderator,
    /** Files for the form's file uploads and choices in its selects (issue 14), by custom_id. */
    extra: { files?: Record<string, readonly ModalUpload[]>; selects?: Record<string, readonly string[]> } = {},
  ): InjectedInteraction {
    return this.fakes.discord.injectModalSubmit({
      customId: encodeDraftCustomId({ action, draftId, revision }),
      fields,
      messageId: card.messageId,
      userId,
      ...extra,
    });
  }

  /** Picks values in a select menu of a message (e.g. /queue's reply), as Discord sends the choice. */
  select(messageId: string, customId: string, values: readonly string[], userId = this.fakes.discord.userIds.moderator): InjectedInteraction {
    return this.fakes.discord.injectSelect({ messageId, customId, values, userId });
  }

  /** Clicks any button of a message by its custom_id (a /queue button, say). */
  press(messageId: string, customId: string, userId = this.fakes.discord.userIds.moderator): InjectedInteraction {
    return this.fakes.discord.injectButtonClick({ messageId, customId, userId });
  }

  /** Every custom_id of the message's components (buttons and select menus). */
  componentIds(messageId: string): string[] {
    return this.buttons(messageId);
  }

  /** The current state of a message as Discord stores it. */
  message(messageId: string): FakeMessage {
    const message = this.fakes.discord.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    return message;
  }

  /** The card's status field ("Status"), or '' when there is none. */
  status(messageId: string): string {
    const embed = this.message(messageId).embeds[0] as { fields?: Array<{ name: string; value: string }> } | undefined;
    return embed?.fields?.find((f) => f.name === 'Status')?.value ?? '';
  }

  /** Every custom_id of the message's buttons. */
  buttons(messageId: string): string[] {
    const rows = this.message(messageId).components as Array<{ components?: Array<{ custom_id?: string }> }>;
    return rows.flatMap((row) => (row.components ?? []).map((c) => c.custom_id ?? ''));
  }

  /** Ephemeral messages the bot sent in answer to one interaction (a reply or follow-ups). */
  ephemeralReplies(interactionId: string): string[] {
    return [...this.fakes.discord.messages.values()]
      .filter((m) => (m['interaction_metadata'] as { id?: string } | undefined)?.id === interactionId && (m.flags & MessageFlags.Ephemeral) !== 0)
      .map((m) => m.content);
  }

  /** Waits for the first ephemeral answer to an interaction. */
  async ephemeralReply(interactionId: string): Promise<string> {
    const message = await this.fakes.discord.waitForMessage(
      (m) => (m['interaction_metadata'] as { id?: string } | undefined)?.id === interactionId && (m.flags & MessageFlags.Ephemeral) !== 0,
    );
    return message.content;
  }
}
