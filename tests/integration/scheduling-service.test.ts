import { afterEach, describe, expect, it } from 'vitest';
import { createRepositories, type Repositories } from '../../src/db/index.js';
import type { Actor, Draft } from '../../src/domain/draft.js';
import { parseSlotSpecs } from '../../src/domain/slots.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { ModerationService, type ModerationOptions } from '../../src/services/moderation-service.js';
import { SlotTakenError, type CardLocation, type DraftCardPort, type DraftCardView, type InstanceTerm } from '../../src/services/ports.js';
import type { PublishingService } from '../../src/services/publishing-service.js';
import { SchedulingService, type SchedulingConfig } from '../../src/services/scheduling-service.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { createPublishingHarness, type PublishingHarness } from '../support/publishing-harness.js';

const MOD: Actor = { id: '120000000000000041', name: 'mod one' };
const OTHER_MOD: Actor = { id: '120000000000000042', name: 'mod two' };
const TIMEOUT_MS = 2 * 3_600_000;
const MINUTE = 60_000;
/** Thursday 2026-01-15 12:00 UTC: the slots below are in UTC, so 13:00 is an hour ahead. */
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 0, day, hour, minute, 0);

/** Records what moderation asked of Discord. */
class RecordingCards implements DraftCardPort {
  readonly posted: DraftCardView[] = [];
  readonly updated: DraftCardView[] = [];
  async postCard(view: DraftCardView): Promise<CardLocation> {
    this.posted.push(view);
    return { channelId: '1200000000000000200', messageId: `9000000000000000${this.posted.length}` };
  }
  async updateCard(view: DraftCardView): Promise<void> {
    this.updated.push(view);
  }
  async alert(): Promise<void> {}
}

interface Calendar {
  readonly h: PublishingHarness;
  readonly repos: Repositories;
  readonly cards: RecordingCards;
  readonly publishing: PublishingService;
  readonly moderation: ModerationService;
  readonly scheduling: SchedulingService;
  readonly signals: { queue: number; deadline: number };
  /** Whether /pause holds publishing. */
  paused: boolean;
  /** A pending draft with its card posted (so a click on the card can decide it). */
  pendingDraft(text: string): Promise<Draft>;
  /** A moderator's Approve on the draft's card. */
  approve(draft: Draft, actor?: Actor): Promise<Draft>;
  draft(id: number): Promise<Draft>;
  events(id: number): Promise<Array<{ action: string; outcome: string; detail?: string | null | undefined }>>;
}

