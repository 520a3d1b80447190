import { Events, type Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { dirname, join } from 'node:path';
import { commands } from '../commands/index.js';
import type { StatsChartInput } from './adapters/chart/stats-chart.js';
import { createClaudeDraftGenerator } from './adapters/claude/claude-draft-generator.js';
import type { CommandContext } from './adapters/discord/command-context.js';
import { CommandRouter, registerGuildCommands } from './adapters/discord/command-router.js';
import { connectDiscord, createDiscordClient } from './adapters/discord/discord-client.js';
import { DiscordDraftCards } from './adapters/discord/discord-draft-cards.js';
import { meterInteractionAcks } from './adapters/discord/interaction-ack-meter.js';
import { GuildGuard } from './adapters/discord/guild-guard.js';
import { InteractionRouter } from './adapters/discord/interaction-router.js';
import { createModerationHandlers } from './adapters/discord/moderation-handlers.js';
import { DiscordPauseAnnouncer } from './adapters/discord/pause-announcer.js';
import { HealthServer } from './adapters/http/health-server.js';
import { PrometheusMetrics } from './adapters/http/prometheus-metrics.js';
import { XPublisher } from './adapters/twitter/x-publisher.js';
import type { AppConfig } from './config/index.js';
import { readAppVersion } from './config/version.js';
import { createRepositories, openDatabase, type Repositories } from './db/index.js';
import { TypeOrmStatsRepository } from './db/repositories/stats.repository.js';
import { backupSqliteDatabase } from './db/sqlite-backup.js';
import type { Draft } from './domain/draft.js';
import type { Logger } from './logging/index.js';
import {
  CARD_RECONCILE_SCHEDULE,
  JOB_NAMES,
  PostingScheduler,
  PUBLISH_QUEUE_SCHEDULE,
  summarise,
  SWEEP_SCHEDULE,
  type JobDefinition,
} from './scheduler/posting-scheduler.js';
import type { JobRunResult } from './scheduler/scheduled-job.js';
import { BackupService } from './services/backup-service.js';
import { contentPolicyFrom } from './services/content-generation.js';
import { DeadlineTimer } from './services/deadline-timer.js';
import { DraftPipelineService } from './services/draft-pipeline.js';
import { EngagementService } from './services/engagement-service.js';
import { GenerationHealth } from './services/generation-health.js';
import { ModerationService, type OverdueSweep } from './services/moderation-service.js';
import { PauseService } from './services/pause-service.js';
import { systemClock, systemMonotonicClock, type Clock, type MonotonicClock, type PublishingObserver, type TweetPublisher } from './services/ports.js';
import { PublishingService } from './services/publishing-service.js';
import { SETTINGS } from './services/settings-keys.js';
import { StatsService } from './services/stats-service.js';

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
/** Bound on waiting for slash commands still running at shutdown (a /draft generating). */
const COMMAND_DRAIN_MS = 5_000;

/** The services the bot is made of; tests reach them through `app.services`. */
export interface AppServices {
  readonly pipeline: DraftPipelineService;
  readonly publishing: PublishingService;
  readonly moderation: ModerationService;
  readonly deadlines: DeadlineTimer;
}

/**
 * Everything `start()` builds, in build order. Building does no I/O beyond opening the
 * database (which comes first) and the background Claude key check: connecting, registering
 * and arming happen in `start()`, in its order.
 */
interface AppParts {
  readonly store: Store;
  readonly generationHealth: GenerationHealth;
  /** The start-up key check, running in the background; awaited at shutdown. */
  readonly anthropicCheck: Promise<void>;
  readonly client: Client;
  readonly services: AppServices;
  readonly pause: PauseService;
  readonly metrics: PrometheusMetrics;
  readonly scheduler: PostingScheduler;
  readonly interactions: InteractionRouter;
  readonly commandContext: CommandContext;
  readonly commands: CommandRouter;
  readonly health: HealthServer;
}

/** What every build step reads: the options with their defaults applied. */
interface BuildContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly monotonic: MonotonicClock;
  readonly rng: () => number;
  readonly armSchedulerTimers: boolean;
}

interface Store {
  readonly dataSource: DataSource;
  readonly repos: Repositories;
}

/**
 * The running bot: every part built here with plain constructor injection, started in order
 * (database and migrations first, then X, then Discord) and stopped in reverse.
 */
