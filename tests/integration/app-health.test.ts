import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { removeDir, startFakes, startTestApp, withAppDatabase, type Fakes, type TestApp } from '../support/test-app.js';
import { onPostgres } from '../support/postgres.js';
import type { AppConfig } from '../../src/config/index.js';

const TWEET = 'Slippage is the gap between the price you see and the price you get. On a thin bonding curve it can be large.';

/** Makes every write of a scheduler job's state fail in the real database, as a full disk would. */
async function failJobStateWrites(config: AppConfig, fail: boolean): Promise<void> {
  if (onPostgres) {
    await withAppDatabase(config, async (ds) => {
      if (fail) {
        await ds.query(`CREATE FUNCTION fail_job_state() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN IF NEW.key LIKE 'scheduler.job.%' THEN RAISE EXCEPTION 'database or disk is full'; END IF; RETURN NEW; END $$`);
        await ds.query(`CREATE TRIGGER fail_job_state BEFORE UPDATE ON settings FOR EACH ROW EXECUTE FUNCTION fail_job_state()`);
      } else {
        await ds.query('DROP TRIGGER fail_job_state ON settings');
        await ds.query('DROP FUNCTION fail_job_state()');
      }
    });
    return;
  }
  const db = new Database(config.storage.databasePath, { timeout: 5_000 });
  try {
    if (fail) {
      db.exec(`CREATE TRIGGER fail_job_state BEFORE UPDATE ON settings WHEN NEW.key LIKE 'scheduler.job.%'
               BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    } else {
      db.exec('DROP TRIGGER fail_job_state');
    }
  } finally {
    db.close();
  }
}

describe('health and metrics of the running app', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let testApp: TestApp;
  beforeEach(async () => {
    fakes = await startFakes();
    testApp = await startTestApp(fakes, { env: { DRY_RUN: 'true' } });
  });
  afterEach(async () => {
    await testApp.stop();
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    removeDir(testApp.dataDir);
    expect(specProblems).toEqual([]);
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${testApp.app.healthPort}${path}`);

  it('GIVEN everything running THEN /healthz is 200; WHEN a part stops THEN 503 names that part', async () => {
    const ok = await get('/healthz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      ok: true,
      status: 'ok',
      checks: { database: 'ok', discord: 'ok', scheduler: 'ok', cards: 'ok', anthropic: 'ok' },
      failing: [],
      degraded: [],
      // Issue 12: the lone instance holds the instance lease, in its first term.
      role: 'active',
      epoch: 1,
      leaseRenewedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      leaseHolder: testApp.app.lease.status().owner,
    });

    await testApp.app.scheduler.stop();
    const noScheduler = await get('/healthz');
    expect(noScheduler.status).toBe(503);
    expect(await noScheduler.json()).toMatchObject({ ok: false, failing: ['scheduler'] });

    await testApp.app.discord.destroy();
    expect(await (await get('/healthz')).json()).toMatchObject({ failing: ['discord', 'scheduler'], checks: { discord: 'Discord gateway is not ready' } });

    await testApp.app.repos.settings.get(SETTINGS.pause); // the database still answers...
    await (testApp.app as unknown as { store: { dataSource: { destroy(): Promise<void> } } }).store.dataSource.destroy();
    const allDown = await get('/healthz');
    expect(allDown.status).toBe(503);
    expect(await allDown.json()).toMatchObject({ failing: ['database', 'discord', 'scheduler'] });
  });

  it('GIVEN a draft approved and published (dry run) THEN /metrics shows drafts, publishes, ack latency and tokens', async () => {
    const driver = new ModerationDriver(fakes, testApp);
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEET } }, { usage: { input_tokens: 1500, output_tokens: 70 } });
    const card = await testApp.app.services.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    if (card.status !== 'created' || !card.card) throw new Error('expected a card');
    driver.click({ messageId: card.card.messageId }, 'approve', card.draft.id, 1);
    await expect.poll(() => driver.status(card.card!.messageId)).toContain('Published');

    const response = await get('/metrics');
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('draftgate_drafts{status="published"} 1');
    expect(text).toContain('draftgate_drafts{status="pending"} 0');
    expect(text).toContain('draftgate_publishes_total{mode="dry_run"} 1');
    expect(text).toMatch(/draftgate_interaction_ack_seconds_count\{kind="button"\} 1\b/);
    expect(text).toContain('draftgate_anthropic_tokens{kind="input"} 1500');
    expect(text).toContain('draftgate_anthropic_tokens{kind="output"} 70');
    expect(text).toMatch(/draftgate_process_resident_memory_bytes \d+/);
    // Issue 12: the instance's role, epoch and last renewal.
    expect(text).toContain('draftgate_instance_role{role="active"} 1');
    expect(text).toContain('draftgate_instance_role{role="standby"} 0');
    expect(text).toContain('draftgate_instance_epoch 1');
    expect(text).toMatch(/draftgate_instance_lease_renewed_timestamp_seconds \d+/);
  });

  it('GIVEN the store refuses job-state writes (item 6) WHEN the publish queue runs THEN /healthz is 503 at once naming the job and the error; WHEN the store recovers THEN the job saves its state and /healthz is 200 again', async () => {
    const { app, clock } = testApp;
    expect((await get('/healthz')).status).toBe(200);
    await failJobStateWrites(testApp.config, true);

    const queue = app.scheduler.job(JOB_NAMES.publishQueue)!;
    clock.set(queue.nextRunAt as number);
    expect((await queue.runIfDue())?.outcome).toBe('ok');
    const failing = await get('/healthz');
    expect(failing.status).toBe(503);
    const body = (await failing.json()) as { failing: string[]; checks: Record<string, string> };
    expect(body.failing).toEqual(['scheduler']);
    expect(body.checks['scheduler']).toContain(`${JOB_NAMES.publishQueue}: could not save its state`);
    expect(body.checks['scheduler']).toContain('database or disk is full');
    // Still armed: it wakes to retry the save, and runs at its next slot.
    expect(queue.wakeAt).not.toBeNull();

    await failJobStateWrites(testApp.config, false);
    clock.set(Math.max(queue.storeFailure!.retryAt, queue.nextRunAt as number));
    await app.scheduler.runDue();
    expect(queue.storeFailure).toBeNull();
    expect((await get('/healthz')).status).toBe(200);
    expect((await app.repos.botSettings.get(SETTINGS.jobState.for(JOB_NAMES.publishQueue)))?.nextRunAt).toBe(queue.nextRunAt);
  });
});
