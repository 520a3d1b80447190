/**
 * The one owner of the custom_id format carried by draft-card buttons and modals.
 *
 * Format: `dg1:<action>:<draftId>:<revision>`. The `dg1` prefix namespaces and versions it: a
 * future format gets `dg2`, and old cards still decode (or are refused) explicitly. Handlers
 * keep no state, so everything a click needs to find its draft is in here.
 */
export const CUSTOM_ID_VERSION = 'dg1';

/** Discord's hard limit on custom_id length. */
export const MAX_CUSTOM_ID_LENGTH = 100;

/**
 * Buttons on a card. `publish-now`, `reschedule` and `unschedule` are on a scheduled card (the
 * publishing calendar); `add-image` on a pending one (issue 14); their revision is the draft's,
 * like every other action's.
 */
export const CARD_ACTIONS = ['approve', 'regenerate', 'edit', 'reject', 'retry', 'publish-now', 'reschedule', 'unschedule', 'add-image'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

export const MODAL_ACTIONS = ['regenerate-modal', 'edit-modal', 'reject-modal', 'reschedule-modal', 'add-image-modal'] as const;
export type ModalAction = (typeof MODAL_ACTIONS)[number];

export type DraftAction = CardAction | ModalAction;

export interface DraftCustomId {
  readonly action: DraftAction;
  readonly draftId: number;
  readonly revision: number;
}

// Every id encode accepts must decode: 16 digits covers Number.MAX_SAFE_INTEGER, 9 the largest revision.
const PATTERN = /^dg1:([a-z-]+):(\d{1,16}):(\d{1,9})$/;
/** The largest revision a custom_id carries. */
export const MAX_REVISION = 999_999_999;
const ACTIONS: readonly string[] = [...CARD_ACTIONS, ...MODAL_ACTIONS];

/** Encodes a draft action; throws if the result would break Discord's 100-character limit. */
export function encodeDraftCustomId(value: DraftCustomId): string {
  if (!Number.isSafeInteger(value.draftId) || value.draftId <= 0) throw new RangeError(`invalid draft id ${value.draftId}`);
  if (!Number.isSafeInteger(value.revision) || value.revision <= 0 || value.revision > MAX_REVISION) {
    throw new RangeError(`invalid revision ${value.revision}`);
  }
  const id = `${CUSTOM_ID_VERSION}:${value.action}:${value.draftId}:${value.revision}`;
  if (id.length > MAX_CUSTOM_ID_LENGTH) throw new RangeError(`custom_id longer than ${MAX_CUSTOM_ID_LENGTH}: ${id}`);
  return id;
}

/** Decodes a custom_id, or returns null when it is not ours (another bot's, or another version). */
export function decodeDraftCustomId(customId: string): DraftCustomId | null {
  const match = PATTERN.exec(customId);
  if (!match) return null;
  const [, action, draftId, revision] = match as unknown as [string, string, string, string];
  if (!ACTIONS.includes(action)) return null;
  const id = Number(draftId);
  const rev = Number(revision);
  if (!Number.isSafeInteger(id) || id <= 0 || rev <= 0) return null;
  return { action: action as DraftAction, draftId: id, revision: rev };
}

/**
 * /queue's components: `dgq1:<action>:<account>:<page>[:<draftId>:<slot>]`. Their own prefix, so
 * the card router never mistakes them for card buttons and the command router hands them to
 * /queue. Stateless like the card's: the page, the draft and the slot the moderator saw ride in
 * the id, so a click after a restart still works and a click on a draft that moved meanwhile is
 * refused (`slot` is `expectedScheduledFor`, `-` for a draft waiting for a cap rather than a slot).
 */
export const QUEUE_CUSTOM_ID_VERSION = 'dgq1';

/**
 * `page`: Prev/Next (and Back to the list); `pick`: the select menu choosing a draft (its value
 * carries the draft and slot); `now`: Publish now; `move`: the select of free slots (its value is
 * the slot); `swap`: Swap with next; `unschedule`.
 */
export const QUEUE_ACTIONS = ['page', 'pick', 'now', 'move', 'swap', 'unschedule'] as const;
export type QueueAction = (typeof QUEUE_ACTIONS)[number];

/** The largest page number a queue custom_id carries. */
export const MAX_QUEUE_PAGE = 9_999;

export interface QueueCustomId {
  readonly action: QueueAction;
  readonly accountId: string;
  /** 0-based. */
  readonly page: number;
  /** The draft acted on; absent for `page` and `pick`. */
  readonly target?: QueueTarget | undefined;
}

/** A draft in the queue as the moderator saw it: its id and the slot it was scheduled for (null: no slot). */
export interface QueueTarget {
  readonly draftId: number;
  readonly scheduledFor: number | null;
}

const QUEUE_PATTERN = /^dgq1:([a-z-]+):([a-z0-9-]{1,32}):(\d{1,4})(?::(\d{1,16}):(\d{1,16}|-))?$/;
const TARGET_PATTERN = /^(\d{1,16}):(\d{1,16}|-)$/;

/** Encodes a /queue component id; throws if it would not round-trip or would break Discord's 100-character limit. */
export function encodeQueueCustomId(value: QueueCustomId): string {
  if (!/^[a-z0-9-]{1,32}$/.test(value.accountId)) throw new RangeError(`invalid account id ${value.accountId}`);
  if (!Number.isSafeInteger(value.page) || value.page < 0 || value.page > MAX_QUEUE_PAGE) throw new RangeError(`invalid page ${value.page}`);
  const needsTarget = value.action !== 'page' && value.action !== 'pick';
  if (needsTarget !== (value.target !== undefined)) throw new RangeError(`the action ${value.action} ${needsTarget ? 'needs' : 'takes no'} draft`);
  const id = `${QUEUE_CUSTOM_ID_VERSION}:${value.action}:${value.accountId}:${value.page}${value.target ? `:${encodeQueueTarget(value.target)}` : ''}`;
  if (id.length > MAX_CUSTOM_ID_LENGTH) throw new RangeError(`custom_id longer than ${MAX_CUSTOM_ID_LENGTH}: ${id}`);
  return id;
}

/** Decodes a /queue component id, or null when it is not one (a card's, another bot's, another version). */
export function decodeQueueCustomId(customId: string): QueueCustomId | null {
  const match = QUEUE_PATTERN.exec(customId);
  if (!match) return null;
  const [, action, accountId, page, draftId, slot] = match as unknown as [string, string, string, string, string | undefined, string | undefined];
  if (!(QUEUE_ACTIONS as readonly string[]).includes(action)) return null;
  const needsTarget = action !== 'page' && action !== 'pick';
  if (needsTarget !== (draftId !== undefined)) return null;
  const target = draftId !== undefined && slot !== undefined ? decodeQueueTarget(`${draftId}:${slot}`) : undefined;
  if (needsTarget && !target) return null;
  return { action: action as QueueAction, accountId, page: Number(page), ...(target ? { target } : {}) };
}

/** A draft and its slot as a select option value (`<draftId>:<slot or ->`). */
export function encodeQueueTarget(target: QueueTarget): string {
  if (!Number.isSafeInteger(target.draftId) || target.draftId <= 0) throw new RangeError(`invalid draft id ${target.draftId}`);
  if (target.scheduledFor !== null && (!Number.isSafeInteger(target.scheduledFor) || target.scheduledFor < 0)) {
    throw new RangeError(`invalid slot ${target.scheduledFor}`);
  }
  return `${target.draftId}:${target.scheduledFor === null ? '-' : target.scheduledFor}`;
}

export function decodeQueueTarget(value: string): QueueTarget | null {
  const match = TARGET_PATTERN.exec(value);
  if (!match) return null;
  const draftId = Number(match[1]);
  const scheduledFor = match[2] === '-' ? null : Number(match[2]);
  if (!Number.isSafeInteger(draftId) || draftId <= 0 || (scheduledFor !== null && !Number.isSafeInteger(scheduledFor))) return null;
  return { draftId, scheduledFor };
}
