import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { MediaFileMissingError, systemClock, type Clock, type MediaFileStore } from '../../services/ports.js';

/** A stored file's name: its content's sha256, lower-case hex. */
const SHA256_NAME = /^[0-9a-f]{64}$/;
/** Files being written; renamed to their hash once complete. A crash can leave one behind: the sweep removes old ones. */
const TEMP_PREFIX = '.tmp-';

/** The media directory (MEDIA_DIR) could not be created or written: the bot cannot keep images. */
export class MediaDirectoryError extends Error {
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`MEDIA_DIR ${dir} cannot be used for the drafts' images: ${reason}`);
    this.name = 'MediaDirectoryError';
  }
}

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';

/**
 * The drafts' image files on disk, content-addressed: `<dir>/<sha256>`. A file is written to a
 * temp file in the same directory, flushed, then renamed: a reader (the X upload, a backup) sees
 * the whole file or none. A file is never rewritten: storing the same bytes again only refreshes
 * its modification time (the sweep's clock, set from the injected Clock so tests move it by hand).
 * put and sweep take turns, so a file being stored again is never deleted under it.
 */
export class DiskMediaFileStore implements MediaFileStore {
  /** put and sweep, one at a time (this process owns the directory while it holds the instance lease). */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Creates the directory when needed and proves it writable, or throws MediaDirectoryError naming MEDIA_DIR. */
  static async open(dir: string, clock: Clock = systemClock): Promise<DiskMediaFileStore> {
    const absolute = resolve(dir);
    try {
      await mkdir(absolute, { recursive: true });
      await access(absolute, constants.W_OK | constants.R_OK);
      const probe = join(absolute, `${TEMP_PREFIX}probe-${randomBytes(4).toString('hex')}`);
      await (await open(probe, 'wx')).close();
      await unlink(probe);
    } catch (error) {
      throw new MediaDirectoryError(absolute, (error as Error).message);
    }
    return new DiskMediaFileStore(absolute, clock);
  }

  put(bytes: Uint8Array): Promise<string> {
    return this.inTurn(async () => {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const path = join(this.dir, sha256);
      const seconds = this.clock.now() / 1000;
      try {
        // Already stored (same content, same name): keep it, and make it young again for the sweep.
        await utimes(path, seconds, seconds);
        return sha256;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      const temp = join(this.dir, `${TEMP_PREFIX}${sha256.slice(0, 16)}-${randomBytes(6).toString('hex')}`);
      try {
        const handle = await open(temp, 'wx');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await utimes(temp, seconds, seconds);
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return sha256;
    });
  }

  async read(sha256: string): Promise<Uint8Array> {
    if (!SHA256_NAME.test(sha256)) throw new MediaFileMissingError(sha256);
    try {
      return new Uint8Array(await readFile(join(this.dir, sha256)));
    } catch (error) {
      if (isMissing(error)) throw new MediaFileMissingError(sha256);
      throw error;
    }
  }

  sweep(inUse: ReadonlySet<string>, olderThan: number): Promise<string[]> {
    return this.inTurn(async () => {
      const deleted: string[] = [];
      for (const name of await readdir(this.dir)) {
        const stored = SHA256_NAME.test(name);
        // Only our own files: a stored image no draft uses, or a temp file a crash left behind.
        if (!(stored ? !inUse.has(name) : name.startsWith(TEMP_PREFIX))) continue;
        const path = join(this.dir, name);
        try {
          const info = await stat(path);
          if (!info.isFile() || info.mtimeMs >= olderThan) continue;
          await unlink(path);
          if (stored) deleted.push(name);
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
      return deleted.sort();
    });
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }
}
