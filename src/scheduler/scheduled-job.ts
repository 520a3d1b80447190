import { Cron } from 'croner';
import { exponentialDelayMs, type ExponentialDelay } from '../domain/backoff.js';
import { countMissedRuns, planNextRun, type DailyWindow, type NextOccurrence } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, SettingsRepository } from '../services/ports.js';
import { SETTINGS, type SettingKey, type StoredJobState } from '../services/settings-keys.js';

/**
 * Longer waits are re-armed in steps of at most this: a wall-clock step (NTP) is noticed within
 * a step, so a job never looks overdue to /healthz (15 s tolerance) just because its timer,
 * which runs on the monotonic clock, has not fired yet. A wake-up every 10 s costs nothing.
 */
export const MAX_TIMER_STEP_MS = 10_000;
/** A backward move of the wall clock larger than this (between two checks) replans the job. */
export const CLOCK_STEP_BACK_TOLERANCE_MS = 5_000;

/**
 * Pacing of the retries to save a job's state after the store failed (SQLITE_BUSY, SQLITE_FULL):
 * soon at first, then no more than once a minute, so a full disk is not hammered.
 */
export const STORE_RETRY_POLICY: ExponentialDelay = { baseMs: 1_000, factor: 2, capMs: 60_000 };

/** The wait before the `failures`-th retry (1-based) to save the state. */
export function storeRetryDelayMs(failures: number): number {
  return exponentialDelayMs(failures, STORE_RETRY_POLICY);
}

/** The store failed to load or save this job's state; kept until a save succeeds. */
export interface JobStoreFailure {
  readonly during: 'load' | 'persist';
  readonly error: string;
  readonly since: number;
  readonly failures: number;
  /** When the state is saved again (the next run may come sooner and save it then). */
  readonly retryAt: number;
}

/** What /healthz says about one job. */
export type JobHealth = { readonly ok: true } | { readonly ok: false; readonly detail: string };

/** How one run of a job ended, as logged and stored in settings. */
export interface JobRunResult {
  /** `ok` for work done, `skipped` when a rule said no, `failed` when the work threw. */
  readonly outcome: 'ok' | 'skipped' | 'failed';
  readonly reason: string | null;
  /** Small, JSON-safe facts about the run (draft id, counts). */
  readonly detail?: Readonly<Record<string, string | number | boolean | null>> | undefined;
}

export interface JobRunRecord extends JobRunResult {
  readonly startedAt: number;
  readonly finishedAt: number;
  /** `schedule` when the timer fired, `manual` for a direct trigger. */
  readonly via: 'schedule' | 'manual';
}

/** What a job persists in settings under `scheduler.job.<name>`. */
export interface JobState {
  readonly nextRunAt: number | null;
  readonly slotAt: number | null;
  readonly lastRun: JobRunRecord | null;
  /** Set at start-up when planned runs passed while the bot was down (they are not replayed). */
  readonly missedWhileDown: { readonly count: number; readonly detectedAt: number } | null;
}

export interface ScheduledJobOptions {
  readonly name: string;
  /** A cron expression (5 or 6 fields), read in `timezone`. */
  readonly pattern: string;
  readonly timezone: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: SettingsRepository;
  readonly run: () => Promise<JobRunResult>;
  /** Draws the jitter added to each cron slot; none when absent. */
  readonly jitter?: (() => number) | undefined;
  /** Only slots whose jittered time falls in this daily window are planned. */
  readonly activeHours?: DailyWindow | null | undefined;
  /**
   * Whether to arm a real timer. The timer waits `nextRunAt - clock.now()`, so with a manual
   * test clock it effectively never fires and tests call `runIfDue()`/`trigger()` instead.
   */
  readonly armTimer?: boolean | undefined;
  /** A frequent housekeeping job: its successful runs are logged at debug, not info. */
  readonly quiet?: boolean | undefined;
}

/** The settings key a job's state lives under. */
export const jobStateKey = (name: string): SettingKey<StoredJobState> => SETTINGS.jobState.for(name);

// The registry's schema validates what start() reads back: this stops compiling if the two drift apart.
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _jobStateMatchesRegistry: SameShape<JobState, StoredJobState> = true;

/**
 * One cron job. croner does the calendar arithmetic (the pattern in the configured time zone);
 * this class owns the timing so the injected clock is the only source of time: it plans the
 * next run from "now" (so runs missed while the bot was down are never replayed in a burst),
 * protects against overlapping runs, and persists its next run and last outcome.
 */
export class ScheduledJob {
  readonly name: string;
  private readonly cron: Cron;
  private readonly log: Logger;
  private state: JobState = { nextRunAt: null, slotAt: null, lastRun: null, missedWhileDown: null };
  private running: Promise<JobRunRecord> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private failure: JobStoreFailure | null = null;
  private wake: number | null = null;
  /** The clock's reading at the last check, to notice a backward wall-clock step. */
  private lastSeenNow: number | null = null;

