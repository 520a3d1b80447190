import { InteractionResponseType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { useAppHarness } from '../support/app-harness.js';
import { ModerationDriver } from '../support/moderation-driver.js';

/** No rule breaks, no risk flag: one approval would publish it. */
const CLEAN = 'Before you touch a fresh launch on Pump.fun, read the description, check who holds the supply, and set your own limits first.';

/**
 * Issue 10, item 3: text typed into the Edit modal (and Regenerate feedback) goes through the
 * same sanitiser and validator as generated text, so invisible characters cannot hide a banned
 * phrase or a risk flag from the rules, and bidi controls or invisible-only text are refused.
 */
describe('edited text and feedback are sanitised like generated text (real discord.js against the fakes)', () => {
  const harness = useAppHarness({ DRY_RUN: 'false' });
  const track = harness.track.bind(harness);

  async function start(env: Record<string, string> = {}): Promise<ModerationDriver> {
    return new ModerationDriver(harness.fakes, await harness.start(env));
  }

  it.each([
    ['Profits are guar\u200Banteed for every holder who reads the page.', /guaranteed/i],
    ['This one will do 100\u200Bx for early buyers, read the page.', /100x/i],
    ['Read the page: this one will pu\u200Bmp once it graduates.', /will pump/i],
    ['Profits are guar\u2060an\uFEFFte\u00ADed, no doubt about it at all.', /guaranteed/i],
  ])(
    'GIVEN an edit hiding a banned phrase with invisible characters (%j) WHEN submitted THEN it is refused naming the phrase and nothing is saved',
    async (text, phrase) => {
      const driver = await start({ REQUIRE_SECOND_APPROVAL: 'true' });
      const card = await driver.postDraft(CLEAN);
      const id = card.draft.id;
      const submitted = track(driver.submit(card, 'edit-modal', id, 1, { 'tweet-1': text }));
      const refusal = await driver.ephemeralReply(submitted.id);
      expect(refusal).toMatch(/^Your edit was not saved/);
      expect(refusal).toMatch(phrase);
      const draft = await driver.testApp.app.repos.drafts.findById(id);
      expect(draft).toMatchObject({ revision: 1, tweets: [CLEAN], status: 'pending' });
      expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    },
  );

  it('GIVEN REQUIRE_SECOND_APPROVAL WHEN an edit hides a price behind a zero-width space and one moderator approves THEN it is stored without it, flagged, and not published', async () => {
    const driver = await start({ REQUIRE_SECOND_APPROVAL: 'true' });
    const card = await driver.postDraft(CLEAN);
    const id = card.draft.id;
    expect(card.draft.riskFlags).toEqual([]);
    const hidden = 'Launching a coin on Pump.fun costs about $\u200B2 in network fees. Read the fee page first so nothing surprises you.';
    track(driver.submit(card, 'edit-modal', id, 1, { 'tweet-1': hidden }));
    await expect.poll(() => driver.buttons(card.messageId)[0]).toBe(`dg1:approve:${id}:2`);
    const edited = await driver.testApp.app.repos.drafts.findById(id);
    expect(edited?.tweets).toEqual([hidden.replace('\u200B', '')]);
    expect(edited?.riskFlags.map((f) => f.id)).toContain('mentions_price');

    const approve = track(driver.click(card, 'approve', id, 2));
    expect((await harness.fakes.discord.waitForCallback(approve.id)).type).toBe(InteractionResponseType.DeferredMessageUpdate);
    await expect.poll(() => driver.status(card.messageId)).toMatch(/First approval by .*a second, different moderator must approve/);
    expect((await driver.testApp.app.repos.drafts.findById(id))?.status).toBe('pending');
    expect(harness.fakes.x.requestsTo('POST', '/2/tweets')).toHaveLength(0);
  });

  it.each([
    ['only zero-width characters', '\u200B\u200C\u200D\u2060\uFEFF', /empty|invisible/i],
    ['a right-to-left override', 'Read the page \u202Eeerf ksir\u202C before you buy anything at all.', /U\+202E/],
    ['a bidi isolate', 'Read the page \u2067first\u2069 before you buy anything at all.', /U\+2067/],
  ])('GIVEN an edit with %s WHEN submitted THEN it is refused with a clear message and nothing is saved', async (_name, text, reason) => {
    const driver = await start();
    const card = await driver.postDraft(CLEAN);
    const id = card.draft.id;
    const submitted = track(driver.submit(card, 'edit-modal', id, 1, { 'tweet-1': text }));
    const refusal = await driver.ephemeralReply(submitted.id);
    expect(refusal).toMatch(/^Your edit was not saved/);
    expect(refusal).toMatch(reason);
    expect(await driver.testApp.app.repos.drafts.findById(id)).toMatchObject({ revision: 1, tweets: [CLEAN] });
  });

  it('GIVEN Regenerate feedback with a bidi override WHEN submitted THEN it is refused and the card is unchanged; invisible characters in feedback are stripped before it is echoed', async () => {
    const driver = await start();
    const card = await driver.postDraft(CLEAN);
    const id = card.draft.id;
    const bidi = track(driver.submit(card, 'regenerate-modal', id, 1, { feedback: 'Make it \u202Eretrohs\u202C please' }));
    expect(await driver.ephemeralReply(bidi.id)).toMatch(/U\+202E/);
    expect((await driver.testApp.app.repos.drafts.findById(id))?.revision).toBe(1);
    expect(harness.fakes.anthropic.messageRequests).toHaveLength(1);

    track(driver.submit(card, 'regenerate-modal', id, 1, { feedback: 'make it sho\u200Brter' }));
    await expect.poll(async () => (await driver.testApp.app.repos.drafts.findById(id))?.revision).toBe(2);
    expect((await driver.testApp.app.repos.drafts.findById(id))?.feedback).toBe('make it shorter');
  });

  it('GIVEN a reject reason with a bidi override and zero-width spaces WHEN submitted THEN the draft is rejected and the reason is stored and shown without them', async () => {
    const driver = await start();
    const card = await driver.postDraft(CLEAN);
    const id = card.draft.id;
    track(driver.submit(card, 'reject-modal', id, 1, { reason: 'off​-brand ‮enot‬' }));
    await expect.poll(async () => (await driver.testApp.app.repos.drafts.findById(id))?.status).toBe('rejected');
    expect((await driver.testApp.app.repos.drafts.findById(id))?.rejectReason).toBe('off-brand enot');
  });
});
