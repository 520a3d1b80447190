import {
  ButtonStyle,
  ComponentType,
  time,
  TimestampStyles,
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  type APIEmbed,
  type APIEmbedField,
} from 'discord.js';
import { CONTENT_TYPE_LABELS } from '../../domain/content-types.js';
import { encodeDraftCustomId, type CardAction } from '../../domain/custom-id.js';
import { tweetUrl, type Draft } from '../../domain/draft.js';
import { MEDIA_LIMITS, type DraftMedia, type MediaMimeType } from '../../domain/media.js';
import { isPauseHoldReason } from '../../domain/schedule.js';
import { MAX_TWEET_WEIGHT, weightedLength } from '../../domain/tweet-length.js';
import type { AccountLabel, DraftCardView } from '../../services/ports.js';

/** A file sent with a card: the full text when it is too long to show whole in embeds. */
export interface DraftCardFile {
  readonly name: string;
  readonly attachment: Buffer;
}

/** The message body of a draft card: what `channel.send`, `messages.edit` and `editReply` receive. */
export interface DraftCardMessage {
  readonly content: string;
  readonly embeds: APIEmbed[];
  readonly components: Array<APIActionRowComponent<APIButtonComponentWithCustomId>>;
  readonly files: DraftCardFile[];
  /**
   * Always sent: the attachments of the message being edited that stay (an image already on the
   * card, by id, so it is not uploaded again); discord.js appends `files` to it. Anything an older
   * rendering attached and this one does not list is dropped by Discord.
   */
  readonly attachments: Array<{ id: string }>;
}

/**
 * Discord's upload limit per file for a bot in a guild without boosts (10 MiB). Intake refuses a
 * bigger image (MEDIA_LIMITS.maxShownBytes), so every image can be previewed; the "no preview"
 * notes below are the safety net for a file that is missing or a limit that changes.
 */
export const CARD_IMAGE_PREVIEW_MAX_BYTES = 10 * 1024 * 1024;

/**
 * Discord also caps one message request as a whole ("the maximum request size when sending a
 * message is 25 MiB"): the card's previews together stay under it, with room left for the
 * payload JSON and a full-text attachment. An image past the total is listed without a preview.
 */
export const CARD_IMAGE_PREVIEWS_TOTAL_MAX_BYTES = 24 * 1024 * 1024;

/** One image of a draft as the card shows it: its attachment name and whether it can be previewed. */
export interface CardImagePlan {
  readonly media: DraftMedia;
  /** `image-<n>-<sha256 prefix>.<ext>`: a changed file at the same position gets a new name, so a kept attachment is always the same file. */
  readonly name: string;
  readonly preview: boolean;
  /** Why there is no preview: the file alone is over Discord's limit, or it would take the card past the total. */
  readonly over?: 'file' | 'message';
}

/**
 * Where the card's image previews come from, found by the adapter (I/O): attachments already on
 * the card message, by filename, kept by id instead of being uploaded again; and the bytes of the
 * others, by sha256, read from the media store. An image in neither is listed without a preview.
 */
export interface CardImageSources {
  readonly kept?: ReadonlyMap<string, string>;
  readonly bytes?: ReadonlyMap<string, Buffer>;
}

const IMAGE_EXTENSIONS: Record<MediaMimeType, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/gif': 'gif' };
const IMAGE_TYPE_LABELS: Record<MediaMimeType, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/webp': 'WEBP', 'image/gif': 'GIF' };

/** The card's images in post order, each with its attachment name and whether Discord can take it as a preview. */
export function cardImagePlan(draft: Draft): CardImagePlan[] {
  // Every preview counts toward the total, kept or uploaded: the plan does not depend on what
  // the message already holds, so each rendering of a card shows the same previews.
  let total = 0;
  return [...(draft.media ?? [])]
    .sort((a, b) => a.position - b.position)
    .map((media) => {
      const name = `image-${media.position + 1}-${media.sha256.slice(0, 12)}.${IMAGE_EXTENSIONS[media.mimeType]}`;
      if (media.bytes > CARD_IMAGE_PREVIEW_MAX_BYTES) return { media, name, preview: false, over: 'file' as const };
      if (total + media.bytes > CARD_IMAGE_PREVIEWS_TOTAL_MAX_BYTES) return { media, name, preview: false, over: 'message' as const };
      total += media.bytes;
      return { media, name, preview: true };
    });
}

