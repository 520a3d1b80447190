import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logging/index.js';
import { JOB_NAMES, PostingScheduler, STALL_TOLERANCE_MS, summarise, SWEEP_SCHEDULE } from '../../src/scheduler/posting-scheduler.js';

const TWICE_A_MINUTE = '15,45 * * * * *';
import { jobStateKey, storeRetryDelayMs, type JobState } from '../../src/scheduler/scheduled-job.js';
import type { SettingsRepository } from '../../src/services/ports.js';
import { ManualClock } from '../support/test-app.js';
import type { SettingKey } from '../../src/services/settings-keys.js';

const T0 = Date.parse('2026-11-25T12:05:00Z');

/** A SQLite error as better-sqlite3 raises it: a message and a `code`. */
function sqliteError(code: 'SQLITE_BUSY' | 'SQLITE_FULL'): Error {
  const message = code === 'SQLITE_BUSY' ? 'database is locked' : 'database or disk is full';
  return Object.assign(new Error(message), { code });
}

/** Settings as SQLite keeps them (JSON in and out), failing the next N writes (or reads) on request. */
class FailingSettings implements SettingsRepository {
  readonly values = new Map<string, string>();
  failWrites = 0;
  failReads = 0;
  failWith: 'SQLITE_BUSY' | 'SQLITE_FULL' = 'SQLITE_BUSY';
  async get<T>({ key }: SettingKey<T>): Promise<T | null> {
    if (this.failReads > 0) {
      this.failReads -= 1;
      throw sqliteError(this.failWith);
    }
    const value = this.values.get(key);
    return value === undefined ? null : (JSON.parse(value) as T);
  }
  async set<T>({ key }: SettingKey<T>, value: T | null): Promise<void> {
    if (this.failWrites > 0) {
      this.failWrites -= 1;
      throw sqliteError(this.failWith);
    }
    this.values.set(key, JSON.stringify(value));
  }
  stored(name: string): JobState | null {
    const value = this.values.get(jobStateKey(name).key);
    return value === undefined ? null : (JSON.parse(value) as JobState);
  }
}

