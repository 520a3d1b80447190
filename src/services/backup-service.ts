import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/index.js';
import type { Clock } from './ports.js';

/** Names look like draftgate-20261125T034000Z.sqlite, so they sort by time. */
const BACKUP_NAME = /^draftgate-\d{8}T\d{6}(?:\d{3})?Z\.sqlite$/;
/** A backup's images: draftgate-<same stamp>.media, a folder of `<sha256>` files. */
const MEDIA_BACKUP_NAME = /^draftgate-\d{8}T\d{6}(?:\d{3})?Z\.media$/;

/** The store the bot runs on: a SQLite file (this process can copy it) or a PostgreSQL server (it cannot). */
export type StorageEngine = 'sqlite' | 'postgres';

/** Where the README explains backing up a PostgreSQL store; replies and logs point there. */
export const POSTGRES_BACKUP_GUIDE = 'README, section "Backups on PostgreSQL" (#backups-on-postgresql)';

/**
 * Why no backup is taken on PostgreSQL: the server holds the data (and may be managed, with its
 * own snapshots), so a copy made by the bot would be neither complete nor the operator's to trust.
 */
export const POSTGRES_BACKUP_REASON = `PostgreSQL: the bot does not back up a database server; use pg_dump (${POSTGRES_BACKUP_GUIDE})`;

/** The images saved with a backup (issue 14): `<backups>/draftgate-<stamp>.media/<sha256>`. */
export interface MediaBackupResult {
  readonly path: string;
  readonly files: number;
  /** Images the backed-up drafts name that were not on disk (swept after 30 days unused, or lost). */
  readonly missing: readonly string[];
}

/**
 * Copies images into a backup's media folder: those the database backup `databaseBackup`
 * references, or (null: PostgreSQL, whose dump the bot never sees) every stored image.
 */
export interface MediaBackup {
  snapshot(destination: string, databaseBackup: string | null): Promise<{ readonly files: number; readonly missing: readonly string[] }>;
}

export interface BackupResult {
  readonly path: string;
  readonly bytes: number;
  readonly removed: readonly string[];
  /** Null when the service has no media to save. */
  readonly media: MediaBackupResult | null;
}

/** A backup taken, or none because the store is PostgreSQL (the operator's `pg_dump` does it). */
export type BackupOutcome =
  | ({ readonly status: 'taken' } & BackupResult)
  | {
      readonly status: 'skipped';
      readonly engine: 'postgres';
      readonly reason: string;
      /** The images are still saved on PostgreSQL: the database is pg_dump's, the media directory is the bot's. */
      readonly media: MediaBackupResult | null;
    };

/** The daily job's run, in the shape the scheduler records (JobRunResult) without this layer naming it. */
export interface BackupRun {
  readonly outcome: 'ok' | 'skipped';
  readonly reason: string | null;
  readonly detail: Readonly<Record<string, string | number>>;
}

/**
 * Daily (and on-demand) online backups into `dir`, keeping the newest `keep` files. The copy
 * itself is delegated to the store (`backupTo`), so this service never touches SQLite. On
 * PostgreSQL nothing is copied and every request answers why (`engine` comes from the config).
 */
export class BackupService {
  constructor(
    private readonly deps: {
      readonly engine: StorageEngine;
      readonly dir: string;
      readonly keep: number;
      readonly backupTo: (destination: string) => Promise<void>;
      readonly clock: Clock;
      readonly logger: Logger;
      /** The drafts' images, saved beside each backup; absent: no media folder is written. */
      readonly media?: MediaBackup | undefined;
    },
  ) {}

  async takeBackup(): Promise<BackupOutcome> {
    // Not logged here: the scheduler logs the job's skipped run and /backup audits its own, once each.
    const { dir, clock, logger, media } = this.deps;
    const stamp = new Date(clock.now())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.(\d{3})Z$/, '$1Z');
    const mediaPath = join(dir, `draftgate-${stamp}.media`);
    if (this.deps.engine === 'postgres') {
      if (!media) return { status: 'skipped', engine: 'postgres', reason: POSTGRES_BACKUP_REASON, media: null };
      // The database is pg_dump's; the images are only here. Every stored image is saved: a file is
      // deleted only after 30 days unused, so a snapshot taken after a dump holds every image it names.
      await mkdir(dir, { recursive: true });
      const saved = { path: mediaPath, ...(await media.snapshot(mediaPath, null)) };
      await this.prune();
      logger.info('images backed up (PostgreSQL: the database is backed up with pg_dump)', { path: saved.path, files: saved.files });
      return { status: 'skipped', engine: 'postgres', reason: POSTGRES_BACKUP_REASON, media: saved };
    }
    await mkdir(dir, { recursive: true });
    const path = join(dir, `draftgate-${stamp}.sqlite`);
    await this.deps.backupTo(path);
    const { size } = await stat(path);
    // The images the copy references, read from the copy: the backup and its media folder restore together.
    const saved = media ? { path: mediaPath, ...(await media.snapshot(mediaPath, path)) } : null;
    const removed = await this.prune();
    logger.info('backup taken', { path, bytes: size, removed, ...(saved ? { media: saved.path, mediaFiles: saved.files, mediaMissing: saved.missing.length } : {}) });
    return { status: 'taken', path, bytes: size, removed, media: saved };
  }

  /** The daily job: a backup on SQLite; on PostgreSQL a skipped run (not a failure: nothing is wrong) saying to use pg_dump. */
  async scheduledRun(): Promise<BackupRun> {
    const outcome = await this.takeBackup();
    const media: Record<string, string | number> = outcome.media ? { media: outcome.media.path, mediaFiles: outcome.media.files } : {};
    return outcome.status === 'taken'
      ? { outcome: 'ok', reason: null, detail: { path: outcome.path, bytes: outcome.bytes, ...media } }
      : { outcome: 'skipped', reason: outcome.reason, detail: { engine: outcome.engine, ...media } };
  }

  /** Backups on disk, newest first. */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.deps.dir))
        .filter((name) => BACKUP_NAME.test(name))
        .sort()
        .reverse();
    } catch {
      return [];
    }
  }

  /** Media folders of backups on disk, newest first. */
  async listMedia(): Promise<string[]> {
    try {
      return (await readdir(this.deps.dir))
        .filter((name) => MEDIA_BACKUP_NAME.test(name))
        .sort()
        .reverse();
    } catch {
      return [];
    }
  }

  private async prune(): Promise<string[]> {
    const stale = (await this.list()).slice(this.deps.keep);
    for (const name of stale) await rm(join(this.deps.dir, name), { force: true });
    // A backup's media folder shares its stamp: the same newest `keep` stay.
    for (const name of (await this.listMedia()).slice(this.deps.keep)) await rm(join(this.deps.dir, name), { recursive: true, force: true });
    return stale;
  }
}
