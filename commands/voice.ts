import {
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type EmbedBuilder,
} from 'discord.js';
import { accountOption, isAccountFocused } from '../src/adapters/discord/account-option.js';
import type { AccountCommandContext, CommandContext, SlashCommand } from '../src/adapters/discord/command-context.js';
import {
  COLORS,
  deferBeforeWrite,
  discordWhen,
  embed,
  MAX_AUTOCOMPLETE_CHOICES,
  NO_MENTIONS,
  plain,
  respond,
} from '../src/adapters/discord/command-replies.js';
import { accountSuffix, respondWithActiveAccounts } from '../src/adapters/discord/command-sections.js';
import { clickerFacts, isModerator } from '../src/adapters/discord/moderator-check.js';
import { accountsForTopicChoices } from '../src/adapters/discord/topic-options.js';
import { UserError } from '../src/adapters/discord/user-error.js';
import type { Actor } from '../src/domain/draft.js';
import { engagementOf } from '../src/domain/learning.js';
import type { VoiceChangeOutcome, VoiceView } from '../src/services/learning-contract.js';

/** Discord's limits on a choice's name and value. */
const MAX_CHOICE_CHARS = 100;
/**
 * The show embed's budget: Discord allows 4096 in the description, 1024 per field and 6000 over
 * the whole embed; these keep the sum under 6000 whatever is learned.
 */
const MAX_VOICE_CHARS = 900;
const MAX_DESCRIPTION_CHARS = 2_700;
const MAX_FIELD_CHARS = 700;
const SNIPPET_CHARS = 70;

