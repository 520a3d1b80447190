import { InteractionResponseType } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccountServices } from '../../src/app.js';
import type { Draft } from '../../src/domain/draft.js';
import type { RecordedRequest } from '../support/fake-http.js';
import { expectCleanDiscordTraffic, useAppHarness, useModerationHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import type { Fakes, TestApp } from '../support/test-app.js';

/**
 * Issue 13 §4 through the whole app in real time (only real timers can show a wake-up): the
 * publish queue sleeps until the earliest due time and re-arms when it moves, instead of ticking
 * every 15 s. The target is 1 s; the margin here (1.5 s) cannot flake on a loaded 2-core
 * machine, and the bench (bench/publish-wakeup.bench.ts) reports the exact figures.
 */
describe('publish wake-ups (real time, real app, fake X)', () => {
  const harness = useAppHarness({ DRY_RUN: 'false' });
  let fakes: Fakes;
  /** How late after its due time a POST may land here; the target is 1 s. */
  const MARGIN_MS = 1_500;

  beforeEach(() => {
    fakes = harness.fakes;
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
  });

  function accountOf(testApp: TestApp): AccountServices {
    return [...testApp.app.services.accounts.values()][0] as AccountServices;
  }

  /** Generates a draft with a card and approves it there, as a moderator does. */
  async function approveOnCard(testApp: TestApp, text: string): Promise<Draft> {
    const driver = new ModerationDriver(fakes, testApp);
    const card = await driver.postDraft(text);
    const click = harness.track(driver.click(card, 'approve', card.draft.id, 1));
    expect((await fakes.discord.waitForCallback(click.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    return card.draft;
  }

  async function slash(name: string): Promise<void> {
    const interaction = harness.track(fakes.discord.injectSlashCommand({ name }));
    await fakes.discord.waitForCallback(interaction.id);
  }

  const postsOf = (text: string): RecordedRequest[] =>
    fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string } | undefined)?.text === text);

  async function waitForPosts(text: string, count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    await expect.poll(() => postsOf(text).length, { timeout: timeoutMs, interval: 20 }).toBeGreaterThanOrEqual(count);
    return postsOf(text);
  }

  it('GIVEN X answers a POST with 429 and a reset 4 s ahead (whole epoch seconds) WHEN a moderator approves, and approves a second draft meanwhile THEN the timer sleeps until the reset and both POSTs land after it and within 1.5 s of it', async () => {
    const testApp = await harness.start({}, { realTime: true });
    const { drafts } = accountOf(testApp).repos;
    const timer = testApp.app.services.publishTimer;
    expect(timer.nextRunAt).toBeNull();

    const resetAt = Math.ceil((Date.now() + 4_000) / 1_000) * 1_000;
    fakes.x.rateLimit429({ resetAt: resetAt / 1_000 });
    const first = await approveOnCard(testApp, 'First: the retry after a 429 waits for the reset and not a tick longer.');
    await expect.poll(async () => (await drafts.findById(first.id))?.notBefore, { timeout: 3_000 }).toBe(resetAt);
    // Requeued by the 429: the timer is armed for the reset, not for a fixed tick.
    await expect.poll(() => timer.nextRunAt, { timeout: 1_000 }).toBe(resetAt);

    // X's reported limit defers this approval to the same reset: the decision re-arms the timer too.
    const second = await approveOnCard(testApp, 'Second: approved while X says wait, it goes out at the same reset.');
    await expect.poll(async () => (await drafts.findById(second.id))?.notBefore, { timeout: 3_000 }).toBe(resetAt);
    expect(timer.nextRunAt).toBe(resetAt);

    const [, retry] = await waitForPosts('First: the retry after a 429 waits for the reset and not a tick longer.', 2);
    const [next] = await waitForPosts('Second: approved while X says wait, it goes out at the same reset.', 1);
    for (const post of [retry, next] as RecordedRequest[]) {
      expect(post.receivedAt).toBeGreaterThanOrEqual(resetAt);
      expect(post.receivedAt - resetAt).toBeLessThanOrEqual(MARGIN_MS);
    }
    await expect.poll(async () => (await drafts.findById(second.id))?.status).toBe('published');
    expect((await drafts.findById(first.id))?.status).toBe('published');
    // Nothing waits any more: the timer sleeps (until the next announcement or its safety re-read).
    await expect.poll(() => timer.nextRunAt).toBeNull();
  });

  it('GIVEN a publication queued for a few seconds ahead WHEN the bot restarts before that time THEN the new activation arms for it and its POST goes out at that time, within 1.5 s', async () => {
    const first = await harness.start({}, { realTime: true });
    const text = 'Queued for a time just after a restart: posted on time by the new activation.';
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text } });
    const outcome = await accountOf(first).moderation.generateAndPostDraft({ trigger: 'command', topicName: 'education' });
    if (outcome.status !== 'created') throw new Error(`expected a draft, got ${outcome.status}`);
    const { drafts, publications } = accountOf(first).repos;
    // Far enough ahead for a stop and a start on a loaded machine (about 1 s each unloaded).
    const dueAt = Date.now() + 7_000;
    await drafts.decide(outcome.draft.id, 1, { to: 'approved', actor: { id: '1', name: 'mod' }, source: 'moderator' }, Date.now());
    expect(await publications.deferApproved(outcome.draft.id, dueAt, 'scheduled', Date.now())).toBe(true);
    await first.stop();

    const second = await harness.start({}, { realTime: true, dataDir: first.dataDir });
    // The test is only meaningful when the restart finished before the due time.
    expect(Date.now()).toBeLessThan(dueAt);
    expect(second.app.services.publishTimer.nextRunAt).toBe(dueAt);
    expect(postsOf(text)).toHaveLength(0);
    const [post] = await waitForPosts(text, 1);
    expect(post?.receivedAt).toBeGreaterThanOrEqual(dueAt);
    expect((post?.receivedAt ?? Infinity) - dueAt).toBeLessThanOrEqual(MARGIN_MS);
    expect(postsOf(text)).toHaveLength(1);
  });

  it('GIVEN publishing paused WHEN a moderator approves THEN the draft is held, the held account contributes no wake-up and nothing is posted; WHEN /resume THEN the timer runs at once, and after X answers 429 the retry lands after the reset and within 1.5 s of it', async () => {
    const testApp = await harness.start({}, { realTime: true });
    const { drafts } = accountOf(testApp).repos;
    const timer = testApp.app.services.publishTimer;
    await slash('pause');
    const text = 'Held by the pause, posted as soon as publishing resumes, then retried at the reset.';
    // /pause of publishing (scope all) holds an explicit Approve too: the decision is recorded, the draft waits.
    const draft = await approveOnCard(testApp, text);
    await expect.poll(async () => (await drafts.findById(draft.id))?.queueReason, { timeout: 3_000 }).toMatch(/held by \/pause/);
    expect((await drafts.findById(draft.id))?.status).toBe('approved');
    expect(timer.nextRunAt).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(postsOf(text)).toHaveLength(0);

    const resetAt = Math.ceil((Date.now() + 3_000) / 1_000) * 1_000;
    fakes.x.rateLimit429({ resetAt: resetAt / 1_000 });
    const resumedAt = Date.now();
    await slash('resume');
    const [first, retry] = await waitForPosts(text, 2);
    expect((first?.receivedAt ?? Infinity) - resumedAt).toBeLessThanOrEqual(MARGIN_MS);
    expect(retry?.receivedAt).toBeGreaterThanOrEqual(resetAt);
    expect((retry?.receivedAt ?? Infinity) - resetAt).toBeLessThanOrEqual(MARGIN_MS);
    await expect.poll(async () => (await drafts.findById(draft.id))?.status).toBe('published');
    expect(fakes.x.tweets.filter((t) => t.text === text)).toHaveLength(1);
  });
});

