import type { DataSource } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { ContentType } from '../../domain/content-types.js';
import {
  DRAFT_DECISIONS,
  FEEDBACK_KINDS,
  type DraftDecisionKind,
  type DraftSignal,
  type EditPair,
  type ExamplePin,
  type FeedbackKind,
  type FeedbackSignal,
} from '../../domain/learning.js';
import { HOUR_MS, DAY_MS } from '../../domain/rate-limits.js';
import type { LearningSignalRepository } from '../../services/ports.js';
import { execute, queryRows, toNumber, toNumberOrNull } from '../sql.js';

type Row = Record<string, unknown>;

const SIGNAL_COLUMNS = `s.draft_id AS "draftId", s.topic_id AS "topicId", s.topic_name AS "topicName", s.content_type AS "contentType",
  s.decision, s.decided_at AS "decidedAt", s.reject_reason AS "rejectReason", s.had_risk_flags AS "hadRiskFlags", s.tweets,
  s.published_at AS "publishedAt", s.dry_run AS "dryRun", s.engagement_24h AS "engagement24h", s.engagement_7d AS "engagement7d", s.pin`;

const FEEDBACK_COLUMNS = `f.id, f.draft_id AS "draftId", f.kind, f.text, f.before_tweets AS "beforeTweets", f.after_tweets AS "afterTweets",
  f.topic_name AS "topicName", f.content_type AS "contentType", f.created_at AS "createdAt"`;

const tweetsOf = (value: unknown): string[] => (typeof value === 'string' && value !== '' ? (JSON.parse(value) as string[]) : []);
const nullableTweets = (value: unknown): string[] | null => (typeof value === 'string' && value !== '' ? (JSON.parse(value) as string[]) : null);

/** Read back as stored: a content type retired since still groups its own history. */
const contentTypeOf = (value: unknown): ContentType => String(value) as ContentType;

function toSignal(row: Row): DraftSignal {
  const decision = String(row['decision']);
  if (!(DRAFT_DECISIONS as readonly string[]).includes(decision)) throw new Error(`draft signal ${String(row['draftId'])} has unknown decision ${decision}`);
  const pin = row['pin'];
  return {
    draftId: toNumber(row['draftId']),
    topicId: toNumberOrNull(row['topicId']),
    topicName: String(row['topicName']),
    contentType: contentTypeOf(row['contentType']),
    decision: decision as DraftDecisionKind,
    decidedAt: toNumber(row['decidedAt']),
    rejectReason: row['rejectReason'] === null || row['rejectReason'] === undefined ? null : String(row['rejectReason']),
    hadRiskFlags: toNumber(row['hadRiskFlags']) !== 0,
    tweets: tweetsOf(row['tweets']),
    publishedAt: toNumberOrNull(row['publishedAt']),
    dryRun: toNumber(row['dryRun']) !== 0,
    engagement24h: toNumberOrNull(row['engagement24h']),
    engagement7d: toNumberOrNull(row['engagement7d']),
    pin: pin === 'in' || pin === 'out' ? pin : null,
  };
}

function toFeedback(row: Row): FeedbackSignal {
  const kind = String(row['kind']);
  if (!(FEEDBACK_KINDS as readonly string[]).includes(kind)) throw new Error(`feedback signal ${String(row['id'])} has unknown kind ${kind}`);
  return {
    id: toNumber(row['id']),
    draftId: toNumber(row['draftId']),
    kind: kind as FeedbackKind,
    text: row['text'] === null || row['text'] === undefined ? null : String(row['text']),
    before: nullableTweets(row['beforeTweets']),
    after: nullableTweets(row['afterTweets']),
    topicName: String(row['topicName']),
    contentType: contentTypeOf(row['contentType']),
    createdAt: toNumber(row['createdAt']),
  };
}

