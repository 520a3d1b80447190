/**
 * Which accounts a Discord command applies to (issue 11, section 3). Pure: the command adapter
 * hands in the `account` option, the channel and the active accounts, and shows a refusal's
 * message ephemerally.
 */
import type { AccountId } from './account.js';

/**
 * What a command does when neither the `account` option nor the channel narrows it: `'all'` for
 * /status, /stats, /ratelimit, /pause and /resume (one section, or one action, per account);
 * `'one'` for /draft and /topics set|enable|disable, which must not guess.
 */
export type UnnarrowedScope = 'all' | 'one';

/** An active account as scoping needs it. */
export interface ScopeAccount {
  readonly id: AccountId;
  readonly moderationChannelId: string;
  /** The X handle (without `@`) when known; the option accepts it as well as the id. */
  readonly handle?: string | null;
}

export interface AccountScopeInput {
  /** The `account` option as the user sent it; null when omitted. */
  readonly account: string | null;
  /** The channel the command was used in; null when there is none. */
  readonly channelId: string | null;
  /** The accounts in the configuration, in its order (the order of listed choices). */
  readonly activeAccounts: readonly ScopeAccount[];
  /** Accounts still stored but removed from the configuration: named, they get their own refusal. */
  readonly inactiveAccountIds?: readonly AccountId[];
  readonly whenUnnarrowed: UnnarrowedScope;
}

/**
 * How the accounts were chosen: by the option; by the channel (the moderation channel of exactly
 * one account); because only one account is active (the single-account setup: every command
 * works in any channel, as before accounts); or not at all (`'all'` commands cover every account
 * and should say so).
 */
export type ScopeNarrowing = 'option' | 'channel' | 'only-account' | 'none';

/** A refusal the command shows as is (ephemeral); `reason` lets tests and logs tell them apart. */
export type AccountScopeRefusal =
  | { readonly reason: 'unknown-account'; readonly accountId: string; readonly choices: readonly AccountId[]; readonly message: string }
  | { readonly reason: 'inactive-account'; readonly accountId: AccountId; readonly message: string }
  | { readonly reason: 'account-required'; readonly choices: readonly AccountId[]; readonly message: string }
  | { readonly reason: 'no-active-account'; readonly message: string };

export type AccountScope =
  | { readonly ok: true; readonly accountIds: readonly AccountId[]; readonly narrowedBy: ScopeNarrowing }
  | { readonly ok: false; readonly refusal: AccountScopeRefusal };

/** Longest list of account ids quoted in a refusal before it is cut (an ephemeral reply holds 2000 characters). */
const MAX_CHOICES_CHARS = 1_500;
/** Longest piece of what the user typed echoed back. */
const MAX_ECHO_CHARS = 100;

/**
 * Resolves the accounts a command applies to:
 * 1. a named account (id or @handle, any case) applies to exactly that account; an inactive one
 *    or an unknown one is refused (the latter listing the active ids);
 * 2. otherwise, used in the moderation channel of exactly one active account, it applies to that
 *    account; two accounts sharing the channel do not narrow;
 * 3. otherwise, with only one active account, to that one;
 * 4. otherwise `'all'` covers every active account and `'one'` is refused with the ids to choose from.
 */
export function resolveAccountScope(input: AccountScopeInput): AccountScope {
  const active = input.activeAccounts;
  const choices = active.map((a) => a.id);
  if (input.account !== null && input.account.trim() !== '') {
    const typed = input.account.trim();
    const wanted = typed.toLowerCase();
    const byId = active.find((a) => a.id === wanted);
    const byHandle = byId ?? active.find((a) => a.handle != null && a.handle.toLowerCase() === wanted.replace(/^@/, ''));
    if (byHandle) return { ok: true, accountIds: [byHandle.id], narrowedBy: 'option' };
    const inactive = input.inactiveAccountIds?.find((id) => id === wanted);
    if (inactive !== undefined) {
      return {
        ok: false,
        refusal: {
          reason: 'inactive-account',
          accountId: inactive,
          message: `The account \`${inactive}\` is inactive: it is no longer in the accounts file. Its history is kept, but it takes no commands.`,
        },
      };
    }
    if (active.length === 0) return noActiveAccount();
    return {
      ok: false,
      refusal: {
        reason: 'unknown-account',
        accountId: typed,
        choices,
        message: `Unknown account "${typed.slice(0, MAX_ECHO_CHARS)}". Choose one of: ${listIds(choices)}.`,
      },
    };
  }
  if (active.length === 0) return noActiveAccount();
  if (input.channelId !== null) {
    const here = active.filter((a) => a.moderationChannelId === input.channelId);
    if (here.length === 1) return { ok: true, accountIds: [here[0]!.id], narrowedBy: 'channel' };
  }
  if (active.length === 1) return { ok: true, accountIds: choices, narrowedBy: 'only-account' };
  if (input.whenUnnarrowed === 'all') return { ok: true, accountIds: choices, narrowedBy: 'none' };
  return {
    ok: false,
    refusal: {
      reason: 'account-required',
      choices,
      message: `Which account? This command acts on one account: choose one of: ${listIds(choices)} (the \`account\` option).`,
    },
  };
}

function noActiveAccount(): AccountScope {
  return { ok: false, refusal: { reason: 'no-active-account', message: 'No account is active: the accounts file lists none.' } };
}

function listIds(ids: readonly AccountId[]): string {
  let listed = ids.map((id) => `\`${id}\``).join(', ');
  if (listed.length > MAX_CHOICES_CHARS) listed = `${listed.slice(0, MAX_CHOICES_CHARS)}…`;
  return listed;
}
