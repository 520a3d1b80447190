import { capUsage, DAY_MS } from '../domain/rate-limits.js';
import { decidePostRun, drawJitter, type DailyWindow, type PauseState, type PostRunDecision } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, DraftRepository, PauseStateReader, PostRepository, SettingsRepository } from '../services/ports.js';
import { ScheduledJob, type JobRunRecord, type JobRunResult, type JobState } from './scheduled-job.js';

/** The timeout sweeper looks for overdue drafts twice a minute. */
export const SWEEP_SCHEDULE = '*/30 * * * * *';
/**
 * The publish queue's safety sweep, once a minute, offset from the sweeper. The publish timer
 * (src/app.ts) wakes the queue at each due time; this only catches what no announcement reached.
 */
export const PUBLISH_QUEUE_SCHEDULE = '15 * * * * *';

/** Names of the jobs, as they appear in logs and in settings (`scheduler.job.<name>`). */
export const JOB_NAMES = {
  /** One post job per account: `post:<accountId>`. */
  post: (accountId: string) => `post:${accountId}`,
  timeoutSweep: 'timeout-sweep',
  publishQueue: 'publish-queue',
  engagement: 'engagement-refresh',
  backup: 'backup',
  cards: 'card-reconcile',
  keepAhead: 'keep-ahead',
  mediaSweep: 'media-sweep',
  /** One per account (issue 15): the daily avoid notes, `voice-notes:<accountId>`. */
  voiceNotes: (accountId: string) => `voice-notes:${accountId}`,
} as const;

/** The daily sweep of unused image files (issue 14), away from the default backup time (03:40) so the two never run together. */
export const MEDIA_SWEEP_SCHEDULE = '25 4 * * *';

/**
 * The daily avoid notes (issue 15), read in each account's own time zone: after the backup (03:40)
 * and the media sweep (04:25), before the engagement refresh (:17 every 3 hours) comes round again.
 */
export const VOICE_NOTES_SCHEDULE = '35 4 * * *';

/**
 * Keep-ahead's safety sweep (only with keepAhead > 0): every 5 minutes, offset from the other
 * jobs. Keep-ahead mostly runs when the count drops (a decision, a publication); this catches the
 * rest (active hours opening, a backoff ending, a /resume of generation).
 */
export const KEEP_AHEAD_SCHEDULE = '50 */5 * * * *';

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
}

/**
 * A housekeeping job, as the composition root defines it. The scheduler plans, runs, persists
 * and reports it like the post jobs; what it does is `run`'s business.
 */
export interface JobDefinition {
  /** As it appears in logs and in settings (`scheduler.job.<name>`); see JOB_NAMES. */
  readonly name: string;
  /** A cron expression (5 or 6 fields), read in `timezone`, else the scheduler's time zone. */
  readonly pattern: string;
  /** An account's own job (the daily avoid notes) runs at its local time; absent: the scheduler's time zone. */
  readonly timezone?: string | undefined;
  readonly run: () => Promise<JobRunResult>;
  /** A frequent housekeeping job: its successful runs are logged at debug, not info. */
  readonly quiet?: boolean | undefined;
  /** Asked before each run: a reason (e.g. /pause) skips the run with that reason instead of running it. */
  readonly held?: (() => Promise<string | null>) | undefined;
}

/**
 * One account's post job: its schedule, jitter and active hours in its own time zone, and the
 * counts that decide whether a run generates a draft. Every run generates at most one draft,
 * and only when the account is not paused, its pending cap has room and its daily cap leaves
 * room today.
 */
export interface PostJobDefinition {
  readonly accountId: string;
  readonly config: PostingSchedulerConfig;
  readonly drafts: Pick<DraftRepository, 'countByStatus'>;
  readonly posts: Pick<PostRepository, 'publicationTimesSince'>;
  readonly pause: PauseStateReader;
  /** Generates one draft and posts its moderation card. */
  readonly generateDraft: (trigger: 'schedule') => Promise<ScheduledGenerationOutcome>;
}

export interface PostingSchedulerDeps {
  readonly clock: Clock;
  readonly rng: () => number;
  readonly logger: Logger;
  /** Where every job keeps its state (`scheduler.job.<name>`): the bot-wide settings. */
  readonly settings: SettingsRepository;
  /** The time zone the housekeeping jobs' patterns are read in (post jobs use their account's). */
  readonly timezone: string;
  /** One per account, in the order `runDue()` runs them, first. */
  readonly postJobs: readonly PostJobDefinition[];
  /** The other jobs, in the order `runDue()` runs them after the post jobs. */
  readonly jobs: readonly JobDefinition[];
  /** False in tests that drive the jobs with a manual clock; default true. */
  readonly armTimers?: boolean | undefined;
}

