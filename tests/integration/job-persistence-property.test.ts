import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logging/index.js';
import { JOB_NAMES, PostingScheduler, PUBLISH_QUEUE_SCHEDULE, summarise, SWEEP_SCHEDULE } from '../../src/scheduler/posting-scheduler.js';
import type { PublicationRepository, SettingsRepository } from '../../src/services/ports.js';
import { createPublishingHarness, type PublishingHarness } from '../support/publishing-harness.js';
import { mulberry32, pick } from '../support/seeded-random.js';
import { SETTINGS, type SettingKey } from '../../src/services/settings-keys.js';

/**
 * Item 6 as a property: whatever the store does while the scheduler saves its jobs' state
 * (SQLITE_BUSY for a while, a full disk, a failed load at start), every job keeps running, no
 * approved draft is lost and none is tweeted twice.
 */

const SEQUENCES = 30;
const BASE_SEED = 0x10b_5eed;
const DAY_MS = 86_400_000;

type StoreCode = 'SQLITE_BUSY' | 'SQLITE_FULL';
type Action = 'approve' | 'tick' | 'persist-fault' | 'load-fault' | 'queue-fault' | 'restart';
const ACTIONS: readonly Action[] = ['approve', 'approve', 'tick', 'tick', 'tick', 'persist-fault', 'persist-fault', 'queue-fault', 'load-fault', 'restart'];

function storeError(code: StoreCode): Error {
  return Object.assign(new Error(code === 'SQLITE_BUSY' ? 'database is locked' : 'database or disk is full'), { code });
}

/** Faults armed by the sequence: the next N job-state writes / reads, or publish-queue reads, throw. */
interface Faults {
  persist: number;
  load: number;
  queue: number;
  code: StoreCode;
}

/** The real settings store, failing on the scheduler's own keys while faults are armed. */
function faultySettings(real: SettingsRepository, faults: Faults): SettingsRepository {
  return {
    async get<T>(key: SettingKey<T>): Promise<T | null> {
      if (key.key.startsWith(JOB_STATE_PREFIX) && faults.load > 0) {
        faults.load -= 1;
        throw storeError(faults.code);
      }
      return real.get(key);
    },
    async set<T>(key: SettingKey<T>, value: T | null, now: number): Promise<void> {
      if (key.key.startsWith(JOB_STATE_PREFIX) && faults.persist > 0) {
        faults.persist -= 1;
        throw storeError(faults.code);
      }
      return real.set(key, value, now);
    },
  };
}