/** How one image appears on the card. */
type ImageShown = 'shown' | 'too_large' | 'missing';

/** The attachments for the card's images: kept ones by id, the rest uploaded; and how each image ends up shown. */
function imageAttachments(
  plan: readonly CardImagePlan[],
  sources: CardImageSources,
): { attachments: Array<{ id: string }>; files: DraftCardFile[]; shown: Map<number, ImageShown>; embedImage: string | null } {
  const attachments: Array<{ id: string }> = [];
  const files: DraftCardFile[] = [];
  const shown = new Map<number, ImageShown>();
  let embedImage: string | null = null;
  for (const image of plan) {
    const kept = sources.kept?.get(image.name);
    const bytes = sources.bytes?.get(image.media.sha256);
    if (!image.preview) shown.set(image.media.position, 'too_large');
    else if (kept !== undefined) attachments.push({ id: kept });
    else if (bytes) files.push({ name: image.name, attachment: bytes });
    else shown.set(image.media.position, 'missing');
    if (!shown.has(image.media.position)) {
      shown.set(image.media.position, 'shown');
      embedImage ??= image.name;
    }
  }
  return { attachments, files, shown, embedImage };
}

/** Bytes for people: `830 B`, `12.4 KB`, `1.5 MB` (1,024-based, like X's "5 MB"). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The colour of the status line, by outcome. */
export const CARD_COLOURS = {
  pending: 0x5865f2,
  firstApproval: 0x3498db,
  approved: 0xfee75c,
  scheduled: 0x1abc9c,
  published: 0x57f287,
  rejected: 0xed4245,
  expired: 0x95a5a6,
  failed: 0xe67e22,
} as const;

/**
 * Discord's limits on a message, in UTF-16 code units (what `.length` counts; never less than
 * what Discord counts). The embed total covers titles, descriptions, field names and values,
 * footers and author names of all embeds of one message.
 */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  actionRows: 5,
  buttonsPerRow: 5,
  customId: 100,
  label: 80,
} as const;

/** A rendered card or reply that would break one of Discord's limits: it is never sent. */
export class CardTooLargeError extends Error {
  constructor(
    readonly draftId: number,
    readonly violations: readonly string[],
  ) {
    super(`the card of draft ${draftId} breaks Discord's limits: ${violations.join('; ')}`);
    this.name = 'CardTooLargeError';
  }
}

/** How the tweet text is shown: escaped markdown (reads best), code blocks (exact, no escaping), or a file. */
type TextMode = 'escaped' | 'code' | 'file';

/** A field in display order; `cut` ranks what gives way first when the card is too big (1 first). */
interface FieldSpec {
  readonly name: string;
  readonly inline?: boolean;
  /** The value, at most `max` long (shortened with a note saying so). */
  readonly fit: (max: number) => string;
  readonly cut?: number;
}

/** Shortened parts are never shorter than this (enough to say what was shortened). */
const MIN_SHORTENED = 48;
/** Gap between two text blocks. */
const BLOCK_GAP = '\n\n';

/**
 * The title names the X handle the draft will be posted as, once X told it; the footer always
 * names the account id. Escaped: a handle's `_` would otherwise italicise.
 */
function accountSuffix(account: AccountLabel): string {
  return account.handle ? ` · ${escapeText(`@${account.handle}`)}` : '';
}

/**
 * Renders a draft card: the text (every tweet of a thread, numbered, with its weighted length),
 * topic and type, risk flags, revision, the deadline and what happens then, today's posting
 * budget, and a coloured status line. Pending cards carry Approve / Regenerate / Edit / Reject (and Add image while X takes more);
 * a scheduled one (approved into a slot of the publishing calendar) says when and carries
 * Publish now / Reschedule / Unschedule; a failed one carries Retry; any other outcome has no
 * buttons, so the channel reads as history.
 *
 * Fitted to Discord's limits after escaping: the least important parts (feedback, auto-fixes,
 * the reason in the status, names) are shortened first, each saying so. The text that would be
 * posted is never shortened: when escaped markdown is too long it is shown unescaped in code
 * blocks (across several embeds if needed), and when even that is too long it is attached whole
 * as a file. Pure: the same view always renders the same message.
 */
