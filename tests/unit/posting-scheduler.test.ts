import { describe, expect, it } from 'vitest';
import type { DraftStatus } from '../../src/domain/draft.js';
import { createSilentLogger } from '../../src/logging/index.js';
import {
  JOB_NAMES,
  PostingScheduler,
  SWEEP_SCHEDULE,
  VOICE_NOTES_SCHEDULE,
  type PostingSchedulerConfig,
  type ScheduledGenerationOutcome,
} from '../../src/scheduler/posting-scheduler.js';
import { jobStateKey, ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import { PauseService } from '../../src/services/pause-service.js';
import { systemClock, type ModerationEvent, type SettingsRepository } from '../../src/services/ports.js';
import { mulberry32 } from '../support/seeded-random.js';
import { ManualClock } from '../support/test-app.js';
import type { SettingKey } from '../../src/services/settings-keys.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-25T12:05:00Z');

/** Settings as SQLite keeps them: JSON in, JSON out. */
class MemorySettings implements SettingsRepository {
  readonly values = new Map<string, string>();
  async get<T>({ key }: SettingKey<T>): Promise<T | null> {
    const value = this.values.get(key);
    return value === undefined ? null : (JSON.parse(value) as T);
  }
  async set<T>({ key }: SettingKey<T>, value: T | null): Promise<void> {
    this.values.set(key, JSON.stringify(value));
  }
}

interface World {
  readonly clock: ManualClock;
  readonly settings: MemorySettings;
  readonly audit: ModerationEvent[];
  counts: Record<DraftStatus, number>;
  publications: number[];
  generated: number;
  sweeps: number;
  nextGeneration: (() => Promise<ScheduledGenerationOutcome>) | null;
}

function world(): World {
  return {
    clock: new ManualClock(T0),
    settings: new MemorySettings(),
    audit: [],
    counts: { pending: 0, approved: 0, publishing: 0, published: 0, rejected: 0, expired: 0, failed: 0 },
    publications: [],
    generated: 0,
    sweeps: 0,
    nextGeneration: null,
  };
}

function pauseService(w: World): PauseService {
  return new PauseService({
    settings: w.settings,
    moderationEvents: { record: async (e) => void w.audit.push(e), listForDraft: async () => [] },
    clock: w.clock,
    logger: createSilentLogger(),
  });
}

function scheduler(w: World, config: Partial<PostingSchedulerConfig> = {}, rng = mulberry32(1)): PostingScheduler {
  return new PostingScheduler({
    clock: w.clock,
    rng,
    logger: createSilentLogger(),
    settings: w.settings,
    timezone: 'UTC',
    postJobs: [
      {
        accountId: 'default',
        drafts: { countByStatus: async () => ({ ...w.counts }) },
        posts: { publicationTimesSince: async (since) => w.publications.filter((t) => t >= since) },
        pause: pauseService(w),
        config: {
          schedule: '0 */2 * * *',
          timezone: 'UTC',
          jitterMs: 10 * 60_000,
          activeHours: null,
          maxPendingDrafts: 3,
          maxPostsPerHour: 2,
          maxPostsPerDay: 12,
          ...config,
        },
        generateDraft: async () => {
          w.generated += 1;
          if (w.nextGeneration) return w.nextGeneration();
          w.counts.pending += 1;
          return { status: 'created', draft: { id: w.generated } };
        },
      },
    ],
    jobs: [
      {
        name: JOB_NAMES.timeoutSweep,
        pattern: SWEEP_SCHEDULE,
        quiet: true,
        run: async () => {
          w.sweeps += 1;
          return { outcome: 'ok', reason: null, detail: { handled: 0 } };
        },
      },
    ],
    armTimers: false,
  });
}

