import {
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  SlashCommandBuilder,
  type APIActionRowComponent,
  type APIComponentInMessageActionRow,
  type APIEmbed,
  type APISelectMenuOption,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandComponentInteraction, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, NO_MENTIONS, plain } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import { DISCORD_LIMITS, discordLimitViolations, escapeText } from '../src/adapters/discord/draft-card.js';
import { describeScheduleRefusal } from '../src/adapters/discord/moderation-handlers.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import {
  decodeQueueCustomId,
  decodeQueueTarget,
  encodeQueueCustomId,
  encodeQueueTarget,
  MAX_QUEUE_PAGE,
  QUEUE_CUSTOM_ID_VERSION,
  type QueueCustomId,
  type QueueTarget,
} from '../src/domain/custom-id.js';
import type { Actor, Draft } from '../src/domain/draft.js';
import { rankSlotSuggestions, SUGGESTION_WINDOW_MS, type SlotSuggestions } from '../src/domain/slot-suggestions.js';
import { describeSlotRules } from '../src/domain/slots.js';
import { shortLocalTime } from '../src/domain/time-zone.js';
import type { ScheduleRequest, ScheduleResult, SchedulingOperations } from '../src/services/scheduling-contract.js';

/** Drafts per page: ten lines of about 250 characters keep the embed far below 4,096, and the select below 25 options. */
export const QUEUE_PAGE_SIZE = 10;
/** Free slots offered by "Move to" (Discord allows 25 options; ten is what a moderator reads at a glance). */
export const MOVE_CHOICES = 10;
/** Discord's limits on a select menu and its options. */
export const SELECT_LIMITS = { options: 25, label: 100, value: 100, description: 100, placeholder: 150 } as const;

/** The message /queue shows and edits in place. */
export interface QueueMessage {
  readonly content: string;
  readonly embeds: APIEmbed[];
  readonly components: Array<APIActionRowComponent<APIComponentInMessageActionRow>>;
}

/** Everything one page of the queue is rendered from (pure: the same input renders the same message). */
export interface QueuePageInput {
  readonly accountId: string;
  /** ` · acme (@acme)` when the bot serves several accounts, else ''. */
  readonly accountTitle: string;
  /** The drafts of this page, soonest first. */
  readonly items: readonly Draft[];
  /** All upcoming drafts of the account. */
  readonly total: number;
  /** 0-based; the caller clamped it to the pages there are. */
  readonly page: number;
  readonly now: number;
  readonly timeZone: string;
  /** The account's slots in words (describeSlotRules), or null without slots. */
  readonly slots: string | null;
  /** The draft a moderator picked from the select menu (on this page), with the free slots to move it to. */
  readonly selected?: { readonly draft: Draft; readonly freeSlots: readonly number[] } | null;
  /** What the last action did, shown above the list. */
  readonly notice?: string | null;
}

/** How many pages `total` drafts fill (at least one, so an empty queue still has a page 0). */
export function pageCount(total: number): number {
  return Math.max(1, Math.min(MAX_QUEUE_PAGE + 1, Math.ceil(total / QUEUE_PAGE_SIZE)));
}

/** The slot a queued draft waits for: its schedule, else the time the caps or X let it go, else now. */
function dueAt(draft: Draft, now: number): number {
  return typeof draft.scheduledFor === 'number' ? draft.scheduledFor : (draft.notBefore ?? now);
}

/** The first line of the first tweet, as a moderator recognises the post. */
export function firstLine(draft: Draft): string {
  const line = (draft.tweets[0] ?? '').split('\n').find((l) => l.trim().length > 0) ?? '';
  return line.trim();
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  let out = '';
  for (const ch of chars) {
    if (out.length + ch.length + 1 > max) break;
    out += ch;
  }
  return `${out}…`;
}

const when = (at: number) => `<t:${Math.floor(at / 1000)}:F> (<t:${Math.floor(at / 1000)}:R>)`;

/** One line of the list: when, which draft, its first line, who approved it. */
function itemLine(draft: Draft, index: number, now: number, textMax: number): string {
  const at = dueAt(draft, now);
  const how =
    typeof draft.scheduledFor === 'number' ? '' : ` · ${draft.notBefore !== null && draft.notBefore > now ? 'waiting for the caps' : 'as soon as it can'}`;
  const thread = draft.kind === 'thread' ? ` (thread of ${draft.tweets.length})` : '';
  const by = draft.decidedBy ? plain(clip(draft.decidedBy.name, 40)) : 'unknown';
  return `**${index}.** ${when(at)}${how} · #${draft.id}${thread} · ${escapeText(clip(firstLine(draft), textMax))} · approved by ${by}`;
}

