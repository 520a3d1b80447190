import {
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { accountOption, isAccountFocused } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import { COLORS, embed, plain, respond } from '../src/adapters/discord/command-replies.js';
import { accountSuffix, namesAccounts, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import { resolveTopic, respondWithTopicNames } from '../src/adapters/discord/topic-options.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import type { Actor } from '../src/domain/draft.js';
import { UnknownTopicError } from '../src/services/draft-pipeline.js';

/**
 * /draft [topic] [account]: generates a draft for one account now and posts its card; that
 * account's pending cap still applies. With several accounts and neither the option nor the
 * channel naming one, the router refuses and lists the ids.
 */
export const draft: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('draft')
    .setDescription('Generate a draft now and post it for moderation')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) =>
      o.setName('topic').setDescription('The topic to write about (default: weighted random)').setAutocomplete(true).setMaxLength(100).setRequired(false),
    )
    .addStringOption(accountOption('one')),
  guard: 'moderator',
  accounts: 'one',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const account = accounts[0] as AccountCommandContext;
    const topicOption = interaction.options.getString('topic');
    // Cheap checks first, answered at once and privately; generation itself may take seconds.
    const topic = topicOption === null ? null : await resolveTopic(account.topics, topicOption);
    const pending = (await account.drafts.countByStatus()).pending;
    const max = account.config.posting.maxPendingDrafts;
    if (pending >= max) {
      const whose = namesAccounts(ctx) ? ` of ${account.id}` : '';
      throw new UserError(`The pending cap${whose} is full: ${pending} of ${max} drafts await moderation. Approve or reject one, then try again.`, {
        pending,
        max,
        account: account.id,
      });
    }

    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let outcome;
    try {
      outcome = await account.generateDraft(topic?.name);
    } catch (error) {
      if (error instanceof UnknownTopicError) throw new UserError(error.message, { topic: error.topicName });
      throw error;
    }
    const detail = outcome.status === 'created' ? `#${outcome.draft.id}` : outcome.reason;
    await account.audit.record(
      {
        draftId: outcome.status === 'created' ? outcome.draft.id : null,
        revision: outcome.status === 'created' ? outcome.draft.revision : null,
        actor,
        action: 'draft_command',
        outcome: outcome.status,
        detail: `${topic ? `topic ${topic.name}: ` : ''}${detail}`.slice(0, 500),
        interactionId: interaction.id,
      },
      ctx.clock.now(),
    );

    if (outcome.status === 'created') {
      const { draft: created } = outcome;
      const link = outcome.card ? `https://discord.com/channels/${ctx.config.discord.guildId}/${outcome.card.channelId}/${outcome.card.messageId}` : null;
      const reply = embed(COLORS.ok, `Draft #${created.id} ready for moderation${accountSuffix(ctx, account)}`.slice(0, 256)).setDescription(
        [
          `Topic: **${plain(created.topicName)}** (${created.kind === 'thread' ? `thread of ${created.tweets.length}` : 'single tweet'})`,
          link ? `Card: ${link}` : '⚠️ The card could not be posted yet; it will be retried.',
          ...((await account.pause.holdsPublishing()) ? ['⏸️ Publishing is paused: once approved, it waits for /resume.'] : []),
        ].join('\n'),
      );
      await respond(interaction, [reply]);
      return;
    }
    const title = `${outcome.status === 'skipped' ? 'No draft this time' : 'Generation failed'}${accountSuffix(ctx, account)}`.slice(0, 256);
    await respond(interaction, [embed(outcome.status === 'skipped' ? COLORS.warn : COLORS.error, title).setDescription(plain(outcome.reason).slice(0, 2000))]);
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    if (isAccountFocused(interaction)) await respondWithActiveAccounts(interaction, ctx);
    else await respondWithTopicNames(interaction, ctx);
  },
};
