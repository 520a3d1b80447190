import { Events, type Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { dirname, join } from 'node:path';
import { createClaudeDraftGenerator } from './adapters/claude/claude-draft-generator.js';
import { connectDiscord, createDiscordClient } from './adapters/discord/discord-client.js';
import { DiscordDraftCards } from './adapters/discord/discord-draft-cards.js';
import { meterInteractionAcks } from './adapters/discord/interaction-ack-meter.js';
import { GuildGuard } from './adapters/discord/guild-guard.js';
import { InteractionRouter } from './adapters/discord/interaction-router.js';
import { createModerationHandlers } from './adapters/discord/moderation-handlers.js';
import { HealthServer } from './adapters/http/health-server.js';
import { PrometheusMetrics } from './adapters/http/prometheus-metrics.js';
import { XPublisher } from './adapters/twitter/x-publisher.js';
import { ChatOps } from './chat-ops.js';
import type { AppConfig } from './config/index.js';
import { createRepositories, openDatabase, type Repositories } from './db/index.js';
import { backupSqliteDatabase } from './db/sqlite-backup.js';
import type { Logger } from './logging/index.js';
import { BackupService } from './services/backup-service.js';
import { contentPolicyFrom } from './services/content-generation.js';
import { DeadlineTimer } from './services/deadline-timer.js';
import { DraftPipelineService } from './services/draft-pipeline.js';
import { GenerationHealth } from './services/generation-health.js';
import { ModerationService } from './services/moderation-service.js';
import { systemClock, systemMonotonicClock, type Clock, type MonotonicClock, type TweetPublisher } from './services/ports.js';
import { PublishingService, X_RATE_LIMIT_KEYS, type PublishingObserver } from './services/publishing-service.js';

export interface AppOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Time inside the process that wall-clock steps do not move (publish leases); default performance.now(). */
  readonly monotonicClock?: MonotonicClock;
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
  private health: HealthServer | undefined;
  private stopMeteringAcks: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** Prometheus metrics; counters live for the process, gauges read the database on scrape. */
  private metricsPart: PrometheusMetrics | undefined;
  /** Whether Claude is usable: the start-up key check and the outcome of generations since. */
  private generationHealth: GenerationHealth | undefined;
  /** The start-up key check, running in the background; awaited at shutdown. */
  private anthropicCheck: Promise<void> | undefined;
  /** The port /healthz and /metrics listen on, once started (HEALTH_PORT=0 picks one). */
  healthPort: number | undefined;
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

  /**
   * Starts in dependency order: the database (migrations first), X (credentials checked before
   * anything is posted), Discord, then the work that needs all three: publications a crash
   * left behind, missing cards, overdue deadlines, slash commands and the scheduler. Health and
   * metrics come up last, so /healthz turns green only when everything is running.
   */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    const { dataSource, applied } = await openDatabase(config.storage.databasePath);
    this.dataSource = dataSource;
    const repos = createRepositories(dataSource);
    this.repositories = repos;
    logger.info('database ready', { path: config.storage.databasePath, migrationsApplied: applied });

    this.generationHealth = new GenerationHealth({ logger: logger.child({ component: 'claude' }), model: config.anthropic.model });
    const metrics = this.buildMetrics(repos);
    this.metricsPart = metrics;
    const publisher = this.buildXPublisher();
    this.client = createDiscordClient({ token: config.discord.token, apiBase: config.discord.apiBase, logger });
    const services = this.buildServices(repos, this.client, publisher, metrics);
    this.appServices = services;
    // A bad X credential stops the bot here, before it connects anywhere or decides anything.
    await services.publishing.checkConnection();

    // Listening before login, so no click or command that arrives right after READY is missed;
    // the meter first, so it sees every interaction arrive before a handler runs.
    this.stopMeteringAcks = meterInteractionAcks(this.client, (kind, seconds) => metrics.recordInteractionAck(kind, seconds));
    this.router = this.buildInteractionRouter(services.moderation);
    this.router.attach(this.client);
    this.chatOpsPart = new ChatOps({
      config,
      logger,
      clock: this.clock,
      rng: this.rng,
      repos,
      dataSource,
      client: this.client,
      services,
      publisher,
      backups: this.buildBackups(dataSource),
      armSchedulerTimers: this.options.armSchedulerTimers ?? true,
    });
    this.chatOpsPart.attach();
    await connectDiscord(this.client, config.discord.token);
    logger.info('ready', {
      user: this.client.user?.tag,
      guildId: config.discord.guildId,
      dryRun: config.posting.dryRun,
    });
    await this.resumeModeration(services, this.client);
    await this.chatOpsPart.start();
    this.health = this.buildHealthServer(metrics);
    this.healthPort = await this.health.start();
  }

  get metrics(): PrometheusMetrics {
    if (!this.metricsPart) throw new Error('app not started');
    return this.metricsPart;
  }

  /** The one X client, shared by publishing and the engagement refresh. In dry run there is none, so nothing can reach X. */
  private buildXPublisher(): TweetPublisher | null {
    const { config } = this.options;
    const credentials = config.twitter.credentials;
    if (config.posting.dryRun || !credentials) return null;
    return XPublisher.fromCredentials(credentials, { apiBase: config.twitter.apiBase, timeoutMs: config.twitter.timeoutMs, clock: this.clock });
  }

  private buildMetrics(repos: Repositories): PrometheusMetrics {
    return new PrometheusMetrics({
      draftCounts: () => repos.drafts.countByStatus(),
      tokenTotals: () => repos.generationRuns.tokenTotals(),
      xRateState: () => repos.settings.get(X_RATE_LIMIT_KEYS.post),
      cardHealth: async () => {
        const health = await this.appServices?.moderation.cardHealth();
        return { unposted: health?.unposted.count ?? 0, outOfDate: health?.outOfDate ?? 0 };
      },
      generationHealth: () => this.generationHealth?.metrics() ?? { degraded: false, consecutiveAuthFailures: 0 },
    });
  }

  private buildBackups(dataSource: DataSource): BackupService {
    const { config, logger } = this.options;
    return new BackupService({
      dir: join(dirname(config.storage.databasePath), 'backups'),
      keep: config.storage.backupKeep,
      backupTo: (destination) => backupSqliteDatabase(dataSource, destination),
      clock: this.clock,
      logger: logger.child({ component: 'backup' }),
    });
  }

  /** /healthz is green only while the database answers, the gateway is ready and the scheduler runs. */
  private buildHealthServer(metrics: PrometheusMetrics): HealthServer {
    const { config, logger } = this.options;
    return new HealthServer({
      port: config.ops.healthPort,
      metrics,
      logger: logger.child({ component: 'health' }),
      probes: [
        {
          name: 'database',
          check: async () => {
            if (!this.dataSource?.isInitialized) return { ok: false, detail: 'database is closed' };
            await this.dataSource.query('SELECT 1');
            return { ok: true };
          },
        },
        {
          name: 'discord',
          check: () => (this.client?.isReady() ? { ok: true } : { ok: false, detail: 'Discord gateway is not ready' }),
        },
        {
          name: 'scheduler',
          check: () => this.chatOpsPart?.scheduler.health() ?? { ok: false, detail: 'scheduler not started' },
        },
        {
          // Degraded, not down: the bot is doing the right thing (the draft waits, unseen and
          // with no deadline running, and its card is retried); the cause is Discord's, which
          // a restart does not fix. A 503 would also hide that clicks and publishing still work.
          name: 'cards',
          check: async () => {
            // A store that cannot be read is the database probe's failure; here it only makes the cards unknown.
            const health = await this.appServices?.moderation.cardHealth().catch(() => null);
            if (health === null) return { ok: true, degraded: true, detail: 'card state unknown: the database did not answer' };
            if (!health || (health.unposted.count === 0 && health.outOfDate === 0)) return { ok: true };
            const parts: string[] = [];
            if (health.unposted.count > 0) {
              const since = health.unposted.oldestCreatedAt !== null ? ` since ${new Date(health.unposted.oldestCreatedAt).toISOString()}` : '';
              parts.push(`${health.unposted.count} draft card(s) could not be posted${since}: ${health.unposted.lastError ?? 'unknown error'}`);
            }
            if (health.outOfDate > 0) parts.push(`${health.outOfDate} card(s) show an older state than the database`);
            return { ok: true, degraded: true, detail: parts.join('; ') };
          },
        },
        // Degraded, never failing: without Claude the bot still moderates and publishes.
        { name: 'anthropic', check: () => this.generationHealth?.report() ?? { ok: true } },
      ],
    });
  }

  /** Claude generator -> pipeline; X publisher -> publishing; both -> moderation, which posts cards to Discord. */
  private buildServices(repos: Repositories, client: Client, publisher: TweetPublisher | null, metrics: PrometheusMetrics): AppServices {
    const pipeline = this.buildPipeline(repos);
    // Publishing reports to moderation (card updates) and moderation publishes: the observer breaks the cycle.
    let moderation: ModerationService | undefined;
    const publishing = this.buildPublishing(repos, publisher, {
      onPublished: (draft) => {
        metrics.recordPublish(draft.dryRun);
        return moderation?.publishingObserver.onPublished(draft);
      },
      onQueued: (draft) => {
        // A wait after an error from X (429, 5xx, timeout) is a failure of that attempt.
        if (draft.errorClass) metrics.recordFailure(draft.errorClass);
        return moderation?.publishingObserver.onQueued(draft);
      },
      onFailed: (draft, alert) => {
        metrics.recordFailure(draft.errorClass ?? 'unknown');
        return moderation?.publishingObserver.onFailed(draft, alert);
      },
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
    const generator = createClaudeDraftGenerator(config, logger.child({ component: 'claude' }));
    // A dead key must show in /healthz before the first generation: check it now, in the
    // background, since the bot can moderate and publish without Claude.
    this.anthropicCheck = this.generationHealth?.checkAtStart(() => generator.checkAccess());
    return new DraftPipelineService({
      ...repos,
      generator: this.generationHealth?.observe(generator) ?? generator,
      clock: this.clock,
      rng: this.rng,
      logger: logger.child({ component: 'pipeline' }),
      options: {
        ...contentPolicyFrom(config.content),
        moderationTimeoutMs: config.posting.moderationTimeoutMs,
        maxPendingDrafts: config.posting.maxPendingDrafts,
      },
    });
  }

  private buildPublishing(repos: Repositories, publisher: TweetPublisher | null, observer: PublishingObserver): PublishingService {
    const { config, logger } = this.options;
    return new PublishingService({
      ...repos,
      publisher,
      clock: this.clock,
      monotonic: this.options.monotonicClock ?? systemMonotonicClock,
      rng: this.rng,
      logger: logger.child({ component: 'publishing' }),
      config: {
        dryRun: config.posting.dryRun,
        // The lease is derived from it (3 x the timeout plus a margin), so no POST outlasts it.
        requestTimeoutMs: config.twitter.timeoutMs,
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
        moderationTimeoutMs: config.posting.moderationTimeoutMs,
        requireSecondApproval: config.posting.requireSecondApproval,
        dryRun: config.posting.dryRun,
        caps: { maxPerHour: config.posting.maxPostsPerHour, maxPerDay: config.posting.maxPostsPerDay },
      },
      onDeadlineChanged,
    });
  }

  private buildInteractionRouter(moderation: ModerationService): InteractionRouter {
    const { config, logger } = this.options;
    const log = logger.child({ component: 'interactions' });
    const handlers = createModerationHandlers({ moderation, policy: { moderatorRoleId: config.discord.moderatorRoleId }, logger: log });
    return new InteractionRouter(handlers, log, new GuildGuard(config.discord.guildId, log));
  }

  /**
   * Once Discord is ready: settle publications a crash left behind, post cards that never made
   * it, handle every overdue deadline at once and arm the timer for the rest. A gateway resume
   * re-runs the deadline check, so an outage delays nothing further.
   */
  private async resumeModeration(services: AppServices, client: Client): Promise<void> {
    // Reconciling may POST the rest of an interrupted publication: under /pause it waits for
    // /resume, when the publish queue takes the expired lease over.
    if (await this.chatOps.pause.current()) this.options.logger.warn('posting is paused: publications a crash interrupted, if any, wait for /resume');
    else await services.publishing.reconcileOnStartup();
    // Cards that never made it are posted, and cards that fell behind their draft re-rendered.
    await services.moderation.reconcileCards();
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
    this.stopMeteringAcks?.();
    if (this.client) await this.client.destroy();
    await this.health?.stop();
    await this.anthropicCheck;
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
    logger.info('stopped');
  }
}