/**
 * One page of an account's queue: the list (time, first line, approver), a select menu to pick a
 * draft, and Prev/Next. With a picked draft: what it is, a select of free slots to move it to, and
 * Publish now / Swap with next / Unschedule / Back. Within Discord's limits by construction (ten
 * items, clipped lines, at most 4 rows); checked anyway before anything is sent.
 */
export function renderQueuePage(input: QueuePageInput): QueueMessage {
  const { accountId, page, now } = input;
  const pages = pageCount(input.total);
  const id = (value: Omit<QueueCustomId, 'accountId'>) => encodeQueueCustomId({ ...value, accountId });
  const first = page * QUEUE_PAGE_SIZE;
  // A whole tweet's first line when ten fit in the description; shorter when markdown escapes swell them.
  const listed = (textMax: number) => input.items.map((draft, i) => itemLine(draft, first + i + 1, now, textMax)).join('\n');
  const list = [280, 160, 80].map(listed).find((text) => text.length <= DISCORD_LIMITS.description) ?? listed(40);
  const description =
    input.total === 0
      ? `Nothing is waiting to be published.${input.slots ? '' : ' This account has no slots: an approved post goes out at once, or when the caps allow.'}`
      : list;
  const footer = [`page ${page + 1} of ${pages}`, `${input.total} upcoming`, input.slots ? `slots (${input.timeZone}): ${input.slots}` : 'no slots'].join(
    ' · ',
  );
  const embed: APIEmbed = {
    title: `Publishing queue${input.accountTitle}`,
    description: clip(description, DISCORD_LIMITS.description),
    color: COLORS.info,
    footer: { text: clip(footer, DISCORD_LIMITS.footer) },
  };
  const selected = input.selected ?? null;
  if (selected) {
    const draft = selected.draft;
    embed.fields = [
      {
        name: clip(`Selected: draft #${draft.id}`, DISCORD_LIMITS.fieldName),
        value: clip(
          `${when(dueAt(draft, now))} · approved by ${draft.decidedBy ? plain(clip(draft.decidedBy.name, 40)) : 'unknown'}\n${escapeText(clip(firstLine(draft), 300))}`,
          DISCORD_LIMITS.fieldValue,
        ),
      },
    ];
  }

  const rows: QueueMessage['components'] = [];
  if (input.items.length > 0) {
    const options: APISelectMenuOption[] = input.items.slice(0, SELECT_LIMITS.options).map((draft) => ({
      label: clip(`#${draft.id} · ${shortLocalTime(dueAt(draft, now), input.timeZone)}`, SELECT_LIMITS.label),
      value: encodeQueueTarget(target(draft)),
      description: clip(firstLine(draft) || '(empty)', SELECT_LIMITS.description),
      ...(selected && selected.draft.id === draft.id ? { default: true } : {}),
    }));
    rows.push({
      type: ComponentType.ActionRow,
      components: [{ type: ComponentType.StringSelect, custom_id: id({ action: 'pick', page }), placeholder: 'Pick a post to steer (moderators)', options }],
    });
  }
  if (selected) {
    const at = target(selected.draft);
    const moves = selected.freeSlots.slice(0, Math.min(MOVE_CHOICES, SELECT_LIMITS.options));
    if (moves.length > 0) {
      rows.push({
        type: ComponentType.ActionRow,
        components: [
          {
            type: ComponentType.StringSelect,
            custom_id: id({ action: 'move', page, target: at }),
            placeholder: clip(`Move #${selected.draft.id} to a free slot (${input.timeZone})`, SELECT_LIMITS.placeholder),
            options: moves.map((slot) => ({ label: clip(shortLocalTime(slot, input.timeZone), SELECT_LIMITS.label), value: String(slot) })),
          },
        ],
      });
    }
    rows.push({
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Primary, label: 'Publish now', custom_id: id({ action: 'now', page, target: at }) },
        { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Swap with next', custom_id: id({ action: 'swap', page, target: at }) },
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: 'Unschedule', custom_id: id({ action: 'unschedule', page, target: at }) },
        { type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Back to the list', custom_id: id({ action: 'page', page }) },
      ],
    });
  }
  const paging: APIComponentInMessageActionRow[] = [];
  if (page > 0) paging.push({ type: ComponentType.Button, style: ButtonStyle.Secondary, label: '◀ Prev', custom_id: id({ action: 'page', page: page - 1 }) });
  if (page + 1 < pages)
    paging.push({ type: ComponentType.Button, style: ButtonStyle.Secondary, label: 'Next ▶', custom_id: id({ action: 'page', page: page + 1 }) });
  if (paging.length > 0) rows.push({ type: ComponentType.ActionRow, components: paging });

  const message: QueueMessage = { content: clip(input.notice ?? '', DISCORD_LIMITS.content), embeds: [embed], components: rows };
  const violations = [...discordLimitViolations({ content: message.content, embeds: message.embeds }), ...selectViolations(message)];
  if (violations.length > 0) throw new Error(`the /queue page breaks Discord's limits: ${violations.join('; ')}`);
  return message;
}

