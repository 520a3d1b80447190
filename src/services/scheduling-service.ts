import type { Actor, Draft } from '../domain/draft.js';
import { DAY_MS, type PostingCaps } from '../domain/rate-limits.js';
import type { DailyWindow } from '../domain/schedule.js';
import { shortLocalTime } from '../domain/time-zone.js';
import {
  capsAllowAt,
  freeSlots,
  nextFreeSlot,
  parseRescheduleInput,
  planMissedSlots,
  SLOT_HORIZON_MS,
  type SlotRule,
  type SlotSearch,
} from '../domain/slots.js';
import type { Logger } from '../logging/index.js';
import {
  SlotTakenError,
  type ApprovalPlacement,
  type ApprovedDraftPublisher,
  type Clock,
  type DraftCardView,
  type DraftRepository,
  type ModerationEventRepository,
  type PlannedPublication,
  type PostRepository,
  type PublicationCalendarRepository,
} from './ports.js';
import type { CalendarDecision, ScheduleRequest, ScheduleResult, SchedulingOperations } from './scheduling-contract.js';

/** The actor of the calendar's own moves (a missed slot, the caps at the slot), for audit rows. */
export const CALENDAR_ACTOR: Actor = { id: 'calendar', name: 'the publishing calendar' };

/** The audit `action` names of the calendar. */
export type ScheduleAction = 'schedule' | 'publish_now' | 'reschedule' | 'unschedule' | 'swap' | 'slot_missed';

/** How often a write that lost its slot to another one (the unique slot index) looks for the next free slot again. */
const SLOT_RACE_ATTEMPTS = 5;

export interface SchedulingConfig {
  readonly slots: readonly SlotRule[];
  readonly timeZone: string;
  readonly activeHours: DailyWindow | null;
  readonly caps: PostingCaps;
  /** SLOT_GRACE: a slot missed by less than this is still published (one at a time). */
  readonly slotGraceMs: number;
  /** MODERATION_TIMEOUT: an unscheduled draft's fresh deadline. */
  readonly moderationTimeoutMs: number;
}

/** The card of a draft: its view as it is now, and a re-render when the request did not come from the card itself. */
export interface ScheduleCards {
  viewOf(draftId: number): Promise<DraftCardView>;
  refreshCard(draftId: number): Promise<boolean>;
}

export interface SchedulingServiceDeps {
  readonly drafts: DraftRepository;
  readonly publicationCalendar: PublicationCalendarRepository;
  readonly posts: PostRepository;
  readonly moderationEvents: ModerationEventRepository;
  /** Publish now goes through the publisher's claim: a click racing the slot publishes once. */
  readonly publisher: ApprovedDraftPublisher;
  readonly cards: ScheduleCards;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: SchedulingConfig;
  /** Why publishing is held right now (/pause), or null: Publish now is refused while it is. */
  readonly publishingHeld?: (() => Promise<string | null>) | undefined;
  /** Told after every change of the queue, so the publish timer re-arms. */
  readonly onQueueChanged?: (() => void) | undefined;
  /** Told when a draft got a new moderation deadline (Unschedule), so the deadline timer re-arms. */
  readonly onDeadlineChanged?: (() => void) | undefined;
}

/** A Draft that is approved and still waiting in the queue: the only kind the calendar moves. */
const isQueued = (draft: Draft): boolean => draft.status === 'approved';

/**
 * One account's publishing calendar (issue 13): approved drafts go out in the account's slots.
 * Every move is one conditional, fenced write that names the schedule the caller saw (the
 * publication must still be `queued`: a draft being published cannot move), and the unique slot
 * index settles races between approvals. Every change is audited, re-renders the draft's card
 * (unless the caller renders it: a click on the card) and tells the publish timer.
 */
export class SchedulingService implements SchedulingOperations {
  constructor(private readonly deps: SchedulingServiceDeps) {}

