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
