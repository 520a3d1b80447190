import { Client, Events, GatewayIntentBits, type ClientOptions } from 'discord.js';
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
 * Builds the discord.js client. Only the Guilds intent: interactions arrive without any
 * privileged intent. `allowedMentions: { parse: [] }` makes every message the bot sends unable
 * to ping anyone, whatever text a model or moderator put in it.
 */
export function createDiscordClient(options: DiscordClientOptions): Client {
  const clientOptions: ClientOptions = {
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: { parse: [], repliedUser: false },
    ...(options.apiBase ? { rest: { api: options.apiBase } } : {}),
  };
  const client = new Client(clientOptions);
  const log = options.logger.child({ component: 'discord' });
  client.on(Events.Warn, (message) => log.warn(message));
  client.on(Events.Error, (error) => log.error('discord client error', { error }));
  client.on(Events.ShardDisconnect, (event, shardId) => log.warn('gateway disconnected', { code: event.code, shardId }));
  client.on(Events.ShardResume, (shardId, replayed) => log.info('gateway resumed', { shardId, replayed }));
  client.on(Events.ShardReconnecting, (shardId) => log.info('gateway reconnecting', { shardId }));
  return client;
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
