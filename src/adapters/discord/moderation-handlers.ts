import { MessageFlags, type APIModalInteractionResponseCallbackData, type ModalSubmitInteraction } from 'discord.js';
import type { DraftAction, DraftCustomId } from '../../domain/custom-id.js';
import type { Draft } from '../../domain/draft.js';
import type { Logger } from '../../logging/index.js';
import {
  refusalDetail,
  type ModerationAction,
  type ModerationRefusal,
  type ModerationRequest,
  type ModerationResult,
  type ModerationService,
} from '../../services/moderation-service.js';
import type { SchedulingOperations } from '../../services/scheduling-contract.js';
import { NO_MENTIONS } from './allowed-mentions.js';
import { describeCardOutcome, fitMessageContent, renderDraftCard, shorten } from './draft-card.js';
import {
  buildEditModal,
  buildRegenerateModal,
  buildRejectModal,
  FEEDBACK_FIELD,
  MAX_MODAL_INPUTS,
  readEditedTweets,
  REASON_FIELD,
  tweetFieldId,
} from './draft-modals.js';
import type { DraftInteraction, DraftInteractionHandler, DraftInteractionHandlers } from './interaction-router.js';
import { actorOf, clickerFacts, isModerator, whoMayModerate, type ModeratorPolicy } from './moderator-check.js';
import { UserError } from './user-error.js';

/** The moderation operations the handlers call; ModerationService provides them. */
export type ModerationOperations = Pick<
  ModerationService,
  'approve' | 'reject' | 'regenerate' | 'edit' | 'retry' | 'draftForForm' | 'recordRefusal' | 'cardRendered' | 'refreshCard'
>;

type ModalData = APIModalInteractionResponseCallbackData;

/** The moderation of one account, and who may moderate it. */
export interface ModerationScope {
  readonly moderation: ModerationOperations;
  /** The draft's account's publishing calendar: the scheduled card's buttons (issue 13). */
  readonly scheduling: SchedulingOperations;
  readonly policy: ModeratorPolicy;
}

/**
 * The moderation a draft's card acts through: its account's. A custom_id names only the draft;
 * the draft knows its account. A draft no account has (a card left behind by a restore) goes to
 * the account of the channel it was clicked in, whose service refuses it as not found and audits
 * it. Throws a UserError when the draft's account is no longer configured.
 */
export type ModerationScopeLookup = (draftId: number, channelId: string | null) => Promise<ModerationScope>;

export interface ModerationHandlerDependencies {
  readonly scopeOf: ModerationScopeLookup;
  readonly logger?: Logger | undefined;
}

/**
 * The draft-card handlers. Each one follows the same four steps: the router has decoded the
 * custom_id; the handler acknowledges first (deferUpdate, or showModal for buttons that open a
 * form); it checks that the clicker is a moderator (from the interaction payload: no I/O); it
 * calls one service method and edits the card from the result. Refusals are UserErrors, shown
 * ephemerally by the router. No handler keeps state: an old card works after a restart.
 */
