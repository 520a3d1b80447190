import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories, openDatabase } from '../../src/db/index.js';
import { backupSqliteDatabase } from '../../src/db/sqlite-backup.js';
import { createSilentLogger, type Logger } from '../../src/logging/index.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { jobStateKey, ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import { BackupService, type StorageEngine } from '../../src/services/backup-service.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';
import { z } from 'zod';
import { defineSetting } from '../../src/services/settings-keys.js';

const MARKER = defineSetting({ key: 'test.marker', owner: 'this test', schema: z.string() });

describe('backups', () => {
  let db: TempDatabase | undefined;
  afterEach(async () => {
    await db?.close();
  });

  /** The service as the app builds it, over a real file, with a hand-moved clock. */
  function backupService(database: TempDatabase, clock: { now(): number }, engine: StorageEngine = 'sqlite'): BackupService {
    return new BackupService({
      engine,
      dir: join(database.dir, 'backups'),
      keep: 2,
      backupTo: (destination) => backupSqliteDatabase(database.dataSource, destination),
      clock,
      logger: createSilentLogger(),
    });
  }

  it('GIVEN a live database WHEN a backup is taken and later restored THEN the restored file holds the data at backup time', async () => {
    db = await openTempDatabase();
    const now = Date.UTC(2026, 10, 25, 3, 40);
    const service = backupService(db, { now: () => now });
    await db.repos.settings.set(MARKER, 'before-backup', now);
    const education = (await db.repos.topics.findByName('education'))!;
    await db.repos.topics.setWeight(education.id, 42, now);
    const backup = await service.takeBackup();
    if (backup.status !== 'taken') throw new Error(`expected a backup, got ${backup.reason}`);
    expect(backup.path).toMatch(/draftgate-20261125T034000000Z\.sqlite$/);
    expect(backup.bytes).toBeGreaterThan(0);

    // Changes after the backup must not be in it.
    await db.repos.settings.set(MARKER, 'after-backup', now + 1);
    await db.repos.topics.setWeight(education.id, 7, now + 1);

    // Restore as the README says: stop the bot, copy the backup over the database file, start.
    await db.dataSource.destroy();
    for (const suffix of ['-wal', '-shm']) rmSync(`${db.path}${suffix}`, { force: true });
    copyFileSync(backup.path, db.path);
    const { dataSource, applied } = await openDatabase(db.path);
    try {
      expect(applied).toEqual([]);
      const repos = createRepositories(dataSource);
      expect(await repos.settings.get(MARKER)).toBe('before-backup');
      expect((await repos.topics.findByName('education'))?.weight).toBe(42);
    } finally {
      await dataSource.destroy();
    }
  });

  it('GIVEN more backups than BACKUP_KEEP THEN only the newest are kept', async () => {
    db = await openTempDatabase();
    let now = Date.UTC(2026, 10, 20, 3, 40);
    const service = backupService(db, { now: () => now });
    const paths: string[] = [];
    for (let day = 0; day < 4; day++) {
      const backup = await service.takeBackup();
      if (backup.status !== 'taken') throw new Error(`expected a backup, got ${backup.reason}`);
      paths.push(backup.path);
      now += 86_400_000;
    }
    expect(await service.list()).toEqual(
      paths
        .slice(2)
        .reverse()
        .map((p) => p.split('/').pop()),
    );
    expect(existsSync(paths[0]!)).toBe(false);
  });

  it('GIVEN the store is PostgreSQL WHEN a backup is asked for (/backup) THEN nothing is copied and the answer says to use pg_dump', async () => {
    db = await openTempDatabase();
    const copies: string[] = [];
    const service = new BackupService({
      engine: 'postgres',
      dir: join(db.dir, 'backups'),
      keep: 2,
      backupTo: async (destination) => {
        copies.push(destination);
      },
      clock: { now: () => Date.UTC(2026, 10, 25, 3, 40) },
      logger: createSilentLogger(),
    });
    const outcome = await service.takeBackup();
    expect(outcome.status).toBe('skipped');
    if (outcome.status !== 'skipped') return;
    expect(outcome.engine).toBe('postgres');
    expect(outcome.reason).toMatch(/PostgreSQL/);
    expect(outcome.reason).toMatch(/pg_dump/);
    // Nothing pretends to be a backup: no copy was asked of the store, no folder or file was made.
    expect(copies).toEqual([]);
    expect(existsSync(join(db.dir, 'backups'))).toBe(false);
    expect(await service.list()).toEqual([]);
  });

  it('GIVEN the store is PostgreSQL WHEN the daily backup job runs THEN its run is recorded as skipped (use pg_dump), logged once, never as a failure', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 3, 40));
    const lines: LogLine[] = [];
    const service = backupService(db, clock, 'postgres');
    const job = new ScheduledJob({
      name: JOB_NAMES.backup,
      pattern: '40 3 * * *',
      timezone: 'UTC',
      clock,
      logger: recordingLogger(lines),
      settings: db.repos.botSettings,
      run: () => service.scheduledRun(),
      armTimer: false,
    });
    await job.start();
    try {
      for (let day = 0; day < 2; day++) {
        const record = await job.trigger('schedule');
        expect(record.outcome).toBe('skipped');
        expect(record.reason).toMatch(/^PostgreSQL: .*pg_dump/);
        expect(record.detail).toEqual({ engine: 'postgres' });
        clock.advance(86_400_000);
      }
      // Once per run, at info: an operator reading the logs sees why there is no file, and no alert fires.
      const mentions = lines.filter((line) => JSON.stringify(line).includes('pg_dump'));
      expect(mentions.map((line) => `${line.level} ${line.message}`)).toEqual(['info run skipped', 'info run skipped']);
      expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([]);
      expect(job.health(clock.now(), { checkOverdue: false, toleranceMs: 15_000 })).toEqual({ ok: true });
      expect(existsSync(join(db.dir, 'backups'))).toBe(false);
      // The stored state (what /status and the next start read back) says the same.
      expect((await db.repos.botSettings.get(jobStateKey(JOB_NAMES.backup)))?.lastRun).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringMatching(/pg_dump/),
      });
    } finally {
      await job.stop();
    }
  });

  it('GIVEN the store is SQLite WHEN the daily backup job runs THEN its run is ok and names the file it wrote', async () => {
    db = await openTempDatabase();
    const service = backupService(db, { now: () => Date.UTC(2026, 10, 25, 3, 40) });
    const run = await service.scheduledRun();
    expect(run.outcome).toBe('ok');
    expect(run.reason).toBeNull();
    expect(String(run.detail['path'])).toMatch(/draftgate-20261125T034000000Z\.sqlite$/);
    expect(existsSync(String(run.detail['path']))).toBe(true);
    expect(run.detail['bytes']).toBeGreaterThan(0);
  });
});

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

/** Keeps every line, whatever child logger wrote it. */
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level, message, meta });
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return logger;
}