describe('the publish timer follows the calendar (manual clock: the timer is not armed, its next run is still kept)', () => {
  const { track, start } = useModerationHarness({ DRY_RUN: 'false', POST_SLOTS: '13:00;18:30', TIMEZONE: 'UTC' });
  /** ManualClock's default start is 2026-11-25 12:00 UTC. */
  const SLOT_13 = Date.UTC(2026, 10, 25, 13, 0, 0);
  const SLOT_1830 = Date.UTC(2026, 10, 25, 18, 30, 0);
  const actor = { id: '100000000000000001', name: 'alice' };

  it('GIVEN slots at 13:00 and 18:30 and nothing queued WHEN a moderator approves, the draft is rescheduled, then unscheduled THEN the publish timer is armed for 13:00, then 18:30, then for nothing: each change re-arms it and no fixed tick is planned', async () => {
    const driver = await start();
    const timer = driver.testApp.app.services.publishTimer;
    const scheduling = [...driver.testApp.app.services.accounts.values()][0]!.scheduling;
    expect(timer.nextRunAt).toBeNull();

    const card = await driver.postDraft('A slot is a due time like any other: the publish timer sleeps until it, and moves when it moves.');
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => timer.nextRunAt).toBe(SLOT_13);

    expect((await scheduling.reschedule({ draftId: card.draft.id, actor, text: '18:30' })).status).toBe('applied');
    await expect.poll(() => timer.nextRunAt).toBe(SLOT_1830);

    expect((await scheduling.unschedule({ draftId: card.draft.id, actor })).status).toBe('applied');
    await expect.poll(() => timer.nextRunAt).toBeNull();
  });
});
