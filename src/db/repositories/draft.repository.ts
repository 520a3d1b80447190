import { rollupDraftCreated, rollupDraftMoved } from '../stats-rollups.js';
import { currentTweets, recordDecision, recordRevision } from '../learning-signals.js';
import { Brackets, type DataSource, type EntityManager, type Repository, type SelectQueryBuilder } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import { isContentType } from '../../domain/content-types.js';
import { DRAFT_STATUSES, type Actor, type Draft, type DraftStatus, type PublishErrorClass } from '../../domain/draft.js';
import {
  SlotTakenError,
  type CardRendering,
  type CreateWithinCapOutcome,
  type DraftDecision,
  type DraftRepository,
  type InstanceFence,
  type NewDraft,
  type RevisedContent,
  type UnpostedCards,
} from '../../services/ports.js';
import { ContentFingerprintEntity } from '../entities/content-fingerprint.entity.js';
import { CARD_OUT_OF_DATE_WHERE, DraftEntity } from '../entities/draft.entity.js';
import { PublicationEntity } from '../entities/publication.entity.js';
import { queryRows, toNumberOrNull } from '../sql.js';
import { oneWithMedia, replaceMedia, withMedia } from './draft-media.js';
import { withFence, type FenceCondition } from './instance-fence.js';
import { isSlotConflict } from './slot-conflict.js';

/**
 * The combined status services see, over `drafts d LEFT JOIN publications p`: a draft's own
 * status, except that an approved draft whose publication moved on shows the publication's.
 */
export const COMBINED_STATUS_SQL = "CASE WHEN d.status = 'approved' AND p.status IN ('publishing', 'published', 'failed') THEN p.status ELSE d.status END";

/** Statuses that live on the draft row itself. */
const MODERATION_ONLY: readonly DraftStatus[] = ['pending', 'rejected', 'expired'];

/**
 * Drafts of one account with their publication on that account (at most one row each):
 * the query every read of a whole draft starts from.
 */
export function draftsWithPublication(manager: EntityManager, accountId: AccountId): SelectQueryBuilder<DraftEntity> {
  return manager
    .createQueryBuilder(DraftEntity, 'd')
    .leftJoinAndSelect('d.publications', 'p', 'p.account_id = d.account_id')
    .where('d.account_id = :accountId', { accountId });
}

const actorOrNull = (id: string | null, name: string | null): Actor | null => (id ? { id, name: name ?? id } : null);

/**
 * The draft has a card and the card shows its current revision and status: only then can the
 * deadline act on it, because only then did the moderators see what the deadline would decide.
 */
const CARD_SHOWS_DRAFT = 'd.moderation_message_id IS NOT NULL AND d.card_rendered_revision = d.revision AND d.card_rendered_status = d.status';

