import { afterEach, describe, expect, it } from 'vitest';
import type { AccountServices } from '../../src/app.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { KEEP_AHEAD_BACKOFF } from '../../src/services/keep-ahead.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { ManualClock, withAppDatabase, type TestApp } from '../support/test-app.js';

/** Distinct, safe tweets: the fake answers them in turn, so no two drafts are duplicates. */
const TWEETS = [
  'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.',
  'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it. Never share it.',
  'Slippage is the gap between the price you saw and the price you got. Set it on purpose, not by accident, before every swap.',
  'Read the token page before you buy: holders, liquidity, and how the launch was set up tell you more than any hype thread does.',
  'Check every link twice. Fake mint sites copy real ones pixel for pixel and differ by a single letter in the address bar.',
  'Gas fees rise when the network is busy. Waiting ten minutes can cost nothing and save more than you would think.',
  'Never sign a transaction you do not understand. A wallet prompt is a contract, and approvals can outlive the moment you clicked.',
  'Take notes on why you bought. When the price moves, your reasons should decide what you do next, not the chart alone.',
  'A hardware wallet keeps keys offline. It cannot stop you from approving a bad transaction, so read what the screen shows.',
  'Market cap is price times supply. A tiny price with a huge supply can still be an expensive token; do the multiplication.',
  'Liquidity decides how much you can sell without moving the price. Thin pools turn small exits into big losses.',
  'Airdrops never ask you to pay first. If claiming free tokens needs a deposit or your keys, walk away from it.',
  'Diversify across ideas, not just tickers. Five tokens riding the same narrative can fall together on the same day.',
  'Before a launch, write the plan: supply, fees, where liquidity comes from. Buyers trust what they can check themselves.',
  'Community moderators are volunteers with limits. Report scams in the channel, and never act on a direct message offer.',
  'Set a budget you can lose entirely. Anything you cannot afford to see at zero belongs somewhere slower and safer.',
];
const MINUTE = 60_000;
const ACTOR = { id: 'mod-1', name: 'Mia (mod)' };

/**
 * Issue 13 §3, keep-ahead: KEEP_AHEAD=N keeps N drafts pending or approved-and-waiting, one
 * generation at a time, within the active hours, under MAX_PENDING_DRAFTS, not while generation
 * is paused, and backing off after a failed generation. The real app, the real Anthropic SDK and
 * discord.js against the fakes, a manual clock.
 */