  constructor(private readonly options: ScheduledJobOptions) {
    this.name = options.name;
    // Paused and without a callback: croner never starts a timer of its own for this instance.
    this.cron = new Cron(options.pattern, { timezone: options.timezone, paused: true });
    this.log = options.logger.child({ component: 'scheduler', job: options.name });
  }

  /** The next cron slot strictly after `after`, per croner. */
  readonly nextOccurrence: NextOccurrence = (after) => this.cron.nextRun(new Date(after))?.getTime() ?? null;

  get nextRunAt(): number | null {
    return this.state.nextRunAt;
  }

  get lastRun(): JobRunRecord | null {
    return this.state.lastRun;
  }

  /** Between start() and stop(). */
  get isStarted(): boolean {
    return this.started;
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  snapshot(): JobState {
    return this.state;
  }

  /** The store's last failure to load or save this job's state, until a save succeeds. */
  get storeFailure(): JobStoreFailure | null {
    return this.failure;
  }

  /**
   * When the job next wakes (its planned run, or sooner to retry a failed save); null when it
   * never will. Kept with or without a real timer, so tests driving a manual clock can see that
   * a job stays armed.
   */
  get wakeAt(): number | null {
    return this.wake;
  }

  /**
   * Failing from the first missed run: when its state could not be saved, or (with
   * `checkOverdue`, i.e. real timers) when its planned time passed by more than `toleranceMs`
   * without a run starting. A job still running is not stuck.
   */
  health(now: number, options: { checkOverdue: boolean; toleranceMs: number }): JobHealth {
    if (!this.started) return { ok: false, detail: `${this.name}: not running` };
    if (this.failure) {
      const { during, error, since, failures } = this.failure;
      return {
        ok: false,
        detail: `${this.name}: could not ${during === 'load' ? 'load' : 'save'} its state since ${new Date(since).toISOString()} (${failures}x): ${error}`,
      };
    }
    const { nextRunAt } = this.state;
    if (options.checkOverdue && !this.running && nextRunAt !== null && nextRunAt < now - options.toleranceMs) {
      return { ok: false, detail: `${this.name}: missed its run planned at ${new Date(nextRunAt).toISOString()}` };
    }
    return { ok: true };
  }

  /** Loads the stored state, counts (never replays) the runs missed while down, plans from now. */
  async start(): Promise<void> {
    const now = this.options.clock.now();
    let stored: JobState | null = null;
    try {
      stored = await this.options.settings.get(jobStateKey(this.name));
    } catch (error) {
      // A locked or broken store must not keep the job from running: plan from now (runs missed
      // while down cannot be counted then) and keep retrying to save, which /healthz reports.
      this.noteStoreFailure('load', error, now);
    }
    const missed = stored ? countMissedRuns({ now, plannedSlotAt: stored.slotAt, plannedRunAt: stored.nextRunAt, nextOccurrence: this.nextOccurrence }) : 0;
    this.state = {
      nextRunAt: null,
      slotAt: null,
      lastRun: stored?.lastRun ?? null,
      missedWhileDown: missed > 0 ? { count: missed, detectedAt: now } : null,
    };
    if (missed > 0) {
      this.log.warn('scheduled runs were missed while the bot was down; they are not replayed', {
        missed,
        plannedRunAt: stored?.nextRunAt,
      });
    }
    this.started = true;
    this.lastSeenNow = now;
    await this.replan(now);
  }

  /**
   * Disarms the timer and waits for a run in progress, at most `waitMs`: shutdown has a budget,
   * and whatever a run leaves half done (a publish lease, a pending draft) is durable and
   * picked up at the next start.
   */
  async stop(waitMs = 5_000): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake = null;
    this.cron.stop();
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn('run still in progress at shutdown; not waiting any longer', { waitMs });
        resolve();
      }, waitMs);
    });
    await Promise.race([
      this.running.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
    clearTimeout(timer);
  }

  /** Runs the job if its planned time has come (by the injected clock); null when not due. */
  async runIfDue(): Promise<JobRunRecord | null> {
    const now = this.options.clock.now();
    const lastSeen = this.lastSeenNow;
    this.lastSeenNow = now;
    if (lastSeen !== null && now < lastSeen - CLOCK_STEP_BACK_TOLERANCE_MS && !this.running && this.started) {
      // The wall clock stepped back (NTP, an operator, a VM restore): the run planned before the
      // step is now that much further away, and a one-minute job would sit idle for the size of
      // the step. Plan again from the new now.
      this.log.warn('the wall clock stepped back; planning the next run again', { steppedBackMs: lastSeen - now });
      await this.replan(now);
    }
    if (this.failure && this.failure.retryAt <= now && !this.running) {
      await this.persist(now);
      this.arm();
    }
    const { nextRunAt } = this.state;
    if (nextRunAt === null || nextRunAt > now) return null;
    return this.trigger('schedule');
  }

  /**
   * Runs the job now. A run already in progress is not joined or repeated: the call returns a
   * `skipped` record at once, because two overlapping post runs could both pass the pending cap.
   */
  async trigger(via: 'schedule' | 'manual' = 'manual'): Promise<JobRunRecord> {
    const now = this.options.clock.now();
    if (this.running) {
      this.log.warn('run skipped: the previous run is still in progress');
      return { outcome: 'skipped', reason: 'the previous run is still in progress', startedAt: now, finishedAt: now, via };
    }
    const run = this.execute(via, now);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = null;
      // Whatever happened in the run or to its bookkeeping, the job wakes again.
      this.arm();
    }
  }

  private async execute(via: 'schedule' | 'manual', startedAt: number): Promise<JobRunRecord> {
    let result: JobRunResult;
    try {
      result = await this.options.run();
    } catch (error) {
      this.log.error('run failed', { error });
      result = { outcome: 'failed', reason: (error as Error).message ?? String(error) };
    }
    const finishedAt = this.options.clock.now();
    const record: JobRunRecord = { ...result, startedAt, finishedAt, via };
    const meta = { reason: result.reason, ...result.detail, via };
    if (result.outcome === 'failed') this.log.error('run failed', meta);
    else if (result.outcome === 'ok' && this.options.quiet) this.log.debug('run ok', meta);
    else this.log.info(`run ${result.outcome}`, meta);
    this.state = { ...this.state, lastRun: record };
    // A manual run does not move the schedule; a scheduled one plans the next slot from now.
    if (via === 'schedule' || this.state.nextRunAt === null || this.state.nextRunAt <= finishedAt) await this.replan(finishedAt);
    else await this.persist(finishedAt);
    return record;
  }

  private async replan(now: number): Promise<void> {
    const plan = planNextRun({
      now,
      nextOccurrence: this.nextOccurrence,
      jitterMs: this.options.jitter ? this.options.jitter() : 0,
      activeHours: this.options.activeHours ?? null,
      timeZone: this.options.timezone,
    });
    this.state = { ...this.state, nextRunAt: plan?.runAt ?? null, slotAt: plan?.slotAt ?? null };
    if (plan) this.log.debug('next run planned', { runAt: new Date(plan.runAt).toISOString(), jitterMs: plan.jitterMs });
    else this.log.warn('no run can be planned within 8 days: check the schedule against the active hours');
    await this.persist(now);
    this.arm();
  }

  /**
   * Saves the state; never throws. A failure is kept (for /healthz) and retried with backoff:
   * the state in memory stays authoritative for this process, so the job keeps its schedule.
   */
  private async persist(now: number): Promise<boolean> {
    try {
      await this.options.settings.set(jobStateKey(this.name), this.state, now);
    } catch (error) {
      this.noteStoreFailure('persist', error, now);
      return false;
    }
    if (this.failure) this.log.info('job state saved again', { failedSince: new Date(this.failure.since).toISOString(), failures: this.failure.failures });
    this.failure = null;
    return true;
  }

  private noteStoreFailure(during: 'load' | 'persist', error: unknown, now: number): void {
    const failures = (this.failure?.failures ?? 0) + 1;
    const retryAt = now + storeRetryDelayMs(failures);
    const message = error instanceof Error ? error.message : String(error);
    this.failure = { during, error: message, since: this.failure?.since ?? now, failures, retryAt };
    this.log.error(`could not ${during === 'load' ? 'load' : 'save'} the job state; retrying`, { error, failures, retryAt: new Date(retryAt).toISOString() });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const candidates = [this.state.nextRunAt, this.failure?.retryAt ?? null].filter((t): t is number => t !== null);
    this.wake = this.started && candidates.length > 0 ? Math.min(...candidates) : null;
    // A run in progress re-arms when it ends (trigger's finally); a timer now would spin on a past time.
    if (this.wake === null || this.running || this.options.armTimer === false) return;
    const delay = Math.max(0, Math.min(MAX_TIMER_STEP_MS, this.wake - this.options.clock.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Early (a long wait in steps, or a clock that moved): runIfDue returns null. Either way
      // the job is re-armed here, so no failure in a run or in the store can stop it for good.
      this.runIfDue().then(
        () => this.arm(),
        (error: unknown) => {
          this.log.error('timer run failed', { error });
          this.arm();
        },
      );
    }, delay);
    // The Discord connection keeps the process alive; a pending job must not block exit.
    this.timer.unref();
  }
}
