import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, listAccountIds, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import type { Actor, DraftStatus } from '../src/domain/draft.js';
import { sumCounts } from '../src/domain/counters.js';
import type { PauseState } from '../src/domain/schedule.js';

export const PAUSE_REASON_MAX_LENGTH = 200;

/** Accounts with different TIMEOUT_ACTIONs paused together. */
export type PauseTimeoutAction = 'publish' | 'expire' | 'mixed';

/**
 * Exactly what a pause holds and what it does not, for the /pause reply and /status (the README
 * says the same). Counts are read when it is shown (summed when several accounts are paused).
 */
export function pauseHoldLines(counts: Record<DraftStatus, number>, timeoutAction: PauseTimeoutAction): string[] {
  const queued = counts.approved;
  const interrupted = counts.publishing;
  return [
    '**Held until /resume:**',
    '• no new drafts are generated;',
    timeoutAction === 'publish'
      ? '• nothing is published on timeout: overdue drafts stay pending;'
      : timeoutAction === 'expire'
        ? '• (overdue drafts still expire: TIMEOUT_ACTION=expire publishes nothing);'
        : '• nothing is published on timeout: overdue drafts stay pending (they still expire for accounts whose timeout action is expire);',
    `• ${queued} approved draft${queued === 1 ? '' : 's'} waiting in the publish queue (for a cap, X's limits or a retry) stay${queued === 1 ? 's' : ''} approved; nothing is posted;`,
    `• publications a crash interrupted are not resumed${interrupted > 0 ? ` (${interrupted} now)` : ''}.`,
    '**Not held:** Approve or Retry on a card publishes that draft at once, unless a cap makes it wait; then it waits for /resume too.',
  ];
}

/** The one timeout action of these accounts, or 'mixed'. */
export function timeoutActionOf(accounts: readonly Pick<AccountCommandContext, 'config'>[]): PauseTimeoutAction {
  const actions = new Set(accounts.map((a) => a.config.posting.timeoutAction));
  return actions.size === 1 ? ([...actions][0] as 'publish' | 'expire') : 'mixed';
}

function alreadyPausedLine(account: AccountCommandContext, state: PauseState): string {
  return `\`${account.id}\`: paused by ${plain(state.by.name)} since ${discordWhen(state.since)}`;
}

/**
 * /pause [reason] [account]: holds draft generation and everything the bot would publish on its
 * own. Approve still publishes. Not narrowed to one account, it pauses every account and says so.
 */
export const pause: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('pause')
    .setDescription('Hold draft generation and all publishing but an explicit Approve or Retry, until /resume')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName('reason').setDescription('Why posting is paused (shown in /status)').setMaxLength(PAUSE_REASON_MAX_LENGTH).setRequired(false),
    )
    .addStringOption(accountOption('all')),
  guard: 'moderator',
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const reason = interaction.options.getString('reason')?.slice(0, PAUSE_REASON_MAX_LENGTH) ?? null;
    // A read never waits for a lock; it tells whether the answer is private before the write.
    const before = await Promise.all(accounts.map((account) => account.pause.current()));
    await deferBeforeWrite(interaction, { ephemeral: before.every((state) => state !== null) });
    if (accounts.length === 1) return pauseOne(interaction, ctx, actor, accounts[0] as AccountCommandContext, reason);

    const paused: AccountCommandContext[] = [];
    const already: string[] = [];
    let since = ctx.clock.now();
    for (const account of accounts) {
      const result = await account.pause.pause(actor, reason, interaction.id);
      if (result.changed) {
        paused.push(account);
        since = result.state.since;
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
    const reply = embed(COLORS.paused, `⏸️ Posting paused for ${paused.length} account${paused.length === 1 ? '' : 's'}`)
      .setDescription(
        [
          `Paused ${paused.length} account${paused.length === 1 ? '' : 's'}: ${listAccountIds(paused.map((a) => a.id))}.`,
          ...(already.length > 0 ? ['Already paused:', ...already] : []),
          `By ${plain(actor.name)}${reason ? `: ${plain(reason)}` : ''}.`,
          ...pauseHoldLines(counts, timeoutActionOf(paused)),
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
): Promise<void> {
  const result = await account.pause.pause(actor, reason, interaction.id);
  if (!result.changed) {
    const state = result.state;
    await respond(
      interaction,
      [
        embed(COLORS.paused, `Already paused${accountSuffix(ctx, account)}`).setDescription(
          `Paused by ${plain(state.by.name)} since ${discordWhen(state.since)}. Use /resume to restart.`,
        ),
      ],
      { ephemeral: true },
    );
    return;
  }
  const counts = await account.drafts.countByStatus();
  const reply = embed(COLORS.paused, `⏸️ Posting paused${accountSuffix(ctx, account)}`)
    .setDescription(
      [
        `By ${plain(actor.name)}${result.state.reason ? `: ${plain(result.state.reason)}` : ''}.`,
        ...pauseHoldLines(counts, account.config.posting.timeoutAction),
      ].join('\n'),
    )
    .setTimestamp(result.state.since);
  await respond(interaction, [reply]);
}
