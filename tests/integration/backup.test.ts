import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories, openDatabase } from '../../src/db/index.js';
import { backupSqliteDatabase } from '../../src/db/sqlite-backup.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { BackupService } from '../../src/services/backup-service.js';
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
  function backupService(database: TempDatabase, clock: { now(): number }): BackupService {
    return new BackupService({
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
      paths.push((await service.takeBackup()).path);
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
});