export function renderDraftCard(view: DraftCardView, sources: CardImageSources = {}): DraftCardMessage {
  const { draft } = view;
  const images = imageAttachments(cardImagePlan(draft), sources);
  const specs = fieldSpecs(view, images.shown);
  const title = `${view.dryRun ? '[DRY RUN] ' : ''}Draft #${draft.id} · ${draft.kind === 'thread' ? `thread of ${draft.tweets.length}` : 'tweet'}${accountSuffix(view.account)}`;
  const colour = statusLine(view).colour;
  for (const mode of ['escaped', 'code', 'file'] as const) {
    const text = layoutText(draft, mode);
    if (!text) continue;
    const footer = `account ${view.account.id} · draft ${draft.id} · revision ${draft.revision}${view.dryRun ? ' · DRY RUN: nothing is sent to X' : ''}${FOOTER_NOTES[mode]}`;
    const fixed = title.length + footer.length + text.chunks.reduce((sum, c) => sum + c.length, 0);
    const fields = fitFields(specs, DISCORD_LIMITS.embedTotal - fixed);
    if (!fields) continue;
    const [first = '', ...continued] = text.chunks;
    const embeds: APIEmbed[] = [
      {
        title,
        description: first,
        color: colour,
        fields,
        ...(images.embedImage ? { image: { url: `attachment://${images.embedImage}` } } : {}),
        footer: { text: footer },
      },
      ...continued.map((description) => ({ description, color: colour })),
    ];
    const message: DraftCardMessage = {
      content: '',
      embeds,
      components: buttonsFor(view),
      files: [...images.files, ...text.files],
      attachments: [...images.attachments],
    };
    const violations = discordLimitViolations(message);
    if (violations.length === 0) return message;
  }
  throw new CardTooLargeError(draft.id, ['the text cannot be shown whole within any layout']);
}

const FOOTER_NOTES: Record<TextMode, string> = {
  escaped: '',
  code: ' · text shown in code blocks, exactly as it will be posted',
  file: ' · full text attached, exactly as it will be posted',
};

/** Every field of the card in display order, each able to shorten itself to a budget. */
function fieldSpecs(view: DraftCardView, imagesShown: ReadonlyMap<number, ImageShown> = new Map()): FieldSpec[] {
  const { draft } = view;
  const fixed = (value: string) => (max: number) => clip(value, max);
  const typeLabel = ` · ${CONTENT_TYPE_LABELS[draft.contentType]}`;
  const specs: FieldSpec[] = [
    { name: 'Status', fit: (max) => statusText(view, max), cut: 3 },
    { name: 'Topic', inline: true, fit: (max) => `${fitEscaped(draft.topicName, max - typeLabel.length, 'topic shortened')}${typeLabel}`, cut: 5 },
    { name: 'Revision', inline: true, fit: fixed(String(draft.revision)) },
    { name: 'Weighted length', inline: true, fit: fixed(lengthSummary(draft)) },
    { name: 'Risk flags', fit: fixed(draft.riskFlags.length > 0 ? draft.riskFlags.map((f) => `⚠️ ${f.label}`).join('\n') : 'none') },
  ];
  if (draft.status === 'pending' && draft.deadlineAt !== null) {
    const then = view.timeoutAction === 'publish' ? 'it is published automatically' : 'it expires';
    const why = view.needsSecondApproval && view.timeoutAction === 'expire' ? ' (risk flags need two approvals)' : '';
    specs.push({ name: 'Deadline', fit: fixed(`${time(Math.floor(draft.deadlineAt / 1000), TimestampStyles.RelativeTime)}, then ${then}${why}`) });
  }
  const note = isScheduled(draft) ? draft.scheduleNote : null;
  if (note) specs.push({ name: 'Schedule note', fit: (max) => fitEscaped(note, max, 'note shortened'), cut: 2 });
  specs.push({
    name: 'Budget',
    fit: fixed(`${view.budget.usedThisHour}/${view.budget.maxPerHour} posts this hour · ${view.budget.usedToday}/${view.budget.maxPerDay} today`),
  });
  specs.push(...imageFieldSpecs(draft, imagesShown));
  const editedBy = draft.editedBy;
  if (editedBy) specs.push({ name: 'Edited by', inline: true, fit: (max) => fitEscaped(editedBy.name, max, 'name shortened'), cut: 4 });
  const feedback = draft.feedback;
  if (feedback) specs.push({ name: 'Feedback', fit: (max) => fitEscaped(feedback, max, 'feedback shortened'), cut: 1 });
  // What the sanitiser changed in the model's text, so a moderator judges the final words knowingly.
  if (draft.sanitiserChanges.length > 0) {
    const changes = draft.sanitiserChanges;
    specs.push({
      name: 'Auto-fixes',
      fit: (max) =>
        fitLines(
          changes.map((c) => `• ${escapeText(c)}`),
          max,
          'auto-fixes shortened',
        ),
      cut: 2,
    });
  }
  return specs;
}

