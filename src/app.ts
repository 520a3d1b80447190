import { Events, type Client } from 'discord.js';
import type { DataSource } from 'typeorm';
import { dirname, join } from 'node:path';
import { commands } from '../commands/index.js';
import type { ApprovalChartInput, StatsChartInput } from './adapters/chart/stats-chart.js';
import { createClaudeDraftGenerator } from './adapters/claude/claude-draft-generator.js';
import { createClaudeImageDescriber } from './adapters/claude/claude-image-describer.js';
import { createClaudeAvoidNoteCondenser } from './adapters/claude/claude-avoid-notes.js';
import { HttpAttachmentDownloader } from './adapters/media/attachment-downloader.js';
import { CanvasImageDecoder } from './adapters/media/canvas-image-decoder.js';
import type { AccountCommandContext, CommandContext } from './adapters/discord/command-context.js';
import { registerGuildCommandsIfChanged } from './adapters/discord/command-registration.js';
import { DiskMediaFileStore } from './adapters/media/media-file-store.js';
import { CommandRouter } from './adapters/discord/command-router.js';
import { connectDiscord, createDiscordClient } from './adapters/discord/discord-client.js';
import { DiscordDraftCards } from './adapters/discord/discord-draft-cards.js';
import { meterInteractionAcks } from './adapters/discord/interaction-ack-meter.js';
import { GuildGuard } from './adapters/discord/guild-guard.js';
import { InteractionRouter } from './adapters/discord/interaction-router.js';
import { UserError } from './adapters/discord/user-error.js';
import { createModerationHandlers, type ModerationScope } from './adapters/discord/moderation-handlers.js';
import { DiscordPauseAnnouncer } from './adapters/discord/pause-announcer.js';
import { HealthServer, type HealthProbe } from './adapters/http/health-server.js';
import { PrometheusMetrics } from './adapters/http/prometheus-metrics.js';
import { DryRunTarget } from './adapters/dry-run/dry-run-target.js';
import { appKeyFingerprint, settingsAppLimitStore, XPublishTarget } from './adapters/twitter/x-publish-target.js';
import { XPublisher } from './adapters/twitter/x-publisher.js';
import type { AccountConfig, AppConfig } from './config/index.js';
import { readAppVersion } from './config/version.js';
import {
  createAllAccountsMedia,
  createInstanceLeaseStore,
  createRepositories,
  databaseTargetOf,
  describeDatabaseTarget,
  openDatabase,
  type Repositories,
} from './db/index.js';
import { backupSqliteDatabase, mediaHashesOfSqliteBackup } from './db/sqlite-backup.js';
import { mediaBackupOf } from './adapters/media/media-backup.js';
import { MediaSweepService } from './services/media-sweep.js';
import type { AccountId } from './domain/account.js';
import { sumCounts } from './domain/counters.js';
import type { Draft } from './domain/draft.js';
import { resumeSpacingMs, scopeHoldsGeneration, scopeHoldsPublishing } from './domain/schedule.js';
import type { Logger } from './logging/index.js';
import {
  CARD_RECONCILE_SCHEDULE,
  KEEP_AHEAD_SCHEDULE,
  JOB_NAMES,
  MEDIA_SWEEP_SCHEDULE,
  PostingScheduler,
  PUBLISH_QUEUE_SCHEDULE,
  summarise,
  SWEEP_SCHEDULE,
  VOICE_NOTES_SCHEDULE,
  type JobDefinition,
} from './scheduler/posting-scheduler.js';
import type { JobRunResult } from './scheduler/scheduled-job.js';
import { BackupService } from './services/backup-service.js';
import { ConcurrencyLimit } from './services/concurrency-limit.js';
import { contentPolicyFrom } from './services/content-generation.js';
import { DeadlineTimer } from './services/deadline-timer.js';
import { DraftPipelineService } from './services/draft-pipeline.js';
import { resetTopicLearning } from './services/topic-learning.js';
import { EngagementService } from './services/engagement-service.js';
import { GenerationHealth } from './services/generation-health.js';
import { SchedulingService } from './services/scheduling-service.js';
import { MediaService } from './services/media-service.js';
import { ModerationService, type ModerationOptions, type OverdueSweep } from './services/moderation-service.js';
import { KeepAheadService } from './services/keep-ahead.js';
import { LearnedVoiceService } from './services/learned-voice.js';
import type { LearnedVoiceSource } from './services/learning-contract.js';
import { PauseService } from './services/pause-service.js';
import {
  systemClock,
  systemMonotonicClock,
  type ApprovedDraftPublisher,
  type Clock,
  type ImageDescriber,
  type InstanceFence,
  type InstanceLeaseStatus,
  type InstanceRole,
  type InstanceTerm,
  type MediaFileStore,
  type MonotonicClock,
  type PauseStateReader,
  type PublishingObserver,
  type PublishTarget,
  type TweetPublisher,
} from './services/ports.js';
import { identityOfThisProcess, InstanceActivationError, InstanceLeaseService, publishingOwnerOf, type InstanceIdentity } from './services/instance-lease.js';
import { PublishingService, type PublishOutcome } from './services/publishing-service.js';
import { SETTINGS } from './services/settings-keys.js';
import { StatsService } from './services/stats-service.js';
import { VoiceService } from './services/voice-service.js';
import { ACCOUNT_VOICE } from './content/system-prompt.js';

export interface AppOptions {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Time inside the process that wall-clock steps do not move (publish leases); default performance.now(). */
  readonly monotonicClock?: MonotonicClock;
  readonly rng?: () => number;
  /** performance.now() once main's imports were evaluated: logged with 'database ready' (the start-up bench's split). */
  readonly importedAtMs?: number;
  /** The process's CPU time (ms) at that point, logged beside it. */
  readonly importsCpuMs?: number;
  /**
   * Whether the scheduler arms real timers (default true). Tests driven by a manual clock turn
   * them off and run due jobs with `app.scheduler.runDue()`.
   */
  readonly armSchedulerTimers?: boolean;
  /**
   * Whether the publish timer (exact wake-ups for the publish queue) arms real timers; default
   * `armSchedulerTimers`. Manual-clock tests run the queue with the publish-queue job instead.
   */
  readonly armPublishTimer?: boolean;
  /** The instance lease's collaborators; the defaults are this process's. */
  readonly instance?: InstanceOptions;
  /**
   * Becoming active failed after `start()` resolved (a standby taking over, e.g. with X
   * credentials that no longer work): the app stepped down and gave the lease up. main exits,
   * as it does when the first start fails; without it the error is only logged.
   */
  readonly onFatal?: (error: unknown) => void;
}

/** What the instance lease needs besides the configuration; tests running two apps in one process set them. */
export interface InstanceOptions {
  /** Who this instance is; default `host:pid:nonce` of this process. Two apps in one process need two. */
  readonly identity?: InstanceIdentity;
  /** Whether a process of this host is alive (a dead holder's lease is taken at once); default signal 0. */
  readonly isProcessAlive?: (pid: number) => boolean;
  /**
   * Wall and monotonic clocks of the lease. Real time by default, even when `clock` is a test's
   * manual clock: the lease is renewed by real timers, and a manual clock moved by hours would
   * make the instance think it had not renewed for hours and step down.
   */
  readonly clock?: Clock;
  readonly monotonicClock?: MonotonicClock;
  /** How often a standby reads the lease (default 1 s). */
  readonly pollEveryMs?: number;
}

/** Bound on the whole shutdown, so a container stop never turns into a SIGKILL. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;
/** Part of the shutdown budget given to clicks still being handled (e.g. an approval publishing). */
const INTERACTION_DRAIN_MS = 5_000;
/** Bound on waiting for slash commands still running at shutdown (a /draft generating). */
const COMMAND_DRAIN_MS = 5_000;
/**
 * After losing the lease, work still running can write nothing (the fence refuses it): waiting
 * for it only keeps this instance from standing by again, so the wait is short.
 */
const LOST_DRAIN_MS = 1_000;

/** One account's services, each over repositories scoped to that account. */
export interface AccountServices {
  readonly config: AccountConfig;
  readonly repos: Repositories;
  readonly pipeline: DraftPipelineService;
  readonly publishing: PublishingService;
  readonly moderation: ModerationService;
  readonly pause: PauseService;
  readonly engagement: EngagementService;
  readonly stats: StatsService;
  /** The account's publishing calendar (issue 13): its slots, /queue and the card's schedule buttons. */
  readonly scheduling: SchedulingService;
  /** Keeps `keepAhead` drafts pending or approved-and-waiting (issue 13 §3); idle with keepAhead 0. */
  readonly keepAhead: KeepAheadService;
  /** Images on the account's drafts (issue 14): "Add image" and `/draft image:`. */
  readonly media: MediaService;
  /** The account's learned block (issue 15 §2) the pipeline sends; /voice reads it and invalidates it after a change. */
  readonly learnedVoice: LearnedVoiceService;
  /** What the account learned from its moderators, as /voice shows and changes it, and the daily avoid notes (issue 15 §3). */
  readonly voice: VoiceService;
}

