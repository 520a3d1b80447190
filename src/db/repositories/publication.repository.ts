import { draftFacts, rollupDraftMoved, rollupPublished } from '../stats-rollups.js';
import { recordPublished } from '../learning-signals.js';
import type { DataSource, EntityManager } from 'typeorm';
import type { AccountId } from '../../domain/account.js';
import type { Actor, Draft, PublicationRecovery, PublishErrorClass } from '../../domain/draft.js';
import type { MediaUpload } from '../../domain/media.js';
import {
  SlotTakenError,
  type InstanceFence,
  type PlannedPublication,
  type PublicationCalendarRepository,
  type PublicationRepository,
  type PublishFence,
  type PublishingLease,
} from '../../services/ports.js';
import { DraftEntity } from '../entities/draft.entity.js';
import { PublicationEntity } from '../entities/publication.entity.js';
import { execute, queryRows, toNumberOrNull } from '../sql.js';
import { draftsWithPublication, toDraft } from './draft.repository.js';
import { oneWithMedia, withMedia } from './draft-media.js';
import { withFence } from './instance-fence.js';
import { isSlotConflict } from './slot-conflict.js';

/** The condition every calendar write shares: still queued, with the schedule the caller saw. */
const STILL_AS_SEEN = "status = 'queued' AND scheduled_for IS NOT DISTINCT FROM :expected";

type PublicationChanges = Partial<Omit<PublicationEntity, 'id' | 'draftId' | 'accountId' | 'draft'>>;

/**
 * TypeORM implementation of one account's publications. Every transition is a single
 * `UPDATE ... WHERE` on the publication that names the state it expects (and, while publishing,
 * the fence); when it changed the row, the draft's `updated_at` moves in the same transaction so
 * the card reconciler knows the card is behind. With an instance fence, every transition also
 * requires the instance lease to still name this instance's term (issue 12), in the same UPDATE.
 */