/**
 * One field per image: its type, size and dimensions, whether the card previews it, and its alt
 * text with who wrote it (shortened before anything else but feedback when the card is full: the
 * whole text is in the Edit form).
 */
function imageFieldSpecs(draft: Draft, shown: ReadonlyMap<number, ImageShown>): FieldSpec[] {
  const plan = cardImagePlan(draft);
  return plan.map(({ media, over }, i) => {
    // Preview or not, every image is described: type, size and dimensions, and its alt text.
    const facts = `${IMAGE_TYPE_LABELS[media.mimeType]} · ${formatBytes(media.bytes)} · ${media.width}×${media.height}`;
    const state = shown.get(media.position);
    const note =
      state === 'too_large'
        ? over === 'message'
          ? ` · no preview: the card's previews would pass Discord's ${formatBytes(CARD_IMAGE_PREVIEWS_TOTAL_MAX_BYTES)} per message (it is still posted to X)`
          : ` · no preview: over Discord's ${formatBytes(CARD_IMAGE_PREVIEW_MAX_BYTES)} upload limit (it is still posted to X)`
        : state === 'missing'
          ? ' · no preview: the file is missing from the media store'
          : '';
    const by = media.altSource === 'claude' ? 'by Claude' : media.altSource === 'moderator' ? 'by a moderator' : null;
    const head = `${facts}${note}\nAlt text${by ? ` (${by})` : ''}: `;
    return {
      name: `Image ${i + 1} of ${plan.length}`,
      fit: (max: number) => head + (media.altText ? fitEscaped(media.altText, Math.max(0, max - head.length), 'alt text shortened') : 'none yet'),
      cut: 2,
    };
  });
}

/**
 * Values for every field within the field limit and, together with their names, within
 * `budget`; the fields with a `cut` rank give way in rank order. Null when even the shortest
 * values do not fit.
 */
function fitFields(specs: readonly FieldSpec[], budget: number): APIEmbedField[] | null {
  const values = specs.map((spec) => spec.fit(DISCORD_LIMITS.fieldValue));
  const size = () => specs.reduce((sum, spec, i) => sum + spec.name.length + (values[i]?.length ?? 0), 0);
  const order = specs
    .map((spec, i) => ({ spec, i }))
    .filter((e) => e.spec.cut !== undefined)
    .sort((a, b) => (a.spec.cut ?? 0) - (b.spec.cut ?? 0));
  for (const { spec, i } of order) {
    const excess = size() - budget;
    if (excess <= 0) break;
    const current = values[i] ?? '';
    values[i] = spec.fit(Math.max(MIN_SHORTENED, current.length - excess));
  }
  if (size() > budget) return null;
  return specs.map((spec, i) => ({ name: spec.name, value: values[i] || '\u200b', ...(spec.inline ? { inline: true } : {}) }));
}

