import {
  FileUploadBuilder,
  LabelBuilder,
  ModalBuilder,
  StringSelectMenuBuilder,
  StringSelectMenuOptionBuilder,
  TextInputBuilder,
  TextInputStyle,
  type APIModalInteractionResponseCallbackData,
} from 'discord.js';
import { encodeDraftCustomId } from '../../domain/custom-id.js';
import type { Draft } from '../../domain/draft.js';
import { MEDIA_LIMITS } from '../../domain/media.js';
import { canAddImage, cardImagePlan, formatBytes } from './draft-card.js';
import { UserError } from './user-error.js';

/** Discord allows at most five inputs in a modal; threads may have six tweets. */
export const MAX_MODAL_INPUTS = 5;
/** A line holding only this splits one field into several tweets. */
export const TWEET_SEPARATOR = '---';
export const FEEDBACK_FIELD = 'feedback';
export const REASON_FIELD = 'reason';
/** The Reschedule form's one field: `next`, or a local date and time. */
export const RESCHEDULE_FIELD = 'when';
/** Long enough for `tomorrow 18:30` and `2026-12-24 18:30` with stray spaces; short enough to be a time. */
export const RESCHEDULE_MAX_LENGTH = 40;
export const FEEDBACK_MAX_LENGTH = 1000;
export const REASON_MAX_LENGTH = 500;
/** Discord's limit for a text input; generous so a prefilled tweet (long URLs count 23) always fits. */
const TEXT_INPUT_MAX = 4000;
/** The Add image form's file upload, and the alt-text field (Add image and Edit). */
export const IMAGES_FIELD = 'images';
export const ALT_TEXT_FIELD = 'alt-text';
/** The Edit form's "Remove images" select; its values are image positions. */
export const REMOVE_IMAGES_FIELD = 'remove-images';
/** With images, the Edit form gives two of its five inputs to them, so the tweets share three. */
const IMAGE_INPUTS = 2;

/** The custom_id of the text input holding tweet field `index` (0-based). */
export function tweetFieldId(index: number): string {
  return `tweet-${index + 1}`;
}

/** Regenerate: optional feedback for the model. */
export function buildRegenerateModal(draftId: number, revision: number): APIModalInteractionResponseCallbackData {
  return new ModalBuilder()
    .setCustomId(encodeDraftCustomId({ action: 'regenerate-modal', draftId, revision }))
    .setTitle(`Regenerate draft #${draftId}`)
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('Feedback for the writer (optional)')
        .setDescription('What should change? Leave empty for a fresh take.')
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId(FEEDBACK_FIELD)
            .setStyle(TextInputStyle.Paragraph)
            .setRequired(false)
            .setMaxLength(FEEDBACK_MAX_LENGTH)
            .setPlaceholder('e.g. shorter, friendlier, mention the bonding curve'),
        ),
    )
    .toJSON();
}

/** Reject: optional reason, stored on the draft and in the audit log. */
export function buildRejectModal(draftId: number, revision: number): APIModalInteractionResponseCallbackData {
  return new ModalBuilder()
    .setCustomId(encodeDraftCustomId({ action: 'reject-modal', draftId, revision }))
    .setTitle(`Reject draft #${draftId}`)
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('Reason (optional)')
        .setDescription('Feeds the topic statistics and tells the team why.')
        .setTextInputComponent(
          new TextInputBuilder().setCustomId(REASON_FIELD).setStyle(TextInputStyle.Paragraph).setRequired(false).setMaxLength(REASON_MAX_LENGTH),
        ),
    )
    .toJSON();
}

/**
 * Reschedule: one short field taking what parseRescheduleInput takes, in the account's zone
 * (named, as moderators may sit in other zones). Validated on submit by the scheduling service;
 * a refusal says why and changes nothing.
 */
export function buildRescheduleModal(draftId: number, revision: number, timeZone: string): APIModalInteractionResponseCallbackData {
  return new ModalBuilder()
    .setCustomId(encodeDraftCustomId({ action: 'reschedule-modal', draftId, revision }))
    .setTitle(fitTo(`Reschedule draft #${draftId}`, 45))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel('New time, or next')
        .setDescription(rescheduleHint(timeZone))
        .setTextInputComponent(
          new TextInputBuilder()
            .setCustomId(RESCHEDULE_FIELD)
            .setStyle(TextInputStyle.Short)
            .setRequired(true)
            .setMaxLength(RESCHEDULE_MAX_LENGTH)
            .setPlaceholder('2026-12-24 18:30, tomorrow 09:00, or next'),
        ),
    )
    .toJSON();
}

