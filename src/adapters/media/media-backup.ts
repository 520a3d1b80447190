import { copyFile, link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A stored image's file name: its sha256, lower-case hex. */
const SHA256_NAME = /^[0-9a-f]{64}$/;

/** What a media snapshot holds. */
export interface MediaSnapshot {
  readonly files: number;
  /** Hashes asked for but not in the media directory (swept after 30 days unused, or lost). */
  readonly missing: readonly string[];
}

/**
 * Copies image files from the media directory into `destination` (a backup's `<name>.media`
 * folder): `hashes`, or every stored file when null. Files are hard links where the file system
 * allows it (a stored file is never rewritten, only replaced by a rename or deleted, so a link is
 * a faithful copy that costs no space), else real copies. Written into a temp folder renamed at
 * the end: a backup's media folder is complete or absent.
 */
export async function snapshotMediaFiles(mediaDir: string, destination: string, hashes: ReadonlySet<string> | null): Promise<MediaSnapshot> {
  const names = hashes ? [...hashes].filter((h) => SHA256_NAME.test(h)).sort() : (await listStored(mediaDir));
  const partial = `${destination}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  const missing: string[] = [];
  let files = 0;
  try {
    for (const name of names) {
      const from = join(mediaDir, name);
      const to = join(partial, name);
      try {
        await link(from, to);
        files += 1;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          missing.push(name);
          continue;
        }
        // Another file system (EXDEV) or one without hard links: copy.
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw error;
        try {
          await copyFile(from, to);
          files += 1;
        } catch (copyError) {
          if ((copyError as NodeJS.ErrnoException).code !== 'ENOENT') throw copyError;
          missing.push(name);
        }
      }
    }
    await rm(destination, { recursive: true, force: true });
    await rename(partial, destination);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return { files, missing };
}

async function listStored(mediaDir: string): Promise<string[]> {
  try {
    return (await readdir(mediaDir)).filter((name) => SHA256_NAME.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * The media part of the backups over `mediaDir`: with a database backup file, the images it
 * references (`referencedBy` reads them from the copy); without one (PostgreSQL), every image.
 */
export function mediaBackupOf(
  mediaDir: string,
  referencedBy: (databaseBackup: string) => Promise<ReadonlySet<string>>,
): { snapshot(destination: string, databaseBackup: string | null): Promise<MediaSnapshot> } {
  return {
    snapshot: async (destination, databaseBackup) =>
      snapshotMediaFiles(mediaDir, destination, databaseBackup === null ? null : await referencedBy(databaseBackup)),
  };
}
