import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createRepositories, openDatabase, type Repositories } from '../../src/db/index.js';

export interface TempDatabase {
  readonly path: string;
  readonly dir: string;
  readonly dataSource: DataSource;
  readonly repos: Repositories;
  close(): Promise<void>;
}

/** A real SQLite file in a fresh temp dir, migrated with the real migrations. */
export async function openTempDatabase(): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'draftgate-db-'));
  const path = join(dir, 'test.sqlite');
  const { dataSource } = await openDatabase(path);
  return {
    path,
    dir,
    dataSource,
    repos: createRepositories(dataSource),
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
