import { capUsage, DAY_MS } from '../domain/rate-limits.js';
import { decidePostRun, drawJitter, type DailyWindow, type PauseState, type PostRunDecision } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, DraftRepository, PostRepository, SettingsRepository } from '../services/ports.js';
import { ScheduledJob, type JobRunRecord, type JobRunResult, type JobState } from './scheduled-job.js';

/** The timeout sweeper looks for overdue drafts twice a minute. */
export const SWEEP_SCHEDULE = '*/30 * * * * *';
/** The publish queue is checked twice a minute, offset from the sweeper. */
export const PUBLISH_QUEUE_SCHEDULE = '15,45 * * * * *';

/** Names of the jobs, as they appear in logs and in settings (`scheduler.job.<name>`). */
export const JOB_NAMES = {
  post: 'post',
  timeoutSweep: 'timeout-sweep',
  publishQueue: 'publish-queue',
  engagement: 'engagement-refresh',
  backup: 'backup',
  cards: 'card-reconcile',
} as const;

/** Missing and out-of-date moderation cards are looked for twice a minute, offset from the other jobs. */
export const CARD_RECONCILE_SCHEDULE = '5,35 * * * * *';

/**
 * A job this late past its planned time has missed that run: its timer is not firing. Small, so
 * /healthz reports it at the first missed run; a run in progress (e.g. waiting out a database
 * lock) is not late. Covers timer lateness on a loaded event loop.
 */
export const STALL_TOLERANCE_MS = 15_000;

/** What a draft-generation call reports; the moderation service's generate-and-post method fits. */
export type ScheduledGenerationOutcome =
  | { readonly status: 'created'; readonly draft: { readonly id: number } }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

export interface PostingSchedulerConfig {
  readonly schedule: string;
  readonly timezone: string;
  readonly jitterMs: number;
  readonly activeHours: DailyWindow | null;
  readonly maxPendingDrafts: number;
  readonly maxPostsPerHour: number;
  readonly maxPostsPerDay: number;
  readonly timeoutAction: 'publish' | 'expire';
  readonly engagementSchedule: string;
  /** BACKUP_SCHEDULE; the backup job exists only when `takeBackup` is given. */
  readonly backupSchedule?: string | undefined;
  /** Overrides for the fixed cadences, e.g. in tests. */
  readonly sweepSchedule?: string | undefined;
  readonly publishQueueSchedule?: string | undefined;
}

export interface PostingSchedulerDeps {
  readonly clock: Clock;
  readonly rng: () => number;
  readonly logger: Logger;
  readonly settings: SettingsRepository;
  readonly drafts: Pick<DraftRepository, 'countByStatus'>;
  readonly posts: Pick<PostRepository, 'publicationTimesSince'>;
  readonly pause: { current(): Promise<PauseState | null> };
  readonly config: PostingSchedulerConfig;
  /** Generates one draft and posts its moderation card. */
  readonly generateDraft: (trigger: 'schedule') => Promise<ScheduledGenerationOutcome>;
  /** The moderation service's overdue handler (expire or publish drafts past their deadline). */
  readonly sweepOverdue?: ((held: () => Promise<boolean>) => Promise<unknown>) | undefined;
  /** PublishingService.processDueDrafts; `held` says, before each draft, whether /pause now holds the queue. */
  readonly processPublishQueue?: ((held: () => Promise<boolean>) => Promise<unknown>) | undefined;
  /** EngagementService.refresh. */
  readonly refreshEngagement?: (() => Promise<unknown>) | undefined;
  /** ModerationService.reconcileCards: posts missing cards and re-renders out-of-date ones. */
  readonly reconcileCards?: (() => Promise<unknown>) | undefined;
  /** BackupService.takeBackup. */
  readonly takeBackup?: (() => Promise<{ readonly path: string; readonly bytes: number }>) | undefined;
  /** False in tests that drive the jobs with a manual clock; default true. */
  readonly armTimers?: boolean | undefined;
}

/** What /status shows about the scheduler. */
export interface SchedulerStatus {
  readonly pause: PauseState | null;
  readonly nextRunAt: number | null;
  readonly lastRun: JobRunRecord | null;
  readonly missedWhileDown: JobState['missedWhileDown'];
  readonly running: boolean;
}

/**
 * The posting scheduler: the post job (POST_SCHEDULE in TIMEZONE plus jitter, within the active
 * hours), the timeout sweeper, the publish-queue tick and the engagement refresh, each a
 * {@link ScheduledJob}. Every run of the post job generates at most one draft, and only when
 * posting is not paused, the pending cap has room and the daily cap leaves room today.
 */
