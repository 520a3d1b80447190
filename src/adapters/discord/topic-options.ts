import type { AutocompleteInteraction } from 'discord.js';
import { resolveAccountScope } from '../../domain/account-scope.js';
import type { Topic, TopicRepository } from '../../services/ports.js';
import { ACCOUNT_OPTION_NAME } from './account-option.js';
import type { AccountCommandContext, CommandContext } from './command-context.js';
import { MAX_AUTOCOMPLETE_CHOICES } from './command-replies.js';
import { UserError } from './user-error.js';

/** Longest topic list quoted in an error message before it is cut. */
const MAX_NAMES_IN_ERROR = 1_500;

/**
 * The accounts whose topics a topic autocomplete offers: the `account` option when it names an
 * active account, else the moderation channel of exactly one account, else (several accounts,
 * nothing narrowing) every active account, whose topic names are offered together. An unknown or
 * inactive account offers nothing: running the command would refuse it anyway.
 */
export function accountsForTopicChoices(interaction: AutocompleteInteraction, ctx: Pick<CommandContext, 'accounts'>): readonly AccountCommandContext[] {
  const { active } = ctx.accounts;
  const typedAccount = interaction.options.get(ACCOUNT_OPTION_NAME)?.value;
  const scope = resolveAccountScope({
    account: typeof typedAccount === 'string' ? typedAccount : null,
    channelId: interaction.channelId,
    activeAccounts: active.map((account) => ({ id: account.id, moderationChannelId: account.config.discord.moderationChannelId, handle: account.handle() })),
    inactiveAccountIds: ctx.accounts.inactiveIds(),
    whenUnnarrowed: 'all',
  });
  if (!scope.ok) return [];
  return active.filter((account) => scope.accountIds.includes(account.id));
}

/**
 * Topic names across accounts, one entry per name (case-insensitive, first spelling kept); a
 * name is marked disabled only when it is disabled in every account that has it.
 */
export function unionOfTopics(lists: readonly (readonly Pick<Topic, 'name' | 'enabled'>[])[]): Array<Pick<Topic, 'name' | 'enabled'>> {
  const byName = new Map<string, { name: string; enabled: boolean }>();
  for (const topic of lists.flat()) {
    const key = topic.name.toLowerCase();
    const seen = byName.get(key);
    if (seen) seen.enabled ||= topic.enabled;
    else byName.set(key, { name: topic.name, enabled: topic.enabled });
  }
  return [...byName.values()];
}

/**
 * Answers autocomplete on a topic option with the topics of the account the option or channel
 * names (every active account's together when neither does; see accountsForTopicChoices): names
 * that start with what was typed first, then names that contain it, at most 25 (Discord's
 * limit). Disabled topics are offered too, since /topics enable needs them; the label says so.
 */
export async function respondWithTopicNames(interaction: AutocompleteInteraction, ctx: Pick<CommandContext, 'accounts'>): Promise<void> {
  const typed = String(interaction.options.getFocused()).trim().toLowerCase();
  const accounts = accountsForTopicChoices(interaction, ctx);
  const topics = unionOfTopics(await Promise.all(accounts.map((account) => account.topics.list())));
  const starts = topics.filter((t) => t.name.toLowerCase().startsWith(typed));
  const contains = topics.filter((t) => !t.name.toLowerCase().startsWith(typed) && t.name.toLowerCase().includes(typed));
  const choices = [...starts, ...contains].slice(0, MAX_AUTOCOMPLETE_CHOICES).map((t) => ({
    name: (t.enabled ? t.name : `${t.name} (disabled)`).slice(0, 100),
    value: t.name.slice(0, 100),
  }));
  await interaction.respond(choices);
}

/** The topic of that name (case-insensitive) in these topics (one account's), or a UserError listing the names that exist. */
export async function resolveTopic(topics: Pick<TopicRepository, 'findByName' | 'list'>, name: string): Promise<Topic> {
  const wanted = name.trim();
  const exact = await topics.findByName(wanted);
  if (exact) return exact;
  const all = await topics.list();
  const match = all.find((t) => t.name.toLowerCase() === wanted.toLowerCase());
  if (match) return match;
  let names = all.map((t) => `\`${t.name}\``).join(', ');
  if (names.length > MAX_NAMES_IN_ERROR) names = `${names.slice(0, MAX_NAMES_IN_ERROR)}…`;
  throw new UserError(`Unknown topic "${wanted.slice(0, 100)}". Pick one of: ${names || '(no topics configured)'}.`, { topic: wanted });
}