export class TypeOrmPublicationRepository implements PublicationRepository, PublicationCalendarRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accountId: AccountId,
    private readonly fence?: InstanceFence | undefined,
    /** The account's TIMEZONE: the /stats rollups count its local days. */
    private readonly timeZone: string = 'UTC',
  ) {}

  async findDueForPublishing(now: number, limit: number): Promise<Draft[]> {
    const rows = await draftsWithPublication(this.dataSource.manager, this.accountId)
      .andWhere("d.status = 'approved' AND p.status = 'queued' AND (p.not_before IS NULL OR p.not_before <= :now)", { now })
      .orderBy('d.decided_at', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(limit)
      .getMany();
    return withMedia(this.dataSource, rows.map(toDraft));
  }

  async nextQueuedAt(): Promise<number | null> {
    const [row] = await queryRows<{ next: unknown }>(
      this.dataSource,
      `SELECT MIN(COALESCE(not_before, 0)) AS "next" FROM publications WHERE account_id = :accountId AND status = 'queued'`,
      { accountId: this.accountId },
    );
    return toNumberOrNull(row?.next);
  }

  async queuedDueTimes(): Promise<{ id: number; notBefore: number | null }[]> {
    const rows = await queryRows<{ id: unknown; notBefore: unknown }>(
      this.dataSource,
      `SELECT p.draft_id AS "id", p.not_before AS "notBefore"
         FROM publications p JOIN drafts d ON d.id = p.draft_id
        WHERE p.account_id = :accountId AND p.status = 'queued' AND d.status = 'approved'`,
      { accountId: this.accountId },
    );
    return rows.map((r) => ({ id: Number(r.id), notBefore: toNumberOrNull(r.notBefore) }));
  }

  async claimForPublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null> {
    const claimed = await this.transition(
      id,
      "status = 'queued' AND (not_before IS NULL OR not_before <= :now)",
      { now },
      {
        status: 'publishing',
        leaseOwner: owner,
        leaseExpiresAt: now + leaseMs,
        attemptId,
        attempts: () => 'attempts + 1',
        publishingStartedAt: now,
      },
      now,
    );
    return claimed ? this.findDraft(id) : null;
  }

  async reclaimStalePublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null> {
    const reclaimed = await this.transition(
      id,
      "status = 'publishing' AND (lease_expires_at IS NULL OR lease_expires_at <= :now)",
      { now },
      { leaseOwner: owner, leaseExpiresAt: now + leaseMs, attemptId, attempts: () => 'attempts + 1' },
      now,
    );
    return reclaimed ? this.findDraft(id) : null;
  }

  async reclaimAbandonedPublishing(id: number, owner: string, attemptId: string, now: number, leaseMs: number): Promise<Draft | null> {
    const reclaimed = await this.transition(
      id,
      "status = 'publishing' AND lease_owner IS DISTINCT FROM :owner",
      { owner },
      { leaseOwner: owner, leaseExpiresAt: now + leaseMs, attemptId, attempts: () => 'attempts + 1' },
      now,
    );
    return reclaimed ? this.findDraft(id) : null;
  }

  async findPublishing(): Promise<Draft[]> {
    const rows = await draftsWithPublication(this.dataSource.manager, this.accountId)
      .andWhere("d.status = 'approved' AND p.status = 'publishing'")
      .orderBy('d.id', 'ASC')
      .getMany();
    return withMedia(this.dataSource, rows.map(toDraft));
  }

  async findPublishingLeases(): Promise<PublishingLease[]> {
    const rows = await queryRows<PublishingLease>(
      this.dataSource,
      `SELECT draft_id AS id, lease_owner AS owner, attempt_id AS "attemptId", lease_expires_at AS "expiresAt"
         FROM publications WHERE account_id = :accountId AND status = 'publishing' ORDER BY draft_id`,
      { accountId: this.accountId },
    );
    return rows.map((r) => ({ id: Number(r.id), owner: r.owner, attemptId: r.attemptId, expiresAt: r.expiresAt === null ? null : Number(r.expiresAt) }));
  }

  async renewLease(id: number, fence: PublishFence, now: number, leaseMs: number): Promise<boolean> {
    return this.fencedTransition(id, fence, { leaseExpiresAt: now + leaseMs }, now);
  }

  async recordPostedTweet(id: number, fence: PublishFence, tweetIds: readonly string[], now: number): Promise<boolean> {
    return this.fencedTransition(id, fence, { postedTweetIds: [...tweetIds], rootTweetId: tweetIds[0] ?? null }, now);
  }

  async recordMediaUpload(id: number, fence: PublishFence, upload: MediaUpload, now: number): Promise<boolean> {
    // Read and written in one transaction under the write: of two writers only the fenced one
    // (this owner and attempt, this instance's term) changes the row, and it replaces only the
    // entry at this position. The list is small (at most 4), so JSON text is enough.
    return this.dataSource.transaction(async (manager) => {
      const [row] = await queryRows<{ uploads: string | null }>(
        manager,
        `SELECT media_uploads AS "uploads" FROM publications WHERE draft_id = :id AND account_id = :accountId`,
        { id, accountId: this.accountId },
      );
      if (!row) return false;
      const existing = row.uploads ? (JSON.parse(row.uploads) as MediaUpload[]) : [];
      const uploads = [...existing.filter((u) => u.position !== upload.position), { ...upload }].sort((a, b) => a.position - b.position);
      return this.fencedTransition(id, fence, { mediaUploads: uploads }, now, {}, undefined, manager);
    });
  }

  async forgetMediaUploads(id: number, fence: PublishFence, now: number): Promise<boolean> {
    return this.fencedTransition(id, fence, { mediaUploads: null }, now);
  }

  async markPublished(
    id: number,
    fence: PublishFence,
    result: { tweetIds: readonly string[]; dryRun: boolean; xCostUsd: number; recovered?: PublicationRecovery | null | undefined },
    now: number,
  ): Promise<boolean> {
    return this.fencedTransition(
      id,
      fence,
      {
        status: 'published',
        postedTweetIds: [...result.tweetIds],
        rootTweetId: result.tweetIds[0] ?? null,
        publishedAt: now,
        dryRun: result.dryRun,
        costUsd: result.xCostUsd,
        leaseOwner: null,
        leaseExpiresAt: null,
        notBefore: null,
        queueReason: null,
        errorMessage: null,
        errorClass: null,
        // Published is final: the counters of its attempts can never matter again.
        transientFailures: 0,
        unresolved: false,
        ...(result.recovered ? { recovered: result.recovered } : {}),
      },
      now,
      {},
      async (manager) => {
        await rollupPublished(manager, this.accountId, this.timeZone, id, now, result.xCostUsd);
        await recordPublished(manager, this.accountId, id, result.dryRun, now);
      },
    );
  }

  async requeue(
    id: number,
    fence: PublishFence,
    wait: { notBefore: number; reason: string; errorMessage?: string | null; errorClass?: PublishErrorClass | null },
    now: number,
  ): Promise<boolean> {
    return this.fencedTransition(
      id,
      fence,
      {
        status: 'queued',
        notBefore: wait.notBefore,
        queueReason: wait.reason,
        errorMessage: wait.errorMessage ?? null,
        errorClass: wait.errorClass ?? null,
        leaseOwner: null,
        leaseExpiresAt: null,
      },
      now,
    );
  }

  async deferApproved(id: number, notBefore: number, reason: string, now: number): Promise<boolean> {
    return this.transition(id, "status = 'queued'", {}, { notBefore, queueReason: reason }, now);
  }

  async spreadDueBacklog(now: number, spacingMs: number, reason: (position: number, count: number) => string): Promise<number[]> {
    // Slot-scheduled publications are the calendar's (settleMissedSlots), whatever their queue
    // reason says (a 429 on a scheduled one replaces it but keeps the slot).
    const due = `status = 'queued' AND (not_before IS NULL OR not_before <= :now) AND scheduled_for IS NULL`;
    const rows = await queryRows<{ draftId: unknown }>(
      this.dataSource,
      `SELECT p.draft_id AS "draftId" FROM publications p JOIN drafts d ON d.id = p.draft_id
       WHERE p.account_id = :accountId AND d.status = 'approved' AND p.status = 'queued'
         AND (p.not_before IS NULL OR p.not_before <= :now) AND p.scheduled_for IS NULL
       ORDER BY d.decided_at ASC, d.id ASC`,
      { accountId: this.accountId, now },
    );
    const ids = rows.map((row) => Number(row.draftId));
    const moved: number[] = [];
    for (const [position, id] of ids.entries()) {
      // Each move is fenced like every other write here: a deposed instance moves nothing.
      if (await this.transition(id, due, { now }, { notBefore: now + position * spacingMs, queueReason: reason(position, ids.length) }, now)) moved.push(id);
    }
    return moved;
  }

  async markFailed(id: number, fence: PublishFence, failure: { errorMessage: string; errorClass: PublishErrorClass }, now: number): Promise<boolean> {
    return this.fencedTransition(
      id,
      fence,
      {
        status: 'failed',
        errorMessage: failure.errorMessage,
        errorClass: failure.errorClass,
        leaseOwner: null,
        leaseExpiresAt: null,
        notBefore: null,
        queueReason: null,
      },
      now,
    );
  }

  async retryFailed(id: number, actor: Actor, now: number): Promise<boolean> {
    return this.transition(
      id,
      "status = 'failed'",
      {},
      // Its slot is long gone (and may be another's by now): a retried draft goes when the caps allow.
      { status: 'queued', notBefore: null, queueReason: null, transientFailures: 0, scheduledFor: null },
      now,
      // The Retry is a moderator's decision on the draft again.
      { decidedBy: actor.id, decidedByName: actor.name },
    );
  }

  async recordTransientFailure(id: number, now: number): Promise<number> {
    // A counter the card does not show: the draft's updated_at stays (no card re-render for it).
    const {
      rows: [row],
    } = await execute<{ n: unknown }>(
      this.dataSource,
      `UPDATE publications SET transient_failures = transient_failures + 1, updated_at = :now WHERE draft_id = :id AND account_id = :accountId RETURNING transient_failures AS n`,
      { now, id, accountId: this.accountId },
    );
    return Number(row?.n ?? 0);
  }

  async clearTransientFailures(id: number, now: number): Promise<void> {
    await execute(
      this.dataSource,
      `UPDATE publications SET transient_failures = 0, updated_at = :now WHERE draft_id = :id AND account_id = :accountId AND transient_failures <> 0`,
      { now, id, accountId: this.accountId },
    );
  }

  async setUnresolved(id: number, now: number): Promise<void> {
    await execute(
      this.dataSource,
      `UPDATE publications SET unresolved = 1, updated_at = :now WHERE draft_id = :id AND account_id = :accountId AND unresolved = 0`,
      {
        now,
        id,
        accountId: this.accountId,
      },
    );
  }

  async clearUnresolved(id: number, now: number): Promise<void> {
    await execute(
      this.dataSource,
      `UPDATE publications SET unresolved = 0, updated_at = :now WHERE draft_id = :id AND account_id = :accountId AND unresolved = 1`,
      {
        now,
        id,
        accountId: this.accountId,
      },
    );
  }

  async isUnresolved(id: number): Promise<boolean> {
    const [row] = await queryRows<{ unresolved: unknown }>(
      this.dataSource,
      `SELECT unresolved FROM publications WHERE draft_id = :id AND account_id = :accountId`,
      {
        id,
        accountId: this.accountId,
      },
    );
    // A bigint on PostgreSQL: compared as a number, whichever form the driver returns.
    return Number(row?.unresolved ?? 0) === 1;
  }

  async findPlanned(): Promise<PlannedPublication[]> {
    const rows = await queryRows<{ id: unknown; status: string; scheduledFor: unknown; notBefore: unknown }>(
      this.dataSource,
      `SELECT p.draft_id AS id, p.status AS status, p.scheduled_for AS "scheduledFor", p.not_before AS "notBefore"
         FROM publications p JOIN drafts d ON d.id = p.draft_id
        WHERE p.account_id = :accountId AND d.account_id = p.account_id AND d.status = 'approved' AND p.status IN ('queued', 'publishing')
        ORDER BY p.draft_id`,
      { accountId: this.accountId },
    );
    return rows.map((r) => ({
      id: Number(r.id),
      status: r.status as PlannedPublication['status'],
      scheduledFor: toNumberOrNull(r.scheduledFor),
      notBefore: toNumberOrNull(r.notBefore),
    }));
  }

  async findUpcoming(offset: number, limit: number): Promise<{ items: Draft[]; total: number }> {
    const queued = () => draftsWithPublication(this.dataSource.manager, this.accountId).andWhere("d.status = 'approved' AND p.status = 'queued'");
    const total = await queued().getCount();
    const rows = await queued()
      .orderBy('COALESCE(p.not_before, 0)', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .offset(Math.max(0, Math.trunc(offset)))
      .limit(Math.max(0, Math.trunc(limit)))
      .getMany();
    return { items: await withMedia(this.dataSource, rows.map(toDraft)), total };
  }

  async schedule(id: number, expected: number | null, to: { readonly scheduledFor: number; readonly note: string | null }, now: number): Promise<boolean> {
    return this.slotWrite(id, to.scheduledFor, () =>
      this.transition(
        id,
        STILL_AS_SEEN,
        { expected },
        { scheduledFor: to.scheduledFor, notBefore: to.scheduledFor, queueReason: 'scheduled', scheduleNote: to.note },
        now,
      ),
    );
  }

  async dropSchedule(id: number, expected: number | null, now: number): Promise<boolean> {
    return this.transition(id, STILL_AS_SEEN, { expected }, { scheduledFor: null, notBefore: null, queueReason: null, scheduleNote: null }, now);
  }

  async swapSlots(
    a: { readonly id: number; readonly scheduledFor: number },
    b: { readonly id: number; readonly scheduledFor: number },
    now: number,
  ): Promise<boolean> {
    const moved = (manager: EntityManager, id: number, expected: number | null, scheduledFor: number | null) => {
      const fenced = withFence(this.dataSource, this.fence, `draft_id = :id AND account_id = :accountId AND ${STILL_AS_SEEN}`, {
        id,
        accountId: this.accountId,
        expected,
      });
      return manager
        .createQueryBuilder()
        .update(PublicationEntity)
        .set({ scheduledFor, notBefore: scheduledFor, queueReason: 'scheduled', scheduleNote: null, updatedAt: now })
        .where(fenced.sql, fenced.parameters)
        .execute();
    };
    /** Rolls the transaction back: one of the two moved on, so neither may change. */
    class Lost extends Error {}
    try {
      return await this.slotWrite(a.id, b.scheduledFor, () =>
        this.dataSource.transaction(async (manager) => {
          // The index allows one queued publication per slot even inside the transaction: `a` lets go of its slot first.
          if ((await moved(manager, a.id, a.scheduledFor, null)).affected !== 1) throw new Lost();
          if ((await moved(manager, b.id, b.scheduledFor, a.scheduledFor)).affected !== 1) throw new Lost();
          if ((await moved(manager, a.id, null, b.scheduledFor)).affected !== 1) throw new Lost();
          await manager
            .createQueryBuilder()
            .update(DraftEntity)
            .set({ updatedAt: now })
            .where('id IN (:...ids) AND account_id = :accountId', { ids: [a.id, b.id], accountId: this.accountId })
            .execute();
          return true;
        }),
      );
    } catch (error) {
      if (error instanceof Lost) return false;
      throw error;
    }
  }

  async unschedule(id: number, expected: number | null, deadlineAt: number, now: number): Promise<boolean> {
    // Never a publication an earlier attempt may have reached X with (unresolved: a crash, a
    // timeout, a lost answer) or that has tweets out (a thread waiting for its next part):
    // deleting it would forget them, and a later approval would post the text again.
    const untouched = "unresolved = 0 AND posted_tweet_ids = '[]'";
    const publication = withFence(this.dataSource, this.fence, `draft_id = :id AND account_id = :accountId AND ${STILL_AS_SEEN} AND ${untouched}`, {
      id,
      accountId: this.accountId,
      expected,
    });
    return this.dataSource.transaction(async (manager) => {
      const decided = await draftFacts(manager, id);
      const deleted = await manager.createQueryBuilder().delete().from(PublicationEntity).where(publication.sql, publication.parameters).execute();
      if (deleted.affected !== 1) return false;
      // approved -> pending: the decision is undone (a new one is needed), the words stay the same revision.
      const reopened = await manager
        .createQueryBuilder()
        .update(DraftEntity)
        .set({
          status: 'pending',
          decidedBy: null,
          decidedByName: null,
          decidedAt: null,
          decisionSource: null,
          firstApprovedBy: null,
          firstApprovedByName: null,
          deadlineAt,
          updatedAt: now,
        })
        .where("id = :id AND account_id = :accountId AND status = 'approved'", { id, accountId: this.accountId })
        .execute();
      if (reopened.affected !== 1) throw new Error(`draft ${id}: its queued publication was deleted but the draft was not approved`);
      await rollupDraftMoved(manager, this.accountId, this.timeZone, id, { status: 'approved', source: decided?.source ?? null });
      return true;
    });
  }

  /** Runs a write that gives `id` the slot `scheduledFor`, turning a slot-index conflict into SlotTakenError. */
  private async slotWrite<T>(id: number, scheduledFor: number | null, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isSlotConflict(error)) throw new SlotTakenError(id, scheduledFor);
      throw error;
    }
  }

  private async findDraft(id: number): Promise<Draft | null> {
    const row = await draftsWithPublication(this.dataSource.manager, this.accountId).andWhere('d.id = :id', { id }).getOne();
    return oneWithMedia(this.dataSource, row ? toDraft(row) : null);
  }

  /** A publishing write: only while `publishing` under this owner AND this attempt. */
  private fencedTransition(
    id: number,
    fence: PublishFence,
    changes: PublicationChanges,
    now: number,
    draftChanges: Record<string, unknown> = {},
    andThen?: (manager: EntityManager) => Promise<void>,
    inTransaction?: EntityManager,
  ): Promise<boolean> {
    return this.transition(
      id,
      "status = 'publishing' AND lease_owner = :owner AND attempt_id = :attemptId",
      { owner: fence.owner, attemptId: fence.attemptId },
      changes,
      now,
      draftChanges,
      andThen,
      inTransaction,
    );
  }

  /**
   * One conditional update of this account's publication of draft `id` (fenced on the instance
   * term when there is a fence); when it changed the row, the draft's `updated_at` (and
   * `draftChanges`) follow in the same transaction.
   */
  private transition(
    id: number,
    condition: string,
    parameters: Record<string, unknown>,
    changes: Record<string, unknown>,
    now: number,
    draftChanges: Record<string, unknown> = {},
    /** More writes of the same transaction once the row changed (the /stats rollups). */
    andThen?: (manager: EntityManager) => Promise<void>,
    /** The caller's transaction, when the write is part of a bigger one (recordMediaUpload's read). */
    inTransaction?: EntityManager,
  ): Promise<boolean> {
    const fenced = withFence(this.dataSource, this.fence, `draft_id = :id AND account_id = :accountId AND ${condition}`, {
      ...parameters,
      id,
      accountId: this.accountId,
    });
    const write = async (manager: EntityManager) => {
      const result = await manager
        .createQueryBuilder()
        .update(PublicationEntity)
        .set({ ...changes, updatedAt: now })
        .where(fenced.sql, fenced.parameters)
        .execute();
      if (result.affected !== 1) return false;
      await manager
        .createQueryBuilder()
        .update(DraftEntity)
        .set({ ...draftChanges, updatedAt: now })
        .where('id = :id AND account_id = :accountId', { id, accountId: this.accountId })
        .execute();
      await andThen?.(manager);
      return true;
    };
    return inTransaction ? write(inTransaction) : this.dataSource.transaction(write);
  }
}
