import {
  Events,
  MessageFlags,
  Routes,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
  type Client,
  type Interaction,
  type REST,
  type RESTPutAPIApplicationGuildCommandsJSONBody,
  type RESTPutAPIApplicationGuildCommandsResult,
} from 'discord.js';
import { resolveAccountScope } from '../../domain/account-scope.js';
import type { Logger } from '../../logging/index.js';
import { accountOptionValue, scopedAccountIds } from './account-option.js';
import type { AccountCommandContext, CommandComponentInteraction, CommandContext, SlashCommand } from './command-context.js';
import { enforceCommandGuard, moderatorOnlyAction } from './command-guard.js';
import { COLORS, embed, NO_MENTIONS } from './command-replies.js';
import { GuildGuard } from './guild-guard.js';
import { actorOf, clickerFacts, isModerator, whoMayModerate } from './moderator-check.js';
import { UserError } from './user-error.js';

/** The registration body of a command list, exactly as PUT /applications/:id/guilds/:gid/commands takes it. */
export function commandRegistrationBody(commands: readonly SlashCommand[]): RESTPutAPIApplicationGuildCommandsJSONBody {
  return commands.map((c) => {
    const json = c.data.toJSON();
    const permissions = json.default_member_permissions;
    // discord.js's builder emits the bit set as a string; Discord's OpenAPI description types it
    // as an integer (up to 2^54 - 1), so send a number whenever it is exactly representable.
    if (typeof permissions === 'string' && /^\d+$/.test(permissions) && Number.isSafeInteger(Number(permissions))) {
      return { ...json, default_member_permissions: Number(permissions) as unknown as string };
    }
    return json;
  });
}

/**
 * Registers the commands to one guild with a bulk overwrite: commands removed from the code
 * disappear from Discord, and guild commands update at once (global ones take up to an hour).
 */
export async function registerGuildCommands(
  rest: REST,
  applicationId: string,
  guildId: string,
  commands: readonly SlashCommand[],
): Promise<RESTPutAPIApplicationGuildCommandsResult> {
  return (await rest.put(Routes.applicationGuildCommands(applicationId, guildId), {
    body: commandRegistrationBody(commands),
  })) as RESTPutAPIApplicationGuildCommandsResult;
}

/** What a component gets when something unexpected failed; the details go to the log. */
export const COMPONENT_FAILURE_MESSAGE = 'Something went wrong while handling that. It has been logged; please try again.';

/**
 * Routes slash commands and their autocomplete to the command modules, and the components of
 * their replies (custom_ids under a command's `components.prefix`) back to that command. Card
 * buttons and modals (`dg1:`) are the moderation router's; this one ignores them. A `UserError`
 * becomes an ephemeral message to that user; anything else is logged with context and the user
 * gets a generic apology. Every command, autocomplete and component first passes the guild
 * guard (DISCORD_GUILD_ID only), so no command declares or checks it. A command then passes the
 * moderator guard it declares (`guard`), here and nowhere else, and gets the actor (a component:
 * the same guard, applied to its action); autocomplete changes nothing and skips that guard.
 */
export class CommandRouter {
  private readonly byName: Map<string, SlashCommand>;
  private readonly log: Logger;
  private readonly guild: GuildGuard;
  private readonly inFlight = new Set<Promise<boolean>>();

  constructor(
    commands: readonly SlashCommand[],
    private readonly ctx: CommandContext,
    logger: Logger,
  ) {
    this.byName = new Map(commands.map((c) => [c.data.name, c]));
    this.log = logger.child({ component: 'commands' });
    this.guild = new GuildGuard(ctx.config.discord.guildId, this.log);
  }

  /** Listens on the client; returns a function that stops listening. */
  attach(client: Client): () => void {
    const listener = (interaction: Interaction) => {
      const work = this.handle(interaction);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    };
    client.on(Events.InteractionCreate, listener);
    return () => client.off(Events.InteractionCreate, listener);
  }

  /** Waits (bounded) for commands still running, e.g. a /draft generating. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  /** Handles a slash command, its autocomplete or its reply's components; false for any other interaction. Never rejects. */
  async handle(interaction: Interaction): Promise<boolean> {
    if (interaction.isChatInputCommand() || interaction.isAutocomplete()) {
      if (!(await this.guild.admit(interaction))) return true;
      if (interaction.isChatInputCommand()) await this.runCommand(interaction);
      else await this.runAutocomplete(interaction);
      return true;
    }
    if (interaction.isButton() || interaction.isStringSelectMenu()) {
      const command = this.componentOwner(interaction.customId);
      if (!command) return false;
      if (!(await this.guild.admit(interaction))) return true;
      await this.runComponent(command, interaction);
      return true;
    }
    return false;
  }

