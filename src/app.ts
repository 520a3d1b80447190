import { Events, type Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { ClaudeDraftGenerator } from './adapters/claude/claude-draft-generator.js';
import { connectDiscord, createDiscordClient } from './adapters/discord/discord-client.js';
import { DiscordDraftCards } from './adapters/discord/discord-draft-cards.js';
import { InteractionRouter } from './adapters/discord/interaction-router.js';
import { createModerationHandlers } from './adapters/discord/moderation-handlers.js';
import { XPublisher } from './adapters/twitter/x-publisher.js';
import { ChatOps } from './chat-ops.js';
import type { AppConfig } from './config/index.js';
import { createRepositories, openDatabase, type Repositories } from './db/index.js';
import type { Logger } from './logging/index.js';
import { DeadlineTimer } from './services/deadline-timer.js';
import { DraftPipelineService } from './services/draft-pipeline.js';
import { ModerationService } from './services/moderation-service.js';
import { systemClock, type Clock } from './services/ports.js';
import { PublishingService, type PublishingObserver } from './services/publishing-service.js';

export interface AppOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly rng?: () => number;
  /**
   * Whether the scheduler arms real timers (default true). Tests driven by a manual clock turn
   * them off and run due jobs with `app.scheduler.runDue()`.
   */
  readonly armSchedulerTimers?: boolean;
}

/** Bound on the whole shutdown, so a container stop never turns into a SIGKILL. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Part of the shutdown budget given to clicks still being handled (e.g. an approval publishing). */
const INTERACTION_DRAIN_MS = 5_000;

/** The services built at start-up; later parts (scheduler, slash commands) use them too. */
export interface AppServices {
  readonly pipeline: DraftPipelineService;
  readonly publishing: PublishingService;
  readonly moderation: ModerationService;
  readonly deadlines: DeadlineTimer;
}

/**
 * The running bot: the parts `main.ts` builds with plain constructor injection, started in
 * order (database and migrations first, then Discord) and stopped in reverse.
 */
export class DraftgateApp {
  private dataSource: DataSource | undefined;
  private client: Client | undefined;
  private repositories: Repositories | undefined;
  private appServices: AppServices | undefined;
  private router: InteractionRouter | undefined;
  private chatOpsPart: ChatOps | undefined;
  private stopping: Promise<void> | undefined;
  readonly clock: Clock;
  private readonly rng: () => number;

  constructor(private readonly options: AppOptions) {
    this.clock = options.clock ?? systemClock;
    this.rng = options.rng ?? Math.random;
  }

  get repos(): Repositories {
    if (!this.repositories) throw new Error('app not started');
    return this.repositories;
  }

  get discord(): Client {
    if (!this.client) throw new Error('app not started');
    return this.client;
  }

  get services(): AppServices {
    if (!this.appServices) throw new Error('app not started');
    return this.appServices;
  }

  /** The scheduler, pause, stats and slash commands. */
  get chatOps(): ChatOps {
    if (!this.chatOpsPart) throw new Error('app not started');
    return this.chatOpsPart;
  }

  get scheduler(): ChatOps['scheduler'] {
    return this.chatOps.scheduler;
  }

  async start(): Promise<void> {
    const { config, logger } = this.options;
    const { dataSource, applied } = await openDatabase(config.storage.databasePath);
    this.dataSource = dataSource;
    this.repositories = createRepositories(dataSource);
    logger.info('database ready', { path: config.storage.databasePath, migrationsApplied: applied });

    this.client = createDiscordClient({ token: config.discord.token, apiBase: config.discord.apiBase, logger });
    this.appServices = this.buildServices(this.repositories, this.client);
    // Listening before login, so no click that arrives right after READY is missed.
    this.router = this.buildInteractionRouter(this.appServices.moderation);
    this.router.attach(this.client);
    this.chatOpsPart = new ChatOps({
      config,
      logger,
      clock: this.clock,
      rng: this.rng,
      repos: this.repositories,
      dataSource,
      client: this.client,
      services: this.appServices,
      armSchedulerTimers: this.options.armSchedulerTimers ?? true,
    });
    this.chatOpsPart.attach();
    await connectDiscord(this.client, config.discord.token);
    logger.info('ready', {
      user: this.client.user?.tag,
      guildId: config.discord.guildId,
      dryRun: config.posting.dryRun,
    });
    await this.resumeModeration(this.appServices, this.client);
    await this.chatOpsPart.start();
  }

