import type { Logger } from '../logging/index.js';
import type { Clock } from './ports.js';

/** Default pause before running again when work is still overdue right after a run. */
const MIN_DELAY_MS = 1_000;

export interface DeadlineTimerOptions<T = unknown> {
  readonly clock: Clock;
  /** The earliest deadline still ahead (or overdue), or null when nothing waits. */
  readonly nextDeadline: () => Promise<number | null>;
  /** Handles everything overdue; must be safe to run at any time. */
  readonly run: () => Promise<T>;
  readonly logger: Logger;
  /**
   * Longest real-time wait between runs. Deadlines live in the database and may change under
   * the timer (new drafts, regenerations, another process), so it never sleeps longer than this.
   */
  readonly maxDelayMs?: number | undefined;
  /** Shortest wait between two runs (default 1 s); with `exact`, only after a run. */
  readonly minDelayMs?: number | undefined;
  /**
   * Exact wake-ups: a deadline ahead is waited for exactly, however close, and one already due
   * when the timer is (re)armed from outside runs at once. Only a deadline still due right after
   * a run (a full batch, a failing update, work another caller is carrying) waits `minDelayMs`,
   * so the timer never spins. Without it, every wait is at least `minDelayMs`.
   */
  readonly exact?: boolean | undefined;
  /**
   * Whether to set real timers (default true). Tests driving a manual clock turn them off and
   * call `runNow()`; `nextRunAt` is still kept, from the injected clock.
   */
  readonly armTimers?: boolean | undefined;
}

/**
 * Runs `run` when the next deadline in the database is due, then re-arms. It keeps nothing that
 * a restart would lose: each arming re-reads the next deadline, so overdue work found at start-up
 * runs at once and the rest runs on time. One run at a time; one arming at a time, and a change
 * announced (`reschedule`) while an arming is reading is read again, so no change is missed.
 * Used for the moderation deadlines and for the publish queue's due times.
 */
export class DeadlineTimer<T = unknown> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private arming: Promise<void> | undefined;
  /** An arming asked for while one was in progress (its overdue delay): the loop arms once more. */
  private requestedDelay: number | undefined;
  private stopped = true;
  /** Clock time the timer is armed for (for status and tests); null when idle or stopped. */
  nextRunAt: number | null = null;

  constructor(private readonly options: DeadlineTimerOptions<T>) {}

  /** Runs once now (handling whatever is overdue), then keeps running on deadlines. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.runNow().catch(() => undefined);
  }

  /** Starts without a run: arms for the next deadline (at once if one is overdue). */
  async startArmed(): Promise<void> {
    this.stopped = false;
    await this.armSerially(this.options.exact ? 0 : this.minDelayMs);
  }

  private get minDelayMs(): number {
    return this.options.minDelayMs ?? MIN_DELAY_MS;
  }

  /**
   * Runs now and re-arms; concurrent calls share one run. Resolves with the run's result, or
   * rejects with its error (logged here too); the timer re-arms either way.
   */
  runNow(): Promise<T> {
    this.running ??= this.tick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Re-reads the next deadline and re-arms without running: a decision, a new draft or a new
   * schedule may have moved it. A deadline already due runs at once. A run in progress re-arms by
   * itself when it ends.
   */
  async reschedule(): Promise<void> {
    if (this.stopped) return;
    if (this.running && !this.arming) return;
    await this.armSerially(this.options.exact ? 0 : this.minDelayMs);
  }

  /** Stops arming and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.running?.catch(() => undefined);
    await this.arming;
  }

  private async tick(): Promise<T> {
    this.clear();
    try {
      return await this.options.run();
    } catch (error) {
      this.options.logger.error('deadline run failed', { error });
      throw error;
    } finally {
      // Still overdue right after a run means a full batch or a failing update: pause, do not spin.
      await this.armSerially(this.minDelayMs);
    }
  }

  /**
   * Arms after any arming in progress. `overdueDelayMs` is the wait if the next deadline is
   * already due; when requests pile up the longest wins, so a run's "do not spin" pause is never
   * cut to zero by a change announced meanwhile (a deadline still ahead is waited for exactly).
   */
  private armSerially(overdueDelayMs: number): Promise<void> {
    this.requestedDelay = this.requestedDelay === undefined ? overdueDelayMs : Math.max(this.requestedDelay, overdueDelayMs);
    this.arming ??= (async () => {
      while (this.requestedDelay !== undefined && !this.stopped) {
        const delay = this.requestedDelay;
        this.requestedDelay = undefined;
        await this.arm(delay);
      }
      this.requestedDelay = undefined;
    })().finally(() => {
      this.arming = undefined;
    });
    return this.arming;
  }

  private async arm(overdueDelayMs: number): Promise<void> {
    if (this.stopped) return;
    const maxDelay = this.options.maxDelayMs ?? 60_000;
    let next: number | null = null;
    try {
      next = await this.options.nextDeadline();
    } catch (error) {
      this.options.logger.error('reading the next deadline failed', { error });
    }
    if (this.stopped) return;
    this.clear();
    const now = this.options.clock.now();
    const wait = next === null ? maxDelay : next > now ? next - now : 0;
    const delay = Math.min(this.options.exact && next !== null && next > now ? wait : Math.max(wait, overdueDelayMs), maxDelay);
    this.nextRunAt = next;
    if (this.options.armTimers === false) return;
    this.timer = setTimeout(() => void this.runNow().catch(() => undefined), delay);
    this.timer.unref();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRunAt = null;
  }
}
