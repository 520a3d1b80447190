import type { Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { commands } from '../commands/index.js';
import type { StatsChartInput } from './adapters/chart/stats-chart.js';
import type { CommandContext, SlashCommand } from './adapters/discord/command-context.js';
import { CommandRouter, registerGuildCommands } from './adapters/discord/command-router.js';
import { DiscordPauseAnnouncer } from './adapters/discord/pause-announcer.js';
import type { AppConfig } from './config/index.js';
import { readAppVersion } from './config/version.js';
import type { Repositories } from './db/index.js';
import { TypeOrmStatsRepository } from './db/repositories/stats.repository.js';
import type { Logger } from './logging/index.js';
import { PostingScheduler } from './scheduler/posting-scheduler.js';
import type { DraftPipelineService } from './services/draft-pipeline.js';
import { EngagementService } from './services/engagement-service.js';
import type { ModerationService } from './services/moderation-service.js';
import { PauseService } from './services/pause-service.js';
import type { BackupService } from './services/backup-service.js';
import type { Clock, TweetPublisher } from './services/ports.js';
import type { PublishingService } from './services/publishing-service.js';
import { StatsService } from './services/stats-service.js';

/** Bound on waiting for slash commands still running at shutdown (a /draft generating). */
const COMMAND_DRAIN_MS = 5_000;

export interface ChatOpsDeps {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly rng: () => number;
  readonly repos: Repositories;
  readonly dataSource: DataSource;
  readonly client: Client;
  readonly services: {
    readonly pipeline: DraftPipelineService;
    readonly publishing: PublishingService;
    readonly moderation: ModerationService;
    /** Woken after /resume so overdue drafts held by the pause are handled at once. */
    readonly deadlines?: { runNow(): Promise<void> } | undefined;
  };
  /** The one X client (null in dry run), shared with publishing. */
  readonly publisher: TweetPublisher | null;
  /** Online backups (better-sqlite3's backup API) into data/backups. */
  readonly backups: BackupService;
  /** False in tests driven by a manual clock: they run the jobs with `scheduler.runDue()`. */
  readonly armSchedulerTimers: boolean;
  /** The command list; defaults to commands/index.ts. */
  readonly commands?: readonly SlashCommand[] | undefined;
}

/**
 * Chat-ops: the posting scheduler, pause state, stats, and the slash commands that steer them,
 * built over the services app.ts already has. `attach()` before login (no command is missed),
 * `start()` once the gateway is ready (register the commands, plan the jobs), `stop()` first at
 * shutdown.
 */
export class ChatOps {
  readonly scheduler: PostingScheduler;
  readonly pause: PauseService;
  readonly stats: StatsService;
  readonly engagement: EngagementService;
  readonly router: CommandRouter;
  readonly context: CommandContext;
  private readonly commands: readonly SlashCommand[];
  private detach: (() => void) | undefined;

  constructor(private readonly deps: ChatOpsDeps) {
    const { config, logger, clock, rng, repos, client, services } = deps;
    this.commands = deps.commands ?? commands;
    this.pause = new PauseService({
      settings: repos.settings,
      moderationEvents: repos.moderationEvents,
      clock,
      logger,
      announcer: new DiscordPauseAnnouncer(client, config.discord.moderationChannelId, clock),
      // What the pause held goes now: overdue drafts, and the publish queue without waiting for its tick.
      onResumed: () => {
        void services.deadlines?.runNow();
        void this.scheduler.runPublishQueueNow();
      },
    });
    this.engagement = new EngagementService({
      posts: repos.posts,
      topics: repos.topics,
      settings: repos.settings,
      // Null in dry run: there is nothing at X to measure and no X client exists.
      publisher: deps.publisher,
      clock,
      logger: logger.child({ component: 'engagement' }),
      config: { engagementWindowDays: config.posting.engagementWindowDays },
    });
    this.scheduler = new PostingScheduler({
      clock,
      rng,
      logger,
      settings: repos.settings,
      drafts: repos.drafts,
      posts: repos.posts,
      pause: this.pause,
      config: {
        schedule: config.posting.schedule,
        timezone: config.posting.timezone,
        jitterMs: config.posting.jitterMs,
        activeHours: config.posting.activeHours,
        maxPendingDrafts: config.posting.maxPendingDrafts,
        maxPostsPerHour: config.posting.maxPostsPerHour,
        maxPostsPerDay: config.posting.maxPostsPerDay,
        timeoutAction: config.posting.timeoutAction,
        engagementSchedule: config.posting.engagementSchedule,
        backupSchedule: config.storage.backupSchedule,
      },
      generateDraft: (trigger) => services.moderation.generateAndPostDraft({ trigger }),
      sweepOverdue: (held) => services.moderation.handleOverdueDrafts({ held }),
      processPublishQueue: (held) => services.publishing.processDueDrafts(undefined, { held }),
      reconcileCards: () => services.moderation.reconcileCards(),
      refreshEngagement: () => this.engagement.refresh(),
      takeBackup: () => deps.backups.takeBackup(),
      armTimers: deps.armSchedulerTimers,
    });
    this.stats = new StatsService({
      stats: new TypeOrmStatsRepository(deps.dataSource),
      topics: repos.topics,
      clock,
      pricing: config.anthropic.pricing,
      timezone: config.posting.timezone,
    });
    this.context = {
      config,
      clock,
      logger,
      version: readAppVersion(),
      startedAt: clock.now(),
      drafts: repos.drafts,
      posts: repos.posts,
      topics: repos.topics,
      audit: repos.moderationEvents,
      pause: this.pause,
      scheduler: this.scheduler,
      topicsWithContext: () => services.pipeline.topicsWithContext(),
      generateDraft: (topicName) => services.moderation.generateAndPostDraft({ trigger: 'command', topicName }),
      stats: this.stats,
      renderStatsChart: renderStatsChartLazily,
      rateLimitStatus: () => services.publishing.rateLimitStatus(),
      takeBackup: () => deps.backups.takeBackup(),
    };
    this.router = new CommandRouter(this.commands, this.context, logger);
  }

  /** Starts listening for slash commands and autocomplete. */
  attach(): void {
    this.detach ??= this.router.attach(this.deps.client);
  }

  /** Once ready: bulk-overwrites the guild's commands, then plans and arms the jobs. */
  async start(): Promise<void> {
    const { client, config, logger } = this.deps;
    const applicationId = client.application?.id;
    if (!applicationId) throw new Error('Discord client has no application id: start() must run after READY');
    const registered = await registerGuildCommands(client.rest, applicationId, config.discord.guildId, this.commands);
    logger.info('slash commands registered', { guildId: config.discord.guildId, commands: registered.map((c) => c.name) });
    await this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    await this.router.drain(COMMAND_DRAIN_MS);
    await this.scheduler.stop();
  }
}

/**
 * chart.js and the native canvas cost about 20 MB of memory once loaded; most processes never
 * draw a chart between restarts, so they load on the first /stats instead of at start-up.
 */
async function renderStatsChartLazily(input: StatsChartInput): Promise<Buffer> {
  const { renderStatsChart } = await import('./adapters/chart/stats-chart.js');
  return renderStatsChart(input);
}
