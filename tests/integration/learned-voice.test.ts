import { afterEach, describe, expect, it } from 'vitest';
import type { AccountServices } from '../../src/app.js';
import { SETTINGS } from '../../src/services/settings-keys.js';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import type { MessagesRequestBody } from '../support/fake-anthropic.js';
import { ModerationDriver, type PostedCard } from '../support/moderation-driver.js';
import { ManualClock, type TestApp } from '../support/test-app.js';

const ACTOR = { id: 'mod-1', name: 'Mia (mod)' };
const MINUTE = 60_000;

const POST_A = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices. Know which one you are.';
const POST_B_DRAFTED = 'Your seed phrase is the only key to your funds!! Nobody from support will ever ask for it!!';
const POST_B_EDITED = 'Your seed phrase is the only key to your funds. Nobody from support will ever ask for it.';
const POST_C = 'Slippage is the gap between the price you saw and the price you got. Set it on purpose, not by accident, before every swap.';
const POST_D = 'Read the token page before you buy: holders, liquidity, and how the launch was set up tell you more than any hype thread does.';
const POST_E = 'Check every link twice. Fake mint sites copy real ones pixel for pixel and differ by a single letter in the address bar.';
const POST_F = 'Gas fees rise when the network is busy. Waiting ten minutes can cost nothing and save more than you would think.';
const POST_G = 'Never sign a transaction you do not understand. A wallet prompt is a contract, and approvals can outlive the moment you clicked.';

/**
 * Issue 15 §2: the examples block. The real app, the real Anthropic SDK against the fake (which
 * simulates prompt caching as the API does), a real database, a manual clock that the fake's
 * cache TTL follows too.
 */
