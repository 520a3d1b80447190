import { describe, expect, it } from 'vitest';
import type { Draft } from '../../src/domain/draft.js';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { useModerationHarness } from '../support/app-harness.js';
import type { ModerationDriver } from '../support/moderation-driver.js';
import { ManualClock } from '../support/test-app.js';

const TWEET_A = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const TWEET_B = 'Slippage settings decide how far a price may move before your trade fails. Tight settings protect you; loose ones can cost you.';
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** ManualClock's default start, Wednesday 2026-11-25 12:00 UTC; the slots are in UTC. */
const NOON = Date.UTC(2026, 10, 25, 12, 0, 0);
const SLOT_13 = Date.UTC(2026, 10, 25, 13, 0, 0);
const SLOT_1830 = Date.UTC(2026, 10, 25, 18, 30, 0);
const SLOTS = { DRY_RUN: 'false', POST_SLOTS: '13:00;18:30', TIMEZONE: 'UTC' };

/** A Discord timestamp of `at`, in any style: how a card shows a time. */
const shows = (at: number) => `<t:${Math.floor(at / 1000)}:`;

describe('the publishing calendar in the whole app (real discord.js and X client against the fakes)', () => {
  const { harness, track, start } = useModerationHarness(SLOTS);

  const draftOf = async (driver: ModerationDriver, id: number): Promise<Draft> => (await driver.testApp.app.repos.drafts.findById(id)) as Draft;
  const postsOf = (text: string) => harness.fakes.x.requestsTo('POST', '/2/tweets').filter((r) => (r.body as { text?: string } | undefined)?.text === text);
  const cardText = (driver: ModerationDriver, messageId: string) => JSON.stringify(driver.message(messageId).embeds);

  /** Approves the card with a click and waits until the draft is scheduled. */
  async function approveScheduled(driver: ModerationDriver, text: string): Promise<{ draft: Draft; messageId: string }> {
    const card = await driver.postDraft(text);
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(async () => (await draftOf(driver, card.draft.id)).status).toBe('approved');
    await expect.poll(() => cardText(driver, card.messageId)).toContain('Approved');
    return { draft: await draftOf(driver, card.draft.id), messageId: card.messageId };
  }

  it('GIVEN slots at 13:00 and 18:30 WHEN a moderator approves at 12:00 THEN the draft is scheduled for 13:00, nothing is posted before, and the publish queue posts it at the slot', async () => {
    const driver = await start();
    const { draft, messageId } = await approveScheduled(driver, TWEET_A);
    expect([draft.scheduledFor, draft.decidedBy?.id]).toEqual([SLOT_13, harness.fakes.discord.userIds.moderator]);
    expect(cardText(driver, messageId)).toContain(shows(SLOT_13));
    await driver.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    driver.testApp.clock.set(SLOT_13 - 1);
    await driver.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);

    driver.testApp.clock.set(SLOT_13);
    await driver.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(postsOf(TWEET_A)).toHaveLength(1);
    expect((await draftOf(driver, draft.id)).status).toBe('published');
    await expect.poll(() => driver.status(messageId)).toContain('Published');
  });

  it('GIVEN TIMEOUT_ACTION=publish and slots WHEN the deadline passes at 14:00 THEN the draft is scheduled into the 18:30 slot, not posted', async () => {
    const driver = await start({ TIMEOUT_ACTION: 'publish' });
    const card = await driver.postDraft(TWEET_A);
    driver.testApp.clock.set((card.draft.deadlineAt ?? 0) + 1);
    await driver.testApp.app.services.deadlines.runNow();
    const draft = await draftOf(driver, card.draft.id);
    expect([draft.status, draft.decisionSource, draft.scheduledFor]).toEqual(['approved', 'timeout', SLOT_1830]);
    await driver.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    await expect.poll(() => cardText(driver, card.messageId)).toContain(shows(SLOT_1830));
  });

  it('GIVEN a draft scheduled for 13:00 WHEN the bot is down across the slot and starts at 13:10 (within SLOT_GRACE) THEN it is posted once, at start', async () => {
    const clock = new ManualClock(NOON);
    const first = await start({}, { clock });
    const { draft } = await approveScheduled(first, TWEET_A);
    await first.testApp.stop();

    clock.set(SLOT_13 + 10 * MINUTE);
    const second = await start({}, { clock, dataDir: first.testApp.dataDir });
    expect((await draftOf(second, draft.id)).scheduledFor).toBe(SLOT_13);
    await second.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(postsOf(TWEET_A)).toHaveLength(1);
    expect((await draftOf(second, draft.id)).status).toBe('published');
  });

  it('GIVEN two drafts scheduled for 13:00 and 18:30 WHEN the bot starts again at 19:30 (both beyond SLOT_GRACE) THEN both move to the next free slots in order, audited, their cards re-rendered, nothing posted at start', async () => {
    const clock = new ManualClock(NOON);
    const first = await start({}, { clock });
    const early = await approveScheduled(first, TWEET_A);
    const late = await approveScheduled(first, TWEET_B);
    expect([early.draft.scheduledFor, late.draft.scheduledFor]).toEqual([SLOT_13, SLOT_1830]);
    await first.testApp.stop();

    clock.set(SLOT_1830 + HOUR);
    const second = await start({}, { clock, dataDir: first.testApp.dataDir });
    // 19:30 is beyond SLOT_GRACE for both: both move (tomorrow 13:00 and 18:30), nothing is posted at start.
    const moved = await draftOf(second, early.draft.id);
    const next13 = SLOT_13 + 24 * HOUR;
    expect(moved.scheduledFor).toBe(next13);
    expect(moved.scheduleNote).toBe('The Wed 25 Nov 13:00 (UTC) slot passed while the bot was down or paused; moved to Thu 26 Nov 13:00 (UTC).');
    expect((await draftOf(second, late.draft.id)).scheduledFor).toBe(SLOT_1830 + 24 * HOUR);
    await second.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    await expect.poll(() => cardText(second, early.messageId)).toContain(shows(next13));
    const audit = await second.testApp.app.repos.moderationEvents.listForDraft(early.draft.id);
    expect(audit.map((e) => [e.action, e.outcome])).toContainEqual(['slot_missed', 'moved']);

    // At its new slot it goes, once.
    clock.set(next13);
    await second.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(postsOf(TWEET_A)).toHaveLength(1);
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
  });

  it('GIVEN two drafts scheduled for 13:00 and 18:30 WHEN the bot starts again at 18:40 THEN only the 18:30 one is posted and the 13:00 one moves', async () => {
    const clock = new ManualClock(NOON);
    const first = await start({}, { clock });
    const early = await approveScheduled(first, TWEET_A);
    const late = await approveScheduled(first, TWEET_B);
    await first.testApp.stop();

    clock.set(SLOT_1830 + 10 * MINUTE);
    const second = await start({}, { clock, dataDir: first.testApp.dataDir });
    await second.testApp.app.scheduler.runNow(JOB_NAMES.publishQueue);
    expect(postsOf(TWEET_B)).toHaveLength(1);
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect((await draftOf(second, early.draft.id)).scheduledFor).toBe(SLOT_13 + 24 * HOUR);
    expect((await draftOf(second, late.draft.id)).status).toBe('published');
  });
});