describe('SchedulingService on a real database with the real X client against the fake', () => {
  const opened: PublishingHarness[] = [];
  afterEach(async () => {
    for (const h of opened.splice(0)) {
      expect(await h.specProblems()).toEqual([]);
      await h.close();
    }
  });

  async function calendar(
    options: { slots?: string[]; caps?: { maxPerHour: number; maxPerDay: number }; graceMs?: number; fence?: { current(): InstanceTerm | null } } = {},
  ): Promise<Calendar> {
    const caps = options.caps ?? { maxPerHour: 10, maxPerDay: 100 };
    const h = await createPublishingHarness({ start: T0, config: { maxPostsPerHour: caps.maxPerHour, maxPostsPerDay: caps.maxPerDay } });
    opened.push(h);
    const repos = options.fence ? createRepositories(h.db.dataSource, createSilentLogger(), 'default', options.fence) : h.db.repos;
    const cards = new RecordingCards();
    const publishing = h.service({ publications: repos.publications, drafts: repos.drafts });
    const signals = { queue: 0, deadline: 0 };
    const config: SchedulingConfig = {
      slots: parseSlotSpecs(options.slots ?? ['13:00', '13:30', '18:30']),
      timeZone: 'UTC',
      activeHours: null,
      caps,
      slotGraceMs: options.graceMs ?? 30 * MINUTE,
      moderationTimeoutMs: TIMEOUT_MS,
    };
    const state: { paused: boolean } = { paused: false };
    let moderation: ModerationService;
    const scheduling = new SchedulingService({
      ...repos,
      publisher: publishing,
      cards: { viewOf: (id) => moderation.viewOf(id), refreshCard: (id) => moderation.refreshCard(id) },
      clock: h.clock,
      logger: createSilentLogger(),
      config,
      publishingHeld: async () => (state.paused ? 'posting is paused' : null),
      onQueueChanged: () => (signals.queue += 1),
      onDeadlineChanged: () => (signals.deadline += 1),
    });
    const moderationOptions: ModerationOptions = {
      timeoutAction: 'publish',
      moderationTimeoutMs: TIMEOUT_MS,
      requireSecondApproval: false,
      dryRun: false,
      caps,
    };
    moderation = new ModerationService({
      ...repos,
      pipeline: {
        generateDraft: async () => ({ status: 'skipped', reason: 'not in these tests' }),
        regenerate: async () => ({ status: 'failed', reason: 'not in these tests' }),
        applyEdit: async () => ({ status: 'failed', reason: 'not in these tests' }),
      },
      publisher: publishing,
      calendar: scheduling,
      cards,
      clock: h.clock,
      logger: createSilentLogger(),
      options: moderationOptions,
    });
    const self: Calendar = {
      h,
      repos,
      cards,
      publishing,
      moderation,
      scheduling,
      signals,
      get paused() {
        return state.paused;
      },
      set paused(value: boolean) {
        state.paused = value;
      },
      async pendingDraft(text) {
        const created = await h.db.repos.drafts.create(newTweetDraft(text), h.clock.now());
        const messageId = `95000000000000${String(created.id).padStart(4, '0')}`;
        await h.db.repos.drafts.setModerationMessage(created.id, '1200000000000000200', messageId, h.clock.now(), {
          rendered: { revision: 1, status: 'pending', version: h.clock.now(), timeoutAction: 'publish' },
          deadlineAt: h.clock.now() + TIMEOUT_MS,
        });
        return self.draft(created.id);
      },
      async approve(draft, actor = MOD) {
        const result = await moderation.approve({ draftId: draft.id, revision: draft.revision, actor, messageId: draft.moderationMessageId });
        expect(result.status).toBe('applied');
        return self.draft(draft.id);
      },
      async draft(id) {
        return (await h.db.repos.drafts.findById(id)) as Draft;
      },
      async events(id) {
        return (await h.db.repos.moderationEvents.listForDraft(id)).map((e) => ({ action: e.action, outcome: e.outcome, detail: e.detail }));
      },
    };
    return self;
  }

  const text = (n: number) => `Scheduled post number ${n}: a bonding curve prices each buy a little higher than the last one.`;
  const card = (draft: Draft) => ({ draftId: draft.id, actor: MOD, messageId: draft.moderationMessageId });

  describe('scheduling on approval', () => {
    it('GIVEN slots at 13:00, 13:30 and 18:30 WHEN three drafts are approved at 12:00 THEN each takes the earliest free slot, nothing is posted, and each is audited', async () => {
      const c = await calendar();
      const drafts = [];
      for (let n = 1; n <= 4; n += 1) drafts.push(await c.approve(await c.pendingDraft(text(n))));
      expect(drafts.map((d) => [d.status, d.scheduledFor, d.notBefore, d.queueReason])).toEqual([
        ['approved', at(15, 13), at(15, 13), 'scheduled'],
        ['approved', at(15, 13, 30), at(15, 13, 30), 'scheduled'],
        ['approved', at(15, 18, 30), at(15, 18, 30), 'scheduled'],
        ['approved', at(16, 13), at(16, 13), 'scheduled'],
      ]);
      expect(drafts.every((d) => d.decidedBy?.id === MOD.id)).toBe(true);
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(0);
      expect(await c.publishing.processDueDrafts()).toEqual([]);
      const events = (await c.events(drafts[0]!.id)).map((e) => [e.action, e.outcome, e.detail]);
      expect(events).toHaveLength(2);
      expect(events).toEqual(
        expect.arrayContaining([
          ['approve', 'approved', null],
          ['schedule', 'scheduled', 'Thu 15 Jan 13:00 (UTC)'],
        ]),
      );
      expect(c.signals.queue).toBe(4);
    });

    it('GIVEN a cap of one post an hour WHEN two drafts are approved THEN the second skips the 13:30 slot the cap forbids', async () => {
      const c = await calendar({ caps: { maxPerHour: 1, maxPerDay: 100 } });
      const first = await c.approve(await c.pendingDraft(text(1)));
      const second = await c.approve(await c.pendingDraft(text(2)));
      expect([first.scheduledFor, second.scheduledFor]).toEqual([at(15, 13), at(15, 18, 30)]);
    });

    it('GIVEN two approvals racing for one free slot WHEN both commit THEN each gets its own slot (the loser looks again)', async () => {
      const c = await calendar();
      const a = await c.pendingDraft(text(1));
      const b = await c.pendingDraft(text(2));
      await Promise.all([c.approve(a, MOD), c.approve(b, OTHER_MOD)]);
      const slots = [(await c.draft(a.id)).scheduledFor, (await c.draft(b.id)).scheduledFor].sort();
      expect(slots).toEqual([at(15, 13), at(15, 13, 30)]);
    });

    it('GIVEN a queued publication holding the 13:00 slot WHEN another approval stores the same slot THEN the database refuses it (SlotTakenError) and nothing of it is written', async () => {
      const c = await calendar();
      const first = await c.approve(await c.pendingDraft(text(1)));
      expect(first.scheduledFor).toBe(at(15, 13));
      const second = await c.pendingDraft(text(2));
      const decide = c.repos.drafts.decide(
        second.id,
        1,
        { to: 'approved', actor: MOD, source: 'moderator', placement: { scheduledFor: at(15, 13), notBefore: at(15, 13), queueReason: 'scheduled' } },
        T0,
      );
      await expect(decide).rejects.toBeInstanceOf(SlotTakenError);
      expect((await c.draft(second.id)).status).toBe('pending');
    });

    it('GIVEN TIMEOUT_ACTION=publish WHEN the deadline approves a draft THEN it is scheduled into the next slot, not posted', async () => {
      const c = await calendar();
      const draft = await c.pendingDraft(text(1));
      c.h.clock.set(draft.deadlineAt as number);
      const outcomes = await c.moderation.handleOverdueDrafts();
      expect(outcomes.map((o) => o.result)).toEqual(['approved']);
      const after = await c.draft(draft.id);
      expect([after.status, after.scheduledFor, after.decisionSource]).toEqual(['approved', at(15, 18, 30), 'timeout']);
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    });

    it('GIVEN no slots WHEN a draft is approved THEN it is published at once, as before', async () => {
      const c = await calendar({ slots: [] });
      const draft = await c.approve(await c.pendingDraft(text(1)));
      expect([draft.status, draft.scheduledFor]).toEqual(['published', null]);
      expect(c.h.postsOf(text(1))).toHaveLength(1);
    });
  });

  describe('moderator requests', () => {
    it('GIVEN a scheduled draft WHEN Publish now is clicked on its card THEN it posts once, without its slot, audited', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      const result = await c.scheduling.publishNow({ ...card(draft), interactionId: 'i-1' });
      expect(result.status).toBe('applied');
      const after = await c.draft(draft.id);
      expect([after.status, after.scheduledFor]).toEqual(['published', null]);
      expect(c.h.postsOf(text(1))).toHaveLength(1);
      // The slot's own run later finds nothing: published once.
      c.h.clock.set(at(15, 13, 1));
      await c.scheduling.settleMissedSlots();
      await c.publishing.processDueDrafts();
      expect(c.h.postsOf(text(1))).toHaveLength(1);
      expect((await c.events(draft.id)).map((e) => e.action)).toContain('publish_now');
      // A second click is told it is not scheduled any more.
      expect((await c.scheduling.publishNow(card(draft))).status).toBe('not_scheduled');
    });

    it("GIVEN a Publish now click racing the slot's own run in another process WHEN both go at 13:00 THEN the draft is posted exactly once", async () => {
      for (let round = 0; round < 3; round += 1) {
        const c = await calendar();
        const draft = await c.approve(await c.pendingDraft(text(round)));
        c.h.clock.set(at(15, 13));
        const otherProcess = c.h.service();
        const results = await Promise.all([
          c.scheduling.publishNow(card(draft)),
          (async () => {
            await c.scheduling.settleMissedSlots();
            return otherProcess.processDueDrafts();
          })(),
        ]);
        expect(['applied', 'not_scheduled']).toContain(results[0].status);
        expect((await c.draft(draft.id)).status).toBe('published');
        expect(c.h.postsOf(text(round))).toHaveLength(1);
      }
    });

    it('GIVEN publishing is paused WHEN Publish now is clicked THEN it is refused and the draft keeps its slot', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      c.paused = true;
      expect(await c.scheduling.publishNow(card(draft))).toEqual({ status: 'publishing_paused', reason: 'posting is paused' });
      expect((await c.draft(draft.id)).scheduledFor).toBe(at(15, 13));
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    });

    it('GIVEN a scheduled draft WHEN it is rescheduled to "next", to a date and time, and with bad input THEN it moves twice and the bad input is refused with a reason', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      expect((await c.scheduling.reschedule({ ...card(draft), text: 'next' })).status).toBe('applied');
      expect((await c.draft(draft.id)).scheduledFor).toBe(at(15, 13, 30));
      expect((await c.scheduling.reschedule({ ...card(draft), text: '2026-01-17 09:45' })).status).toBe('applied');
      const moved = await c.draft(draft.id);
      expect([moved.scheduledFor, moved.notBefore, moved.queueReason]).toEqual([at(17, 9, 45), at(17, 9, 45), 'scheduled']);
      for (const bad of ['2026-01-14 10:00', 'soonish', '']) {
        const refused = await c.scheduling.reschedule({ ...card(draft), text: bad });
        expect(refused.status, bad).toBe('invalid_time');
        expect((refused as { reason: string }).reason.length).toBeGreaterThan(0);
      }
      expect((await c.draft(draft.id)).scheduledFor).toBe(at(17, 9, 45));
      expect((await c.events(draft.id)).filter((e) => e.action === 'reschedule').map((e) => e.outcome)).toEqual([
        'rescheduled',
        'rescheduled',
        'invalid_time',
        'invalid_time',
        'invalid_time',
      ]);
    });

    it('GIVEN two scheduled drafts WHEN one is moved to a free slot from /queue THEN it moves and its card is re-rendered; a taken time is refused', async () => {
      const c = await calendar();
      const a = await c.approve(await c.pendingDraft(text(1)));
      const b = await c.approve(await c.pendingDraft(text(2)));
      const free = await c.scheduling.freeSlots(3);
      expect(free).toEqual([at(15, 18, 30), at(16, 13), at(16, 13, 30)]);
      const rendered = c.cards.updated.length;
      const result = await c.scheduling.moveTo({ draftId: a.id, actor: MOD, at: free[1] as number, expectedScheduledFor: at(15, 13) });
      expect(result.status).toBe('applied');
      expect((await c.draft(a.id)).scheduledFor).toBe(at(16, 13));
      expect(c.cards.updated.length).toBeGreaterThan(rendered);
      expect(c.cards.updated.at(-1)?.draft.scheduledFor).toBe(at(16, 13));
      const taken = await c.scheduling.moveTo({ draftId: a.id, actor: MOD, at: b.scheduledFor as number });
      expect(taken.status).toBe('invalid_time');
      expect((await c.draft(a.id)).scheduledFor).toBe(at(16, 13));
    });

    it('GIVEN two scheduled drafts WHEN the first is swapped with the next THEN they exchange slots and both cards follow', async () => {
      const c = await calendar();
      const a = await c.approve(await c.pendingDraft(text(1)));
      const b = await c.approve(await c.pendingDraft(text(2)));
      const result = await c.scheduling.swapWithNext({ draftId: a.id, actor: MOD });
      expect(result.status).toBe('applied');
      expect([(await c.draft(a.id)).scheduledFor, (await c.draft(b.id)).scheduledFor]).toEqual([at(15, 13, 30), at(15, 13)]);
      const last = new Map(c.cards.updated.map((v) => [v.draft.id, v.draft.scheduledFor]));
      expect([last.get(a.id), last.get(b.id)]).toEqual([at(15, 13, 30), at(15, 13)]);
      expect((await c.events(b.id)).map((e) => e.action)).toContain('swap');
      // The last one has nothing after it; the first can swap back.
      expect((await c.scheduling.swapWithNext({ draftId: a.id, actor: MOD })).status).toBe('invalid_time');
      expect((await c.scheduling.swapWithNext({ draftId: b.id, actor: MOD })).status).toBe('applied');
      expect([(await c.draft(a.id)).scheduledFor, (await c.draft(b.id)).scheduledFor]).toEqual([at(15, 13), at(15, 13, 30)]);
    });

    it('GIVEN a scheduled draft WHEN it is unscheduled THEN it is pending again with a fresh deadline, the same revision and no publication, and can be approved again', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      c.h.clock.advance(10 * MINUTE);
      const result = await c.scheduling.unschedule(card(draft));
      expect(result.status).toBe('applied');
      const after = await c.draft(draft.id);
      expect([after.status, after.revision, after.deadlineAt, after.scheduledFor, after.decidedBy]).toEqual([
        'pending',
        1,
        T0 + 10 * MINUTE + TIMEOUT_MS,
        null,
        null,
      ]);
      expect(await c.scheduling.upcoming({ offset: 0, limit: 10 })).toEqual({ items: [], total: 0 });
      expect(c.signals.deadline).toBe(1);
      expect((await c.events(draft.id)).map((e) => [e.action, e.outcome]).at(-1)).toEqual(['unschedule', 'pending']);
      // Its card is rendered by the caller (a click); then a moderator can approve it again.
      await c.moderation.cardRendered((result as { card: DraftCardView }).card);
      const again = await c.approve(after);
      expect([again.status, again.scheduledFor]).toEqual(['approved', at(15, 13)]);
    });

    it('GIVEN a request that saw an older slot, one from another card, and one for a published draft THEN they are refused as moved, wrong_card and not_scheduled, changing nothing', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      const moved = await c.scheduling.moveTo({ draftId: draft.id, actor: MOD, at: at(16, 13), expectedScheduledFor: at(15, 18, 30) });
      expect(moved.status).toBe('moved');
      expect((await c.scheduling.unschedule({ ...card(draft), messageId: '9999999999999999999' })).status).toBe('wrong_card');
      expect((await c.scheduling.unschedule({ draftId: 424242, actor: MOD })).status).toBe('not_found');
      expect((await c.draft(draft.id)).scheduledFor).toBe(at(15, 13));
      c.h.clock.set(at(15, 13));
      await c.scheduling.settleMissedSlots();
      await c.publishing.processDueDrafts();
      expect((await c.draft(draft.id)).status).toBe('published');
      for (const request of [
        c.scheduling.reschedule({ ...card(draft), text: 'next' }),
        c.scheduling.unschedule(card(draft)),
        c.scheduling.swapWithNext(card(draft)),
      ]) {
        expect((await request).status).toBe('not_scheduled');
      }
    });

    it('GIVEN an instance that lost the instance lease WHEN it moves, swaps, unschedules or publishes now THEN the fence refuses every write', async () => {
      let term: InstanceTerm | null = { owner: 'me', epoch: 1 } as InstanceTerm;
      const c = await calendar({ fence: { current: () => term } });
      await c.h.db.dataSource.query(`UPDATE instance_lease SET owner = 'me', epoch = 1 WHERE id = 1`);
      const a = await c.approve(await c.pendingDraft(text(1)));
      await c.approve(await c.pendingDraft(text(2)));
      term = null;
      expect((await c.scheduling.reschedule({ ...card(a), text: 'next' })).status).not.toBe('applied');
      expect((await c.scheduling.swapWithNext(card(a))).status).not.toBe('applied');
      expect((await c.scheduling.unschedule(card(a))).status).not.toBe('applied');
      expect((await c.scheduling.publishNow(card(a))).status).not.toBe('applied');
      const after = await c.draft(a.id);
      expect([after.status, after.scheduledFor]).toEqual(['approved', at(15, 13)]);
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    });
  });

  describe('the queue', () => {
    it('GIVEN five scheduled drafts WHEN /queue pages through upcoming THEN they come soonest first, with the total, page by page', async () => {
      const c = await calendar({ slots: ['13:00', '14:00', '15:00', '16:00', '17:00'] });
      const ids: number[] = [];
      for (let n = 1; n <= 5; n += 1) ids.push((await c.approve(await c.pendingDraft(text(n)))).id);
      const first = await c.scheduling.upcoming({ offset: 0, limit: 2 });
      expect([first.total, first.items.map((d) => d.id)]).toEqual([5, ids.slice(0, 2)]);
      const rest = await c.scheduling.upcoming({ offset: 2, limit: 10 });
      expect(rest.items.map((d) => [d.id, d.scheduledFor])).toEqual([
        [ids[2], at(15, 15)],
        [ids[3], at(15, 16)],
        [ids[4], at(15, 17)],
      ]);
      // Swapping reorders the queue by time.
      await c.scheduling.swapWithNext({ draftId: ids[0]!, actor: MOD });
      expect((await c.scheduling.upcoming({ offset: 0, limit: 2 })).items.map((d) => d.id)).toEqual([ids[1], ids[0]]);
    });

    it("GIVEN X answers 429 at the slot WHEN the draft is requeued THEN it waits for X's reset and keeps its slot; at the reset (45 min after the slot) it is posted, not moved", async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      c.h.clock.set(at(15, 13));
      // Later than SLOT_GRACE after the slot: the wait is X's, not a missed slot.
      const resetAt = at(15, 13, 45);
      c.h.fake.rateLimit429({ resetAt: resetAt / 1000 });
      expect(await c.scheduling.settleMissedSlots()).toEqual({ publishedNow: draft.id, moved: [] });
      await c.publishing.processDueDrafts();
      const waiting = await c.draft(draft.id);
      expect([waiting.status, waiting.scheduledFor, waiting.notBefore]).toEqual(['approved', at(15, 13), resetAt]);
      c.h.clock.set(resetAt);
      expect(await c.scheduling.settleMissedSlots()).toEqual({ publishedNow: draft.id, moved: [] });
      await c.publishing.processDueDrafts();
      expect((await c.draft(draft.id)).status).toBe('published');
      expect(c.h.postsOf(text(1)).length).toBeGreaterThanOrEqual(1);
    });
  });

  describe('slots that passed', () => {
    it('GIVEN a slot missed by less than SLOT_GRACE WHEN the missed slots are settled THEN it is left due and the queue posts it', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      c.h.clock.set(at(15, 13, 20));
      expect(await c.scheduling.settleMissedSlots()).toEqual({ publishedNow: draft.id, moved: [] });
      await c.publishing.processDueDrafts();
      expect(c.h.postsOf(text(1))).toHaveLength(1);
    });

    it('GIVEN a slot missed by more than SLOT_GRACE WHEN settled THEN the draft moves to the next free slot with a note, its card says so, and nothing is posted', async () => {
      const c = await calendar();
      const draft = await c.approve(await c.pendingDraft(text(1)));
      c.h.clock.set(at(15, 13, 45));
      expect(await c.scheduling.settleMissedSlots()).toEqual({ publishedNow: null, moved: [draft.id] });
      const after = await c.draft(draft.id);
      expect(after.scheduledFor).toBe(at(15, 18, 30));
      expect(after.scheduleNote).toBe('The Thu 15 Jan 13:00 (UTC) slot passed while the bot was down or paused; moved to Thu 15 Jan 18:30 (UTC).');
      expect(c.cards.updated.at(-1)?.draft.scheduleNote).toBe(after.scheduleNote);
      expect((await c.events(draft.id)).map((e) => e.action)).toContain('slot_missed');
      await c.publishing.processDueDrafts();
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(0);
    });

    it('GIVEN three missed slots WHEN settled THEN one is posted now and the other two move, in order (no burst)', async () => {
      const c = await calendar();
      const drafts = [];
      for (let n = 1; n <= 3; n += 1) drafts.push(await c.approve(await c.pendingDraft(text(n))));
      c.h.clock.set(at(15, 18, 40));
      const settled = await c.scheduling.settleMissedSlots();
      expect(settled).toEqual({ publishedNow: drafts[2]!.id, moved: [drafts[0]!.id, drafts[1]!.id] });
      expect([(await c.draft(drafts[0]!.id)).scheduledFor, (await c.draft(drafts[1]!.id)).scheduledFor]).toEqual([at(16, 13), at(16, 13, 30)]);
      await c.publishing.processDueDrafts();
      expect(c.h.fake.requestsTo('POST', '/2/tweets')).toHaveLength(1);
      expect(c.h.postsOf(text(3))).toHaveLength(1);
    });

    it('GIVEN a Publish now that used the hourly cap WHEN the next slot comes THEN that draft moves to the next free slot with a note instead of waiting for the cap', async () => {
      const c = await calendar({ caps: { maxPerHour: 1, maxPerDay: 100 } });
      const a = await c.approve(await c.pendingDraft(text(1)));
      const b = await c.approve(await c.pendingDraft(text(2)));
      expect([a.scheduledFor, b.scheduledFor]).toEqual([at(15, 13), at(15, 18, 30)]);
      c.h.clock.set(at(15, 12, 30));
      expect((await c.scheduling.publishNow(card(b))).status).toBe('applied');
      c.h.clock.set(at(15, 13));
      expect(await c.scheduling.settleMissedSlots()).toEqual({ publishedNow: null, moved: [a.id] });
      const after = await c.draft(a.id);
      // 13:30 is an hour after the 12:30 post: the next free slot the cap allows.
      expect(after.scheduledFor).toBe(at(15, 13, 30));
      expect(after.scheduleNote).toBe('The caps (1 an hour, 100 a day) did not allow the Thu 15 Jan 13:00 (UTC) slot; moved to Thu 15 Jan 13:30 (UTC).');
      await c.publishing.processDueDrafts();
      expect(c.h.postsOf(text(1))).toHaveLength(0);
    });
  });
});
