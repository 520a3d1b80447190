import type { ManualClock } from './manual-clock.js';

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly run: () => Promise<void> | void;
}

/**
 * Timers that fire only when a test moves its ManualClock with `advance`: each due timer runs in
 * time order, and `advance` awaits what it returns (a service's step), so the test sees its effect.
 * Pass `set` / `clear` where a service takes `setTimer` / `clearTimer`.
 */
export class ManualTimers {
  private pending: PendingTimer[] = [];
  private nextId = 1;

  constructor(private readonly clock: ManualClock) {}

  readonly set = (run: () => Promise<void> | void, ms: number): unknown => {
    const timer = { id: this.nextId++, at: this.clock.monotonic.now() + ms, run };
    this.pending.push(timer);
    return timer.id;
  };

  readonly clear = (handle: unknown): void => {
    this.pending = this.pending.filter((t) => t.id !== handle);
  };

  /** How many timers are armed. */
  get size(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms` (wall and monotonic), running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.monotonic.now() + ms;
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.clock.advance(Math.max(0, due.at - this.clock.monotonic.now()));
      await due.run();
      await drainMicrotasks();
    }
    this.clock.advance(Math.max(0, end - this.clock.monotonic.now()));
  }
}

/** Lets promise chains started by a timer (handlers run after a step) finish; no real time passes. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
