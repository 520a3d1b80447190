import { newTweetDraft } from '../support/draft-fixtures.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Actor, Draft } from '../../src/domain/draft.js';
import type { PauseState } from '../../src/domain/schedule.js';
import { createSilentLogger } from '../../src/logging/index.js';
import type { GenerateDraftOutcome, ReviseOutcome } from '../../src/services/draft-pipeline.js';
import { ModerationService, type ModerationOptions } from '../../src/services/moderation-service.js';
import type { ApprovedDraftPublisher, CardLocation, DraftCardPort, DraftCardView, DraftReviser, PauseStateReader } from '../../src/services/ports.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const MODS: Actor[] = [1, 2, 3, 4].map((n) => ({ id: `12000000000000004${n}0`, name: `mod ${n}` }));
const TEXT = 'A bonding curve prices each buy a little higher than the last, so early and late buyers pay different prices.';
const OTHER_TEXT = 'Each buy on a bonding curve moves the price for the next buyer; read the curve before you size a trade.';
const RISKY = 'Launching a coin on Pump.fun costs about $2 in network fees. Read the fee page first.';
const TIMEOUT_MS = 7_200_000;
/** The card message every request in these tests comes from. */
const CARD_MESSAGE_ID = '1200000000000000777';

/** Records what the service asked of Discord; `failPosts` makes postCard throw like an outage. */
class RecordingCards implements DraftCardPort {
  readonly posted: DraftCardView[] = [];
  readonly updated: DraftCardView[] = [];
  readonly alerts: string[] = [];
  failPosts = 0;
  async postCard(view: DraftCardView): Promise<CardLocation> {
    if (this.failPosts > 0) {
      this.failPosts -= 1;
      throw new Error('Discord is down');
    }
    this.posted.push(view);
    return { channelId: '1200000000000000200', messageId: `9000000000000000${this.posted.length}` };
  }
  async updateCard(view: DraftCardView): Promise<void> {
    this.updated.push(view);
  }
  async alert(text: string): Promise<void> {
    this.alerts.push(text);
  }
}

