import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type SlashCommandStringOption,
} from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, listAccountIds, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import type { Actor, DraftStatus } from '../src/domain/draft.js';
import { sumCounts } from '../src/domain/counters.js';
import { describePauseScope, PAUSE_SCOPES, scopeHoldsGeneration, scopeHoldsPublishing, type PauseScope, type PauseState } from '../src/domain/schedule.js';

export const PAUSE_REASON_MAX_LENGTH = 200;

/** Accounts with different TIMEOUT_ACTIONs paused together. */
export type PauseTimeoutAction = 'publish' | 'expire' | 'mixed';

/** The `scope` option of /pause and /resume. */
export const SCOPE_OPTION_NAME = 'scope';

/** The `scope` option: all (default), generation or publishing. */
export function scopeOption(description: string): (option: SlashCommandStringOption) => SlashCommandStringOption {
  return (option) =>
    option
      .setName(SCOPE_OPTION_NAME)
      .setDescription(description)
      .setRequired(false)
      .addChoices(...PAUSE_SCOPES.map((scope) => ({ name: scope, value: scope })));
}

/** The scope as sent (Discord only sends a choice); `all` when omitted. */
export function scopeOptionValue(interaction: ChatInputCommandInteraction): PauseScope {
  const value = interaction.options.getString(SCOPE_OPTION_NAME, false);
  return PAUSE_SCOPES.find((scope) => scope === value) ?? 'all';
}

/** The title of a pause of `scope`. */
export function pauseTitle(scope: PauseScope): string {
  return scope === 'all' ? '⏸️ Posting paused' : scope === 'generation' ? '⏸️ Draft generation paused' : '⏸️ Publishing paused';
}

/**
 * Exactly what a pause of `scope` holds and what it does not, for the /pause reply and /status
 * (the README says the same). Counts are read when it is shown (summed when several accounts are paused).
 */
export function pauseHoldLines(counts: Record<DraftStatus, number>, timeoutAction: PauseTimeoutAction, scope: PauseScope = 'all'): string[] {
  const queued = counts.approved;
  const interrupted = counts.publishing;
  const lines = [`**Held until /resume** (${describePauseScope(scope)}):`];
  if (scopeHoldsGeneration(scope)) lines.push('• no new drafts are generated (scheduled runs and keep-ahead);');
  if (scopeHoldsPublishing(scope)) {
    lines.push(
      timeoutAction === 'publish'
        ? '• nothing is published on timeout: overdue drafts stay pending;'
        : timeoutAction === 'expire'
          ? '• (overdue drafts still expire: TIMEOUT_ACTION=expire publishes nothing);'
          : '• nothing is published on timeout: overdue drafts stay pending (they still expire for accounts whose timeout action is expire);',
      `• ${queued} approved draft${queued === 1 ? '' : 's'} waiting in the publish queue (queued or scheduled) stay${queued === 1 ? 's' : ''} approved; nothing is posted to X;`,
      '• Approve or Retry on a card records the decision; the draft waits in the queue, and its card says so;',
      `• publications a crash interrupted are not resumed${interrupted > 0 ? ` (${interrupted} now)` : ''}.`,
      '**On /resume:** what became due is sent spread out by the caps (one now, then one per MAX_POSTS_PER_HOUR interval), never as a burst.',
    );
  }
  if (scope === 'generation') lines.push('**Not held:** publishing. Approved, queued and scheduled drafts go out as usual, and so does an Approve.');
  if (scope === 'publishing') lines.push('**Not held:** draft generation. New drafts are written and shown for moderation as usual.');
  return lines;
}

/** The one timeout action of these accounts, or 'mixed'. */
export function timeoutActionOf(accounts: readonly Pick<AccountCommandContext, 'config'>[]): PauseTimeoutAction {
  const actions = new Set(accounts.map((a) => a.config.posting.timeoutAction));
  return actions.size === 1 ? ([...actions][0] as 'publish' | 'expire') : 'mixed';
}

function alreadyPausedLine(account: AccountCommandContext, state: PauseState): string {
  const part = state.scope === 'all' ? '' : ` (${describePauseScope(state.scope)})`;
  return `\`${account.id}\`: paused${part} by ${plain(state.by.name)} since ${discordWhen(state.since)}`;
}

/** What a /pause did to one account, for the reply: a new pause, or a pause it widened. */
function widenedLine(widenedFrom: PauseScope | null, state: PauseState): string | null {
  return widenedFrom
    ? `Widened: ${describePauseScope(widenedFrom)} was already paused (by ${plain(state.by.name)}); now ${describePauseScope(state.scope)} are paused.`
    : null;
}