export class DraftgateApp {
  /** Kept apart from the parts: a build that throws must still close the database. */
  private store: Store | undefined;
  private parts: AppParts | undefined;
  private stopMeteringAcks: (() => void) | undefined;
  private detachCommands: (() => void) | undefined;
  private stopping: Promise<void> | undefined;
  /** The port /healthz and /metrics listen on, once started (HEALTH_PORT=0 picks one). */
  healthPort: number | undefined;
  readonly clock: Clock;
  private readonly context: BuildContext;

  constructor(options: AppOptions) {
    this.clock = options.clock ?? systemClock;
    this.context = {
      config: options.config,
      logger: options.logger,
      clock: this.clock,
      monotonic: options.monotonicClock ?? systemMonotonicClock,
      rng: options.rng ?? Math.random,
      armSchedulerTimers: options.armSchedulerTimers ?? true,
    };
  }

  private get started(): AppParts {
    if (!this.parts) throw new Error('app not started');
    return this.parts;
  }

  get repos(): Repositories {
    return this.started.store.repos;
  }

  get discord(): Client {
    return this.started.client;
  }

  get services(): AppServices {
    return this.started.services;
  }

  get scheduler(): PostingScheduler {
    return this.started.scheduler;
  }

  /** What the slash commands are handed. */
  get commandContext(): CommandContext {
    return this.started.commandContext;
  }

  /** Prometheus metrics; counters live for the process, gauges read the database on scrape. */
  get metrics(): PrometheusMetrics {
    return this.started.metrics;
  }

  /**
   * Starts in dependency order: the database (migrations first), X (credentials checked before
   * anything is posted), Discord, then the work that needs all three: publications a crash
   * left behind, missing cards, overdue deadlines, slash commands and the scheduler. Health and
   * metrics come up last, so /healthz turns green only when everything is running.
   */
  async start(): Promise<void> {
    const { config, logger } = this.context;
    this.store = await openStore(this.context);
    const parts = buildApp(this.context, this.store);
    this.parts = parts;
    const { client, services } = parts;
    // A bad X credential stops the bot here, before it connects anywhere or decides anything.
    await services.publishing.checkConnection();

    // Listening before login, so no click or command that arrives right after READY is missed;
    // the meter first, so it sees every interaction arrive before a handler runs.
    this.stopMeteringAcks = meterInteractionAcks(client, (kind, seconds) => parts.metrics.recordInteractionAck(kind, seconds));
    parts.interactions.attach(client);
    this.detachCommands = parts.commands.attach(client);
    await connectDiscord(client, config.discord.token);
    logger.info('ready', { user: client.user?.tag, guildId: config.discord.guildId, dryRun: config.posting.dryRun });
    await this.resumeModeration(parts);
    await this.registerCommands(client);
    await parts.scheduler.start();
    this.healthPort = await parts.health.start();
  }

  /**
   * Once Discord is ready: settle publications a crash left behind, post cards that never made
   * it, handle every overdue deadline at once and arm the timer for the rest. A gateway resume
   * re-runs the deadline check, so an outage delays nothing further.
   */
  private async resumeModeration({ services, pause, client }: AppParts): Promise<void> {
    // Reconciling may POST the rest of an interrupted publication: under /pause it waits for
    // /resume, when the publish queue takes the expired lease over.
    if (await pause.current()) this.context.logger.warn('posting is paused: publications a crash interrupted, if any, wait for /resume');
    else await services.publishing.reconcileOnStartup();
    // Cards that never made it are posted, and cards that fell behind their draft re-rendered.
    await services.moderation.reconcileCards();
    await services.deadlines.start();
    const recheck = () => void services.deadlines.runNow();
    client.on(Events.ShardResume, recheck);
    client.on(Events.ShardReady, recheck);
  }

  /** Once READY: bulk-overwrites the guild's slash commands. */
  private async registerCommands(client: Client): Promise<void> {
    const { config, logger } = this.context;
    const applicationId = client.application?.id;
    if (!applicationId) throw new Error('Discord client has no application id: start() must run after READY');
    const registered = await registerGuildCommands(client.rest, applicationId, config.discord.guildId, commands);
    logger.info('slash commands registered', { guildId: config.discord.guildId, commands: registered.map((c) => c.name) });
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { logger } = this.context;
    logger.info('shutting down');
    const parts = this.parts;
    if (parts) {
      this.detachCommands?.();
      await parts.commands.drain(COMMAND_DRAIN_MS);
      await parts.scheduler.stop();
      await parts.services.deadlines.stop();
      parts.interactions.detach(parts.client);
      await parts.interactions.drain(INTERACTION_DRAIN_MS);
      this.stopMeteringAcks?.();
      await parts.client.destroy();
      await parts.health.stop();
      await parts.anthropicCheck;
    }
    if (this.store?.dataSource.isInitialized) await this.store.dataSource.destroy();
    logger.info('stopped');
  }
}