export function createModerationHandlers(deps: ModerationHandlerDependencies): DraftInteractionHandlers {
  /** Buttons that act at once: acknowledge, check, act, render. */
  const immediate =
    (action: ModerationAction, run: (moderation: ModerationOperations, request: ModerationRequest) => Promise<ModerationResult>): DraftInteractionHandler =>
    async (interaction, id) => {
      await interaction.deferUpdate();
      const checked = await moderatorRequest(interaction, id, action);
      if (!checked) return;
      await renderResult(interaction, await run(checked.moderation, checked.request), checked.moderation, deps);
    };

  /**
   * Buttons that open a form. The only acknowledgement allowed besides a reply is the modal
   * itself, so the checks come first: a non-moderator (pure, in-memory), then the draft as the
   * service sees it (one local SQLite read: is this its card, is it still pending at this
   * revision). A refused click gets an ephemeral reply instead of a form it could never submit,
   * and the Edit form is never prefilled with the text of a draft the card does not show.
   */
  const opensModal =
    (action: ModerationAction, modal: (draft: Draft) => ModalData): DraftInteractionHandler =>
    async (interaction, id) => {
      if (!interaction.isButton()) return;
      const checked = await moderatorRequest(interaction, id, action);
      if (!checked) return;
      const { moderation, request } = checked;
      const current = await moderation.draftForForm(request);
      if (current.status === 'ok') {
        await interaction.showModal(modal(current.draft));
        return;
      }
      await interaction.reply({ content: describeRefusal(current), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      await moderation.recordRefusal(request, action, current.status, refusalDetail(current));
    };

  /** Modal submits: acknowledge by deferring the card's update, check again, act, render. */
  const submitted =
    (
      action: ModerationAction,
      run: (moderation: ModerationOperations, request: ModerationRequest, interaction: ModalSubmitInteraction) => Promise<ModerationResult>,
    ): DraftInteractionHandler =>
    async (interaction, id) => {
      if (!interaction.isModalSubmit()) return;
      if (!interaction.isFromMessage()) throw new UserError('This form is no longer attached to a draft card.');
      await interaction.deferUpdate();
      // Checked again: a role can be removed while the form is open, and a submit can be forged.
      const checked = await moderatorRequest(interaction, id, action);
      if (!checked) return;
      await renderResult(interaction, await run(checked.moderation, checked.request, interaction), checked.moderation, deps);
    };

  /**
   * The request, if the clicker moderates the draft's account; otherwise refuses (privately,
   * audited) and returns null. Each account has its own moderators.
   */
  async function moderatorRequest(
    interaction: DraftInteraction,
    id: DraftCustomId,
    action: ModerationAction,
  ): Promise<{ moderation: ModerationOperations; request: ModerationRequest } | null> {
    const { moderation, policy } = await deps.scopeOf(id.draftId, interaction.channelId);
    const request = requestOf(interaction, id);
    if (isModerator(clickerFacts(interaction), policy)) return { moderation, request };
    const refusal = {
      content: `Only moderators can do that (${whoMayModerate(policy)}). Nothing was changed.`,
      flags: MessageFlags.Ephemeral as const,
      allowedMentions: NO_MENTIONS,
    };
    // Acknowledge before writing the audit row: the reply is what the 3-second window is about.
    if (interaction.deferred || interaction.replied) await interaction.followUp(refusal);
    else await interaction.reply(refusal);
    await moderation.recordRefusal(request, action, 'not_moderator');
    return null;
  }

  const handlers: Record<DraftAction, DraftInteractionHandler> = {
    approve: immediate('approve', (moderation, request) => moderation.approve(request)),
    retry: immediate('retry', (moderation, request) => moderation.retry(request)),
    regenerate: opensModal('regenerate', (draft) => buildRegenerateModal(draft.id, draft.revision)),
    reject: opensModal('reject', (draft) => buildRejectModal(draft.id, draft.revision)),
    edit: opensModal('edit', (draft) => buildEditModal(draft)),
    'regenerate-modal': submitted('regenerate', (moderation, request, interaction) =>
      moderation.regenerate({ ...request, feedback: optionalField(interaction, FEEDBACK_FIELD) }),
    ),
    'reject-modal': submitted('reject', (moderation, request, interaction) =>
      moderation.reject({ ...request, reason: optionalField(interaction, REASON_FIELD) }),
    ),
    'edit-modal': submitted('edit', (moderation, request, interaction) => moderation.edit({ ...request, tweets: editedTweets(interaction) })),
  };
  return handlers;
}

/**
/**
 * The request an interaction makes. `messageId` is the message Discord says the interaction came
 * from (the clicked card, or the card a submitted form was opened from); the service refuses it
 * unless that is the draft's card.
 */
function requestOf(interaction: DraftInteraction, id: DraftCustomId): ModerationRequest {
  return { draftId: id.draftId, revision: id.revision, actor: actorOf(interaction), messageId: interaction.message?.id ?? null, interactionId: interaction.id };
}

/**
 * Applied results re-render the card (the same message); refusals become an ephemeral UserError.
 * The decision is committed before the card is edited, so when Discord refuses the edit the
 * moderator is told what actually happened, the card is re-rendered from the database once more,
 * and if that fails too the card reconciler keeps trying (the stored rendering says it is behind).
 */
async function renderResult(
  interaction: DraftInteraction,
  result: ModerationResult,
  moderation: ModerationOperations,
  deps: ModerationHandlerDependencies,
): Promise<void> {
  if (result.status === 'applied' || result.status === 'awaiting_second_approval') {
    try {
      await interaction.editReply({ ...renderDraftCard(result.card), allowedMentions: NO_MENTIONS });
    } catch (error) {
      const draftId = result.card.draft.id;
      deps.logger?.error('editing the card after a decision failed; the decision stands', { interactionId: interaction.id, draftId, error });
      await tellTheTruth(interaction, `${describeCardOutcome(result.card)} The card could not be updated right now; it will be refreshed.`, deps);
      await moderation.refreshCard(draftId);
      return;
    }
    try {
      await moderation.cardRendered(result.card);
    } catch (error) {
      // The card is right; not recording it only costs the reconciler one extra edit.
      deps.logger?.warn('recording the rendered card failed', { interactionId: interaction.id, draftId: result.card.draft.id, error });
    }
    return;
  }
  throw new UserError(describeRefusal(result), { status: result.status });
}

/** An ephemeral follow-up that never throws: the decision is already made, and the card reconciler follows. */
async function tellTheTruth(interaction: DraftInteraction, text: string, deps: ModerationHandlerDependencies): Promise<void> {
  try {
    await interaction.followUp({ content: fitMessageContent(text), flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
  } catch (error) {
    deps.logger?.warn('could not tell the moderator what their click did', { interactionId: interaction.id, error });
  }
}

/** The ephemeral text for every way a request can be refused. */
export function describeRefusal(result: ModerationRefusal): string {
  switch (result.status) {
    case 'already_decided':
      return `This draft was already decided by ${result.draft.decidedBy?.name ?? 'someone else'}: it is ${outcomeWord(result.draft)}. Nothing was changed.`;
    case 'stale':
      return `This card is out of date: the draft is at revision ${result.currentRevision} now. Use the buttons on the updated card.`;
    case 'same_moderator':
      return `You gave the first approval. Drafts with risk flags need a second approval from a different moderator.`;
    case 'invalid':
      return fitMessageContent(['Your edit was not saved. It failed these checks:', ...result.violations.map((v) => `• ${v.message}`)].join('\n'));
    case 'failed':
      return `Regeneration failed: ${shorten(result.reason, 1_500)}. The draft and its card are unchanged.`;
    case 'not_found':
      return 'This draft no longer exists.';
    case 'wrong_card':
      return 'This card does not show that draft (it may be from before a restore from backup), so it cannot act on it. Nothing was changed.';
  }
}

function outcomeWord(draft: Draft): string {
  switch (draft.status) {
    case 'approved':
    case 'publishing':
      return 'approved';
    default:
      return draft.status;
  }
}

function optionalField(interaction: ModalSubmitInteraction, customId: string): string | null {
  if (!interaction.fields.fields.has(customId)) return null;
  const value = interaction.fields.getTextInputValue(customId).trim();
  return value.length > 0 ? value : null;
}

/** The tweets of a submitted Edit form: one field means a single tweet, several mean a thread. */
function editedTweets(interaction: ModalSubmitInteraction): string[] {
  const values: string[] = [];
  for (let i = 0; i < MAX_MODAL_INPUTS; i += 1) {
    const id = tweetFieldId(i);
    if (interaction.fields.fields.has(id)) values.push(interaction.fields.getTextInputValue(id));
  }
  if (values.length === 0) throw new UserError('The edit form arrived without any text.');
  return readEditedTweets(values.length === 1 ? 'tweet' : 'thread', values);
}
