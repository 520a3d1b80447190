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

  it('GIVEN a deadline 200 ms ahead and no exact option THEN the timer still waits at least a second (moderation deadlines keep their pacing)', async () => {
    deadlines = [now + 200];
    const t = timer();
    await t.startArmed();
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await t.stop();
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

describe('deadline timer: exact wake-ups (issue 13)', () => {
  let now: number;
  let runs: number[];

  beforeEach(() => {
    vi.useFakeTimers();
    now = 1_000_000;
    runs = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A timer whose clock follows the fake timers (vi.advanceTimersByTimeAsync moves Date.now()). */
  const timerOver = (nextDeadline: () => Promise<number | null>, options: { armTimers?: boolean } = {}) =>
    new DeadlineTimer({
      clock: { now: () => Date.now() },
      nextDeadline,
      run: async () => {
        runs.push(Date.now());
        return runs.length;
      },
      logger: createSilentLogger(),
      maxDelayMs: 60_000,
      exact: true,
      ...options,
    });

  it('GIVEN a deadline 200 ms ahead WHEN the timer arms THEN it runs at that deadline, not a second later', async () => {
    vi.setSystemTime(now);
    let deadline: number | null = now + 200;
    const t = timerOver(async () => deadline);
    await t.startArmed();
    expect(t.nextRunAt).toBe(now + 200);
    deadline = null;
    await vi.advanceTimersByTimeAsync(199);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual([now + 200]);
    await t.stop();
  });

  it('GIVEN a deadline already due WHEN the timer is rescheduled THEN it runs at once; still due right after that run THEN it waits the minimum delay instead of spinning', async () => {
    vi.setSystemTime(now);
    const t = timerOver(async () => now - 1);
    await t.startArmed();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual([now]);
    await vi.advanceTimersByTimeAsync(999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    await t.stop();
  });

  it('GIVEN a change announced while an arming is still reading the old deadline THEN the timer reads again and arms for the new one', async () => {
    vi.setSystemTime(now);
    let deadline = now + 30_000;
    let release: (() => void) | undefined;
    const t = timerOver(async () => {
      const seen = deadline;
      if (!release) await new Promise<void>((resolve) => (release = resolve));
      return seen;
    });
    const first = t.startArmed();
    await vi.advanceTimersByTimeAsync(0);
    // The first arming has read 30 s; the deadline moves to 2 s before it finishes.
    deadline = now + 2_000;
    const second = t.reschedule();
    release?.();
    await Promise.all([first, second]);
    expect(t.nextRunAt).toBe(now + 2_000);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toEqual([now + 2_000]);
    await t.stop();
  });

  it('GIVEN armTimers false THEN nothing runs by itself, nextRunAt is still known and runNow resolves with the run result', async () => {
    vi.setSystemTime(now);
    const t = timerOver(async () => now + 100, { armTimers: false });
    await t.startArmed();
    expect(t.nextRunAt).toBe(now + 100);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(runs).toEqual([]);
    expect(await t.runNow()).toBe(1);
    await t.stop();
  });
});