/** The database, migrated, and the repositories over it. */
async function openStore({ config, logger }: BuildContext): Promise<Store> {
  const { dataSource, applied } = await openDatabase(config.storage.databasePath);
  logger.info('database ready', { path: config.storage.databasePath, migrationsApplied: applied });
  return { dataSource, repos: createRepositories(dataSource, logger) };
}

/**
 * Builds every part over an open store, each step from what the steps before it returned.
 * Three cycles are real, and each is broken by a small relay built first and connected once
 * its listener exists: publishing reports to moderation, which publishes; moderation moves
 * deadlines, which the deadline timer (running moderation's sweep) follows; and /resume wakes
 * the deadline timer and the publish queue, which read the pause.
 */
function buildApp(ctx: BuildContext, store: Store): AppParts {
  const { config, logger } = ctx;
  const generationHealth = new GenerationHealth({ logger: logger.child({ component: 'claude' }), model: config.anthropic.model });
  const publisher = buildXPublisher(ctx);
  const client = createDiscordClient({ token: config.discord.token, apiBase: config.discord.apiBase, logger });

  const publishEvents = new PublishingRelay();
  const deadlineChanged = new Signal();
  const resumed = new Signal();
  const { pipeline, anthropicCheck } = buildPipeline(ctx, store.repos, generationHealth);
  const publishing = buildPublishing(ctx, store.repos, publisher, publishEvents);
  const pause = buildPause(ctx, store.repos, client, resumed);
  const moderation = buildModeration(ctx, store.repos, { pipeline, publishing, pause }, client, deadlineChanged);
  const metrics = buildMetrics(store.repos, moderation, generationHealth);
  publishEvents.connect(metricsObserver(metrics), moderation.publishingObserver);

  const engagement = buildEngagement(ctx, store.repos, publisher);
  const backups = buildBackups(ctx, store.dataSource);
  const scheduler = buildScheduler(ctx, store.repos, pause, { moderation, publishing, engagement, backups });
  const deadlines = new DeadlineTimer({
    clock: ctx.clock,
    // While /pause holds publishing on timeout, overdue drafts wait: no deadline to chase.
    nextDeadline: async () => ((await moderation.sweepOnHold()) ? null : store.repos.drafts.nextDeadline()),
    // The same sweep as the sweep job: it applies the pause and joins a sweep already running.
    run: () => moderation.sweepOverdue(),
    logger: logger.child({ component: 'deadlines' }),
  });
  deadlineChanged.connect(() => void deadlines.reschedule());
  // What the pause held goes now: overdue drafts, and the publish queue without waiting for its tick.
  resumed.connect(() => {
    void deadlines.runNow();
    void scheduler.runNow(JOB_NAMES.publishQueue);
  });

  const services: AppServices = { pipeline, publishing, moderation, deadlines };
  const interactions = buildInteractionRouter(ctx, moderation);
  const commandContext = buildCommandContext(ctx, store, { services, pause, scheduler, backups });
  const commandRouter = new CommandRouter(commands, commandContext, logger);
  const health = buildHealthServer(ctx, { store, client, scheduler, moderation, generationHealth, metrics });
  return {
    store,
    generationHealth,
    anthropicCheck,
    client,
    services,
    pause,
    metrics,
    scheduler,
    interactions,
    commandContext,
    commands: commandRouter,
    health,
  };
}

/** The one X client, shared by publishing and the engagement refresh. In dry run there is none, so nothing can reach X. */
function buildXPublisher({ config, clock }: BuildContext): TweetPublisher | null {
  const credentials = config.twitter.credentials;
  if (config.posting.dryRun || !credentials) return null;
  return XPublisher.fromCredentials(credentials, { apiBase: config.twitter.apiBase, timeoutMs: config.twitter.timeoutMs, clock });
}