  hasSlots(): boolean {
    return this.deps.config.slots.length > 0;
  }

  async decideIntoSlot(draftId: number, actor: Actor, decide: (placement: ApprovalPlacement) => Promise<boolean>): Promise<CalendarDecision> {
    for (let attempt = 1; ; attempt += 1) {
      const now = this.deps.clock.now();
      const slot = nextFreeSlot(await this.search(now));
      const placement: ApprovalPlacement =
        slot === null
          ? { scheduledFor: null, notBefore: now + SLOT_HORIZON_MS, queueReason: this.noFreeSlotReason() }
          : { scheduledFor: slot, notBefore: slot, queueReason: 'scheduled' };
      let won: boolean;
      try {
        won = await decide(placement);
      } catch (error) {
        // Another approval committed this slot first; nothing of ours was written. Look again.
        if (error instanceof SlotTakenError && attempt < SLOT_RACE_ATTEMPTS) continue;
        throw error;
      }
      if (!won) return { won: false };
      await this.audit(draftId, actor, 'schedule', slot === null ? 'no_free_slot' : 'scheduled', slot === null ? placement.queueReason : this.describe(slot));
      this.deps.onQueueChanged?.();
      return slot === null ? { won: true, scheduledFor: null, reason: this.noFreeSlotReason() } : { won: true, scheduledFor: slot, reason: null };
    }
  }

  async scheduleApproved(draftId: number): Promise<{ readonly scheduledFor: number } | { readonly scheduledFor: null; readonly reason: string }> {
    const draft = await this.deps.drafts.findById(draftId);
    if (!draft || !isQueued(draft)) return { scheduledFor: null, reason: `draft ${draftId} is not approved and queued` };
    if (draft.scheduledFor != null) return { scheduledFor: draft.scheduledFor };
    const moved = await this.moveToFreeSlot(draft, this.deps.clock.now(), null);
    if (moved === 'lost') return { scheduledFor: null, reason: 'the draft moved on meanwhile' };
    if (moved === null) return { scheduledFor: null, reason: this.noFreeSlotReason() };
    await this.audit(draftId, draft.decidedBy ?? CALENDAR_ACTOR, 'schedule', 'scheduled', this.describe(moved));
    this.deps.onQueueChanged?.();
    return { scheduledFor: moved };
  }

  async publishNow(request: ScheduleRequest): Promise<ScheduleResult> {
    const checked = await this.queuedDraft(request, 'publish_now');
    if ('status' in checked) return checked;
    const held = (await this.deps.publishingHeld?.()) ?? null;
    if (held !== null) return this.refused(request, 'publish_now', { status: 'publishing_paused', reason: held });
    const { draft } = checked;
    if (!(await this.deps.publicationCalendar.dropSchedule(draft.id, draft.scheduledFor ?? null, this.deps.clock.now()))) {
      return this.refused(request, 'publish_now', await this.whyLost(request));
    }
    await this.audit(
      draft.id,
      request.actor,
      'publish_now',
      'publishing',
      draft.scheduledFor != null ? `was scheduled for ${this.describe(draft.scheduledFor)}` : null,
      request,
    );
    this.deps.onQueueChanged?.();
    try {
      // The publisher's claim decides: a slot's run that got there first publishes it, once.
      await this.deps.publisher.publishApprovedDraft(draft.id);
    } catch (error) {
      // The decision stands: the draft is due now and the publish queue takes it.
      this.deps.logger.error('publishing a draft on Publish now failed', { draftId: draft.id, error });
    }
    return this.applied(request, draft.id);
  }

