import { MessageFlags, type APIModalInteractionResponseCallbackData, type ModalSubmitInteraction } from 'discord.js';
import type { DraftAction, DraftCustomId } from '../../domain/custom-id.js';
import type { Draft } from '../../domain/draft.js';
import type { DraftMedia, ImageEdits } from '../../domain/media.js';
import type { Logger } from '../../logging/index.js';
import {
  refusalDetail,
  type ModerationAction,
  type ModerationRefusal,
  type ModerationRequest,
  type ModerationResult,
  type ModerationService,
} from '../../services/moderation-service.js';
import type { DraftMediaOperations, MediaChangeResult } from '../../services/media-contract.js';
import type { AttachmentRef, MediaFileStore } from '../../services/ports.js';
import type { ScheduleRequest, ScheduleResult, SchedulingOperations } from '../../services/scheduling-contract.js';
import { NO_MENTIONS } from './allowed-mentions.js';
import { cardImageSources } from './card-images.js';
import { describeCardOutcome, fitMessageContent, renderDraftCard, shorten } from './draft-card.js';
import {
  ALT_TEXT_FIELD,
  buildAddImageModal,
  buildEditModal,
  IMAGES_FIELD,
  readEditedAltTexts,
  REMOVE_IMAGES_FIELD,
  buildRegenerateModal,
  buildRejectModal,
  buildRescheduleModal,
  FEEDBACK_FIELD,
  MAX_MODAL_INPUTS,
  readEditedTweets,
  REASON_FIELD,
  RESCHEDULE_FIELD,
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
  /** The account's time zone (TIMEZONE / accounts.yaml), named on the Reschedule form. */
  readonly timeZone: string;
  /** The account's draft images (issue 14): Add image. Absent: the form says images are not available. */
  readonly media?: DraftMediaOperations | undefined;
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
  /** Where the card's image previews are read from (issue 14); absent: images are listed without previews. */
  readonly mediaFiles?: MediaFileStore | undefined;
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

  /** A scheduled card's buttons that act at once (Publish now, Unschedule): acknowledge, check, one scheduling call, render. */
  const scheduleNow =
    (action: ModerationAction, run: (scheduling: SchedulingOperations, request: ScheduleRequest) => Promise<ScheduleResult>): DraftInteractionHandler =>
    async (interaction, id) => {
      await interaction.deferUpdate();
      const checked = await moderatorRequest(interaction, id, action);
      if (!checked) return;
      await renderScheduleResult(interaction, await run(calendarOf(checked.scope), scheduleRequestOf(checked.request)), checked.moderation, deps);
    };

  /**
   * Reschedule opens its form after the moderator check only (in memory): whether the draft is
   * still scheduled, and whether the time is acceptable, is the service's answer on submit, in
   * one place, since either can change while the form is open.
   */
  const opensRescheduleForm: DraftInteractionHandler = async (interaction, id) => {
    if (!interaction.isButton()) return;
    const checked = await moderatorRequest(interaction, id, 'reschedule');
    if (!checked) return;
    await interaction.showModal(buildRescheduleModal(id.draftId, id.revision, checked.scope.timeZone));
  };

  /**
   * The request, if the clicker moderates the draft's account; otherwise refuses (privately,
   * audited) and returns null. Each account has its own moderators.
   */
  async function moderatorRequest(
    interaction: DraftInteraction,
    id: DraftCustomId,
    action: ModerationAction,
  ): Promise<{ moderation: ModerationOperations; request: ModerationRequest; scope: ModerationScope } | null> {
    const scope = await deps.scopeOf(id.draftId, interaction.channelId);
    const { moderation, policy } = scope;
    const request = requestOf(interaction, id);
    if (isModerator(clickerFacts(interaction), policy)) return { moderation, request, scope };
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
    'edit-modal': submitted('edit', async (moderation, request, interaction) => {
      const tweets = editedTweets(interaction);
      if (!interaction.fields.fields.has(REMOVE_IMAGES_FIELD)) return moderation.edit({ ...request, tweets });
      // The alt-text field is split per image: how many the draft has is the database's answer
      // (one local read), and a draft that moved on is refused here exactly as the edit would be.
      const current = await moderation.draftForForm(request);
      if (current.status !== 'ok') return current;
      return moderation.edit({ ...request, tweets, images: editedImages(interaction, current.draft.media ?? []) });
    }),
    'add-image': opensModal('add_image', (draft) => buildAddImageModal(draft)),
    'add-image-modal': async (interaction, id) => {
      if (!interaction.isModalSubmit()) return;
      if (!interaction.isFromMessage()) throw new UserError('This form is no longer attached to a draft card.');
      // At once: downloading the files and Claude's look at each take seconds, far past Discord's 3.
      await interaction.deferUpdate();
      const checked = await moderatorRequest(interaction, id, 'add_image');
      if (!checked) return;
      const media = checked.scope.media;
      if (!media) throw new UserError('Images are not available for this account. Nothing was changed.');
      const files = uploadedFiles(interaction);
      const result = await media.addImages({ ...checked.request, files, altText: optionalField(interaction, ALT_TEXT_FIELD) });
      await renderMediaResult(interaction, result, checked.moderation, deps);
    },
    'publish-now': scheduleNow('publish_now', (scheduling, request) => scheduling.publishNow(request)),
    unschedule: scheduleNow('unschedule', (scheduling, request) => scheduling.unschedule(request)),
    reschedule: opensRescheduleForm,
    'reschedule-modal': async (interaction, id) => {
      if (!interaction.isModalSubmit()) return;
      if (!interaction.isFromMessage()) throw new UserError('This form is no longer attached to a draft card.');
      await interaction.deferUpdate();
      // Checked again: a role can be removed while the form is open, and a submit can be forged.
      const checked = await moderatorRequest(interaction, id, 'reschedule');
      if (!checked) return;
      const text = optionalField(interaction, RESCHEDULE_FIELD) ?? '';
      const result = await calendarOf(checked.scope).reschedule({ ...scheduleRequestOf(checked.request), text });
      await renderScheduleResult(interaction, result, checked.moderation, deps);
    },
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

/** The account's calendar. */
function calendarOf(scope: ModerationScope): SchedulingOperations {
  return scope.scheduling;
}

/** A card click as the scheduling service takes it: the card message is checked like a moderation request's. */
function scheduleRequestOf(request: ModerationRequest): ScheduleRequest {
  return { draftId: request.draftId, actor: request.actor, messageId: request.messageId, interactionId: request.interactionId };
}

/** A schedule change from a card: applied re-renders the card as a decision does; a refusal is an ephemeral UserError. */
async function renderScheduleResult(
  interaction: DraftInteraction,
  result: ScheduleResult,
  moderation: ModerationOperations,
  deps: ModerationHandlerDependencies,
): Promise<void> {
  if (result.status === 'applied') {
    await renderResult(interaction, result, moderation, deps);
    return;
  }
  throw new UserError(describeScheduleRefusal(result), { status: result.status });
}

/** The ephemeral text for every way a schedule request (card or /queue) can be refused. Never over a message's 2,000 characters. */
export function describeScheduleRefusal(result: Exclude<ScheduleResult, { status: 'applied' }>): string {
  switch (result.status) {
    case 'not_scheduled':
      return `Draft #${result.draft.id} is not scheduled any more: it is ${scheduleStateWord(result.draft)}. Nothing was changed.`;
    case 'moved': {
      const at = result.draft.scheduledFor;
      if (typeof at !== 'number') {
        // Someone else's Publish now (or Unschedule) won the race: the slot it had is gone.
        return `Draft #${result.draft.id} is not scheduled any more: someone else changed it meanwhile (it is being published, or waits for the caps). Nothing was changed.`;
      }
      return `Draft #${result.draft.id} was moved meanwhile: it is scheduled for ${discordTimestamp(at, 'F')} now. Nothing was changed; look at the queue again.`;
    }
    case 'invalid_time':
      return fitMessageContent(`That time was not accepted: ${result.reason}. Nothing was changed.`);
    case 'no_free_slot':
      return 'There is no free slot in the next 8 days (other scheduled posts, the caps and the active hours fill them). Nothing was changed.';
    case 'publishing_paused':
      return fitMessageContent(`Publishing is paused for this account (${result.reason}), so nothing is posted until /resume. Nothing was changed.`);
    default:
      return describeRefusal(result);
  }
}

/** What a draft that left the calendar became, in a word or two. */
function scheduleStateWord(draft: Draft): string {
  switch (draft.status) {
    case 'approved':
      return 'approved and waiting to be published as soon as it can';
    case 'publishing':
      return 'being published right now';
    case 'pending':
      return 'pending moderation again';
    default:
      return draft.status;
  }
}

function discordTimestamp(ms: number, style: 'F' | 'R' | 'f'): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
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
      // The card's images already on the message stay by id; only new ones are read and uploaded.
      const existing = interaction.message ? [...interaction.message.attachments.values()].map((a) => ({ id: a.id, name: a.name })) : [];
      const sources = await cardImageSources(result.card.draft, deps.mediaFiles, existing);
      await interaction.editReply({ ...renderDraftCard(result.card, sources), allowedMentions: NO_MENTIONS });
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

/** An image change: applied re-renders the card; a refused file is an ephemeral error naming the rule, the card unchanged. */
async function renderMediaResult(
  interaction: DraftInteraction,
  result: MediaChangeResult,
  moderation: ModerationOperations,
  deps: ModerationHandlerDependencies,
): Promise<void> {
  if (result.status === 'refused') {
    throw new UserError(fitMessageContent(`${result.error.message} Nothing was added; the draft keeps what it had.`), { rule: result.error.rule });
  }
  await renderResult(interaction, result, moderation, deps);
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

/** The files of a submitted Add image form, as Discord describes them (the service downloads and checks them). */
function uploadedFiles(interaction: ModalSubmitInteraction): AttachmentRef[] {
  const files = interaction.fields.fields.has(IMAGES_FIELD) ? interaction.fields.getUploadedFiles(IMAGES_FIELD) : null;
  if (!files || files.size === 0) throw new UserError('The form arrived without any file. Nothing was changed.');
  return [...files.values()].map((file) => ({ url: file.url, filename: file.name, contentType: file.contentType ?? null, size: file.size }));
}

/** The images part of a submitted Edit form (one that had the Remove images select), against the draft's images. */
function editedImages(interaction: ModalSubmitInteraction, media: readonly DraftMedia[]): ImageEdits {
  const remove = interaction.fields.getStringSelectValues(REMOVE_IMAGES_FIELD).map(Number);
  const current = [...media].sort((a, b) => a.position - b.position);
  const typed = readEditedAltTexts(interaction.fields.fields.has(ALT_TEXT_FIELD) ? interaction.fields.getTextInputValue(ALT_TEXT_FIELD) : '', current.length);
  if (!typed) {
    throw new UserError(`Your edit was not saved: give one alt text per image (${current.length}), separated by lines holding only ---. Nothing was changed.`);
  }
  // What the form was prefilled with and came back unchanged (or blank) is no change: it keeps its author.
  const altTexts = typed.map((text, i) => (text === '' || text === (current[i]?.altText ?? '').trim() ? null : text));
  return { altTexts, remove };
}
