import { Events, MessageFlags, type ButtonInteraction, type Client, type Interaction, type ModalSubmitInteraction } from 'discord.js';
import { CARD_ACTIONS, decodeDraftCustomId, MODAL_ACTIONS, type DraftAction, type DraftCustomId } from '../../domain/custom-id.js';
import type { Logger } from '../../logging/index.js';
import { NO_MENTIONS } from './allowed-mentions.js';
import type { GuildGuard } from './guild-guard.js';
import { UserError } from './user-error.js';

/** A draft-card interaction: a button on a card, or the modal one of its buttons opened. */
export type DraftInteraction = ButtonInteraction | ModalSubmitInteraction;

/** Handles one decoded action; acknowledging the interaction is its first network call. */
export type DraftInteractionHandler = (interaction: DraftInteraction, id: DraftCustomId) => Promise<void>;

export type DraftInteractionHandlers = Readonly<Record<DraftAction, DraftInteractionHandler>>;

/** The generic reply to an unexpected failure; details go to the log, never to the user. */
export const GENERIC_FAILURE_MESSAGE = 'Something went wrong while handling that. Nothing was changed by this click; please try again.';

const BUTTON_ACTIONS: readonly string[] = CARD_ACTIONS;
const SUBMIT_ACTIONS: readonly string[] = MODAL_ACTIONS;

/**
 * Decides whether an interaction is ours and decodes it: a button whose custom_id is a card
 * action, or a modal submit whose custom_id is a modal action. Anything else (another bot's
 * components, an older format, slash commands) is null.
 */
export function parseDraftInteraction(interaction: Interaction): { interaction: DraftInteraction; id: DraftCustomId } | null {
  if (interaction.isButton()) {
    const id = decodeDraftCustomId(interaction.customId);
    return id && BUTTON_ACTIONS.includes(id.action) ? { interaction, id } : null;
  }
  if (interaction.isModalSubmit()) {
    const id = decodeDraftCustomId(interaction.customId);
    return id && SUBMIT_ACTIONS.includes(id.action) ? { interaction, id } : null;
  }
  return null;
}

/**
 * Routes draft-card interactions to their handlers and owns the one error handler: a UserError
 * becomes an ephemeral message to the clicker; anything else is logged with its context and the
 * clicker gets a generic ephemeral reply. Tracks work in flight so shutdown can wait for it.
 * The guild guard runs first, so no handler ever sees an interaction from outside our guild.
 */
export class InteractionRouter {
  private readonly inFlight = new Set<Promise<void>>();
  private listener: ((interaction: Interaction) => void) | undefined;

  constructor(
    private readonly handlers: DraftInteractionHandlers,
    private readonly logger: Logger,
    private readonly guild: GuildGuard,
  ) {}

  /** Listens for INTERACTION_CREATE on `client`. */
  attach(client: Client): void {
    this.listener = (interaction) => {
      const work = this.handle(interaction);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    };
    client.on(Events.InteractionCreate, this.listener);
  }

  detach(client: Client): void {
    if (this.listener) client.off(Events.InteractionCreate, this.listener);
    this.listener = undefined;
  }

  /** Waits (bounded) for the handlers still running, e.g. a publish after an approval. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.logger.warn('interactions still running at shutdown', { count: this.inFlight.size });
        resolve();
      }, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  /** Handles one interaction; never rejects. */
  async handle(interaction: Interaction): Promise<void> {
    const parsed = parseDraftInteraction(interaction);
    if (!parsed) return;
    if (!(await this.guild.admit(parsed.interaction))) return;
    const handler = this.handlers[parsed.id.action];
    try {
      await handler(parsed.interaction, parsed.id);
    } catch (error) {
      await this.reportFailure(parsed.interaction, parsed.id, error);
    }
  }

  private async reportFailure(interaction: DraftInteraction, id: DraftCustomId, error: unknown): Promise<void> {
    const context = { interactionId: interaction.id, customId: interaction.customId, userId: interaction.user.id, draftId: id.draftId, revision: id.revision };
    const userError = error instanceof UserError;
    if (userError) this.logger.info('interaction refused', { ...context, reason: error.message });
    else this.logger.error('interaction handler failed', { ...context, error });
    const message = { content: userError ? error.message : GENERIC_FAILURE_MESSAGE, flags: MessageFlags.Ephemeral as const, allowedMentions: NO_MENTIONS };
    try {
      if (interaction.deferred || interaction.replied) await interaction.followUp(message);
      else await interaction.reply(message);
    } catch (replyError) {
      // Typically the interaction token expired (15 min) or Discord is unreachable: log it, nothing else to do.
      this.logger.warn('could not tell the user about a refused or failed interaction', { ...context, error: replyError });
    }
  }
}
