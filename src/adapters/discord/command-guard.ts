import type { ChatInputCommandInteraction } from 'discord.js';
import type { Actor } from '../../domain/draft.js';
import type { CommandContext, SlashCommand } from './command-context.js';
import { deferBeforeWrite } from './command-replies.js';
import { clickerFacts, isModerator, whoMayModerate } from './moderator-check.js';
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
 * Enforces the command's declared guard; the router calls it before `execute`. A non-moderator
 * is acknowledged privately first (the audit write can wait for a database lock, and Discord
 * drops an interaction not acknowledged within 3 s), the refusal is audited, and a UserError
 * tells them why. `default_member_permissions` only sets a default that guild admins can
 * override, so this check is what actually guards state changes.
 */
export async function enforceCommandGuard(
  command: SlashCommand,
  interaction: ChatInputCommandInteraction,
  ctx: Pick<CommandContext, 'config' | 'audit' | 'clock'>,
  actor: Actor,
): Promise<void> {
  const action = moderatorOnlyAction(command, interaction.options.getSubcommand(false));
  if (action === null) return;
  const { moderatorRoleId } = ctx.config.discord;
  if (isModerator(clickerFacts(interaction), { moderatorRoleId })) return;
  await deferBeforeWrite(interaction, { ephemeral: true });
  await ctx.audit.record(
    { draftId: null, revision: null, actor, action, outcome: 'refused_not_moderator', detail: null, interactionId: interaction.id },
    ctx.clock.now(),
  );
  throw new UserError(`Only moderators can do that: ${action} is limited to ${whoMayModerate({ moderatorRoleId })}.`, { action, userId: actor.id });
}