/** What /status shows about the scheduler. */
export interface SchedulerStatus {
  /** Any pause, whatever it holds (its `scope` says what). */
  readonly pause: PauseState | null;
  readonly nextRunAt: number | null;
  readonly lastRun: JobRunRecord | null;
  readonly missedWhileDown: JobState['missedWhileDown'];
  readonly running: boolean;
}

/**
 * The posting scheduler: one post job per account (its POST_SCHEDULE in its time zone plus
 * jitter, within its active hours) and the jobs it is given (timeout sweep, publish queue,
 * engagement refresh, card reconcile, backup), each a {@link ScheduledJob}.
 */
export class PostingScheduler {
  readonly jobs: readonly ScheduledJob[];
  private readonly postJobs: ReadonlyMap<string, { readonly job: ScheduledJob; readonly definition: PostJobDefinition }>;
  private readonly log: Logger;

  constructor(private readonly deps: PostingSchedulerDeps) {
    const { clock, logger, settings } = deps;
    this.log = logger.child({ component: 'scheduler' });
    const common = { clock, logger, settings, armTimer: deps.armTimers ?? true };
    const postJobs = new Map<string, { job: ScheduledJob; definition: PostJobDefinition }>();
    for (const definition of deps.postJobs) {
      const { config } = definition;
      const job = new ScheduledJob({
        ...common,
        timezone: config.timezone,
        name: JOB_NAMES.post(definition.accountId),
        pattern: config.schedule,
        jitter: () => drawJitter(config.jitterMs, deps.rng),
        activeHours: config.activeHours,
        run: () => this.runPost(definition),
      });
      postJobs.set(definition.accountId, { job, definition });
    }
    this.postJobs = postJobs;
    this.jobs = [
      ...[...postJobs.values()].map((p) => p.job),
      ...deps.jobs.map(
        (job) =>
          new ScheduledJob({
            ...common,
            timezone: job.timezone ?? deps.timezone,
            name: job.name,
            pattern: job.pattern,
            quiet: job.quiet,
            run: () => this.runUnlessHeld(job),
          }),
      ),
    ];
  }

  /** An account's post job; without an id, the first account's (the only one in a single-account setup). */
  postJob(accountId?: string): ScheduledJob {
    return this.postJobEntry(accountId).job;
  }

  private postJobEntry(accountId: string | undefined): { readonly job: ScheduledJob; readonly definition: PostJobDefinition } {
    const entry = accountId === undefined ? this.postJobs.values().next().value : this.postJobs.get(accountId);
    if (!entry) throw new Error(accountId === undefined ? 'the scheduler has no post job' : `no post job for the account ${accountId}`);
    return entry;
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

  /** An account's post job and pause, for /status; without an id, the first account's. */
  async status(accountId?: string): Promise<SchedulerStatus> {
    const { job, definition } = this.postJobEntry(accountId);
    const snapshot = job.snapshot();
    return {
      pause: await definition.pause.current(),
      nextRunAt: snapshot.nextRunAt,
      lastRun: snapshot.lastRun,
      missedWhileDown: snapshot.missedWhileDown,
      running: job.isRunning,
    };
  }

  /** What an account's post run would decide right now, without generating anything; without an id, the first account's. */
  async checkPostRun(accountId?: string): Promise<PostRunDecision> {
    return this.decidePostRun(this.postJobEntry(accountId).definition);
  }

  private async decidePostRun({ config, drafts, posts, pause: pauseReader }: PostJobDefinition): Promise<PostRunDecision> {
    const now = this.deps.clock.now();
    // Only a pause that holds generation skips a post run; one of publishing only lets drafts be written.
    const [pause, counts, times] = await Promise.all([pauseReader.holdsGeneration(), drafts.countByStatus(), posts.publicationTimesSince(now - DAY_MS)]);
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

  private async runPost(definition: PostJobDefinition): Promise<JobRunResult> {
    const decision = await this.decidePostRun(definition);
    if (!decision.generate) return { outcome: 'skipped', reason: decision.reason, detail: { code: decision.code } };
    const outcome = await definition.generateDraft('schedule');
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
   * Runs a job now (e.g. the publish queue after /resume), without waiting for its next tick. A
   * run already in progress is not repeated; null for a job that does not exist.
   */
  async runNow(name: string): Promise<JobRunRecord | null> {
    return (await this.job(name)?.trigger('manual')) ?? null;
  }

  private async runUnlessHeld(job: JobDefinition): Promise<JobRunResult> {
    const heldBecause = job.held ? await job.held() : null;
    if (heldBecause !== null) return { outcome: 'skipped', reason: heldBecause, detail: { code: 'paused' } };
    return job.run();
  }
}

/** Turns a service's return value into a small record: array lengths become counts. */
export function summarise(value: unknown): JobRunResult {
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