describe('learned voice: examples and edits in a second cached system block (issue 15)', () => {
  const harness = useAppHarness({ DRY_RUN: 'true', TIMEZONE: 'UTC' });
  afterEach(async () => {
    await expectCleanDiscordTraffic(harness.fakes);
  });

  const accountOf = (testApp: TestApp): AccountServices => testApp.app.services.accounts.get('default') as AccountServices;

  async function started(clock: ManualClock, options: Parameters<typeof harness.start>[1] = {}) {
    const testApp = await harness.start({}, { clock, ...options });
    harness.fakes.anthropic.cacheClock = () => clock.now();
    return { testApp, driver: new ModerationDriver(harness.fakes, testApp), account: accountOf(testApp) };
  }

  /** The system blocks of the last request to the fake, and what its cache did for it. */
  function lastRequest() {
    const fake = harness.fakes.anthropic;
    const body = fake.messageBodies.at(-1) as MessagesRequestBody;
    const outcome = fake.cacheOutcomes.at(-1);
    if (!outcome || outcome.requestIndex !== fake.messageRequests.length - 1) throw new Error('the last request has no cache outcome');
    const system = body.system as Array<{ type: string; text: string; cache_control?: { type: string } }>;
    return { system, outcome };
  }

  async function approve(account: AccountServices, card: PostedCard): Promise<void> {
    const draft = await account.repos.drafts.findById(card.draft.id);
    const result = await account.moderation.approve({ draftId: card.draft.id, revision: draft!.revision, actor: ACTOR, messageId: card.messageId });
    expect(result.status).toBe('applied');
    expect((await account.repos.drafts.findById(card.draft.id))?.status).toBe('published');
  }

  it('GIVEN drafts published yesterday WHEN drafts are written today THEN the block shows them, is built once a day, cached and read by the next drafts, rebuilt the next local day and after invalidate', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const { driver, account } = await started(clock);

    // Day 1: nothing is learned yet, so the prompt is the single block it always was.
    await approve(account, await driver.postDraft(POST_A));
    expect(lastRequest().system).toHaveLength(1);
    const cardB = await driver.postDraft(POST_B_DRAFTED);
    expect(lastRequest().system).toHaveLength(1);
    const edited = await account.moderation.edit({
      draftId: cardB.draft.id,
      revision: cardB.draft.revision,
      actor: ACTOR,
      messageId: cardB.messageId,
      tweets: [POST_B_EDITED],
    });
    expect(edited.status).toBe('applied');
    await approve(account, cardB);

    // Day 2, 23:56: the first draft of the day builds the block from what was published.
    clock.set(Date.UTC(2026, 10, 26, 23, 56, 0));
    const cardC = await driver.postDraft(POST_C);
    const first = lastRequest();
    expect(first.system).toHaveLength(2);
    expect(first.system.map((block) => block.cache_control)).toEqual([{ type: 'ephemeral' }, { type: 'ephemeral' }]);
    const block = first.system[1]!.text;
    expect(block).toContain(`<approved_examples>`);
    expect(block).toContain(POST_A);
    expect(block).toContain(`<before>\n<tweet n="1">${POST_B_DRAFTED}</tweet>\n</before>\n<after>\n<tweet n="1">${POST_B_EDITED}</tweet>\n</after>`);
    // Yesterday's cache entries are long gone: the whole prefix is written, up to the learned block.
    expect(first.outcome.breakpointTokens).toHaveLength(2);
    expect(first.outcome.read).toBe(0);
    expect(first.outcome.creation).toBe(first.outcome.breakpointTokens[1]);
    await approve(account, cardC);

    // 23:58, the same day: C is published now, but the block is not rebuilt; the second draft
    // sends the same bytes and reads the whole prefix, learned block included, from the cache.
    clock.advance(2 * MINUTE);
    const cardD = await driver.postDraft(POST_D);
    const second = lastRequest();
    expect(second.system[1]!.text).toBe(block);
    expect(second.system[1]!.text).not.toContain(POST_C);
    expect(second.outcome.read).toBe(second.outcome.breakpointTokens[1]);
    expect(second.outcome.read).toBeGreaterThan(second.outcome.breakpointTokens[0]!);
    expect(second.outcome.creation).toBe(0);
    expect(second.outcome.usage.cache_read_input_tokens).toBe(second.outcome.read);
    const storedD = await account.repos.drafts.findById(cardD.draft.id);
    expect(storedD?.usage.cacheReadTokens).toBe(second.outcome.read);
    expect(storedD?.usage.cacheCreationTokens).toBe(0);
    await approve(account, cardD);

    // 00:02 the next day: rebuilt with C; the first block (voice and rules) is still read from the cache.
    clock.advance(4 * MINUTE);
    const cardE = await driver.postDraft(POST_E);
    const third = lastRequest();
    expect(third.system[1]!.text).not.toBe(block);
    expect(third.system[1]!.text).toContain(POST_C);
    expect(third.system[0]).toEqual(first.system[0]);
    expect(third.outcome.read).toBe(third.outcome.breakpointTokens[0]);
    expect(third.outcome.creation).toBe(third.outcome.breakpointTokens[1]! - third.outcome.breakpointTokens[0]!);
    const stored = await account.repos.settings.get(SETTINGS.learnedVoice);
    expect(stored).toMatchObject({ day: '2026-11-27', stale: false, text: third.system[1]!.text });

    // A Regenerate sends the same block: read from the cache.
    harness.fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: POST_F } });
    const regenerated = await account.moderation.regenerate({
      draftId: cardE.draft.id,
      revision: cardE.draft.revision,
      actor: ACTOR,
      messageId: cardE.messageId,
      feedback: 'shorter',
    });
    expect(regenerated.status).toBe('applied');
    const regen = lastRequest();
    expect(regen.system[1]!.text).toBe(third.system[1]!.text);
    expect(regen.outcome.read).toBe(regen.outcome.breakpointTokens[1]);

    // A moderator's /voice change invalidates it: the next draft rebuilds it the same day.
    await account.repos.settings.set(
      SETTINGS.avoidNotes,
      {
        notes: [{ id: 'n1', text: 'Double exclamation marks', createdAt: clock.now() }],
        forgotten: [],
        lastFeedbackId: 0,
        condensedAt: clock.now(),
        nextNoteId: 2,
      },
      clock.now(),
    );
    await account.learnedVoice.invalidate(clock.now());
    expect((await account.repos.settings.get(SETTINGS.learnedVoice))?.stale).toBe(true);
    clock.advance(MINUTE);
    await driver.postDraft(POST_G);
    const fourth = lastRequest();
    expect(fourth.system[1]!.text).toContain('<avoid_notes>\n<note>Double exclamation marks</note>\n</avoid_notes>');
    expect(fourth.outcome.read).toBe(fourth.outcome.breakpointTokens[0]);
    const shown = await account.learnedVoice.current(clock.now());
    expect(shown.text).toBe(fourth.system[1]!.text);
    expect(shown.avoidNotes.map((note) => note.id)).toEqual(['n1']);
    expect(shown.examples.map((signal) => signal.tweets[0])).toEqual(expect.arrayContaining([POST_A, POST_B_EDITED, POST_C, POST_D]));
    expect(shown.editPairs.map((pair) => pair.draftId)).toEqual([cardB.draft.id]);
  });

  it("GIVEN the day's block shows an example WHEN the app restarts the same day with a rule that example breaks THEN the block is rebuilt without it before any draft sends it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const first = await started(clock);
    const risky = 'Everyone says wagmi, but the curve does not care. Read where on it you are buying before you click.';
    await approve(first.account, await first.driver.postDraft(risky));
    await approve(first.account, await first.driver.postDraft(POST_A));
    clock.advance(24 * 60 * MINUTE);
    await first.driver.postDraft(POST_C);
    expect(lastRequest().system[1]!.text).toContain('wagmi');
    await first.testApp.stop();

    // Restarted ten minutes later, the same day, with a banned pattern the first draft now breaks.
    clock.advance(10 * MINUTE);
    const again = await harness.start({ BANNED_PATTERNS: 'wagmi' }, { clock, dataDir: first.testApp.dataDir });
    harness.fakes.anthropic.cacheClock = () => clock.now();
    await new ModerationDriver(harness.fakes, again).postDraft(POST_D);
    const { system } = lastRequest();
    expect(system).toHaveLength(2);
    expect(system[1]!.text).toContain(POST_A);
    expect(system[1]!.text).not.toContain('wagmi');
    const stored = await accountOf(again).repos.settings.get(SETTINGS.learnedVoice);
    expect(stored).toMatchObject({ day: '2026-11-26', builtAt: clock.now(), text: system[1]!.text });
  });

  it('GIVEN learning off WHEN drafts are written after publications THEN the prompt is the single block and nothing is stored', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
    const { driver, account } = await started(clock, {
      configure: (config) => ({ ...config, accounts: config.accounts.map((a) => ({ ...a, learning: { ...a.learning, enabled: false } })) }),
    });
    await approve(account, await driver.postDraft(POST_A));
    clock.advance(24 * 60 * MINUTE);
    await driver.postDraft(POST_C);
    expect(lastRequest().system).toHaveLength(1);
    expect(await account.repos.settings.get(SETTINGS.learnedVoice)).toBeNull();
    expect((await account.learnedVoice.current(clock.now())).text).toBe('');
  });
});
