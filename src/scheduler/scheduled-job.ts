import { Cron } from 'croner';
import { countMissedRuns, planNextRun, type DailyWindow, type NextOccurrence } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, SettingsRepository } from '../services/ports.js';

/** The longest single setTimeout Node accepts; longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2_147_483_647;

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
export const jobStateKey = (name: string): string => `scheduler.job.${name}`;

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

  /** Loads the stored state, counts (never replays) the runs missed while down, plans from now. */
  async start(): Promise<void> {
    const now = this.options.clock.now();
    const stored = await this.options.settings.get<JobState>(jobStateKey(this.name));
    const missed = stored
      ? countMissedRuns({ now, plannedSlotAt: stored.slotAt, plannedRunAt: stored.nextRunAt, nextOccurrence: this.nextOccurrence })
      : 0;
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
    this.cron.stop();
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn('run still in progress at shutdown; not waiting any longer', { waitMs });
        resolve();
      }, waitMs);
    });
    await Promise.race([this.running.then(() => undefined, () => undefined), timeout]);
    clearTimeout(timer);
  }

  /** Runs the job if its planned time has come (by the injected clock); null when not due. */
  async runIfDue(): Promise<JobRunRecord | null> {
    const { nextRunAt } = this.state;
    if (nextRunAt === null || nextRunAt > this.options.clock.now()) return null;
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

  private async persist(now: number): Promise<void> {
    await this.options.settings.set(jobStateKey(this.name), this.state, now);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started || this.options.armTimer === false || this.state.nextRunAt === null) return;
    const delay = Math.max(0, Math.min(MAX_TIMER_MS, this.state.nextRunAt - this.options.clock.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Early (a long wait in steps, or a clock that moved): runIfDue returns null and we re-arm.
      this.runIfDue().then(
        (record) => {
          if (record === null) this.arm();
        },
        (error: unknown) => this.log.error('timer run failed', { error }),
      );
    }, delay);
    // The Discord connection keeps the process alive; a pending job must not block exit.
    this.timer.unref();
  }
}