/** The signals are written by the draft and publication repositories (src/db/learning-signals.ts); this reads them, per account. */
export class TypeOrmLearningSignalRepository implements LearningSignalRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
  ) {}

  async decisions(options: { readonly since: number | null; readonly limit: number }): Promise<DraftSignal[]> {
    const since = options.since === null ? '' : ' AND s.decided_at >= :since';
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${SIGNAL_COLUMNS} FROM draft_signals s WHERE s.account_id = :accountId${since} ORDER BY s.decided_at DESC, s.draft_id DESC LIMIT :limit`,
      { accountId: this.accountId, limit: Math.max(0, Math.trunc(options.limit)), ...(options.since === null ? {} : { since: options.since }) },
    );
    return rows.map(toSignal);
  }

  async findByDraft(draftId: number): Promise<DraftSignal | null> {
    const [row] = await queryRows<Row>(
      this.dataSource,
      `SELECT ${SIGNAL_COLUMNS} FROM draft_signals s WHERE s.draft_id = :draftId AND s.account_id = :accountId`,
      {
        draftId,
        accountId: this.accountId,
      },
    );
    return row ? toSignal(row) : null;
  }

  async exampleCandidates(limit: number): Promise<DraftSignal[]> {
    // A risk-flagged draft is never an example, pinned or not: the pin overrides the choice, not the rules.
    const pinnedIn = await queryRows<Row>(
      this.dataSource,
      `SELECT ${SIGNAL_COLUMNS} FROM draft_signals s WHERE s.account_id = :accountId AND s.pin = 'in' AND s.had_risk_flags = 0
        ORDER BY s.pinned_at DESC, s.draft_id DESC`,
      { accountId: this.accountId },
    );
    const published = await queryRows<Row>(
      this.dataSource,
      `SELECT ${SIGNAL_COLUMNS} FROM draft_signals s
        WHERE s.account_id = :accountId AND s.published_at IS NOT NULL AND s.had_risk_flags = 0 AND (s.pin IS NULL OR s.pin <> 'out')
        ORDER BY s.published_at DESC, s.draft_id DESC LIMIT :limit`,
      { accountId: this.accountId, limit: Math.max(0, Math.trunc(limit)) },
    );
    const seen = new Set<number>();
    const out: DraftSignal[] = [];
    for (const signal of [...pinnedIn, ...published].map(toSignal)) {
      if (seen.has(signal.draftId)) continue;
      seen.add(signal.draftId);
      out.push(signal);
    }
    return out;
  }

  async editPairs(limit: number): Promise<EditPair[]> {
    // Each draft approved as edited and then published: what Claude wrote -> what went out. The
    // edit that changed Claude's text is the first one since its last Regenerate (an edit before
    // a Regenerate changed a text Claude then replaced, so its before is not what went out edited).
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT s.draft_id AS "draftId", s.topic_name AS "topicName", s.tweets, f.before_tweets AS "beforeTweets", f.created_at AS "editedAt"
         FROM draft_signals s
         JOIN feedback_signals f ON f.id = (SELECT MIN(e.id) FROM feedback_signals e
                                             WHERE e.draft_id = s.draft_id AND e.account_id = s.account_id AND e.kind = 'edit'
                                               AND e.id > COALESCE((SELECT MAX(g.id) FROM feedback_signals g
                                                                     WHERE g.draft_id = s.draft_id AND g.account_id = s.account_id AND g.kind = 'regenerate'), 0))
        WHERE s.account_id = :accountId AND s.decision = 'approved_after_edit' AND s.published_at IS NOT NULL AND s.had_risk_flags = 0
        ORDER BY s.published_at DESC, s.draft_id DESC LIMIT :limit`,
      { accountId: this.accountId, limit: Math.max(0, Math.trunc(limit)) },
    );
    return rows.map((row) => ({
      draftId: toNumber(row['draftId']),
      topicName: String(row['topicName']),
      before: tweetsOf(row['beforeTweets']),
      after: tweetsOf(row['tweets']),
      editedAt: toNumber(row['editedAt']),
    }));
  }

  async feedbackAfter(afterId: number, limit: number): Promise<FeedbackSignal[]> {
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${FEEDBACK_COLUMNS} FROM feedback_signals f
        WHERE f.account_id = :accountId AND f.id > :afterId AND f.kind IN ('reject', 'regenerate') AND f.text IS NOT NULL AND TRIM(f.text) <> ''
        ORDER BY f.id ASC LIMIT :limit`,
      { accountId: this.accountId, afterId: Math.trunc(afterId), limit: Math.max(0, Math.trunc(limit)) },
    );
    return rows.map(toFeedback);
  }

  async setPin(draftId: number, pin: ExamplePin | null, now: number): Promise<boolean> {
    const { affected } = await execute(
      this.dataSource,
      `UPDATE draft_signals SET pin = :pin, pinned_at = :pinnedAt, updated_at = :now WHERE draft_id = :draftId AND account_id = :accountId`,
      { pin, pinnedAt: pin === null ? null : now, now, draftId, accountId: this.accountId },
    );
    return affected === 1;
  }

  async pinned(): Promise<DraftSignal[]> {
    const rows = await queryRows<Row>(
      this.dataSource,
      `SELECT ${SIGNAL_COLUMNS} FROM draft_signals s WHERE s.account_id = :accountId AND s.pin IS NOT NULL ORDER BY s.pinned_at DESC, s.draft_id DESC`,
      { accountId: this.accountId },
    );
    return rows.map(toSignal);
  }

  async snapshotEngagement(now: number): Promise<number> {
    // The draft's posted tweets (a thread: all of them), as the last refresh measured them.
    const engagement = `(SELECT COALESCE(SUM(p.likes + p.retweets + p.replies + p.quotes), 0) FROM posts p
        WHERE p.draft_id = draft_signals.draft_id AND p.account_id = draft_signals.account_id AND p.status = 'posted')`;
    // Not while one of them was never measured (X's limit stopped every refresh so far): its
    // zeros are no figure, and a 0 taken once would rank the draft last for good.
    const measured = `NOT EXISTS (SELECT 1 FROM posts u WHERE u.draft_id = draft_signals.draft_id AND u.account_id = draft_signals.account_id
        AND u.status = 'posted' AND u.metrics_updated_at IS NULL)`;
    let taken = 0;
    for (const [column, after] of [
      ['engagement_24h', 24 * HOUR_MS],
      ['engagement_7d', 7 * DAY_MS],
    ] as const) {
      const { affected } = await execute(
        this.dataSource,
        `UPDATE draft_signals SET ${column} = ${engagement}, updated_at = :now
          WHERE account_id = :accountId AND published_at IS NOT NULL AND dry_run = 0 AND ${column} IS NULL AND published_at <= :due AND ${measured}`,
        { now, accountId: this.accountId, due: now - after },
      );
      taken += affected;
    }
    return taken;
  }
}
