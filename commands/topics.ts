import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type EmbedBuilder,
} from 'discord.js';
import { accountOption, isAccountFocused } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, deferBeforeWrite, discordTime, embed, percent, plain, respond } from '../src/adapters/discord/command-replies.js';
import {
  accountLabel,
  accountSuffix,
  allAccountsLine,
  namesAccounts,
  respondPerAccount,
  respondWithActiveAccounts,
} from '../src/adapters/discord/command-sections.js';
import { resolveTopic, respondWithTopicNames } from '../src/adapters/discord/topic-options.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import { CONTENT_TYPE_LABELS } from '../src/domain/content-types.js';
import type { Actor } from '../src/domain/draft.js';

export const MIN_TOPIC_WEIGHT = 0;
export const MAX_TOPIC_WEIGHT = 100;
/** An embed description holds 4096 characters; stop listing before that. */
const MAX_LIST_CHARS = 3_900;
/** Per account when one reply lists several: three such sections fit one message's 6000 characters. */
const MAX_SECTION_CHARS = 1_800;
const SHARE_NOTE =
  "Learned share: how often the draw picks the topic, from its weight and what moderators approved or rejected (and how its posts did) since the last reset; with no decisions it is the weight's share. " +
  "Next: the chance for the next draft, the last topic's multiplied by the repeat factor. Approval: moderator approvals ÷ their decisions since the reset.";
const LEARNING_OFF_NOTE = 'Learning is off (LEARNING): topics are drawn by their weights; the approval rates are still shown.';

/**
 * A section's footer, when one reply covers several accounts: the content line explains the
 * figures once, but each account has its own LEARNING and TOPIC_REPEAT_FACTOR (accounts.yaml).
 */
function sectionNote(learningEnabled: boolean, repeatFactor: number): string {
  return `${learningEnabled ? '' : 'Learning is off for this account: its topics are drawn by their weights. '}Repeat factor ${repeatFactor}.`;
}

/** The footer: what the figures mean, for this account's settings. */
function shareNote(learningEnabled: boolean, repeatFactor: number, resetAt: number | null): string {
  return [learningEnabled ? SHARE_NOTE : LEARNING_OFF_NOTE, `Repeat factor ${repeatFactor}.`, resetAt === null ? '' : 'Learning was reset (see the top line).']
    .filter(Boolean)
    .join(' ');
}

/**
 * One account's topic table. `section`: one of several in a reply covering every account, so it
 * is shorter (it shares a message's 6000 characters) and titled with the account.
 */
async function renderTopics(ctx: CommandContext, account: AccountCommandContext, section: boolean): Promise<EmbedBuilder> {
  const view = await account.topicsWithContext();
  const { topics, arms, approvals, lastUsedTopicId } = view;
  const maxChars = section ? MAX_SECTION_CHARS : MAX_LIST_CHARS;
  const lines: string[] = [];
  if (view.resetAt !== null) lines.push(`Learning since ${discordTime(view.resetAt)} (/topics reset-learning).`);
  let length = lines[0]?.length ?? 0;
  const sorted = [...topics].sort((a, b) => Number(b.enabled) - Number(a.enabled) || b.weight - a.weight || a.name.localeCompare(b.name));
  for (const [index, t] of sorted.entries()) {
    const own = arms.filter((arm) => arm.topicId === t.id);
    const learned = own.reduce((sum, arm) => sum + arm.learnedShare, 0);
    const next = own.reduce((sum, arm) => sum + arm.share, 0);
    const decided = approvals.get(t.id) ?? { approvals: 0, rejections: 0 };
    const total = decided.approvals + decided.rejections;
    // Content types a moderator chose with /draft type: and approved are drawn too: show how often.
    const otherTypes = own.filter((arm) => !arm.configured).map((arm) => `${CONTENT_TYPE_LABELS[arm.contentType] ?? arm.contentType} ${percent(arm.share)}`);
    const line = [
      `${t.enabled ? '✅' : '⛔'} **${plain(t.name)}** · ${CONTENT_TYPE_LABELS[t.contentType] ?? t.contentType}${otherTypes.length > 0 ? ` (also ${otherTypes.join(', ')})` : ''}`,
      `weight ${t.weight} · learned share ${percent(own.length > 0 ? learned : 0)} · next ${percent(own.length > 0 ? next : 0)}${t.id === lastUsedTopicId ? ' (just used)' : ''} · uses ${t.usageCount}`,
      `approval ${percent(total > 0 ? decided.approvals / total : null)}${total > 0 ? ` (${decided.approvals} of ${total})` : ''}`,
    ].join('\n');
    if (length + line.length + 2 > maxChars) {
      lines.push(`…and ${sorted.length - index} more${section ? ` (/topics list account:${account.id})` : ''}`);
      break;
    }
    lines.push(line);
    length += line.length + 2;
  }
  const title = `Topics${section || namesAccounts(ctx) ? ` · ${accountLabel(account)}` : ''} (${topics.filter((t) => t.enabled).length} of ${topics.length} enabled)`;
  const reply = embed(COLORS.info, title.slice(0, 256)).setDescription(lines.length > 0 ? lines.join('\n\n') : 'No topics configured.');
  reply.setFooter({ text: section ? sectionNote(view.learningEnabled, view.repeatFactor) : shareNote(view.learningEnabled, view.repeatFactor, view.resetAt) });
  return reply;
}