/** The tweet text laid out for one mode: description chunks (first embed, then continuations), and any file. */
function layoutText(draft: Draft, mode: TextMode): { chunks: string[]; files: DraftCardFile[] } | null {
  const n = draft.tweets.length;
  const header = (i: number, part: number) => (n > 1 || part > 0 ? `**${i + 1}/${n}**${part > 0 ? ' (continued)' : ''}\n` : '');
  if (mode === 'file') {
    const name = `draft-${draft.id}-revision-${draft.revision}.txt`;
    const body = n === 1 ? (draft.tweets[0] ?? '') : draft.tweets.map((t, i) => `----- ${i + 1}/${n} -----\n${t}`).join('\n\n');
    const intro = `⚠️ This text is too long to show whole here. **${name}** (attached) holds it exactly as it will be posted. It starts:\n\n`;
    const preview = fitEscaped(draft.tweets.join('\n\n'), 1_500, 'continued in the attached file');
    return { chunks: [intro + preview], files: [{ name, attachment: Buffer.from(body, 'utf8') }] };
  }
  const render = mode === 'escaped' ? (raw: string) => escapeText(raw) : (raw: string) => `\`\`\`\n${defuseFences(raw)}\n\`\`\``;
  const blocks: string[] = [];
  draft.tweets.forEach((tweet, i) => {
    const room = DISCORD_LIMITS.description - header(i, 1).length;
    splitToFit(tweet, render, room).forEach((piece, part) => blocks.push(header(i, part) + render(piece)));
  });
  const chunks: string[] = [];
  for (const block of blocks) {
    const last = chunks.length - 1;
    if (last >= 0 && (chunks[last] ?? '').length + BLOCK_GAP.length + block.length <= DISCORD_LIMITS.description) chunks[last] += BLOCK_GAP + block;
    else chunks.push(block);
  }
  if (chunks.length > DISCORD_LIMITS.embeds) return null;
  return { chunks, files: [] };
}

/**
 * Splits raw text into pieces whose rendering fits `room`, at whitespace where it can, never
 * inside a character; the pieces joined give back the text exactly.
 */
function splitToFit(raw: string, render: (raw: string) => string, room: number): string[] {
  if (render(raw).length <= room) return [raw];
  const chars = Array.from(raw);
  const pieces: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let lo = 1;
    let hi = chars.length - start;
    // The longest prefix whose rendering fits (rendering grows with the prefix).
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (render(chars.slice(start, start + mid).join('')).length <= room) lo = mid;
      else hi = mid - 1;
    }
    let take = lo;
    if (start + take < chars.length) {
      const window = chars.slice(start, start + take);
      const space = window.lastIndexOf(' ');
      const newline = window.lastIndexOf('\n');
      const cut = Math.max(space, newline);
      if (cut > take / 2) take = cut + 1;
    }
    pieces.push(chars.slice(start, start + take).join(''));
    start += take;
  }
  return pieces;
}

/** Inside a code block only a run of backticks can end it early: separate backticks with an invisible space. */
function defuseFences(raw: string): string {
  return raw.replace(/`(?=`)/g, '`\u200b');
}

/**
 * Text shown as written, not as markdown: backslash-escapes what Discord would format (emphasis,
 * code, spoilers, masked links, and quotes, headings and lists at a line start), the `<…>` forms
 * it replaces even in embeds (timestamps, channel, user and role references, custom emoji,
 * command links), and numbered lines, which it renumbers as a list. Linear, unlike discord.js's
 * escapeMarkdown, because fitting measures many candidate lengths.
 */
