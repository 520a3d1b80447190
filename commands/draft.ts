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
import { CONTENT_TYPE_LABELS, CONTENT_TYPES, isContentType } from '../src/domain/content-types.js';
import type { Actor } from '../src/domain/draft.js';
import { MEDIA_LIMITS, MediaRuleError } from '../src/domain/media.js';
import { UnknownTopicError } from '../src/services/draft-pipeline.js';
import type { PreparedImage } from '../src/services/media-contract.js';

/**
 * /draft [topic] [type] [image] [account]: generates a draft for one account now and posts its
 * card; that account's pending cap still applies. With several accounts and neither the option
 * nor the channel naming one, the router refuses and lists the ids. `type` is the moderator's
 * content type (default: the topic's). `image` (issue 14) is checked against X's rules, stored
 * and described by Claude before generation (unless `alt` gives its alt text, validated like the
 * Add image modal's), then sent to Claude so the post is about it; a
 * refused file is an ephemeral error naming the rule, and nothing is created.
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
    .addStringOption((o) =>
      o
        .setName('type')
        .setDescription("The kind of post (default: the topic's)")
        .setRequired(false)
        .addChoices(...CONTENT_TYPES.map((type) => ({ name: CONTENT_TYPE_LABELS[type], value: type }))),
    )
    .addAttachmentOption((o) => o.setName('image').setDescription('An image the post is about: PNG, JPEG, WEBP or GIF').setRequired(false))
    .addStringOption((o) =>
      o.setName('alt').setDescription("The image's alt text (default: Claude writes it)").setMaxLength(MEDIA_LIMITS.maxAltTextLength).setRequired(false),
    )
    .addStringOption(accountOption('one')),
  guard: 'moderator',
  accounts: 'one',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const account = accounts[0] as AccountCommandContext;
    const topicOption = interaction.options.getString('topic');
    const typeOption = interaction.options.getString('type');
    const attachment = interaction.options.getAttachment('image');
    const altText = interaction.options.getString('alt');
    // Discord offers only the choices; a stale client's unknown value is still refused here.
    if (typeOption !== null && !isContentType(typeOption)) throw new UserError(`Unknown content type "${typeOption}".`, { type: typeOption });
    const contentType = typeOption ?? undefined;
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

    if (attachment && !account.media) throw new UserError('Images are not available on this bot.', { account: account.id });
    if (altText !== null && !attachment) throw new UserError('`alt:` is the alt text of an image: attach one with `image:` too.', {});

    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let images: PreparedImage[] = [];
    if (attachment && account.media) {
      try {
        // Downloads (bounded), checks X's rules, stores it and, without `alt:`, has Claude describe it, before anything is generated.
        images = await account.media.prepareImages(
          [{ url: attachment.url, filename: attachment.name, contentType: attachment.contentType, size: attachment.size }],
          altText,
        );
      } catch (error) {
        if (error instanceof MediaRuleError) throw new UserError(error.message, { rule: error.rule, ...error.context });
        throw error;
      }
    }
    let outcome;
    try {
      outcome = await account.generateDraft(topic?.name, { contentType, images });
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
        detail:
          `${topic ? `topic ${topic.name}: ` : ''}${contentType ? `type ${contentType}: ` : ''}${images.length > 0 ? `${images.length} image: ` : ''}${detail}`.slice(
            0,
            500,
          ),
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
          ...(images.length > 0 ? [`Image: ${images.map((image) => imageLine(image)).join(', ')}`] : []),
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

/** "PNG 1200×675, 84 KB, alt text by Claude": what the moderator attached, as stored. */
function imageLine({ media }: PreparedImage): string {
  const kind = media.mimeType.replace('image/', '').toUpperCase();
  const size = media.bytes >= 1024 * 1024 ? `${(media.bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.max(1, Math.round(media.bytes / 1024))} KB`;
  return `${kind} ${media.width}×${media.height}, ${size}${media.altSource ? `, alt text by ${media.altSource}` : ''}`;
}
