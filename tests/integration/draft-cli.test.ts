import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeDatabaseTarget, openDatabase, type DatabaseTarget } from '../../src/db/index.js';
import { databaseUrlForDataDir, onPostgres } from '../support/postgres.js';
import { FakeAnthropic, FAKE_ANTHROPIC_API_KEY } from '../support/fake-anthropic.js';
import { specProblemsOf } from '../support/spec-traffic.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
// `npm test` builds first; this runs the compiled CLI exactly as `npm run draft` does.
const cli = join(root, 'dist/src/cli/draft.js');

async function draftCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // An empty working directory: no .env from the repo can leak in.
  const cwd = mkdtempSync(join(tmpdir(), 'draftgate-cli-'));
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run draft', () => {
  let anthropic: FakeAnthropic;
  beforeEach(async () => {
    anthropic = new FakeAnthropic();
    await anthropic.start();
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf({ anthropic });
    await anthropic.stop();
    expect(specProblems).toEqual([]);
  });

  it('GIVEN only an API key THEN it prints the draft, weighted lengths, validation, sanitiser changes and usage', async () => {
    anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Guaranteed 100x, trust me' } });
    anthropic.queueOutput(
      { draft: { kind: 'tweet', text: '  "Read the token page before you buy: supply, holders, description. 🧐"  ' } },
      { usage: { input_tokens: 812, output_tokens: 41, cache_read_input_tokens: 0 } },
    );
    const result = await draftCli(['--topic', 'safety'], { ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: anthropic.url });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Topic: safety (safety)');
    expect(result.stdout).toContain('--- attempt 1: REFUSED');
    expect(result.stdout).toMatch(/✗ .*guaranteed/i);
    expect(result.stdout).toContain('--- attempt 2: valid');
    // 66 characters plus an emoji that weighs 2.
    expect(result.stdout).toContain('[68/280]');
    expect(result.stdout).toMatch(/~ sanitised: .*quote/i);
    expect(result.stdout).toMatch(/Result: VALID/);
    expect(result.stdout).toMatch(/Tokens: input \d+, output \d+/);
    expect(anthropic.messageRequests).toHaveLength(2);
  });

  it('GIVEN no API key THEN it exits 2 naming the variable; GIVEN an unknown topic THEN it lists the known ones', async () => {
    const missing = await draftCli([], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ANTHROPIC_API_KEY is missing');
    const unknown = await draftCli(['--topic', 'lambos'], { ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL: anthropic.url });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown topic "lambos". Known topics: market-insight, launch-tips/);
    expect(anthropic.messageRequests).toHaveLength(0);
  });

  describe('issue 10, item 16: the topics in the database', () => {
    let dir: string;
    let databasePath: string;
    /** The bot's database: the SQLite file at databasePath, or on PostgreSQL the database of `dir` (DATABASE_URL). */
    let database: DatabaseTarget;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'draftgate-cli-db-'));
      databasePath = join(dir, 'draftgate.sqlite');
      database = onPostgres ? { engine: 'postgres', url: databaseUrlForDataDir(dir) } : { engine: 'sqlite', path: databasePath };
      // The bot's database: migrated, one custom topic, every default topic weighted 0 or disabled.
      const { dataSource } = await openDatabase(database);
      await dataSource.query(`UPDATE topics SET weight = 0 WHERE topic_name <> 'safety'`);
      await dataSource.query(`UPDATE topics SET enabled = 0 WHERE topic_name = 'safety'`);
      await dataSource.query(
        `INSERT INTO topics (topic_name, content_type, description, weight, enabled, usage_count, created_at, updated_at)
         VALUES ('wallet-hygiene', 'education', 'Separate hot and cold wallets; revoke stale approvals', 7, 1, 4, 1, 1)`,
      );
      await dataSource.destroy();
    });
    afterEach(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    // On PostgreSQL the counts below say the database is untouched (the CLI's sessions are read-only).
    const digest = () => (onPostgres ? 'no file' : createHash('sha256').update(readFileSync(databasePath)).digest('hex'));
    const env = (): Record<string, string> => ({
      ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
      DATABASE_PATH: databasePath,
      ...(database.engine === 'postgres' ? { DATABASE_URL: database.url } : {}),
    });

    it('GIVEN a database with a custom topic and changed weights WHEN run without --topic THEN it draws from the database, and the database is left untouched', async () => {
      const before = digest();
      anthropic.queueOutput({
        draft: { kind: 'tweet', text: 'Keep a hot wallet for trading and a cold one for savings. Revoke approvals you no longer use.' },
      });
      const result = await draftCli([], env());
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Topic: wallet-hygiene (education)');
      if (database.engine === 'postgres') {
        const where = describeDatabaseTarget(database);
        expect(result.stdout).toContain(`Topics from: database ${where.host}/${where.database} (PostgreSQL, read-only)`);
        // The URL carries the password: it is never printed.
        expect(result.stdout + result.stderr).not.toContain(new URL(database.url).password);
      } else {
        expect(result.stdout).toContain(`Topics from: database ${databasePath} (read-only)`);
      }
      expect(JSON.stringify(anthropic.messageBodies[0])).toContain('revoke stale approvals');
      // Read-only: no generation run, no usage count, not a byte changed.
      expect(digest()).toBe(before);
      const { dataSource } = await openDatabase(database);
      try {
        expect(await dataSource.query('SELECT COUNT(*) AS n FROM generation_runs')).toEqual([{ n: 0 }]);
        expect(await dataSource.query(`SELECT usage_count AS n FROM topics WHERE topic_name = 'wallet-hygiene'`)).toEqual([{ n: 4 }]);
      } finally {
        await dataSource.destroy();
      }
    });

    it('GIVEN a database WHEN --topic names a topic only it has THEN that topic is used; a default it does not have is unknown', async () => {
      anthropic.queueOutput({
        draft: { kind: 'tweet', text: 'Keep a hot wallet for trading and a cold one for savings. Revoke approvals you no longer use.' },
      });
      const custom = await draftCli(['--topic', 'Wallet-Hygiene'], env());
      expect(custom.code).toBe(0);
      expect(custom.stdout).toContain('Topic: wallet-hygiene (education)');
      const missing = await draftCli(['--topic', 'lambos'], env());
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/Unknown topic "lambos". Known topics: .*wallet-hygiene/);
    });

    // DATABASE_PATH is ignored when DATABASE_URL is set.
    it.skipIf(onPostgres)('GIVEN no database file at DATABASE_PATH THEN the default topics are used and no file is created', async () => {
      const absent = join(dir, 'nothing-here', 'draftgate.sqlite');
      anthropic.queueOutput({ draft: { kind: 'tweet', text: 'Read the token page before you buy: supply, holders, description.' } });
      const result = await draftCli(['--topic', 'safety'], { ...env(), DATABASE_PATH: absent });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Topics from: default topics (no database at ${absent})`);
      expect(() => readFileSync(absent)).toThrow();
    });
  });
});
