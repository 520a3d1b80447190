import { InteractionResponseType } from 'discord.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { RESCHEDULE_FIELD } from '../../src/adapters/discord/draft-modals.js';
import { expectCleanDiscordTraffic, useModerationHarness } from '../support/app-harness.js';
import type { ModerationDriver, PostedCard } from '../support/moderation-driver.js';
import { ManualClock, type Fakes } from '../support/test-app.js';

const TWEET_A = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const TWEET_B = 'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.';
const HOUR = 3_600_000;
/** The manual clock starts at 2026-11-25 12:00 UTC; with these slots (UTC) the next one is 13:00. */
const START = Date.UTC(2026, 10, 25, 12, 0);
const SLOT_13 = Date.UTC(2026, 10, 25, 13, 0);
const CALENDAR = { POST_SLOTS: '09:00;13:00;18:30', ACTIVE_HOURS: '08:00-20:00', TIMEZONE: 'UTC' };
const sec = (ms: number) => ms / 1000;

describe('the scheduled card: Publish now, Reschedule, Unschedule (real discord.js against the fakes)', () => {
  const { harness, track, start } = useModerationHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });

  /** A draft approved by the moderator into the next free slot, its card showing it. */
  async function scheduledCard(driver: ModerationDriver, text = TWEET_A): Promise<PostedCard> {
    const card = await driver.postDraft(text);
    track(driver.click(card, 'approve', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Scheduled for');
    return card;
  }

  const draftOf = (driver: ModerationDriver, id: number) => driver.testApp.app.repos.drafts.findById(id);
  const audit = (driver: ModerationDriver, id: number) => driver.testApp.app.repos.moderationEvents.listForDraft(id);

  it('GIVEN an account with slots WHEN a moderator approves THEN the card says "Scheduled for" the next slot (absolute and relative) and who approved it, with Publish now, Reschedule and Unschedule; nothing is posted yet', async () => {
    expect(new ManualClock().now()).toBe(START);
    const driver = await start({ ...CALENDAR, DRY_RUN: 'false' });
    const card = await scheduledCard(driver);
    expect(driver.status(card.messageId)).toBe(`🗓️ Scheduled for <t:${sec(SLOT_13)}:F> (<t:${sec(SLOT_13)}:R>) · approved by **Mia (mod)**`);
    expect(driver.buttons(card.messageId)).toEqual([
      `dg1:publish-now:${card.draft.id}:1`,
      `dg1:reschedule:${card.draft.id}:1`,
      `dg1:unschedule:${card.draft.id}:1`,
    ]);
    expect(await draftOf(driver, card.draft.id)).toMatchObject({ status: 'approved', scheduledFor: SLOT_13 });
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a scheduled card WHEN two moderators press Publish now at once THEN X gets exactly one POST, the card shows the link and loses its buttons, the late click is told', async () => {
    const driver = await start({ ...CALENDAR, DRY_RUN: 'false' });
    const card = await scheduledCard(driver);
    const second = fakes.discord.addMember({ username: 'omar', globalName: 'Omar (mod)', roleIds: [fakes.discord.moderatorRoleId] });
    const a = track(driver.click(card, 'publish-now', card.draft.id, 1));
    const b = track(driver.click(card, 'publish-now', card.draft.id, 1, second));
    expect((await fakes.discord.waitForCallback(a.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    expect((await fakes.discord.waitForCallback(b.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await expect.poll(() => driver.status(card.messageId)).toContain('Published');
    await expect.poll(() => [...driver.ephemeralReplies(a.id), ...driver.ephemeralReplies(b.id)]).toHaveLength(1);
    expect([...driver.ephemeralReplies(a.id), ...driver.ephemeralReplies(b.id)][0]).toMatch(/not scheduled any more/);
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    const draft = await draftOf(driver, card.draft.id);
    expect(draft?.status).toBe('published');
    expect(driver.status(card.messageId)).toContain(`https://x.com/i/status/${draft?.tweetId}`);
    expect(driver.buttons(card.messageId)).toEqual([]);
    // Nothing more goes out when the slot comes.
    driver.testApp.clock.set(SLOT_13 + 1);
    await driver.testApp.app.scheduler.runDue();
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(1);
    expect((await audit(driver, card.draft.id)).map((e) => [e.action, e.outcome])).toContainEqual(['publish_now', 'publishing']);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a scheduled card WHEN Reschedule is pressed THEN a form asks for a time in the zone; a good time moves it (card updated), `next` takes the next free slot', async () => {
    const driver = await start(CALENDAR);
    const card = await scheduledCard(driver);
    const open = track(driver.click(card, 'reschedule', card.draft.id, 1));
    const callback = await fakes.discord.waitForCallback(open.id);
    expect(callback.type).toBe(InteractionResponseType.Modal);
    expect(JSON.stringify(callback.data)).toContain('in UTC, or next');

    track(driver.submit(card, 'reschedule-modal', card.draft.id, 1, { [RESCHEDULE_FIELD]: '2026-11-26 10:15' }));
    const tenFifteen = Date.UTC(2026, 10, 26, 10, 15);
    await expect.poll(() => driver.status(card.messageId)).toContain(`<t:${sec(tenFifteen)}:F>`);
    expect(await draftOf(driver, card.draft.id)).toMatchObject({ status: 'approved', scheduledFor: tenFifteen });

    track(driver.click(card, 'reschedule', card.draft.id, 1));
    track(driver.submit(card, 'reschedule-modal', card.draft.id, 1, { [RESCHEDULE_FIELD]: 'next' }));
    const nextAfter = Date.UTC(2026, 10, 26, 13, 0);
    await expect.poll(async () => (await draftOf(driver, card.draft.id))?.scheduledFor).toBe(nextAfter);
    await expect.poll(() => driver.status(card.messageId)).toContain(`<t:${sec(nextAfter)}:F>`);
    const actions = (await audit(driver, card.draft.id)).map((e) => [e.action, e.outcome]);
    expect(actions.filter(([action]) => action === 'reschedule')).toEqual([
      ['reschedule', 'rescheduled'],
      ['reschedule', 'rescheduled'],
    ]);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a scheduled card WHEN Reschedule gets a past time, a time outside the active hours, or garbage THEN each is refused privately with why, and nothing changes', async () => {
    const driver = await start(CALENDAR);
    const card = await scheduledCard(driver);
    const before = fakes.discord.messagePayloads(card.messageId).length;
    const reasons: string[] = [];
    for (const text of ['2026-11-24 10:00', '2026-11-26 03:00', 'banana o clock']) {
      track(driver.click(card, 'reschedule', card.draft.id, 1));
      const submit = track(driver.submit(card, 'reschedule-modal', card.draft.id, 1, { [RESCHEDULE_FIELD]: text }));
      reasons.push(await driver.ephemeralReply(submit.id));
    }
    for (const reason of reasons) expect(reason).toMatch(/^That time was not accepted: .+\. Nothing was changed\.$/);
    expect(reasons[0]).toMatch(/past/);
    expect(reasons[1]).toMatch(/active hours/);
    expect(await draftOf(driver, card.draft.id)).toMatchObject({ status: 'approved', scheduledFor: SLOT_13 });
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(before);
    expect((await audit(driver, card.draft.id)).filter((e) => e.action === 'reschedule').map((e) => e.outcome)).toEqual([
      'invalid_time',
      'invalid_time',
      'invalid_time',
    ]);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a scheduled card WHEN Unschedule is pressed THEN the draft is pending again with a fresh deadline, the card has the moderation buttons, and its slot is free for the next approval', async () => {
    const driver = await start(CALENDAR);
    const card = await scheduledCard(driver);
    driver.testApp.clock.advance(10 * 60_000);
    track(driver.click(card, 'unschedule', card.draft.id, 1));
    await expect.poll(() => driver.status(card.messageId)).toContain('Awaiting moderation');
    const draft = await draftOf(driver, card.draft.id);
    expect(draft).toMatchObject({ status: 'pending', revision: 1, scheduledFor: null });
    expect(draft?.deadlineAt).toBe(driver.testApp.clock.now() + 2 * HOUR);
    expect(driver.buttons(card.messageId)).toEqual(['approve', 'regenerate', 'edit', 'reject', 'add-image'].map((a) => `dg1:${a}:${card.draft.id}:1`));
    // The 13:00 slot is free again: the next approval takes it.
    const other = await driver.postDraft(TWEET_B);
    track(driver.click(other, 'approve', other.draft.id, 1));
    await expect.poll(async () => (await draftOf(driver, other.draft.id))?.scheduledFor).toBe(SLOT_13);
    expect((await audit(driver, card.draft.id)).map((e) => [e.action, e.outcome])).toContainEqual(['unschedule', 'pending']);
    await expectCleanDiscordTraffic(fakes);
  });

  it('GIVEN a scheduled card WHEN a member without the moderator role presses Publish now, Reschedule or Unschedule THEN each is refused privately and audited, and nothing changes', async () => {
    const driver = await start({ ...CALENDAR, DRY_RUN: 'false' });
    const card = await scheduledCard(driver);
    const plain = fakes.discord.userIds.plain;
    const before = fakes.discord.messagePayloads(card.messageId).length;
    const now = track(driver.click(card, 'publish-now', card.draft.id, 1, plain));
    expect(await driver.ephemeralReply(now.id)).toMatch(/^Only moderators can do that/);
    const form = track(driver.click(card, 'reschedule', card.draft.id, 1, plain));
    // No form they could never submit: the acknowledgement is the refusal.
    expect((await fakes.discord.waitForCallback(form.id)).type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(await driver.ephemeralReply(form.id)).toMatch(/^Only moderators/);
    const forged = track(driver.submit(card, 'reschedule-modal', card.draft.id, 1, { [RESCHEDULE_FIELD]: 'next' }, plain));
    expect(await driver.ephemeralReply(forged.id)).toMatch(/^Only moderators/);
    const un = track(driver.click(card, 'unschedule', card.draft.id, 1, plain));
    expect(await driver.ephemeralReply(un.id)).toMatch(/^Only moderators/);

    await expect.poll(async () => (await audit(driver, card.draft.id)).filter((e) => e.outcome === 'not_moderator').length).toBe(4);
    expect((await audit(driver, card.draft.id)).filter((e) => e.outcome === 'not_moderator').map((e) => [e.action, e.actor.id])).toEqual([
      ['publish_now', plain],
      ['reschedule', plain],
      ['reschedule', plain],
      ['unschedule', plain],
    ]);
    expect(await draftOf(driver, card.draft.id)).toMatchObject({ status: 'approved', scheduledFor: SLOT_13 });
    expect(fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    expect(fakes.discord.messagePayloads(card.messageId)).toHaveLength(before);
    await expectCleanDiscordTraffic(fakes);
  });
});
