import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { removeDir, startFakes, startTestApp, type Fakes, type TestApp } from '../support/test-app.js';
import { SETTINGS } from '../../src/services/settings-keys.js';

/** Makes every write of a scheduler job's state fail in the real database, as a full disk would. */
function failJobStateWrites(databasePath: string, fail: boolean): void {
  const db = new Database(databasePath, { timeout: 5_000 });
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

describe('item 6: /healthz of the running app names a job whose state could not be saved', () => {
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

  it('GIVEN the store refuses job-state writes WHEN the publish queue runs THEN /healthz is 503 at once naming the job and the error; WHEN the store recovers THEN the job saves its state and /healthz is 200 again', async () => {
    const { app, clock } = testApp;
    expect((await get('/healthz')).status).toBe(200);
    failJobStateWrites(testApp.config.storage.databasePath, true);

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

    failJobStateWrites(testApp.config.storage.databasePath, false);
    clock.set(Math.max(queue.storeFailure!.retryAt, queue.nextRunAt as number));
    await app.scheduler.runDue();
    expect(queue.storeFailure).toBeNull();
    expect((await get('/healthz')).status).toBe(200);
    expect((await app.repos.settings.get(SETTINGS.jobState.for(JOB_NAMES.publishQueue)))?.nextRunAt).toBe(queue.nextRunAt);
  });
});
