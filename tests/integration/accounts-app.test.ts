import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccountConfigurationError, type AccountServices } from '../../src/app.js';
import { encodeDraftCustomId } from '../../src/domain/custom-id.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import type { InjectedInteraction } from '../support/fake-discord.js';
import type { FakeXUserOptions } from '../support/fake-x.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { ModerationDriver, type PostedCard } from '../support/moderation-driver.js';
import type { Fakes, TestApp } from '../support/test-app.js';

/**
 * Issue 11 "Done when": the whole app with several accounts from an accounts.yaml, the real
 * discord.js, twitter-api-v2 and Anthropic clients against the fakes. Each account has its own
 * X user at the fake X, known by its own access token (signatures checked), so a tweet posted
 * with another account's credentials lands under the wrong user and shows.
 */

const CONSUMER_KEY = 'fake-x-consumer-key';
const CONSUMER_SECRET = 'fake-x-consumer-secret';

/** The X user each account posts as: its token is the only way to reach that user. */
const X_USERS = {
  alpha: { userId: '1700000000000000001', username: 'alpha_x', accessToken: 'alpha-token', accessTokenSecret: 'alpha-secret' },
  beta: { userId: '1700000000000000002', username: 'beta_x', accessToken: 'beta-token', accessTokenSecret: 'beta-secret' },
  gamma: { userId: '1700000000000000003', username: 'gamma_x', accessToken: 'gamma-token', accessTokenSecret: 'gamma-secret' },
  delta: { userId: '1700000000000000004', username: 'delta_x', accessToken: 'delta-token', accessTokenSecret: 'delta-secret' },
} as const satisfies Record<string, FakeXUserOptions>;
type AccountName = keyof typeof X_USERS;

const TWEETS: Record<AccountName, string> = {
  alpha: 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.',
  beta: 'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.',
  gamma: 'Graduation is when a coin fills its bonding curve on Pump.fun and its liquidity moves on. Learn the steps before you trade around it.',
  delta: 'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.',
};

/** The four secrets of an account, the way an operator sets them (TWITTER_<ID>_*). */
function credentialsOf(id: AccountName): Record<string, string> {
  const prefix = `TWITTER_${id.toUpperCase()}_`;
  return {
    [`${prefix}APP_KEY`]: CONSUMER_KEY,
    [`${prefix}APP_SECRET`]: CONSUMER_SECRET,
    [`${prefix}ACCESS_TOKEN`]: X_USERS[id].accessToken,
    [`${prefix}ACCESS_SECRET`]: X_USERS[id].accessTokenSecret,
  };
}

/** One account of accounts.yaml: its id, its channel, and any further keys as YAML lines. */
interface FileAccount {
  readonly id: string;
  readonly channelId: string;
  readonly extra?: readonly string[];
}

