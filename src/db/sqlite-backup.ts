import type { DataSource } from 'typeorm';

interface BetterSqliteConnection {
  backup(destination: string): Promise<unknown>;
}

/**
 * Takes an online backup with better-sqlite3's backup API: a consistent copy made page by page
 * while the bot keeps running, WAL contents included. The destination is a plain SQLite file.
 */
export async function backupSqliteDatabase(dataSource: DataSource, destination: string): Promise<void> {
  const connection = (dataSource.driver as unknown as { databaseConnection?: BetterSqliteConnection }).databaseConnection;
  if (!connection || typeof connection.backup !== 'function') throw new Error('the database driver does not support online backups');
  await connection.backup(destination);
}

/**
 * The sha256 of every image a SQLite backup file references (its `media` rows): the files a
 * restore of that backup needs. Read from the copy itself, not the live database, so the set
 * matches the backup exactly. A backup from before the media table references none.
 */
export async function mediaHashesOfSqliteBackup(file: string): Promise<Set<string>> {
  const { default: Database } = await import('better-sqlite3');
  // Not read-only: the copy is in WAL mode, and only a read-write connection removes the -wal and
  // -shm files it opens when it closes (a read-only one would leave them beside every backup).
  // Nothing is written: one SELECT.
  const db = new Database(file, { fileMustExist: true });
  try {
    const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'media'`).get();
    if (!table) return new Set();
    const rows = db.prepare(`SELECT DISTINCT sha256 FROM media`).all() as Array<{ sha256: string }>;
    return new Set(rows.map((row) => row.sha256));
  } finally {
    db.close();
  }
}