/** The draft as the moderator sees it: its id and the slot it is in (null: waiting for a cap, no slot). */
function target(draft: Draft): QueueTarget {
  return { draftId: draft.id, scheduledFor: typeof draft.scheduledFor === 'number' ? draft.scheduledFor : null };
}

/** Component limits the card's check does not cover: select menus, and rows and custom_ids of mixed rows. */
export function selectViolations(message: Pick<QueueMessage, 'components'>): string[] {
  const out: string[] = [];
  if (message.components.length > DISCORD_LIMITS.actionRows) out.push(`${message.components.length} action rows (limit ${DISCORD_LIMITS.actionRows})`);
  const ids = new Set<string>();
  message.components.forEach((row, r) => {
    const selects = row.components.filter((c) => c.type === ComponentType.StringSelect);
    if (selects.length > 0 && row.components.length > 1) out.push(`row ${r}: a select menu must be alone in its row`);
    if (row.components.length > DISCORD_LIMITS.buttonsPerRow) out.push(`row ${r}: ${row.components.length} components`);
    for (const c of row.components) {
      const customId = 'custom_id' in c ? c.custom_id : '';
      if (customId.length > DISCORD_LIMITS.customId) out.push(`custom_id ${customId} longer than ${DISCORD_LIMITS.customId}`);
      if (ids.has(customId)) out.push(`custom_id ${customId} twice`);
      ids.add(customId);
      if (c.type === ComponentType.Button && 'label' in c && (c.label?.length ?? 0) > DISCORD_LIMITS.label) out.push(`label of ${customId} too long`);
      if (c.type === ComponentType.StringSelect) {
        if (c.options.length === 0 || c.options.length > SELECT_LIMITS.options) out.push(`${customId}: ${c.options.length} options`);
        if ((c.placeholder?.length ?? 0) > SELECT_LIMITS.placeholder) out.push(`${customId}: placeholder too long`);
        for (const o of c.options) {
          if (o.label.length > SELECT_LIMITS.label || o.value.length > SELECT_LIMITS.value || (o.description?.length ?? 0) > SELECT_LIMITS.description) {
            out.push(`${customId}: option ${o.value} too long`);
          }
        }
      }
    }
  });
  return out;
}

function calendarOf(account: AccountCommandContext): SchedulingOperations {
  return account.scheduling;
}

/** Reads one page (clamped to the pages there are) and renders it. */
async function queuePage(
  ctx: CommandContext,
  account: AccountCommandContext,
  page: number,
  extra: { readonly pick?: QueueTarget | undefined; readonly notice?: string | null | undefined } = {},
): Promise<QueueMessage> {
  const scheduling = calendarOf(account);
  let current = Math.max(0, page);
  let view = await scheduling.upcoming({ offset: current * QUEUE_PAGE_SIZE, limit: QUEUE_PAGE_SIZE });
  const last = pageCount(view.total) - 1;
  if (current > last) {
    // The queue shrank since the page was shown (published, unscheduled): show its last page.
    current = last;
    view = await scheduling.upcoming({ offset: current * QUEUE_PAGE_SIZE, limit: QUEUE_PAGE_SIZE });
  }
  let selected: QueuePageInput['selected'] = null;
  if (extra.pick) {
    const pick = extra.pick;
    const draft = view.items.find((d) => d.id === pick.draftId);
    if (!draft || target(draft).scheduledFor !== pick.scheduledFor) {
      throw new UserError(`Draft #${pick.draftId} moved or left the queue since this page was shown. Nothing was changed; the list is up to date now.`);
    }
    selected = { draft, freeSlots: scheduling.hasSlots() ? await scheduling.freeSlots(MOVE_CHOICES) : [] };
  }
  const slots = account.config.posting.slots;
  return renderQueuePage({
    accountId: account.id,
    accountTitle: accountSuffix(ctx, account),
    items: view.items,
    total: view.total,
    page: current,
    now: ctx.clock.now(),
    timeZone: account.config.posting.timezone,
    slots: slots.length > 0 ? describeSlotRules(slots) : null,
    selected,
    notice: extra.notice ?? null,
  });
}