describe('PostingScheduler', () => {
  it('GIVEN POST_SCHEDULE every 2 h and POST_JITTER 10m THEN each planned run lies within [slot, slot + 10m] and the runs generate one draft each', async () => {
    const w = world();
    const s = scheduler(w, { maxPendingDrafts: 100 });
    await s.start();
    for (let i = 0; i < 30; i += 1) {
      const { nextRunAt, slotAt } = s.postJob().snapshot();
      expect(slotAt).not.toBeNull();
      expect(new Date(slotAt as number).getUTCMinutes()).toBe(0);
      expect(new Date(slotAt as number).getUTCHours() % 2).toBe(0);
      expect((nextRunAt as number) - (slotAt as number)).toBeGreaterThanOrEqual(0);
      expect((nextRunAt as number) - (slotAt as number)).toBeLessThanOrEqual(10 * 60_000);
      w.clock.set(nextRunAt as number);
      const results = await s.runDue();
      expect(results['post:default']?.outcome).toBe('ok');
    }
    expect(w.generated).toBe(30);
    await s.stop();
  });

  it('GIVEN a run 1 ms before its planned time THEN nothing runs; at the planned time it runs once', async () => {
    const w = world();
    const s = scheduler(w);
    await s.start();
    const planned = s.postJob().nextRunAt as number;
    w.clock.set(planned - 1);
    expect((await s.runDue())['post:default']).toBeNull();
    w.clock.set(planned);
    expect((await s.runDue())['post:default']?.outcome).toBe('ok');
    expect((await s.runDue())['post:default']).toBeNull();
    expect(w.generated).toBe(1);
  });

  it('GIVEN ACTIVE_HOURS 22:00-02:00 in Asia/Tokyo THEN every planned run falls in that window, local time', async () => {
    const w = world();
    const s = scheduler(w, { schedule: '0 * * * *', timezone: 'Asia/Tokyo', activeHours: { startMinute: 22 * 60, endMinute: 2 * 60 }, maxPendingDrafts: 100 });
    await s.start();
    for (let i = 0; i < 12; i += 1) {
      const runAt = s.postJob().nextRunAt as number;
      const tokyoHour = (new Date(runAt).getUTCHours() + 9) % 24;
      expect([22, 23, 0, 1]).toContain(tokyoHour);
      w.clock.set(runAt);
      await s.runDue();
    }
    expect(w.generated).toBe(12);
  });

  it('GIVEN posting is paused THEN a due run generates nothing and /status reads the reason', async () => {
    const w = world();
    const s = scheduler(w);
    await s.start();
    await pauseService(w).pause({ id: '42', name: 'Mod Ana' }, 'launch freeze');
    w.clock.set(s.postJob().nextRunAt as number);
    const run = (await s.runDue())['post:default'];
    expect(run).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect(run?.reason).toContain('Mod Ana');
    expect(w.generated).toBe(0);
    const status = await s.status();
    expect(status.pause).toMatchObject({ by: { id: '42' }, reason: 'launch freeze' });
    expect(status.lastRun?.outcome).toBe('skipped');
    // The next run is still planned, so /status can show it.
    expect(status.nextRunAt).toBeGreaterThan(w.clock.now());
  });

  it('GIVEN a pause WHEN the bot restarts on the same settings THEN it is still paused and runs stay skipped until /resume', async () => {
    const w = world();
    const first = scheduler(w);
    await first.start();
    await pauseService(w).pause({ id: '42', name: 'Mod Ana' }, null);
    await first.stop();

    w.clock.advance(30 * 60_000);
    const second = scheduler(w);
    await second.start();
    expect((await second.status()).pause?.by.id).toBe('42');
    w.clock.set(second.postJob().nextRunAt as number);
    expect((await second.runDue())['post:default']?.detail).toMatchObject({ code: 'paused' });
    expect(w.generated).toBe(0);

    await pauseService(w).resume({ id: '43', name: 'Mod Ben' });
    w.clock.set(second.postJob().nextRunAt as number);
    expect((await second.runDue())['post:default']?.outcome).toBe('ok');
    expect(w.generated).toBe(1);
    expect(w.audit.map((e) => `${e.action}:${e.outcome}`)).toEqual(['pause:paused', 'resume:resumed']);
  });

  it('GIVEN the pending cap is full THEN the run is skipped without calling the generator, and runs again once a slot frees', async () => {
    const w = world();
    w.counts.pending = 3;
    const s = scheduler(w);
    await s.start();
    w.clock.set(s.postJob().nextRunAt as number);
    expect((await s.runDue())['post:default']).toMatchObject({ outcome: 'skipped', reason: 'pending cap full: 3 of 3 drafts await moderation' });
    expect(w.generated).toBe(0);
    w.counts.pending = 2;
    w.clock.set(s.postJob().nextRunAt as number);
    expect((await s.runDue())['post:default']?.outcome).toBe('ok');
    expect(w.generated).toBe(1);
  });

  it('GIVEN the daily cap is used up by publications and the approved queue THEN runs are skipped as "no room today"', async () => {
    const w = world();
    const s = scheduler(w, { maxPostsPerDay: 3 });
    await s.start();
    w.publications = [T0 - 3 * HOUR, T0 - 2 * HOUR];
    w.counts.approved = 1;
    w.clock.set(s.postJob().nextRunAt as number);
    expect((await s.runDue())['post:default']?.detail).toMatchObject({ code: 'daily_cap' });
    expect(w.generated).toBe(0);
  });

  it('GIVEN the bot was down from 12:05 to 23:30 (5 runs) THEN on start nothing is replayed, the misses are recorded, and the next slot runs exactly once', async () => {
    const w = world();
    const first = scheduler(w, { maxPendingDrafts: 100 });
    await first.start();
    // Started 12:05: the run planned for the 14:00 slot (plus jitter) never happens.
    expect(first.postJob().snapshot().slotAt).toBe(Date.parse('2026-11-25T14:00:00Z'));
    await first.stop();

    // Back at 23:30: the 14:00 run and the 16, 18, 20 and 22 o'clock slots were missed.
    w.clock.set(Date.parse('2026-11-25T23:30:00Z'));
    const second = scheduler(w, { maxPendingDrafts: 100 });
    await second.start();
    expect(second.postJob().snapshot().missedWhileDown).toEqual({ count: 5, detectedAt: w.clock.now() });
    expect(second.postJob().nextRunAt).toBeGreaterThan(w.clock.now());
    // Repeated checks at the current time never fire a catch-up run.
    for (let i = 0; i < 5; i += 1) expect((await second.runDue())['post:default']).toBeNull();
    expect(w.generated).toBe(0);

    w.clock.set(second.postJob().nextRunAt as number);
    await second.runDue();
    await second.runDue();
    expect(w.generated).toBe(1);
    const stored = await w.settings.get(jobStateKey(JOB_NAMES.post('default')));
    expect(stored?.lastRun?.outcome).toBe('ok');
    expect(stored?.nextRunAt).toBe(second.postJob().nextRunAt);
  });

  it('GIVEN a run still generating WHEN the job fires again THEN the second run is skipped, not overlapped', async () => {
    const w = world();
    let release: (v: ScheduledGenerationOutcome) => void = () => undefined;
    w.nextGeneration = () => new Promise((resolve) => (release = resolve));
    const s = scheduler(w);
    await s.start();
    w.clock.set(s.postJob().nextRunAt as number);
    const first = s.postJob().trigger('schedule');
    await expect.poll(() => w.generated).toBe(1);
    const second = await s.postJob().trigger('schedule');
    expect(second).toMatchObject({ outcome: 'skipped', reason: 'the previous run is still in progress' });
    release({ status: 'created', draft: { id: 1 } });
    expect((await first).outcome).toBe('ok');
    expect(w.generated).toBe(1);
  });

  it('GIVEN the generator fails THEN the failure is the last outcome and the schedule moves on', async () => {
    const w = world();
    w.nextGeneration = async () => ({ status: 'failed', reason: 'generation failed: 529 overloaded' });
    const s = scheduler(w);
    await s.start();
    const planned = s.postJob().nextRunAt as number;
    w.clock.set(planned);
    expect((await s.runDue())['post:default']).toMatchObject({ outcome: 'failed', reason: 'generation failed: 529 overloaded' });
    expect(s.postJob().nextRunAt).toBeGreaterThan(planned);
  });

  it('GIVEN job definitions WHEN posting is paused THEN a job held while paused is skipped with its reason and a job not held still runs; after /resume both run, in the order given', async () => {
    const w = world();
    const ran: string[] = [];
    const job = (name: string, heldWhilePaused?: string) => ({
      held: heldWhilePaused === undefined ? undefined : async () => ((await pauseService(w).current()) ? heldWhilePaused : null),
      name,
      pattern: '*/30 * * * * *',
      run: async () => {
        ran.push(name);
        return { outcome: 'ok' as const, reason: null };
      },
    });
    const s = new PostingScheduler({
      clock: w.clock,
      rng: mulberry32(1),
      logger: createSilentLogger(),
      settings: w.settings,
      timezone: 'UTC',
      postJobs: [
        {
          accountId: 'default',
          drafts: { countByStatus: async () => ({ ...w.counts }) },
          posts: { publicationTimesSince: async () => [] },
          pause: pauseService(w),
          config: { schedule: '0 */2 * * *', timezone: 'UTC', jitterMs: 0, activeHours: null, maxPendingDrafts: 3, maxPostsPerHour: 2, maxPostsPerDay: 12 },
          generateDraft: async () => ({ status: 'skipped', reason: 'not in this test' }),
        },
      ],
      jobs: [job('queue', 'the queue waits for /resume'), job('cards')],
      armTimers: false,
    });
    expect(s.jobs.map((j) => j.name)).toEqual(['post:default', 'queue', 'cards']);
    await s.start();
    await pauseService(w).pause({ id: '1', name: 'A' }, null);
    w.clock.advance(30_000);
    const paused = await s.runDue();
    expect(paused['queue']).toMatchObject({ outcome: 'skipped', reason: 'the queue waits for /resume', detail: { code: 'paused' } });
    expect(paused['cards']?.outcome).toBe('ok');
    expect(ran).toEqual(['cards']);

    await pauseService(w).resume({ id: '1', name: 'A' });
    expect((await s.runNow('queue'))?.outcome).toBe('ok');
    expect(await s.runNow('no-such-job')).toBeNull();
    expect(ran).toEqual(['cards', 'queue']);
  });
});

