import { InteractionContextType, PermissionFlagsBits, SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { accountOption } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordWhen, embed, humanDuration, plain, respond } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, listAccountIds, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import type { Actor } from '../src/domain/draft.js';
import { describePauseScope, remainingScope, type PauseScope } from '../src/domain/schedule.js';
import type { ResumeResult } from '../src/services/pause-service.js';
import { scopeOption, scopeOptionValue } from './pause.js';

type Resumed = Extract<ResumeResult, { changed: true }>;

/** What a resume released and what it left, for the reply. */
function releasedLines(result: Resumed): string[] {
  const lines = [`Released: ${describePauseScope(result.released)}.`];
  if (result.remaining) lines.push(`Still paused: ${describePauseScope(result.remaining.scope)} (use /resume scope:${result.remaining.scope} or scope:all).`);
  if (result.released !== 'generation') {
    lines.push(
      result.spread > 0
        ? `${result.spread} publication${result.spread === 1 ? '' : 's'} that became due during the pause go${result.spread === 1 ? 'es' : ''} out spread by the caps: one now, then one per interval.`
        : 'Drafts held by the pause (overdue, or waiting in the publish queue) are handled now.',
    );
  }
  return lines;
}

/** The title of a resume: the whole pause ended, or one part released. */
function resumeTitle(result: Resumed): string {
  if (!result.remaining) return '▶️ Posting resumed';
  return result.released === 'publishing' ? '▶️ Publishing resumed' : '▶️ Draft generation resumed';
}

/** Why a /resume changed nothing for one account: not paused, or the part asked is not held. */
function notHeldText(previous: { scope: PauseScope } | null, scope: PauseScope): string {
  return previous
    ? `Only ${describePauseScope(previous.scope)} is paused, so /resume scope:${scope} changes nothing. Use scope:${previous.scope} or scope:all.`
    : 'Posting is already running; nothing to resume.';
}

/**
 * /resume [account] [scope]: releases what /pause held, or one part of it (publishing only,
 * generation only; default all). What became due during a pause of publishing is spread out by
 * the caps, never sent as a burst. Not narrowed to one account, it resumes every paused account
 * and says so.
 */
export const resume: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('resume')
    .setDescription('Release what /pause held: draft generation, publishing to X, or both (default)')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption(accountOption('all'))
    .addStringOption(scopeOption('What to release: all (default), generation or publishing')),
  guard: 'moderator',
  accounts: 'all',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const scope = scopeOptionValue(interaction);
    // A read never waits for a lock; it tells whether the answer is private before the write.
    const before = await Promise.all(accounts.map((account) => account.pause.current()));
    // Private when it will change nothing: no pause, or only a part this scope does not release.
    await deferBeforeWrite(interaction, { ephemeral: before.every((state) => state === null || remainingScope(state.scope, scope) === state.scope) });
    if (accounts.length === 1) return resumeOne(interaction, ctx, actor, accounts[0] as AccountCommandContext, scope);

    const now = ctx.clock.now();
    const lines: string[] = [];
    const resumed: string[] = [];
    const running: string[] = [];
    for (const account of accounts) {
      const result = await account.pause.resume(actor, scope, interaction.id);
      if (!result.changed) {
        running.push(account.id);
        continue;
      }
      resumed.push(account.id);
      const status = await account.schedulerStatus();
      const next = status.nextRunAt === null ? 'none planned' : discordWhen(status.nextRunAt);
      lines.push(
        `\`${account.id}\`: after ${humanDuration(now - result.previous.since)} paused by ${plain(result.previous.by.name)}${
          result.remaining ? `; released ${describePauseScope(result.released)}, still paused: ${describePauseScope(result.remaining.scope)}` : ''
        }${result.spread > 0 ? `; ${result.spread} due publication${result.spread === 1 ? '' : 's'} spread by the caps` : ''}; next scheduled run ${next}.`,
      );
    }
    if (resumed.length === 0) {
      await respond(interaction, [embed(COLORS.info, 'Not paused').setDescription('No account is paused; nothing to resume.')], { ephemeral: true });
      return;
    }
    const reply = embed(COLORS.ok, `▶️ Posting resumed for ${resumed.length} account${resumed.length === 1 ? '' : 's'}`)
      .setDescription(
        [
          `Resumed ${resumed.length} account${resumed.length === 1 ? '' : 's'}: ${listAccountIds(resumed)} (by ${plain(actor.name)}).`,
          ...lines,
          ...(running.length > 0 ? [`Already running: ${listAccountIds(running)}.`] : []),
          'Drafts held by the pause (overdue, or waiting in the publish queue) are handled now.',
        ]
          .join('\n')
          .slice(0, 4096),
      )
      .setTimestamp(now);
    await respond(interaction, [reply]);
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    await respondWithActiveAccounts(interaction, ctx);
  },
};

/** /resume of one account: the reply of the single-account bot, titled with the account when there are several. */
async function resumeOne(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  actor: Actor,
  account: AccountCommandContext,
  scope: PauseScope,
): Promise<void> {
  const result = await account.pause.resume(actor, scope, interaction.id);
  if (!result.changed) {
    await respond(interaction, [embed(COLORS.info, `Not paused${accountSuffix(ctx, account)}`).setDescription(notHeldText(result.previous, scope))], {
      ephemeral: true,
    });
    return;
  }
  const now = ctx.clock.now();
  const status = await account.schedulerStatus();
  const next = status.nextRunAt === null ? 'none planned' : discordWhen(status.nextRunAt);
  const reply = embed(result.remaining ? COLORS.paused : COLORS.ok, `${resumeTitle(result)}${accountSuffix(ctx, account)}`)
    .setDescription(
      [
        `By ${plain(actor.name)}, after ${humanDuration(now - result.previous.since)} paused by ${plain(result.previous.by.name)}.`,
        ...releasedLines(result),
        `Next scheduled run: ${next}.`,
      ].join('\n'),
    )
    .setTimestamp(now);
  await respond(interaction, [reply]);
}