/** What the field takes; the shorter wording when a long zone name would push it past Discord's 100 characters. */
function rescheduleHint(timeZone: string): string {
  const full = `a date and time (YYYY-MM-DD HH:MM, HH:MM, tomorrow HH:MM) in ${timeZone}, or next`;
  return full.length <= 100 ? full : fitTo(`YYYY-MM-DD HH:MM, HH:MM or tomorrow HH:MM in ${timeZone}, or next`, 100);
}

/** Discord refuses a modal whose title or label texts are too long: cut (with an ellipsis) instead. */
function fitTo(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Edit: prefilled with the draft, one field per tweet. A six-tweet thread does not fit Discord's
 * five inputs, so the last field holds tweets 5 and 6 separated by a `---` line. Any field may
 * use `---` lines to split a tweet in two, and a cleared field drops its tweet; the result is
 * validated like generated text, so a thread that ends up too short or too long is refused with
 * the reason.
 */
export function buildEditModal(draft: Draft): APIModalInteractionResponseCallbackData {
  const images = cardImagePlan(draft);
  const altTexts = images.map((image) => image.media.altText ?? '');
  const altValue = altTexts.join(`\n${TWEET_SEPARATOR}\n`);
  // The alt texts share one field (the form has five inputs; four images' fields would leave none
  // for the tweets). When that field cannot give every alt text back unchanged (together over
  // Discord's limit, or one holding a `---` line), the form still opens without it: the alt texts
  // stay as they are (a form without the field keeps them), and the Remove select says why.
  const altBack = images.length > 0 ? readEditedAltTexts(altValue, images.length) : null;
  const altProblem =
    images.length === 0
      ? null
      : altValue.length > TEXT_INPUT_MAX
        ? `Alt texts stay: together they exceed the form's ${TEXT_INPUT_MAX} characters.`
        : !altBack || altBack.some((t, i) => t !== altTexts[i]?.trim())
          ? `Alt texts stay: one holds a line of only ${TWEET_SEPARATOR}, which the form splits on.`
          : null;
  const imageInputs = images.length === 0 ? 0 : altProblem ? IMAGE_INPUTS - 1 : IMAGE_INPUTS;
  const groups = editFieldGroups(draft.tweets, MAX_MODAL_INPUTS - imageInputs);
  const values = groups.map((group) => group.tweets.join(`\n${TWEET_SEPARATOR}\n`));
  // A form that would not give the draft back unchanged (a tweet holding a `---` line would be
  // split, a field over Discord's limit cut) would change tweets the moderator never touched.
  const readBack = readEditedTweets(values.length === 1 ? 'tweet' : 'thread', values);
  if (values.some((v) => v.length > TEXT_INPUT_MAX) || readBack.length !== draft.tweets.length || readBack.some((t, i) => t !== draft.tweets[i])) {
    throw new UserError(
      `This draft cannot be edited in Discord's form without changing text you did not touch (a tweet holds a line of only ${TWEET_SEPARATOR}, or a field would be longer than ${TEXT_INPUT_MAX} characters). Use Regenerate with feedback, or Reject. Nothing was changed.`,
    );
  }
  const single = draft.kind === 'tweet';
  const modal = new ModalBuilder()
    .setCustomId(encodeDraftCustomId({ action: 'edit-modal', draftId: draft.id, revision: draft.revision }))
    .setTitle(`Edit draft #${draft.id} (revision ${draft.revision})`);
  groups.forEach((group, index) => {
    const first = group.first + 1;
    const last = group.first + group.tweets.length;
    const label = single ? 'Tweet' : first === last ? `Tweet ${first} of ${draft.tweets.length}` : `Tweets ${first}-${last} of ${draft.tweets.length}`;
    const builder = new LabelBuilder().setLabel(label);
    if (group.tweets.length > 1) builder.setDescription(`Separate the tweets with a line holding only ${TWEET_SEPARATOR}`);
    builder.setTextInputComponent(
      new TextInputBuilder()
        .setCustomId(tweetFieldId(index))
        .setStyle(TextInputStyle.Paragraph)
        .setRequired(index === 0)
        .setMaxLength(TEXT_INPUT_MAX)
        .setValue(values[index] ?? ''),
    );
    modal.addLabelComponents(builder);
  });
  if (images.length > 0) {
    if (!altProblem) {
      modal.addLabelComponents(
        new LabelBuilder()
          .setLabel(images.length === 1 ? 'Alt text of the image' : `Alt texts of images 1-${images.length}`)
          .setDescription(
            images.length === 1
              ? 'Max 1000 characters, no addresses or @mentions. Empty: keep it.'
              : `One per image, separated by ${TWEET_SEPARATOR} lines. Empty: keep it.`,
          )
          .setTextInputComponent(
            new TextInputBuilder()
              .setCustomId(ALT_TEXT_FIELD)
              .setStyle(TextInputStyle.Paragraph)
              .setRequired(false)
              .setMaxLength(TEXT_INPUT_MAX)
              .setValue(altValue),
          ),
      );
    }
    modal.addLabelComponents(
      new LabelBuilder()
        .setLabel('Remove images')
        .setDescription(altProblem ? `Pick images to remove. ${altProblem}` : 'Pick the images to take off the post (none: keep them all).')
        .setStringSelectMenuComponent(
          new StringSelectMenuBuilder()
            .setCustomId(REMOVE_IMAGES_FIELD)
            .setRequired(false)
            .setMinValues(0)
            .setMaxValues(images.length)
            .setPlaceholder('Keep all images')
            .addOptions(
              images.map(({ media }, i) =>
                new StringSelectMenuOptionBuilder()
                  .setLabel(`Image ${i + 1}`)
                  .setDescription(
                    fitTo(`${media.mimeType.slice('image/'.length).toUpperCase()} · ${formatBytes(media.bytes)} · ${media.width}×${media.height}`, 100),
                  )
                  .setValue(String(media.position)),
              ),
            ),
        ),
    );
  }
  return modal.toJSON();
}

/**
 * Add image: a file upload taking 1 to 4 files (at most what X still takes: 4 images in all, or
 * one GIF alone; the service checks again) and an optional alt text for them. Refused when the
 * draft cannot take another image (the button is hidden then, but an old card may still show it).
 */
export function buildAddImageModal(draft: Draft): APIModalInteractionResponseCallbackData {
  if (!canAddImage(draft)) {
    throw new UserError(
      `Draft #${draft.id} already has ${MEDIA_LIMITS.maxImages} images, or a GIF (a GIF goes alone on X). Remove one with Edit first. Nothing was changed.`,
    );
  }
  const room = MEDIA_LIMITS.maxImages - (draft.media?.length ?? 0);
  return new ModalBuilder()
    .setCustomId(encodeDraftCustomId({ action: 'add-image-modal', draftId: draft.id, revision: draft.revision }))
    .setTitle(fitTo(`Add images to draft #${draft.id}`, 45))
    .addLabelComponents(
      new LabelBuilder()
        .setLabel(room === 1 ? 'Image' : `Images (1 to ${room})`)
        .setDescription('PNG, JPEG, WEBP (5 MB each, up to 4) or one GIF alone (10 MB).')
        .setFileUploadComponent(new FileUploadBuilder().setCustomId(IMAGES_FIELD).setRequired(true).setMinValues(1).setMaxValues(room)),
      new LabelBuilder()
        .setLabel('Alt text (optional)')
        .setDescription('For every added image. Empty: Claude writes it from the image.')
        .setTextInputComponent(
          new TextInputBuilder().setCustomId(ALT_TEXT_FIELD).setStyle(TextInputStyle.Paragraph).setRequired(false).setMaxLength(MEDIA_LIMITS.maxAltTextLength),
        ),
    )
    .toJSON();
}

/**
 * The alt texts of a submitted Edit form, one per image in post order, split on `---` lines and
 * trimmed (empty: keep the one it has). Null when the count does not match the images.
 */
export function readEditedAltTexts(value: string, imageCount: number): string[] | null {
  const parts = imageCount === 1 ? [value] : splitOnSeparatorLines(value);
  const texts = parts.map((part) => part.trim());
  // A cleared field keeps every alt text as it is.
  if (texts.length === 1 && texts[0] === '' && imageCount > 1) return Array.from({ length: imageCount }, () => '');
  return texts.length === imageCount ? texts : null;
}

/** Which tweets each Edit field holds: one each, the overflow sharing the last of `fields` fields. */
export function editFieldGroups(tweets: readonly string[], fields: number = MAX_MODAL_INPUTS): Array<{ first: number; tweets: string[] }> {
  const groups: Array<{ first: number; tweets: string[] }> = [];
  tweets.forEach((tweet, i) => {
    if (i < fields) groups.push({ first: i, tweets: [tweet] });
    else groups[fields - 1]?.tweets.push(tweet);
  });
  return groups;
}

/**
 * The tweets a submitted Edit modal describes, in field order. A single tweet is taken as typed
 * (a `---` line in it is text); thread fields are split on `---` lines and empty parts dropped.
 */
export function readEditedTweets(kind: 'tweet' | 'thread', fieldValues: readonly string[]): string[] {
  if (kind === 'tweet') return [fieldValues[0] ?? ''];
  return fieldValues
    .flatMap(splitOnSeparatorLines)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

function splitOnSeparatorLines(value: string): string[] {
  const parts: string[][] = [[]];
  for (const line of value.split(/\r?\n/)) {
    if (SEPARATOR_LINE.test(line)) parts.push([]);
    else parts[parts.length - 1]?.push(line);
  }
  return parts.map((lines) => lines.join('\n'));
}

const SEPARATOR_LINE = /^\s*-{3,}\s*$/;