export function escapeText(raw: string): string {
  return raw
    .replace(/[\\*_~`|[\]<]/g, '\\$&')
    .replace(/^([ \t]*)([#>-])/gm, '$1\\$2')
    .replace(/^([ \t]*\d+)\.(?=\s)/gm, '$1\\.');
}

/** Escaped text at most `max` long; when shortened, it ends with "… (note)". */
export function fitEscaped(raw: string, max: number, note: string): string {
  const full = escapeText(raw);
  if (full.length <= max) return full;
  const suffix = `… (${note})`;
  if (max <= suffix.length) return clip(suffix, Math.max(0, max));
  const chars = Array.from(raw);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (escapeText(chars.slice(0, mid).join('')).length + suffix.length <= max) lo = mid;
    else hi = mid - 1;
  }
  // escapeText escapes character by character, so a prefix never ends in half an escape.
  return `${escapeText(chars.slice(0, lo).join(''))}${suffix}`;
}

/** Whole lines while they fit, then a note saying the rest was left out. */
function fitLines(lines: readonly string[], max: number, note: string): string {
  const all = lines.join('\n');
  if (all.length <= max) return all;
  const suffix = `… (${note})`;
  const kept: string[] = [];
  for (const line of lines) {
    if ([...kept, line].join('\n').length + 1 + suffix.length > max) break;
    kept.push(line);
  }
  if (kept.length === 0) return fitEscaped(lines[0] ?? '', max, note);
  return `${kept.join('\n')}\n${suffix}`;
}

/** The status line within `max`, shortening the person-written reason in it first. */
function statusText(view: DraftCardView, max: number): string {
  const full = statusLine(view).text;
  if (full.length <= max) return full;
  const base = statusLine(view, () => '').text.length;
  const text = statusLine(view, (raw) => fitEscaped(raw, max - base, 'reason shortened')).text;
  return clip(text, max);
}

/**
 * Every way `message` breaks Discord's limits (empty when it is fine). Used as the last check
 * before sending, and by the tests.
 */
export function discordLimitViolations(message: { content?: string; embeds?: readonly APIEmbed[]; components?: DraftCardMessage['components'] }): string[] {
  const L = DISCORD_LIMITS;
  const out: string[] = [];
  const over = (what: string, length: number, limit: number) => {
    if (length > limit) out.push(`${what} is ${length} (limit ${limit})`);
  };
  over('content', message.content?.length ?? 0, L.content);
  const embeds = message.embeds ?? [];
  over('embeds', embeds.length, L.embeds);
  let total = 0;
  embeds.forEach((embed, e) => {
    const fields = embed.fields ?? [];
    over(`embed ${e} title`, embed.title?.length ?? 0, L.title);
    over(`embed ${e} description`, embed.description?.length ?? 0, L.description);
    over(`embed ${e} fields`, fields.length, L.fields);
    over(`embed ${e} footer`, embed.footer?.text.length ?? 0, L.footer);
    over(`embed ${e} author`, embed.author?.name.length ?? 0, L.author);
    total += (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + (embed.footer?.text.length ?? 0) + (embed.author?.name.length ?? 0);
    fields.forEach((field, f) => {
      over(`embed ${e} field ${f} name`, field.name.length, L.fieldName);
      over(`embed ${e} field ${f} value`, field.value.length, L.fieldValue);
      total += field.name.length + field.value.length;
    });
  });
  over('embed total', total, L.embedTotal);
  const rows = message.components ?? [];
  over('action rows', rows.length, L.actionRows);
  rows.forEach((row, r) => {
    over(`row ${r} buttons`, row.components.length, L.buttonsPerRow);
    for (const button of row.components) {
      over(`custom_id ${button.custom_id}`, button.custom_id.length, L.customId);
      over(`label of ${button.custom_id}`, button.label?.length ?? 0, L.label);
    }
  });
  return out;
}

/**
 * What a decision came to, in one sentence for the person who made it: used when the card
 * itself could not be updated, so the moderator is never told something false.
 */
export function describeCardOutcome(view: DraftCardView): string {
  const { draft } = view;
  switch (draft.status) {
    case 'published': {
      const url = draft.tweetId ? tweetUrl(draft.tweetId) : null;
      return url ? `Approved and published: ${url}.` : 'Approved and published (dry run: nothing was sent to X).';
    }
    case 'approved':
      if (isScheduled(draft)) return `Approved; scheduled for ${scheduledWhen(draft.scheduledFor)}.`;
      if (isPauseHoldReason(draft.queueReason)) return 'Approved; held by /pause: it is published after /resume of publishing.';
      if (draft.notBefore !== null && draft.notBefore > view.now) {
        return `Approved; queued until ${time(Math.floor(draft.notBefore / 1000), TimestampStyles.ShortDateTime)} (${shorten(draft.queueReason ?? 'waiting', 300)}).`;
      }
      return 'Approved; publishing.';
    case 'publishing':
      return 'Approved; publishing now.';
    case 'failed':
      return `Approved, but publishing failed (${draft.errorClass ?? 'error'}): ${shorten(draft.errorMessage ?? 'unknown error', 500)}.`;
    case 'rejected':
      return `Rejected${draft.rejectReason ? `: ${shorten(draft.rejectReason, 500)}` : ''}.`;
    case 'expired':
      return 'The draft expired.';
    case 'pending':
      if (draft.firstApprovedBy) return 'Your approval is recorded; a second, different moderator must approve.';
      return `Saved: the draft is at revision ${draft.revision} now.`;
  }
}

/** Message content within Discord's 2,000 characters, saying so when shortened. */
export function fitMessageContent(text: string, max: number = DISCORD_LIMITS.content): string {
  return shorten(text, max);
}

/** At most `max` characters, ending with "… (shortened)" when cut; never splits a character. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const suffix = '… (shortened)';
  let kept = '';
  for (const ch of text) {
    if (kept.length + ch.length + suffix.length > max) break;
    kept += ch;
  }
  return kept + suffix;
}

/** The status line and its colour; exported for tests and for /status-like summaries. */
export function statusLine(view: DraftCardView, reasonText: (raw: string) => string = escapeText): { text: string; colour: number } {
  const { draft } = view;
  const by = draft.decidedBy ? `**${escapeText(draft.decidedBy.name)}**` : 'someone';
  switch (draft.status) {
    case 'pending':
      if (draft.firstApprovedBy) {
        return {
          text: `☑️ First approval by **${escapeText(draft.firstApprovedBy.name)}**: a second, different moderator must approve`,
          colour: CARD_COLOURS.firstApproval,
        };
      }
      return {
        text: view.needsSecondApproval ? '⏳ Awaiting moderation: risk flags, so two moderators must approve' : '⏳ Awaiting moderation',
        colour: CARD_COLOURS.pending,
      };
    case 'approved':
      if (isScheduled(draft)) {
        return {
          text: `🗓️ Scheduled for ${scheduledWhen(draft.scheduledFor)} · approved by ${by}${pastSlotWait(view, draft.scheduledFor, reasonText)}`,
          colour: CARD_COLOURS.scheduled,
        };
      }
      // A held draft is already due, so only its queue reason tells it from one publishing now.
      if (isPauseHoldReason(draft.queueReason)) {
        return { text: `⏸️ Approved by ${by}; held by /pause: publishing waits for /resume`, colour: CARD_COLOURS.approved };
      }
      if (draft.notBefore !== null && draft.notBefore > view.now) {
        return {
          text: `🕒 Approved by ${by}; queued until ${time(Math.floor(draft.notBefore / 1000), TimestampStyles.ShortDateTime)} (${reasonText(draft.queueReason ?? 'waiting')})`,
          colour: CARD_COLOURS.approved,
        };
      }
      return { text: `✅ Approved by ${by}; publishing`, colour: CARD_COLOURS.approved };
    case 'publishing':
      return { text: `📤 Approved by ${by}; publishing now`, colour: CARD_COLOURS.approved };
    case 'published': {
      const at = draft.publishedAt !== null ? time(Math.floor(draft.publishedAt / 1000), TimestampStyles.ShortDateTime) : 'an unknown time';
      const url = draft.tweetId ? tweetUrl(draft.tweetId) : null;
      const where = url ? ` · ${url}` : draft.dryRun ? ' · dry run: not sent to X' : '';
      return { text: `✅ Published ${at} (approved by ${by})${where}${recoveryNote(draft)}`, colour: CARD_COLOURS.published };
    }
    case 'rejected':
      return {
        text: `❌ Rejected by ${by}: ${draft.rejectReason ? reasonText(draft.rejectReason) : 'no reason given'}`,
        colour: CARD_COLOURS.rejected,
      };
    case 'expired':
      // A reason is only given when something other than the deadline expired it (its account was removed).
      return { text: `⌛ Expired: ${draft.rejectReason ? reasonText(draft.rejectReason) : 'no decision before the deadline'}`, colour: CARD_COLOURS.expired };
    case 'failed':
      return {
        text: `⚠️ Publishing failed (${draft.errorClass ?? 'error'}): ${reasonText(draft.errorMessage ?? 'unknown error')}. Press Retry once the cause is fixed.`,
        colour: CARD_COLOURS.failed,
      };
  }
}

/** An approved draft waiting for a slot of the publishing calendar (rather than for a cap, or for nothing). */
function isScheduled(draft: Draft): draft is Draft & { readonly scheduledFor: number } {
  return draft.status === 'approved' && typeof draft.scheduledFor === 'number';
}

/** `<t:…:F> (<t:…:R>)`: the slot in full, as each reader's own clock shows it, and how far off it is. */
function scheduledWhen(at: number): string {
  const seconds = Math.floor(at / 1000);
  return `${time(seconds, TimestampStyles.LongDateTime)} (${time(seconds, TimestampStyles.RelativeTime)})`;
}

/**
 * Why a scheduled draft is not out at its slot, when it is not: X's limit or a backoff pushed
 * `notBefore` past the slot, or the slot passed and something else (the pause) holds it. A card
 * that only said "scheduled for" a time gone by would look stuck.
 */
function pastSlotWait(view: DraftCardView, slot: number, reasonText: (raw: string) => string): string {
  const { draft } = view;
  const reason = draft.queueReason && draft.queueReason !== 'scheduled' ? draft.queueReason : null;
  if (draft.notBefore !== null && draft.notBefore > slot) {
    return ` · waiting past its slot until ${time(Math.floor(draft.notBefore / 1000), TimestampStyles.ShortDateTime)}: ${reasonText(reason ?? 'waiting')}`;
  }
  if (view.now >= slot && reason) return ` · waiting past its slot: ${reasonText(reason)}`;
  return '';
}

/** What a restart did with a publication a crash left in flight, so moderators know the tweet was never doubled. */
export const RECOVERY_NOTES = {
  already_on_x: 'Recovered after a restart: already on X',
  posted_now: 'Recovered after a restart: posted now',
} as const;

function recoveryNote(draft: Draft): string {
  return draft.recovered ? ` · ${RECOVERY_NOTES[draft.recovered]}` : '';
}

function buttonsFor(view: DraftCardView): DraftCardMessage['components'] {
  const { draft } = view;
  const button = (action: CardAction, label: string, style: APIButtonComponentWithCustomId['style']): APIButtonComponentWithCustomId => ({
    type: ComponentType.Button,
    custom_id: encodeDraftCustomId({ action, draftId: draft.id, revision: draft.revision }),
    label,
    style,
  });
  if (draft.status === 'pending') {
    const approveLabel = view.needsSecondApproval ? (draft.firstApprovedBy ? 'Approve (2 of 2)' : 'Approve (1 of 2)') : 'Approve';
    return [
      {
        type: ComponentType.ActionRow,
        components: [
          button('approve', approveLabel, ButtonStyle.Success),
          button('regenerate', 'Regenerate', ButtonStyle.Secondary),
          button('edit', 'Edit', ButtonStyle.Secondary),
          button('reject', 'Reject', ButtonStyle.Danger),
          ...(canAddImage(draft) ? [button('add-image', 'Add image', ButtonStyle.Secondary)] : []),
        ],
      },
    ];
  }
  if (isScheduled(draft)) {
    return [
      {
        type: ComponentType.ActionRow,
        components: [
          button('publish-now', 'Publish now', ButtonStyle.Primary),
          button('reschedule', 'Reschedule', ButtonStyle.Secondary),
          button('unschedule', 'Unschedule', ButtonStyle.Danger),
        ],
      },
    ];
  }
  if (draft.status === 'failed') return [{ type: ComponentType.ActionRow, components: [button('retry', 'Retry', ButtonStyle.Primary)] }];
  return [];
}

/** "Add image" is offered while X would take another image: fewer than 4, and no GIF (a GIF goes alone). */
export function canAddImage(draft: Draft): boolean {
  const media = draft.media ?? [];
  return media.length < MEDIA_LIMITS.maxImages && !media.some((m) => m.mimeType === 'image/gif');
}

function lengthSummary(draft: Draft): string {
  const lengths = draft.tweets.map((t) => weightedLength(t));
  if (lengths.length === 1) return `${lengths[0]}/${MAX_TWEET_WEIGHT}`;
  return lengths.map((l, i) => `${i + 1}: ${l}/${MAX_TWEET_WEIGHT}`).join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
