import type { DataSource } from 'typeorm';
import type { InstanceFence } from '../../services/ports.js';
import { engineOf } from '../sql.js';

/** A WHERE fragment and its parameters, to AND into a conditional write. */
export interface FenceCondition {
  readonly sql: string;
  readonly parameters: Record<string, unknown>;
}

/**
 * The one place the instance fence becomes SQL (issue 12, decision 3). A fenced write changes
 * its row only while the lease row still names the writer's term, checked inside the same
 * statement, so an instance that lost the lease (frozen, then resumed after a takeover) writes
 * nothing even if it has not noticed yet.
 * - No fence (the CLI, tests of one process): null, nothing is added.
 * - A fence with no term (standby, stepped down, stopped): a condition that never holds.
 * - On PostgreSQL the lease row is read FOR SHARE, so a takeover's UPDATE waits for this write
 *   to commit, or this write sees the takeover: a single statement (READ COMMITTED) re-checks
 *   the row once the takeover committed; inside a transaction (SERIALIZABLE, see
 *   postgres-transactions.ts) it fails with a serialization error and the whole transaction runs
 *   again, now seeing the new epoch.
 *   SQLite needs none: the write holds the database's write lock from its first statement.
 */
export function fenceCondition(dataSource: DataSource, fence: InstanceFence | undefined): FenceCondition | null {
  if (!fence) return null;
  const term = fence.current();
  if (term === null) return { sql: '1 = 0', parameters: {} };
  const lock = engineOf(dataSource) === 'postgres' ? ' FOR SHARE' : '';
  return {
    sql: `EXISTS (SELECT 1 FROM instance_lease fence_lease WHERE fence_lease.id = 1 AND fence_lease.owner = :fenceOwner AND fence_lease.epoch = :fenceEpoch${lock})`,
    parameters: { fenceOwner: term.owner, fenceEpoch: term.epoch },
  };
}

/** `condition` ANDed with the fence, if any: for builders that take one WHERE string. */
export function withFence(dataSource: DataSource, fence: InstanceFence | undefined, condition: string, parameters: Record<string, unknown>): FenceCondition {
  const fenced = fenceCondition(dataSource, fence);
  return fenced ? { sql: `${condition} AND ${fenced.sql}`, parameters: { ...parameters, ...fenced.parameters } } : { sql: condition, parameters };
}