/** What an applied action did, in one line above the refreshed list. */
function noticeOf(action: QueueCustomId['action'], draftId: number, actor: Actor, result: Extract<ScheduleResult, { status: 'applied' }>): string {
  const by = plain(clip(actor.name, 40));
  const draft = result.card.draft;
  switch (action) {
    case 'now':
      return `📤 ${by} sent draft #${draftId} to publish now.`;
    case 'move':
    case 'swap':
      return typeof draft.scheduledFor === 'number'
        ? `🗓️ ${by} ${action === 'swap' ? 'swapped' : 'moved'} draft #${draftId}: now scheduled for ${when(draft.scheduledFor)}.`
        : `🗓️ ${by} ${action === 'swap' ? 'swapped' : 'moved'} draft #${draftId}.`;
    case 'unschedule':
      return `↩️ ${by} unscheduled draft #${draftId}: it is pending moderation again.`;
    default:
      return '';
  }
}

/** Runs a /queue component: paging, picking, and the four actions on a picked draft. */
async function runQueueComponent(interaction: CommandComponentInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void> {
  const id = decodeQueueCustomId(interaction.customId);
  if (!id) throw new UserError('This control is not understood by this version of the bot. Run /queue again.');
  const show = async (message: QueueMessage) => {
    await interaction.editReply({ ...message, allowedMentions: NO_MENTIONS });
  };
  if (id.action === 'page') {
    await show(await queuePage(ctx, account, id.page));
    return;
  }
  if (id.action === 'pick') {
    const value = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
    const pick = value === undefined ? null : decodeQueueTarget(value);
    if (!pick) throw new UserError('That choice is not understood by this version of the bot. Run /queue again.');
    try {
      await show(await queuePage(ctx, account, id.page, { pick }));
    } catch (error) {
      if (error instanceof UserError) await show(await queuePage(ctx, account, id.page));
      throw error;
    }
    return;
  }
  const targetDraft = id.target as QueueTarget;
  const scheduling = calendarOf(account);
  const request: ScheduleRequest = {
    draftId: targetDraft.draftId,
    actor,
    interactionId: interaction.id,
    // Not from the draft's card: the service refreshes the card itself.
    messageId: undefined,
    expectedScheduledFor: targetDraft.scheduledFor,
  };
  let result: ScheduleResult;
  switch (id.action) {
    case 'now':
      result = await scheduling.publishNow(request);
      break;
    case 'swap':
      result = await scheduling.swapWithNext(request);
      break;
    case 'unschedule':
      result = await scheduling.unschedule(request);
      break;
    case 'move': {
      const value = interaction.isStringSelectMenu() ? interaction.values[0] : undefined;
      const at = value !== undefined && /^\d{1,16}$/.test(value) ? Number(value) : null;
      if (at === null) throw new UserError('That slot is not understood by this version of the bot. Run /queue again.');
      result = await scheduling.moveTo({ ...request, at });
      break;
    }
  }
  if (result.status === 'applied') {
    await show(await queuePage(ctx, account, id.page, { notice: noticeOf(id.action, targetDraft.draftId, actor, result) }));
    return;
  }
  // Refused: the list is refreshed so the moderator sees why, and told privately.
  await show(await queuePage(ctx, account, id.page));
  throw new UserError(describeScheduleRefusal(result), { status: result.status, draftId: targetDraft.draftId });
}

/**
 * /queue list [account]: the account's upcoming posts (scheduled into slots, or waiting for the
 * caps), soonest first, ten a page (every account, a message each, when not narrowed), with the time, the first line and who approved it. Anyone
 * may list and page; picking a post and acting on it (Publish now, Move to a free slot, Swap with
 * next, Unschedule) is for the account's moderators, enforced by the router for every component.
 * /queue suggest [account]: read-only slot suggestions from the last 60 days' engagement.
 */
export const queue: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('queue')
    .setDescription('The publishing queue: upcoming posts, and slot suggestions')
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((sub) =>
      sub.setName('list').setDescription('Upcoming posts, soonest first; moderators can steer them').addStringOption(accountOption('one')),
    )
    .addSubcommand((sub) =>
      sub
        .setName('suggest')
        .setDescription('Which hours of the week got the most engagement (last 60 days), as slots to consider')
        .addStringOption(accountOption('one')),
    ),
  // Listing and suggestions read; every component action but paging (components.openActions) changes the queue.
  guard: { moderatorExcept: ['list', 'suggest'] },
  // Not narrowed by the option or the channel, list shows every account (one message each, each
  // with its own controls); suggest is about one account's audience, so it asks which.
  accounts: (subcommand) => (subcommand === 'suggest' ? 'one' : 'all'),

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, _actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    await interaction.deferReply();
    if (interaction.options.getSubcommand(false) === 'suggest') {
      await interaction.editReply({ embeds: [await suggestEmbed(ctx, accounts[0] as AccountCommandContext)], allowedMentions: NO_MENTIONS });
      return;
    }
    for (const [i, account] of accounts.entries()) {
      const page = { ...(await queuePage(ctx, account, 0)), allowedMentions: NO_MENTIONS };
      // Each account's page is a message of its own: its controls edit that message only.
      if (i === 0) await interaction.editReply(page);
      else await interaction.followUp(page);
    }
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },

  components: {
    prefix: QUEUE_CUSTOM_ID_VERSION,
    openActions: ['page'],
    parse(customId) {
      const id = decodeQueueCustomId(customId);
      return id ? { action: id.action, accountId: id.accountId, draftId: id.target?.draftId } : null;
    },
    run: runQueueComponent,
  },
};

