import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskMediaFileStore, MediaDirectoryError } from '../../src/adapters/media/media-file-store.js';
import { createAllAccountsMedia } from '../../src/db/index.js';
import type { Actor } from '../../src/domain/draft.js';
import type { DraftMedia } from '../../src/domain/media.js';
import type { Logger } from '../../src/logging/index.js';
import { JOB_NAMES, MEDIA_SWEEP_SCHEDULE } from '../../src/scheduler/posting-scheduler.js';
import { jobStateKey, ScheduledJob } from '../../src/scheduler/scheduled-job.js';
import { MediaSweepService } from '../../src/services/media-sweep.js';
import { MediaFileMissingError } from '../../src/services/ports.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const DAY = 86_400_000;
const alice: Actor = { id: 'u1', name: 'alice' };
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (text: string) => new TextEncoder().encode(text);

function imageRow(position: number, sha256: string): DraftMedia {
  return { position, sha256, mimeType: 'image/png', bytes: 10, width: 1, height: 1, altText: null, altSource: null, findings: [] };
}

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (message: string, meta: Record<string, unknown> = {}) =>
      lines.push({ level, message, meta });
  const logger: Logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), child: () => logger };
  return logger;
}

describe('media files (issue 14 §3)', () => {
  const dirs: string[] = [];
  let db: TempDatabase | undefined;
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-media-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await db?.close();
    db = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN bytes WHEN they are put THEN they are stored under their sha256, read back whole, and no temp file is left', async () => {
    const dir = join(tempDir(), 'data', 'media');
    const clock = new ManualClock();
    const store = await DiskMediaFileStore.open(dir, clock);
    const bytes = bytesOf('a PNG, as far as the store cares');
    const hash = await store.put(bytes);
    expect(hash).toBe(sha(bytes));
    expect(readdirSync(dir)).toEqual([hash]);
    expect(await store.read(hash)).toEqual(bytes);
    expect(statSync(join(dir, hash)).mtimeMs).toBe(clock.now());
  });

  it('GIVEN a stored file WHEN the same bytes are put again THEN the file is kept (not rewritten) and only its time is refreshed', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const store = await DiskMediaFileStore.open(dir, clock);
    const hash = await store.put(bytesOf('same image'));
    const before = statSync(join(dir, hash));
    clock.advance(10 * DAY);
    expect(await store.put(bytesOf('same image'))).toBe(hash);
    const after = statSync(join(dir, hash));
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(clock.now());
    expect(readdirSync(dir)).toEqual([hash]);
  });

  it('GIVEN a hash with no file WHEN it is read THEN MediaFileMissingError names it', async () => {
    const store = await DiskMediaFileStore.open(tempDir());
    const missing = 'f'.repeat(64);
    await expect(store.read(missing)).rejects.toBeInstanceOf(MediaFileMissingError);
    await expect(store.read(missing)).rejects.toMatchObject({ sha256: missing });
    await expect(store.read('../../etc/passwd')).rejects.toBeInstanceOf(MediaFileMissingError);
  });

  it('GIVEN a MEDIA_DIR that cannot be created THEN opening the store fails with an error naming MEDIA_DIR and the path', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const opening = DiskMediaFileStore.open(join(file, 'media'));
    await expect(opening).rejects.toBeInstanceOf(MediaDirectoryError);
    await expect(DiskMediaFileStore.open(join(file, 'media'))).rejects.toThrow(/^MEDIA_DIR .*not-a-dir\/media cannot be used/);
  });

  it('GIVEN files of every age WHEN the store sweeps THEN only unused files older than the cutoff and old temp leftovers go; foreign files stay', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const store = await DiskMediaFileStore.open(dir, clock);
    const old = await store.put(bytesOf('old, unused'));
    const oldUsed = await store.put(bytesOf('old, used'));
    writeFileSync(join(dir, '.tmp-crashed'), 'half');
    utimesSync(join(dir, '.tmp-crashed'), clock.now() / 1000, clock.now() / 1000);
    writeFileSync(join(dir, 'README.txt'), 'operator notes');
    utimesSync(join(dir, 'README.txt'), 0, 0);
    clock.advance(31 * DAY);
    const young = await store.put(bytesOf('young, unused'));
    const deleted = await store.sweep(new Set([oldUsed]), clock.now() - 30 * DAY);
    expect(deleted).toEqual([old]);
    expect(readdirSync(dir).sort()).toEqual([oldUsed, young, 'README.txt'].sort());
  });

  it('GIVEN a real database and media directory WHEN the daily sweep job runs 30 days on THEN unused old files go; young ones and those of a pending draft stay; those of a draft published 31 days ago go', async () => {
    db = await openTempDatabase();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 4, 25));
    const dir = join(tempDir(), 'media');
    const store = await DiskMediaFileStore.open(dir, clock);
    const lines: LogLine[] = [];
    const sweep = new MediaSweepService({ store, media: createAllAccountsMedia(db.dataSource), clock, logger: recordingLogger(lines) });

    // Day 0: an upload never attached, a pending draft's image, and a draft that is published at once.
    const orphan = await store.put(bytesOf('never attached'));
    const pendingImage = await store.put(bytesOf('pending draft image'));
    await db.repos.drafts.create(newTweetDraft('still waiting for a moderator', { media: [imageRow(0, pendingImage)] }), clock.now());
    const publishedImage = await store.put(bytesOf('published draft image'));
    const published = await db.repos.drafts.create(newTweetDraft('published a month ago', { media: [imageRow(0, publishedImage)] }), clock.now());
    await db.repos.drafts.decide(published.id, 1, { to: 'approved', actor: alice, source: 'moderator' }, clock.now());
    await db.repos.publications.claimForPublishing(published.id, 'me', 'a1', clock.now(), 60_000);
    await db.repos.publications.markPublished(published.id, { owner: 'me', attemptId: 'a1' }, { tweetIds: ['t1'], dryRun: false, xCostUsd: 0 }, clock.now());

    const job = new ScheduledJob({
      name: JOB_NAMES.mediaSweep,
      pattern: MEDIA_SWEEP_SCHEDULE,
      timezone: 'UTC',
      clock,
      logger: recordingLogger(lines),
      settings: db.repos.botSettings,
      run: () => sweep.scheduledRun(),
      armTimer: false,
    });
    await job.start();
    try {
      // Day 29: everything is younger than 30 days; nothing goes.
      clock.advance(29 * DAY);
      const young = await store.put(bytesOf('uploaded yesterday'));
      expect((await job.trigger('schedule')).detail).toMatchObject({ deleted: 0 });

      // Day 31: the orphan and the image of the draft published 31 days ago go.
      clock.advance(2 * DAY);
      const record = await job.trigger('schedule');
      expect(record.outcome).toBe('ok');
      expect(record.detail).toMatchObject({ deleted: 2, inUse: 1 });
      expect(readdirSync(dir).sort()).toEqual([pendingImage, young].sort());
      await expect(store.read(publishedImage)).rejects.toBeInstanceOf(MediaFileMissingError);
      expect(await store.read(pendingImage)).toEqual(bytesOf('pending draft image'));
      expect(existsSync(join(dir, orphan))).toBe(false);
      const logged = lines.find((line) => line.message === 'unused image files deleted');
      expect(logged?.meta).toMatchObject({ count: 2, files: [orphan, publishedImage].sort() });
      expect((await db.repos.botSettings.get(jobStateKey(JOB_NAMES.mediaSweep)))?.lastRun).toMatchObject({ outcome: 'ok' });
    } finally {
      await job.stop();
    }
  });
});
