import {
  ButtonStyle,
  ComponentType,
  escapeMarkdown,
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
import { MAX_TWEET_WEIGHT, weightedLength } from '../../domain/tweet-length.js';
import type { DraftCardView } from '../../services/moderation-service.js';

/** The message body of a draft card: what `channel.send`, `messages.edit` and `editReply` receive. */
export interface DraftCardMessage {
  readonly content: string;
  readonly embeds: APIEmbed[];
  readonly components: Array<APIActionRowComponent<APIButtonComponentWithCustomId>>;
}

/** The colour of the status line, by outcome. */
export const CARD_COLOURS = {
  pending: 0x5865f2,
  firstApproval: 0x3498db,
  approved: 0xfee75c,
  published: 0x57f287,
  rejected: 0xed4245,
  expired: 0x95a5a6,
  failed: 0xe67e22,
} as const;

/** Discord's embed limits we could reach with long threads or error messages. */
const DESCRIPTION_LIMIT = 4096;
const FIELD_VALUE_LIMIT = 1024;

/**
 * Renders a draft card: the text (every tweet of a thread, numbered, with its weighted length),
 * topic and type, risk flags, revision, the deadline and what happens then, today's posting
 * budget, and a coloured status line. Pending cards carry Approve / Regenerate / Edit / Reject;
 * a failed one carries Retry; any other outcome has no buttons, so the channel reads as history.
 * Pure: the same view always renders the same message.
 */
export function renderDraftCard(view: DraftCardView): DraftCardMessage {
  const { draft } = view;
  const status = statusLine(view);
  const fields: APIEmbedField[] = [
    { name: 'Status', value: clip(status.text, FIELD_VALUE_LIMIT) },
    { name: 'Topic', value: clip(`${escapeMarkdown(draft.topicName)} · ${CONTENT_TYPE_LABELS[draft.contentType]}`, FIELD_VALUE_LIMIT), inline: true },
    { name: 'Revision', value: String(draft.revision), inline: true },
    { name: 'Weighted length', value: lengthSummary(draft), inline: true },
    { name: 'Risk flags', value: draft.riskFlags.length > 0 ? draft.riskFlags.map((f) => `⚠️ ${f.label}`).join('\n') : 'none' },
  ];
  if (draft.status === 'pending' && draft.deadlineAt !== null) {
    const then = view.timeoutAction === 'publish' ? 'it is published automatically' : 'it expires';
    const why = view.needsSecondApproval && view.timeoutAction === 'expire' ? ' (risk flags need two approvals)' : '';
    fields.push({ name: 'Deadline', value: `${time(Math.floor(draft.deadlineAt / 1000), TimestampStyles.RelativeTime)}, then ${then}${why}` });
  }
  fields.push({
    name: 'Budget',
    value: `${view.budget.usedThisHour}/${view.budget.maxPerHour} posts this hour · ${view.budget.usedToday}/${view.budget.maxPerDay} today`,
  });
  if (draft.editedBy) fields.push({ name: 'Edited by', value: clip(escapeMarkdown(draft.editedBy.name), FIELD_VALUE_LIMIT), inline: true });
  if (draft.feedback) fields.push({ name: 'Feedback', value: clip(escapeMarkdown(draft.feedback), FIELD_VALUE_LIMIT) });
  // What the sanitiser changed in the model's text, so a moderator judges the final words knowingly.
  if (draft.sanitiserChanges.length > 0) {
    fields.push({ name: 'Auto-fixes', value: clip(draft.sanitiserChanges.map((c) => `• ${escapeMarkdown(c)}`).join('\n'), FIELD_VALUE_LIMIT) });
  }

  const embed: APIEmbed = {
    title: `${view.dryRun ? '[DRY RUN] ' : ''}Draft #${draft.id} · ${draft.kind === 'thread' ? `thread of ${draft.tweets.length}` : 'tweet'}`,
    description: tweetsText(draft),
    color: status.colour,
    fields,
    footer: { text: `draft ${draft.id} · revision ${draft.revision}${view.dryRun ? ' · DRY RUN: nothing is sent to X' : ''}` },
  };
  return { content: '', embeds: [embed], components: buttonsFor(view) };
}

/** The status line and its colour; exported for tests and for /status-like summaries. */
export function statusLine(view: DraftCardView): { text: string; colour: number } {
  const { draft } = view;
  const by = draft.decidedBy ? `**${escapeMarkdown(draft.decidedBy.name)}**` : 'someone';
  switch (draft.status) {
    case 'pending':
      if (draft.firstApprovedBy) {
        return {
          text: `☑️ First approval by **${escapeMarkdown(draft.firstApprovedBy.name)}**: a second, different moderator must approve`,
          colour: CARD_COLOURS.firstApproval,
        };
      }
      return {
        text: view.needsSecondApproval ? '⏳ Awaiting moderation: risk flags, so two moderators must approve' : '⏳ Awaiting moderation',
        colour: CARD_COLOURS.pending,
      };
    case 'approved':
      if (draft.notBefore !== null && draft.notBefore > view.now) {
        return {
          text: `🕒 Approved by ${by}; queued until ${time(Math.floor(draft.notBefore / 1000), TimestampStyles.ShortDateTime)} (${escapeMarkdown(draft.queueReason ?? 'waiting')})`,
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
      return { text: `✅ Published ${at} (approved by ${by})${where}`, colour: CARD_COLOURS.published };
    }
    case 'rejected':
      return {
        text: `❌ Rejected by ${by}: ${draft.rejectReason ? escapeMarkdown(draft.rejectReason) : 'no reason given'}`,
        colour: CARD_COLOURS.rejected,
      };
    case 'expired':
      return { text: '⌛ Expired: no decision before the deadline', colour: CARD_COLOURS.expired };
    case 'failed':
      return {
        text: `⚠️ Publishing failed (${draft.errorClass ?? 'error'}): ${escapeMarkdown(draft.errorMessage ?? 'unknown error')}. Press Retry once the cause is fixed.`,
        colour: CARD_COLOURS.failed,
      };
  }
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
        ],
      },
    ];
  }
  if (draft.status === 'failed') return [{ type: ComponentType.ActionRow, components: [button('retry', 'Retry', ButtonStyle.Primary)] }];
  return [];
}

function tweetsText(draft: Draft): string {
  if (draft.kind === 'tweet' || draft.tweets.length === 1) return clip(escapeMarkdown(draft.tweets[0] ?? ''), DESCRIPTION_LIMIT);
  const n = draft.tweets.length;
  // Each tweet gets an equal share so a long thread never breaks the embed limit.
  const share = Math.floor(DESCRIPTION_LIMIT / n) - 16;
  return draft.tweets.map((tweet, i) => `**${i + 1}/${n}**\n${clip(escapeMarkdown(tweet), share)}`).join('\n\n');
}

function lengthSummary(draft: Draft): string {
  const lengths = draft.tweets.map((t) => weightedLength(t));
  if (lengths.length === 1) return `${lengths[0]}/${MAX_TWEET_WEIGHT}`;
  return lengths.map((l, i) => `${i + 1}: ${l}/${MAX_TWEET_WEIGHT}`).join('\n');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