/**
 * The services the bot is made of; tests reach them through `app.services`. `pipeline`,
 * `publishing` and `moderation` are the first account's: the only one without ACCOUNTS_FILE.
 */
export interface AppServices {
  readonly pipeline: DraftPipelineService;
  readonly publishing: PublishingService;
  readonly moderation: ModerationService;
  readonly deadlines: DeadlineTimer;
  /** Wakes the publish queue at the earliest due time of any account (slots, caps, X's resets, backoffs, leases). */
  readonly publishTimer: DeadlineTimer<PublishOutcome[]>;
  /** Every configured account, in configuration order. */
  readonly accounts: ReadonlyMap<AccountId, AccountServices>;
  /**
   * The drafts' image files (MEDIA_DIR), shared by every account (issue 14). Each account's
   * MediaRepository is `accounts.get(id).repos.media`; the same store is `store.mediaFiles` in the builders.
   */
  readonly mediaFiles: DiskMediaFileStore;
}

/** Start-up found a configuration that cannot work (e.g. two accounts posting as one X user); main exits with 2. */
export class AccountConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountConfigurationError';
  }
}

/**
 * Everything an activation builds, in build order. Building does no I/O beyond the background
 * Claude key check: connecting, registering and arming happen in `activate()`, in its order.
 * Built afresh at every activation (a standby that took over), dropped at every step-down.
 */
interface AppParts {
  /** What they were built with: this term's fence and publishing owner. */
  readonly context: ActivationContext;
  readonly store: Store;
  readonly generationHealth: GenerationHealth;
  /** The start-up key check, running in the background; awaited at shutdown. */
  readonly anthropicCheck: Promise<void>;
  readonly client: Client;
  readonly services: AppServices;
  /** The X handle each account posts as, learned at start-up (GET /2/users/me) or kept from the accounts table. */
  readonly handles: Map<AccountId, string | null>;
  /** Accounts stored but no longer configured, filled at start once the accounts table is synced. */
  readonly inactive: AccountId[];
  readonly metrics: PrometheusMetrics;
  readonly scheduler: PostingScheduler;
  readonly interactions: InteractionRouter;
  readonly commandContext: CommandContext;
  readonly commands: CommandRouter;
  /** The probes of an active instance (Discord, scheduler, cards, Claude), beside the database's. */
  readonly probes: readonly HealthProbe[];
}

/** What every build step reads: the options with their defaults applied. */
interface BuildContext {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly monotonic: MonotonicClock;
  readonly rng: () => number;
  readonly armSchedulerTimers: boolean;
  readonly armPublishTimer: boolean;
}

/**
 * What an activation adds: the fence every decisive write is conditional on (the instance lease),
 * and the owner publications are claimed under, `${instance}#${epoch}`, so the next active
 * instance knows at once that a publication in flight belongs to a term that is over.
 */
interface ActivationContext extends BuildContext {
  readonly fence: InstanceFence;
  readonly publishingOwner: string;
  /** The lease as this instance sees it, for /status. */
  readonly instanceStatus: () => InstanceLeaseStatus;
}

interface Store {
  readonly dataSource: DataSource;
  readonly repos: Repositories;
  /** The drafts' image files (MEDIA_DIR), opened (created, proved writable) with the database. */
  readonly mediaFiles: DiskMediaFileStore;
}

/** One activation in progress or done: its parts, and what `activate()` attached to its client. */
interface Activation {
  readonly parts: AppParts;
  stopMeteringAcks?: () => void;
  detachCommands?: () => void;
  /** Set once everything runs: the instance is active and ready. */
  ready: boolean;
}

/** The lease was lost while the instance was still becoming active: the activation stops where it is. */
class LeaseLostDuringActivation extends Error {
  constructor() {
    super('the instance lease was lost while becoming active');
    this.name = 'LeaseLostDuringActivation';
  }
}

/**
 * The running bot: every part built here with plain constructor injection. `start()` opens the
 * store and the health endpoint, then joins the instance lease: one instance is active (Discord,
 * jobs, publishing), the others stand by, serving /healthz, and take over when it goes. Stopped
 * in reverse.
 */
export class DraftgateApp {
  /** Kept apart from the parts: a build that throws must still close the database. */
  private store: Store | undefined;
  private activation: Activation | undefined;
  private leaseService: InstanceLeaseService | undefined;
  private health: HealthServer | undefined;
  private processMetrics: PrometheusMetrics | undefined;
  /** Activations and step-downs, one at a time. */
  private transitions: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private startedOnce = false;
  /** The port /healthz and /metrics listen on, once started (HEALTH_PORT=0 picks one). */
  healthPort: number | undefined;
  readonly clock: Clock;
  private readonly context: BuildContext;
  private readonly options: AppOptions;

  constructor(options: AppOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.context = {
      config: options.config,
      logger: options.logger,
      clock: this.clock,
      monotonic: options.monotonicClock ?? systemMonotonicClock,
      rng: options.rng ?? Math.random,
      armSchedulerTimers: options.armSchedulerTimers ?? true,
      armPublishTimer: options.armPublishTimer ?? options.armSchedulerTimers ?? true,
    };
  }

