import type { DataSource } from 'typeorm';
import type { InstanceLeaseStore, InstanceTerm, StoredInstanceLease } from '../../services/ports.js';
import { InstanceLeaseEntity } from '../entities/instance-lease.entity.js';

/** The lease is one row; migration InstanceLease creates it. */
const LEASE_ID = 1;

/**
 * The instance lease row on either engine. Each write is one conditional UPDATE of row 1 naming
 * what it expects, so of two instances racing for it exactly one changes the row.
 */
export class TypeOrmInstanceLeaseStore implements InstanceLeaseStore {
  constructor(private readonly dataSource: DataSource) {}

  async read(): Promise<StoredInstanceLease> {
    const row = await this.dataSource.manager.findOneBy(InstanceLeaseEntity, { id: LEASE_ID });
    if (!row) throw new MissingInstanceLeaseError();
    return {
      owner: row.owner,
      ownerHost: row.ownerHost,
      ownerPid: nullableNumber(row.ownerPid),
      epoch: Number(row.epoch),
      renewedAt: nullableNumber(row.renewedAt),
      expiresAt: nullableNumber(row.expiresAt),
    };
  }

  async takeOver(
    seen: StoredInstanceLease,
    me: { readonly owner: string; readonly host: string; readonly pid: number },
    now: number,
    expiresAt: number,
  ): Promise<InstanceTerm | null> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(InstanceLeaseEntity)
      .set({ owner: me.owner, ownerHost: me.host, ownerPid: me.pid, epoch: () => 'epoch + 1', renewedAt: now, expiresAt, updatedAt: now })
      .where('id = :id AND owner IS NOT DISTINCT FROM :seenOwner AND epoch = :seenEpoch AND renewed_at IS NOT DISTINCT FROM :seenRenewedAt', {
        id: LEASE_ID,
        seenOwner: seen.owner,
        seenEpoch: seen.epoch,
        seenRenewedAt: seen.renewedAt,
      })
      .execute();
    // The condition pinned the epoch, so the new one is exactly one more.
    return result.affected === 1 ? { owner: me.owner, epoch: seen.epoch + 1 } : null;
  }

  async renew(term: InstanceTerm, now: number, expiresAt: number): Promise<boolean> {
    return this.updateTerm(term, { renewedAt: now, expiresAt, updatedAt: now });
  }

  async release(term: InstanceTerm, now: number): Promise<boolean> {
    // The epoch stays: the next holder's is one more, and the released term's fenced writes keep failing.
    return this.updateTerm(term, { owner: null, ownerHost: null, ownerPid: null, expiresAt: now, updatedAt: now });
  }

  private async updateTerm(term: InstanceTerm, changes: Partial<InstanceLeaseEntity>): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(InstanceLeaseEntity)
      .set(changes)
      .where('id = :id AND owner = :owner AND epoch = :epoch', { id: LEASE_ID, owner: term.owner, epoch: term.epoch })
      .execute();
    return result.affected === 1;
  }
}

function nullableNumber(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

/** The database has no lease row: its migrations did not run (or someone deleted the row). */
export class MissingInstanceLeaseError extends Error {
  constructor() {
    super('The instance_lease row (id 1) is missing: run the migrations (InstanceLease1796083202000)');
    this.name = 'MissingInstanceLeaseError';
  }
}
