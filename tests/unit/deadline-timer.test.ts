import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../../src/logging/index.js';
import { DeadlineTimer } from '../../src/services/deadline-timer.js';

describe('deadline timer', () => {
  let now: number;
  let deadlines: number[];
  let runs: number;

  const timer = () =>
    new DeadlineTimer({
      clock: { now: () => now },
      nextDeadline: async () => (deadlines.length > 0 ? Math.min(...deadlines) : null),
      run: async () => {
        runs += 1;
        deadlines = deadlines.filter((d) => d > now);
      },
      logger: createSilentLogger(),
      maxDelayMs: 60_000,
    });

  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
    runs = 0;
    deadlines = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('GIVEN an overdue deadline at start THEN it runs at once, then arms for the next deadline', async () => {
    deadlines = [now - 5, now + 30_000];
    const t = timer();
    await t.start();
    expect(runs).toBe(1);
    expect(t.nextRunAt).toBe(now + 30_000);
    now += 30_000;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(runs).toBe(2);
    expect(t.nextRunAt).toBeNull();
    await t.stop();
  });

  it('GIVEN a far deadline THEN it never sleeps longer than the cap, and a new earlier deadline is picked up by reschedule', async () => {
    deadlines = [now + 3_600_000];
    const t = timer();
    await t.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(2);
    deadlines.push(now + 10_000);
    await t.reschedule();
    expect(t.nextRunAt).toBe(now + 10_000);
    await t.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    // Stopped: nothing runs any more.
    expect(runs).toBe(2);
  });

  it('GIVEN a run that fails THEN the error is logged and the timer keeps going', async () => {
    const failing = new DeadlineTimer({
      clock: { now: () => now },
      nextDeadline: async () => now + 1_000,
      run: async () => {
        runs += 1;
        throw new Error('database is locked');
      },
      logger: createSilentLogger(),
    });
    await failing.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    await failing.stop();
  });
});