  /** Claude generator -> pipeline; X publisher -> publishing; both -> moderation, which posts cards to Discord. */
  private buildServices(repos: Repositories, client: Client): AppServices {
    const pipeline = this.buildPipeline(repos);
    // Publishing reports to moderation (card updates) and moderation publishes: the observer breaks the cycle.
    let moderation: ModerationService | undefined;
    const publishing = this.buildPublishing(repos, {
      onPublished: (draft) => moderation?.publishingObserver.onPublished(draft),
      onQueued: (draft) => moderation?.publishingObserver.onQueued(draft),
      onFailed: (draft, alert) => moderation?.publishingObserver.onFailed(draft, alert),
    });
    const deadlines: DeadlineTimer = new DeadlineTimer({
      clock: this.clock,
      // While /pause holds publishing on timeout, overdue drafts wait: no deadline to chase.
      nextDeadline: async () => ((await this.chatOpsPart?.scheduler.sweepOnHold()) ? null : repos.drafts.nextDeadline()),
      // Through the scheduler's sweep, which applies the pause and joins a sweep already running.
      run: () => this.chatOpsPart?.scheduler.sweepOverdue() ?? moderation?.handleOverdueDrafts() ?? Promise.resolve(),
      logger: this.options.logger.child({ component: 'deadlines' }),
    });
    moderation = this.buildModeration(repos, pipeline, publishing, client, () => void deadlines.reschedule());
    return { pipeline, publishing, moderation, deadlines };
  }

  private buildPipeline(repos: Repositories): DraftPipelineService {
    const { config, logger } = this.options;
    const generator = new ClaudeDraftGenerator({
      apiKey: config.anthropic.apiKey,
      model: config.anthropic.model,
      baseUrl: config.anthropic.baseUrl,
      maxRetries: config.anthropic.maxRetries,
      timeoutMs: config.anthropic.timeoutMs,
      maxHashtags: config.content.maxHashtags,
      allowedLinkDomains: config.content.allowedLinkDomains,
      logger: logger.child({ component: 'claude' }),
    });
    return new DraftPipelineService({
      ...repos,
      generator,
      clock: this.clock,
      rng: this.rng,
      logger: logger.child({ component: 'pipeline' }),
      options: {
        rules: {
          maxHashtags: config.content.maxHashtags,
          allowedLinkDomains: config.content.allowedLinkDomains,
          bannedPatterns: config.content.bannedPatterns,
        },
        duplicateThreshold: config.content.duplicateThreshold,
        maxAttempts: config.content.generationAttempts,
        moderationTimeoutMs: config.posting.moderationTimeoutMs,
        maxPendingDrafts: config.posting.maxPendingDrafts,
      },
    });
  }

  /** In dry run there is no X client at all, so nothing can reach X. */
  private buildPublishing(repos: Repositories, observer: PublishingObserver): PublishingService {
    const { config, logger } = this.options;
    const credentials = config.twitter.credentials;
    return new PublishingService({
      ...repos,
      publisher:
        config.posting.dryRun || !credentials
          ? null
          : XPublisher.fromCredentials(credentials, { apiBase: config.twitter.apiBase, timeoutMs: config.twitter.timeoutMs, clock: this.clock }),
      clock: this.clock,
      rng: this.rng,
      logger: logger.child({ component: 'publishing' }),
      config: {
        dryRun: config.posting.dryRun,
        maxPostsPerHour: config.posting.maxPostsPerHour,
        maxPostsPerDay: config.posting.maxPostsPerDay,
        costPerPostUsd: config.twitter.costPerPostUsd,
        costPerPostWithUrlUsd: config.twitter.costPerPostWithUrlUsd,
      },
      observer,
    });
  }

  private buildModeration(
    repos: Repositories,
    pipeline: DraftPipelineService,
    publishing: PublishingService,
    client: Client,
    onDeadlineChanged: () => void,
  ): ModerationService {
    const { config, logger } = this.options;
    return new ModerationService({
      ...repos,
      pipeline,
      publisher: publishing,
      cards: new DiscordDraftCards(client, config.discord.moderationChannelId),
      clock: this.clock,
      logger: logger.child({ component: 'moderation' }),
      options: {
        timeoutAction: config.posting.timeoutAction,
        requireSecondApproval: config.posting.requireSecondApproval,
        dryRun: config.posting.dryRun,
        caps: { maxPerHour: config.posting.maxPostsPerHour, maxPerDay: config.posting.maxPostsPerDay },
      },
      onDeadlineChanged,
    });
  }

  private buildInteractionRouter(moderation: ModerationService): InteractionRouter {
    const { config, logger } = this.options;
    const handlers = createModerationHandlers({ moderation, policy: { moderatorRoleId: config.discord.moderatorRoleId } });
    return new InteractionRouter(handlers, logger.child({ component: 'interactions' }));
  }

  /**
   * Once Discord is ready: settle publications a crash left behind, post cards that never made
   * it, handle every overdue deadline at once and arm the timer for the rest. A gateway resume
   * re-runs the deadline check, so an outage delays nothing further.
   */
  private async resumeModeration(services: AppServices, client: Client): Promise<void> {
    await services.publishing.reconcileOnStartup();
    await services.moderation.postMissingCards();
    await services.deadlines.start();
    const recheck = () => void services.deadlines.runNow();
    client.on(Events.ShardResume, recheck);
    client.on(Events.ShardReady, recheck);
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.options;
    logger.info('shutting down');
    await this.chatOpsPart?.stop();
    await this.appServices?.deadlines.stop();
    if (this.client && this.router) {
      this.router.detach(this.client);
      await this.router.drain(INTERACTION_DRAIN_MS);
    }
    if (this.client) await this.client.destroy();
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    logger.info('stopped');
  }
}
