import type { AutocompleteInteraction } from 'discord.js';
import type { Topic } from '../../services/ports.js';
import type { CommandContext } from './command-context.js';
import { MAX_AUTOCOMPLETE_CHOICES } from './command-replies.js';
import { UserError } from './user-error.js';

/** Longest topic list quoted in an error message before it is cut. */
const MAX_NAMES_IN_ERROR = 1_500;

/**
 * Answers autocomplete on a topic option: names that start with what was typed first, then
 * names that contain it, at most 25 (Discord's limit). Disabled topics are offered too, since
 * /topics enable needs them; the label says so.
 */
export async function respondWithTopicNames(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const typed = String(interaction.options.getFocused()).trim().toLowerCase();
  const topics = await ctx.topics.list();
  const starts = topics.filter((t) => t.name.toLowerCase().startsWith(typed));
  const contains = topics.filter((t) => !t.name.toLowerCase().startsWith(typed) && t.name.toLowerCase().includes(typed));
  const choices = [...starts, ...contains].slice(0, MAX_AUTOCOMPLETE_CHOICES).map((t) => ({
    name: (t.enabled ? t.name : `${t.name} (disabled)`).slice(0, 100),
    value: t.name.slice(0, 100),
  }));
  await interaction.respond(choices);
}

/** The topic of that name (case-insensitive), or a UserError listing the names that exist. */
export async function resolveTopic(ctx: CommandContext, name: string): Promise<Topic> {
  const wanted = name.trim();
  const exact = await ctx.topics.findByName(wanted);
  if (exact) return exact;
  const topics = await ctx.topics.list();
  const match = topics.find((t) => t.name.toLowerCase() === wanted.toLowerCase());
  if (match) return match;
  let names = topics.map((t) => `\`${t.name}\``).join(', ');
  if (names.length > MAX_NAMES_IN_ERROR) names = `${names.slice(0, MAX_NAMES_IN_ERROR)}…`;
  throw new UserError(`Unknown topic "${wanted.slice(0, 100)}". Pick one of: ${names || '(no topics configured)'}.`, { topic: wanted });
}
