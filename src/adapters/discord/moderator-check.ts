import { GuildMember, PermissionFlagsBits, roleMention, type APIInteractionGuildMember, type Interaction } from 'discord.js';
import type { Actor } from '../../domain/draft.js';

/** Who may moderate: MODERATOR_ROLE_ID when set, otherwise anyone with Manage Guild. */
export interface ModeratorPolicy {
  readonly moderatorRoleId: string | undefined;
}

/** What the check needs to know about the clicker, as the interaction payload carries it. */
export interface ClickerFacts {
  readonly roleIds: readonly string[];
  /** The member's permissions in the channel (`member.permissions` of the payload), null outside a guild. */
  readonly permissions: bigint | null;
}

/**
 * Whether a member may moderate. With a role configured only that role counts (an admin who
 * should moderate gets the role); without one, Manage Guild is the fallback so a fresh install
 * is usable. Outside a guild (no member) nobody may.
 */
export function isModerator(facts: ClickerFacts | null, policy: ModeratorPolicy): boolean {
  if (!facts) return false;
  if (policy.moderatorRoleId) return facts.roleIds.includes(policy.moderatorRoleId);
  return facts.permissions !== null && (facts.permissions & PermissionFlagsBits.ManageGuild) === PermissionFlagsBits.ManageGuild;
}

/** Who may moderate, in words for a refusal: the role (as a mention that pings nobody) or Manage Server. */
export function whoMayModerate(policy: ModeratorPolicy): string {
  return policy.moderatorRoleId ? `members with the ${roleMention(policy.moderatorRoleId)} role` : 'members with the Manage Server permission';
}

/**
 * Reads roles and permissions from the interaction itself. The bot has no GuildMembers intent,
 * so nothing is fetched: Discord sends the member with every guild interaction.
 */
export function clickerFacts(interaction: Interaction): ClickerFacts | null {
  const member = interaction.member;
  if (!member) return null;
  const roleIds = member instanceof GuildMember ? [...member.roles.cache.keys()] : (member as APIInteractionGuildMember).roles;
  return { roleIds, permissions: interaction.memberPermissions?.bitfield ?? null };
}

/** The actor an interaction's user becomes in the audit log and on cards: id plus display name. */
export function actorOf(interaction: Interaction): Actor {
  const member = interaction.member;
  const name =
    member instanceof GuildMember
      ? member.displayName
      : ((member as APIInteractionGuildMember | null)?.nick ?? interaction.user.globalName ?? interaction.user.username);
  return { id: interaction.user.id, name };
}
