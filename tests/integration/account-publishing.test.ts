import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InteractionResponseType } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XAuthenticationError } from '../../src/adapters/twitter/x-publish-target.js';
import { DraftgateApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import type { Draft } from '../../src/domain/draft.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { UNAUTHORIZED_BODY, type FakeXUser } from '../support/fake-x.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { fakeEnvironment, ManualClock, removeDir, type Fakes, type TestApp } from '../support/test-app.js';

/**
 * Issue 11 §2 through the real app: each account publishes through its own PublishTarget. An X
 * account posts with its own credentials; a dry-run account (even one whose X credentials are set)
 * reaches X for nothing at all, not even GET /2/users/me; X's per-app 24 h limit is one bucket for
 * every account signing with the same app key.
 */
describe('publishing per account (real app, fake X with one user per access token)', () => {
  const harness = useAppHarness({ DRY_RUN: 'false' });
  let fakes: Fakes;
  const dirs: string[] = [];
  /** Three X users authorised to the SAME app (the fake's consumer key), one per account. */
  let main: FakeXUser;
  let news: FakeXUser;
  let lab: FakeXUser;

  beforeEach(() => {
    fakes = harness.fakes;
    main = fakes.x.addUser({ userId: '1700000000000000011', username: 'draftgate_main', accessToken: 'main-access-token-0011' });
    news = fakes.x.addUser({ userId: '1700000000000000012', username: 'draftgate_news', accessToken: 'news-access-token-0012' });
    lab = fakes.x.addUser({ userId: '1700000000000000013', username: 'draftgate_lab', accessToken: 'lab-access-token-0013' });
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  /** The three accounts share the one moderation channel; `lab` is in dry run although its credentials are set. */
  function accountsEnv(): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-'));
    dirs.push(dir);
    const file = join(dir, 'accounts.yaml');
    const channel = `    moderationChannelId: "${fakes.discord.channelId}"`;
    writeFileSync(file, ['accounts:', '  - id: main', channel, '  - id: news', channel, '  - id: lab', channel, '    dryRun: true', ''].join('\n'));
    const env: Record<string, string> = { ACCOUNTS_FILE: file };
    for (const [prefix, user] of [
      ['TWITTER_MAIN_', main],
      ['TWITTER_NEWS_', news],
      ['TWITTER_LAB_', lab],
    ] as const) {
      env[`${prefix}APP_KEY`] = fakes.x.consumerKey;
      env[`${prefix}APP_SECRET`] = 'fake-x-consumer-secret';
      env[`${prefix}ACCESS_TOKEN`] = user.accessToken as string;
      env[`${prefix}ACCESS_SECRET`] = `${user.username}-access-secret`;
    }
    return env;
  }

  /** Generates a draft for `accountId` (its card in the channel) and approves it on the card. */
  async function approveDraftOf(testApp: TestApp, accountId: string, text: string): Promise<Draft> {
    const account = testApp.app.services.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text } });
    const outcome = await account.moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    if (outcome.status !== 'created' || !outcome.card) throw new Error(`expected a draft with a card, got ${outcome.status}`);
    const click = harness.track(
      fakes.discord.injectButtonClick({
        messageId: outcome.card.messageId,
        customId: encodeDraftCustomId({ action: 'approve', draftId: outcome.draft.id, revision: 1 }),
        userId: fakes.discord.userIds.moderator,
      }),
    );
    expect((await fakes.discord.waitForCallback(click.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    return outcome.draft;
  }

  async function publishedDraft(testApp: TestApp, accountId: string, draftId: number): Promise<Draft> {
    const repos = testApp.app.services.accounts.get(accountId)?.repos;
    await expect.poll(async () => (await repos?.drafts.findById(draftId))?.status).toBe('published');
    return (await repos?.drafts.findById(draftId)) as Draft;
  }

  it('GIVEN a dry-run account and an X account of the same app WHEN a draft of each is approved THEN the X account posts once as its own user and the dry-run account never makes any request to X', async () => {
    const testApp = await harness.start(accountsEnv());
    const mainText = 'Read who holds the supply of a fresh launch before you buy anything on Pump.fun. It takes a minute and saves a lot.';
    const labText = 'Set your own slippage and size limits before you trade a new coin on Pump.fun, and keep to them whatever the chart does.';

    const mainDraft = await approveDraftOf(testApp, 'main', mainText);
    const labDraft = await approveDraftOf(testApp, 'lab', labText);
    const mainPublished = await publishedDraft(testApp, 'main', mainDraft.id);
    const labPublished = await publishedDraft(testApp, 'lab', labDraft.id);
    // A queue tick and the engagement refresh of every account: still nothing from the dry-run one.
    for (const account of testApp.app.services.accounts.values()) {
      await account.publishing.processDueDrafts();
      await account.engagement.refresh();
    }

    expect(fakes.x.requestsBy(lab.userId)).toEqual([]);
    expect(fakes.x.requests.every((r) => [main.userId, news.userId].includes(fakes.x.userOf(r)?.userId ?? ''))).toBe(true);
    expect(fakes.x.requests.some((r) => String(r.headers['authorization'] ?? '').includes(lab.accessToken as string))).toBe(false);
    expect(fakes.x.tweetsOf(main.userId).map((t) => t.text)).toEqual([mainText]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect(fakes.x.tweets.some((t) => t.text === labText)).toBe(false);
    expect(mainPublished).toMatchObject({ dryRun: false, postedTweetIds: [fakes.x.tweetsOf(main.userId)[0]?.id] });
    expect(mainPublished.xCostUsd).toBeGreaterThan(0);
    expect(labPublished).toMatchObject({ dryRun: true, xCostUsd: 0, postedTweetIds: [`dryrun-${labDraft.id}-1`] });
    // Each started as its own user (GET /2/users/me), the dry-run account not at all.
    const active = (await testApp.app.repos.accounts.list()).filter((a) => a.active);
    expect(active.map((a) => [a.id, a.handle]).sort()).toEqual([
      ['lab', null],
      ['main', main.username],
      ['news', news.username],
    ]);
  });

  it("GIVEN two X accounts of the same app WHEN one of them posts THEN the other's /ratelimit shows the shared per-app 24 h bucket used, its own buckets untouched, and the dry-run account shows no X bucket", async () => {
    const testApp = await harness.start(accountsEnv());
    const draft = await approveDraftOf(
      testApp,
      'main',
      'Graduation moves a coin from its bonding curve to a DEX. Learn the steps on Pump.fun before you trade around one.',
    );
    await publishedDraft(testApp, 'main', draft.id);
    const status = (id: string) => testApp.app.services.accounts.get(id)?.publishing.rateLimitStatus();

    const mainLimits = (await status('main'))?.x;
    const newsLimits = (await status('news'))?.x;
    const labLimits = (await status('lab'))?.x;

    expect(mainLimits?.post?.app24h).toMatchObject({ limit: 1667, remaining: 1666 });
    // news never posted: it knows the app's bucket only through the bot-wide row main's answer wrote.
    expect(fakes.x.requestsBy(news.userId, 'POST', '/2/tweets')).toEqual([]);
    expect(newsLimits?.post?.app24h).toMatchObject({ limit: 1667, remaining: 1666 });
    expect(newsLimits?.post?.endpoint).toBeUndefined();
    expect(mainLimits?.post?.endpoint).toMatchObject({ remaining: 99 });
    expect(labLimits).toEqual({ post: null, timeline: null, lookup: null, me: null });
  });

  it('GIVEN X rejects the credentials of one account WHEN the app starts THEN the start fails with an error naming that account and its four variables, and nothing is posted', async () => {
    fakes.x.http.injectFault(
      { method: 'GET', path: '/2/users/me', where: (request) => fakes.x.userOf(request)?.userId === news.userId },
      { status: 401, body: UNAUTHORIZED_BODY },
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'draftgate-app-'));
    dirs.push(dataDir);
    const clock = new ManualClock();
    const app = new DraftgateApp({
      config: loadConfig(fakeEnvironment(fakes, dataDir, { DRY_RUN: 'false', ...accountsEnv() })),
      logger: createSilentLogger(),
      clock,
      monotonicClock: clock.monotonic,
      armSchedulerTimers: false,
    });
    try {
      const error = await app.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(XAuthenticationError);
      const message = (error as Error).message;
      expect(message).toContain('account "news"');
      expect(message).toMatch(/TWITTER_NEWS_APP_KEY, TWITTER_NEWS_APP_SECRET, TWITTER_NEWS_ACCESS_TOKEN and TWITTER_NEWS_ACCESS_SECRET/);
      expect(message).not.toMatch(/TWITTER_MAIN_|TWITTER_LAB_|news-access-token|fake-x-consumer-secret/);
      expect(fakes.x.requestsTo('POST', '/2/tweets')).toEqual([]);
      expect(fakes.x.requestsBy(lab.userId)).toEqual([]);
    } finally {
      await app.stop();
    }
  });
});
