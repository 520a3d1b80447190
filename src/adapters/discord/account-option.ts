import type { ApplicationCommandOptionChoiceData, AutocompleteInteraction, ChatInputCommandInteraction, SlashCommandStringOption } from 'discord.js';
import type { AccountId } from '../../domain/account.js';
import type { AccountScope, UnnarrowedScope } from '../../domain/account-scope.js';
import { MAX_AUTOCOMPLETE_CHOICES } from './command-replies.js';
import { UserError } from './user-error.js';

/** The name of the shared option on /status, /stats, /ratelimit, /topics, /pause, /resume and /draft. */
export const ACCOUNT_OPTION_NAME = 'account';

/** Discord's limit on a choice's name and on a string option's value. */
const MAX_CHOICE_CHARS = 100;

/** An active account as the autocomplete offers it. */
export interface AccountChoice {
  readonly id: AccountId;
  /** The X handle without `@`, once GET /2/users/me has told it; null or absent before. */
  readonly handle?: string | null;
}

/**
 * The shared `account` option, for `builder.addStringOption(accountOption('all'))` on a command
 * or a subcommand. Optional, autocompleted; the description says what omitting it does, which
 * differs between commands that cover every account and those that need one.
 */
export function accountOption(whenUnnarrowed: UnnarrowedScope): (option: SlashCommandStringOption) => SlashCommandStringOption {
  const description =
    whenUnnarrowed === 'all' ? "Which account (default: this channel's account, else every account)" : "Which account (default: this channel's account)";
  return (option) => option.setName(ACCOUNT_OPTION_NAME).setDescription(description).setAutocomplete(true).setMaxLength(MAX_CHOICE_CHARS).setRequired(false);
}

/**
 * The choices for what was typed: accounts whose id or handle starts with it first, then those
 * that contain it, each group in configuration order, at most 25 (Discord's limit). A leading `@`
 * is ignored, so typing a handle works. The value is always the id.
 */
export function accountChoices(accounts: readonly AccountChoice[], typed: string): ApplicationCommandOptionChoiceData<string>[] {
  const wanted = typed.trim().toLowerCase().replace(/^@/, '');
  const keys = (a: AccountChoice) => (a.handle ? [a.id, a.handle.toLowerCase()] : [a.id]);
  const starts = accounts.filter((a) => keys(a).some((k) => k.startsWith(wanted)));
  const contains = accounts.filter((a) => !starts.includes(a) && keys(a).some((k) => k.includes(wanted)));
  return [...starts, ...contains].slice(0, MAX_AUTOCOMPLETE_CHOICES).map((a) => ({
    name: (a.handle ? `${a.id} (@${a.handle})` : a.id).slice(0, MAX_CHOICE_CHARS),
    value: a.id,
  }));
}

/** Whether the option being typed is `account` (a command may autocomplete other options too, e.g. /draft topic). */
export function isAccountFocused(interaction: AutocompleteInteraction): boolean {
  return interaction.options.getFocused(true).name === ACCOUNT_OPTION_NAME;
}

/** Answers autocomplete on the `account` option over the active accounts. */
export async function respondWithAccounts(interaction: AutocompleteInteraction, accounts: readonly AccountChoice[]): Promise<void> {
  await interaction.respond(accountChoices(accounts, String(interaction.options.getFocused())));
}

/** The `account` option as sent (null when omitted or on a command without it), for resolveAccountScope. */
export function accountOptionValue(interaction: ChatInputCommandInteraction): string | null {
  return interaction.options.getString(ACCOUNT_OPTION_NAME, false);
}

/** The account ids of a resolved scope, or a UserError (shown ephemerally) carrying the refusal's message. */
export function scopedAccountIds(scope: AccountScope): readonly AccountId[] {
  if (scope.ok) return scope.accountIds;
  const { message, ...context } = scope.refusal;
  throw new UserError(message, context);
}
