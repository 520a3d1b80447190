import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/index.js';
import type { Clock } from './ports.js';

/** Names look like draftgate-20261125T034000Z.sqlite, so they sort by time. */
const BACKUP_NAME = /^draftgate-\d{8}T\d{6}(?:\d{3})?Z\.sqlite$/;

/** The store the bot runs on: a SQLite file (this process can copy it) or a PostgreSQL server (it cannot). */
export type StorageEngine = 'sqlite' | 'postgres';

/** Where the README explains backing up a PostgreSQL store; replies and logs point there. */
export const POSTGRES_BACKUP_GUIDE = 'README, section "Backups on PostgreSQL" (#backups-on-postgresql)';

/**
 * Why no backup is taken on PostgreSQL: the server holds the data (and may be managed, with its
 * own snapshots), so a copy made by the bot would be neither complete nor the operator's to trust.
 */
export const POSTGRES_BACKUP_REASON = `PostgreSQL: the bot does not back up a database server; use pg_dump (${POSTGRES_BACKUP_GUIDE})`;

export interface BackupResult {
  readonly path: string;
  readonly bytes: number;
  readonly removed: readonly string[];
}

/** A backup taken, or none because the store is PostgreSQL (the operator's `pg_dump` does it). */
export type BackupOutcome =
  ({ readonly status: 'taken' } & BackupResult) | { readonly status: 'skipped'; readonly engine: 'postgres'; readonly reason: string };

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
    },
  ) {}

  async takeBackup(): Promise<BackupOutcome> {
    // Not logged here: the scheduler logs the job's skipped run and /backup audits its own, once each.
    if (this.deps.engine === 'postgres') return { status: 'skipped', engine: 'postgres', reason: POSTGRES_BACKUP_REASON };
    const { dir, clock, logger } = this.deps;
    await mkdir(dir, { recursive: true });
    const stamp = new Date(clock.now())
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.(\d{3})Z$/, '$1Z');
    const path = join(dir, `draftgate-${stamp}.sqlite`);
    await this.deps.backupTo(path);
    const { size } = await stat(path);
    const removed = await this.prune();
    logger.info('backup taken', { path, bytes: size, removed });
    return { status: 'taken', path, bytes: size, removed };
  }

  /** The daily job: a backup on SQLite; on PostgreSQL a skipped run (not a failure: nothing is wrong) saying to use pg_dump. */
  async scheduledRun(): Promise<BackupRun> {
    const outcome = await this.takeBackup();
    return outcome.status === 'taken'
      ? { outcome: 'ok', reason: null, detail: { path: outcome.path, bytes: outcome.bytes } }
      : { outcome: 'skipped', reason: outcome.reason, detail: { engine: outcome.engine } };
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

  private async prune(): Promise<string[]> {
    const stale = (await this.list()).slice(this.deps.keep);
    for (const name of stale) await rm(join(this.deps.dir, name), { force: true });
    return stale;
  }
}
