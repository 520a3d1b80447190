import type { Actor, Draft } from '../domain/draft.js';
import type { ModerationRefusal } from './moderation-service.js';
import type { ApprovalPlacement, DraftCardView } from './ports.js';

/**
 * A moderator's request about a scheduled draft: from its card (Publish now, Reschedule,
 * Unschedule) or from /queue.
 */
export interface ScheduleRequest {
  readonly draftId: number;
  readonly actor: Actor;
  readonly interactionId?: string | undefined;
  /**
   * From a card: the card message, which must be the draft's (as ModerationRequest.messageId).
   * From /queue: undefined (no card is involved).
   */
  readonly messageId?: string | null | undefined;
  /** The slot the caller saw (/queue's custom_id): refused as `moved` when the draft moved meanwhile. */
  readonly expectedScheduledFor?: number | null | undefined;
}

/** What a schedule request came to. `applied` carries the draft as it is now, to render. */
export type ScheduleResult =
  | { readonly status: 'applied'; readonly card: DraftCardView }
  /** Not approved and queued any more: published, publishing, unscheduled, ... */
  | { readonly status: 'not_scheduled'; readonly draft: Draft }
  /** `expectedScheduledFor` no longer matches: someone moved it meanwhile. */
  | { readonly status: 'moved'; readonly draft: Draft }
  /** The Reschedule text was refused: unparsable, in the past, outside the active hours. */
  | { readonly status: 'invalid_time'; readonly reason: string }
  /** No free slot within the planning horizon. */
  | { readonly status: 'no_free_slot' }
  /** Publish now while /pause holds the account's publishing. */
  | { readonly status: 'publishing_paused'; readonly reason: string }
  | ModerationRefusal;

/** Where an approved draft goes, for an account with slots: moderation asks it instead of publishing at once. */
export interface ApprovedDraftCalendar {
  /** Whether the account has slots: without them an approved draft is published at once, as before. */
  hasSlots(): boolean;
  /** Puts an approved draft into the earliest free slot the caps allow; null when none is free within the horizon. */
  scheduleApproved(draftId: number): Promise<{ readonly scheduledFor: number } | { readonly scheduledFor: null; readonly reason: string }>;
  /**
   * The approval and its slot in one commit: the calendar finds the free slot (a read), then
   * `decide` runs the approval's conditional update with that placement (its transaction creates
   * the scheduled publication); a slot another approval took meanwhile is looked up again. So a
   * crash can never leave an approved draft that the publish queue would send at once. Optional
   * for fakes: without it, moderation decides, then calls `scheduleApproved`.
   */
  decideIntoSlot?(draftId: number, actor: Actor, decide: (placement: ApprovalPlacement) => Promise<boolean>): Promise<CalendarDecision>;
}

/** What `decideIntoSlot` came to: the decision lost (someone else decided), or won with its slot (null: none was free). */
export type CalendarDecision =
  | { readonly won: false }
  | { readonly won: true; readonly scheduledFor: number; readonly reason: null }
  | { readonly won: true; readonly scheduledFor: null; readonly reason: string };

/** What the card buttons and /queue call; SchedulingService provides it. */
export interface SchedulingOperations extends ApprovedDraftCalendar {
  publishNow(request: ScheduleRequest): Promise<ScheduleResult>;
  /** The Reschedule modal: `next`, or a local date and time in the account's zone. */
  reschedule(request: ScheduleRequest & { readonly text: string }): Promise<ScheduleResult>;
  /** /queue "move to": one of `freeSlots`. */
  moveTo(request: ScheduleRequest & { readonly at: number }): Promise<ScheduleResult>;
  swapWithNext(request: ScheduleRequest): Promise<ScheduleResult>;
  /** Back to pending, with a fresh moderation deadline. */
  unschedule(request: ScheduleRequest): Promise<ScheduleResult>;
  /** Approved drafts waiting to go out (scheduled, or queued by a cap, X or a backoff), soonest first. */
  upcoming(page: { readonly offset: number; readonly limit: number }): Promise<{ readonly items: Draft[]; readonly total: number }>;
  /** The next `count` free slots the caps allow. */
  freeSlots(count: number): Promise<number[]>;
  /** Scheduled drafts whose slot passed unpublished: at most one goes now (within SLOT_GRACE), the others move to the next free slots. */
  settleMissedSlots(): Promise<{ readonly publishedNow: number | null; readonly moved: readonly number[] }>;
}
