import type { DraftDecisionKind } from '../domain/learning.js';
import type { DraftDecision } from '../services/ports.js';
import { execute, queryRows, toNumber, type SqlTarget } from './sql.js';

/**
 * Learning from moderators (issue 15 §1): the writes that record the signals, each called INSIDE
 * the repository transaction of the event it records (a decision, a new revision, a
 * publication), after that event's conditional update won. So a signal commits exactly when its
 * event does: a crash can neither lose one nor leave one for an event that did not happen, and a
 * lost or stale write records nothing. The reads are in repositories/learning-signal.repository.ts.
 */

interface DecidedDraft {
  readonly topicId: number | null;
  readonly topicName: string;
  readonly contentType: string;
  readonly tweets: string;
  readonly riskFlags: string;
}

async function decidedDraft(target: SqlTarget, accountId: string, draftId: number): Promise<DecidedDraft | null> {
  const [row] = await queryRows<Record<string, unknown>>(
    target,
    `SELECT topic_id AS "topicId", topic_name AS "topicName", content_type AS "contentType", tweets, risk_flags AS "riskFlags"
       FROM drafts WHERE id = :draftId AND account_id = :accountId`,
    { draftId, accountId },
  );
  if (!row) return null;
  return {
    topicId: row['topicId'] === null || row['topicId'] === undefined ? null : toNumber(row['topicId']),
    topicName: String(row['topicName']),
    contentType: String(row['contentType']),
    tweets: String(row['tweets']),
    riskFlags: String(row['riskFlags'] ?? '[]'),
  };
}

/**
 * Whether the draft's current text was written by a moderator's Edit: its latest revision-changing
 * feedback is an edit (a Regenerate after an edit makes it Claude's text again).
 */
async function lastRevisionWasEdit(target: SqlTarget, accountId: string, draftId: number): Promise<boolean> {
  const [row] = await queryRows<{ kind: unknown }>(
    target,
    `SELECT kind FROM feedback_signals WHERE draft_id = :draftId AND account_id = :accountId AND kind IN ('edit', 'regenerate') ORDER BY id DESC LIMIT 1`,
    { draftId, accountId },
  );
  return row?.kind === 'edit';
}

/** What a decision means to learning. */
async function decisionKind(target: SqlTarget, accountId: string, draftId: number, decision: DraftDecision): Promise<DraftDecisionKind> {
  if (decision.to === 'rejected') return 'rejected';
  if (decision.to === 'expired') return 'expired';
  if (decision.source === 'timeout') return 'published_by_timeout';
  return (await lastRevisionWasEdit(target, accountId, draftId)) ? 'approved_after_edit' : 'approved';
}

const hasText = (text: string | null | undefined): text is string => typeof text === 'string' && text.trim() !== '';

/**
 * A decision won (DraftRepository.decide): the draft's signal, replacing an earlier decision of
 * the same draft (Unschedule, then decided again), and a reject reason as feedback. A pin stays:
 * it is the moderators' choice about the draft, not about one decision.
 */
export async function recordDecision(
  target: SqlTarget,
  accountId: string,
  draftId: number,
  revision: number,
  decision: DraftDecision,
  now: number,
): Promise<void> {
  const draft = await decidedDraft(target, accountId, draftId);
  if (!draft) return;
  const kind = await decisionKind(target, accountId, draftId, decision);
  const rejectReason = kind === 'rejected' && hasText(decision.reason) ? decision.reason : null;
  const hadRiskFlags = draft.riskFlags.trim() !== '' && draft.riskFlags.trim() !== '[]' ? 1 : 0;
  await execute(
    target,
    `INSERT INTO draft_signals (draft_id, account_id, topic_id, topic_name, content_type, decision, decided_at, reject_reason, had_risk_flags, tweets,
                                published_at, dry_run, engagement_24h, engagement_7d, created_at, updated_at)
     VALUES (:draftId, :accountId, :topicId, :topicName, :contentType, :kind, :now, :rejectReason, :hadRiskFlags, :tweets, NULL, 0, NULL, NULL, :now, :now)
     ON CONFLICT (draft_id) DO UPDATE SET topic_id = excluded.topic_id, topic_name = excluded.topic_name, content_type = excluded.content_type,
       decision = excluded.decision, decided_at = excluded.decided_at, reject_reason = excluded.reject_reason, had_risk_flags = excluded.had_risk_flags,
       tweets = excluded.tweets, published_at = NULL, dry_run = 0, engagement_24h = NULL, engagement_7d = NULL, updated_at = excluded.updated_at`,
    {
      draftId,
      accountId,
      topicId: draft.topicId,
      topicName: draft.topicName,
      contentType: draft.contentType,
      kind,
      now,
      rejectReason,
      hadRiskFlags,
      tweets: draft.tweets,
    },
  );
  if (rejectReason !== null) {
    await insertFeedback(target, {
      accountId,
      draftId,
      kind: 'reject',
      text: rejectReason,
      before: null,
      after: null,
      revision,
      actorId: decision.actor.id,
      topicName: draft.topicName,
      contentType: draft.contentType,
      now,
    });
  }
}