export class PostingScheduler {
  readonly jobs: readonly ScheduledJob[];
  readonly post: ScheduledJob;
  private readonly log: Logger;
  private sweeping: Promise<JobRunResult> | null = null;

  constructor(private readonly deps: PostingSchedulerDeps) {
    const { config, clock, logger, settings } = deps;
    this.log = logger.child({ component: 'scheduler' });
    const common = { clock, logger, settings, timezone: config.timezone, armTimer: deps.armTimers ?? true };
    this.post = new ScheduledJob({
      ...common,
      name: JOB_NAMES.post,
      pattern: config.schedule,
      jitter: () => drawJitter(config.jitterMs, deps.rng),
      activeHours: config.activeHours,
      run: () => this.runPost(),
    });
    const jobs: ScheduledJob[] = [this.post];
    if (deps.sweepOverdue) {
      jobs.push(
        new ScheduledJob({
          ...common,
          name: JOB_NAMES.timeoutSweep,
          pattern: config.sweepSchedule ?? SWEEP_SCHEDULE,
          quiet: true,
          run: () => this.sweepOverdue(),
        }),
      );
    }
    if (deps.processPublishQueue) {
      const process = deps.processPublishQueue;
      jobs.push(
        new ScheduledJob({
          ...common,
          name: JOB_NAMES.publishQueue,
          pattern: config.publishQueueSchedule ?? PUBLISH_QUEUE_SCHEDULE,
          quiet: true,
          run: () => this.publishQueueUnlessPaused(process),
        }),
      );
    }
    if (deps.refreshEngagement) {
      const refresh = deps.refreshEngagement;
      jobs.push(new ScheduledJob({ ...common, name: JOB_NAMES.engagement, pattern: config.engagementSchedule, run: async () => summarise(await refresh()) }));
    }
    if (deps.reconcileCards) {
      const reconcile = deps.reconcileCards;
      // Not gated by /pause: showing the truth on a card publishes nothing.
      jobs.push(
        new ScheduledJob({ ...common, name: JOB_NAMES.cards, pattern: CARD_RECONCILE_SCHEDULE, quiet: true, run: async () => summarise(await reconcile()) }),
      );
    }
    if (deps.takeBackup && config.backupSchedule) {
      const backup = deps.takeBackup;
      jobs.push(
        new ScheduledJob({
          ...common,
          name: JOB_NAMES.backup,
          pattern: config.backupSchedule,
          run: async () => {
            const result = await backup();
            return { outcome: 'ok', reason: null, detail: { path: result.path, bytes: result.bytes } };
          },
        }),
      );
    }
    this.jobs = jobs;
  }

  /**
   * For /healthz: failing from a job's first missed run, naming each failing job and why (not
   * started, its state could not be saved, or its planned time passed without a run). Overdue
   * is only judged with real timers: tests that drive a manual clock run jobs themselves.
   */
  health(): { ok: boolean; detail?: string } {
    const now = this.deps.clock.now();
    const options = { checkOverdue: this.deps.armTimers !== false, toleranceMs: STALL_TOLERANCE_MS };
    const failing: string[] = [];
    for (const job of this.jobs) {
      const health = job.health(now, options);
      if (!health.ok) failing.push(health.detail);
    }
    return failing.length > 0 ? { ok: false, detail: `jobs failing: ${failing.join('; ')}` } : { ok: true };
  }

  job(name: string): ScheduledJob | undefined {
    return this.jobs.find((j) => j.name === name);
  }

  async start(): Promise<void> {
    for (const job of this.jobs) await job.start();
    this.log.info('scheduler started', {
      jobs: this.jobs.map((j) => ({ name: j.name, nextRunAt: j.nextRunAt === null ? null : new Date(j.nextRunAt).toISOString() })),
    });
  }

  /** Disarms every job and waits (bounded, see ScheduledJob.stop) for runs in progress. */
  async stop(waitMs?: number): Promise<void> {
    await Promise.all(this.jobs.map((j) => j.stop(waitMs)));
  }

  /** Runs every job whose planned time has passed by the injected clock (tests drive time with it). */
  async runDue(): Promise<Record<string, JobRunRecord | null>> {
    const results: Record<string, JobRunRecord | null> = {};
    for (const job of this.jobs) results[job.name] = await job.runIfDue();
    return results;
  }

  async status(): Promise<SchedulerStatus> {
    const snapshot = this.post.snapshot();
    return {
      pause: await this.deps.pause.current(),
      nextRunAt: snapshot.nextRunAt,
      lastRun: snapshot.lastRun,
      missedWhileDown: snapshot.missedWhileDown,
      running: this.post.isRunning,
    };
  }