/** The real publication store, whose publish-queue read fails while faults are armed (before any claim). */
function faultyPublications(real: PublicationRepository, faults: Faults): PublicationRepository {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'findDueForPublishing') {
        return async (...args: Parameters<PublicationRepository['findDueForPublishing']>) => {
          if (faults.queue > 0) {
            faults.queue -= 1;
            throw storeError(faults.code);
          }
          return target.findDueForPublishing(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Where the scheduler keeps its jobs' state: `scheduler.job.<name>`. */
const JOB_STATE_PREFIX = SETTINGS.jobState.prefix;

let h: PublishingHarness;

beforeAll(async () => {
  h = await createPublishingHarness({
    config: { maxPostsPerHour: 10_000, maxPostsPerDay: 100_000 },
    fake: { rateLimits: { postTweetsPerWindow: 1e9, readsPerWindow: 1e9, userPostsPer24h: 1e9, appPostsPer24h: 1e9 } },
  });
  // A second POST of a text would really create a second tweet: the invariant would see it.
  h.fake.rejectDuplicates = false;
});

afterAll(async () => {
  const problems = await h.specProblems();
  await h.close();
  expect(problems).toEqual([]);
});

function buildScheduler(faults: Faults, sweeps: { count: number }): PostingScheduler {
  const service = h.service({ publications: faultyPublications(h.db.repos.publications, faults) });
  return new PostingScheduler({
    clock: h.clock,
    rng: () => 0.5,
    logger: createSilentLogger(),
    settings: faultySettings(h.db.repos.settings, faults),
    timezone: 'UTC',
    postJobs: [
      {
        accountId: 'default',
        drafts: h.db.repos.drafts,
        posts: h.db.repos.posts,
        pause: { current: async () => null, holdsGeneration: async () => null, holdsPublishing: async () => null },
        config: {
          schedule: '*/5 * * * *',
          timezone: 'UTC',
          jitterMs: 0,
          activeHours: null,
          maxPendingDrafts: 3,
          maxPostsPerHour: 10_000,
          maxPostsPerDay: 100_000,
        },
        generateDraft: async () => ({ status: 'skipped', reason: 'no generation in this test' }),
      },
    ],
    jobs: [
      {
        name: JOB_NAMES.timeoutSweep,
        pattern: SWEEP_SCHEDULE,
        quiet: true,
        run: async () => {
          sweeps.count += 1;
          return { outcome: 'ok', reason: null, detail: { handled: 0 } };
        },
      },
      {
        name: JOB_NAMES.publishQueue,
        pattern: PUBLISH_QUEUE_SCHEDULE,
        quiet: true,
        held: async () => null,
        run: async () => summarise(await service.processDueDrafts(100)),
      },
    ],
    armTimers: false,
  });
}

/** Every started job is armed (will wake again); a job whose state is unsaved is named in /healthz. */
function expectJobsAlive(scheduler: PostingScheduler, where: string): void {
  const health = scheduler.health();
  for (const job of scheduler.jobs) {
    expect(job.isStarted, `${where}: ${job.name} started`).toBe(true);
    expect(job.wakeAt, `${where}: ${job.name} armed`).not.toBeNull();
    if (job.storeFailure) {
      expect(health.ok, `${where}: health with ${job.name} unsaved`).toBe(false);
      expect(health.detail, where).toContain(job.name);
    }
  }
  if (scheduler.jobs.every((j) => j.storeFailure === null)) expect(health, where).toEqual({ ok: true });
}

async function runSequence(seq: number): Promise<string[]> {
  const rng = mulberry32(BASE_SEED + seq);
  const log: string[] = [];
  h.clock.advance(DAY_MS);
  const faults: Faults = { persist: 0, load: 0, queue: 0, code: 'SQLITE_BUSY' };
  const sweeps = { count: 0 };
  let scheduler = buildScheduler(faults, sweeps);
  await scheduler.start();
  const texts = new Map<number, string[]>();
  const steps = 6 + Math.floor(rng() * 10);

  for (let step = 0; step < steps; step += 1) {
    const action = pick(rng, ACTIONS);
    log.push(action);
    switch (action) {
      case 'approve': {
        const n = 1 + Math.floor(rng() * 2);
        const tweets = Array.from({ length: n }, (_, i) => `job-seq ${seq} draft ${texts.size} part ${i + 1}/${n}`);
        const draft = await h.approvedDraft(tweets);
        texts.set(draft.id, tweets);
        break;
      }
      case 'tick': {
        h.clock.advance(Math.floor(rng() * 90_000));
        const results = await scheduler.runDue();
        for (const [name, record] of Object.entries(results)) if (record) log.push(`${name}:${record.outcome}`);
        break;
      }
      case 'persist-fault':
      case 'load-fault':
      case 'queue-fault': {
        faults.code = pick(rng, ['SQLITE_BUSY', 'SQLITE_FULL'] as const);
        const n = 1 + Math.floor(rng() * 6);
        if (action === 'persist-fault') faults.persist += n;
        else if (action === 'load-fault') faults.load += n;
        else faults.queue += n;
        log.push(faults.code);
        break;
      }
      case 'restart':
        await scheduler.stop();
        scheduler = buildScheduler(faults, sweeps);
        await scheduler.start();
        break;
    }
    expectJobsAlive(scheduler, `seq ${seq} step ${step} (${action})`);
  }

  // The store recovers: every job runs again, its state gets saved, and the queue drains.
  faults.persist = 0;
  faults.load = 0;
  faults.queue = 0;
  const ranAfterRecovery = new Set<string>();
  for (let round = 0; round < 20; round += 1) {
    h.clock.advance(60_000);
    const results = await scheduler.runDue();
    for (const [name, record] of Object.entries(results)) if (record && record.outcome !== 'failed') ranAfterRecovery.add(name);
    const drafts = await Promise.all([...texts.keys()].map((id) => h.db.repos.drafts.findById(id)));
    if (ranAfterRecovery.size === scheduler.jobs.length && drafts.every((d) => d?.status === 'published')) break;
  }
  expect([...ranAfterRecovery].sort(), `seq ${seq}: jobs that ran after recovery`).toEqual(scheduler.jobs.map((j) => j.name).sort());
  expectJobsAlive(scheduler, `seq ${seq} after recovery`);
  expect(scheduler.health(), `seq ${seq}`).toEqual({ ok: true });
  for (const job of scheduler.jobs) {
    const stored = await h.db.repos.settings.get(SETTINGS.jobState.for(job.name));
    expect(stored?.nextRunAt, `seq ${seq}: ${job.name} state saved`).toBe(job.nextRunAt);
  }

  for (const [id, tweets] of texts) {
    const draft = (await h.db.repos.drafts.findById(id))!;
    // Nothing lost: every approved draft went out.
    expect(draft.status, `seq ${seq}: draft ${id}`).toBe('published');
    // Exactly once: no text reached X twice.
    for (const text of tweets)
      expect(
        h.fake.tweets.filter((t) => t.text === text),
        text,
      ).toHaveLength(1);
  }
  await scheduler.stop();
  return log;
}

describe('item 6 property: store errors during job persistence', () => {
  it(`GIVEN ${SEQUENCES} seeded sequences of approvals, publish-queue ticks and job runs with SQLITE_BUSY / SQLITE_FULL while saving job state THEN every job keeps running, 0 drafts are tweeted twice and 0 approved drafts are lost`, async () => {
    const counts: Record<string, number> = {};
    for (let seq = 0; seq < SEQUENCES; seq += 1) {
      let log: string[];
      try {
        log = await runSequence(seq);
      } catch (error) {
        throw new Error(`sequence ${seq} (seed ${BASE_SEED + seq}) failed: ${(error as Error).message}`, { cause: error });
      }
      for (const entry of log) counts[entry] = (counts[entry] ?? 0) + 1;
    }
    // The run must have exercised what it claims to cover.
    expect(counts['persist-fault'] ?? 0).toBeGreaterThan(15);
    expect(counts['load-fault'] ?? 0).toBeGreaterThan(5);
    expect(counts['queue-fault'] ?? 0).toBeGreaterThan(5);
    expect(counts[`${JOB_NAMES.publishQueue}:failed`] ?? 0).toBeGreaterThan(0);
    expect(counts[`${JOB_NAMES.publishQueue}:ok`] ?? 0).toBeGreaterThan(30);
    expect(counts['SQLITE_FULL'] ?? 0).toBeGreaterThan(5);
    expect(counts['restart'] ?? 0).toBeGreaterThan(5);
  }, 120_000);
});
