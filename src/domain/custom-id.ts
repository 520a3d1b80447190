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

export const CARD_ACTIONS = ['approve', 'regenerate', 'edit', 'reject', 'retry'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

export const MODAL_ACTIONS = ['regenerate-modal', 'edit-modal', 'reject-modal'] as const;
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
