import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepositories, openDatabase, type DatabaseTarget } from '../../src/db/index.js';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import type { Draft } from '../../src/domain/draft.js';
import { spawnBuiltApp } from '../support/spawn-app.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { databaseOfEnvironment, fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/** The compiled app, run as the container runs it (`npm test` builds first). */
const root = fileURLToPath(new URL('../..', import.meta.url));
const TEXT = 'Graduation moves a token from the bonding curve to a DEX pool. Read the token page before you trade.';

/** Puts one pending draft in the database before the process starts; its card is posted at start-up. */
async function seedPendingDraft(database: DatabaseTarget): Promise<number> {
  const { dataSource } = await openDatabase(database);
  try {
    const draft = await createRepositories(dataSource).drafts.create(
      newTweetDraft(TEXT, { deadlineAt: Date.now() + 3_600_000 }),
      // Created a while ago, so start-up treats its missing card as lost and posts it.
      Date.now() - 10 * 60_000,
    );
    return draft.id;
  } finally {
    await dataSource.destroy();
  }
}

async function draftStatus(database: DatabaseTarget, id: number): Promise<string | undefined> {
  return (await storedDraft(database, id))?.status;
}

async function storedDraft(database: DatabaseTarget, id: number): Promise<Draft | null> {
  const { dataSource } = await openDatabase(database);
  try {
    return await createRepositories(dataSource).drafts.findById(id);
  } finally {
    await dataSource.destroy();
  }
}

