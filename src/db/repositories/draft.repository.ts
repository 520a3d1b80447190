import { Brackets, type DataSource, type EntityManager, In, type Repository } from 'typeorm';
import { isContentType } from '../../domain/content-types.js';
import { DRAFT_STATUSES, type Actor, type Draft, type DraftStatus, type PublishErrorClass } from '../../domain/draft.js';
import type {
  CardRendering,
  CreateWithinCapOutcome,
  DraftDecision,
  DraftRepository,
  NewDraft,
  PublishFence,
  PublishingLease,
  RevisedContent,
  UnpostedCards,
} from '../../services/ports.js';
import { ContentFingerprintEntity } from '../entities/content-fingerprint.entity.js';
import { CARD_OUT_OF_DATE_WHERE, DraftEntity } from '../entities/draft.entity.js';

/** The row a publishing write may touch: still publishing, under this owner AND this attempt. */
const fenced = (id: number, fence: PublishFence) => ({ id, status: 'publishing', leaseOwner: fence.owner, publishAttemptId: fence.attemptId }) as const;

const actorOrNull = (id: string | null, name: string | null): Actor | null => (id ? { id, name: name ?? id } : null);

/**
 * The draft has a card and the card shows its current revision and status: only then can the
 * deadline act on it, because only then did the moderators see what the deadline would decide.
 */
const CARD_SHOWS_DRAFT = 'd.moderation_message_id IS NOT NULL AND d.card_rendered_revision = d.revision AND d.card_rendered_status = d.status';

