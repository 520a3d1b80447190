import type { ContentType } from './content-types.js';

/**
 * Learning from moderators (issue 15): what each draft's moderators and audience said, kept as
 * structured rows per account so that everything learned (topic choice, examples in the prompt,
 * avoid notes, /stats by topic) can be recomputed from them.
 */

/**
 * How a draft's moderation ended. One per draft, the latest decision (an Unschedule that sends an
 * approved draft back and a second decision replace the first, so no draft counts twice):
 * - `approved`: a moderator approved the text Claude wrote (or regenerated);
 * - `approved_after_edit`: the approved revision was written by a moderator's Edit;
 * - `rejected`: a moderator rejected it (with a reason, when given);
 * - `expired`: the deadline passed and TIMEOUT_ACTION expired it (nobody decided);
 * - `published_by_timeout`: the deadline passed and TIMEOUT_ACTION published it (nobody decided).
 */
export const DRAFT_DECISIONS = ['approved', 'approved_after_edit', 'rejected', 'expired', 'published_by_timeout'] as const;
export type DraftDecisionKind = (typeof DRAFT_DECISIONS)[number];

/** Decisions a moderator made: only these say anything about approval. The deadline's say nothing. */
export function isModeratorDecision(decision: DraftDecisionKind): boolean {
  return decision === 'approved' || decision === 'approved_after_edit' || decision === 'rejected';
}

/** Whether the decision approved the draft (by a moderator or the deadline). */
export function isApproval(decision: DraftDecisionKind): boolean {
  return decision === 'approved' || decision === 'approved_after_edit' || decision === 'published_by_timeout';
}

/** A moderator's override of the automatic choice of examples: always in, or never. */
export type ExamplePin = 'in' | 'out';

/** One decided draft, as learning sees it. */
export interface DraftSignal {
  readonly draftId: number;
  readonly topicId: number | null;
  readonly topicName: string;
  readonly contentType: ContentType;
  readonly decision: DraftDecisionKind;
  readonly decidedAt: number;
  /** The moderator's reason, for `rejected`; null otherwise or when none was given. */
  readonly rejectReason: string | null;
  /** Whether the decided revision carried any risk flag (such drafts are never examples). */
  readonly hadRiskFlags: boolean;
  /** The decided revision's tweets: what was approved (and later published) or rejected. */
  readonly tweets: readonly string[];
  /** When it was published (null: not, or not yet). */
  readonly publishedAt: number | null;
  /** Published in dry run: never on X, so never any engagement. */
  readonly dryRun: boolean;
  /** Likes + retweets + replies + quotes over all its tweets, as measured 24 h after publishing; null until then. */
  readonly engagement24h: number | null;
  /** The same, 7 days after publishing; null until then. */
  readonly engagement7d: number | null;
  /** A moderator's /voice pin (in) or unpin (out); null: chosen automatically. */
  readonly pin: ExamplePin | null;
}

/** The engagement figure learning ranks by: the 7-day one once taken, else the 24-hour one. */
export function engagementOf(signal: Pick<DraftSignal, 'engagement24h' | 'engagement7d'>): number | null {
  return signal.engagement7d ?? signal.engagement24h;
}

/** What a moderator wrote while a draft was pending: the text feedback learning condenses, and the edits it shows. */
export const FEEDBACK_KINDS = ['regenerate', 'reject', 'edit'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

/** One piece of moderator feedback, in the order written (ids grow). */
export interface FeedbackSignal {
  readonly id: number;
  readonly draftId: number;
  readonly kind: FeedbackKind;
  /** Regenerate's feedback or the reject reason; null for an edit, or when none was given. */
  readonly text: string | null;
  /** For an edit: the tweets before and after it; null otherwise. */
  readonly before: readonly string[] | null;
  readonly after: readonly string[] | null;
  readonly topicName: string;
  readonly contentType: ContentType;
  readonly createdAt: number;
}

/** A moderator's edit of a draft that was then published: shown to Claude as before -> after. */
export interface EditPair {
  readonly draftId: number;
  readonly topicName: string;
  /** The text before the moderator's (first) edit: what Claude wrote. */
  readonly before: readonly string[];
  /** The text that was published. */
  readonly after: readonly string[];
  readonly editedAt: number;
}

/** One "avoid" note condensed from reject reasons and Regenerate feedback. */
export interface AvoidNote {
  /** Stable and short (for /voice forget's autocomplete): never reused within an account. */
  readonly id: string;
  readonly text: string;
  readonly createdAt: number;
}

/** At most this many avoid notes per account. */
export const MAX_AVOID_NOTES = 8;
/** An avoid note longer than this is cut: they are short by design. */
export const MAX_AVOID_NOTE_CHARS = 160;
