import type { Clock, MonotonicClock } from '../../src/services/ports.js';

/**
 * A clock tests move by hand; it never reads real time. It also drives a monotonic clock:
 * `advance` (and a forward `set`) is time passing, which both clocks see; `step` is a wall-clock
 * step (NTP, an operator, a VM resume) that the monotonic clock does not see.
 */
export class ManualClock implements Clock {
  private elapsed = 0;
  /** The process's monotonic clock (performance.now() in production). */
  readonly monotonic: MonotonicClock = { now: () => this.elapsed };

  constructor(private current: number = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
    this.elapsed += Math.max(0, ms);
  }
  set(ms: number): void {
    this.elapsed += Math.max(0, ms - this.current);
    this.current = ms;
  }
  /** Moves the wall clock only, by `ms` (negative steps back). */
  step(ms: number): void {
    this.current += ms;
  }
}