  private get started(): AppParts {
    if (!this.activation) throw new Error(this.leaseService ? 'app not active (standby)' : 'app not started');
    return this.activation.parts;
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

  /** Prometheus metrics of the process (a standby serves them too); gauges read the database on scrape. */
  get metrics(): PrometheusMetrics {
    if (!this.processMetrics) throw new Error('app not started');
    return this.processMetrics;
  }

  /** The instance lease: `status()` says this instance's role, epoch and the holder as last seen. */
  get lease(): InstanceLeaseService {
    if (!this.leaseService) throw new Error('app not started');
    return this.leaseService;
  }

  /** 'active' once taken over (even while still starting its parts), 'standby' while waiting, 'stopped' before start and after stop. */
  get role(): InstanceRole {
    return this.leaseService?.status().role ?? 'stopped';
  }

  /** Active and everything running (Discord, jobs): what 'ready' in the log says. */
  get ready(): boolean {
    return this.activation?.ready === true;
  }

  /**
   * Resolves once the instance is in `role` (for 'active': and ready); rejects after `timeoutMs`.
   * For tests and the benchmark: the lease changes role on its own timers.
   */
  async waitForRole(role: InstanceRole, timeoutMs = 30_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const reached = () => this.role === role && (role !== 'active' || this.ready) && (role !== 'standby' || !this.activation);
    while (!reached()) {
      if (performance.now() > deadline) throw new Error(`instance did not become ${role} within ${timeoutMs} ms (role: ${this.role})`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Opens the store (migrations first) and the health endpoint, then joins the instance lease.
   * Resolves once the role is known: a standby is serving /healthz; an instance that took the
   * lease at once is active and ready, as a lone instance on a fresh database always is.
   */
  async start(): Promise<void> {
    const { config, logger } = this.context;
    this.store = await openStore(this.context, this.options);
    const store = this.store;
    const instance = this.options.instance ?? {};
    const lease = new InstanceLeaseService({
      store: createInstanceLeaseStore(store.dataSource),
      clock: instance.clock ?? systemClock,
      monotonic: instance.monotonicClock ?? systemMonotonicClock,
      logger: logger.child({ component: 'instance' }),
      identity: instance.identity ?? identityOfThisProcess(),
      renewEveryMs: config.instance.renewEveryMs,
      expiresAfterMs: config.instance.expiresAfterMs,
      pollEveryMs: instance.pollEveryMs,
      isProcessAlive: instance.isProcessAlive,
    });
    this.leaseService = lease;
    this.processMetrics = buildMetrics(this.context, store, lease, () => this.activation?.parts.generationHealth);
    this.health = buildHealthServer(this.context, store, this.processMetrics, lease, () => this.activation?.parts.probes ?? null);
    // Up before the lease: a standby must answer /healthz (200, role standby) or an orchestrator restarts it.
    this.healthPort = await this.health.start();
    try {
      await lease.start({ onActive: (term) => this.onActive(term), onLost: (reason) => this.onLost(reason) });
    } catch (error) {
      // The first activation failed (the lease is given up): what went wrong, e.g. a configuration error.
      throw error instanceof InstanceActivationError ? error.cause : error;
    }
    this.startedOnce = true;
    if (lease.status().role === 'standby') {
      const { holder, epoch } = lease.status();
      logger.info('standby: another instance holds the lease; taking over when it stops or lapses', { holder, epoch });
    }
  }

  /** Took the lease: build everything afresh and start it, unless the app is stopping. */
  private onActive(term: InstanceTerm): Promise<void> {
    return this.serially(async () => {
      if (this.stopping) return;
      try {
        await this.activate(term);
      } catch (error) {
        await this.stepDown('failed');
        // Lost meanwhile, or stopped (a stop cuts Discord to end the activation): nothing failed.
        if (error instanceof LeaseLostDuringActivation || this.stopping) return;
        if (this.startedOnce) {
          // start() has resolved: nobody awaits this activation but main, through onFatal.
          this.context.logger.error('becoming the active instance failed', { error, epoch: term.epoch });
          this.options.onFatal?.(error);
        }
        throw error;
      }
    });
  }

  /**
   * Lost the lease: the Discord client goes first, at once, so no click or gateway event reaches
   * a part that still thinks it is active; the rest steps down after any activation in progress.
   */
  private async onLost(reason: string): Promise<void> {
    const parts = this.activation?.parts;
    if (parts) {
      this.context.logger.warn('lost the instance lease: disconnecting from Discord and stepping down', { reason });
      await parts.client.destroy().catch((error: unknown) => this.context.logger.error('destroying the Discord client failed', { error }));
    }
    await this.serially(() => this.stepDown('lost'));
  }

  /** Runs `transition` after the ones before it; a failed one does not block the next. */
  private serially(transition: () => Promise<void>): Promise<void> {
    const run = this.transitions.then(transition);
    this.transitions = run.catch(() => undefined);
    return run;
  }

  /**
   * Today's start, over freshly built parts fenced by this term: X (every account's credentials
   * checked before anything is posted, and the accounts table synced), Discord, then the work
   * that needs all three: drafts of removed accounts expired, publications a crash left behind
   * (any term's but ours: reclaimed at once), missing cards, overdue deadlines, slash commands
   * and the scheduler. Stops between steps if the lease went meanwhile.
   */
  private async activate(term: InstanceTerm): Promise<void> {
    const { config, logger } = this.context;
    const store = this.store as Store;
    const lease = this.lease;
    const held = () => {
      if (lease.current()?.epoch !== term.epoch) throw new LeaseLostDuringActivation();
    };
    const parts = buildApp(
      { ...this.context, fence: lease, publishingOwner: publishingOwnerOf(term), instanceStatus: () => lease.status() },
      store,
      this.metrics,
    );
    const activation: Activation = { parts, ready: false };
    this.activation = activation;
    // A bad X credential stops the bot here, before it connects anywhere or decides anything.
    const xCheckStartedAt = performance.now();
    await this.syncAccounts(parts);
    const xCheckMs = elapsedMs(xCheckStartedAt);
    held();

    // Listening before login, so no click or command that arrives right after READY is missed;
    // the meter first, so it sees every interaction arrive before a handler runs.
    activation.stopMeteringAcks = meterInteractionAcks(parts.client, (kind, seconds) => parts.metrics.recordInteractionAck(kind, seconds));
    parts.interactions.attach(parts.client);
    activation.detachCommands = parts.commands.attach(parts.client);
    const gatewayStartedAt = performance.now();
    await connectDiscord(parts.client, config.discord.token);
    held();
    logger.info('ready', {
      user: parts.client.user?.tag,
      guildId: config.discord.guildId,
      accounts: [...parts.services.accounts.keys()],
      epoch: term.epoch,
      xCheckMs,
      ...startupTiming(gatewayStartedAt),
    });
    const resumeStartedAt = performance.now();
    // Registering the commands (a PUT when they changed) needs nothing the reconciliation does:
    // both run at once, and the activation waits for both, failing with the first error.
    const [resumed, registered] = await Promise.allSettled([
      (async () => {
        await this.retireRemovedAccounts(parts);
        await this.resumeModeration(parts);
      })(),
      this.registerCommands(parts.client, store),
    ]);
    for (const step of [resumed, registered]) if (step.status === 'rejected') throw step.reason;
    const resumeMs = elapsedMs(resumeStartedAt);
    held();
    const jobsStartedAt = performance.now();
    await parts.scheduler.start();
    // Arms for the earliest due publication (at once for one due already, e.g. a slot inside its grace).
    await parts.services.publishTimer.startArmed();
    activation.ready = true;
    const { user, system } = process.cpuUsage();
    logger.info('active: holding the instance lease', {
      epoch: term.epoch,
      resumeMs,
      jobsMs: elapsedMs(jobsStartedAt),
      atMs: elapsedMs(0),
      // The process's CPU time so far: the start-up's cost without the wait for a loaded machine's cores.
      cpuMs: Math.round((user + system) / 1000),
    });
  }

  /**
   * Checks every account's X credentials (GET /2/users/me: the handle it posts as is logged and
   * shown on its cards) and syncs the accounts table with the configuration: a new account is
   * created with the default topics, one no longer configured becomes inactive (`parts.inactive`).
   * Rejected credentials stop the start (the X target's XAuthenticationError names the account
   * and its four variables); two accounts posting as one X user are a configuration error.
   */
  private async syncAccounts({ store, services, handles, inactive }: AppParts): Promise<void> {
    const { clock, logger } = this.context;
    const postingAs = new Map<string, AccountId>();
    // Every account's check at once (each is a round trip to X), then handled in order as before:
    // the first refused credential, in the configuration's order, is the one that stops the start.
    const accounts = [...services.accounts.values()];
    const checks = accounts.map((account) => account.publishing.checkConnection());
    for (const check of checks) check.catch(() => undefined);
    for (const [index, account] of accounts.entries()) {
      const id = account.config.id;
      const me = await checks[index];
      if (me) {
        const other = postingAs.get(me.id);
        if (other !== undefined) {
          throw new AccountConfigurationError(
            `The accounts "${other}" and "${id}" both post as @${me.username} (X user ${me.id}). Give each account its own X credentials ` +
              `(${account.config.twitter.credentialVariables.join(', ')}).`,
          );
        }
        postingAs.set(me.id, id);
      }
      // X unreachable right now: keep what the last start learned.
      const stored = me ? null : await store.repos.accounts.findById(id);
      const identity = { id, xUserId: me?.id ?? stored?.xUserId ?? null, handle: me?.username ?? stored?.handle ?? null };
      handles.set(id, identity.handle);
      const { created } = await store.repos.accounts.upsert(identity, clock.now());
      if (created) logger.info('new account: created with the default topics', { accountId: id });
    }
    const removed = await store.repos.accounts.deactivateAllExcept([...services.accounts.keys()], clock.now());
    inactive.push(...(await store.repos.accounts.list()).filter((account) => !account.active).map((account) => account.id));
    if (removed.length > 0) logger.warn('accounts no longer configured are now inactive; their history stays', { accounts: removed });
  }

  /**
   * Pending drafts of accounts removed from the configuration expire, each card saying why; the
   * accounts' history stays. Runs at every start, so a draft left pending by a crash expires too.
   */
  private async retireRemovedAccounts(parts: AppParts): Promise<void> {
    for (const accountId of parts.inactive) {
      const moderation = buildRetiredModeration(parts.context, parts, accountId);
      const expired = await moderation.expireAllPending(accountRemovedReason(accountId));
      if (expired > 0) this.context.logger.warn('expired the pending drafts of a removed account', { accountId, expired });
    }
  }

  /**
   * Once Discord is ready: settle publications a crash left behind, post cards that never made
   * it, handle every overdue deadline at once and arm the timer for the rest. A gateway resume
   * re-runs the deadline check, so an outage delays nothing further. Per account.
   */
  private async resumeModeration({ services, client }: AppParts): Promise<void> {
    for (const account of services.accounts.values()) {
      // Reconciling may POST the rest of an interrupted publication: under /pause it waits for
      // /resume, when the publish queue takes the expired lease over.
      if (await publishingHeld(account)) {
        this.context.logger.warn('publishing is paused: publications a crash interrupted, if any, wait for /resume', { accountId: account.config.id });
      } else {
        await account.publishing.reconcileOnStartup();
      }
      // Slots that passed while the bot was down, before the publish queue first runs: one goes
      // (within SLOT_GRACE), the others move to the next free slots; never a burst. Under /pause
      // of publishing they wait: /resume settles them.
      if (account.scheduling.hasSlots() && !(await account.pause.holdsPublishing())) await account.scheduling.settleMissedSlots();
      // Cards that never made it are posted, and cards that fell behind their draft re-rendered.
      await account.moderation.reconcileCards();
    }
    await services.deadlines.start();
    // Keep-ahead tops each account up at once (it may have been down a while), then on every drop.
    for (const account of services.accounts.values()) account.keepAhead.poke();
    const recheck = () => void services.deadlines.runNow();
    client.on(Events.ShardResume, recheck);
    client.on(Events.ShardReady, recheck);
  }

  /**
   * Once READY: bulk-overwrites the guild's slash commands, unless the last registration stored
   * the same hash (same body, application and guild) and no forced registration was asked for.
   */
  private async registerCommands(client: Client, store: Store): Promise<void> {
    const { config, logger, clock } = this.context;
    const applicationId = client.application?.id;
    if (!applicationId) throw new Error('Discord client has no application id: start() must run after READY');
    const startedAt = performance.now();
    const result = await registerGuildCommandsIfChanged({
      rest: client.rest,
      applicationId,
      guildId: config.discord.guildId,
      commands,
      settings: store.repos.botSettings,
      now: () => clock.now(),
      force: config.discord.forceRegisterCommands,
    });
    const meta = { guildId: config.discord.guildId, commands: result.commands, forced: config.discord.forceRegisterCommands, ...startupTiming(startedAt) };
    if (result.outcome === 'registered') logger.info('slash commands registered', meta);
    else logger.info('slash commands unchanged since the last registration: not registering them again', meta);
  }

  /**
   * Ends an activation and leaves the instance standing by (or stopping). `stop`: a graceful stop
   * while the lease is still ours and renewed, so clicks and commands in flight settle (their
   * writes are fenced on this term), then Discord goes. `lost`/`failed`: Discord goes first,
   * before anything else, and the work in flight gets only a short wait (it can write nothing).
   */
  private async stepDown(why: 'stop' | 'lost' | 'failed'): Promise<void> {
    const activation = this.activation;
    if (!activation) return;
    const { parts } = activation;
    activation.ready = false;
    const graceful = why === 'stop';
    try {
      if (!graceful) await parts.client.destroy();
      activation.detachCommands?.();
      await parts.commands.drain(graceful ? COMMAND_DRAIN_MS : LOST_DRAIN_MS);
      await parts.scheduler.stop();
      await parts.services.publishTimer.stop();
      await parts.services.deadlines.stop();
      parts.interactions.detach(parts.client);
      await parts.interactions.drain(graceful ? INTERACTION_DRAIN_MS : LOST_DRAIN_MS);
      activation.stopMeteringAcks?.();
      if (graceful) await parts.client.destroy();
      await parts.anthropicCheck;
    } finally {
      // Even a step-down that failed half-way leaves no parts behind: the next activation builds its own.
      this.activation = undefined;
    }
    if (!graceful) this.context.logger.warn('standby: stepped down; taking over again when the lease is free or lapses', { why });
  }

  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Steps down while the lease is still renewed (work in flight settles under this term), then
   * releases it, so a standby takes over at its next poll instead of waiting for it to lapse;
   * then the health endpoint and the database.
   */
  private async shutdown(): Promise<void> {
    const { logger } = this.context;
    logger.info('shutting down');
    // Still connecting (a stop during start): cut Discord now, or the activation may wait long for it.
    if (this.activation && !this.activation.ready) await this.activation.parts.client.destroy();
    await this.serially(() => this.stepDown('stop'));
    await this.leaseService?.stop({ release: true });
    await this.health?.stop();
    if (this.store?.dataSource.isInitialized) await this.store.dataSource.destroy();
    logger.info('stopped');
  }
}

/** Milliseconds since `startedAt` (a performance.now() reading; 0: since the process started). */
function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}

/**
 * The timing fields of a start-up log line: how long its step took, and when it ended counted
 * from the process's start (performance's time origin), for bench/startup.bench.ts.
 */
function startupTiming(startedAt: number): { ms: number; atMs: number } {
  return { ms: elapsedMs(startedAt), atMs: elapsedMs(0) };
}

/** The note on the cards of a removed account's pending drafts, and in their audit rows. */
function accountRemovedReason(accountId: AccountId): string {
  return `the account ${accountId} was removed from the configuration`;
}

/** The database, migrated, and the bot-wide repositories over it (the accounts table, bot-wide settings). */
async function openStore(
  { config, logger, clock }: BuildContext,
  { importedAtMs, importsCpuMs }: Pick<AppOptions, 'importedAtMs' | 'importsCpuMs'>,
): Promise<Store> {
  // First: a media directory the bot cannot write is a start-up error naming MEDIA_DIR (MediaDirectoryError), before anything is opened.
  const mediaFiles = await DiskMediaFileStore.open(config.storage.mediaDir, clock);
  const target = databaseTargetOf(config.storage);
  const startedAt = performance.now();
  const { dataSource, applied } = await openDatabase(target);
  // Engine and host/database only: the URL carries the password. The timings are the start-up bench's split.
  logger.info('database ready', {
    ...describeDatabaseTarget(target),
    migrationsApplied: applied,
    ...(importedAtMs !== undefined ? { importsMs: Math.round(importedAtMs) } : {}),
    ...(importsCpuMs !== undefined ? { importsCpuMs: Math.round(importsCpuMs) } : {}),
    ...startupTiming(startedAt),
  });
  logger.info('media directory ready', { dir: mediaFiles.dir });
  return { dataSource, repos: createRepositories(dataSource, logger), mediaFiles };
}

/**
 * Builds every part over an open store, each step from what the steps before it returned: one
 * set of services per account, each over repositories scoped to it, then the parts they share.
 * Three cycles are real, and each is broken by a small relay built first and connected once its
 * listener exists: publishing reports to moderation, which publishes; moderation moves deadlines,
 * which the deadline timer (running every account's sweep) follows; and /resume wakes the
 * deadline timer and the publish queue, which read the pause.
 */
function buildApp(ctx: ActivationContext, store: Store, metrics: PrometheusMetrics): AppParts {
  const { config, logger } = ctx;
  const generationHealth = new GenerationHealth({ logger: logger.child({ component: 'claude' }), model: config.anthropic.model });
  const client = createDiscordClient({ token: config.discord.token, apiBase: config.discord.apiBase, logger });
  const handles = new Map<AccountId, string | null>();
  // Filled at start, once the accounts table is synced: accounts stored but no longer configured.
  const inactive: AccountId[] = [];
  const deadlineChanged = new Signal();
  // Add image and `/draft image:` intakes of every account: at most 2 at once in this process (issue 14).
  const mediaIntake = new ConcurrencyLimit(2);
  const resumed = new Signal();
  // Anything that may move the publish queue's earliest due time: a decision, a (re)schedule, a
  // settled, requeued or failed publication, /resume, the activation itself.
  const queueChanged = new Signal();

  const built = config.accounts.map((account) =>
    buildAccount(ctx, store, account, { client, generationHealth, handles, deadlineChanged, resumed, queueChanged, mediaIntake }),
  );
  const accounts = new Map<AccountId, AccountServices>(built.map((b) => [b.services.config.id, b.services]));
  // A dead key must show in /healthz before the first generation: check it now, in the
  // background, since the bot can moderate and publish without Claude. One key serves every account.
  const anthropicCheck = generationHealth.checkAtStart(() => (built[0] as BuiltAccount).checkClaudeAccess());
  for (const { services, publishEvents } of built) {
    publishEvents.connect(metricsObserver(metrics), services.moderation.publishingObserver, queueObserver(queueChanged), keepAheadObserver(services.keepAhead));
  }

  const backups = buildBackups(ctx, store);
  const mediaSweep = new MediaSweepService({
    store: store.mediaFiles,
    // The directory is shared: the sweep asks about every account's drafts.
    media: createAllAccountsMedia(store.dataSource),
    clock: ctx.clock,
    logger: logger.child({ component: 'media' }),
  });
  const publishTimer = new DeadlineTimer<PublishOutcome[]>({
    clock: ctx.clock,
    nextDeadline: () => nextPublishDueOfAll([...accounts.values()]),
    run: () => publishDueAll([...accounts.values()]),
    logger: logger.child({ component: 'publish-timer' }),
    // The publish-queue job sweeps every minute besides: this only bounds a sleep with nothing due.
    maxDelayMs: PUBLISH_TIMER_MAX_DELAY_MS,
    // A 429's reset or a slot is waited for to the millisecond; a Publish now runs at once.
    exact: true,
    armTimers: ctx.armPublishTimer,
  });
  queueChanged.connect(() => void publishTimer.reschedule());
  const scheduler = buildScheduler(ctx, store, [...accounts.values()], backups, publishTimer, mediaSweep);
  const deadlines = new DeadlineTimer({
    clock: ctx.clock,
    nextDeadline: () => nextDeadlineOfAll([...accounts.values()]),
    // The same sweep as the sweep job: it applies each account's pause and joins a sweep already running.
    run: () => sweepAll([...accounts.values()]),
    logger: logger.child({ component: 'deadlines' }),
  });
  deadlineChanged.connect(() => void deadlines.reschedule());
  // What the pause held goes now: overdue drafts, and the publish queue without waiting for its tick.
  resumed.connect(() => {
    void deadlines.runNow();
    void scheduler.runNow(JOB_NAMES.publishQueue);
  });

  const first = built[0] as BuiltAccount;
  const services: AppServices = {
    pipeline: first.services.pipeline,
    publishing: first.services.publishing,
    moderation: first.services.moderation,
    deadlines,
    publishTimer,
    accounts,
    mediaFiles: store.mediaFiles,
  };
  const interactions = buildInteractionRouter(ctx, store, accounts);
  const commandContext = buildCommandContext(ctx, store, { services, scheduler, backups, handles, inactive });
  const commandRouter = new CommandRouter(commands, commandContext, logger);
  const probes = activeProbes({ client, scheduler, accounts: [...accounts.values()], generationHealth });
  return {
    context: ctx,
    store,
    generationHealth,
    anthropicCheck,
    client,
    services,
    handles,
    inactive,
    metrics,
    scheduler,
    interactions,
    commandContext,
    commands: commandRouter,
    probes,
  };
}

/** What building one account returns besides its services: the hooks the shared parts connect to. */
interface BuiltAccount {
  readonly services: AccountServices;
  readonly publishEvents: PublishingRelay;
  readonly checkClaudeAccess: () => Promise<void>;
}

/** One account's services, over repositories scoped to it, posting its cards to its own channel. */
function buildAccount(
  ctx: ActivationContext,
  store: Store,
  account: AccountConfig,
  shared: {
    client: Client;
    generationHealth: GenerationHealth;
    handles: ReadonlyMap<AccountId, string | null>;
    deadlineChanged: Signal;
    resumed: Signal;
    queueChanged: Signal;
    mediaIntake: ConcurrencyLimit;
  },
): BuiltAccount {
  const { config, logger, clock } = ctx;
  const log = logger.child({ accountId: account.id });
  const repos = createRepositories(store.dataSource, log, account.id, ctx.fence, account.posting.timezone);
  const publisher = buildXPublisher(ctx, account);
  const target = buildPublishTarget({ ...ctx, logger: log }, store, repos, account, publisher);
  const publishEvents = new PublishingRelay();
  const several = config.accounts.length > 1;
  // The examples, edits and avoid notes of this account (issue 15), rebuilt once per local day.
  const learnedVoice = new LearnedVoiceService({
    learning: repos.learning,
    settings: repos.settings,
    logger: log.child({ component: 'learned-voice' }),
    config: account.learning,
    rules: contentPolicyFrom(account.content).rules,
    timeZone: account.posting.timezone,
  });
  const { pipeline, checkClaudeAccess } = buildPipeline({ ...ctx, logger: log }, repos, account, shared.generationHealth, store.mediaFiles, learnedVoice);
  const pause = new PauseService({
    settings: repos.settings,
    moderationEvents: repos.moderationEvents,
    clock,
    logger: log,
    announcer: new DiscordPauseAnnouncer(shared.client, account.discord.moderationChannelId, clock, several ? account.id : undefined),
    beforePublishingReleased: async () => {
      // Overdue drafts the deadline publishes are decided first, while publishing is still
      // held: they wait in the queue with the rest and are spread with it, not sent after it at once.
      await moderation.handleOverdueDrafts();
      const spread = await spreadPauseBacklog(repos, account, clock);
      // Each card says when its draft goes out now (the reconciler would catch up, later).
      for (const draftId of spread) await moderation.refreshCard(draftId);
      return spread.length;
    },
    onResumed: (released) => {
      shared.resumed.emit();
      if (scopeHoldsPublishing(released)) void settleMissedSlotsAfterResume(scheduling, log);
      if (scopeHoldsGeneration(released)) keepAhead.poke();
    },
  });
  const publishing = buildPublishing({ ...ctx, logger: log }, repos, account, target, publishEvents, pause, store.mediaFiles);
  const scheduling = new SchedulingService({
    ...repos,
    publisher: publishing,
    // The card is the truth: the calendar re-renders it through moderation (built next; called only later).
    cards: { viewOf: (draftId) => moderation.viewOf(draftId), refreshCard: (draftId) => moderation.refreshCard(draftId) },
    clock,
    logger: log.child({ component: 'calendar' }),
    config: {
      slots: account.posting.slots,
      timeZone: account.posting.timezone,
      activeHours: account.posting.activeHours,
      caps: { maxPerHour: account.posting.maxPostsPerHour, maxPerDay: account.posting.maxPostsPerDay },
      slotGraceMs: account.posting.slotGraceMs,
      moderationTimeoutMs: account.posting.moderationTimeoutMs,
    },
    publishingHeld: async () => ((await pause.holdsPublishing()) ? 'publishing is paused: /resume first' : null),
    onDeadlineChanged: () => shared.deadlineChanged.emit(),
    onQueueChanged: () => shared.queueChanged.emit(),
  });
  const moderation = new ModerationService({
    ...repos,
    pipeline,
    // A decision (Approve, Retry, the deadline's publish) may queue a publication: the publish timer re-arms.
    publisher: announcingQueueChanges(publishing, () => shared.queueChanged.emit()),
    calendar: scheduling,
    pause,
    // The card reads its image previews from the media directory (issue 14; read-only here).
    cards: new DiscordDraftCards(shared.client, account.discord.moderationChannelId, store.mediaFiles),
    clock,
    logger: log.child({ component: 'moderation' }),
    options: moderationOptionsOf(account),
    account: { id: account.id, handle: () => shared.handles.get(account.id) ?? null },
    onDeadlineChanged: () => shared.deadlineChanged.emit(),
    // A rejection or an expiry leaves fewer drafts ahead: keep-ahead tops up (a no-op with keepAhead 0).
    onDecided: () => keepAhead.poke(),
    // No card goes out unless this instance holds the lease: a standby's or a deposed instance's would be a second one.
    fence: ctx.fence,
  });
  const keepAhead = new KeepAheadService({
    drafts: repos.drafts,
    pause,
    generate: () => moderation.generateAndPostDraft({ trigger: 'keep_ahead' }),
    clock,
    logger: log,
    config: {
      keepAhead: account.posting.keepAhead,
      maxPendingDrafts: account.posting.maxPendingDrafts,
      activeHours: account.posting.activeHours,
      timeZone: account.posting.timezone,
    },
  });
  const engagement = new EngagementService({
    posts: repos.posts,
    topics: repos.topics,
    settings: repos.settings,
    learning: repos.learning,
    // Null in dry run: there is nothing at X to measure and no X client exists.
    publisher,
    clock,
    logger: log.child({ component: 'engagement' }),
    config: { engagementWindowDays: config.posting.engagementWindowDays },
  });
  const stats = new StatsService({
    stats: repos.stats,
    topics: repos.topics,
    clock,
    pricing: config.anthropic.pricing,
    timezone: account.posting.timezone,
  });
  // Images (issue 14): checked, stored in the media directory and described before a revision carries them; the card comes from moderation.
  const media = new MediaService({
    ...repos,
    // The one store of the directory: its put and the daily sweep take turns.
    files: store.mediaFiles,
    downloader: new HttpAttachmentDownloader({ timeoutMs: config.discord.mediaDownloadTimeoutMs }),
    describer: buildImageDescriber(ctx, account),
    // Loads the native decoder on the first image only (idle memory).
    decoder: new CanvasImageDecoder(),
    views: moderation,
    clock,
    logger: log.child({ component: 'media' }),
    options: { moderationTimeoutMs: account.posting.moderationTimeoutMs },
    intake: shared.mediaIntake,
    onDeadlineChanged: () => shared.deadlineChanged.emit(),
  });
  const voice = buildVoice({ ...ctx, logger: log }, repos, account, learnedVoice);
  return {
    services: { config: account, repos, pipeline, publishing, moderation, pause, engagement, stats, scheduling, keepAhead, media, learnedVoice, voice },
    publishEvents,
    checkClaudeAccess,
  };
}

/**
 * /resume of publishing, while publishing is still held: what became due during the pause (and
 * is not scheduled to a slot) waits until now, now + s, now + 2s, ... with
 * s = ceil(1 h / MAX_POSTS_PER_HOUR), so it never goes out as a burst. Returns the drafts it moved, in order.
 */
async function spreadPauseBacklog(repos: Repositories, account: AccountConfig, clock: Clock): Promise<number[]> {
  const spacing = resumeSpacingMs(account.posting.maxPostsPerHour);
  const every = spacing >= 60_000 ? `${Math.round(spacing / 60_000)} min` : `${Math.ceil(spacing / 1_000)} s`;
  const moved = await repos.publications.spreadDueBacklog(clock.now(), spacing, (position, count) =>
    position === 0 ? `released by /resume: 1 of ${count}` : `released by /resume: ${position + 1} of ${count}, one every ${every}`,
  );
  return moved;
}

/**
 * After /resume of publishing: scheduled publications whose slot passed during the pause are
 * settled by the calendar (one now if younger than SLOT_GRACE, the others moved to the next free
 * slots, each card saying so), never sent as a burst. Without slots there is nothing to settle.
 */
async function settleMissedSlotsAfterResume(scheduling: SchedulingService, log: Logger): Promise<void> {
  if (!scheduling.hasSlots()) return;
  try {
    await scheduling.settleMissedSlots();
  } catch (error) {
    // The publish queue's run settles them too, before it publishes anything.
    log.error('settling the slots missed during the pause failed; the publish queue settles them', { error });
  }
}

function moderationOptionsOf(account: AccountConfig): ModerationOptions {
  return {
    timeoutAction: account.posting.timeoutAction,
    moderationTimeoutMs: account.posting.moderationTimeoutMs,
    requireSecondApproval: account.posting.requireSecondApproval,
    dryRun: account.posting.dryRun,
    caps: { maxPerHour: account.posting.maxPostsPerHour, maxPerDay: account.posting.maxPostsPerDay },
  };
}

/**
 * The moderation of an account no longer configured, used only to expire its pending drafts
 * and show why on their cards (which stay in the channel they were posted to). Nothing can be
 * generated or published for it: its reviser and publisher answer that it is inactive.
 */
function buildRetiredModeration(ctx: ActivationContext, parts: AppParts, accountId: AccountId): ModerationService {
  const { config, clock, logger } = ctx;
  // Its expiries count in the bot's default zone: the account's own is no longer configured.
  const repos = createRepositories(parts.store.dataSource, logger, accountId, ctx.fence, config.posting.timezone);
  const inactive = accountRemovedReason(accountId);
  return new ModerationService({
    ...repos,
    pipeline: {
      generateDraft: async () => ({ status: 'skipped', reason: inactive }),
      regenerate: async () => ({ status: 'failed', reason: inactive }),
      applyEdit: async () => ({ status: 'failed', reason: inactive }),
    },
    publisher: {
      publishApprovedDraft: async (draftId) => ({ kind: 'skipped', draftId, reason: inactive }),
      retryFailed: async () => null,
    },
    cards: new DiscordDraftCards(parts.client, config.discord.moderationChannelId),
    clock,
    logger: logger.child({ component: 'moderation', accountId }),
    options: { ...moderationOptionsOf(config.accounts[0] as AccountConfig), timeoutAction: 'expire' },
    account: { id: accountId, handle: () => null },
    fence: ctx.fence,
  });
}

/** The earliest deadline any account's sweep would act on; an account whose pause holds its sweep has none. */
async function nextDeadlineOfAll(accounts: readonly AccountServices[]): Promise<number | null> {
  let next: number | null = null;
  for (const account of accounts) {
    if (await account.moderation.sweepOnHold()) continue;
    const deadline = await account.repos.drafts.nextDeadline();
    if (deadline !== null && (next === null || deadline < next)) next = deadline;
  }
  return next;
}

/** Every account's deadline sweep, one after the other; one account's failure does not stop the others'. */
async function sweepAll(accounts: readonly AccountServices[]): Promise<OverdueSweep[]> {
  return eachAccount(accounts, async (account) => [await account.moderation.sweepOverdue()]);
}

/**
 * Runs `work` for every account, one after the other, and concatenates what each returns; one
 * account's failure does not stop the others' (the first failure is thrown once all have run).
 */
async function eachAccount<T>(accounts: readonly AccountServices[], work: (account: AccountServices) => Promise<readonly T[]>): Promise<T[]> {
  const results: T[] = [];
  const failures: unknown[] = [];
  for (const account of accounts) {
    try {
      results.push(...(await work(account)));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return results;
}

/**
 * Longest sleep of the publish timer with nothing due. Due times live in the database and are
 * announced (queueChanged), and the publish-queue job sweeps every minute besides, so this only
 * bounds how long a missed announcement could go unnoticed by the timer itself.
 */
const PUBLISH_TIMER_MAX_DELAY_MS = 5 * 60_000;

/**
 * Whether /pause holds an account's publishing (scope publishing or all): the one place the
 * publish queue, its timer and the start-up reconcile ask. A held account is skipped; the
 * publishing service asks the same hold again before every publication, so no other path
 * (Approve, Retry, Publish now) can go round it.
 */
async function publishingHeld(account: AccountServices): Promise<boolean> {
  return (await account.pause.holdsPublishing()) !== null;
}

/** The earliest due time of any account's publish queue; an account whose publishing is held contributes nothing. */
async function nextPublishDueOfAll(accounts: readonly AccountServices[]): Promise<number | null> {
  let next: number | null = null;
  for (const account of accounts) {
    if (await publishingHeld(account)) continue;
    const due = await account.publishing.nextDueAt();
    if (due !== null && (next === null || due < next)) next = due;
  }
  return next;
}

/** Every account's due publications (and lapsed leases), skipping held accounts; the hold is asked again before each draft. */
async function publishDueAll(accounts: readonly AccountServices[]): Promise<PublishOutcome[]> {
  return eachAccount(accounts, async (account) => {
    const held = () => publishingHeld(account);
    if (await held()) return [];
    // Slots first: a stall or a restart never sends every missed slot at once.
    if (account.scheduling.hasSlots()) await account.scheduling.settleMissedSlots();
    // Asked again before each draft: a /pause that lands during a long run stops it there.
    return account.publishing.processDueDrafts(undefined, { held });
  });
}

/** Tells the publish timer after every publishing outcome: a requeue, a deferral, a publication settled. */
function queueObserver(queueChanged: Signal): PublishingObserver {
  const changed = () => queueChanged.emit();
  return { onPublished: changed, onQueued: changed, onFailed: changed };
}

/** Moderation's publisher, announcing after each call that the publish queue may have moved. */
function announcingQueueChanges(publisher: ApprovedDraftPublisher, changed: () => void): ApprovedDraftPublisher {
  return {
    publishApprovedDraft: async (draftId) => {
      try {
        return await publisher.publishApprovedDraft(draftId);
      } finally {
        changed();
      }
    },
    retryFailed: async (draftId, actor) => {
      try {
        return await publisher.retryFailed(draftId, actor);
      } finally {
        changed();
      }
    },
  };
}

/** An account's X client, for publishing and its engagement refresh. In dry run there is none, so nothing can reach X. */
function buildXPublisher({ config, clock }: BuildContext, account: AccountConfig): TweetPublisher | null {
  const credentials = account.twitter.credentials;
  if (account.posting.dryRun || !credentials) return null;
  return XPublisher.fromCredentials(credentials, { apiBase: config.twitter.apiBase, timeoutMs: config.twitter.timeoutMs, clock });
}

/**
 * Where an account's publications go. Dry run: a target that holds no credentials and can reach
 * no network. Otherwise the account's X target over its own client: X's rate-limit headers go to
 * the account's settings, and X's per-app 24 h limit to the bot-wide settings, keyed by the app
 * key's fingerprint, so accounts signing with the same app key share it.
 */
function buildPublishTarget(
  { config, logger, clock }: BuildContext,
  store: Store,
  repos: Repositories,
  account: AccountConfig,
  publisher: TweetPublisher | null,
): PublishTarget {
  const credentials = account.twitter.credentials;
  if (account.posting.dryRun || !publisher || !credentials) return new DryRunTarget(account.id);
  return new XPublishTarget({
    accountId: account.id,
    publisher,
    appFingerprint: appKeyFingerprint(credentials.appKey),
    settings: repos.settings,
    appLimits: settingsAppLimitStore(store.repos.botSettings),
    clock,
    logger: logger.child({ component: 'x' }),
    prices: { perPostUsd: config.twitter.costPerPostUsd, perPostWithUrlUsd: config.twitter.costPerPostWithUrlUsd },
  });
}

/** The Claude generator behind an account's pipeline (its voice and link rules), observed for /healthz. */
function buildPipeline(
  { config, logger, clock, rng }: BuildContext,
  repos: Repositories,
  account: AccountConfig,
  generationHealth: GenerationHealth,
  mediaFiles: MediaFileStore,
  learnedVoice: LearnedVoiceSource,
): { pipeline: DraftPipelineService; checkClaudeAccess: () => Promise<void> } {
  const generator = createClaudeDraftGenerator({ anthropic: config.anthropic, content: account.content }, logger.child({ component: 'claude' }));
  const pipeline = new DraftPipelineService({
    ...repos,
    generator: generationHealth.observe(generator),
    mediaFiles,
    learnedVoice,
    clock,
    rng,
    logger: logger.child({ component: 'pipeline' }),
    options: {
      ...contentPolicyFrom(account.content),
      moderationTimeoutMs: account.posting.moderationTimeoutMs,
      maxPendingDrafts: account.posting.maxPendingDrafts,
      learning: account.learning,
    },
  });
  return { pipeline, checkClaudeAccess: () => generator.checkAccess() };
}

/**
 * The account's /voice and daily avoid notes (issue 15 §3): one LEARNING_MODEL call a day over
 * the new moderator feedback. Each change makes the learned block rebuild at the next draft.
 */
function buildVoice(
  { config, logger, clock }: BuildContext,
  repos: Repositories,
  account: AccountConfig,
  /** The pipeline's learned block: /voice shows it and invalidates it after a change. */
  learnedVoice: LearnedVoiceSource,
): VoiceService {
  const ownVoice = account.content.voice?.trim() ?? '';
  return new VoiceService({
    learning: repos.learning,
    settings: repos.settings,
    moderationEvents: repos.moderationEvents,
    generationRuns: repos.generationRuns,
    condenser: createClaudeAvoidNoteCondenser({ anthropic: config.anthropic }, logger.child({ component: 'claude' })),
    learnedVoice,
    clock,
    logger,
    config: {
      learningEnabled: account.learning.enabled,
      timeZone: account.posting.timezone,
      voice: ownVoice || ACCOUNT_VOICE,
      voiceIsBuiltIn: ownVoice === '',
    },
  });
}

/**
 * Who writes the alt text a moderator left empty: Claude, one Messages call per image with the
 * configured model, which also reports what the hard rules forbid (its findings become flags).
 */
function buildImageDescriber({ config, logger }: BuildContext, account: AccountConfig): ImageDescriber {
  return createClaudeImageDescriber({ anthropic: config.anthropic, content: account.content }, logger.child({ accountId: account.id, component: 'claude' }));
}

function buildPublishing(
  { config, logger, clock, monotonic, rng, publishingOwner, fence }: ActivationContext,
  repos: Repositories,
  account: AccountConfig,
  target: PublishTarget,
  observer: PublishingObserver,
  pause: PauseStateReader,
  mediaFiles: MediaFileStore,
): PublishingService {
  return new PublishingService({
    ...repos,
    target,
    clock,
    monotonic,
    rng,
    logger: logger.child({ component: 'publishing' }),
    owner: publishingOwner,
    // Under the lease, start-up takes over at once what any other owner (a dead process, an ended term) left in publishing.
    fence,
    config: {
      // The lease is derived from it (3 x the timeout plus a margin), so no POST outlasts it.
      requestTimeoutMs: config.twitter.timeoutMs,
      maxPostsPerHour: account.posting.maxPostsPerHour,
      maxPostsPerDay: account.posting.maxPostsPerDay,
    },
    observer,
    // /pause of publishing: nothing of this account goes to X, whoever asks; the draft waits queued.
    publishingHold: () => pause.holdsPublishing(),
    // The images' bytes for X's upload (issue 14): the app's one media store.
    mediaFiles,
  });
}

/**
 * The process's metrics, built once so a standby serves them too and counters survive a
 * step-down: gauges summed over the accounts, read from the database at scrape time through
 * repositories of their own (reads need no fence); Claude's health is the active parts'.
 */
function buildMetrics(
  { config, logger }: BuildContext,
  store: Store,
  lease: InstanceLeaseService,
  generationHealth: () => GenerationHealth | undefined,
): PrometheusMetrics {
  const accounts = config.accounts.map((account) => createRepositories(store.dataSource, logger, account.id));
  const first = accounts[0] as Repositories;
  return new PrometheusMetrics({
    draftCounts: async () => sumCounts(await Promise.all(accounts.map((repos) => repos.drafts.countByStatus()))),
    tokenTotals: async () => sumCounts(await Promise.all(accounts.map((repos) => repos.generationRuns.tokenTotals()))),
    // X's POST limits as the first account last saw them (the only account without ACCOUNTS_FILE).
    xRateState: () => first.settings.get(SETTINGS.xRateLimit.post),
    cardHealth: async () => {
      let unposted = 0;
      let outOfDate = 0;
      for (const repos of accounts) {
        unposted += (await repos.drafts.countUnpostedCards()).count;
        outOfDate += await repos.drafts.countCardsOutOfDate();
      }
      return { unposted, outOfDate };
    },
    // A standby has not checked Claude: nothing to report but "not degraded".
    generationHealth: () => generationHealth()?.metrics() ?? { degraded: false, consecutiveAuthFailures: 0 },
    instance: () => lease.status(),
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

function buildBackups({ config, logger, clock }: BuildContext, store: Store): BackupService {
  return new BackupService({
    engine: config.storage.databaseUrl === null ? 'sqlite' : 'postgres',
    dir: join(dirname(config.storage.databasePath), 'backups'),
    keep: config.storage.backupKeep,
    backupTo: (destination) => backupSqliteDatabase(store.dataSource, destination),
    // The images go with every backup: those the SQLite copy references (read from the copy), or
    // on PostgreSQL (its dump is pg_dump's) every stored image.
    media: mediaBackupOf(store.mediaFiles.dir, mediaHashesOfSqliteBackup),
    clock,
    logger: logger.child({ component: 'backup' }),
  });
}

/** One post job per account, and the other jobs as data: what each runs, how often, and what /pause holds. */
function buildScheduler(
  { config, logger, clock, rng, armSchedulerTimers }: BuildContext,
  store: Store,
  accounts: readonly AccountServices[],
  backups: BackupService,
  publishTimer: DeadlineTimer<PublishOutcome[]>,
  mediaSweep: MediaSweepService,
): PostingScheduler {
  return new PostingScheduler({
    clock,
    rng,
    logger,
    // Job states are bot-wide rows (account NULL, where migration Accounts put the existing ones): a post job's name carries its account.
    settings: store.repos.botSettings,
    timezone: config.posting.timezone,
    postJobs: accounts.map((account) => ({
      accountId: account.config.id,
      config: {
        schedule: account.config.posting.schedule,
        timezone: account.config.posting.timezone,
        jitterMs: account.config.posting.jitterMs,
        activeHours: account.config.posting.activeHours,
        maxPendingDrafts: account.config.posting.maxPendingDrafts,
        maxPostsPerHour: account.config.posting.maxPostsPerHour,
        maxPostsPerDay: account.config.posting.maxPostsPerDay,
      },
      drafts: account.repos.drafts,
      posts: account.repos.posts,
      pause: account.pause,
      generateDraft: (trigger) => account.moderation.generateAndPostDraft({ trigger }),
    })),
    jobs: buildJobs(config, accounts, backups, publishTimer, mediaSweep),
    armTimers: armSchedulerTimers,
  });
}

/** The jobs besides the post jobs, in the order they run when several are due. Each goes through every account. */
function buildJobs(
  config: AppConfig,
  accounts: readonly AccountServices[],
  backups: BackupService,
  publishTimer: DeadlineTimer<PublishOutcome[]>,
  mediaSweep: MediaSweepService,
): JobDefinition[] {
  const jobs: JobDefinition[] = [
    // The deadline sweep applies each account's pause itself (it may still expire drafts while paused).
    { name: JOB_NAMES.timeoutSweep, pattern: SWEEP_SCHEDULE, quiet: true, run: async () => sweepJobResult(await sweepAll(accounts)) },
    // The publish timer wakes the queue at each due time; this slow sweep is its safety net (and
    // what /status and /healthz show of it). It shares the timer's run, which re-arms it after.
    {
      name: JOB_NAMES.publishQueue,
      pattern: PUBLISH_QUEUE_SCHEDULE,
      quiet: true,
      // /pause of publishing promises that nothing goes to X for that account: drafts approved
      // on timeout or queued by a cap, X's limits or a retry backoff stay approved and wait, and
      // so does a publication a crash interrupted (taking it over could POST). An explicit
      // Approve or Retry is recorded and waits too: the publishing service asks the same hold
      // before every publication, whoever calls it.
      held: async () => {
        for (const account of accounts) if (!(await publishingHeld(account))) return null;
        return accounts.length > 1
          ? 'publishing is paused for every account: the publish queue waits for /resume'
          : 'publishing is paused: the publish queue waits for /resume';
      },
      run: async () => summarise(await publishTimer.runNow()),
    },
    {
      name: JOB_NAMES.engagement,
      pattern: config.posting.engagementSchedule,
      run: async () => {
        const results: Record<string, string | number | boolean | null> = {};
        for (const account of accounts) {
          const detail = summarise(await account.engagement.refresh()).detail ?? {};
          for (const [key, value] of Object.entries(detail)) results[accounts.length > 1 ? `${account.config.id}.${key}` : key] = value;
        }
        return { outcome: 'ok', reason: null, detail: results };
      },
    },
    // Not held by /pause: showing the truth on a card publishes nothing.
    {
      name: JOB_NAMES.cards,
      pattern: CARD_RECONCILE_SCHEDULE,
      quiet: true,
      run: async () => {
        const totals = { posted: 0, rerendered: 0, failed: 0 };
        for (const account of accounts) {
          const outcome = await account.moderation.reconcileCards();
          totals.posted += outcome.posted;
          totals.rerendered += outcome.rerendered;
          totals.failed += outcome.failed;
        }
        return summarise(totals);
      },
    },
  ];
  if (accounts.some((account) => account.keepAhead.enabled)) {
    jobs.push({
      name: JOB_NAMES.keepAhead,
      pattern: KEEP_AHEAD_SCHEDULE,
      quiet: true,
      // Not held as a job: each account's keep-ahead reads its own pause of generation.
      run: async () => {
        const results: Record<string, string | number | boolean | null> = {};
        for (const account of accounts) {
          if (!account.keepAhead.enabled) continue;
          const run = await account.keepAhead.run();
          const prefix = accounts.length > 1 ? `${account.config.id}.` : '';
          results[`${prefix}generated`] = run.generated;
          results[`${prefix}stoppedBy`] = run.stoppedBy;
        }
        return { outcome: 'ok', reason: null, detail: results };
      },
    });
  }
  if (config.storage.backupSchedule) {
    jobs.push({
      name: JOB_NAMES.backup,
      pattern: config.storage.backupSchedule,
      run: () => backups.scheduledRun(),
    });
  }
  // Daily: image files no draft has used for 30 days (issue 14 §3). Not held by /pause: it publishes nothing.
  jobs.push({ name: JOB_NAMES.mediaSweep, pattern: MEDIA_SWEEP_SCHEDULE, run: () => mediaSweep.scheduledRun() });
  // Daily per account, at its own local time (issue 15 §3): avoid notes from new moderator
  // feedback, one cheap Claude call at most. Not held by /pause: it publishes and drafts nothing.
  for (const account of accounts) {
    jobs.push({
      name: JOB_NAMES.voiceNotes(account.config.id),
      pattern: VOICE_NOTES_SCHEDULE,
      timezone: account.config.posting.timezone,
      run: () => account.voice.scheduledRun(),
    });
  }
  return jobs;
}

/** A sweep held for every account is a skipped run, so the job's record and /status say why nothing happened. */
function sweepJobResult(sweeps: readonly OverdueSweep[]): JobRunResult {
  const swept = sweeps.filter((sweep): sweep is Extract<OverdueSweep, { status: 'swept' }> => sweep.status === 'swept');
  const held = sweeps.find((sweep): sweep is Extract<OverdueSweep, { status: 'held' }> => sweep.status === 'held');
  if (swept.length === 0 && held) return { outcome: 'skipped', reason: held.reason, detail: { code: 'paused' } };
  return summarise(swept.flatMap((sweep) => sweep.outcomes));
}

/**
 * Card clicks and forms go to the moderation of the draft's account (the draft knows it: the
 * custom_id does not name one), checked against that account's moderators.
 */
function buildInteractionRouter({ config, logger }: BuildContext, store: Store, accounts: ReadonlyMap<AccountId, AccountServices>): InteractionRouter {
  const log = logger.child({ component: 'interactions' });
  const scopeOf = async (draftId: number, channelId: string | null): Promise<ModerationScope> => {
    const scope = (account: AccountServices): ModerationScope => ({
      moderation: account.moderation,
      scheduling: account.scheduling,
      policy: { moderatorRoleId: account.config.discord.moderatorRoleId },
      timeZone: account.config.posting.timezone,
      media: account.media,
    });
    const accountId = await store.repos.accounts.accountOfDraft(draftId);
    if (accountId === null) {
      // No account has it: the account whose channel it was clicked in refuses it (audited), else the first.
      const list = [...accounts.values()];
      const here = list.filter((account) => account.config.discord.moderationChannelId === channelId);
      return scope(here.length === 1 ? (here[0] as AccountServices) : (list[0] as AccountServices));
    }
    const account = accounts.get(accountId);
    if (!account) {
      throw new UserError(`Draft #${draftId} belongs to the account ${accountId}, which is no longer configured. Nothing was changed.`, { accountId });
    }
    return scope(account);
  };
  const handlers = createModerationHandlers({ scopeOf, logger: log, mediaFiles: store.mediaFiles });
  return new InteractionRouter(handlers, log, new GuildGuard(config.discord.guildId, log));
}

/** Everything a slash command may use: per account, its services; for the bot, backups. */
function buildCommandContext(
  { config, logger, clock, instanceStatus }: ActivationContext,
  store: Store,
  parts: {
    services: AppServices;
    scheduler: PostingScheduler;
    backups: BackupService;
    handles: ReadonlyMap<AccountId, string | null>;
    inactive: readonly AccountId[];
  },
): CommandContext {
  const { services, scheduler, backups, handles, inactive } = parts;
  const active = [...services.accounts.values()].map((account): AccountCommandContext => ({
    id: account.config.id,
    config: account.config,
    handle: () => handles.get(account.config.id) ?? null,
    drafts: account.repos.drafts,
    posts: account.repos.posts,
    topics: account.repos.topics,
    audit: account.repos.moderationEvents,
    pause: account.pause,
    schedulerStatus: () => scheduler.status(account.config.id),
    topicsWithContext: () => account.pipeline.topicsWithContext(),
    resetTopicLearning: (actor, interactionId) =>
      resetTopicLearning({ settings: account.repos.settings, audit: account.repos.moderationEvents, clock }, { actor, interactionId }),
    generateDraft: (topicName, options) => account.moderation.generateAndPostDraft({ trigger: 'command', topicName, ...options }),
    media: account.media,
    stats: account.stats,
    rateLimitStatus: () => account.publishing.rateLimitStatus(),
    scheduling: account.scheduling,
    voice: account.voice,
  }));
  return {
    config,
    clock,
    logger,
    version: readAppVersion(),
    startedAt: clock.now(),
    accounts: { active, inactiveIds: () => inactive },
    renderStatsChart: renderStatsChartLazily,
    renderApprovalChart: renderApprovalChartLazily,
    takeBackup: () => backups.takeBackup(),
    instance: instanceStatus,
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

/** The weekly approval chart of /stats view:learning, loaded the same lazy way. */
async function renderApprovalChartLazily(input: ApprovalChartInput): Promise<Buffer> {
  const { renderApprovalChart } = await import('./adapters/chart/stats-chart.js');
  return renderApprovalChart(input);
}

/**
 * /healthz and /metrics, for the life of the process: a standby is healthy (200, role standby)
 * while the database answers; an active instance only while its parts run too.
 */
function buildHealthServer(
  { config, logger }: BuildContext,
  store: Store,
  metrics: PrometheusMetrics,
  lease: InstanceLeaseService,
  active: () => readonly HealthProbe[] | null,
): HealthServer {
  const database: HealthProbe = {
    name: 'database',
    check: async () => {
      if (!store.dataSource.isInitialized) return { ok: false, detail: 'database is closed' };
      await store.dataSource.query('SELECT 1');
      return { ok: true };
    },
  };
  // Took the lease a moment ago and not yet building: not ready, but not a standby either.
  const takingOver: HealthProbe = { name: 'instance', check: () => ({ ok: false, detail: 'took over the lease: starting' }) };
  return new HealthServer({
    port: config.ops.healthPort,
    metrics,
    logger: logger.child({ component: 'health' }),
    instance: () => lease.status(),
    probes: () => {
      // A standby (also one still stepping down) answers for the database alone.
      if (lease.status().role !== 'active') return [database];
      const probes = active();
      return probes ? [database, ...probes] : [database, takingOver];
    },
  });
}

/** The probes of an active instance: the gateway ready, the scheduler running, cards and Claude. */
function activeProbes(parts: {
  client: Client;
  scheduler: PostingScheduler;
  accounts: readonly AccountServices[];
  generationHealth: GenerationHealth;
}): HealthProbe[] {
  const { client, scheduler, accounts, generationHealth } = parts;
  return [
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
        const parts: string[] = [];
        for (const account of accounts) {
          // A store that cannot be read is the database probe's failure; here it only makes the cards unknown.
          const health = await account.moderation.cardHealth().catch(() => null);
          const whose = accounts.length > 1 ? `${account.config.id}: ` : '';
          if (health === null) {
            parts.push(`${whose}card state unknown: the database did not answer`);
            continue;
          }
          if (health.unposted.count > 0) {
            const since = health.unposted.oldestCreatedAt !== null ? ` since ${new Date(health.unposted.oldestCreatedAt).toISOString()}` : '';
            parts.push(`${whose}${health.unposted.count} draft card(s) could not be posted${since}: ${health.unposted.lastError ?? 'unknown error'}`);
          }
          if (health.outOfDate > 0) parts.push(`${whose}${health.outOfDate} card(s) show an older state than the database`);
        }
        if (parts.length === 0) return { ok: true };
        return { ok: true, degraded: true, detail: parts.join('; ') };
      },
    },
    // Degraded, never failing: without Claude the bot still moderates and publishes.
    { name: 'anthropic', check: () => generationHealth.report() },
  ];
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
/** A publication settled (published, or failed for good): one draft fewer ahead, so keep-ahead tops up. */
function keepAheadObserver(keepAhead: KeepAheadService): PublishingObserver {
  return {
    onPublished: async () => keepAhead.poke(),
    onFailed: async () => keepAhead.poke(),
  };
}

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