describe('ModerationService on a real SQLite file', () => {
  let db: TempDatabase;
  let now: number;
  let cards: RecordingCards;
  let published: number[];

  const publisher = (): ApprovedDraftPublisher => ({
    async publishApprovedDraft(draftId) {
      published.push(draftId);
      return db.repos.drafts.findById(draftId);
    },
    async retryFailed(draftId, actor) {
      return (await db.repos.publications.retryFailed(draftId, actor, now)) ? db.repos.drafts.findById(draftId) : null;
    },
  });

  const service = (options: Partial<ModerationOptions> = {}, pipeline: Partial<DraftReviser> = {}, pause?: PauseStateReader) =>
    new ModerationService({
      ...db.repos,
      pipeline: {
        generateDraft: async (): Promise<GenerateDraftOutcome> => ({
          status: 'created',
          draft: await db.repos.drafts.create(newTweetDraft(TEXT, { deadlineAt: null }), now),
        }),
        regenerate: async (): Promise<ReviseOutcome> => ({ status: 'failed', reason: 'not scripted' }),
        applyEdit: async (): Promise<ReviseOutcome> => ({ status: 'failed', reason: 'not scripted' }),
        ...pipeline,
      },
      publisher: publisher(),
      cards,
      clock: { now: () => now },
      logger: createSilentLogger(),
      options: {
        timeoutAction: 'publish',
        moderationTimeoutMs: TIMEOUT_MS,
        requireSecondApproval: false,
        dryRun: true,
        caps: { maxPerHour: 2, maxPerDay: 12 },
        ...options,
      },
      pause,
    });

  /** A pending draft whose card was posted now (so its deadline runs), saying the deadline publishes it unless told otherwise. */
  async function createDraft(text: string, cardSays: 'publish' | 'expire' = 'publish'): Promise<Draft> {
    const topic = await db.repos.topics.findByName('education');
    const draft = await db.repos.drafts.create(newTweetDraft(text, { topicId: topic?.id ?? null, deadlineAt: null }), now);
    await db.repos.drafts.setModerationMessage(draft.id, '1200000000000000200', `8000000000000000${draft.id}`, now, {
      rendered: { revision: 1, status: 'pending', version: now, timeoutAction: cardSays },
      deadlineAt: now + TIMEOUT_MS,
    });
    return (await db.repos.drafts.findById(draft.id)) as Draft;
  }

  /** A draft whose card is posted as CARD_MESSAGE_ID: moderation requests must come from it. */
  async function createPostedDraft(text: string): Promise<Draft> {
    const draft = await createDraft(text);
    await db.repos.drafts.setModerationMessage(draft.id, '1200000000000000200', CARD_MESSAGE_ID, now);
    return draft;
  }

  beforeEach(async () => {
    db = await openTempDatabase();
    now = 1_800_000_000_000;
    cards = new RecordingCards();
    published = [];
  });
  afterEach(async () => {
    await db.close();
  });

  it('GIVEN 10 approvals, 10 rejections and 3 deadline sweeps started in the same tick THEN the conditional update lets exactly one win and at most one publish', async () => {
    const moderation = service();
    const draft = await createPostedDraft(TEXT);
    now += TIMEOUT_MS;
    const decide = db.repos.drafts.decide.bind(db.repos.drafts);
    const updates: boolean[] = [];
    db.repos.drafts.decide = async (...args) => {
      const won = await decide(...args);
      updates.push(won);
      return won;
    };
    // Promise.all starts every call before any finishes, so all of them read "pending" and race on the UPDATE.
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => moderation.approve({ draftId: draft.id, revision: 1, actor: MODS[i % 4] as Actor, messageId: CARD_MESSAGE_ID })),
      ...Array.from({ length: 10 }, (_, i) =>
        moderation.reject({ draftId: draft.id, revision: 1, actor: MODS[i % 4] as Actor, messageId: CARD_MESSAGE_ID, reason: 'no' }),
      ),
      moderation.handleOverdueDrafts(),
      moderation.handleOverdueDrafts(),
      moderation.handleOverdueDrafts(),
    ]);
    const clickResults = results.slice(0, 20) as Array<{ status: string }>;
    const timeoutResults = results.slice(20).flat() as Array<{ result: string }>;
    const winners = clickResults.filter((r) => r.status === 'applied').length + timeoutResults.filter((t) => t.result === 'approved').length;
    expect(winners).toBe(1);
    // The race really reached the conditional UPDATE: many callers tried, exactly one changed the row.
    expect(updates.filter((won) => !won).length).toBeGreaterThan(10);
    expect(updates.filter((won) => won)).toHaveLength(1);
    expect(clickResults.filter((r) => r.status === 'already_decided')).toHaveLength(20 - clickResults.filter((r) => r.status === 'applied').length);
    const final = await db.repos.drafts.findById(draft.id);
    expect(published).toEqual(final?.status === 'approved' ? [draft.id] : []);
    const audit = await db.repos.moderationEvents.listForDraft(draft.id);
    expect(audit.filter((e) => ['approved', 'rejected', 'expired'].includes(e.outcome))).toHaveLength(1);
    const topic = await db.repos.topics.findByName('education');
    expect((topic?.approvals ?? 0) + (topic?.rejections ?? 0)).toBe(final?.decisionSource === 'moderator' ? 1 : 0);
  });

  it('GIVEN the two-approval rule and a flagged draft WHEN two moderators approve at once THEN one records the first approval and the other completes it', async () => {
    const moderation = service({ requireSecondApproval: true });
    const draft = await createPostedDraft(RISKY);
    expect(draft.riskFlags.length).toBeGreaterThan(0);
    const [a, b] = await Promise.all([
      moderation.approve({ draftId: draft.id, revision: 1, actor: MODS[0] as Actor, messageId: CARD_MESSAGE_ID }),
      moderation.approve({ draftId: draft.id, revision: 1, actor: MODS[1] as Actor, messageId: CARD_MESSAGE_ID }),
    ]);
    expect([a?.status, b?.status].sort()).toEqual(['applied', 'awaiting_second_approval']);
    expect(published).toEqual([draft.id]);
  });

  it('GIVEN the two-approval rule and TIMEOUT_ACTION=publish THEN a flagged draft expires at its deadline instead of publishing with no human approval', async () => {
    const moderation = service({ requireSecondApproval: true });
    const risky = await createDraft(RISKY);
    const plain = await createDraft(TEXT);
    expect((await moderation.viewOf(risky.id)).timeoutAction).toBe('expire');
    now += TIMEOUT_MS;
    const outcomes = await moderation.handleOverdueDrafts();
    expect(outcomes.map((o) => [o.draftId, o.result])).toEqual([
      [risky.id, 'expired'],
      [plain.id, 'approved'],
    ]);
    expect(published).toEqual([plain.id]);
    expect(cards.updated.map((v) => [v.draft.id, v.draft.status])).toEqual([
      [risky.id, 'expired'],
      [plain.id, 'approved'],
    ]);
  });

  it('GIVEN TIMEOUT_ACTION=publish and a pause THEN the deadline sweep is held and its drafts stay pending; with TIMEOUT_ACTION=expire it still runs', async () => {
    let pause: PauseState | null = { by: MODS[0] as Actor, since: now, reason: 'incident', scope: 'all' };
    const pauseState = { current: async () => pause, holdsGeneration: async () => pause, holdsPublishing: async () => pause };
    const publishing = service({ timeoutAction: 'publish' }, {}, pauseState);
    const draft = await createDraft(TEXT);
    now += TIMEOUT_MS;
    expect(await publishing.sweepOnHold()).toBe(true);
    expect(await publishing.sweepOverdue()).toEqual({ status: 'held', reason: 'posting is paused: publishing on timeout waits for /resume' });
    expect((await db.repos.drafts.findById(draft.id))?.status).toBe('pending');

    const expiring = service({ timeoutAction: 'expire' }, {}, pauseState);
    expect(await expiring.sweepOnHold()).toBe(false);
    expect(await expiring.sweepOverdue()).toEqual({ status: 'swept', outcomes: [{ draftId: draft.id, revision: 1, result: 'expired' }] });

    const second = await createDraft(OTHER_TEXT);
    now += TIMEOUT_MS;
    pause = null;
    expect(await publishing.sweepOnHold()).toBe(false);
    expect(await publishing.sweepOverdue()).toEqual({ status: 'swept', outcomes: [{ draftId: second.id, revision: 1, result: 'approved' }] });
    expect(published).toEqual([second.id]);
  });

  it('GIVEN a deadline sweep running WHEN the sweep job and the deadline timer both call it THEN the second call joins the first', async () => {
    const moderation = service();
    await createDraft(TEXT);
    now += TIMEOUT_MS;
    const [first, second] = [moderation.sweepOverdue(), moderation.sweepOverdue()];
    expect(second).toBe(first);
    expect((await first).status).toBe('swept');
    expect(published).toHaveLength(1);
  });

  it('GIVEN Discord failing when a draft is created THEN the draft is kept and its card is posted by a later sweep', async () => {
    const moderation = service();
    cards.failPosts = 1;
    const outcome = await moderation.generateAndPostDraft({ trigger: 'schedule' });
    expect(outcome).toMatchObject({ status: 'created', card: null });
    // Not at once: a card may be in the middle of being posted by the cycle that created it.
    await moderation.handleOverdueDrafts();
    expect(cards.posted).toHaveLength(0);
    now += 60_000;
    await moderation.handleOverdueDrafts();
    expect(cards.posted).toHaveLength(1);
    const draft = outcome.status === 'created' ? await db.repos.drafts.findById(outcome.draft.id) : null;
    expect(draft?.moderationMessageId).toBe('90000000000000001');
  });

  it('GIVEN a failed publication WHEN a moderator presses Retry THEN it is approved again and published, and a second Retry is refused', async () => {
    const moderation = service();
    const draft = await createPostedDraft(TEXT);
    await db.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: MODS[0] as Actor, source: 'moderator' }, now);
    await db.repos.publications.claimForPublishing(draft.id, 'test', 'attempt-1', now, 60_000);
    await db.repos.publications.markFailed(draft.id, { owner: 'test', attemptId: 'attempt-1' }, { errorMessage: 'X says 403', errorClass: 'forbidden' }, now);
    const retried = await moderation.retry({ draftId: draft.id, revision: 1, actor: MODS[1] as Actor, messageId: CARD_MESSAGE_ID });
    expect(retried.status).toBe('applied');
    expect(published).toEqual([draft.id]);
    const again = await moderation.retry({ draftId: draft.id, revision: 1, actor: MODS[1] as Actor, messageId: CARD_MESSAGE_ID });
    expect(again.status).toBe('already_decided');
    const audit = await db.repos.moderationEvents.listForDraft(draft.id);
    expect(audit.map((e) => [e.action, e.outcome])).toEqual([
      ['retry', 'approved'],
      ['retry', 'already_decided'],
    ]);
  });

  it("GIVEN a request that does not come from the draft's card, or a draft without a card THEN every action is refused as wrong_card, audited, and nothing changes", async () => {
    const pipelineCalls: string[] = [];
    const moderation = service(
      {},
      {
        regenerate: async () => (pipelineCalls.push('regenerate'), { status: 'failed', reason: 'must not be called' }),
        applyEdit: async () => (pipelineCalls.push('edit'), { status: 'failed', reason: 'must not be called' }),
      },
    );
    const carded = await createPostedDraft(TEXT);
    const uncarded = await createDraft(TEXT);
    const failed = await createPostedDraft(TEXT);
    await db.repos.drafts.decide(failed.id, 1, { to: 'approved', actor: MODS[0] as Actor, source: 'moderator' }, now);
    await db.repos.publications.claimForPublishing(failed.id, 'test', 'attempt-1', now, 60_000);
    await db.repos.publications.markFailed(failed.id, { owner: 'test', attemptId: 'attempt-1' }, { errorMessage: 'X says 403', errorClass: 'forbidden' }, now);
    const from = (draft: Draft, messageId: string | null) => ({ draftId: draft.id, revision: 1, actor: MODS[1] as Actor, messageId });

    const results = [
      await moderation.approve(from(carded, '1200000000000000999')),
      await moderation.reject({ ...from(carded, null), reason: 'no' }),
      await moderation.regenerate({ ...from(carded, '1200000000000000999'), feedback: null }),
      await moderation.edit({ ...from(carded, '1200000000000000999'), tweets: ['other text'] }),
      await moderation.draftForForm(from(carded, '1200000000000000999')),
      await moderation.approve(from(uncarded, CARD_MESSAGE_ID)),
      await moderation.retry(from(failed, '1200000000000000999')),
    ];
    expect(results.map((r) => r.status)).toEqual(Array(7).fill('wrong_card'));
    expect(pipelineCalls).toEqual([]);
    expect(published).toEqual([]);
    expect((await db.repos.drafts.findById(carded.id))?.status).toBe('pending');
    expect((await db.repos.drafts.findById(failed.id))?.status).toBe('failed');
    expect((await db.repos.moderationEvents.listForDraft(carded.id)).map((e) => [e.action, e.outcome])).toEqual([
      ['approve', 'wrong_card'],
      ['reject', 'wrong_card'],
      ['regenerate', 'wrong_card'],
      ['edit', 'wrong_card'],
    ]);
  });

  it('GIVEN the publishing observer THEN cards follow publications driven elsewhere, and failures that need a person raise an alert', async () => {
    const moderation = service();
    const draft = await createDraft(TEXT);
    await moderation.publishingObserver.onQueued(draft);
    await moderation.publishingObserver.onFailed({ ...draft, status: 'failed', errorMessage: 'X rejected the credentials' }, true);
    expect(cards.updated.map((v) => v.draft.status)).toEqual(['pending', 'failed']);
    expect(cards.alerts).toEqual([expect.stringContaining(`draft #${draft.id} failed and needs a person: X rejected the credentials`)]);
  });
});
