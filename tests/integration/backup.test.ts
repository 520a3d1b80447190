import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { mediaBackupOf } from '../../src/adapters/media/media-backup.js';
import { DiskMediaFileStore } from '../../src/adapters/media/media-file-store.js';
import { mediaHashesOfSqliteBackup } from '../../src/db/sqlite-backup.js';
import type { DraftMedia } from '../../src/domain/media.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
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

describe('backups with images (issue 14 §3)', () => {
  let db: TempDatabase | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await db?.close();
    db = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const imageRow = (sha256: string, bytes: number): DraftMedia => ({
    position: 0,
    sha256,
    mimeType: 'image/png',
    bytes,
    width: 2,
    height: 2,
    altText: 'a chart',
    altSource: 'moderator',
    findings: [],
  });

  /** The service as the app builds it (src/app.ts buildBackups), media included. */
  function backupWithMedia(database: TempDatabase, mediaDir: string, clock: { now(): number }, engine: StorageEngine = 'sqlite', keep = 2): BackupService {
    return new BackupService({
      engine,
      dir: join(database.dir, 'backups'),
      keep,
      backupTo: (destination) => backupSqliteDatabase(database.dataSource, destination),
      media: mediaBackupOf(mediaDir, mediaHashesOfSqliteBackup),
      clock,
      logger: createSilentLogger(),
    });
  }

  it('GIVEN a draft with an image WHEN a backup is taken and restored into a fresh folder as the README says THEN the draft reads its image back through MediaFileStore', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 3, 40));
    const mediaDir = join(db.dir, 'media');
    const store = await DiskMediaFileStore.open(mediaDir, clock);
    const bytes = new TextEncoder().encode('the image bytes of the backed-up draft');
    const sha256 = await store.put(bytes);
    const draft = await db.repos.drafts.create(newTweetDraft('A chart worth a look', { media: [imageRow(sha256, bytes.length)] }), clock.now());
    const orphan = await store.put(new TextEncoder().encode('uploaded, never attached'));

    const backup = await backupWithMedia(db, mediaDir, clock).takeBackup();
    if (backup.status !== 'taken') throw new Error(`expected a backup, got ${backup.reason}`);
    expect(backup.media).toEqual({ path: join(db.dir, 'backups', 'draftgate-20261125T034000000Z.media'), files: 1, missing: [] });
    // Only what the backed-up rows reference; a hard link (same file, no space) on one file system.
    expect(readdirSync(backup.media!.path)).toEqual([sha256]);
    expect(readdirSync(backup.media!.path)).not.toContain(orphan);
    expect(statSync(join(backup.media!.path, sha256)).ino).toBe(statSync(join(mediaDir, sha256)).ino);

    // Later the live folder loses the file (swept, a disk mishap): the backup still has it.
    rmSync(join(mediaDir, sha256));

    // Restore into a fresh folder: the database file as DATABASE_PATH, the .media files into MEDIA_DIR.
    const fresh = mkdtempSync(join(tmpdir(), 'draftgate-restore-'));
    dirs.push(fresh);
    copyFileSync(backup.path, join(fresh, 'draftgate.sqlite'));
    cpSync(backup.media!.path, join(fresh, 'media'), { recursive: true });
    const { dataSource } = await openDatabase(join(fresh, 'draftgate.sqlite'));
    try {
      const restored = await createRepositories(dataSource).drafts.findById(draft.id);
      expect(restored?.media?.map((m) => m.sha256)).toEqual([sha256]);
      const restoredStore = await DiskMediaFileStore.open(join(fresh, 'media'));
      expect(await restoredStore.read(restored!.media![0]!.sha256)).toEqual(bytes);
    } finally {
      await dataSource.destroy();
    }
  });

  it('GIVEN a backed-up draft whose image is no longer on disk THEN the backup is taken and names the missing image', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 3, 40));
    const mediaDir = join(db.dir, 'media');
    await DiskMediaFileStore.open(mediaDir, clock);
    const gone = 'e'.repeat(64);
    await db.repos.drafts.create(newTweetDraft('Its image was swept', { media: [imageRow(gone, 10)] }), clock.now());
    const backup = await backupWithMedia(db, mediaDir, clock).takeBackup();
    expect(backup.status === 'taken' && backup.media).toMatchObject({ files: 0, missing: [gone] });
  });

  it('GIVEN the store is PostgreSQL WHEN a backup is asked THEN the database is left to pg_dump and every stored image is saved', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 3, 40));
    const mediaDir = join(db.dir, 'media');
    const store = await DiskMediaFileStore.open(mediaDir, clock);
    const a = await store.put(new TextEncoder().encode('image a'));
    const b = await store.put(new TextEncoder().encode('image b'));
    const service = backupWithMedia(db, mediaDir, clock, 'postgres');
    const outcome = await service.takeBackup();
    expect(outcome.status).toBe('skipped');
    expect(outcome.status === 'skipped' && outcome.reason).toMatch(/pg_dump/);
    expect(outcome.media).toMatchObject({ files: 2, missing: [] });
    expect(readdirSync(outcome.media!.path).sort()).toEqual([a, b].sort());
    expect(readdirSync(join(db.dir, 'backups'))).toEqual(['draftgate-20261125T034000000Z.media']);
    const run = await service.scheduledRun();
    expect(run).toMatchObject({ outcome: 'skipped', detail: { engine: 'postgres', mediaFiles: 2 } });
  });

  it('GIVEN more backups than BACKUP_KEEP THEN their media folders are pruned with them', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 20, 3, 40));
    const mediaDir = join(db.dir, 'media');
    await DiskMediaFileStore.open(mediaDir, clock);
    const service = backupWithMedia(db, mediaDir, clock, 'sqlite', 2);
    for (let day = 0; day < 4; day++) {
      await service.takeBackup();
      clock.advance(86_400_000);
    }
    expect(readdirSync(join(db.dir, 'backups')).sort()).toEqual([
      'draftgate-20261122T034000000Z.media',
      'draftgate-20261122T034000000Z.sqlite',
      'draftgate-20261123T034000000Z.media',
      'draftgate-20261123T034000000Z.sqlite',
    ]);
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