  async reschedule(request: ScheduleRequest & { readonly text: string }): Promise<ScheduleResult> {
    const checked = await this.queuedDraft(request, 'reschedule');
    if ('status' in checked) return checked;
    const { draft } = checked;
    const { timeZone, activeHours } = this.deps.config;
    const now = this.deps.clock.now();
    const input = parseRescheduleInput(request.text, { timeZone, now, activeHours });
    if (input.kind === 'invalid') return this.refused(request, 'reschedule', { status: 'invalid_time', reason: input.reason });
    if (input.kind === 'next') {
      // The next free slot after the one it has: "later, please".
      const moved = await this.moveToFreeSlot(draft, Math.max(now, draft.scheduledFor ?? now), null);
      if (moved === 'lost') return this.refused(request, 'reschedule', await this.whyLost(request));
      if (moved === null) return this.refused(request, 'reschedule', { status: 'no_free_slot' });
      await this.audit(draft.id, request.actor, 'reschedule', 'rescheduled', `${this.from(draft)}to ${this.describe(moved)} (next)`, request);
      this.deps.onQueueChanged?.();
      return this.applied(request, draft.id);
    }
    return this.moveToTime(request, draft, input.at, 'reschedule');
  }

  async moveTo(request: ScheduleRequest & { readonly at: number }): Promise<ScheduleResult> {
    const checked = await this.queuedDraft(request, 'reschedule');
    if ('status' in checked) return checked;
    if (request.at <= this.deps.clock.now()) return this.refused(request, 'reschedule', { status: 'invalid_time', reason: 'that time has passed' });
    return this.moveToTime(request, checked.draft, request.at, 'reschedule');
  }

  async swapWithNext(request: ScheduleRequest): Promise<ScheduleResult> {
    const checked = await this.queuedDraft(request, 'swap');
    if ('status' in checked) return checked;
    const { draft } = checked;
    if (draft.scheduledFor == null) return this.refused(request, 'swap', { status: 'not_scheduled', draft });
    const mine = draft.scheduledFor;
    const next = (await this.deps.publicationCalendar.findPlanned())
      .filter((p): p is PlannedPublication & { scheduledFor: number } => p.status === 'queued' && p.scheduledFor !== null && p.scheduledFor > mine)
      .sort((a, b) => a.scheduledFor - b.scheduledFor)[0];
    if (!next) return this.refused(request, 'swap', { status: 'invalid_time', reason: 'no post is scheduled after this one' });
    const swapped = await this.deps.publicationCalendar.swapSlots(
      { id: draft.id, scheduledFor: mine },
      { id: next.id, scheduledFor: next.scheduledFor },
      this.deps.clock.now(),
    );
    if (!swapped) return this.refused(request, 'swap', await this.whyLost(request));
    await this.audit(
      draft.id,
      request.actor,
      'swap',
      'swapped',
      `${this.describe(mine)} -> ${this.describe(next.scheduledFor)}, with draft #${next.id}`,
      request,
    );
    await this.audit(
      next.id,
      request.actor,
      'swap',
      'swapped',
      `${this.describe(next.scheduledFor)} -> ${this.describe(mine)}, with draft #${draft.id}`,
      request,
    );
    this.deps.onQueueChanged?.();
    // The other draft's card was not clicked: it is re-rendered here, whoever asked.
    await this.deps.cards.refreshCard(next.id);
    return this.applied(request, draft.id);
  }

  async unschedule(request: ScheduleRequest): Promise<ScheduleResult> {
    const checked = await this.queuedDraft(request, 'unschedule');
    if ('status' in checked) return checked;
    const { draft } = checked;
    const now = this.deps.clock.now();
    const deadlineAt = now + this.deps.config.moderationTimeoutMs;
    if (!(await this.deps.publicationCalendar.unschedule(draft.id, draft.scheduledFor ?? null, deadlineAt, now))) {
      return this.refused(request, 'unschedule', await this.whyLost(request));
    }
    await this.audit(
      draft.id,
      request.actor,
      'unschedule',
      'pending',
      draft.scheduledFor != null ? `was scheduled for ${this.describe(draft.scheduledFor)}` : null,
      request,
    );
    this.deps.onQueueChanged?.();
    this.deps.onDeadlineChanged?.();
    return this.applied(request, draft.id);
  }