  /** What a post run would decide right now, without generating anything. */
  async checkPostRun(): Promise<PostRunDecision> {
    const { config, clock, drafts, posts } = this.deps;
    const now = clock.now();
    const [pause, counts, times] = await Promise.all([this.deps.pause.current(), drafts.countByStatus(), posts.publicationTimesSince(now - DAY_MS)]);
    return decidePostRun({
      now,
      pause,
      activeHours: config.activeHours,
      timeZone: config.timezone,
      pendingDrafts: counts.pending,
      maxPendingDrafts: config.maxPendingDrafts,
      usage: capUsage(times, { maxPerHour: config.maxPostsPerHour, maxPerDay: config.maxPostsPerDay }, now),
      queuedForPublishing: counts.approved + counts.publishing,
    });
  }

  private async runPost(): Promise<JobRunResult> {
    const decision = await this.checkPostRun();
    if (!decision.generate) return { outcome: 'skipped', reason: decision.reason, detail: { code: decision.code } };
    const outcome = await this.deps.generateDraft('schedule');
    switch (outcome.status) {
      case 'created':
        return { outcome: 'ok', reason: null, detail: { draftId: outcome.draft.id } };
      case 'skipped':
        return { outcome: 'skipped', reason: outcome.reason };
      case 'failed':
        return { outcome: 'failed', reason: outcome.reason };
    }
  }

  /**
   * The timeout sweep, gated by the pause. Shared by the croner sweeper job and the moderation
   * deadline timer: a call while a sweep runs joins it instead of sweeping twice.
   */
  sweepOverdue(): Promise<JobRunResult> {
    this.sweeping ??= this.sweepUnlessPaused().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /**
   * Runs the publish queue now (after /resume), without waiting for its next tick. A run already
   * in progress is not repeated.
   */
  async runPublishQueueNow(): Promise<JobRunRecord | null> {
    return (await this.job(JOB_NAMES.publishQueue)?.trigger('manual')) ?? null;
  }

  /** Whether the deadline sweep is on hold: paused while the deadline would publish. */
  async sweepOnHold(): Promise<boolean> {
    return this.deps.config.timeoutAction === 'publish' && (await this.deps.pause.current()) !== null;
  }

  private async sweepUnlessPaused(): Promise<JobRunResult> {
    const pause = await this.deps.pause.current();
    // /pause stops publishing on timeout; overdue drafts stay pending (moderators can still
    // decide them) and the sweep after /resume handles them. Expiring is not publishing.
    if (pause && this.deps.config.timeoutAction === 'publish') {
      return { outcome: 'skipped', reason: 'posting is paused: publishing on timeout waits for /resume', detail: { code: 'paused' } };
    }
    // Asked again before each draft the deadline would publish: a /pause mid-sweep stops there.
    const held = async () => this.deps.config.timeoutAction === 'publish' && (await this.deps.pause.current()) !== null;
    return summarise(await this.deps.sweepOverdue?.(held));
  }

  /**
   * The publish queue, gated by the pause. /pause promises that nothing the bot decides on its
   * own goes to X: drafts approved on timeout or queued by a cap, X's limits or a retry backoff
   * stay approved and wait, and so does a publication a crash interrupted (taking it over could
   * POST). An explicit Approve or Retry by a moderator still publishes at once (moderation calls
   * the publishing service directly); if a cap queues it, it waits here too.
   */
  private async publishQueueUnlessPaused(process: (held: () => Promise<boolean>) => Promise<unknown>): Promise<JobRunResult> {
    const paused = async () => (await this.deps.pause.current()) !== null;
    if (await paused()) {
      return { outcome: 'skipped', reason: 'posting is paused: the publish queue waits for /resume', detail: { code: 'paused' } };
    }
    // Asked again before each draft: a /pause that lands during a long run stops it there.
    return summarise(await process(paused));
  }
}

/** Turns a service's return value into a small record: array lengths become counts. */
function summarise(value: unknown): JobRunResult {
  if (Array.isArray(value)) return { outcome: 'ok', reason: null, detail: { handled: value.length } };
  if (value && typeof value === 'object') {
    const detail: Record<string, string | number | boolean | null> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) detail[key] = v;
      else if (typeof v === 'string' && v.length <= 200) detail[key] = v;
      else if (Array.isArray(v)) detail[key] = v.length;
    }
    return { outcome: 'ok', reason: null, detail };
  }
  return { outcome: 'ok', reason: null };
}