const running: PostingScheduler[] = [];
afterEach(async () => {
  // Real timers are armed (with the manual clock's delays): disarm them.
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

function scheduler(clock: ManualClock, settings: SettingsRepository, options: { armTimers: boolean }): { s: PostingScheduler; sweeps: () => number } {
  let sweeps = 0;
  const s = new PostingScheduler({
    clock,
    rng: () => 0.5,
    logger: createSilentLogger(),
    settings,
    timezone: 'UTC',
    postJobs: [
      {
        accountId: 'default',
        drafts: { countByStatus: async () => ({ pending: 0, approved: 0, publishing: 0, published: 0, rejected: 0, expired: 0, failed: 0 }) },
        posts: { publicationTimesSince: async () => [] },
        pause: { current: async () => null, holdsGeneration: async () => null, holdsPublishing: async () => null },
        config: {
          schedule: '0 */2 * * *',
          timezone: 'UTC',
          jitterMs: 0,
          activeHours: null,
          maxPendingDrafts: 3,
          maxPostsPerHour: 2,
          maxPostsPerDay: 12,
        },
        generateDraft: async () => ({ status: 'skipped', reason: 'not in this test' }),
      },
    ],
    jobs: [
      {
        name: JOB_NAMES.timeoutSweep,
        pattern: SWEEP_SCHEDULE,
        quiet: true,
        run: async () => {
          sweeps += 1;
          return { outcome: 'ok', reason: null, detail: { handled: 0 } };
        },
      },
      {
        name: JOB_NAMES.publishQueue,
        // Twice a minute, as the publish queue ticked before its timer (issue 13): a second quick job beside the sweep.
        pattern: TWICE_A_MINUTE,
        quiet: true,
        held: async () => null,
        run: async () => summarise([]),
      },
    ],
    armTimers: options.armTimers,
  });
  running.push(s);
  return { s, sweeps: () => sweeps };
}

describe('item 6: one failed state write must not kill a scheduler job', () => {
  it('GIVEN a settings store that fails N times WHEN a scheduled job persists its state THEN the job is re-armed, /healthz names it with the error at once, and the state is saved with backoff', async () => {
    const clock = new ManualClock(T0);
    const settings = new FailingSettings();
    const { s, sweeps } = scheduler(clock, settings, { armTimers: true });
    await s.start();
    const sweep = s.job(JOB_NAMES.timeoutSweep)!;
    const due = sweep.nextRunAt as number;

    settings.failWrites = 3;
    clock.set(due);
    const record = await sweep.runIfDue();
    expect(record?.outcome).toBe('ok');
    expect(sweeps()).toBe(1);
    // Re-armed: the next run is planned and the job wakes (to retry the save) before it.
    const next = sweep.nextRunAt as number;
    expect(next).toBeGreaterThan(due);
    expect(sweep.wakeAt).toBe(Math.min(next, due + storeRetryDelayMs(1)));
    const health = s.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain(JOB_NAMES.timeoutSweep);
    expect(health.detail).toContain('database is locked');

    // Backoff: 1 s, then 2 s, then saved.
    clock.set(due + storeRetryDelayMs(1));
    expect(await sweep.runIfDue()).toBeNull();
    expect(sweep.storeFailure?.failures).toBe(2);
    expect(sweep.storeFailure?.retryAt).toBe(due + storeRetryDelayMs(1) + storeRetryDelayMs(2));
    clock.set(sweep.storeFailure!.retryAt);
    await sweep.runIfDue();
    expect(sweep.storeFailure?.failures).toBe(3);
    clock.set(sweep.storeFailure!.retryAt);
    await sweep.runIfDue();
    expect(sweep.storeFailure).toBeNull();
    expect(settings.stored(JOB_NAMES.timeoutSweep)?.nextRunAt).toBe(next);
    // (The other jobs' real timers cannot fire on a manual clock; only this job is judged here.)
    expect(s.health().detail ?? '').not.toContain(JOB_NAMES.timeoutSweep);

    // And it keeps running at its cadence.
    clock.set(next);
    expect((await sweep.runIfDue())?.outcome).toBe('ok');
    expect(sweeps()).toBe(2);
  });

  it('GIVEN a disk that is full (SQLITE_FULL) for every write WHEN the jobs keep coming due THEN every job still runs at each slot and stays armed', async () => {
    const clock = new ManualClock(T0);
    const settings = new FailingSettings();
    const { s, sweeps } = scheduler(clock, settings, { armTimers: false });
    await s.start();
    settings.failWith = 'SQLITE_FULL';
    settings.failWrites = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 10; i += 1) {
      clock.advance(30_000);
      const results = await s.runDue();
      expect(results[JOB_NAMES.timeoutSweep]?.outcome).toBe('ok');
      expect(results[JOB_NAMES.publishQueue]?.outcome).toBe('ok');
      for (const job of s.jobs) expect(job.wakeAt, job.name).not.toBeNull();
      expect(s.health().detail).toContain('database or disk is full');
    }
    expect(sweeps()).toBe(10);
    // The retry backoff is capped, so the store is retried at least once a minute.
    expect(s.job(JOB_NAMES.publishQueue)!.storeFailure!.retryAt - clock.now()).toBeLessThanOrEqual(60_000);
    settings.failWrites = 0;
    clock.advance(60_000);
    await s.runDue();
    expect(s.health()).toEqual({ ok: true });
  });

  it('GIVEN a settings store that fails at start WHEN the scheduler starts THEN every job is planned and armed, reported failing, and saved once the store recovers', async () => {
    const clock = new ManualClock(T0);
    const settings = new FailingSettings();
    settings.failReads = 100;
    settings.failWrites = 100;
    const { s } = scheduler(clock, settings, { armTimers: true });
    await s.start();
    for (const job of s.jobs) {
      expect(job.isStarted, job.name).toBe(true);
      expect(job.nextRunAt, job.name).not.toBeNull();
      expect(job.wakeAt, job.name).not.toBeNull();
    }
    expect(s.health().ok).toBe(false);
    expect(s.health().detail).toContain(`${JOB_NAMES.post('default')}: could not`);
    settings.failReads = 0;
    settings.failWrites = 0;
    clock.set(Math.max(...s.jobs.map((j) => j.storeFailure!.retryAt)));
    await s.runDue();
    expect(s.health()).toEqual({ ok: true });
    expect(settings.stored(JOB_NAMES.post('default'))?.nextRunAt).toBe(s.postJob().nextRunAt);
  });

  it("GIVEN real timers WHEN a job's planned time passed by more than the tolerance without a run THEN /healthz names that job as missed, not 5 minutes later", async () => {
    const clock = new ManualClock(T0);
    const { s } = scheduler(clock, new FailingSettings(), { armTimers: true });
    await s.start();
    const publishQueue = s.job(JOB_NAMES.publishQueue)!;
    clock.set((publishQueue.nextRunAt as number) + STALL_TOLERANCE_MS - 1);
    expect(s.health().detail ?? '').not.toContain(JOB_NAMES.publishQueue);
    clock.advance(2);
    const health = s.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toContain(`${JOB_NAMES.publishQueue}: missed its run`);
    expect(STALL_TOLERANCE_MS).toBeLessThan(60_000);
  });
});