  async upcoming(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly items: Draft[]; readonly total: number }> {
    return this.deps.publicationCalendar.findUpcoming(page.offset, page.limit);
  }

  async freeSlots(count: number): Promise<number[]> {
    return freeSlots(await this.search(this.deps.clock.now()), count);
  }

  async settleMissedSlots(): Promise<{ readonly publishedNow: number | null; readonly moved: readonly number[] }> {
    const now = this.deps.clock.now();
    const planned = await this.deps.publicationCalendar.findPlanned();
    // Scheduled and due: waiting for their slot (or for X's reset or a backoff since, which is when they are due now).
    const overdue = planned
      .filter((p) => p.status === 'queued' && p.scheduledFor !== null && p.notBefore !== null && p.notBefore <= now)
      .map((p) => ({ id: p.id, scheduledFor: p.notBefore as number }))
      .sort((a, b) => a.scheduledFor - b.scheduledFor || a.id - b.id);
    if (overdue.length === 0) return { publishedNow: null, moved: [] };
    const plan = planMissedSlots({ overdue, now, graceMs: this.deps.config.slotGraceMs });
    let publishNow = plan.publishNow;
    const moves: { id: number; why: 'missed' | 'caps' }[] = plan.move.map((id) => ({ id, why: 'missed' as const }));
    if (publishNow !== null) {
      // Our caps at the slot (a Publish now may have used them): the next free slot, not some later cap time.
      const others = await this.plannedTimes(now, publishNow);
      if (!capsAllowAt(now, others, this.deps.config.caps)) {
        moves.push({ id: publishNow, why: 'caps' });
        publishNow = null;
      }
    }
    const order = new Map(overdue.map((o, index) => [o.id, index]));
    moves.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    const moved: number[] = [];
    for (const { id, why } of moves) {
      const draft = await this.deps.drafts.findById(id);
      if (!draft || !isQueued(draft) || draft.scheduledFor == null) continue;
      const missed = draft.scheduledFor;
      const to = await this.moveToFreeSlot(draft, now, (slot) =>
        why === 'caps'
          ? `The caps (${this.capsText()}) did not allow the ${this.describe(missed)} slot; moved to ${this.describe(slot)}.`
          : `The ${this.describe(missed)} slot passed while the bot was down or paused; moved to ${this.describe(slot)}.`,
      );
      if (to === 'lost') continue;
      if (to === null) {
        this.deps.logger.warn('a missed slot found no free slot to move to; the draft waits', { draftId: id, missed: new Date(missed).toISOString() });
        continue;
      }
      moved.push(id);
      await this.audit(
        id,
        CALENDAR_ACTOR,
        'slot_missed',
        'moved',
        `${why === 'caps' ? 'caps at the slot' : 'missed'}: ${this.describe(missed)} -> ${this.describe(to)}`,
      );
      this.deps.logger.info('a scheduled draft moved to the next free slot', {
        draftId: id,
        why,
        missed: new Date(missed).toISOString(),
        to: new Date(to).toISOString(),
      });
      await this.deps.cards.refreshCard(id);
    }
    if (moved.length > 0) this.deps.onQueueChanged?.();
    return { publishedNow: publishNow, moved };
  }

  /** The slot search from `after`, planning around every other publication (not `excluding`, the one being placed). */
  private async search(after: number, excluding: number | null = null): Promise<SlotSearch> {
    const now = this.deps.clock.now();
    const others = (await this.deps.publicationCalendar.findPlanned()).filter((p) => p.id !== excluding);
    const { slots, timeZone, activeHours, caps } = this.deps.config;
    return {
      rules: slots,
      timeZone,
      activeHours,
      caps,
      after,
      // A publishing row keeps its slot until it is published or back in the queue.
      taken: others.flatMap((p) => (p.scheduledFor === null ? [] : [p.scheduledFor])),
      planned: await this.plannedTimes(now, excluding, others),
    };
  }

