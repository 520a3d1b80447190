import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnBuiltApp } from '../support/spawn-app.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/** The compiled app, run as the container runs it (`npm test` builds first). */
const root = fileURLToPath(new URL('../..', import.meta.url));

const CONSUMER_KEY = 'fake-x-consumer-key';
const CONSUMER_SECRET = 'fake-x-consumer-secret';
const ALPHA = { userId: '1700000000000000001', username: 'alpha_x', accessToken: 'alpha-token', accessTokenSecret: 'alpha-secret' };

/**
 * Issue 11 §1, the start-up check of every account's X credentials, through the built process:
 * what main does with it (the exit code an operator's supervisor sees).
 */
describe('the built process with several accounts (issue 11)', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  beforeEach(async () => {
    fakes = await startFakes({
      x: {
        consumerKey: CONSUMER_KEY,
        consumerSecret: CONSUMER_SECRET,
        accessToken: 'fake-x-access-token',
        accessTokenSecret: 'fake-x-access-secret',
        users: [ALPHA],
      },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-proc-'));
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(specProblems).toEqual([]);
  });

  /** alpha and beta in the fake's channel, posting for real; beta's token and secret as given. */
  function environment(beta: { accessToken: string; accessTokenSecret: string }): Record<string, string> {
    const file = join(dataDir, 'accounts.yaml');
    writeFileSync(
      file,
      [
        'accounts:',
        '  - id: alpha',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '  - id: beta',
        `    moderationChannelId: "${fakes.discord.channelId}"`,
        '',
      ].join('\n'),
    );
    return fakeEnvironment(fakes, dataDir, {
      DRY_RUN: 'false',
      ACCOUNTS_FILE: file,
      TWITTER_ALPHA_APP_KEY: CONSUMER_KEY,
      TWITTER_ALPHA_APP_SECRET: CONSUMER_SECRET,
      TWITTER_ALPHA_ACCESS_TOKEN: ALPHA.accessToken,
      TWITTER_ALPHA_ACCESS_SECRET: ALPHA.accessTokenSecret,
      TWITTER_BETA_APP_KEY: CONSUMER_KEY,
      TWITTER_BETA_APP_SECRET: CONSUMER_SECRET,
      TWITTER_BETA_ACCESS_TOKEN: beta.accessToken,
      TWITTER_BETA_ACCESS_SECRET: beta.accessTokenSecret,
    });
  }

  it('GIVEN two accounts whose credentials resolve to the same X user THEN the process exits 2 (a configuration error) naming both, before connecting to Discord', async () => {
    // The same X user authorised a second app, and beta was given that token.
    fakes.x.addToken(ALPHA.userId, { accessToken: 'alpha-second-token', accessTokenSecret: 'alpha-second-secret' });
    const app = spawnBuiltApp({ appDir: root, env: environment({ accessToken: 'alpha-second-token', accessTokenSecret: 'alpha-second-secret' }) });
    const exit = await app.exited;

    expect(exit.code).toBe(2);
    const failure = app.logs.find((line) => line['message'] === 'start-up failed');
    expect(JSON.stringify(failure)).toMatch(/The accounts \\"alpha\\" and \\"beta\\" both post as @alpha_x/);
    expect(JSON.stringify(app.logs)).not.toContain('alpha-second-secret');
    expect(fakes.discord.connectionCount).toBe(0);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toEqual([]);
  });

  it("GIVEN beta's credentials refused by X (401) THEN the process stops before Discord, its log naming beta and beta's four variables", async () => {
    const app = spawnBuiltApp({ appDir: root, env: environment({ accessToken: 'revoked-token', accessTokenSecret: 'revoked-secret' }) });
    const exit = await app.exited;

    expect(exit.code).not.toBe(0);
    const failure = JSON.stringify(app.logs.find((line) => line['message'] === 'start-up failed'));
    expect(failure).toContain('X rejected the credentials of account \\"beta\\" (HTTP 401)');
    for (const variable of ['TWITTER_BETA_APP_KEY', 'TWITTER_BETA_APP_SECRET', 'TWITTER_BETA_ACCESS_TOKEN', 'TWITTER_BETA_ACCESS_SECRET']) {
      expect(failure).toContain(variable);
    }
    expect(JSON.stringify(app.logs)).not.toMatch(/revoked-token|revoked-secret|alpha-secret/);
    expect(fakes.discord.connectionCount).toBe(0);
  });
});