/** Maps a row (with its publication, when loaded) to the domain shape services see; `media` is filled by withMedia. */
export function toDraft(row: DraftEntity): Draft {
  if (!isContentType(row.contentType)) throw new Error(`draft ${row.id} has unknown content type ${row.contentType}`);
  const publication = row.publications?.find((p) => p.accountId === row.accountId) ?? null;
  const status: DraftStatus =
    row.status === 'approved' && publication && publication.status !== 'queued' ? (publication.status as DraftStatus) : (row.status as DraftStatus);
  return {
    id: row.id,
    accountId: row.accountId,
    topicId: row.topicId,
    topicName: row.topicName,
    contentType: row.contentType,
    kind: row.kind,
    tweets: row.tweets,
    contentHash: row.contentHash,
    revision: row.revision,
    status,
    riskFlags: row.riskFlags as Draft['riskFlags'],
    sanitiserChanges: row.sanitiserChanges,
    moderationChannelId: row.moderationChannelId,
    moderationMessageId: row.moderationMessageId,
    deadlineAt: row.deadlineAt,
    firstApprovedBy: actorOrNull(row.firstApprovedBy, row.firstApprovedByName),
    decidedBy: actorOrNull(row.decidedBy, row.decidedByName),
    decidedAt: row.decidedAt,
    decisionSource: row.decisionSource,
    feedback: row.feedback,
    rejectReason: row.rejectReason,
    editedBy: actorOrNull(row.editedBy, row.editedByName),
    model: row.model,
    usage: {
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      cacheReadTokens: row.cacheReadTokens,
      cacheCreationTokens: row.cacheCreationTokens,
    },
    generationAttempts: row.generationAttempts,
    publishAttemptId: publication?.attemptId ?? null,
    publishAttempts: publication?.attempts ?? 0,
    notBefore: publication?.notBefore ?? null,
    queueReason: publication?.queueReason ?? null,
    postedTweetIds: publication?.postedTweetIds ?? [],
    tweetId: publication?.rootTweetId ?? null,
    publishedAt: publication?.publishedAt ?? null,
    dryRun: publication?.dryRun ?? false,
    errorMessage: publication?.errorMessage ?? null,
    errorClass: (publication?.errorClass ?? null) as PublishErrorClass | null,
    xCostUsd: publication?.costUsd ?? 0,
    recovered: publication?.recovered ?? null,
    scheduledFor: publication?.scheduledFor ?? null,
    scheduleNote: publication?.scheduleNote ?? null,
    // The images come from one batched query over the whole list (withMedia); the uploads live on the publication.
    media: [],
    mediaUploads: publication?.mediaUploads ?? [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * TypeORM implementation of the draft store. Every transition is a single `UPDATE ... WHERE`
 * that names the state it expects; the affected-row count says whether this caller won. With an
 * instance fence, the decisions (decide, replaceContent, recordFirstApproval) and the record of
 * a card's message also require the instance lease to name this instance's term (issue 12).
 */
export class TypeOrmDraftRepository implements DraftRepository {
  private readonly drafts: Repository<DraftEntity>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
    private readonly fence?: InstanceFence | undefined,
    /** The account's TIMEZONE: the /stats rollups count its local days. */
    private readonly timeZone: string = 'UTC',
  ) {
    this.drafts = dataSource.getRepository(DraftEntity);
  }

  /** The row of this account's draft `id` under `condition`, fenced when there is a fence. */
  private fenced(condition: string, parameters: Record<string, unknown>): FenceCondition {
    return withFence(this.dataSource, this.fence, `${condition} AND account_id = :accountId`, { ...parameters, accountId: this.accountId });
  }

  /** Whole drafts of this account, with their publication. */
  private base(): SelectQueryBuilder<DraftEntity> {
    return draftsWithPublication(this.drafts.manager, this.accountId);
  }

  /** The scoped row key: a draft of another account is never touched. */
  private key(id: number) {
    return { id, accountId: this.accountId } as const;
  }

  async create(draft: NewDraft, now: number): Promise<Draft> {
    return this.dataSource.transaction((manager) => this.insert(manager, draft, now));
  }

  async createWithinPendingCap(draft: NewDraft, now: number, maxPending: number): Promise<CreateWithinCapOutcome> {
    // The count and the insert share one transaction, which the write gate begins IMMEDIATE:
    // it holds SQLite's write lock from the count on, so no other writer can add a draft between.
    // On PostgreSQL the transaction is SERIALIZABLE (postgres-transactions.ts): of two that count
    // and insert at once, one is aborted and run again, and then counts the other's draft.
    return this.dataSource.transaction(async (manager) => {
      const [row] = await queryRows<{ pending: unknown }>(
        manager,
        `SELECT COUNT(*) AS pending FROM drafts WHERE status = 'pending' AND account_id = :accountId`,
        {
          accountId: this.accountId,
        },
      );
      const pending = Number(row?.pending ?? 0);
      if (pending >= maxPending) return { status: 'over_cap', pending, maxPending } as const;
      return { status: 'created', draft: await this.insert(manager, draft, now) } as const;
    });
  }

  private async insert(manager: EntityManager, draft: NewDraft, now: number): Promise<Draft> {
    const row = manager.create(DraftEntity, {
      accountId: this.accountId,
      topicId: draft.topicId,
      topicName: draft.topicName,
      contentType: draft.contentType,
      kind: draft.kind,
      tweets: [...draft.tweets],
      contentHash: draft.contentHash,
      revision: 1,
      status: 'pending',
      riskFlags: [...draft.riskFlags],
      sanitiserChanges: [...draft.sanitiserChanges],
      moderationChannelId: null,
      moderationMessageId: null,
      deadlineAt: draft.deadlineAt,
      model: draft.model,
      inputTokens: draft.usage.inputTokens,
      outputTokens: draft.usage.outputTokens,
      cacheReadTokens: draft.usage.cacheReadTokens,
      cacheCreationTokens: draft.usage.cacheCreationTokens,
      generationAttempts: draft.generationAttempts,
      createdAt: now,
      updatedAt: now,
    });
    const saved = await manager.save(DraftEntity, row);
    // TypeORM hands a generated bigint key back as a string (PostgreSQL's id); ids are numbers here.
    const id = Number(saved.id);
    await this.writeFingerprints(manager.getRepository(ContentFingerprintEntity), id, draft.bandKeys);
    await rollupDraftCreated(manager, this.accountId, this.timeZone, { createdAt: now, topicName: draft.topicName, contentType: draft.contentType });
    // Its images commit with it: never a draft whose card shows words about an image it lacks.
    if (draft.media && draft.media.length > 0) await replaceMedia(manager, id, draft.media, now);
    return { ...toDraft({ ...saved, id, publications: [] } as DraftEntity), media: [...(draft.media ?? [])].sort((a, b) => a.position - b.position) };
  }

  async findById(id: number): Promise<Draft | null> {
    const row = await this.base().andWhere('d.id = :id', { id }).getOne();
    return oneWithMedia(this.dataSource, row ? toDraft(row) : null);
  }

  async findByStatuses(statuses: readonly DraftStatus[], options: { limit?: number; newestFirst?: boolean } = {}): Promise<Draft[]> {
    const qb = this.withStatuses(this.base(), statuses).orderBy('d.id', options.newestFirst ? 'DESC' : 'ASC');
    if (options.limit !== undefined) qb.limit(options.limit);
    return withMedia(this.dataSource, (await qb.getMany()).map(toDraft));
  }

  /** Filters on the combined status; statuses of the draft row alone need no look at the publication. */
  private withStatuses(qb: SelectQueryBuilder<DraftEntity>, statuses: readonly DraftStatus[]): SelectQueryBuilder<DraftEntity> {
    if (statuses.length === 0) return qb.andWhere('1 = 0');
    if (statuses.every((s) => MODERATION_ONLY.includes(s))) return qb.andWhere('d.status IN (:...statuses)', { statuses: [...statuses] });
    return qb.andWhere(`(${COMBINED_STATUS_SQL}) IN (:...statuses)`, { statuses: [...statuses] });
  }

  async countByStatus(): Promise<Record<DraftStatus, number>> {
    // Two grouped counts over indexes instead of a join over every draft: the drafts by their own
    // status, the publications by theirs; an approved draft counts under its publication's status.
    const drafts = await queryRows<{ status: string; count: unknown }>(
      this.dataSource,
      `SELECT status, COUNT(*) AS count FROM drafts WHERE account_id = :accountId GROUP BY status`,
      { accountId: this.accountId },
    );
    const publications = await queryRows<{ status: string; count: unknown }>(
      this.dataSource,
      `SELECT p.status AS status, COUNT(*) AS count FROM publications p JOIN drafts d ON d.id = p.draft_id
        WHERE p.account_id = :accountId AND d.account_id = p.account_id AND d.status = 'approved' AND p.status IN ('publishing', 'published', 'failed')
        GROUP BY p.status`,
      { accountId: this.accountId },
    );
    const counts = Object.fromEntries(DRAFT_STATUSES.map((s) => [s, 0])) as Record<DraftStatus, number>;
    for (const row of drafts) if (row.status in counts) counts[row.status as DraftStatus] = Number(row.count);
    for (const row of publications) {
      counts[row.status as DraftStatus] += Number(row.count);
      counts.approved -= Number(row.count);
    }
    return counts;
  }

  async setModerationMessage(
    id: number,
    channelId: string,
    messageId: string,
    now: number,
    card?: { readonly rendered: CardRendering; readonly deadlineAt?: number | null | undefined },
  ): Promise<void> {
    const where = this.fenced('id = :id', { id });
    await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({
        moderationChannelId: channelId,
        moderationMessageId: messageId,
        cardNextAttemptAt: null,
        cardLastError: null,
        ...(card?.deadlineAt !== undefined ? { deadlineAt: card.deadlineAt } : {}),
        // This write moves updated_at; the rendering it records is the one just posted.
        ...(card ? { cardRenderedRevision: card.rendered.revision, cardRenderedStatus: card.rendered.status, cardRenderedVersion: now } : {}),
        ...(card?.rendered.timeoutAction !== undefined ? { cardRenderedTimeoutAction: card.rendered.timeoutAction } : {}),
        updatedAt: now,
      })
      .where(where.sql, where.parameters)
      .execute();
  }

  async findCardsToPost(now: number, createdBefore: number, limit: number): Promise<Draft[]> {
    const rows = await this.base()
      .andWhere('d.status = :status AND d.moderation_message_id IS NULL', { status: 'pending' })
      .andWhere(
        new Brackets((qb) =>
          qb
            .where('d.card_post_attempts = 0 AND d.created_at <= :createdBefore', { createdBefore })
            .orWhere('d.card_post_attempts > 0 AND (d.card_next_attempt_at IS NULL OR d.card_next_attempt_at <= :now)', { now }),
        ),
      )
      .orderBy('d.id', 'ASC')
      .limit(limit)
      .getMany();
    return withMedia(this.dataSource, rows.map(toDraft));
  }

  async recordCardPostFailure(id: number, error: string): Promise<number> {
    await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ cardPostAttempts: () => 'card_post_attempts + 1', cardLastError: error.slice(0, 500) })
      .where('id = :id AND moderation_message_id IS NULL', { id })
      .andWhere('account_id = :accountId', { accountId: this.accountId })
      .execute();
    const row = await this.drafts.findOne({ select: { id: true, cardPostAttempts: true }, where: this.key(id) });
    return row?.cardPostAttempts ?? 0;
  }

  async planCardPost(id: number, nextAttemptAt: number): Promise<void> {
    await this.drafts.update(this.key(id), { cardNextAttemptAt: nextAttemptAt });
  }

  async countUnpostedCards(): Promise<UnpostedCards> {
    const row: { count: unknown; oldest: unknown } | undefined = await this.drafts
      .createQueryBuilder('d')
      .select('COUNT(*)', 'count')
      .addSelect('MIN(d.created_at)', 'oldest')
      .where('d.status = :status AND d.moderation_message_id IS NULL AND d.card_post_attempts > 0', { status: 'pending' })
      .andWhere('d.account_id = :accountId', { accountId: this.accountId })
      .getRawOne();
    const last = await this.drafts
      .createQueryBuilder('d')
      .select('d.card_last_error', 'error')
      .where('d.status = :status AND d.moderation_message_id IS NULL AND d.card_post_attempts > 0', { status: 'pending' })
      .andWhere('d.account_id = :accountId', { accountId: this.accountId })
      .orderBy('d.id', 'DESC')
      .limit(1)
      .getRawOne<{ error: string | null }>();
    return { count: Number(row?.count ?? 0), oldestCreatedAt: toNumberOrNull(row?.oldest), lastError: last?.error ?? null };
  }

  async markCardRendered(id: number, rendered: CardRendering, deadlineAt?: number): Promise<void> {
    if (deadlineAt !== undefined) {
      // First, and only while the draft is still what was rendered: until the rendering below is
      // recorded the sweep skips the draft, so it never sees the new card with the old deadline.
      await this.drafts
        .createQueryBuilder()
        .update(DraftEntity)
        .set({ deadlineAt })
        .where('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: rendered.revision })
        .andWhere('account_id = :accountId', { accountId: this.accountId })
        .execute();
    }
    await this.drafts.update(this.key(id), {
      cardRenderedRevision: rendered.revision,
      cardRenderedStatus: rendered.status,
      cardRenderedVersion: rendered.version,
      ...(rendered.timeoutAction !== undefined ? { cardRenderedTimeoutAction: rendered.timeoutAction } : {}),
    });
  }

  async restartDeadline(id: number, expectedRevision: number, deadlineAt: number): Promise<boolean> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ deadlineAt })
      .where('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision })
      .andWhere('account_id = :accountId', { accountId: this.accountId })
      .execute();
    return result.affected === 1;
  }

  async cardRenderingOf(id: number): Promise<CardRendering | null> {
    const row = await this.drafts.findOne({
      select: { id: true, cardRenderedRevision: true, cardRenderedStatus: true, cardRenderedVersion: true, cardRenderedTimeoutAction: true },
      where: this.key(id),
    });
    if (!row || row.cardRenderedRevision === null || row.cardRenderedStatus === null || row.cardRenderedVersion === null) return null;
    const action = row.cardRenderedTimeoutAction;
    return {
      revision: row.cardRenderedRevision,
      status: row.cardRenderedStatus as DraftStatus,
      version: row.cardRenderedVersion,
      timeoutAction: action === 'publish' || action === 'expire' ? action : null,
    };
  }

  async findCardsOutOfDate(limit: number): Promise<Draft[]> {
    // Ids first, from the partial index alone (its WHERE names drafts' columns unqualified, which
    // a join with publications would make ambiguous), then the whole drafts.
    const ids = (await this.outOfDate().select('d.id', 'id').orderBy('d.id', 'ASC').limit(limit).getRawMany<{ id: unknown }>()).map((r) => Number(r.id));
    if (ids.length === 0) return [];
    const rows = await this.base().andWhere('d.id IN (:...ids)', { ids }).orderBy('d.id', 'ASC').getMany();
    return withMedia(this.dataSource, rows.map(toDraft));
  }

  async countCardsOutOfDate(): Promise<number> {
    return this.outOfDate().getCount();
  }

  private outOfDate() {
    // The partial index's own WHERE text, so SQLite reads the index instead of every draft.
    return this.drafts.createQueryBuilder('d').where(CARD_OUT_OF_DATE_WHERE).andWhere('d.account_id = :accountId', { accountId: this.accountId });
  }

  async replaceContent(id: number, expectedRevision: number, content: RevisedContent, now: number): Promise<Draft | null> {
    const where = this.fenced('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision });
    return this.dataSource.transaction(async (manager) => {
      // The words before this revision, for the learning signal of an edit (same transaction: the
      // update below only wins while the draft is still at the revision read here).
      const before = content.editedBy ? await currentTweets(manager, this.accountId, id) : null;
      const usage = content.additionalUsage;
      const result = await manager
        .createQueryBuilder()
        .update(DraftEntity)
        .set({
          kind: content.kind,
          tweets: [...content.tweets],
          contentHash: content.contentHash,
          riskFlags: [...content.riskFlags],
          sanitiserChanges: [...content.sanitiserChanges],
          deadlineAt: content.deadlineAt,
          revision: () => 'revision + 1',
          // A new revision needs its own approvals: the first approval was for other words.
          firstApprovedBy: null,
          firstApprovedByName: null,
          ...(content.editedBy ? { editedBy: content.editedBy.id, editedByName: content.editedBy.name } : {}),
          ...(content.feedback !== undefined ? { feedback: content.feedback } : {}),
          ...(content.model !== undefined ? { model: content.model } : {}),
          ...(usage
            ? {
                inputTokens: () => `input_tokens + ${Math.trunc(usage.inputTokens)}`,
                outputTokens: () => `output_tokens + ${Math.trunc(usage.outputTokens)}`,
                cacheReadTokens: () => `cache_read_tokens + ${Math.trunc(usage.cacheReadTokens)}`,
                cacheCreationTokens: () => `cache_creation_tokens + ${Math.trunc(usage.cacheCreationTokens)}`,
              }
            : {}),
          updatedAt: now,
        })
        .where(where.sql, where.parameters)
        .execute();
      if (result.affected !== 1) return null;
      const fingerprints = manager.getRepository(ContentFingerprintEntity);
      await fingerprints.delete({ draftId: id, accountId: this.accountId });
      await this.writeFingerprints(fingerprints, id, content.bandKeys);
      // The new revision's whole image set, in the same transaction and behind the same
      // conditional update as its words: a stale revision changes neither. Absent: unchanged.
      if (content.media !== undefined) await replaceMedia(manager, id, content.media, now);
      await recordRevision(
        manager,
        this.accountId,
        id,
        expectedRevision + 1,
        { before: before ?? [], after: content.tweets, editedBy: content.editedBy, feedback: content.feedback },
        now,
      );
      const row = await draftsWithPublication(manager, this.accountId).andWhere('d.id = :id', { id }).getOneOrFail();
      return oneWithMedia(manager, toDraft(row));
    });
  }

  async recordFirstApproval(id: number, expectedRevision: number, actor: Actor, now: number): Promise<boolean> {
    const where = this.fenced('id = :id AND status = :status AND revision = :revision AND first_approved_by IS NULL', {
      id,
      status: 'pending',
      revision: expectedRevision,
    });
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ firstApprovedBy: actor.id, firstApprovedByName: actor.name, updatedAt: now })
      .where(where.sql, where.parameters)
      .execute();
    return result.affected === 1;
  }

  async decide(id: number, expectedRevision: number, decision: DraftDecision, now: number): Promise<boolean> {
    const where = this.fenced('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision });
    return this.dataSource
      .transaction(async (manager) => {
        const result = await manager
          .createQueryBuilder()
          .update(DraftEntity)
          .set({
            status: decision.to,
            decidedBy: decision.actor.id,
            decidedByName: decision.actor.name,
            decidedAt: now,
            decisionSource: decision.source,
            // The moderator's reason for a rejection, or why an expiry was forced (its account was removed).
            ...(decision.to !== 'approved' ? { rejectReason: decision.reason ?? null } : {}),
            updatedAt: now,
          })
          .where(where.sql, where.parameters)
          .execute();
        if (result.affected !== 1) return false;
        await rollupDraftMoved(manager, this.accountId, this.timeZone, id, { status: 'pending', source: null });
        await recordDecision(manager, this.accountId, id, expectedRevision, decision, now);
        // The approval and its publication commit together: no approved draft without one.
        if (decision.to === 'approved') {
          const placement = decision.placement;
          await manager.insert(PublicationEntity, {
            draftId: id,
            accountId: this.accountId,
            status: 'queued',
            postedTweetIds: [],
            // Scheduled in the same commit as the approval: never an approved draft that is due at once by mistake.
            scheduledFor: placement?.scheduledFor ?? null,
            notBefore: placement?.notBefore ?? null,
            queueReason: placement?.queueReason ?? null,
            createdAt: now,
            updatedAt: now,
          });
        }
        return true;
      })
      .catch((error: unknown) => {
        // Another approval took the slot between the look and this commit: nothing was written.
        if (decision.placement && isSlotConflict(error)) throw new SlotTakenError(id, decision.placement.scheduledFor);
        throw error;
      });
  }

  async findOverdue(now: number, limit: number): Promise<Draft[]> {
    const rows = await this.base()
      // A draft nobody was shown has no deadline to pass: only drafts whose card shows them as they are are swept.
      .andWhere(`d.status = :status AND ${CARD_SHOWS_DRAFT} AND d.deadline_at IS NOT NULL AND d.deadline_at <= :now`, { status: 'pending', now })
      .orderBy('d.deadline_at', 'ASC')
      .limit(limit)
      .getMany();
    return withMedia(this.dataSource, rows.map(toDraft));
  }

  async nextDeadline(): Promise<number | null> {
    const row: { next: unknown } | undefined = await this.drafts
      .createQueryBuilder('d')
      .select('MIN(d.deadline_at)', 'next')
      .where(`d.status = :status AND ${CARD_SHOWS_DRAFT}`, { status: 'pending' })
      .andWhere('d.account_id = :accountId', { accountId: this.accountId })
      .getRawOne();
    return toNumberOrNull(row?.next);
  }

  async recentTexts(statuses: readonly DraftStatus[], limit: number): Promise<string[][]> {
    const rows = await this.withStatuses(this.base(), statuses).orderBy('d.id', 'DESC').limit(limit).getMany();
    return rows.map((r) => r.tweets);
  }

  private async writeFingerprints(repo: Repository<ContentFingerprintEntity>, draftId: number, bandKeys: readonly string[]): Promise<void> {
    if (bandKeys.length === 0) return;
    await repo.insert(bandKeys.map((bandKey) => ({ draftId, bandKey, accountId: this.accountId })));
  }
}
