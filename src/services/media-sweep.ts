import { MEDIA_LIMITS } from '../domain/media.js';
import type { Logger } from '../logging/index.js';
import type { Clock, MediaFileStore, MediaRepository } from './ports.js';

/** The daily sweep's run, in the shape the scheduler records (JobRunResult) without this layer naming it. */
export interface MediaSweepRun {
  readonly outcome: 'ok';
  readonly reason: null;
  readonly detail: Readonly<Record<string, string | number>>;
}

/**
 * Deletes the image files no draft has used for MEDIA_LIMITS.unusedFileRetentionMs (30 days):
 * files of drafts that became final (published, rejected, expired) that long ago, and files
 * stored but never attached. A file still used by an open draft, or by a draft that became final
 * within the window, stays; so does any file written or stored again within the window.
 */
export class MediaSweepService {
  constructor(
    private readonly deps: {
      readonly store: MediaFileStore;
      /** Every account's drafts: the media directory is shared. */
      readonly media: MediaRepository;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {}

  async run(): Promise<{ readonly deleted: readonly string[]; readonly inUse: number }> {
    const cutoff = this.deps.clock.now() - MEDIA_LIMITS.unusedFileRetentionMs;
    const inUse = await this.deps.media.hashesInUse(cutoff);
    const deleted = await this.deps.store.sweep(inUse, cutoff);
    if (deleted.length > 0) this.deps.logger.info('unused image files deleted', { count: deleted.length, files: deleted, inUse: inUse.size });
    return { deleted, inUse: inUse.size };
  }

  /** The daily job. */
  async scheduledRun(): Promise<MediaSweepRun> {
    const { deleted, inUse } = await this.run();
    return { outcome: 'ok', reason: null, detail: { deleted: deleted.length, inUse } };
  }
}