/** The Claude generator behind the pipeline, observed for /healthz. */
function buildPipeline(
  { config, logger, clock, rng }: BuildContext,
  repos: Repositories,
  generationHealth: GenerationHealth,
): { pipeline: DraftPipelineService; anthropicCheck: Promise<void> } {
  const generator = createClaudeDraftGenerator(config, logger.child({ component: 'claude' }));
  // A dead key must show in /healthz before the first generation: check it now, in the
  // background, since the bot can moderate and publish without Claude.
  const anthropicCheck = generationHealth.checkAtStart(() => generator.checkAccess());
  const pipeline = new DraftPipelineService({
    ...repos,
    generator: generationHealth.observe(generator),
    clock,
    rng,
    logger: logger.child({ component: 'pipeline' }),
    options: {
      ...contentPolicyFrom(config.content),
      moderationTimeoutMs: config.posting.moderationTimeoutMs,
      maxPendingDrafts: config.posting.maxPendingDrafts,
    },
  });
  return { pipeline, anthropicCheck };
}

function buildPublishing(
  { config, logger, clock, monotonic, rng }: BuildContext,
  repos: Repositories,
  publisher: TweetPublisher | null,
  observer: PublishingObserver,
): PublishingService {
  return new PublishingService({
    ...repos,
    publisher,
    clock,
    monotonic,
    rng,
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

/** /pause and /resume, announced in the moderation channel. */
function buildPause({ config, logger, clock }: BuildContext, repos: Repositories, client: Client, resumed: Signal): PauseService {
  return new PauseService({
    settings: repos.settings,
    moderationEvents: repos.moderationEvents,
    clock,
    logger,
    announcer: new DiscordPauseAnnouncer(client, config.discord.moderationChannelId, clock),
    onResumed: () => resumed.emit(),
  });
}

/** Moderation drives the pipeline and publishing, and posts its cards to Discord. */
function buildModeration(
  { config, logger, clock }: BuildContext,
  repos: Repositories,
  { pipeline, publishing, pause }: { pipeline: DraftPipelineService; publishing: PublishingService; pause: PauseService },
  client: Client,
  deadlineChanged: Signal,
): ModerationService {
  return new ModerationService({
    ...repos,
    pipeline,
    publisher: publishing,
    pause,
    cards: new DiscordDraftCards(client, config.discord.moderationChannelId),
    clock,
    logger: logger.child({ component: 'moderation' }),
    options: {
      timeoutAction: config.posting.timeoutAction,
      moderationTimeoutMs: config.posting.moderationTimeoutMs,
      requireSecondApproval: config.posting.requireSecondApproval,
      dryRun: config.posting.dryRun,
      caps: { maxPerHour: config.posting.maxPostsPerHour, maxPerDay: config.posting.maxPostsPerDay },
    },
    onDeadlineChanged: () => deadlineChanged.emit(),
  });
}

function buildMetrics(repos: Repositories, moderation: ModerationService, generationHealth: GenerationHealth): PrometheusMetrics {
  return new PrometheusMetrics({
    draftCounts: () => repos.drafts.countByStatus(),
    tokenTotals: () => repos.generationRuns.tokenTotals(),
    xRateState: () => repos.settings.get(SETTINGS.xRateLimit.post),
    cardHealth: async () => {
      const health = await moderation.cardHealth();
      return { unposted: health.unposted.count, outOfDate: health.outOfDate };
    },
    generationHealth: () => generationHealth.metrics(),
  });
}

/** Publication counters, told before moderation updates the card. */
function metricsObserver(metrics: PrometheusMetrics): PublishingObserver {
  return {
    onPublished: (draft) => metrics.recordPublish(draft.dryRun),
    onQueued: (draft) => {
      // A wait after an error from X (429, 5xx, timeout) is a failure of that attempt.
      if (draft.errorClass) metrics.recordFailure(draft.errorClass);
    },
    onFailed: (draft) => metrics.recordFailure(draft.errorClass ?? 'unknown'),
  };
}

function buildEngagement({ config, logger, clock }: BuildContext, repos: Repositories, publisher: TweetPublisher | null): EngagementService {
  return new EngagementService({
    posts: repos.posts,
    topics: repos.topics,
    settings: repos.settings,
    // Null in dry run: there is nothing at X to measure and no X client exists.
    publisher,
    clock,
    logger: logger.child({ component: 'engagement' }),
    config: { engagementWindowDays: config.posting.engagementWindowDays },
  });
}

function buildBackups({ config, logger, clock }: BuildContext, dataSource: DataSource): BackupService {
  return new BackupService({
    dir: join(dirname(config.storage.databasePath), 'backups'),
    keep: config.storage.backupKeep,
    backupTo: (destination) => backupSqliteDatabase(dataSource, destination),
    clock,
    logger: logger.child({ component: 'backup' }),
  });
}

/** The post job, and the other jobs as data: what each runs, how often, and whether /pause holds it. */
function buildScheduler(
  { config, logger, clock, rng, armSchedulerTimers }: BuildContext,
  repos: Repositories,
  pause: PauseService,
  parts: { moderation: ModerationService; publishing: PublishingService; engagement: EngagementService; backups: BackupService },
): PostingScheduler {
  return new PostingScheduler({
    clock,
    rng,
    logger,
    // Job states are bot-wide rows (account NULL; migration Accounts put the existing ones there).
    settings: repos.botSettings,
    drafts: repos.drafts,
    posts: repos.posts,
    pause,
    config: {
      schedule: config.posting.schedule,
      timezone: config.posting.timezone,
      jitterMs: config.posting.jitterMs,
      activeHours: config.posting.activeHours,
      maxPendingDrafts: config.posting.maxPendingDrafts,
      maxPostsPerHour: config.posting.maxPostsPerHour,
      maxPostsPerDay: config.posting.maxPostsPerDay,
    },
    generateDraft: (trigger) => parts.moderation.generateAndPostDraft({ trigger }),
    jobs: buildJobs(config, { ...parts, pause }),
    armTimers: armSchedulerTimers,
  });
}

/** The jobs besides the post job, in the order they run when several are due. */
function buildJobs(
  config: AppConfig,
  {
    moderation,
    publishing,
    engagement,
    backups,
    pause,
  }: { moderation: ModerationService; publishing: PublishingService; engagement: EngagementService; backups: BackupService; pause: PauseService },
): JobDefinition[] {
  const paused = async () => (await pause.current()) !== null;
  const jobs: JobDefinition[] = [
    // The deadline sweep applies the pause itself (it may still expire drafts while paused).
    { name: JOB_NAMES.timeoutSweep, pattern: SWEEP_SCHEDULE, quiet: true, run: async () => sweepJobResult(await moderation.sweepOverdue()) },
    {
      name: JOB_NAMES.publishQueue,
      pattern: PUBLISH_QUEUE_SCHEDULE,
      quiet: true,
      // /pause promises that nothing the bot decides on its own goes to X: drafts approved on
      // timeout or queued by a cap, X's limits or a retry backoff stay approved and wait, and so
      // does a publication a crash interrupted (taking it over could POST). An explicit Approve
      // or Retry by a moderator still publishes at once (moderation calls the publishing service
      // directly); if a cap queues it, it waits here too.
      heldWhilePaused: 'posting is paused: the publish queue waits for /resume',
      // Asked again before each draft: a /pause that lands during a long run stops it there.
      run: async () => summarise(await publishing.processDueDrafts(undefined, { held: paused })),
    },
    { name: JOB_NAMES.engagement, pattern: config.posting.engagementSchedule, run: async () => summarise(await engagement.refresh()) },
    // Not held by /pause: showing the truth on a card publishes nothing.
    { name: JOB_NAMES.cards, pattern: CARD_RECONCILE_SCHEDULE, quiet: true, run: async () => summarise(await moderation.reconcileCards()) },
  ];
  if (config.storage.backupSchedule) {
    jobs.push({
      name: JOB_NAMES.backup,
      pattern: config.storage.backupSchedule,
      run: async () => {
        const result = await backups.takeBackup();
        return { outcome: 'ok', reason: null, detail: { path: result.path, bytes: result.bytes } };
      },
    });
  }
  return jobs;
}

/** A held sweep is a skipped run, so the job's record and /status say why nothing happened. */
function sweepJobResult(sweep: OverdueSweep): JobRunResult {
  if (sweep.status === 'held') return { outcome: 'skipped', reason: sweep.reason, detail: { code: 'paused' } };
  return summarise(sweep.outcomes);
}

function buildInteractionRouter({ config, logger }: BuildContext, moderation: ModerationService): InteractionRouter {
  const log = logger.child({ component: 'interactions' });
  const handlers = createModerationHandlers({ moderation, policy: { moderatorRoleId: config.discord.moderatorRoleId }, logger: log });
  return new InteractionRouter(handlers, log, new GuildGuard(config.discord.guildId, log));
}

/** Everything a slash command may use. */
function buildCommandContext(
  { config, logger, clock }: BuildContext,
  { dataSource, repos }: Store,
  parts: { services: AppServices; pause: PauseService; scheduler: PostingScheduler; backups: BackupService },
): CommandContext {
  const { services, pause, scheduler, backups } = parts;
  return {
    config,
    clock,
    logger,
    version: readAppVersion(),
    startedAt: clock.now(),
    drafts: repos.drafts,
    posts: repos.posts,
    topics: repos.topics,
    audit: repos.moderationEvents,
    pause,
    scheduler,
    topicsWithContext: () => services.pipeline.topicsWithContext(),
    generateDraft: (topicName) => services.moderation.generateAndPostDraft({ trigger: 'command', topicName }),
    stats: new StatsService({
      stats: new TypeOrmStatsRepository(dataSource),
      topics: repos.topics,
      clock,
      pricing: config.anthropic.pricing,
      timezone: config.posting.timezone,
    }),
    renderStatsChart: renderStatsChartLazily,
    rateLimitStatus: () => services.publishing.rateLimitStatus(),
    takeBackup: () => backups.takeBackup(),
  };
}

/**
 * chart.js and the native canvas cost about 20 MB of memory once loaded; most processes never
 * draw a chart between restarts, so they load on the first /stats instead of at start-up.
 */
async function renderStatsChartLazily(input: StatsChartInput): Promise<Buffer> {
  const { renderStatsChart } = await import('./adapters/chart/stats-chart.js');
  return renderStatsChart(input);
}

/** /healthz is green only while the database answers, the gateway is ready and the scheduler runs. */
function buildHealthServer(
  { config, logger }: BuildContext,
  parts: {
    store: Store;
    client: Client;
    scheduler: PostingScheduler;
    moderation: ModerationService;
    generationHealth: GenerationHealth;
    metrics: PrometheusMetrics;
  },
): HealthServer {
  const { store, client, scheduler, moderation, generationHealth, metrics } = parts;
  return new HealthServer({
    port: config.ops.healthPort,
    metrics,
    logger: logger.child({ component: 'health' }),
    probes: [
      {
        name: 'database',
        check: async () => {
          if (!store.dataSource.isInitialized) return { ok: false, detail: 'database is closed' };
          await store.dataSource.query('SELECT 1');
          return { ok: true };
        },
      },
      {
        name: 'discord',
        check: () => (client.isReady() ? { ok: true } : { ok: false, detail: 'Discord gateway is not ready' }),
      },
      { name: 'scheduler', check: () => scheduler.health() },
      {
        // Degraded, not down: the bot is doing the right thing (the draft waits, unseen and
        // with no deadline running, and its card is retried); the cause is Discord's, which
        // a restart does not fix. A 503 would also hide that clicks and publishing still work.
        name: 'cards',
        check: async () => {
          // A store that cannot be read is the database probe's failure; here it only makes the cards unknown.
          const health = await moderation.cardHealth().catch(() => null);
          if (health === null) return { ok: true, degraded: true, detail: 'card state unknown: the database did not answer' };
          if (health.unposted.count === 0 && health.outOfDate === 0) return { ok: true };
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
      { name: 'anthropic', check: () => generationHealth.report() },
    ],
  });
}

/**
 * An event raised by a part built before the part that reacts to it: the part built first is
 * handed `emit`, the later part is connected once it exists. Unconnected, an emit does nothing.
 */
class Signal {
  private listener: (() => void) | undefined;

  connect(listener: () => void): void {
    this.listener = listener;
  }

  emit(): void {
    this.listener?.();
  }
}

/**
 * Publishing's observer, built before the observers exist (moderation publishes through
 * publishing, so it is built after it). Forwards each event to every connected observer in
 * order, waiting for each.
 */
class PublishingRelay implements PublishingObserver {
  private observers: readonly PublishingObserver[] = [];

  connect(...observers: PublishingObserver[]): void {
    this.observers = observers;
  }

  async onPublished(draft: Draft): Promise<void> {
    for (const observer of this.observers) await observer.onPublished?.(draft);
  }

  async onQueued(draft: Draft): Promise<void> {
    for (const observer of this.observers) await observer.onQueued?.(draft);
  }

  async onFailed(draft: Draft, alert: boolean): Promise<void> {
    for (const observer of this.observers) await observer.onFailed?.(draft, alert);
  }
}