describe('the built process under signals', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  beforeEach(async () => {
    fakes = await startFakes();
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-proc-'));
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(specProblems).toEqual([]);
  });

  it('GIVEN SIGTERM while an approved draft is being posted THEN the post settles, nothing is lost or doubled, and it exits 0 in time', async () => {
    const env = fakeEnvironment(fakes, dataDir);
    const draftId = await seedPendingDraft(databaseOfEnvironment(env));
    const app = spawnBuiltApp({ appDir: root, env });
    await app.waitForLog((line) => line['message'] === 'ready');
    const card = await fakes.discord.waitForMessage((m) => JSON.stringify(m.components ?? []).includes(`:${draftId}:1`));
    // The bot stores the card's id once Discord answered the post; a click before that is refused
    // as not coming from the draft's card (a moderator would just click again). Under load the
    // click could win that race, so wait until the card is the draft's.
    await expect.poll(async () => (await storedDraft(databaseOfEnvironment(env), draftId))?.moderationMessageId, { timeout: 10_000 }).toBe(card.id);

    // X takes 1.5 s to answer the POST: the signal arrives while the request is in flight.
    fakes.x.http.injectFault({ method: 'POST', path: '/2/tweets' }, { delayMs: 1_500 });
    fakes.discord.injectButtonClick({
      messageId: card.id,
      customId: encodeDraftCustomId({ action: 'approve', draftId, revision: 1 }),
      userId: fakes.discord.userIds.moderator,
    });
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/2/tweets'));
    const { code, ms } = await app.signal('SIGTERM');

    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(fakes.x.tweets.filter((t) => t.text === TEXT)).toHaveLength(1);
    expect(await draftStatus(databaseOfEnvironment(env), draftId)).toBe('published');

    // A restart on the same files finds nothing to redo: still one tweet.
    const again = spawnBuiltApp({ appDir: root, env });
    await again.waitForLog((line) => line['message'] === 'ready');
    expect((await again.signal('SIGTERM')).code).toBe(0);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it('GIVEN a second signal during shutdown THEN the process exits at once', async () => {
    const env = fakeEnvironment(fakes, dataDir);
    const app = spawnBuiltApp({ appDir: root, env });
    await app.waitForLog((line) => line['message'] === 'ready');
    // Both signals are queued before the app runs again: the graceful shutdown has only begun.
    app.child.kill('SIGTERM');
    app.child.kill('SIGINT');
    const exit = await app.exited;
    expect(exit.code).toBe(130);
    expect(app.logs.some((line) => line['message'] === 'second signal: exiting now')).toBe(true);
    expect(app.logs.some((line) => line['message'] === 'stopped')).toBe(false);
  });
});

describe('the built process with a bad .env', () => {
  /** Starts the built app in an empty folder whose only configuration is this .env file. */
  async function startWithDotEnv(lines: readonly string[], files: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stderr: string }> {
    const { writeFileSync } = await import('node:fs');
    const cwd = mkdtempSync(join(tmpdir(), 'draftgate-badenv-'));
    try {
      writeFileSync(join(cwd, '.env'), lines.join('\n'));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
      const app = spawnBuiltApp({ appDir: cwd, env: {}, entry: join(root, 'dist/src/main.js') });
      const exit = await app.exited;
      return { code: exit.code, stderr: app.stderr.join('') };
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }

  it('GIVEN a .env with bad and missing values THEN it exits 2 with one message naming each variable, and no secret', async () => {
    const { code, stderr } = await startWithDotEnv([
      'DISCORD_TOKEN=a-real-looking-discord-token-0123456789',
      'DISCORD_GUILD_ID=my-server',
      'MODERATION_CHANNEL_ID=222222222222222222',
      'ANTHROPIC_API_KEY=sk-ant-secret-value-abcdef',
      'DRY_RUN=true',
      'MODERATION_TIMEOUT=two hours',
      'TIMEOUT_ACTION=delete',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Invalid configuration: 3 problems found\./);
    expect(stderr).toMatch(/DISCORD_GUILD_ID expected the id of the Discord server \(guild\): a numeric Discord id/);
    expect(stderr).toMatch(/MODERATION_TIMEOUT expected a duration such as 90s, 30m, 2h or 1h30m, got "two hours"/);
    expect(stderr).toMatch(/TIMEOUT_ACTION expected one of publish, expire, got "delete"/);
    expect(stderr).not.toContain('a-real-looking-discord-token-0123456789');
    expect(stderr).not.toContain('sk-ant-secret-value-abcdef');
  });

  it('GIVEN an invalid BANNED_PATTERNS regex and missing TWITTER_* variables (item 13) THEN the start exits 2 listing them with every other problem', async () => {
    const { code, stderr } = await startWithDotEnv([
      'DISCORD_TOKEN=a-real-looking-discord-token-0123456789',
      'DISCORD_GUILD_ID=111111111111111111',
      'MODERATION_CHANNEL_ID=222222222222222222',
      'ANTHROPIC_API_KEY=sk-ant-secret-value-abcdef',
      'TWITTER_APP_KEY=app-key-123456',
      'TWITTER_APP_SECRET=app-secret-123456',
      'BANNED_PATTERNS=["/([a-z/"]',
      'POST_JITTER=0',
      'TIMEOUT_ACTION=delete',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Invalid configuration: 4 problems found\./);
    expect(stderr).toMatch(/BANNED_PATTERNS contains "\/\(\[a-z\/", which is not a valid regular expression/);
    expect(stderr).toMatch(/TWITTER_ACCESS_TOKEN is missing/);
    expect(stderr).toMatch(/TWITTER_ACCESS_SECRET is missing/);
    expect(stderr).toMatch(/TIMEOUT_ACTION expected one of publish, expire/);
    expect(stderr).not.toMatch(/POST_JITTER/);
  });

  it('GIVEN an accounts.yaml with several mistakes (issue 11) THEN the start exits 2 listing every problem with its path, the missing secrets and the env problems, and no secret', async () => {
    const { code, stderr } = await startWithDotEnv(
      [
        'DISCORD_TOKEN=a-real-looking-discord-token-0123456789',
        'DISCORD_GUILD_ID=111111111111111111',
        'ANTHROPIC_API_KEY=sk-ant-secret-value-abcdef',
        'ACCOUNTS_FILE=accounts.yaml',
        'TWITTER_PUMPFUN_APP_KEY=pumpfun-app-key-secret-value',
        'TWITTER_PUMPFUN_APP_SECRET=pumpfun-app-secret-secret-value',
        'TIMEOUT_ACTION=delete',
      ],
      {
        'accounts.yaml': [
          'accounts:',
          '  - id: pumpfun',
          '    moderationChannelId: "1234567890123456789"',
          '    timezone: Europe/Berln',
          '    appKey: pasted-app-key-secret-value',
          '  - id: pump-news',
          '    moderationChannelId: "1234567890123456789"',
          '    dryRun: true',
          '    maxPostsPrHour: 3',
          '  - id: pumpfun',
          '    moderationChannelId: "1234567890123456789"',
          '',
        ].join('\n'),
      },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/Invalid configuration: 7 problems found\./);
    expect(stderr).toMatch(/TIMEOUT_ACTION expected one of publish, expire, got "delete"/);
    expect(stderr).toMatch(/accounts\[0\]\.timezone: expected an IANA time zone such as UTC or Europe\/Berlin, got "Europe\/Berln"/);
    expect(stderr).toMatch(/accounts\[0\]\.appKey: secrets never go in the file; set TWITTER_PUMPFUN_APP_KEY in the environment instead/);
    expect(stderr).toMatch(/accounts\[1\]\.maxPostsPrHour: unknown key; did you mean maxPostsPerHour\?/);
    expect(stderr).toMatch(/accounts\[2\]\.id: "pumpfun" is already the id of accounts\[0\]/);
    expect(stderr).toMatch(/TWITTER_PUMPFUN_ACCESS_TOKEN is missing/);
    expect(stderr).toMatch(/TWITTER_PUMPFUN_ACCESS_SECRET is missing/);
    expect(stderr).not.toMatch(/TWITTER_PUMP_NEWS_/);
    expect(stderr).not.toMatch(/MODERATION_CHANNEL_ID/);
    for (const secret of [
      'a-real-looking-discord-token-0123456789',
      'sk-ant-secret-value-abcdef',
      'pumpfun-app-key-secret-value',
      'pumpfun-app-secret-secret-value',
      'pasted-app-key-secret-value',
    ]) {
      expect(stderr).not.toContain(secret);
    }
  });
});