/** Writes accounts.yaml into `dir` and returns its absolute path (what ACCOUNTS_FILE holds). */
function writeAccountsFile(dir: string, accounts: readonly FileAccount[]): string {
  const file = join(dir, 'accounts.yaml');
  const lines = ['accounts:'];
  for (const account of accounts) {
    lines.push(`  - id: ${account.id}`, `    moderationChannelId: "${account.channelId}"`, ...(account.extra ?? []).map((line) => `    ${line}`));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** Waits until `probe` returns a value (the bot works asynchronously on the wire). */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('issue 11: several accounts through the whole app (real clients, fakes)', () => {
  // Not dry run: every account posts with its own credentials. The default user's token is the
  // plain TWITTER_ACCESS_TOKEN, so a tweet sent with the env's credentials instead of the
  // account's would land under that user.
  const harness = useAppHarness(
    { DRY_RUN: 'false' },
    {
      x: {
        consumerKey: CONSUMER_KEY,
        consumerSecret: CONSUMER_SECRET,
        accessToken: 'fake-x-access-token',
        accessTokenSecret: 'fake-x-access-secret',
        users: Object.values(X_USERS),
      },
    },
  );
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
  });

  function slash(
    name: string,
    input: { options?: Record<string, string | number>; subcommand?: string; userId?: string; channelId?: string } = {},
  ): InjectedInteraction {
    return harness.track(fakes.discord.injectSlashCommand({ name, ...input }));
  }

  /** The answer to a command: the reply, or the edit of its deferred reply once it is no longer loading. */
  async function answer(
    interaction: InjectedInteraction,
  ): Promise<{ content: string; embeds: Array<{ title?: string; description?: string }>; ephemeral: boolean }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const edited = await waitFor(() => {
        const message = fakes.discord.originalResponse(interaction.id);
        return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
      });
      return {
        content: String(edited.content ?? ''),
        embeds: edited.embeds as Array<{ title?: string }>,
        ephemeral: (edited.flags & MessageFlags.Ephemeral) !== 0,
      };
    }
    const data = callback.data ?? {};
    return {
      content: String(data['content'] ?? ''),
      embeds: (data['embeds'] as Array<{ title?: string }>) ?? [],
      ephemeral: (Number(data['flags'] ?? 0) & MessageFlags.Ephemeral) !== 0,
    };
  }

  function account(testApp: TestApp, id: string): AccountServices {
    const services = testApp.app.services.accounts.get(id);
    if (!services) throw new Error(`no account ${id}`);
    return services;
  }

  /** The newest pending draft of an account, once its card is posted (the post job or /draft made it). */
  async function pendingCard(testApp: TestApp, id: string): Promise<PostedCard> {
    return waitFor(async () => {
      const [draft] = await account(testApp, id).repos.drafts.findByStatuses(['pending'], { newestFirst: true });
      return draft?.moderationMessageId ? { draft, messageId: draft.moderationMessageId } : undefined;
    });
  }

  /**
   * Starts the app with `ids` from an accounts.yaml: alpha and beta each in a channel of their
   * own, gamma and delta sharing the moderation channel. Every account posts for real with its
   * own TWITTER_<ID>_* credentials. `dataDir` restarts on an earlier app's files.
   */
  async function startAccounts(
    ids: readonly AccountName[],
    options: { extra?: Partial<Record<AccountName, readonly string[]>>; dataDir?: string; channels?: Partial<Record<AccountName, string>> } = {},
  ): Promise<{ testApp: TestApp; channels: Record<AccountName, string> }> {
    const channels: Record<AccountName, string> = {
      alpha: options.channels?.alpha ?? (ids.includes('alpha') ? fakes.discord.addChannel('alpha-moderation') : ''),
      beta: options.channels?.beta ?? (ids.includes('beta') ? fakes.discord.addChannel('beta-moderation') : ''),
      gamma: fakes.discord.channelId,
      delta: fakes.discord.channelId,
    };
    const dir = options.dataDir ?? harness.tempDir();
    const file = writeAccountsFile(
      dir,
      ids.map((id) => ({ id, channelId: channels[id], ...(options.extra?.[id] ? { extra: options.extra[id] } : {}) })),
    );
    const env = { ACCOUNTS_FILE: file, ...Object.assign({}, ...ids.map(credentialsOf)) };
    const testApp = await harness.start(env, { dataDir: dir });
    await withoutThreadTopic(testApp);
    return { testApp, channels };
  }

  /** The topic is drawn at random: without the thread topic, every draft is the one tweet the test queues. */
  async function withoutThreadTopic(testApp: TestApp): Promise<void> {
    for (const services of testApp.app.services.accounts.values()) {
      for (const topic of await services.repos.topics.list()) {
        if (topic.contentType === 'thread') await services.repos.topics.setEnabled(topic.id, false, testApp.clock.now());
      }
    }
  }

  /** Generates a draft for `id` with exactly `text` through its post job, and returns its card. */
  async function draftByPostJob(testApp: TestApp, id: AccountName, text: string): Promise<PostedCard> {
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text } });
    const run = await testApp.app.scheduler.runNow(JOB_NAMES.post(id));
    expect(run?.outcome, run?.reason ?? '').toBe('ok');
    return pendingCard(testApp, id);
  }

  it('GIVEN four accounts (two with a channel each, two sharing one) WHEN a draft of each, made by its post job or /draft account:, is approved on its card THEN each is published once under its own X user with its own token, and nothing under any other user', async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta', 'gamma', 'delta']);
    const driver = new ModerationDriver(fakes, testApp);

    // alpha and beta by their post jobs, gamma and delta by /draft in the shared channel.
    const cards = {} as Record<AccountName, PostedCard>;
    for (const id of ['alpha', 'beta'] as const) cards[id] = await draftByPostJob(testApp, id, TWEETS[id]);
    for (const id of ['gamma', 'delta'] as const) {
      fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS[id] } });
      await answer(slash('draft', { options: { account: id } }));
      cards[id] = await pendingCard(testApp, id);
    }

    for (const id of Object.keys(cards) as AccountName[]) {
      const card = cards[id];
      expect(card.draft.tweets).toEqual([TWEETS[id]]);
      // Each card is in its account's channel and names the handle it will post as.
      expect(driver.message(card.messageId).channel_id).toBe(channels[id]);
      const embed = driver.message(card.messageId).embeds[0] as { title: string; footer: { text: string } };
      expect(embed.title.replace(/\\/g, '')).toContain(`@${X_USERS[id].username}`);
      expect(embed.footer.text).toContain(`account ${id}`);
      harness.track(driver.click(card, 'approve', card.draft.id, 1));
    }
    for (const id of Object.keys(cards) as AccountName[]) {
      await expect.poll(() => driver.status(cards[id].messageId), { timeout: 5_000 }).toContain('Published');
    }

    for (const id of Object.keys(X_USERS) as AccountName[]) {
      const { userId } = X_USERS[id];
      expect(fakes.x.tweetsOf(userId).map((t) => t.text)).toEqual([TWEETS[id]]);
      // Every POST signed with this account's token carried this account's text, and only once.
      expect(fakes.x.requestsBy(userId, 'POST', '/2/tweets').map((r) => r.body)).toEqual([{ text: TWEETS[id] }]);
      const draft = await account(testApp, id).repos.drafts.findById(cards[id].draft.id);
      expect(draft).toMatchObject({ status: 'published', accountId: id, tweetId: fakes.x.tweetsOf(userId)[0]?.id });
    }
    // Nothing under the env's default user, and no request X would have refused.
    expect(fakes.x.tweetsOf(fakes.x.userId)).toEqual([]);
    expect(fakes.x.requests.filter((r) => fakes.x.userOf(r) === undefined)).toEqual([]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(4);
  });

  it("GIVEN alpha's own caps of 1 post per hour and per day reached WHEN alpha and beta each have drafts approved THEN alpha's post job skips and its approval waits in the queue, while beta still generates and publishes; a day later alpha's queued draft goes out under alpha", async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta'], { extra: { alpha: ['maxPostsPerHour: 1', 'maxPostsPerDay: 1'] } });
    const driver = new ModerationDriver(fakes, testApp);
    const approve = (card: PostedCard) => harness.track(driver.click(card, 'approve', card.draft.id, 1));

    const first = await draftByPostJob(testApp, 'alpha', TWEETS.alpha);
    approve(first);
    await expect.poll(() => driver.status(first.messageId)).toContain('Published');

    // alpha's cap is reached: its post job makes nothing; beta's, with its own cap, goes on.
    const held = await testApp.app.scheduler.runNow(JOB_NAMES.post('alpha'));
    expect(held?.outcome).toBe('skipped');
    expect(held?.reason).toMatch(/daily cap leaves no room: 1 published in 24 h \+ 0 queued of 1/);
    const beta1 = await draftByPostJob(testApp, 'beta', TWEETS.beta);

    // A second alpha draft (by /draft, which a cap does not refuse) is approved: queued, not posted.
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS.gamma } });
    await answer(slash('draft', { channelId: channels.alpha }));
    const second = await pendingCard(testApp, 'alpha');
    expect(second.draft.id).not.toBe(first.draft.id);
    approve(second);
    await expect.poll(() => driver.status(second.messageId)).toContain('queued until');

    approve(beta1);
    await expect.poll(() => driver.status(beta1.messageId)).toContain('Published');
    await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId).map((t) => t.text)).toEqual([TWEETS.alpha]);
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);
    expect((await account(testApp, 'alpha').repos.drafts.findById(second.draft.id))?.status).toBe('approved');

    // The day passes: the queue publishes alpha's second draft, under alpha.
    testApp.clock.advance(24 * 60 * 60_000 + 60_000);
    await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    await expect.poll(() => driver.status(second.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId).map((t) => t.text)).toEqual([TWEETS.alpha, TWEETS.gamma]);
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);
  });

  it('GIVEN alpha and beta running WHEN /pause account:alpha THEN only alpha is paused: its post job skips, beta still generates and its approved draft publishes; /status without account shows alpha paused and beta running', async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta']);
    const driver = new ModerationDriver(fakes, testApp);

    const paused = await answer(slash('pause', { options: { account: 'alpha', reason: 'incident' } }));
    // The announcement goes to alpha's channel, and to no other.
    const announced = (m: { channel_id: string; embeds: unknown[] }) => JSON.stringify(m.embeds).includes('Posting paused');
    const announcement = await fakes.discord.waitForMessage((m) => announced(m) && m.channel_id === channels.alpha);
    expect(JSON.stringify(announcement.embeds)).toContain('Posting paused for alpha');
    expect([...fakes.discord.messages.values()].filter((m) => announced(m) && m.channel_id !== fakes.discord.channelId).map((m) => m.channel_id)).toEqual([
      channels.alpha,
    ]);
    expect(paused.ephemeral).toBe(false);
    expect(JSON.stringify(paused.embeds)).toContain('alpha');
    expect(JSON.stringify(paused.embeds)).not.toContain('beta');
    expect(await account(testApp, 'alpha').pause.current()).toMatchObject({ reason: 'incident' });
    expect(await account(testApp, 'beta').pause.current()).toBeNull();

    const held = await testApp.app.scheduler.runNow(JOB_NAMES.post('alpha'));
    expect(held).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/^posting is paused by .*\(incident\)$/) });
    expect(await account(testApp, 'alpha').repos.drafts.findByStatuses(['pending'])).toEqual([]);

    const card = await draftByPostJob(testApp, 'beta', TWEETS.beta);
    harness.track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    // The publish queue still runs for beta (only alpha is held).
    expect((await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue))?.outcome).toBe('ok');
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);

    // Used where no account has its channel, /status covers both, a section each.
    const status = await answer(slash('status'));
    expect(status.embeds).toHaveLength(2);
    const [alpha, beta] = status.embeds;
    expect(alpha?.title).toContain('alpha');
    expect(alpha?.description).toContain('⏸️ **Paused**');
    expect(alpha?.description).toContain('incident');
    expect(beta?.title).toContain('beta');
    expect(beta?.description).toContain('▶️ **Running**');
  });

  it('GIVEN alpha and beta in channels of their own and gamma and delta sharing one WHEN commands name no account THEN in a channel of one account they apply to it; in the shared channel /draft is refused listing the ids and /status covers every account', async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta', 'gamma', 'delta']);

    // alpha's channel: /status and /pause are alpha's alone.
    const alphaStatus = await answer(slash('status', { channelId: channels.alpha }));
    expect(alphaStatus.embeds).toHaveLength(1);
    expect(alphaStatus.embeds[0]?.title).toContain('alpha');
    await answer(slash('pause', { channelId: channels.alpha }));
    expect(await account(testApp, 'alpha').pause.current()).not.toBeNull();
    for (const id of ['beta', 'gamma', 'delta']) expect(await account(testApp, id).pause.current()).toBeNull();

    // beta's channel: /draft without account drafts for beta, and its card goes to beta's channel.
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS.beta } });
    await answer(slash('draft', { channelId: channels.beta }));
    const card = await pendingCard(testApp, 'beta');
    expect(fakes.discord.messages.get(card.messageId)?.channel_id).toBe(channels.beta);
    for (const id of ['alpha', 'gamma', 'delta']) expect(await account(testApp, id).repos.drafts.findByStatuses(['pending'])).toEqual([]);

    // The shared channel: /draft must be told which account, privately, with the ids to choose from.
    const refused = await answer(slash('draft', { channelId: channels.gamma }));
    expect(refused.ephemeral).toBe(true);
    const refusal = refused.content + JSON.stringify(refused.embeds);
    expect(refusal).toMatch(/Which account\?/);
    for (const id of ['alpha', 'beta', 'gamma', 'delta']) expect(refusal).toContain(`\`${id}\``);
    for (const id of ['gamma', 'delta']) expect(await account(testApp, id).repos.drafts.findByStatuses(['pending'])).toEqual([]);
    expect(fakes.anthropic.http.requestsTo('POST', /\/messages$/)).toHaveLength(1);

    // ... and /status covers every account, a section each.
    const all = await answer(slash('status', { channelId: channels.gamma }));
    expect(all.embeds.map((e) => /alpha|beta|gamma|delta/.exec(e.title ?? '')?.[0])).toEqual(['alpha', 'beta', 'gamma', 'delta']);
  });

  it("GIVEN alpha and beta, and a pending draft of beta WHEN the bot restarts with beta removed from the file THEN beta's draft is expired with its card saying why, its history stays, /status account:beta answers that beta is inactive, and a click on beta's old card is refused", async () => {
    const first = await startAccounts(['alpha', 'beta']);
    const published = await draftByPostJob(first.testApp, 'beta', TWEETS.beta);
    const driver1 = new ModerationDriver(fakes, first.testApp);
    harness.track(driver1.click(published, 'approve', published.draft.id, 1));
    await expect.poll(() => driver1.status(published.messageId)).toContain('Published');
    const pending = await draftByPostJob(first.testApp, 'beta', TWEETS.delta);
    await first.testApp.stop();

    const { testApp } = await startAccounts(['alpha'], { dataDir: first.testApp.dataDir, channels: { alpha: first.channels.alpha } });
    const driver = new ModerationDriver(fakes, testApp);
    expect([...testApp.app.services.accounts.keys()]).toEqual(['alpha']);

    // The pending draft expired, and its card (in beta's channel, where it was posted) says why.
    // (A fresh database also holds the inactive `default` the Accounts migration creates.)
    const accounts = await testApp.app.repos.accounts.list();
    expect(accounts.filter((a) => a.id !== 'default').map((a) => [a.id, a.active])).toEqual([
      ['alpha', true],
      ['beta', false],
    ]);
    await expect.poll(() => driver.status(pending.messageId)).toMatch(/Expired/i);
    expect(driver.status(pending.messageId)).toContain('the account beta was removed from the configuration');
    expect(driver.buttons(pending.messageId)).toEqual([]);
    expect(driver.message(pending.messageId).channel_id).toBe(first.channels.beta);

    // beta's history stays: both drafts are still beta's, the published one still published on its card.
    expect(await testApp.app.repos.accounts.accountOfDraft(published.draft.id)).toBe('beta');
    expect(await testApp.app.repos.accounts.accountOfDraft(pending.draft.id)).toBe('beta');
    expect(driver.status(published.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);

    const status = await answer(slash('status', { options: { account: 'beta' } }));
    expect(status.ephemeral).toBe(true);
    expect(status.content + JSON.stringify(status.embeds)).toMatch(/beta.*inactive|inactive.*beta/i);

    // A moderator whose client still shows the old card clicks Approve: refused, nothing changes.
    const click = harness.track(
      fakes.discord.injectButtonClick({
        messageId: pending.messageId,
        customId: encodeDraftCustomId({ action: 'approve', draftId: pending.draft.id, revision: 1 }),
        userId: fakes.discord.userIds.moderator,
        stale: true,
      }),
    );
    expect(await driver.ephemeralReply(click.id)).toMatch(/belongs to the account beta, which is no longer configured/);
    expect(fakes.x.tweetsOf(X_USERS.beta.userId)).toHaveLength(1);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it("GIVEN alpha and beta not in dry run WHEN the bot starts THEN it asks X who each account posts as with that account's credentials and logs each handle", async () => {
    const { testApp } = await startAccounts(['alpha', 'beta']);
    for (const id of ['alpha', 'beta'] as const) {
      expect(fakes.x.requestsBy(X_USERS[id].userId, 'GET', '/2/users/me')).toHaveLength(1);
      expect(testApp.logs.filter((l) => l['accountId'] === id && l['message'] === `Connected to X as @${X_USERS[id].username}`)).toHaveLength(1);
    }
    expect(fakes.x.requests.filter((r) => fakes.x.userOf(r) === undefined)).toEqual([]);
  });

  it("GIVEN beta's access token revoked at X WHEN the bot starts THEN the start fails naming beta and its four variables, before Discord or any POST", async () => {
    const dir = harness.tempDir();
    const file = writeAccountsFile(dir, [
      { id: 'alpha', channelId: fakes.discord.channelId },
      { id: 'beta', channelId: fakes.discord.channelId },
    ]);
    const env = { ACCOUNTS_FILE: file, ...credentialsOf('alpha'), ...credentialsOf('beta'), TWITTER_BETA_ACCESS_TOKEN: 'revoked-token' };
    const error = await harness.start(env, { dataDir: dir }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('XAuthenticationError');
    expect(error?.message).toContain('"beta"');
    expect(error?.message).toContain('HTTP 401');
    for (const variable of ['TWITTER_BETA_APP_KEY', 'TWITTER_BETA_APP_SECRET', 'TWITTER_BETA_ACCESS_TOKEN', 'TWITTER_BETA_ACCESS_SECRET']) {
      expect(error?.message).toContain(variable);
    }
    expect(error?.message).not.toMatch(/TWITTER_APP_KEY|TWITTER_ALPHA_/);
    expect(error?.message).not.toContain('revoked-token');
    expect(fakes.discord.connectionCount).toBe(0);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toEqual([]);
  });

  it('GIVEN alpha and beta whose credentials resolve to the same X user WHEN the bot starts THEN it stops with an AccountConfigurationError naming both accounts', async () => {
    // The same X user authorised a second app; beta was given that app's token.
    fakes.x.addToken(X_USERS.alpha.userId, { accessToken: 'alpha-second-token', accessTokenSecret: 'alpha-second-secret' });
    const dir = harness.tempDir();
    const file = writeAccountsFile(dir, [
      { id: 'alpha', channelId: fakes.discord.channelId },
      { id: 'beta', channelId: fakes.discord.channelId },
    ]);
    const env = {
      ACCOUNTS_FILE: file,
      ...credentialsOf('alpha'),
      ...credentialsOf('beta'),
      TWITTER_BETA_ACCESS_TOKEN: 'alpha-second-token',
      TWITTER_BETA_ACCESS_SECRET: 'alpha-second-secret',
    };
    const error = await harness.start(env, { dataDir: dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AccountConfigurationError);
    expect((error as Error).message).toMatch(/"alpha" and "beta" both post as @alpha_x \(X user 1700000000000000001\)/);
    expect(fakes.discord.connectionCount).toBe(0);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toEqual([]);
  });

  it("GIVEN alpha (timeout publishes after 30m) and beta (timeout expires after 1h) with a draft each WHEN their deadlines pass THEN each account's own timeout rule applies: alpha's draft is published under alpha, beta's expires and nothing goes out under beta", async () => {
    const { testApp } = await startAccounts(['alpha', 'beta'], {
      extra: { alpha: ['moderationTimeout: 30m', 'timeoutAction: publish'], beta: ['moderationTimeout: 1h', 'timeoutAction: expire'] },
    });
    const driver = new ModerationDriver(fakes, testApp);
    const alpha = await draftByPostJob(testApp, 'alpha', TWEETS.alpha);
    const beta = await draftByPostJob(testApp, 'beta', TWEETS.beta);

    testApp.clock.advance(31 * 60_000);
    await testApp.app.services.deadlines.runNow();
    await expect.poll(() => driver.status(alpha.messageId)).toContain('Published');
    expect((await account(testApp, 'beta').repos.drafts.findById(beta.draft.id))?.status).toBe('pending');

    testApp.clock.advance(30 * 60_000);
    await testApp.app.services.deadlines.runNow();
    await expect.poll(() => driver.status(beta.messageId)).toMatch(/Expired/i);
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId).map((t) => t.text)).toEqual([TWEETS.alpha]);
    expect(fakes.x.tweetsOf(X_USERS.beta.userId)).toEqual([]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it("GIVEN alpha and beta each with a published tweet WHEN the engagement refresh runs THEN each account reads its own tweets' metrics with its own credentials", async () => {
    const { testApp } = await startAccounts(['alpha', 'beta']);
    const driver = new ModerationDriver(fakes, testApp);
    for (const id of ['alpha', 'beta'] as const) {
      const card = await draftByPostJob(testApp, id, TWEETS[id]);
      harness.track(driver.click(card, 'approve', card.draft.id, 1));
      await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    }
    const tweetOf = (id: AccountName) => fakes.x.tweetsOf(X_USERS[id].userId)[0]!;
    fakes.x.setMetrics(tweetOf('alpha').id, { like_count: 7, impression_count: 700 });
    fakes.x.setMetrics(tweetOf('beta').id, { like_count: 3, impression_count: 300 });

    testApp.clock.advance(60 * 60_000);
    const run = await testApp.app.scheduler.runNow(JOB_NAMES.engagement);
    expect(run?.outcome, run?.reason ?? '').toBe('ok');

    for (const id of ['alpha', 'beta'] as const) {
      const lookups = fakes.x.requestsBy(X_USERS[id].userId, 'GET', '/2/tweets');
      expect(lookups.map((r) => r.query['ids'])).toEqual([tweetOf(id).id]);
    }
    expect(fakes.x.requests.filter((r) => fakes.x.userOf(r) === undefined)).toEqual([]);
  });

  it("GIVEN beta moderated by another role than alpha WHEN alpha's moderator clicks Approve on beta's card or uses /pause account:beta THEN both are refused and beta is untouched; beta's own moderator approves and it publishes under beta", async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta'], { extra: { beta: [`moderatorRoleId: "${fakes.discord.adminRoleId}"`] } });
    const driver = new ModerationDriver(fakes, testApp);
    const { moderator, admin } = fakes.discord.userIds;
    const card = await draftByPostJob(testApp, 'beta', TWEETS.beta);

    const refused = harness.track(driver.click(card, 'approve', card.draft.id, 1, moderator));
    expect(await driver.ephemeralReply(refused.id)).toMatch(/^Only moderators can do that/);
    expect((await account(testApp, 'beta').repos.drafts.findById(card.draft.id))?.status).toBe('pending');

    const pause = await answer(slash('pause', { options: { account: 'beta' }, userId: moderator, channelId: channels.beta }));
    expect(pause.ephemeral).toBe(true);
    expect(await account(testApp, 'beta').pause.current()).toBeNull();
    await answer(slash('pause', { options: { account: 'alpha' }, userId: moderator, channelId: channels.alpha }));
    expect(await account(testApp, 'alpha').pause.current()).not.toBeNull();

    harness.track(driver.click(card, 'approve', card.draft.id, 1, admin));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it("GIVEN alpha paused and beta running, both publishing on timeout WHEN both deadlines pass THEN beta's draft is published on timeout while alpha's stays pending; WHEN /resume account:alpha THEN alpha's is published under alpha", async () => {
    const timeout = ['moderationTimeout: 30m', 'timeoutAction: publish'];
    const { testApp, channels } = await startAccounts(['alpha', 'beta'], { extra: { alpha: timeout, beta: timeout } });
    const driver = new ModerationDriver(fakes, testApp);
    const alpha = await draftByPostJob(testApp, 'alpha', TWEETS.alpha);
    const beta = await draftByPostJob(testApp, 'beta', TWEETS.beta);
    await answer(slash('pause', { channelId: channels.alpha }));
    expect(await account(testApp, 'beta').pause.current()).toBeNull();

    testApp.clock.advance(31 * 60_000);
    await testApp.app.services.deadlines.runNow();
    await testApp.app.scheduler.runNow(JOB_NAMES.timeoutSweep);
    await expect.poll(() => driver.status(beta.messageId)).toContain('Published');
    expect((await account(testApp, 'alpha').repos.drafts.findById(alpha.draft.id))?.status).toBe('pending');
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId)).toEqual([]);

    await answer(slash('resume', { channelId: channels.alpha }));
    await expect.poll(() => driver.status(alpha.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId).map((t) => t.text)).toEqual([TWEETS.alpha]);
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(2);
  });

  it('GIVEN alpha and beta started once WHEN the bot restarts while X does not answer GET /2/users/me THEN it starts anyway and the cards still name the handles learned at the first start', async () => {
    const first = await startAccounts(['alpha', 'beta']);
    await first.testApp.stop();

    fakes.x.serverError(503, { method: 'GET', path: '/2/users/me', times: 10 });
    const { testApp } = await startAccounts(['alpha', 'beta'], { dataDir: first.testApp.dataDir, channels: first.channels });
    expect(testApp.logs.some((l) => l['accountId'] === 'beta' && /Could not verify the X connection/.test(String(l['message'])))).toBe(true);
    const driver = new ModerationDriver(fakes, testApp);
    for (const id of ['alpha', 'beta'] as const) {
      const card = await draftByPostJob(testApp, id, TWEETS[id]);
      const embed = driver.message(card.messageId).embeds[0] as { title: string };
      expect(embed.title.replace(/\\/g, '')).toContain(`@${X_USERS[id].username}`);
    }
  });

  it('GIVEN alpha alone at first WHEN beta is added to the file, removed, then added back THEN beta starts with the default topics, comes back active with its own history and topic weights, and posts under beta again', async () => {
    const first = await startAccounts(['alpha']);
    const dataDir = first.testApp.dataDir;
    await first.testApp.stop();

    const channels = { alpha: first.channels.alpha, beta: fakes.discord.addChannel('beta-moderation') };
    const second = await startAccounts(['alpha', 'beta'], { dataDir, channels });
    const betaTopics = await account(second.testApp, 'beta').repos.topics.list();
    expect(betaTopics.length).toBeGreaterThan(0);
    const education = betaTopics.find((t) => t.name === 'education')!;
    await account(second.testApp, 'beta').repos.topics.setWeight(education.id, 42, second.testApp.clock.now());
    const driver = new ModerationDriver(fakes, second.testApp);
    const card = await draftByPostJob(second.testApp, 'beta', TWEETS.beta);
    harness.track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    await second.testApp.stop();

    const third = await startAccounts(['alpha'], { dataDir, channels });
    expect(third.testApp.app.commandContext.accounts.inactiveIds()).toContain('beta');
    await third.testApp.stop();

    const fourth = await startAccounts(['alpha', 'beta'], { dataDir, channels });
    expect(fourth.testApp.app.commandContext.accounts.inactiveIds()).not.toContain('beta');
    expect((await fourth.testApp.app.repos.accounts.list()).find((a) => a.id === 'beta')).toMatchObject({ active: true, handle: 'beta_x' });
    const beta = account(fourth.testApp, 'beta');
    expect((await beta.repos.topics.findById(education.id))?.weight).toBe(42);
    expect((await beta.repos.drafts.findById(card.draft.id))?.status).toBe('published');
    const again = await draftByPostJob(fourth.testApp, 'beta', TWEETS.delta);
    harness.track(new ModerationDriver(fakes, fourth.testApp).click(again, 'approve', again.draft.id, 1));
    await expect.poll(() => new ModerationDriver(fakes, fourth.testApp).status(again.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.beta.userId).map((t) => t.text)).toEqual([TWEETS.beta, TWEETS.delta]);
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId)).toEqual([]);
  });

  it("GIVEN beta's POST reached X but its answer never came back (timeout) WHEN the bot restarts THEN beta's tweet is found on beta's own timeline, read with beta's credentials, and nothing is posted twice; alpha is unaffected", async () => {
    const first = await startAccounts(['alpha', 'beta']);
    const driver = new ModerationDriver(fakes, first.testApp);
    const beta = await draftByPostJob(first.testApp, 'beta', TWEETS.beta);
    // X holds beta's POST past the client's 2 s timeout, then acts on it anyway.
    const held = fakes.x.hold({ userId: X_USERS.beta.userId });
    harness.track(driver.click(beta, 'approve', beta.draft.id, 1));
    await fakes.x.http.waitForRequest((r) => r.method === 'POST' && fakes.x.userOf(r)?.userId === X_USERS.beta.userId);
    await expect.poll(async () => (await account(first.testApp, 'beta').repos.drafts.findById(beta.draft.id))?.errorClass, { timeout: 10_000 }).not.toBeNull();
    held.release();
    await expect.poll(() => fakes.x.tweetsOf(X_USERS.beta.userId)).toHaveLength(1);

    const alpha = await draftByPostJob(first.testApp, 'alpha', TWEETS.alpha);
    harness.track(driver.click(alpha, 'approve', alpha.draft.id, 1));
    await expect.poll(() => driver.status(alpha.messageId)).toContain('Published');
    await first.testApp.stop();

    const { testApp } = await startAccounts(['alpha', 'beta'], { dataDir: first.testApp.dataDir, channels: first.channels });
    testApp.clock.advance(10 * 60_000);
    await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    const after = new ModerationDriver(fakes, testApp);
    await expect.poll(() => after.status(beta.messageId)).toContain('Published');

    const [tweet] = fakes.x.tweetsOf(X_USERS.beta.userId);
    expect(await account(testApp, 'beta').repos.drafts.findById(beta.draft.id)).toMatchObject({ status: 'published', tweetId: tweet?.id });
    expect(fakes.x.requestsBy(X_USERS.beta.userId, 'POST', '/2/tweets')).toHaveLength(1);
    expect(fakes.x.requestsBy(X_USERS.beta.userId, 'GET', new RegExp(`/2/users/${X_USERS.beta.userId}/tweets`)).length).toBeGreaterThan(0);
    expect(fakes.x.requestsBy(X_USERS.alpha.userId, 'GET', new RegExp(`/2/users/${X_USERS.beta.userId}/tweets`))).toEqual([]);
    expect(fakes.x.tweetsOf(X_USERS.alpha.userId).map((t) => t.text)).toEqual([TWEETS.alpha]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(2);
  });

  it('GIVEN alpha with a published draft and beta with a pending one WHEN /metrics and /healthz are read THEN the draft gauges add up both accounts and the bot is healthy', async () => {
    const { testApp } = await startAccounts(['alpha', 'beta']);
    const driver = new ModerationDriver(fakes, testApp);
    const alpha = await draftByPostJob(testApp, 'alpha', TWEETS.alpha);
    harness.track(driver.click(alpha, 'approve', alpha.draft.id, 1));
    await expect.poll(() => driver.status(alpha.messageId)).toContain('Published');
    await draftByPostJob(testApp, 'beta', TWEETS.beta);

    const metrics = await (await fetch(`http://127.0.0.1:${testApp.app.healthPort}/metrics`)).text();
    expect(metrics).toMatch(/^draftgate_drafts\{status="published"\} 1$/m);
    expect(metrics).toMatch(/^draftgate_drafts\{status="pending"\} 1$/m);
    const health = await fetch(`http://127.0.0.1:${testApp.app.healthPort}/healthz`);
    expect(health.status).toBe(200);
  });

  it("GIVEN alpha and beta with their own topics WHEN /topics set is used in alpha's channel, and in the shared channel without an account THEN alpha's weight changes and beta's does not; in the shared channel it is refused listing the ids", async () => {
    const { testApp, channels } = await startAccounts(['alpha', 'beta', 'gamma', 'delta']);
    const weightOf = async (id: string) => (await account(testApp, id).repos.topics.findByName('education'))?.weight;
    const before = await weightOf('beta');

    await answer(slash('topics', { subcommand: 'set', options: { topic: 'education', weight: 77 }, channelId: channels.alpha }));
    expect(await weightOf('alpha')).toBe(77);
    expect(await weightOf('beta')).toBe(before);
    expect(await weightOf('gamma')).toBe(before);

    const refused = await answer(slash('topics', { subcommand: 'set', options: { topic: 'education', weight: 5 }, channelId: channels.gamma }));
    expect(refused.ephemeral).toBe(true);
    expect(refused.content + JSON.stringify(refused.embeds)).toMatch(/Which account\?/);
    expect(await weightOf('gamma')).toBe(before);
    expect(await weightOf('delta')).toBe(before);
  });

  it("GIVEN alpha in dry run (no secrets set) and beta posting for real WHEN a draft of each is approved THEN alpha's is published as a dry run with nothing sent to X under any user, and beta's goes out under beta", async () => {
    const beta = fakes.discord.addChannel('beta-moderation');
    const dir = harness.tempDir();
    const file = writeAccountsFile(dir, [
      { id: 'alpha', channelId: fakes.discord.channelId, extra: ['dryRun: true'] },
      { id: 'beta', channelId: beta },
    ]);
    const testApp = await harness.start({ ACCOUNTS_FILE: file, ...credentialsOf('beta') }, { dataDir: dir });
    await withoutThreadTopic(testApp);
    const driver = new ModerationDriver(fakes, testApp);
    expect(fakes.x.requestsTo('GET', '/2/users/me').map((r) => fakes.x.userOf(r)?.userId)).toEqual([X_USERS.beta.userId]);

    const cards = { alpha: await draftByPostJob(testApp, 'alpha', TWEETS.alpha), beta: await draftByPostJob(testApp, 'beta', TWEETS.beta) };
    for (const card of Object.values(cards)) harness.track(driver.click(card, 'approve', card.draft.id, 1));
    for (const card of Object.values(cards)) await expect.poll(() => driver.status(card.messageId)).toContain('Published');

    expect(await account(testApp, 'alpha').repos.drafts.findById(cards.alpha.draft.id)).toMatchObject({
      dryRun: true,
      tweetId: expect.stringMatching(/^dryrun-/),
    });
    expect(fakes.x.requestsTo('POST', '/2/tweets').map((r) => [fakes.x.userOf(r)?.userId, r.body])).toEqual([[X_USERS.beta.userId, { text: TWEETS.beta }]]);
    expect(fakes.x.tweets.map((t) => t.text)).toEqual([TWEETS.beta]);
  });

  it('GIVEN an account id with a dash (pump-news) WHEN the bot starts and publishes for it THEN its secrets come from TWITTER_PUMP_NEWS_* and its tweet goes out under its own X user', async () => {
    const dir = harness.tempDir();
    const file = writeAccountsFile(dir, [
      { id: 'main', channelId: fakes.discord.channelId, extra: ['dryRun: true'] },
      { id: 'pump-news', channelId: fakes.discord.addChannel('news') },
    ]);
    const env = {
      ACCOUNTS_FILE: file,
      TWITTER_PUMP_NEWS_APP_KEY: CONSUMER_KEY,
      TWITTER_PUMP_NEWS_APP_SECRET: CONSUMER_SECRET,
      TWITTER_PUMP_NEWS_ACCESS_TOKEN: X_USERS.gamma.accessToken,
      TWITTER_PUMP_NEWS_ACCESS_SECRET: X_USERS.gamma.accessTokenSecret,
    };
    const testApp = await harness.start(env, { dataDir: dir });
    await withoutThreadTopic(testApp);
    expect(testApp.logs.some((l) => l['accountId'] === 'pump-news' && l['message'] === `Connected to X as @${X_USERS.gamma.username}`)).toBe(true);

    const driver = new ModerationDriver(fakes, testApp);
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS.gamma } });
    expect((await testApp.app.scheduler.runNow(JOB_NAMES.post('pump-news')))?.outcome).toBe('ok');
    const card = await pendingCard(testApp, 'pump-news');
    harness.track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    expect(fakes.x.tweetsOf(X_USERS.gamma.userId).map((t) => t.text)).toEqual([TWEETS.gamma]);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it('GIVEN four active accounts on a fresh database WHEN the account option is autocompleted THEN it offers the four active ids, each with its handle, and no inactive account', async () => {
    await startAccounts(['alpha', 'beta', 'gamma', 'delta']);
    const typed = harness.track(fakes.discord.injectAutocomplete({ name: 'status', focused: 'account', value: '' }));
    const callback = await fakes.discord.waitForCallback(typed.id);
    const choices = (callback.data?.['choices'] as Array<{ name: string; value: string }>) ?? [];
    expect(choices.map((c) => c.value)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    for (const choice of choices) expect(choice.name).toContain(X_USERS[choice.value as AccountName].username);
  });
});
