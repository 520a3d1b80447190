import type { Clock } from '../../src/services/ports.js';

/** A clock tests move by hand; it never reads real time. */
export class ManualClock implements Clock {
  constructor(private current: number = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}