/** How many buckets /queue suggest lists: the best ones, enough to compare, few enough to read. */
export const SUGGESTED_BUCKETS = 10;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const hh = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

/**
 * /queue suggest: read-only. The account's real publications of the last 60 days with their
 * engagement, ranked by rankSlotSuggestions (hour-of-week buckets in the account's zone, median
 * engagement); too few posts and it says how many it has and needs.
 */
export function renderSlotSuggestions(input: {
  readonly accountTitle: string;
  readonly timeZone: string;
  readonly currentSlots: string | null;
  readonly suggestions: SlotSuggestions;
}): APIEmbed {
  const { suggestions, timeZone } = input;
  const howToChange = `Slots change only in the configuration: \`POST_SLOTS\` (one account) or \`slots\` in accounts.yaml, then restart. Nothing was changed.`;
  const current = `Current slots (${timeZone}): ${input.currentSlots ?? 'none'}.`;
  if (suggestions.status === 'too_few') {
    return {
      title: `Slot suggestions${input.accountTitle}`,
      color: COLORS.warn,
      description: [
        `Not enough data yet: this account has ${suggestions.have} published post${suggestions.have === 1 ? '' : 's'} with engagement in the last 60 days; it needs at least ${suggestions.need} to rank hours of the week.`,
        current,
        howToChange,
      ].join('\n'),
    };
  }
  const ranked = suggestions.buckets
    .slice(0, SUGGESTED_BUCKETS)
    .map(
      (bucket, i) =>
        `${i + 1}. ${WEEKDAYS[bucket.weekday]} ${hh(bucket.hour)}-${hh((bucket.hour + 1) % 24)} (${timeZone}) · median engagement ${Math.round(bucket.median)} · ${bucket.posts} post${bucket.posts === 1 ? '' : 's'}`,
    );
  const proposed = suggestions.proposed.map((spec) => `\`${spec}\``).join(', ');
  return {
    title: `Slot suggestions${input.accountTitle}`,
    color: COLORS.info,
    description: `The hours of the week whose posts got the most engagement (likes, reposts, replies, quotes) over the last 60 days, by the median so one viral post does not decide. ${current}`,
    fields: [
      { name: `Best hours (of ${suggestions.buckets.length} with posts)`, value: clip(ranked.join('\n') || 'none', DISCORD_LIMITS.fieldValue) },
      { name: 'Proposed slots', value: clip(`${proposed || 'none'}\ne.g. POST_SLOTS="${suggestions.proposed.join(';')}"`, DISCORD_LIMITS.fieldValue) },
      { name: 'Changing slots', value: howToChange },
    ],
  };
}

async function suggestEmbed(ctx: CommandContext, account: AccountCommandContext): Promise<APIEmbed> {
  const now = ctx.clock.now();
  const posts = await account.posts.publicationEngagementSince(now - SUGGESTION_WINDOW_MS);
  const slots = account.config.posting.slots;
  return renderSlotSuggestions({
    accountTitle: accountSuffix(ctx, account),
    timeZone: account.config.posting.timezone,
    currentSlots: slots.length > 0 ? describeSlotRules(slots) : null,
    suggestions: rankSlotSuggestions(posts, account.config.posting.timezone, now),
  });
}
