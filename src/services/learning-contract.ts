import type { Actor } from '../domain/draft.js';
import type { AvoidNote, DraftSignal, EditPair } from '../domain/learning.js';

/**
 * Learning from moderators (issue 15), as the prompt and the /voice command see it. One set per
 * account, built in app.ts.
 */

/**
 * What the account has learned for the prompt: its best published drafts as examples, its
 * moderators' edits as before -> after pairs, and its avoid notes, rendered as the second cached
 * system block. Rebuilt at most once a day (the account's local day), so prompt caching keeps
 * working; a moderator's /voice change makes the next draft rebuild it.
 */
export interface LearnedVoice {
  /** The second system block's text; empty when nothing is learned yet or learning is off (then no second block is sent). */
  readonly text: string;
  /** When `text` was built (epoch ms); null when it never was. */
  readonly builtAt: number | null;
  /** The drafts shown as examples, best first. */
  readonly examples: readonly DraftSignal[];
  /** The edits shown as before -> after pairs. */
  readonly editPairs: readonly EditPair[];
  /** The avoid notes in the block. */
  readonly avoidNotes: readonly AvoidNote[];
}

/** Where the pipeline gets the block from (src/services/learned-voice.ts). */
export interface LearnedVoiceSource {
  /** The block in force at `now`: the stored one, or a new one when it was built on an earlier day or invalidated. */
  current(now: number): Promise<LearnedVoice>;
  /** A moderator changed the notes or the pins: the next `current` rebuilds the block. */
  invalidate(now: number): Promise<void>;
}

/** Who asked, for the audit log. */
export interface VoiceRequest {
  readonly actor: Actor;
  readonly interactionId?: string | null | undefined;
}

/** What /voice show displays for one account. */
export interface VoiceView {
  /** The account's voice paragraph (accounts.yaml `voice`), or the built-in one. */
  readonly voice: string;
  readonly voiceIsBuiltIn: boolean;
  readonly learningEnabled: boolean;
  readonly learned: LearnedVoice;
  /**
   * The stored avoid notes, the ones /voice forget acts on. With learning on they are the
   * block's; with learning off the block is empty but notes condensed before are kept (and
   * used again once it is back on), so show lists them.
   */
  readonly notes: readonly AvoidNote[];
  /** Drafts a moderator pinned in or out. */
  readonly pinned: readonly DraftSignal[];
  /** When the avoid notes were last condensed; null: never. */
  readonly notesCondensedAt: number | null;
}

export type VoiceChangeOutcome =
  | { readonly status: 'applied'; readonly detail: string }
  /** Nothing to change (e.g. the note is already gone, the draft already pinned so); the reply says why. */
  | { readonly status: 'unchanged'; readonly detail: string }
  /** The request cannot apply (not found, not published, has risk flags, another account's); the reply says why. */
  | { readonly status: 'refused'; readonly detail: string };

/** The /voice command's operations (src/services/voice-service.ts). Each change is audited. */
export interface VoiceOperations {
  show(): Promise<VoiceView>;
  /** The avoid notes in force, for /voice forget's autocomplete. */
  notes(): Promise<readonly AvoidNote[]>;
  forgetNote(noteId: string, request: VoiceRequest): Promise<VoiceChangeOutcome>;
  /** Forces a published draft into the examples. */
  pin(draftId: number, request: VoiceRequest): Promise<VoiceChangeOutcome>;
  /** Forces a draft out of the examples. */
  unpin(draftId: number, request: VoiceRequest): Promise<VoiceChangeOutcome>;
}