/** The first `max` characters of a one-line rendering of `text`, with an ellipsis when cut. */
function snippet(text: string, max = SNIPPET_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1).trimEnd()}…`;
}

/** Lines joined until `max` characters, then "…and N more". */
function bounded(lines: readonly string[], max: number, empty: string): string {
  if (lines.length === 0) return empty;
  const kept: string[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    const more = `…and ${lines.length - index} more`;
    if (length + line.length + 1 + more.length > max) {
      kept.push(more);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/** /voice show's embed: the voice, the avoid notes with their ids, the examples and edit pairs in use, the pins. */
export function renderVoice(view: VoiceView, title: string): EmbedBuilder {
  const { learned } = view;
  // Learning off: the block is empty, but the notes condensed before are kept (and /voice forget offers them).
  const shownNotes = view.learningEnabled ? learned.avoidNotes : view.notes;
  const notes = shownNotes.map((note) => `\`${note.id}\` ${plain(note.text)}`);
  const description = [
    `**Voice**${view.voiceIsBuiltIn ? ' (built-in)' : ''}: ${plain(snippet(view.voice, MAX_VOICE_CHARS))}`,
    view.learningEnabled
      ? `**Learning** on · learned block ${learned.builtAt === null ? 'not built yet' : `built ${discordWhen(learned.builtAt)}`} (rebuilt daily and after a /voice change)`
      : '**Learning** off: the prompt has no learned block and no notes are condensed.',
    `**Avoid notes** ${view.notesCondensedAt === null ? '(never condensed)' : `(condensed ${discordWhen(view.notesCondensedAt)})`}${view.learningEnabled || notes.length === 0 ? '' : ': kept, but not used while learning is off'}`,
    notes.length > 0 ? notes.join('\n') : view.learningEnabled ? 'None yet: they come from reject reasons and Regenerate feedback, once a day.' : 'None.',
  ].join('\n');
  const examples = learned.examples.map((e) => {
    const engagement = engagementOf(e);
    return `#${e.draftId} · ${plain(snippet(e.topicName, 40))}${engagement === null ? '' : ` · engagement ${engagement}`}${e.pin === 'in' ? ' · 📌' : ''}`;
  });
  const pairs = learned.editPairs.map((p) => `#${p.draftId} · ${plain(snippet(p.before.join(' '), 50))} → ${plain(snippet(p.after.join(' '), 50))}`);
  const pins = view.pinned.map((s) => `#${s.draftId} · ${s.pin === 'in' ? 'pinned in' : 'kept out'} · ${plain(snippet(s.topicName, 40))}`);
  return embed(COLORS.info, title.slice(0, 256))
    .setDescription(description.length > MAX_DESCRIPTION_CHARS ? `${description.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : description)
    .addFields(
      {
        name: `Examples in use (${examples.length})`,
        value: bounded(examples, MAX_FIELD_CHARS, 'None yet: published drafts without risk flags become examples.'),
      },
      { name: `Edit pairs (${pairs.length})`, value: bounded(pairs, MAX_FIELD_CHARS, 'None yet.') },
      { name: `Pinned (${pins.length})`, value: bounded(pins, MAX_FIELD_CHARS, 'None.') },
    )
    .setFooter({ text: '/voice forget <note> removes a note · /voice pin|unpin <draft> forces a draft in or out of the examples' });
}

async function show(interaction: ChatInputCommandInteraction, ctx: CommandContext, account: AccountCommandContext): Promise<void> {
  // Reading the learned block may rebuild it (a write): acknowledge first.
  await deferBeforeWrite(interaction, { ephemeral: false });
  const view = await account.voice.show();
  await respond(interaction, [renderVoice(view, `Voice${accountSuffix(ctx, account)}`)]);
}

/**
 * The reply to a change: applied or unchanged for the whole channel (the team sees what changed);
 * a refusal privately, as for any bad option. The reply was deferred publicly before the write,
 * so a refusal replaces it by a private follow-up.
 */
async function answerChange(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  account: AccountCommandContext,
  title: string,
  actor: Actor,
  outcome: VoiceChangeOutcome,
): Promise<void> {
  if (outcome.status === 'refused') {
    await interaction.deleteReply();
    await interaction.followUp({
      embeds: [embed(COLORS.error, 'Not done').setDescription(`${plain(outcome.detail)}. Nothing was changed.`)],
      allowedMentions: NO_MENTIONS,
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  const color = outcome.status === 'applied' ? COLORS.ok : COLORS.warn;
  const by = outcome.status === 'applied' ? ` (by ${plain(actor.name)})` : '';
  await respond(interaction, [embed(color, `${title}${accountSuffix(ctx, account)}`.slice(0, 256)).setDescription(`${plain(outcome.detail)}${by}`)]);
}

async function forget(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, account: AccountCommandContext): Promise<void> {
  const note = interaction.options.getString('note', true).trim();
  if (note === '') throw new UserError('Pick the note to forget (its id, e.g. n3): /voice show lists them.');
  await deferBeforeWrite(interaction, { ephemeral: false });
  const outcome = await account.voice.forgetNote(note, { actor, interactionId: interaction.id });
  await answerChange(interaction, ctx, account, outcome.status === 'applied' ? 'Avoid note forgotten' : 'Avoid note', actor, outcome);
}

async function pinOrUnpin(
  interaction: ChatInputCommandInteraction,
  ctx: CommandContext,
  actor: Actor,
  account: AccountCommandContext,
  pin: boolean,
): Promise<void> {
  const draftId = interaction.options.getInteger('draft', true);
  // Discord enforces the minimum in its client, but a request can be crafted without it.
  if (!Number.isSafeInteger(draftId) || draftId < 1) throw new UserError(`A draft is a number such as 42 (the # on its card); got ${draftId}.`, { draftId });
  await deferBeforeWrite(interaction, { ephemeral: false });
  const request = { actor, interactionId: interaction.id };
  const outcome = pin ? await account.voice.pin(draftId, request) : await account.voice.unpin(draftId, request);
  await answerChange(interaction, ctx, account, pin ? 'Example pinned' : 'Example unpinned', actor, outcome);
}

/** The avoid notes of the account(s) the option or channel names, matching what was typed (id or text), at most 25. */
async function respondWithNotes(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
  const accounts = accountsForTopicChoices(interaction, ctx);
  // Autocomplete is never guarded by the router; the notes are moderators' words, so only they see them.
  const mine = accounts.filter((account) => isModerator(clickerFacts(interaction), { moderatorRoleId: account.config.discord.moderatorRoleId }));
  const typed = String(interaction.options.getFocused()).trim().toLowerCase();
  const several = mine.length > 1;
  const choices: Array<{ name: string; value: string }> = [];
  for (const account of mine) {
    for (const note of await account.voice.notes()) {
      if (typed !== '' && !note.id.toLowerCase().startsWith(typed) && !note.text.toLowerCase().includes(typed)) continue;
      const name = `${several ? `${account.id} · ` : ''}${note.id}: ${note.text.replace(/\s+/g, ' ')}`;
      choices.push({ name: name.length <= MAX_CHOICE_CHARS ? name : `${name.slice(0, MAX_CHOICE_CHARS - 1)}…`, value: note.id });
    }
  }
  await interaction.respond(choices.slice(0, MAX_AUTOCOMPLETE_CHOICES));
}

/**
 * /voice show|forget|pin|unpin [account]: what the account learned from its moderators (issue 15
 * §3): its voice, avoid notes, examples and edit pairs; forget a note; force a draft in or out
 * of the examples. Moderators only (also show: it quotes what moderators wrote); every change is audited.
 */
export const voice: SlashCommand = {
  data: new SlashCommandBuilder()
    .setName('voice')
    .setDescription('What the bot learned from moderators: voice, avoid notes, examples')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addSubcommand((s) => s.setName('show').setDescription('The voice, the avoid notes and the examples in use').addStringOption(accountOption('one')))
    .addSubcommand((s) =>
      s
        .setName('forget')
        .setDescription('Remove an avoid note; it does not come back')
        .addStringOption((o) =>
          o.setName('note').setDescription('The note (its id, e.g. n3)').setRequired(true).setAutocomplete(true).setMaxLength(MAX_CHOICE_CHARS),
        )
        .addStringOption(accountOption('one')),
    )
    .addSubcommand((s) =>
      s
        .setName('pin')
        .setDescription('Always use a published draft as an example')
        .addIntegerOption((o) => o.setName('draft').setDescription('The draft number (the # on its card)').setRequired(true).setMinValue(1))
        .addStringOption(accountOption('one')),
    )
    .addSubcommand((s) =>
      s
        .setName('unpin')
        .setDescription('Never use a draft as an example')
        .addIntegerOption((o) => o.setName('draft').setDescription('The draft number (the # on its card)').setRequired(true).setMinValue(1))
        .addStringOption(accountOption('one')),
    ),
  // The issue: all of /voice is for moderators. show too: it quotes their reject reasons, condensed.
  guard: 'moderator',
  accounts: 'one',

  async execute(interaction: ChatInputCommandInteraction, ctx: CommandContext, actor: Actor, accounts: readonly AccountCommandContext[]): Promise<void> {
    const sub = interaction.options.getSubcommand(true);
    // The router resolved 'one' to exactly one account (or refused).
    const account = accounts[0] as AccountCommandContext;
    switch (sub) {
      case 'show':
        return show(interaction, ctx, account);
      case 'forget':
        return forget(interaction, ctx, actor, account);
      case 'pin':
        return pinOrUnpin(interaction, ctx, actor, account, true);
      case 'unpin':
        return pinOrUnpin(interaction, ctx, actor, account, false);
      default:
        throw new UserError(`Unknown subcommand "${sub}". Use show, forget, pin or unpin.`);
    }
  },

  async autocomplete(interaction: AutocompleteInteraction, ctx: CommandContext): Promise<void> {
    if (isAccountFocused(interaction)) await respondWithActiveAccounts(interaction, ctx);
    else await respondWithNotes(interaction, ctx);
  },
};