describe('ScheduledJob timers', () => {
  it('GIVEN the system clock and a every-second schedule THEN the armed timer runs the job by itself, and stop() disarms it', async () => {
    const settings = new MemorySettings();
    let runs = 0;
    const job = new ScheduledJob({
      name: 'tick',
      pattern: '* * * * * *',
      timezone: 'UTC',
      clock: systemClock,
      logger: createSilentLogger(),
      settings,
      run: async () => {
        runs += 1;
        return { outcome: 'ok', reason: null };
      },
    });
    await job.start();
    await expect.poll(() => runs, { timeout: 4_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await job.stop();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(runs).toBe(after);
    expect((await settings.get(jobStateKey('tick')))?.lastRun?.via).toBe('schedule');
  });

  it('GIVEN a run that never ends WHEN the job stops THEN stop() gives up after its bound instead of hanging shutdown', async () => {
    const job = new ScheduledJob({
      name: 'stuck',
      pattern: '0 0 1 1 *',
      timezone: 'UTC',
      clock: new ManualClock(T0),
      logger: createSilentLogger(),
      settings: new MemorySettings(),
      run: () => new Promise(() => undefined),
      armTimer: false,
    });
    await job.start();
    void job.trigger();
    expect(job.isRunning).toBe(true);
    const started = Date.now();
    await job.stop(100);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('a job in its account time zone (issue 15: the daily avoid notes)', () => {
  it("GIVEN a job with its own time zone THEN its pattern is read there, and a job without one uses the scheduler's", async () => {
    const w = world();
    const daily = (name: string, timezone?: string) => ({
      name,
      pattern: VOICE_NOTES_SCHEDULE,
      ...(timezone ? { timezone } : {}),
      run: async () => ({ outcome: 'ok' as const, reason: null }),
    });
    const s = new PostingScheduler({
      clock: w.clock,
      rng: mulberry32(1),
      logger: createSilentLogger(),
      settings: w.settings,
      timezone: 'UTC',
      postJobs: [],
      jobs: [daily(JOB_NAMES.voiceNotes('tokyo'), 'Asia/Tokyo'), daily(JOB_NAMES.voiceNotes('utc'))],
      armTimers: false,
    });
    await s.start();
    // 2026-11-25 12:05 UTC: 04:35 next comes at 2026-11-26 04:35 UTC, and in Tokyo (UTC+9) at 2026-11-26 04:35 local = 2026-11-25 19:35 UTC.
    expect(s.job('voice-notes:tokyo')?.nextRunAt).toBe(Date.parse('2026-11-25T19:35:00Z'));
    expect(s.job('voice-notes:utc')?.nextRunAt).toBe(Date.parse('2026-11-26T04:35:00Z'));
  });
});
