import { Client, Events, GatewayIntentBits, Options, type ClientOptions } from 'discord.js';
import type { Logger } from '../../logging/index.js';

export interface DiscordClientOptions {
  readonly token: string;
  /** REST base such as `http://127.0.0.1:PORT/api`; discord.js appends `/v10`. */
  readonly apiBase?: string | undefined;
  readonly logger: Logger;
}

/** Raised when the gateway does not become ready, with the reason Discord or discord.js gave. */
export class DiscordConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DiscordConnectionError';
  }
}

/**
 * What discord.js may cache (issue 16: idle memory). The bot reads the guild, its channels (to
 * post cards) and its roles (GuildMemberRoleManager resolves a member's role ids through them),
 * which discord.js needs anyway and which must not be limited. It never reads anything else back:
 * cards are edited by id, the moderator check reads the member that comes with each interaction,
 * and actors come from the interaction's user. So no messages (200 per channel by default: one
 * per card posted), no members or users but the bot's own (every clicker would stay forever),
 * and none of the emojis, stickers, threads, presences, voice states and such the Guilds intent
 * sends. A limit of 0 still builds the object discord.js hands over; it just is not kept.
 */
function cacheLimits(isBot: (id: string) => boolean): ClientOptions['makeCache'] {
  return Options.cacheWithLimits({
    ...Options.DefaultMakeCacheSettings,
    MessageManager: 0,
    GuildMemberManager: { maxSize: 0, keepOverLimit: (member) => isBot(member.id) },
    UserManager: { maxSize: 0, keepOverLimit: (user) => isBot(user.id) },
    ThreadManager: 0,
    ThreadMemberManager: 0,
    ReactionManager: 0,
    ReactionUserManager: 0,
    PresenceManager: 0,
    VoiceStateManager: 0,
    BaseGuildEmojiManager: 0,
    GuildEmojiManager: 0,
    GuildStickerManager: 0,
    GuildScheduledEventManager: 0,
    GuildInviteManager: 0,
    GuildBanManager: 0,
    StageInstanceManager: 0,
    AutoModerationRuleManager: 0,
    ApplicationCommandManager: 0,
    GuildMessageManager: 0,
    DMMessageManager: 0,
    GuildForumThreadManager: 0,
    GuildTextThreadManager: 0,
  });
}

/**
 * Builds the discord.js client. Only the Guilds intent: interactions arrive without any
 * privileged intent. `allowedMentions: { parse: [] }` makes every message the bot sends unable
 * to ping anyone, whatever text a model or moderator put in it. Caches are limited to what the
 * bot reads (see cacheLimits).
 */
export function createDiscordClient(options: DiscordClientOptions): Client {
  // The client's own id is known only once logged in; until then nothing is cached over a limit anyway.
  let client: Client | undefined;
  const isBot = (id: string) => id === client?.user?.id;
  const clientOptions: ClientOptions = {
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [], repliedUser: false },
    makeCache: cacheLimits(isBot),
    ...(options.apiBase ? { rest: { api: options.apiBase } } : {}),
  };
  client = new Client(clientOptions);
  const rest = client.rest;
  // Before the handlers run (listeners fire in order): sweeps what earlier interactions left.
  client.on(Events.InteractionCreate, (interaction) => sweepInteractionHandlers(rest, interaction.applicationId));
  const log = options.logger.child({ component: 'discord' });
  client.on(Events.Warn, (message) => log.warn(message));
  client.on(Events.Error, (error) => log.error('discord client error', { error }));
  client.on(Events.ShardDisconnect, (event, shardId) => log.warn('gateway disconnected', { code: event.code, shardId }));
  client.on(Events.ShardResume, (shardId, replayed) => log.info('gateway resumed', { shardId, replayed }));
  client.on(Events.ShardReconnecting, (shardId) => log.info('gateway reconnecting', { shardId }));
  return client;
}

/**
 * Drops @discordjs/rest's idle rate-limit handlers for interaction webhooks (issue 16: soak).
 * It keeps one handler per route and "major parameter", and an interaction's replies and
 * follow-ups (/webhooks/:appId/:token/...) have the interaction's token as theirs: every deferred
 * or followed-up interaction left a handler and its queue behind, and discord.js sweeps them only
 * hourly (`handlerSweepInterval`), so a busy hour kept thousands. A handler that is `inactive`
 * has nothing queued and no rate limit in force (discord.js's own sweep uses the same test), so
 * dropping it loses nothing: a later follow-up on the same token just makes a new one. Other
 * routes (cards in the channel, commands) are few and left to discord.js.
 */
export function sweepInteractionHandlers(rest: Client['rest'], applicationId: string): void {
  const marker = `:${applicationId}/`;
  rest.handlers.sweep((handler, key) => key.includes(marker) && handler.inactive);
}

/** Logs in and resolves once the gateway is READY, or rejects after `timeoutMs`. */
export async function connectDiscord(client: Client, token: string, timeoutMs = 30_000): Promise<void> {
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DiscordConnectionError(`Discord gateway not ready after ${timeoutMs} ms`)), timeoutMs);
    client.once(Events.ClientReady, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  try {
    await client.login(token);
  } catch (error) {
    throw new DiscordConnectionError(`Discord login failed: ${(error as Error).message}`, { cause: error });
  }
  await ready;
}