async function listTopics(interaction: ChatInputCommandInteraction, ctx: CommandContext, accounts: readonly AccountCommandContext[]): Promise<void> {
  await respondPerAccount(
    interaction,
    accounts,
    (account, section) => renderTopics(ctx, account, section),
    () => `**Topics** · ${allAccountsLine(accounts)} ${SHARE_NOTE}`,
  );
}

async function setWeight(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void> {
  const topic = await resolveTopic(account.topics, interaction.options.getString('topic', true));
  const weight = interaction.options.getInteger('weight', true);
  // Discord enforces min/max in its client, but a request can be crafted without it.
  if (!Number.isInteger(weight) || weight < MIN_TOPIC_WEIGHT || weight > MAX_TOPIC_WEIGHT) {
    throw new UserError(`Weight must be a whole number from ${MIN_TOPIC_WEIGHT} to ${MAX_TOPIC_WEIGHT} (0 stops the topic being picked); got ${weight}.`, {
      weight,
    });
  }
  await deferBeforeWrite(interaction, { ephemeral: false });
  const now = ctx.clock.now();
  await account.topics.setWeight(topic.id, weight, now);
  await account.audit.record(
    {
      draftId: null,
      revision: null,
      actor,
      action: 'topic_weight',
      outcome: 'changed',
      detail: `${topic.name}: ${topic.weight} -> ${weight}`,
      interactionId: interaction.id,
    },
    now,
  );
  await respond(interaction, [
    embed(COLORS.ok, `Topic weight changed${accountSuffix(ctx, account)}`.slice(0, 256)).setDescription(
      `**${plain(topic.name)}**: ${topic.weight} → **${weight}** (by ${plain(actor.name)})`,
    ),
  ]);
}

async function setEnabled(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  actor: Actor,
  account: AccountCommandContext,
  enabled: boolean,
): Promise<void> {
  const topic = await resolveTopic(account.topics, interaction.options.getString('topic', true));
  await deferBeforeWrite(interaction, { ephemeral: false });
  const now = ctx.clock.now();
  if (topic.enabled !== enabled) await account.topics.setEnabled(topic.id, enabled, now);
  await account.audit.record(
    {
      draftId: null,
      revision: null,
      actor,
      action: enabled ? 'topic_enable' : 'topic_disable',
      outcome: topic.enabled === enabled ? 'unchanged' : 'changed',
      detail: topic.name,
      interactionId: interaction.id,
    },
    now,
  );
  const verb = enabled ? 'enabled' : 'disabled';
  const text =
    topic.enabled === enabled ? `**${plain(topic.name)}** was already ${verb}.` : `**${plain(topic.name)}** is now ${verb} (by ${plain(actor.name)}).`;
  await respond(interaction, [embed(enabled ? COLORS.ok : COLORS.warn, `Topic ${verb}${accountSuffix(ctx, account)}`.slice(0, 256)).setDescription(text)]);
}

async function resetLearning(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void> {
  await deferBeforeWrite(interaction, { ephemeral: false });
  const reset = await account.resetTopicLearning(actor, interaction.id);
  await respond(interaction, [
    embed(COLORS.ok, `Topic learning reset${accountSuffix(ctx, account)}`.slice(0, 256)).setDescription(
      [
        `Topic choice starts over from the weights (by ${plain(actor.name)}): from now on it learns only from decisions made after ${discordTime(reset.at)}${reset.previousAt === null ? '' : ` (this replaces the reset of ${discordTime(reset.previousAt)})`}.`,
        'The recorded decisions stay: the examples in the prompt, the avoid notes and /stats still use them. The weights and the /voice pins are unchanged.',
        account.config.learning.enabled
          ? ''
          : 'Learning is off for this account (LEARNING=off): topics are drawn by their weights alone until it is turned on, and then it learns from decisions after this reset.',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  ]);
}

/**
 * /topics list|set|enable|disable|reset-learning [account]: view and steer topic selection, per account. list
 * not narrowed to one account shows every account, one section each. reset-learning makes topic
 * selection forget what it learned (issue 15).
 */
export const topics: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('topics')
    .setDescription('List topics or change their weight and whether they are used')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((s) =>
      s.setName('list').setDescription('Each topic with its weight, learned share, approval rate and uses').addStringOption(accountOption('all')),
    )
    .addSubcommand((s) =>
      s
        .setName('set')
        .setDescription("Set a topic's configured weight (0 to 100)")
        .addStringOption((o) => o.setName('topic').setDescription('The topic').setRequired(true).setAutocomplete(true).setMaxLength(100))
        .addIntegerOption((o) =>
          o
            .setName('weight')
            .setDescription('0 to 100; 0 stops the topic being picked')
            .setRequired(true)
            .setMinValue(MIN_TOPIC_WEIGHT)
            .setMaxValue(MAX_TOPIC_WEIGHT),
        )
        .addStringOption(accountOption('one')),
    )
    .addSubcommand((s) =>
      s
        .setName('enable')
        .setDescription('Let the scheduler pick a topic again')
        .addStringOption((o) => o.setName('topic').setDescription('The topic').setRequired(true).setAutocomplete(true).setMaxLength(100))
        .addStringOption(accountOption('one')),
    )
    .addSubcommand((s) =>
      s
        .setName('disable')
        .setDescription('Stop the scheduler picking a topic')
        .addStringOption((o) => o.setName('topic').setDescription('The topic').setRequired(true).setAutocomplete(true).setMaxLength(100))
        .addStringOption(accountOption('one')),
    )
    .addSubcommand((s) =>
      s.setName('reset-learning').setDescription('Topic choice forgets what it learned and starts over from the weights').addStringOption(accountOption('one')),
    ),
  // list reads; set, enable, disable and reset-learning change what the scheduler picks.
  guard: { moderatorExcept: ['list'] },
  // list covers every account, one section each; a change needs the one account it is for.
  accounts: (sub) => (sub === 'list' ? 'all' : 'one'),

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const sub = interaction.options.getSubcommand(true);
    // The router resolved 'one' subcommands to exactly one account (or refused).
    const account = accounts[0] as AccountCommandContext;
    switch (sub) {
      case 'list':
        return listTopics(interaction, ctx, accounts);
      case 'set':
        return setWeight(interaction, ctx, actor, account);
      case 'enable':
        return setEnabled(interaction, ctx, actor, account, true);
      case 'disable':
        return setEnabled(interaction, ctx, actor, account, false);
      case 'reset-learning':
        return resetLearning(interaction, ctx, actor, account);
      default:
        throw new UserError(`Unknown subcommand "${sub}". Use list, set, enable, disable or reset-learning.`);
    }
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    if (isAccountFocused(interaction)) await respondWithActiveAccounts(interaction, ctx);
    else await respondWithTopicNames(interaction, ctx);
  },
};
