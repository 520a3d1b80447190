import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { PAUSE_HOLD_REASON, resumeSpacingMs, type PauseState } from '../../src/domain/schedule.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import type { InjectedInteraction } from '../support/fake-discord.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';
import { ManualClock, type TestApp } from '../support/test-app.js';

const TWEETS = [
  'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.',
  'Your wallet seed phrase is the only key to your funds. No support agent, bot or moderator will ever need it. Never share it.',
  'Slippage is the gap between the price you saw and the price you got. Set it on purpose, not by accident, before every swap.',
];
const TOPICS = ['education', 'safety', 'education'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
}

/**
 * Issue 13, /pause [scope]: generation only, publishing only, or all; what each holds, how a
 * second scope widens the pause, how /resume releases a part and spreads what became due, and
 * that a pause stored before scopes existed still holds everything. The real app, the real
 * discord.js and twitter-api-v2 clients against the fakes, a manual clock.
 */
describe('/pause scopes (issue 13)', () => {
  const harness = useAppHarness({ DRY_RUN: 'false' });
  afterEach(async () => {
    await expectCleanDiscordTraffic(harness.fakes);
  });

  function slash(name: string, input: { options?: Record<string, string | number>; userId?: string } = {}): InjectedInteraction {
    return harness.track(harness.fakes.discord.injectSlashCommand({ name, ...input }));
  }

  /** The final answer: the reply itself, or the edit of a deferred reply. */
  async function answer(interaction: InjectedInteraction): Promise<{ text: string; ephemeral: boolean; title: string }> {
    const { discord } = harness.fakes;
    const callback = await discord.waitForCallback(interaction.id);
    let embeds: Embed[];
    let flags: number;
    if (callback.type === InteractionResponseType.DeferredChannelMessageWithSource) {
      const edited = await waitFor(() => {
        const message = discord.originalResponse(interaction.id);
        return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
      });
      embeds = edited.embeds as Embed[];
      flags = edited.flags;
    } else {
      embeds = (callback.data?.['embeds'] as Embed[]) ?? [];
      flags = Number(callback.data?.['flags'] ?? 0);
    }
    const text = embeds.map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value])].join('\n')).join('\n');
    return { text, ephemeral: (flags & MessageFlags.Ephemeral) !== 0, title: embeds[0]?.title ?? '' };
  }

  const posts = () => harness.fakes.x.requestsTo('POST', '/2/tweets');
  const postsOf = (text: string) => posts().filter((r) => (r.body as { text?: string }).text === text);

  async function statusOf(testApp: TestApp, draftId: number) {
    return (await testApp.app.repos.drafts.findById(draftId))!;
  }

  /** One publish-queue run of its own (a run /resume started may still be updating a card). */
  async function runQueue(testApp: TestApp) {
    for (let attempt = 0; attempt < 500; attempt += 1) {
      const run = await testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
      if (run?.reason !== 'the previous run is still in progress') return run;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the publish queue stayed busy');
  }

  /** Runs the account's post job as if its time had come. */
  async function runPostJob(testApp: TestApp) {
    testApp.clock.set(testApp.app.scheduler.postJob().nextRunAt as number);
    return (await testApp.app.scheduler.runDue())['post:default'];
  }

  it('GIVEN /pause scope:generation THEN a due post run generates nothing, yet an Approve publishes at once and /status says only generation is held', async () => {
    const clock = new ManualClock();
    const testApp = await harness.start({}, { clock });
    const driver = new ModerationDriver(harness.fakes, testApp);
    const card = await driver.postDraft(TWEETS[0] as string);

    const paused = await answer(slash('pause', { options: { reason: 'topic review', scope: 'generation' } }));
    expect(paused.title).toBe('⏸️ Draft generation paused');
    expect(paused.text).toContain('no new drafts are generated');
    expect(paused.text).toContain('**Not held:** publishing.');
    const announcement = await harness.fakes.discord.waitForMessage(
      (m) => (m.embeds[0] as Embed | undefined)?.title === '⏸️ Draft generation paused' && !m['interaction_metadata'],
    );
    expect((announcement.embeds[0] as Embed).description).toContain('Held until /resume (draft generation only): new drafts.');

    harness.track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(async () => (await statusOf(testApp, card.draft.id)).status, { timeout: 10_000 }).toBe('published');
    expect(postsOf(TWEETS[0] as string)).toHaveLength(1);

    const requestsBefore = harness.fakes.anthropic.messageBodies.length;
    expect(await runPostJob(testApp)).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect(harness.fakes.anthropic.messageBodies).toHaveLength(requestsBefore);

    const status = await answer(slash('status'));
    expect(status.text).toContain('Holds: draft generation only');
    expect(status.text).toContain('Reason: topic review');
    expect(status.text).toContain('(skipped while paused)');
    expect(status.text).not.toContain('nothing is posted to X');
  });

  it('GIVEN /pause scope:publishing THEN drafts are still generated, an Approve is recorded but held (card says so, nothing goes to X), the publish queue waits, and /status says only publishing is held', async () => {
    const clock = new ManualClock();
    const testApp = await harness.start({}, { clock });
    const driver = new ModerationDriver(harness.fakes, testApp);

    const paused = await answer(slash('pause', { options: { scope: 'publishing' } }));
    expect(paused.title).toBe('⏸️ Publishing paused');
    expect(paused.text).toContain('Approve or Retry on a card records the decision; the draft waits in the queue');
    expect(paused.text).toContain('**Not held:** draft generation.');

    // Generation goes on: the scheduled run writes a draft and posts its card. The topic is drawn
    // at random: a thread topic would refuse the scripted single tweet and write the fake's default
    // thread instead, so only single-tweet topics are left on.
    for (const topic of await testApp.app.repos.topics.list()) {
      if (topic.contentType === 'thread') await testApp.app.repos.topics.setEnabled(topic.id, false, testApp.clock.now());
    }
    harness.fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: TWEETS[1] } });
    expect((await runPostJob(testApp))?.outcome).toBe('ok');
    const [generated] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(generated?.tweets).toEqual([TWEETS[1]]);
    const card = { messageId: generated!.moderationMessageId as string };

    harness.track(driver.click(card, 'approve', generated!.id, 1));
    await expect.poll(async () => (await statusOf(testApp, generated!.id)).queueReason, { timeout: 10_000 }).toBe(PAUSE_HOLD_REASON);
    expect(await statusOf(testApp, generated!.id)).toMatchObject({ status: 'approved', decidedBy: { id: harness.fakes.discord.userIds.moderator } });
    await expect.poll(() => driver.status(card.messageId)).toContain('held by /pause: publishing waits for /resume');
    expect(posts()).toHaveLength(0);

    // The queue's time comes and goes: it stays held.
    clock.advance(2 * HOUR);
    expect((await testApp.app.scheduler.runDue())[JOB_NAMES.publishQueue]).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect(await testApp.app.services.publishing.processDueDrafts()).toEqual([]);
    expect(posts()).toHaveLength(0);
    expect((await statusOf(testApp, generated!.id)).status).toBe('approved');

    const status = await answer(slash('status'));
    expect(status.text).toContain('Holds: publishing only');
    expect(status.text).toContain('1 approved draft waiting in the publish queue (queued or scheduled) stays approved; nothing is posted to X');
    expect(status.text).not.toContain('(skipped while paused)');

    await answer(slash('resume', { options: { scope: 'publishing' } }));
    await expect.poll(async () => (await statusOf(testApp, generated!.id)).status, { timeout: 10_000 }).toBe('published');
    expect(postsOf(TWEETS[1] as string)).toHaveLength(1);
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toBeNull();
  });

  it('GIVEN three Approves held by a pause of publishing WHEN /resume THEN they go out spread by the caps: one now, then one every ceil(1 h / MAX_POSTS_PER_HOUR), never two at once', async () => {
    const clock = new ManualClock();
    const testApp = await harness.start({ MAX_POSTS_PER_HOUR: '4', MAX_POSTS_PER_DAY: '20' }, { clock });
    const driver = new ModerationDriver(harness.fakes, testApp);
    const spacing = resumeSpacingMs(4);
    expect(spacing).toBe(15 * MINUTE);
    await answer(slash('pause', { options: { scope: 'publishing', reason: 'incident' } }));

    const cards: Array<{ draft: { id: number }; messageId: string }> = [];
    for (const [i, text] of TWEETS.entries()) {
      const card = await driver.postDraft(text, TOPICS[i]);
      harness.track(driver.click(card, 'approve', card.draft.id, 1));
      await expect.poll(async () => (await statusOf(testApp, card.draft.id)).queueReason, { timeout: 10_000 }).toBe(PAUSE_HOLD_REASON);
      cards.push(card);
      clock.advance(MINUTE);
    }
    expect(posts()).toHaveLength(0);

    const resumedAt = clock.now();
    const resumed = await answer(slash('resume'));
    expect(resumed.title).toBe('▶️ Posting resumed');
    expect(resumed.text).toContain('3 publications that became due during the pause go out spread by the caps');
    // Oldest decision first: now, now + 15 min, now + 30 min.
    await expect.poll(async () => (await statusOf(testApp, cards[0]!.draft.id)).status, { timeout: 10_000 }).toBe('published');
    expect(await statusOf(testApp, cards[1]!.draft.id)).toMatchObject({ status: 'approved', notBefore: resumedAt + spacing });
    expect(await statusOf(testApp, cards[2]!.draft.id)).toMatchObject({ status: 'approved', notBefore: resumedAt + 2 * spacing });
    expect(posts()).toHaveLength(1);
    await expect.poll(() => driver.status(cards[2]!.messageId)).toContain('released by /resume: 3 of 3, one every 15 min');

    // Just before the second one's time the queue sends nothing; at it, exactly one.
    clock.advance(spacing - 1_000);
    await runQueue(testApp);
    expect(posts()).toHaveLength(1);
    clock.advance(1_000);
    await runQueue(testApp);
    await expect.poll(() => posts().length, { timeout: 10_000 }).toBe(2);
    expect((await statusOf(testApp, cards[2]!.draft.id)).status).toBe('approved');
    clock.advance(spacing);
    await runQueue(testApp);
    await expect.poll(() => posts().length, { timeout: 10_000 }).toBe(3);
    for (const text of TWEETS) expect(postsOf(text)).toHaveLength(1);
  });

  it('GIVEN slots at 13:00 and 18:30 and a pause of publishing WHEN an Approve is scheduled for 13:00 and the slot passes THEN nothing is posted; /resume within SLOT_GRACE posts it once (the calendar settles it), and the 18:30 one waits for its slot', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const testApp = await harness.start({ POST_SLOTS: '13:00;18:30', TIMEZONE: 'UTC' }, { clock });
    const driver = new ModerationDriver(harness.fakes, testApp);
    await answer(slash('pause', { options: { scope: 'publishing' } }));
    const cards: Array<{ draft: { id: number }; messageId: string }> = [];
    for (const [i, text] of TWEETS.slice(0, 2).entries()) {
      const card = await driver.postDraft(text, TOPICS[i]);
      harness.track(driver.click(card, 'approve', card.draft.id, 1));
      await expect.poll(async () => (await statusOf(testApp, card.draft.id)).scheduledFor ?? null, { timeout: 10_000 }).not.toBeNull();
      cards.push(card);
    }
    expect((await statusOf(testApp, cards[0]!.draft.id)).scheduledFor).toBe(Date.UTC(2026, 10, 25, 13, 0, 0));
    expect((await statusOf(testApp, cards[1]!.draft.id)).scheduledFor).toBe(Date.UTC(2026, 10, 25, 18, 30, 0));

    clock.set(Date.UTC(2026, 10, 25, 13, 10, 0));
    expect((await testApp.app.scheduler.runDue())[JOB_NAMES.publishQueue]).toMatchObject({ outcome: 'skipped', detail: { code: 'paused' } });
    expect(await testApp.app.services.publishing.publishApprovedDraft(cards[0]!.draft.id)).toMatchObject({ kind: 'queued' });
    expect(posts()).toHaveLength(0);

    await answer(slash('resume', { options: { scope: 'publishing' } }));
    await expect.poll(async () => (await statusOf(testApp, cards[0]!.draft.id)).status, { timeout: 10_000 }).toBe('published');
    expect(postsOf(TWEETS[0] as string)).toHaveLength(1);
    expect(await statusOf(testApp, cards[1]!.draft.id)).toMatchObject({ status: 'approved', scheduledFor: Date.UTC(2026, 10, 25, 18, 30, 0) });
    await runQueue(testApp);
    expect(posts()).toHaveLength(1);
  });

  it('GIVEN /pause scope:generation WHEN /pause scope:publishing THEN the pause widens to all and says so; /resume scope:publishing leaves generation held', async () => {
    const clock = new ManualClock();
    const testApp = await harness.start({}, { clock });
    await answer(slash('pause', { options: { scope: 'generation', reason: 'topic review' } }));
    const again = await answer(slash('pause', { options: { scope: 'generation' } }));
    expect(again.ephemeral).toBe(true);
    expect(again.title).toBe('Already paused');

    const widened = await answer(slash('pause', { options: { scope: 'publishing' } }));
    expect(widened.title).toBe('⏸️ Pause widened');
    expect(widened.text).toContain('Widened: draft generation only was already paused');
    expect(widened.text).toContain('now generation and publishing are paused');
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toMatchObject({ scope: 'all', reason: 'topic review' });
    await harness.fakes.discord.waitForMessage(
      (m) => /^Widened by /.test(String((m.embeds[0] as Embed | undefined)?.description)) && !m['interaction_metadata'],
    );

    const partly = await answer(slash('resume', { options: { scope: 'publishing' } }));
    expect(partly.title).toBe('▶️ Publishing resumed');
    expect(partly.text).toContain('Still paused: draft generation only');
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toMatchObject({ scope: 'generation' });
    const nothing = await answer(slash('resume', { options: { scope: 'publishing' } }));
    expect(nothing.ephemeral).toBe(true);
    expect(nothing.text).toContain('Only draft generation only is paused');
    expect((await runPostJob(testApp))?.detail).toMatchObject({ code: 'paused' });

    await answer(slash('resume', { options: { scope: 'generation' } }));
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toBeNull();
  });

  it('GIVEN a plain member WHEN they use /pause or /resume with a scope THEN each is refused ephemerally and nothing changes', async () => {
    const testApp = await harness.start();
    const plain = harness.fakes.discord.userIds.plain;
    for (const interaction of [
      slash('pause', { userId: plain, options: { scope: 'publishing' } }),
      slash('resume', { userId: plain, options: { scope: 'all' } }),
    ]) {
      const reply = await answer(interaction);
      expect(reply.ephemeral).toBe(true);
      expect(reply.text).toMatch(/Only moderators can do that: \/(pause|resume) is limited to members/);
    }
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toBeNull();
  });

  it('GIVEN a pause stored before scopes existed (no scope in its row) THEN it reads as all: /status says so, runs generate nothing and an Approve is held', async () => {
    const clock = new ManualClock();
    const testApp = await harness.start({}, { clock });
    const driver = new ModerationDriver(harness.fakes, testApp);
    const card = await driver.postDraft(TWEETS[0] as string);
    const old = { by: { id: harness.fakes.discord.userIds.moderator, name: 'Mia (mod)' }, since: clock.now(), reason: 'old build' };
    await testApp.app.repos.settings.set(SETTINGS.pause, old as unknown as PauseState, clock.now());
    expect(await testApp.app.repos.settings.get(SETTINGS.pause)).toEqual({ ...old, scope: 'all' });

    const status = await answer(slash('status'));
    expect(status.text).toContain('Holds: generation and publishing');
    harness.track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(async () => (await statusOf(testApp, card.draft.id)).queueReason, { timeout: 10_000 }).toBe(PAUSE_HOLD_REASON);
    expect(posts()).toHaveLength(0);
    expect((await runPostJob(testApp))?.detail).toMatchObject({ code: 'paused' });
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