  private async runCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const command = this.byName.get(interaction.commandName);
    const log = this.log.child({ command: interaction.commandName, interactionId: interaction.id, userId: interaction.user.id });
    if (!command) {
      log.warn('unknown command (registered by an older version?)');
      await this.replyError(interaction, 'This command is not known to this version of the bot.', log);
      return;
    }
    const started = this.ctx.clock.now();
    const actor = actorOf(interaction);
    try {
      // Refusals are UserErrors: shown and logged below like any other.
      const accounts = this.accountsFor(command, interaction);
      await enforceCommandGuard(command, interaction, this.ctx, actor, accounts);
      await command.execute(interaction, this.ctx, actor, accounts);
      log.info('command handled', { subcommand: interaction.options.getSubcommand(false), tookMs: this.ctx.clock.now() - started });
    } catch (error) {
      if (error instanceof UserError) {
        log.info('command refused', { reason: error.message, ...error.context });
        await this.replyError(interaction, error.message, log);
        return;
      }
      log.error('command failed', { error });
      await this.replyError(interaction, 'Something went wrong on our side. It has been logged; please try again later.', log);
    }
  }

  /**
   * The accounts this use of the command applies to: the `account` option, else the moderation
   * channel of exactly one account, else the command's rule (every account, or a refusal that
   * lists the ids). In memory, no I/O: it runs before the 3-second acknowledgement.
   */
  private accountsFor(command: SlashCommand, interaction: ChatInputCommandInteraction): readonly AccountCommandContext[] {
    if (command.accounts === undefined) return [];
    const { active } = this.ctx.accounts;
    const whenUnnarrowed = typeof command.accounts === 'function' ? command.accounts(interaction.options.getSubcommand(false)) : command.accounts;
    const ids = scopedAccountIds(
      resolveAccountScope({
        account: accountOptionValue(interaction),
        channelId: interaction.channelId,
        activeAccounts: active.map((account) => ({
          id: account.id,
          moderationChannelId: account.config.discord.moderationChannelId,
          handle: account.handle(),
        })),
        inactiveAccountIds: this.ctx.accounts.inactiveIds(),
        whenUnnarrowed,
      }),
    );
    return ids.map((id) => active.find((account) => account.id === id) as AccountCommandContext);
  }

  private componentOwner(customId: string): (SlashCommand & { components: NonNullable<SlashCommand['components']> }) | undefined {
    const prefix = customId.split(':', 1)[0];
    for (const command of this.byName.values()) {
      if (command.components && command.components.prefix === prefix) return command as SlashCommand & { components: NonNullable<SlashCommand['components']> };
    }
    return undefined;
  }

  /**
   * A component of a command's reply: acknowledged first (deferUpdate: the message stays and
   * is edited in place), then decoded, its account resolved from the custom_id, and the
   * command's guard applied to its action against that account's moderators; a refusal is
   * private and audited in the account's log. Then the command runs it. Errors as for commands,
   * but as private follow-ups, since the reply is the shared message.
   */
  private async runComponent(
    command: SlashCommand & { components: NonNullable<SlashCommand['components']> },
    interaction: CommandComponentInteraction,
  ): Promise<void> {
    const log = this.log.child({ command: command.data.name, interactionId: interaction.id, userId: interaction.user.id, customId: interaction.customId });
    const actor = actorOf(interaction);
    try {
      await interaction.deferUpdate();
      const parsed = command.components.parse(interaction.customId);
      if (!parsed) throw new UserError('This control is not understood by this version of the bot. Run the command again.');
      const account = this.ctx.accounts.active.find((a) => a.id === parsed.accountId);
      if (!account) {
        const inactive = this.ctx.accounts.inactiveIds().includes(parsed.accountId);
        throw new UserError(`The account ${parsed.accountId} is ${inactive ? 'no longer configured' : 'not known'}. Nothing was changed.`, {
          accountId: parsed.accountId,
        });
      }
      const action = command.components.openActions?.includes(parsed.action) ? null : moderatorOnlyAction(command, parsed.action);
      const policy = { moderatorRoleId: account.config.discord.moderatorRoleId };
      if (action !== null && !isModerator(clickerFacts(interaction), policy)) {
        await account.audit.record(
          {
            draftId: null,
            revision: null,
            actor,
            action,
            outcome: 'refused_not_moderator',
            detail: parsed.draftId !== undefined ? `draft #${parsed.draftId}` : null,
            interactionId: interaction.id,
          },
          this.ctx.clock.now(),
        );
        throw new UserError(`Only moderators can do that: ${action} is limited to ${whoMayModerate(policy)}. Nothing was changed.`, {
          action,
          userId: actor.id,
        });
      }
      await command.components.run(interaction, this.ctx, actor, account);
      log.info('component handled', { action: parsed.action });
    } catch (error) {
      if (error instanceof UserError) log.info('component refused', { reason: error.message, ...error.context });
      else log.error('component failed', { error });
      const content = error instanceof UserError ? error.message : COMPONENT_FAILURE_MESSAGE;
      try {
        if (interaction.deferred || interaction.replied) await interaction.followUp({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
        else await interaction.reply({ content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS });
      } catch (replyError) {
        log.error('could not send the error reply', { error: replyError });
      }
    }
  }

  private async runAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const command = this.byName.get(interaction.commandName);
    try {
      if (command?.autocomplete) await command.autocomplete(interaction, this.ctx);
      else await interaction.respond([]);
    } catch (error) {
      this.log.error('autocomplete failed', { error, command: interaction.commandName, interactionId: interaction.id });
      if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
    }
  }

  private async replyError(interaction: ChatInputCommandInteraction, message: string, log: Logger): Promise<void> {
    const payload = { embeds: [embed(COLORS.error, 'Not done').setDescription(message)], allowedMentions: NO_MENTIONS };
    try {
      if (interaction.deferred || interaction.replied) await interaction.editReply(payload);
      else await interaction.reply({ ...payload, flags: MessageFlags.Ephemeral });
    } catch (error) {
      log.error('could not send the error reply', { error });
    }
  }
}
