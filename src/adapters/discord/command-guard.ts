import type { ChatInputCommandInteraction } from 'discord.js';
import type { Actor } from '../../domain/draft.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from './command-context.js';
import { deferBeforeWrite } from './command-replies.js';
import { clickerFacts, isModerator, whoMayModerate, type ModeratorPolicy } from './moderator-check.js';
import { UserError } from './user-error.js';

/**
 * What a use of `command` is audited as when it needs a moderator ('/pause', '/topics set'), or
 * null when its guard leaves it open to anyone in the guild.
 */
export function moderatorOnlyAction(command: SlashCommand, subcommand: string | null): string | null {
  const { guard } = command;
  if (guard === undefined) return null;
  if (guard !== 'moderator' && subcommand !== null && guard.moderatorExcept.includes(subcommand)) return null;
  return subcommand === null ? `/${command.data.name}` : `/${command.data.name} ${subcommand}`;
}

/**
 * Enforces the command's declared guard; the router calls it before `execute`. Each account has
 * its own moderators: the user must moderate every account the use applies to (a command about
 * no account, such as /backup, is checked against MODERATOR_ROLE_ID). A non-moderator is
 * acknowledged privately first (the audit write can wait for a database lock, and Discord drops
 * an interaction not acknowledged within 3 s), the refusal is audited in each account's log, and
 * a UserError tells them why. `default_member_permissions` only sets a default that guild admins
 * can override, so this check is what actually guards state changes.
 */
export async function enforceCommandGuard(
  command: SlashCommand,
  interaction: ChatInputCommandInteraction,
  ctx: Pick<CommandContext, 'config' | 'accounts' | 'clock'>,
  actor: Actor,
  accounts: readonly AccountCommandContext[],
): Promise<void> {
  const action = moderatorOnlyAction(command, interaction.options.getSubcommand(false));
  if (action === null) return;
  const facts = clickerFacts(interaction);
  const subjects: ReadonlyArray<{ readonly account: AccountCommandContext; readonly policy: ModeratorPolicy }> =
    accounts.length > 0
      ? accounts.map((account) => ({ account, policy: { moderatorRoleId: account.config.discord.moderatorRoleId } }))
      : // A command about no account (/backup): MODERATOR_ROLE_ID decides; a refusal goes to the first account's log.
        ctx.accounts.active.slice(0, 1).map((account) => ({ account, policy: { moderatorRoleId: ctx.config.discord.moderatorRoleId } }));
  const refused = subjects.filter((subject) => !isModerator(facts, subject.policy));
  if (refused.length === 0) return;
  await deferBeforeWrite(interaction, { ephemeral: true });
  for (const { account } of refused) {
    await account.audit.record(
      { draftId: null, revision: null, actor, action, outcome: 'refused_not_moderator', detail: null, interactionId: interaction.id },
      ctx.clock.now(),
    );
  }
  const first = refused[0] as (typeof refused)[number];
  const where = accounts.length > 1 ? ` for the account ${first.account.id}` : '';
  throw new UserError(`Only moderators can do that: ${action} is limited to ${whoMayModerate(first.policy)}${where}.`, {
    action,
    userId: actor.id,
    accounts: refused.map((subject) => subject.account.id).join(','),
  });
}