/** The tweets of a draft as stored (JSON text), read before a new revision replaces them. */
export async function currentTweets(target: SqlTarget, accountId: string, draftId: number): Promise<string[] | null> {
  const [row] = await queryRows<{ tweets: unknown }>(target, `SELECT tweets FROM drafts WHERE id = :draftId AND account_id = :accountId`, {
    draftId,
    accountId,
  });
  return row ? (JSON.parse(String(row.tweets)) as string[]) : null;
}

/**
 * A new revision was written (DraftRepository.replaceContent won). A moderator's Edit that
 * changed the words is recorded with the tweets before and after; one that changed only the
 * images (same words) is no edit of the text and records nothing. A Regenerate is recorded with
 * its feedback, also when there was none (null: the reads of text skip it, but it still tells
 * that the text became Claude's again).
 */
export async function recordRevision(
  target: SqlTarget,
  accountId: string,
  draftId: number,
  revision: number,
  change: {
    readonly before: readonly string[];
    readonly after: readonly string[];
    readonly editedBy?: { readonly id: string } | undefined;
    readonly feedback?: string | null | undefined;
  },
  now: number,
): Promise<void> {
  const draft = await decidedDraft(target, accountId, draftId);
  if (!draft) return;
  const common = { accountId, draftId, revision, topicName: draft.topicName, contentType: draft.contentType, now };
  if (change.editedBy) {
    if (JSON.stringify(change.before) === JSON.stringify(change.after)) return;
    await insertFeedback(target, { ...common, kind: 'edit', text: null, before: change.before, after: change.after, actorId: change.editedBy.id });
  } else if (change.feedback !== undefined) {
    await insertFeedback(target, {
      ...common,
      kind: 'regenerate',
      text: hasText(change.feedback) ? change.feedback : null,
      before: null,
      after: null,
      actorId: null,
    });
  }
}

/** The draft's publication was published (PublicationRepository.markPublished won). */
export async function recordPublished(target: SqlTarget, accountId: string, draftId: number, dryRun: boolean, now: number): Promise<void> {
  await execute(
    target,
    `UPDATE draft_signals SET published_at = :now, dry_run = :dryRun, updated_at = :now WHERE draft_id = :draftId AND account_id = :accountId`,
    { now, dryRun: dryRun ? 1 : 0, draftId, accountId },
  );
}

async function insertFeedback(
  target: SqlTarget,
  row: {
    readonly accountId: string;
    readonly draftId: number;
    readonly kind: 'regenerate' | 'reject' | 'edit';
    readonly text: string | null;
    readonly before: readonly string[] | null;
    readonly after: readonly string[] | null;
    readonly revision: number;
    readonly actorId: string | null;
    readonly topicName: string;
    readonly contentType: string;
    readonly now: number;
  },
): Promise<void> {
  await execute(
    target,
    `INSERT INTO feedback_signals (account_id, draft_id, kind, text, before_tweets, after_tweets, revision, actor_id, topic_name, content_type, created_at)
     VALUES (:accountId, :draftId, :kind, :text, :before, :after, :revision, :actorId, :topicName, :contentType, :now)`,
    {
      accountId: row.accountId,
      draftId: row.draftId,
      kind: row.kind,
      text: row.text,
      before: row.before === null ? null : JSON.stringify(row.before),
      after: row.after === null ? null : JSON.stringify(row.after),
      revision: row.revision,
      actorId: row.actorId,
      topicName: row.topicName,
      contentType: row.contentType,
      now: row.now,
    },
  );
}
