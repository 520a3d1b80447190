import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logging/index.js';
import { ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import type { SettingsRepository } from '../../src/services/ports.js';
import { ManualClock } from '../support/manual-clock.js';
import type { SettingKey } from '../../src/services/settings-keys.js';

const T0 = Date.parse('2026-11-25T12:00:30Z');

class MemorySettings implements SettingsRepository {
  readonly values = new Map<string, unknown>();
  async get<T>({ key }: SettingKey<T>): Promise<T | null> {
    return (this.values.get(key) as T | undefined) ?? null;
  }
  async set<T>({ key }: SettingKey<T>, value: T | null): Promise<void> {
    this.values.set(key, value);
  }
}

describe('scheduled jobs and wall-clock steps (issue 10, item 6)', () => {
  it('GIVEN a job that runs every minute WHEN the wall clock steps back one hour THEN it keeps running every minute instead of waiting an hour for its old slot', async () => {
    const clock = new ManualClock(T0);
    let runs = 0;
    const job = new ScheduledJob({
      name: 'publish-queue',
      pattern: '* * * * *',
      timezone: 'UTC',
      clock,
      logger: createSilentLogger(),
      settings: new MemorySettings(),
      armTimer: false,
      run: async () => {
        runs += 1;
        return { outcome: 'ok', reason: null };
      },
    });
    await job.start();
    clock.advance(60_000);
    expect(await job.runIfDue()).not.toBeNull();
    expect(runs).toBe(1);

    clock.step(-60 * 60_000);
    // The armed timer wakes the job at least every MAX_TIMER_STEP_MS (10 s): two minutes of wake-ups.
    for (let i = 0; i < 12; i++) {
      clock.advance(10_000);
      await job.runIfDue();
    }
    expect(runs).toBe(3);
    expect(job.nextRunAt).toBeLessThanOrEqual(clock.now() + 60_000);
    await job.stop();
  });

  it('GIVEN a job planned far ahead (every two hours) WHEN no clock step happens THEN runIfDue does not replan it early', async () => {
    const clock = new ManualClock(T0);
    let runs = 0;
    const job = new ScheduledJob({
      name: 'post',
      pattern: '0 */2 * * *',
      timezone: 'UTC',
      clock,
      logger: createSilentLogger(),
      settings: new MemorySettings(),
      armTimer: false,
      jitter: () => 17 * 60_000,
      run: async () => {
        runs += 1;
        return { outcome: 'ok', reason: null };
      },
    });
    await job.start();
    const planned = job.nextRunAt;
    for (let i = 0; i < 10; i++) {
      clock.advance(10_000);
      expect(await job.runIfDue()).toBeNull();
    }
    expect(job.nextRunAt).toBe(planned);
    expect(runs).toBe(0);
    await job.stop();
  });
});
