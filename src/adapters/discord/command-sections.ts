import { MessageFlags, type AttachmentBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction, type EmbedBuilder } from 'discord.js';
import { respondWithAccounts } from './account-option.js';
import type { AccountCommandContext, CommandContext } from './command-context.js';
import { NO_MENTIONS, respond } from './command-replies.js';

/**
 * Replies of commands that cover several accounts: one section (embed) per account, paged so
 * each message stays within Discord's limits (10 embeds, 6000 characters over all of them).
 */

/** Discord's limit on the embeds of one message. */
export const MAX_EMBEDS_PER_MESSAGE = 10;
/** Discord's limit on the characters over every embed of one message. */
export const MAX_EMBED_CHARS_PER_MESSAGE = 6_000;
/** Discord's limit on a message's content. */
const MAX_CONTENT_CHARS = 2_000;

/** An account as a section title names it: `pumpfun (@pumpfun)`, or just the id before the handle is known. */
export function accountLabel(account: Pick<AccountCommandContext, 'id' | 'handle'>): string {
  const handle = account.handle();
  return handle ? `${account.id} (@${handle})` : account.id;
}

/**
 * Whether replies name the account: only when the bot serves more than one, so the
 * single-account setup reads exactly as before accounts.
 */
export function namesAccounts(ctx: Pick<CommandContext, 'accounts'>): boolean {
  return ctx.accounts.active.length > 1;
}

/** ` · pumpfun (@pumpfun)` after a title when the bot serves several accounts, else nothing. */
export function accountSuffix(ctx: Pick<CommandContext, 'accounts'>, account: Pick<AccountCommandContext, 'id' | 'handle'>): string {
  return namesAccounts(ctx) ? ` · ${accountLabel(account)}` : '';
}

/** `a`, `b` and `c`: ids as a reply lists them. */
export function listAccountIds(ids: readonly string[]): string {
  return ids.map((id) => `\`${id}\``).join(', ');
}

/** The characters Discord counts against the 6000 of a message: title, description, fields, footer, author. */
export function embedChars(embed: EmbedBuilder): number {
  const { title, description, fields, footer, author } = embed.data;
  return (
    (title?.length ?? 0) +
    (description?.length ?? 0) +
    (footer?.text.length ?? 0) +
    (author?.name.length ?? 0) +
    (fields ?? []).reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

/**
 * Splits embeds, in order, into messages of at most 10 embeds and 6000 characters each. An embed
 * is never split; one that alone exceeds the budget gets a message to itself (each embed is kept
 * within Discord's per-embed limits by its renderer, which bounds it well below 6000).
 */
export function pageEmbeds(embeds: readonly EmbedBuilder[], limits: { readonly maxEmbeds?: number; readonly maxChars?: number } = {}): EmbedBuilder[][] {
  const maxEmbeds = limits.maxEmbeds ?? MAX_EMBEDS_PER_MESSAGE;
  const maxChars = limits.maxChars ?? MAX_EMBED_CHARS_PER_MESSAGE;
  const pages: EmbedBuilder[][] = [];
  let page: EmbedBuilder[] = [];
  let chars = 0;
  for (const embed of embeds) {
    const size = embedChars(embed);
    if (page.length > 0 && (page.length >= maxEmbeds || chars + size > maxChars)) {
      pages.push(page);
      page = [];
      chars = 0;
    }
    page.push(embed);
    chars += size;
  }
  if (page.length > 0) pages.push(page);
  return pages;
}

/**
 * Sends sections: the first page as the reply (or the edit of the deferred reply), with the
 * content line and the files; each further page as a follow-up with the same visibility. The
 * content says how many messages there are, so a reader knows more follow.
 */
export async function respondInPages(
  interaction: ChatInputCommandInteraction,
  embeds: readonly EmbedBuilder[],
  options: { content?: string; ephemeral?: boolean; files?: AttachmentBuilder[] } = {},
): Promise<void> {
  const pages = pageEmbeds(embeds);
  const more = pages.length > 1 ? ` (${pages.length} messages)` : '';
  const content = options.content === undefined ? undefined : `${options.content}${more}`.slice(0, MAX_CONTENT_CHARS);
  const first = { embeds: pages[0] ?? [], files: options.files ?? [], allowedMentions: NO_MENTIONS, ...(content === undefined ? {} : { content }) };
  const flags = options.ephemeral ? { flags: MessageFlags.Ephemeral as const } : {};
  if (interaction.deferred || interaction.replied) await interaction.editReply(first);
  else await interaction.reply({ ...first, ...flags });
  for (const page of pages.slice(1)) {
    await interaction.followUp({ embeds: page, allowedMentions: NO_MENTIONS, ...flags });
  }
}

/**
 * The reply of a read-only command over `accounts`. One account gets its reply exactly as before
 * accounts (`section` false). Several are acknowledged first, as their reads take longer, then
 * get one section each (`section` true), paged, under `content` (computed once they are read).
 */
export async function respondPerAccount(
  interaction: ChatInputCommandInteraction,
  accounts: readonly AccountCommandContext[],
  render: (account: AccountCommandContext, section: boolean) => Promise<EmbedBuilder>,
  content: () => string,
): Promise<void> {
  const [only] = accounts;
  if (accounts.length === 1 && only) {
    await respond(interaction, [await render(only, false)]);
    return;
  }
  await interaction.deferReply();
  const sections: EmbedBuilder[] = [];
  for (const account of accounts) sections.push(await render(account, true));
  await respondInPages(interaction, sections, { content: content() });
}

/** The content line of a reply covering every account: `All 3 accounts: `a`, `b`, `c`.` */
export function allAccountsLine(accounts: readonly Pick<AccountCommandContext, 'id'>[]): string {
  return `All ${accounts.length} accounts: ${listAccountIds(accounts.map((a) => a.id))}. Narrow with the \`account\` option.`;
}

/** Answers autocomplete on the `account` option over the active accounts, by id or @handle. */
export async function respondWithActiveAccounts(interaction: AutocompleteInteraction, ctx: Pick<CommandContext, 'accounts'>): Promise<void> {
  await respondWithAccounts(
    interaction,
    ctx.accounts.active.map((account) => ({ id: account.id, handle: account.handle() })),
  );
}
