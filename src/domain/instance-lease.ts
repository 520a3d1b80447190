/**
 * The rules of the instance lease (issue 12 §1): when a standby may take the lease over, and how
 * long the active instance may act on a renewal. Pure: times are passed in, nothing is read.
 *
 * Two clocks, on purpose. The wall clock (epoch ms) is what the rows carry, and it may step (NTP,
 * an operator, a VM resume), so it alone never proves that the holder stopped renewing. The
 * monotonic clock never steps but only means something inside one process, so a standby measures
 * a lapse from the moment IT first saw a given renewal, never against the holder's timestamps.
 */

/** The instance lease row (table `instance_lease`, id 1; the store's `StoredInstanceLease`). Times are wall-clock epoch ms. */
export interface LeaseRow {
  /** The holder's instance id; null when free (never held, or released by a graceful stop). */
  readonly owner: string | null;
  readonly ownerHost: string | null;
  readonly ownerPid: number | null;
  readonly epoch: number;
  readonly renewedAt: number | null;
  readonly expiresAt: number | null;
}

/** Who asks: this process's instance id, host name and pid. */
export interface LeaseClaimant {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
  /** Wall-clock ms when this process started watching the lease: a predecessor renewed before it. */
  readonly startedAt: number;
}

/** The first time this process saw one exact renewal of the lease (same owner, epoch, renewed_at). */
export interface LeaseSighting {
  readonly key: string;
  /** Monotonic ms when first seen. */
  readonly firstSeenAt: number;
  /** The row was already past its wall-clock expiry when first seen (e.g. left by a crash long ago). */
  readonly expiredAtFirstSight: boolean;
}

/** Why a standby may take over, or why not. */
export type TakeoverVerdict =
  | { readonly take: true; readonly reason: 'free' | 'lapsed' | 'expired' | 'predecessor' }
  | { readonly take: false; readonly reason: 'held'; /** Monotonic ms until the current renewal lapses for us. */ readonly lapsesInMs: number };

/** One renewal of the lease: any change of owner, epoch or renewed_at is a new one. */
export function leaseKey(row: LeaseRow): string {
  return `${row.owner ?? ''}|${row.epoch}|${row.renewedAt ?? ''}`;
}

/**
 * Keeps the first sighting of the same renewal; a new renewal starts a new sighting now. Only the
 * very first sighting (`previous` null: we just started watching) may count as expired by the
 * wall clock. A renewal we saw happen while watching proves its holder alive, however its wall
 * clock reads: a holder whose clock stepped back writes expiries already past, and that must not
 * make us take over from it.
 */
export function observeLease(previous: LeaseSighting | null, row: LeaseRow, monotonicNow: number, wallNow: number): LeaseSighting {
  const key = leaseKey(row);
  if (previous?.key === key) return previous;
  const expiredAtFirstSight = previous === null && row.expiresAt !== null && row.expiresAt <= wallNow;
  return { key, firstSeenAt: monotonicNow, expiredAtFirstSight };
}

/**
 * Whether a standby may take over the lease it sees in `row` (first seen as `sighting`):
 * - free: nobody holds it (never held, or released by a graceful stop);
 * - lapsed: not renewed for `expiresAfterMs` by OUR monotonic clock since we first saw this renewal;
 * - expired: already past its wall-clock expiry when we started watching (a holder that died
 *   long ago, e.g. before a restart). A wall clock stepped forward can make a live holder look
 *   expired here; the epoch fence stops the old holder's writes and its next renewal makes it
 *   step down;
 * - predecessor: held by a dead process of this host (same host name, and no process has its
 *   pid, or the pid is ours, as after a container restart), i.e. our own previous incarnation
 *   after a kill -9, or ourselves (we stopped acting when our renewals failed). With our own pid, it must not have renewed since we started: a live twin
 *   that shares our host name and pid (two containers given the same hostname) keeps renewing,
 *   and without this check each would take the lease from the other at every poll. Same host,
 *   same wall clock.
 */
export function judgeTakeover(input: {
  readonly row: LeaseRow;
  readonly sighting: LeaseSighting;
  readonly monotonicNow: number;
  readonly expiresAfterMs: number;
  readonly me: LeaseClaimant;
  readonly isProcessAlive: (pid: number) => boolean;
}): TakeoverVerdict {
  const { row, sighting, monotonicNow, expiresAfterMs, me } = input;
  if (row.owner === null) return { take: true, reason: 'free' };
  if (isDeadPredecessor(row, me, input.isProcessAlive)) return { take: true, reason: 'predecessor' };
  if (sighting.expiredAtFirstSight) return { take: true, reason: 'expired' };
  const seenFor = monotonicNow - sighting.firstSeenAt;
  if (seenFor >= expiresAfterMs) return { take: true, reason: 'lapsed' };
  return { take: false, reason: 'held', lapsesInMs: expiresAfterMs - seenFor };
}

/**
 * Same host, and either the holder's pid is not alive, or it is our own pid (a restarted
 * container) and the holder has not renewed since we started. A row naming us is ours to take
 * again (we stopped acting on it when our renewals failed).
 */
function isDeadPredecessor(row: LeaseRow, me: LeaseClaimant, isProcessAlive: (pid: number) => boolean): boolean {
  if (row.owner === me.owner) return true;
  if (row.ownerHost !== me.host || row.ownerPid === null) return false;
  if (row.ownerPid !== me.pid) return !isProcessAlive(row.ownerPid);
  return row.renewedAt === null || row.renewedAt <= me.startedAt;
}

/**
 * Until when (monotonic ms) the active instance may act on a renewal that STARTED at
 * `renewalStartedAt`. A standby first sees that renewal only after it was written, so it cannot
 * count a lapse before this moment: the old holder stops acting no later than a standby may
 * take over.
 */
export function actingDeadline(renewalStartedAt: number, expiresAfterMs: number): number {
  return renewalStartedAt + expiresAfterMs;
}

/** True when `row` still names `term` (owner and epoch). */
export function rowNamesTerm(row: LeaseRow, term: { readonly owner: string; readonly epoch: number }): boolean {
  return row.owner === term.owner && row.epoch === term.epoch;
}
