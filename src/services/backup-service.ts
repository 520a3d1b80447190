import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logging/index.js';
import type { Clock } from './ports.js';

/** Names look like draftgate-20261125T034000Z.sqlite, so they sort by time. */
const BACKUP_NAME = /^draftgate-\d{8}T\d{6}(?:\d{3})?Z\.sqlite$/;

export interface BackupResult {
  readonly path: string;
  readonly bytes: number;
  readonly removed: readonly string[];
}

/**
 * Daily (and on-demand) online backups into `dir`, keeping the newest `keep` files. The copy
 * itself is delegated to the store (`backupTo`), so this service never touches SQLite.
 */
export class BackupService {
  constructor(
    private readonly deps: {
      readonly dir: string;
      readonly keep: number;
      readonly backupTo: (destination: string) => Promise<void>;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  async takeBackup(): Promise<BackupResult> {
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
    return { path, bytes: size, removed };
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