/**
 * /pause [reason] [account] [scope]: holds draft generation (`generation`), everything that goes
 * to X (`publishing`: the queue, the slots, an Approve), or both (`all`, the default). A second
 * /pause with the other scope widens the pause to both and says so. Not narrowed to one account,
 * it pauses every account and says so.
 */
export const pause: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('pause')
    .setDescription('Hold draft generation, publishing to X, or both (default), until /resume')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName('reason').setDescription('Why posting is paused (shown in /status)').setMaxLength(PAUSE_REASON_MAX_LENGTH).setRequired(false),
    )
    .addStringOption(accountOption('all'))
    .addStringOption(scopeOption('What to hold: all (default), generation (new drafts) or publishing (everything that goes to X)')),
  guard: 'moderator',
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const reason = interaction.options.getString('reason')?.slice(0, PAUSE_REASON_MAX_LENGTH) ?? null;
    const scope = scopeOptionValue(interaction);
    // A read never waits for a lock; it tells whether the answer is private before the write.
    const before = await Promise.all(accounts.map((account) => account.pause.current()));
    await deferBeforeWrite(interaction, { ephemeral: before.every((state) => state !== null && (state.scope === 'all' || state.scope === scope)) });
    if (accounts.length === 1) return pauseOne(interaction, ctx, actor, accounts[0] as AccountCommandContext, reason, scope);

    const paused: AccountCommandContext[] = [];
    const already: string[] = [];
    const widened: string[] = [];
    let since = ctx.clock.now();
    for (const account of accounts) {
      const result = await account.pause.pause(actor, reason, scope, interaction.id);
      if (result.changed) {
        paused.push(account);
        since = result.state.since;
        if (result.widenedFrom)
          widened.push(`\`${account.id}\`: ${describePauseScope(result.widenedFrom)} was already paused; now ${describePauseScope(result.state.scope)}.`);
      } else already.push(alreadyPausedLine(account, result.state));
    }
    if (paused.length === 0) {
      await respond(
        interaction,
        [
          embed(COLORS.paused, 'Already paused').setDescription(
            [`Every account was already paused:`, ...already, 'Use /resume to restart.'].join('\n').slice(0, 4096),
          ),
        ],
        { ephemeral: true },
      );
      return;
    }
    const counts = sumCounts(await Promise.all(paused.map((account) => account.drafts.countByStatus())));
    // What the reply promises: the widest scope now held by the accounts it paused.
    const held = widened.length > 0 ? 'all' : scope;
    const reply = embed(COLORS.paused, `${pauseTitle(held)} for ${paused.length} account${paused.length === 1 ? '' : 's'}`)
      .setDescription(
        [
          `Paused ${paused.length} account${paused.length === 1 ? '' : 's'}: ${listAccountIds(paused.map((a) => a.id))}.`,
          ...widened,
          ...(already.length > 0 ? ['Already paused:', ...already] : []),
          `By ${plain(actor.name)}${reason ? `: ${plain(reason)}` : ''}.`,
          ...pauseHoldLines(counts, timeoutActionOf(paused), held),
        ]
          .join('\n')
          .slice(0, 4096),
      )
      .setTimestamp(since);
    await respond(interaction, [reply]);
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};

/** /pause of one account: the reply of the single-account bot, titled with the account when there are several. */
async function pauseOne(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  actor: Actor,
  account: AccountCommandContext,
  reason: string | null,
  scope: PauseScope,
): Promise<void> {
  const result = await account.pause.pause(actor, reason, scope, interaction.id);
  if (!result.changed) {
    const state = result.state;
    await respond(
      interaction,
      [
        embed(COLORS.paused, `Already paused${accountSuffix(ctx, account)}`).setDescription(
          `${describePauseScope(state.scope)[0]?.toUpperCase()}${describePauseScope(state.scope).slice(1)} paused by ${plain(state.by.name)} since ${discordWhen(state.since)}. Use /resume to restart.`,
        ),
      ],
      { ephemeral: true },
    );
    return;
  }
  const counts = await account.drafts.countByStatus();
  const widened = widenedLine(result.widenedFrom, result.state);
  const reply = embed(COLORS.paused, `${widened ? '⏸️ Pause widened' : pauseTitle(result.state.scope)}${accountSuffix(ctx, account)}`)
    .setDescription(
      [
        ...(widened ? [widened] : []),
        `By ${plain(actor.name)}${result.state.reason ? `: ${plain(result.state.reason)}` : ''}.`,
        ...pauseHoldLines(counts, account.config.posting.timeoutAction, result.state.scope),
      ].join('\n'),
    )
    .setTimestamp(result.state.since);
  await respond(interaction, [reply]);
}
