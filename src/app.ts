import type { Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { connectDiscord, createDiscordClient } from './adapters/discord/discord-client.js';
import type { AppConfig } from './config/index.js';
import { createRepositories, openDatabase, type Repositories } from './db/index.js';
import type { Logger } from './logging/index.js';
import { systemClock, type Clock } from './services/ports.js';

export interface AppOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly rng?: () => number;
}

/** Bound on the whole shutdown, so a container stop never turns into a SIGKILL. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * The running bot: the parts `main.ts` builds with plain constructor injection, started in
 * order (database and migrations first, then Discord) and stopped in reverse.
 */
export class DraftgateApp {
  private dataSource: DataSource | undefined;
  private client: Client | undefined;
  private repositories: Repositories | undefined;
  private stopping: Promise<void> | undefined;
  readonly clock: Clock;

  constructor(private readonly options: AppOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get repos(): Repositories {
    if (!this.repositories) throw new Error('app not started');
    return this.repositories;
  }

  get discord(): Client {
    if (!this.client) throw new Error('app not started');
    return this.client;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const { dataSource, applied } = await openDatabase(config.storage.databasePath);
    this.dataSource = dataSource;
    this.repositories = createRepositories(dataSource);
    logger.info('database ready', { path: config.storage.databasePath, migrationsApplied: applied });

    this.client = createDiscordClient({ token: config.discord.token, apiBase: config.discord.apiBase, logger });
    await connectDiscord(this.client, config.discord.token);
    logger.info('ready', {
      user: this.client.user?.tag,
      guildId: config.discord.guildId,
      dryRun: config.posting.dryRun,
    });
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.options;
    logger.info('shutting down');
    if (this.client) await this.client.destroy();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    logger.info('stopped');
  }
}
