import type { Logger } from '../logging/index.js';
import type { Clock } from './ports.js';

/** Shortest wait between two runs. */
const MIN_DELAY_MS = 1_000;

export interface DeadlineTimerOptions {
  readonly clock: Clock;
  /** The earliest deadline still ahead (or overdue), or null when nothing waits. */
  readonly nextDeadline: () => Promise<number | null>;
  /** Handles everything overdue; must be safe to run at any time. */
  readonly run: () => Promise<unknown>;
  readonly logger: Logger;
  /**
   * Longest real-time wait between runs. Deadlines live in the database and may change under
   * the timer (new drafts, regenerations, another process), so it never sleeps longer than this.
   */
  readonly maxDelayMs?: number | undefined;
}

/**
 * Runs `run` when the next deadline in the database is due, then re-arms. It keeps nothing that
 * a restart would lose: each arming re-reads the next deadline, so overdue work found at start-up
 * runs at once and the rest runs on time. The scheduler may later replace it with a croner job
 * calling the same `run`.
 */
export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Clock time the timer is armed for (for status and tests); null when idle or stopped. */
  nextRunAt: number | null = null;

  constructor(private readonly options: DeadlineTimerOptions) {}

  /** Runs once now (handling whatever is overdue), then keeps running on deadlines. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.runNow();
  }

  /** Runs now and re-arms; concurrent calls share one run. */
  runNow(): Promise<void> {
    this.running ??= this.tick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Re-reads the next deadline and re-arms without running: a new draft or a new revision may
   * have moved it. A run in progress re-arms by itself when it ends.
   */
  async reschedule(): Promise<void> {
    if (this.stopped || this.running) return;
    await this.arm();
  }

  /** Stops arming and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.running;
  }

  private async tick(): Promise<void> {
    this.clear();
    try {
      await this.options.run();
    } catch (error) {
      this.options.logger.error('deadline run failed', { error });
    }
    await this.arm();
  }

  private async arm(): Promise<void> {
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
    // Still overdue right after a run means a full batch or a failing update: pause, do not spin.
    const delay = next === null ? maxDelay : Math.min(Math.max(next - now, MIN_DELAY_MS), maxDelay);
    this.nextRunAt = next;
    this.timer = setTimeout(() => void this.runNow(), delay);
    this.timer.unref();
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRunAt = null;
  }
}