describe('keep-ahead (issue 13)', () => {
  const harness = useAppHarness({ DRY_RUN: 'true' });
  afterEach(async () => {
    await expectCleanDiscordTraffic(harness.fakes);
  });

  /** The fake writes the next tweets of the list for every generation: one, or two when the topic asks for a thread. */
  function answerWithTweets(): void {
    let next = 0;
    const take = () => TWEETS[next++ % TWEETS.length] as string;
    harness.fakes.anthropic.setDefaultResponder((body) => {
      const thread = JSON.stringify(body.messages).includes('\\"kind\\": \\"thread\\"');
      return { text: JSON.stringify({ draft: thread ? { kind: 'thread', tweets: [take(), take()] } : { kind: 'tweet', text: take() } }) };
    });
  }

  const accountOf = (testApp: TestApp): AccountServices => testApp.app.services.accounts.get('default') as AccountServices;

  async function counts(testApp: TestApp) {
    return testApp.app.repos.drafts.countByStatus();
  }

  /** Lets the keep-ahead pass that a poke started finish, and returns the state it left. */
  async function settled(testApp: TestApp) {
    return accountOf(testApp).keepAhead.run();
  }

  async function keepAheadRuns(testApp: TestApp): Promise<number> {
    const rows = (await withAppDatabase(testApp.config, (ds) =>
      ds.query(`SELECT COUNT(*) AS "n" FROM generation_runs WHERE "trigger" = 'keep_ahead'`),
    )) as Array<{
      n: unknown;
    }>;
    return Number(rows[0]?.n ?? 0);
  }

  it('GIVEN KEEP_AHEAD=3 THEN the app generates up to 3 drafts, one at a time; a publication or a rejection makes it generate again, and an approved draft waiting in the queue counts as ahead', async () => {
    answerWithTweets();
    const clock = new ManualClock();
    const testApp = await harness.start({ KEEP_AHEAD: '3', MAX_PENDING_DRAFTS: '5', MAX_POSTS_PER_HOUR: '1' }, { clock });
    const account = accountOf(testApp);

    await expect.poll(async () => (await counts(testApp)).pending, { timeout: 15_000 }).toBe(3);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough', ahead: 3 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(3);
    expect(await keepAheadRuns(testApp)).toBe(3);

    // Approve: published at once (dry run), one fewer ahead, so one more is generated.
    const driver = new ModerationDriver(harness.fakes, testApp);
    const [first, second, third] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    harness.track(driver.click({ messageId: first!.moderationMessageId as string }, 'approve', first!.id, 1));
    await expect.poll(async () => (await counts(testApp)).published, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await counts(testApp)).pending, { timeout: 15_000 }).toBe(3);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough', ahead: 3 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(4);

    // Approve again: the hourly cap (1) queues it. Waiting in the queue, it is still ahead: nothing is generated.
    harness.track(driver.click({ messageId: second!.moderationMessageId as string }, 'approve', second!.id, 1));
    await expect.poll(async () => (await testApp.app.repos.drafts.findById(second!.id))?.notBefore ?? 0, { timeout: 10_000 }).toBeGreaterThan(clock.now());
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough', ahead: 3 });
    expect(await counts(testApp)).toMatchObject({ pending: 2, approved: 1 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(4);

    // Reject: one fewer ahead again (1 pending + 1 queued), so one more is generated.
    await account.moderation.reject({ draftId: third!.id, revision: 1, actor: ACTOR, messageId: third!.moderationMessageId, reason: 'off topic' });
    await expect.poll(async () => harness.fakes.anthropic.messageBodies.length, { timeout: 15_000 }).toBe(5);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough', ahead: 3 });
    expect(await counts(testApp)).toMatchObject({ pending: 2, approved: 1, rejected: 1, published: 1 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(5);
    expect(await keepAheadRuns(testApp)).toBe(5);
  });

  it('GIVEN KEEP_AHEAD=3 and MAX_PENDING_DRAFTS=2 THEN it stops at the pending cap', async () => {
    answerWithTweets();
    const testApp = await harness.start({ KEEP_AHEAD: '3', MAX_PENDING_DRAFTS: '2' }, { clock: new ManualClock() });
    await expect.poll(async () => (await counts(testApp)).pending, { timeout: 15_000 }).toBe(2);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'pending_cap', ahead: 2 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(2);
  });

  it('GIVEN KEEP_AHEAD=3 outside the active hours and a pause of generation THEN nothing is generated; inside the hours the pause still holds; /resume of generation tops up to 3', async () => {
    answerWithTweets();
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 6, 0, 0));
    const testApp = await harness.start({ KEEP_AHEAD: '3', ACTIVE_HOURS: '08:00-20:00', TIMEZONE: 'UTC' }, { clock });
    const account = accountOf(testApp);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'outside_active_hours', generated: 0 });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(0);

    await account.pause.pause(ACTOR, 'topic review', 'generation');
    clock.set(Date.UTC(2026, 10, 25, 8, 0, 0));
    const runs = await testApp.app.scheduler.runDue();
    expect(runs[JOB_NAMES.keepAhead]).toMatchObject({ outcome: 'ok', detail: { generated: 0, stoppedBy: 'paused' } });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(0);

    await account.pause.resume(ACTOR, 'generation');
    await expect.poll(async () => (await counts(testApp)).pending, { timeout: 15_000 }).toBe(3);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough' });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(3);
  });

  it('GIVEN KEEP_AHEAD=3 and Claude failing THEN a failed generation starts a backoff: pokes and sweeps in between ask Claude nothing, the wait doubles, and once Claude is back it tops up', async () => {
    // Every answer a server error (the SDK retries twice itself): each generation fails.
    harness.fakes.anthropic.failWithServerError({ times: 1_000, retryAfterMs: 1 });
    const clock = new ManualClock();
    const testApp = await harness.start({ KEEP_AHEAD: '3' }, { clock });
    const account = accountOf(testApp);
    const requests = () => harness.fakes.anthropic.messageRequests.length;

    // The start-up pass tried once and failed.
    await expect.poll(async () => (await settled(testApp)).stoppedBy, { timeout: 15_000 }).toBe('backing_off');
    const afterFirst = requests();
    expect(afterFirst).toBeGreaterThan(0);

    // A storm of pokes (decisions, publications) and the sweep: no request while backing off.
    for (let i = 0; i < 5; i += 1) account.keepAhead.poke();
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'backing_off', generated: 0 });
    clock.advance(KEEP_AHEAD_BACKOFF.baseMs - 1_000);
    expect((await testApp.app.scheduler.runDue())[JOB_NAMES.keepAhead]).toMatchObject({ detail: { stoppedBy: 'backing_off' } });
    expect(requests()).toBe(afterFirst);

    // The first wait (1 min) ends: one more try, which fails; the next wait is 2 min.
    clock.advance(1_000);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'generation_failed', generated: 0 });
    const afterSecond = requests();
    expect(afterSecond).toBeGreaterThan(afterFirst);
    clock.advance(KEEP_AHEAD_BACKOFF.baseMs + 1_000);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'backing_off' });
    expect(requests()).toBe(afterSecond);

    // Claude is back; after the 2 min wait it tops up to 3.
    harness.fakes.anthropic.http.clearFaults();
    answerWithTweets();
    clock.advance(MINUTE);
    expect(await settled(testApp)).toMatchObject({ stoppedBy: 'enough', generated: 3, ahead: 3 });
    expect((await counts(testApp)).pending).toBe(3);
  });
});