  /** The caps' input: publications of the last 24 h, and every queued publication's time ahead. */
  private async plannedTimes(now: number, excluding: number | null, known?: readonly PlannedPublication[]): Promise<number[]> {
    const others = (known ?? (await this.deps.publicationCalendar.findPlanned())).filter((p) => p.id !== excluding);
    const past = await this.deps.posts.publicationTimesSince(now - DAY_MS);
    return [...past, ...others.flatMap((p) => (p.status === 'queued' && p.notBefore !== null && p.notBefore > now ? [p.notBefore] : []))];
  }

  /**
   * Moves an approved, queued draft to the earliest free slot after `after`, retrying when
   * another write takes the slot first. The new slot, null when none is free, 'lost' when the
   * draft moved on (published, moved, unscheduled) meanwhile.
   */
  private async moveToFreeSlot(draft: Draft, after: number, note: ((slot: number) => string) | null): Promise<number | 'lost' | null> {
    for (let attempt = 1; ; attempt += 1) {
      const slot = nextFreeSlot(await this.search(after, draft.id));
      if (slot === null) return null;
      try {
        const moved = await this.deps.publicationCalendar.schedule(
          draft.id,
          draft.scheduledFor ?? null,
          { scheduledFor: slot, note: note?.(slot) ?? null },
          this.deps.clock.now(),
        );
        return moved ? slot : 'lost';
      } catch (error) {
        if (error instanceof SlotTakenError && attempt < SLOT_RACE_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** A moderator's chosen time (Reschedule's date and time, /queue's "move to"): free, and allowed by the caps. */
  private async moveToTime(request: ScheduleRequest, draft: Draft, at: number, action: ScheduleAction): Promise<ScheduleResult> {
    const search = await this.search(this.deps.clock.now(), draft.id);
    if (search.taken.includes(at))
      return this.refused(request, action, { status: 'invalid_time', reason: `another post is scheduled for ${this.describe(at)}` });
    if (!capsAllowAt(at, search.planned, this.deps.config.caps)) {
      return this.refused(request, action, {
        status: 'invalid_time',
        reason: `the caps (${this.capsText()}) do not allow another post at ${this.describe(at)}`,
      });
    }
    let moved: boolean;
    try {
      moved = await this.deps.publicationCalendar.schedule(draft.id, draft.scheduledFor ?? null, { scheduledFor: at, note: null }, this.deps.clock.now());
    } catch (error) {
      if (error instanceof SlotTakenError)
        return this.refused(request, action, { status: 'invalid_time', reason: `another post was just scheduled for ${this.describe(at)}` });
      throw error;
    }
    if (!moved) return this.refused(request, action, await this.whyLost(request));
    await this.audit(draft.id, request.actor, action, 'rescheduled', `${this.from(draft)}to ${this.describe(at)}`, request);
    this.deps.onQueueChanged?.();
    return this.applied(request, draft.id);
  }

  /**
   * The draft a request may act on: it exists, the request came from its card (when from a
   * card), it is approved and still queued, and (from /queue) still where the caller saw it.
   */
  private async queuedDraft(request: ScheduleRequest, action: ScheduleAction): Promise<{ draft: Draft } | ScheduleResult> {
    const draft = await this.deps.drafts.findById(request.draftId);
    const refusal = this.refusalFor(draft, request);
    if (refusal) return this.refused(request, action, refusal, draft !== null);
    return { draft: draft as Draft };
  }

  private refusalFor(draft: Draft | null, request: ScheduleRequest): Exclude<ScheduleResult, { status: 'applied' }> | null {
    if (!draft) return { status: 'not_found' };
    if (request.messageId !== undefined && (draft.moderationMessageId === null || draft.moderationMessageId !== request.messageId)) {
      return { status: 'wrong_card', messageId: request.messageId, cardMessageId: draft.moderationMessageId };
    }
    if (!isQueued(draft)) return { status: 'not_scheduled', draft };
    if (request.expectedScheduledFor !== undefined && (draft.scheduledFor ?? null) !== request.expectedScheduledFor) return { status: 'moved', draft };
    return null;
  }

  /** After losing a conditional write: why, as the draft is now. */
  private async whyLost(request: ScheduleRequest): Promise<Exclude<ScheduleResult, { status: 'applied' }>> {
    const current = await this.deps.drafts.findById(request.draftId);
    const refusal = this.refusalFor(current, request);
    if (refusal) return refusal;
    // Still queued but no longer as we saw it: someone moved it (or the fence refused our write).
    return { status: 'moved', draft: current as Draft };
  }

  /** The applied result with the card as it is now; a request from /queue also re-renders the card (a click's caller renders it). */
  private async applied(request: ScheduleRequest, draftId: number): Promise<ScheduleResult> {
    if (request.messageId === undefined) await this.deps.cards.refreshCard(draftId);
    return { status: 'applied', card: await this.deps.cards.viewOf(draftId) };
  }

  private async refused<T extends Exclude<ScheduleResult, { status: 'applied' }>>(
    request: ScheduleRequest,
    action: ScheduleAction,
    result: T,
    draftExists?: boolean,
  ): Promise<T> {
    const exists = draftExists ?? result.status !== 'not_found';
    await this.deps.moderationEvents.record(
      {
        draftId: exists ? request.draftId : null,
        revision: null,
        actor: request.actor,
        action,
        outcome: result.status,
        detail: [exists ? null : `requested draft #${request.draftId}, which does not exist`, refusalText(result)].filter(Boolean).join('; ') || null,
        interactionId: request.interactionId ?? null,
      },
      this.deps.clock.now(),
    );
    return result;
  }

  private async audit(draftId: number, actor: Actor, action: ScheduleAction, outcome: string, detail: string | null, request?: ScheduleRequest): Promise<void> {
    const draft = await this.deps.drafts.findById(draftId);
    await this.deps.moderationEvents.record(
      { draftId, revision: draft?.revision ?? null, actor, action, outcome, detail, interactionId: request?.interactionId ?? null },
      this.deps.clock.now(),
    );
  }

  private from(draft: Draft): string {
    return draft.scheduledFor != null ? `from ${this.describe(draft.scheduledFor)} ` : '';
  }

  private noFreeSlotReason(): string {
    return `no free slot in the next ${Math.round(SLOT_HORIZON_MS / DAY_MS)} days: use Reschedule or Publish now`;
  }

  private capsText(): string {
    const { maxPerHour, maxPerDay } = this.deps.config.caps;
    return `${maxPerHour} an hour, ${maxPerDay} a day`;
  }

  /** A time in the account's zone, as notes and audit rows say it: "Thu 3 Dec 09:00 (Europe/Berlin)". */
  private describe(at: number): string {
    return describeLocalTime(at, this.deps.config.timeZone);
  }
}

/** A time in `timeZone`, for schedule notes and audit rows: "Thu 3 Dec 09:00 (Europe/Berlin)". */
export function describeLocalTime(at: number, timeZone: string): string {
  return `${shortLocalTime(at, timeZone)} (${timeZone})`;
}

/** The audit detail of a refused schedule request. */
function refusalText(result: Exclude<ScheduleResult, { status: 'applied' }>): string | null {
  switch (result.status) {
    case 'invalid_time':
    case 'publishing_paused':
      return result.reason;
    case 'not_scheduled':
    case 'moved':
      return `the draft is ${result.draft.status}${result.draft.scheduledFor != null ? `, scheduled for ${new Date(result.draft.scheduledFor).toISOString()}` : ''}`;
    case 'wrong_card':
      return `came from message ${result.messageId ?? '(none)'}; the draft's card is ${result.cardMessageId ?? '(not posted)'}`;
    default:
      return null;
  }
}