/** Maps a row to the domain shape services see. */
export function toDraft(row: DraftEntity): Draft {
  if (!isContentType(row.contentType)) throw new Error(`draft ${row.id} has unknown content type ${row.contentType}`);
  return {
    id: row.id,
    topicId: row.topicId,
    topicName: row.topicName,
    contentType: row.contentType,
    kind: row.kind,
    tweets: row.tweets,
    contentHash: row.contentHash,
    revision: row.revision,
    status: row.status as DraftStatus,
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
    publishAttemptId: row.publishAttemptId,
    publishAttempts: row.publishAttempts,
    notBefore: row.notBefore,
    queueReason: row.queueReason,
    postedTweetIds: row.postedTweetIds,
    tweetId: row.tweetId,
    publishedAt: row.publishedAt,
    dryRun: row.dryRun,
    errorMessage: row.errorMessage,
    errorClass: row.errorClass as PublishErrorClass | null,
    xCostUsd: row.xCostUsd,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * TypeORM implementation of the draft store. Every transition is a single `UPDATE ... WHERE`
 * that names the state it expects; the affected-row count says whether this caller won.
 */
export class TypeOrmDraftRepository implements DraftRepository {
  private readonly drafts: Repository<DraftEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.drafts = dataSource.getRepository(DraftEntity);
  }

  async create(draft: NewDraft, now: number): Promise<Draft> {
    return this.dataSource.transaction((manager) => this.insert(manager, draft, now));
  }

  async createWithinPendingCap(draft: NewDraft, now: number, maxPending: number): Promise<CreateWithinCapOutcome> {
    // The count and the insert share one transaction, which the write gate begins IMMEDIATE:
    // it holds SQLite's write lock from the count on, so no other writer can add a draft between.
    return this.dataSource.transaction(async (manager) => {
      const [row] = (await manager.query(`SELECT COUNT(*) AS pending FROM drafts WHERE status = 'pending'`)) as Array<{ pending: number }>;
      const pending = Number(row?.pending ?? 0);
      if (pending >= maxPending) return { status: 'over_cap', pending, maxPending } as const;
      return { status: 'created', draft: await this.insert(manager, draft, now) } as const;
    });
  }

  private async insert(manager: EntityManager, draft: NewDraft, now: number): Promise<Draft> {
    const row = manager.create(DraftEntity, {
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
      postedTweetIds: [],
      dryRun: false,
      xCostUsd: 0,
      publishAttempts: 0,
      createdAt: now,
      updatedAt: now,
    });
    const saved = await manager.save(DraftEntity, row);
    await this.writeFingerprints(manager.getRepository(ContentFingerprintEntity), saved.id, draft.bandKeys);
    return toDraft(saved);
  }

  async findById(id: number): Promise<Draft | null> {
    const row = await this.drafts.findOneBy({ id });
    return row ? toDraft(row) : null;
  }

  async findByStatuses(statuses: readonly DraftStatus[], options: { limit?: number; newestFirst?: boolean } = {}): Promise<Draft[]> {
    const rows = await this.drafts.find({
      where: { status: In([...statuses]) },
      order: { id: options.newestFirst ? 'DESC' : 'ASC' },
      ...(options.limit !== undefined ? { take: options.limit } : {}),
    });
    return rows.map(toDraft);
  }

  async countByStatus(): Promise<Record<DraftStatus, number>> {
    const rows: Array<{ status: string; count: number }> = await this.drafts
      .createQueryBuilder('d')
      .select('d.status', 'status')
      .addSelect('COUNT(*)', 'count')
      .groupBy('d.status')
      .getRawMany();
    const counts = Object.fromEntries(DRAFT_STATUSES.map((s) => [s, 0])) as Record<DraftStatus, number>;
    for (const row of rows) if (row.status in counts) counts[row.status as DraftStatus] = Number(row.count);
    return counts;
  }

  async setModerationMessage(
    id: number,
    channelId: string,
    messageId: string,
    now: number,
    card?: { readonly rendered: CardRendering; readonly deadlineAt?: number | null | undefined },
  ): Promise<void> {
    await this.drafts.update(
      { id },
      {
        moderationChannelId: channelId,
        moderationMessageId: messageId,
        cardNextAttemptAt: null,
        cardLastError: null,
        ...(card?.deadlineAt !== undefined ? { deadlineAt: card.deadlineAt } : {}),
        // This write moves updated_at; the rendering it records is the one just posted.
        ...(card ? { cardRenderedRevision: card.rendered.revision, cardRenderedStatus: card.rendered.status, cardRenderedVersion: now } : {}),
        ...(card?.rendered.timeoutAction !== undefined ? { cardRenderedTimeoutAction: card.rendered.timeoutAction } : {}),
        updatedAt: now,
      },
    );
  }

  async findCardsToPost(now: number, createdBefore: number, limit: number): Promise<Draft[]> {
    const rows = await this.drafts
      .createQueryBuilder('d')
      .where('d.status = :status AND d.moderation_message_id IS NULL', { status: 'pending' })
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
    return rows.map(toDraft);
  }

  async recordCardPostFailure(id: number, error: string): Promise<number> {
    await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ cardPostAttempts: () => 'card_post_attempts + 1', cardLastError: error.slice(0, 500) })
      .where('id = :id AND moderation_message_id IS NULL', { id })
      .execute();
    const row = await this.drafts.findOne({ select: { id: true, cardPostAttempts: true }, where: { id } });
    return row?.cardPostAttempts ?? 0;
  }

  async planCardPost(id: number, nextAttemptAt: number): Promise<void> {
    await this.drafts.update({ id }, { cardNextAttemptAt: nextAttemptAt });
  }

  async countUnpostedCards(): Promise<UnpostedCards> {
    const row: { count: number; oldest: number | null } | undefined = await this.drafts
      .createQueryBuilder('d')
      .select('COUNT(*)', 'count')
      .addSelect('MIN(d.created_at)', 'oldest')
      .where('d.status = :status AND d.moderation_message_id IS NULL AND d.card_post_attempts > 0', { status: 'pending' })
      .getRawOne();
    const last = await this.drafts
      .createQueryBuilder('d')
      .select('d.card_last_error', 'error')
      .where('d.status = :status AND d.moderation_message_id IS NULL AND d.card_post_attempts > 0', { status: 'pending' })
      .orderBy('d.id', 'DESC')
      .limit(1)
      .getRawOne<{ error: string | null }>();
    return { count: Number(row?.count ?? 0), oldestCreatedAt: row?.oldest ?? null, lastError: last?.error ?? null };
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
        .execute();
    }
    await this.drafts.update(
      { id },
      {
        cardRenderedRevision: rendered.revision,
        cardRenderedStatus: rendered.status,
        cardRenderedVersion: rendered.version,
        ...(rendered.timeoutAction !== undefined ? { cardRenderedTimeoutAction: rendered.timeoutAction } : {}),
      },
    );
  }

  async restartDeadline(id: number, expectedRevision: number, deadlineAt: number): Promise<boolean> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ deadlineAt })
      .where('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision })
      .execute();
    return result.affected === 1;
  }

  async cardRenderingOf(id: number): Promise<CardRendering | null> {
    const row = await this.drafts.findOne({
      select: { id: true, cardRenderedRevision: true, cardRenderedStatus: true, cardRenderedVersion: true, cardRenderedTimeoutAction: true },
      where: { id },
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
    const rows = await this.outOfDate().orderBy('d.id', 'ASC').limit(limit).getMany();
    return rows.map(toDraft);
  }

  async countCardsOutOfDate(): Promise<number> {
    return this.outOfDate().getCount();
  }

  private outOfDate() {
    // The partial index's own WHERE text, so SQLite reads the index instead of every draft.
    return this.drafts.createQueryBuilder('d').where(CARD_OUT_OF_DATE_WHERE);
  }

  async replaceContent(id: number, expectedRevision: number, content: RevisedContent, now: number): Promise<Draft | null> {
    return this.dataSource.transaction(async (manager) => {
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
        .where('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision })
        .execute();
      if (result.affected !== 1) return null;
      const fingerprints = manager.getRepository(ContentFingerprintEntity);
      await fingerprints.delete({ draftId: id });
      await this.writeFingerprints(fingerprints, id, content.bandKeys);
      const row = await manager.findOneByOrFail(DraftEntity, { id });
      return toDraft(row);
    });
  }

  async recordFirstApproval(id: number, expectedRevision: number, actor: Actor, now: number): Promise<boolean> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({ firstApprovedBy: actor.id, firstApprovedByName: actor.name, updatedAt: now })
      .where('id = :id AND status = :status AND revision = :revision AND first_approved_by IS NULL', {
        id,
        status: 'pending',
        revision: expectedRevision,
      })
      .execute();
    return result.affected === 1;
  }

  async decide(id: number, expectedRevision: number, decision: DraftDecision, now: number): Promise<boolean> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({
        status: decision.to,
        decidedBy: decision.actor.id,
        decidedByName: decision.actor.name,
        decidedAt: now,
        decisionSource: decision.source,
        ...(decision.to === 'rejected' ? { rejectReason: decision.reason ?? null } : {}),
        updatedAt: now,
      })
      .where('id = :id AND status = :status AND revision = :revision', { id, status: 'pending', revision: expectedRevision })
      .execute();
    return result.affected === 1;
  }

  async findOverdue(now: number, limit: number): Promise<Draft[]> {
    const rows = await this.drafts
      .createQueryBuilder('d')
      // A draft nobody was shown has no deadline to pass: only drafts whose card shows them as they are are swept.
      .where(`d.status = :status AND ${CARD_SHOWS_DRAFT} AND d.deadline_at IS NOT NULL AND d.deadline_at <= :now`, { status: 'pending', now })
      .orderBy('d.deadline_at', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map(toDraft);
  }

  async nextDeadline(): Promise<number | null> {
    const row: { next: number | null } | undefined = await this.drafts
      .createQueryBuilder('d')
      .select('MIN(d.deadline_at)', 'next')
      .where(`d.status = :status AND ${CARD_SHOWS_DRAFT}`, { status: 'pending' })
      .getRawOne();
    return row?.next ?? null;
  }

  async findDueForPublishing(now: number, limit: number): Promise<Draft[]> {
    const rows = await this.drafts
      .createQueryBuilder('d')
      .where('d.status = :status', { status: 'approved' })
      .andWhere(new Brackets((qb) => qb.where('d.not_before IS NULL').orWhere('d.not_before <= :now', { now })))
      .orderBy('d.decided_at', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(limit)
      .getMany();
    return rows.map(toDraft);
  }

  async nextQueuedAt(): Promise<number | null> {
    const row: { next: number | null } | undefined = await this.drafts
      .createQueryBuilder('d')
      .select('MIN(COALESCE(d.not_before, 0))', 'next')
      .where('d.status = :status', { status: 'approved' })
      .getRawOne();
    return row?.next ?? null;
  }

  async claimForPublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({
        status: 'publishing',
        leaseOwner: owner,
        leaseExpiresAt: now + leaseMs,
        publishAttemptId: attemptId,
        publishAttempts: () => 'publish_attempts + 1',
        publishingStartedAt: now,
        updatedAt: now,
      })
      .where('id = :id AND status = :status', { id, status: 'approved' })
      .andWhere(new Brackets((qb) => qb.where('not_before IS NULL').orWhere('not_before <= :now', { now })))
      .execute();
    return result.affected === 1 ? this.findById(id) : null;
  }

  async reclaimStalePublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null> {
    const result = await this.drafts
      .createQueryBuilder()
      .update(DraftEntity)
      .set({
        leaseOwner: owner,
        leaseExpiresAt: now + leaseMs,
        publishAttemptId: attemptId,
        publishAttempts: () => 'publish_attempts + 1',
        updatedAt: now,
      })
      .where('id = :id AND status = :status', { id, status: 'publishing' })
      .andWhere(new Brackets((qb) => qb.where('lease_expires_at IS NULL').orWhere('lease_expires_at <= :now', { now })))
      .execute();
    return result.affected === 1 ? this.findById(id) : null;
  }

  async findPublishing(): Promise<Draft[]> {
    return this.findByStatuses(['publishing']);
  }

  async findPublishingLeases(): Promise<PublishingLease[]> {
    const rows = await this.drafts.find({
      select: { id: true, leaseOwner: true, publishAttemptId: true, leaseExpiresAt: true },
      where: { status: 'publishing' },
      order: { id: 'ASC' },
    });
    return rows.map((r) => ({ id: r.id, owner: r.leaseOwner, attemptId: r.publishAttemptId, expiresAt: r.leaseExpiresAt }));
  }

  async renewLease(id: number, fence: PublishFence, now: number, leaseMs: number): Promise<boolean> {
    const result = await this.drafts.update(fenced(id, fence), { leaseExpiresAt: now + leaseMs, updatedAt: now });
    return result.affected === 1;
  }

  async recordPostedTweet(id: number, fence: PublishFence, tweetIds: readonly string[], now: number): Promise<boolean> {
    const result = await this.drafts.update(fenced(id, fence), { postedTweetIds: [...tweetIds], tweetId: tweetIds[0] ?? null, updatedAt: now });
    return result.affected === 1;
  }

  async markPublished(
    id: number,
    fence: PublishFence,
    result: { tweetIds: readonly string[]; dryRun: boolean; xCostUsd: number },
    now: number,
  ): Promise<boolean> {
    const update = await this.drafts.update(fenced(id, fence), {
      status: 'published',
      postedTweetIds: [...result.tweetIds],
      tweetId: result.tweetIds[0] ?? null,
      publishedAt: now,
      dryRun: result.dryRun,
      xCostUsd: result.xCostUsd,
      leaseOwner: null,
      leaseExpiresAt: null,
      notBefore: null,
      queueReason: null,
      errorMessage: null,
      errorClass: null,
      updatedAt: now,
    });
    return update.affected === 1;
  }

  async requeue(
    id: number,
    fence: PublishFence,
    wait: { notBefore: number; reason: string; errorMessage?: string | null; errorClass?: PublishErrorClass | null },
    now: number,
  ): Promise<boolean> {
    const update = await this.drafts.update(fenced(id, fence), {
      status: 'approved',
      notBefore: wait.notBefore,
      queueReason: wait.reason,
      errorMessage: wait.errorMessage ?? null,
      errorClass: wait.errorClass ?? null,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: now,
    });
    return update.affected === 1;
  }

  async deferApproved(id: number, notBefore: number, reason: string, now: number): Promise<boolean> {
    const update = await this.drafts.update({ id, status: 'approved' }, { notBefore, queueReason: reason, updatedAt: now });
    return update.affected === 1;
  }

  async markFailed(id: number, fence: PublishFence, failure: { errorMessage: string; errorClass: PublishErrorClass }, now: number): Promise<boolean> {
    const update = await this.drafts.update(fenced(id, fence), {
      status: 'failed',
      errorMessage: failure.errorMessage,
      errorClass: failure.errorClass,
      leaseOwner: null,
      leaseExpiresAt: null,
      notBefore: null,
      queueReason: null,
      updatedAt: now,
    });
    return update.affected === 1;
  }

  async retryFailed(id: number, actor: Actor, now: number): Promise<boolean> {
    const update = await this.drafts.update(
      { id, status: 'failed' },
      { status: 'approved', decidedBy: actor.id, decidedByName: actor.name, notBefore: null, queueReason: null, updatedAt: now },
    );
    return update.affected === 1;
  }

  async recentTexts(statuses: readonly DraftStatus[], limit: number): Promise<string[][]> {
    const rows = await this.drafts.find({
      select: { id: true, tweets: true },
      where: { status: In([...statuses]) },
      order: { id: 'DESC' },
      take: limit,
    });
    return rows.map((r) => r.tweets);
  }

  private async writeFingerprints(repo: Repository<ContentFingerprintEntity>, draftId: number, bandKeys: readonly string[]): Promise<void> {
    if (bandKeys.length === 0) return;
    await repo.insert(bandKeys.map((bandKey) => ({ draftId, bandKey })));
  }
}
