import { describe, expect, it } from 'vitest';
import { judgeTakeover, observeLease, type LeaseRow } from '../../src/domain/instance-lease.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { InstanceActivationError, InstanceLeaseService, type InstanceIdentity } from '../../src/services/instance-lease.js';
import type { InstanceLeaseStore, InstanceTerm, StoredInstanceLease } from '../../src/services/ports.js';
import { ManualClock } from '../support/manual-clock.js';
import { ManualTimers, drainMicrotasks } from '../support/manual-timers.js';

const RENEW = 5_000;
const EXPIRY = 15_000;
const POLL = 1_000;

/** The lease row in memory, with the store's conditional-update semantics. */
class MemoryLeaseStore implements InstanceLeaseStore {
  row: StoredInstanceLease = { owner: null, ownerHost: null, ownerPid: null, epoch: 0, renewedAt: null, expiresAt: null };
  failing = false;
  async read(): Promise<StoredInstanceLease> {
    this.check();
    return { ...this.row };
  }
  async takeOver(seen: StoredInstanceLease, me: { owner: string; host: string; pid: number }, now: number, expiresAt: number): Promise<InstanceTerm | null> {
    this.check();
    const r = this.row;
    if (r.owner !== seen.owner || r.epoch !== seen.epoch || r.renewedAt !== seen.renewedAt) return null;
    this.row = { owner: me.owner, ownerHost: me.host, ownerPid: me.pid, epoch: r.epoch + 1, renewedAt: now, expiresAt };
    return { owner: me.owner, epoch: r.epoch + 1 };
  }
  async renew(term: InstanceTerm, now: number, expiresAt: number): Promise<boolean> {
    this.check();
    if (!this.names(term)) return false;
    this.row = { ...this.row, renewedAt: now, expiresAt };
    return true;
  }
  async release(term: InstanceTerm, now: number): Promise<boolean> {
    this.check();
    if (!this.names(term)) return false;
    this.row = { ...this.row, owner: null, ownerHost: null, ownerPid: null, expiresAt: now };
    return true;
  }
  private names(term: InstanceTerm): boolean {
    return this.row.owner === term.owner && this.row.epoch === term.epoch;
  }
  private check(): void {
    if (this.failing) throw new Error('database is locked');
  }
}

const identity = (host: string, pid: number, nonce = 'aaaa0000'): InstanceIdentity => ({ owner: `${host}:${pid}:${nonce}`, host, pid });

interface Instance {
  readonly service: InstanceLeaseService;
  readonly events: string[];
}

function instance(
  store: InstanceLeaseStore,
  clock: ManualClock,
  timers: ManualTimers,
  id: InstanceIdentity,
  options: { alive?: (pid: number) => boolean; monotonic?: { now(): number } } = {},
): Instance {
  const events: string[] = [];
  const service = new InstanceLeaseService({
    store,
    clock,
    monotonic: options.monotonic ?? clock.monotonic,
    logger: createSilentLogger(),
    identity: id,
    renewEveryMs: RENEW,
    expiresAfterMs: EXPIRY,
    pollEveryMs: POLL,
    isProcessAlive: options.alive ?? (() => true),
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  return { service, events };
}

function handlers(events: string[]) {
  return {
    onActive: async (term: InstanceTerm) => {
      events.push(`active:${term.epoch}`);
    },
    onLost: async (reason: string) => {
      events.push(`lost:${reason}`);
    },
  };
}

async function startInstance(i: Instance): Promise<void> {
  await i.service.start(handlers(i.events));
}

describe('instance lease rules (domain)', () => {
  const me = { owner: 'a:10:x', host: 'a', pid: 10, startedAt: 2_000 };
  const held: LeaseRow = { owner: 'b:20:y', ownerHost: 'b', ownerPid: 20, epoch: 3, renewedAt: 1_000, expiresAt: 16_000 };

  it('GIVEN a lease renewed while we watch WHEN our wall clock steps far ahead THEN it is not taken over before it lapsed by our monotonic clock', () => {
    const first = observeLease(null, held, 0, 2_000);
    const later = observeLease(first, held, 14_999, 2_000 + 3_600_000);
    expect(later).toBe(first);
    expect(judgeTakeover({ row: held, sighting: later, monotonicNow: 14_999, expiresAfterMs: 15_000, me, isProcessAlive: () => true })).toMatchObject({
      take: false,
      lapsesInMs: 1,
    });
    expect(judgeTakeover({ row: held, sighting: later, monotonicNow: 15_000, expiresAfterMs: 15_000, me, isProcessAlive: () => true })).toEqual({
      take: true,
      reason: 'lapsed',
    });
  });

  it('GIVEN a holder whose wall clock stepped back WHEN we see its new renewal with an expiry already past THEN that proves it alive: no takeover', () => {
    const first = observeLease(null, held, 0, 2_000);
    const renewed = { ...held, renewedAt: 1_000 - 3_600_000, expiresAt: 16_000 - 3_600_000 };
    const sighting = observeLease(first, renewed, 5_000, 7_000);
    expect(sighting.expiredAtFirstSight).toBe(false);
    expect(judgeTakeover({ row: renewed, sighting, monotonicNow: 5_000, expiresAfterMs: 15_000, me, isProcessAlive: () => true }).take).toBe(false);
  });

  it('GIVEN a lease first seen already past its wall-clock expiry WHEN judged THEN it is taken over at once', () => {
    const sighting = observeLease(null, held, 0, 16_000);
    expect(judgeTakeover({ row: held, sighting, monotonicNow: 0, expiresAfterMs: 15_000, me, isProcessAlive: () => true })).toEqual({
      take: true,
      reason: 'expired',
    });
  });

  it('GIVEN a lease held on our host WHEN its pid is ours or dead THEN it is our dead predecessor; on another host a dead pid proves nothing', () => {
    const judge = (row: LeaseRow, alive: boolean) =>
      judgeTakeover({ row, sighting: observeLease(null, row, 0, 2_000), monotonicNow: 0, expiresAfterMs: 15_000, me, isProcessAlive: () => alive });
    expect(judge({ ...held, ownerHost: 'a', ownerPid: 10, owner: 'a:10:old' }, true)).toEqual({ take: true, reason: 'predecessor' });
    expect(judge({ ...held, ownerHost: 'a', ownerPid: 11, owner: 'a:11:old' }, false)).toEqual({ take: true, reason: 'predecessor' });
    expect(judge({ ...held, ownerHost: 'a', ownerPid: 11, owner: 'a:11:old' }, true).take).toBe(false);
    expect(judge({ ...held, ownerHost: 'b', ownerPid: 20 }, false).take).toBe(false);
  });

  it('GIVEN a twin on our host with our pid (two containers given one hostname) WHEN it renewed after we started THEN it is not our dead predecessor', () => {
    const twin: LeaseRow = { ...held, owner: 'a:10:twin', ownerHost: 'a', ownerPid: 10, renewedAt: 2_001, expiresAt: 17_001 };
    expect(
      judgeTakeover({ row: twin, sighting: observeLease(null, twin, 0, 2_500), monotonicNow: 0, expiresAfterMs: 15_000, me, isProcessAlive: () => true }),
    ).toMatchObject({
      take: false,
    });
  });

  it('GIVEN a holder on our host that renewed after we started WHEN its pid is no longer alive (kill -9) THEN it is our dead predecessor at once', () => {
    const killed: LeaseRow = { ...held, owner: 'a:11:old', ownerHost: 'a', ownerPid: 11, renewedAt: 5_000, expiresAt: 20_000 };
    expect(
      judgeTakeover({ row: killed, sighting: observeLease(null, killed, 0, 6_000), monotonicNow: 0, expiresAfterMs: 15_000, me, isProcessAlive: () => false }),
    ).toEqual({
      take: true,
      reason: 'predecessor',
    });
  });

  it('GIVEN a free lease (never held or released) WHEN judged THEN it is taken at once', () => {
    const free: LeaseRow = { ...held, owner: null, ownerHost: null, ownerPid: null };
    expect(
      judgeTakeover({ row: free, sighting: observeLease(null, free, 0, 0), monotonicNow: 0, expiresAfterMs: 15_000, me, isProcessAlive: () => true }),
    ).toEqual({
      take: true,
      reason: 'free',
    });
  });
});

describe('InstanceLeaseService', () => {
  it('GIVEN a free lease WHEN an instance starts THEN it is active at epoch 1 and onActive ran before start resolved', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    await startInstance(a);
    expect(a.events).toEqual(['active:1']);
    expect(a.service.current()).toEqual({ owner: 'a:10:aaaa0000', epoch: 1 });
    expect(a.service.status()).toMatchObject({ role: 'active', owner: 'a:10:aaaa0000', epoch: 1, holder: 'a:10:aaaa0000', renewedAt: clock.now() });
    await a.service.stop({ release: true });
  });

  it('GIVEN an active instance that keeps renewing WHEN a standby watches for much longer than the expiry THEN the standby never takes over', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(a);
    await startInstance(b);
    expect(b.service.status()).toMatchObject({ role: 'standby', epoch: 1, holder: 'a:10:aaaa0000' });
    await timers.advance(10 * EXPIRY);
    expect(b.events).toEqual([]);
    expect(b.service.current()).toBeNull();
    expect(a.service.current()?.epoch).toBe(1);
    expect(store.row.epoch).toBe(1);
  });

  it('GIVEN an active instance frozen (SIGSTOP) WHEN the standby saw the same renewal for the expiry THEN it takes over at epoch + 1, and the frozen one, resumed, has no term and steps down', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const frozenTimers = new ManualTimers(clock);
    const a = instance(store, clock, frozenTimers, identity('a', 10));
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(a);
    await startInstance(b);
    await timers.advance(EXPIRY - POLL);
    expect(b.service.current()).toBeNull();
    await timers.advance(POLL);
    expect(b.events).toEqual(['active:2']);
    expect(b.service.current()).toEqual({ owner: 'b:20:aaaa0000', epoch: 2 });
    // Resumed: before its timer even fires, its fence no longer names a term (its renewal lapsed).
    expect(a.service.current()).toBeNull();
    await frozenTimers.advance(0);
    expect(a.events).toEqual(['active:1', 'lost:another instance took over the lease']);
    expect(a.service.status()).toMatchObject({ role: 'standby' });
    expect(store.row).toMatchObject({ owner: 'b:20:aaaa0000', epoch: 2 });
  });

  it('GIVEN a standby WHEN its wall clock steps forward an hour THEN it still waits for the lease to lapse by its monotonic clock', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const frozen = new ManualTimers(clock);
    const a = instance(store, clock, frozen, identity('a', 10));
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(a);
    await startInstance(b);
    clock.step(3_600_000);
    await timers.advance(EXPIRY - POLL);
    expect(b.events).toEqual([]);
    await timers.advance(POLL);
    expect(b.events).toEqual(['active:2']);
  });

  it('GIVEN an active instance whose wall clock steps back an hour WHEN it renews under a watching standby THEN the standby does not take over', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(a);
    await startInstance(b);
    clock.step(-3_600_000);
    await timers.advance(3 * EXPIRY);
    expect(b.events).toEqual([]);
    expect(a.service.current()?.epoch).toBe(1);
  });

  it('GIVEN a standby that starts while the row was left expired long ago THEN it takes over at once', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    store.row = { owner: 'gone:1:x', ownerHost: 'gone', ownerPid: 1, epoch: 7, renewedAt: clock.now() - 60_000, expiresAt: clock.now() - 45_000 };
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(b);
    expect(b.events).toEqual(['active:8']);
  });

  it('GIVEN a lease held by our own killed predecessor (same host, same pid as in a container, or a dead pid) WHEN we start THEN we take over at once', async () => {
    for (const [pid, alive] of [
      [20, true],
      [21, false],
    ] as const) {
      const clock = new ManualClock();
      const timers = new ManualTimers(clock);
      const store = new MemoryLeaseStore();
      store.row = { owner: `b:${pid}:old`, ownerHost: 'b', ownerPid: pid, epoch: 4, renewedAt: clock.now(), expiresAt: clock.now() + EXPIRY };
      const b = instance(store, clock, timers, identity('b', 20), { alive: () => alive });
      await startInstance(b);
      expect(b.events).toEqual(['active:5']);
    }
  });

  it('GIVEN two instances with the same host name and pid (containers given one hostname) WHEN both run for long THEN the lease changes hands at most once, never back and forth', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('same', 1, 'aaaa'));
    await startInstance(a);
    clock.advance(100);
    const b = instance(store, clock, timers, identity('same', 1, 'bbbb'));
    await startInstance(b);
    await timers.advance(10 * EXPIRY);
    expect(store.row.epoch).toBeLessThanOrEqual(2);
    expect([a.service.current(), b.service.current()].filter((t) => t !== null)).toHaveLength(1);
  });

  it('GIVEN a lease held by a live process of our host WHEN we start THEN we stand by', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    store.row = { owner: 'b:21:other', ownerHost: 'b', ownerPid: 21, epoch: 4, renewedAt: clock.now(), expiresAt: clock.now() + EXPIRY };
    const b = instance(store, clock, timers, identity('b', 20), { alive: () => true });
    await startInstance(b);
    expect(b.events).toEqual([]);
    expect(b.service.status()).toMatchObject({ role: 'standby', epoch: 4, holder: 'b:21:other' });
  });

  it('GIVEN an active instance and a standby WHEN the active one stops gracefully THEN it releases the lease and the standby is active at its next poll', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    const b = instance(store, clock, timers, identity('b', 20));
    await startInstance(a);
    await startInstance(b);
    await a.service.stop({ release: true });
    expect(a.service.status().role).toBe('stopped');
    expect(a.service.current()).toBeNull();
    expect(store.row).toMatchObject({ owner: null, epoch: 1 });
    await timers.advance(POLL);
    expect(b.events).toEqual(['active:2']);
    expect(a.events).toEqual(['active:1']);
  });

  it('GIVEN an active instance whose renewals fail (store errors) WHEN the expiry passes by its monotonic clock THEN its fence turns null and it steps down', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    await startInstance(a);
    store.failing = true;
    await timers.advance(EXPIRY - 1);
    expect(a.service.current()?.epoch).toBe(1);
    expect(a.events).toEqual(['active:1']);
    await timers.advance(1);
    expect(a.service.current()).toBeNull();
    await timers.advance(RENEW);
    expect(a.events[1]).toMatch(/^lost:could not renew the lease for 15000 ms/);
    expect(a.service.status().role).toBe('standby');
  });

  it('GIVEN an active instance WHEN another took over and it confirms THEN confirm is false and it steps down at once', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    await startInstance(a);
    expect(await a.service.confirm()).toBe(true);
    store.row = { ...store.row, owner: 'b:20:x', epoch: 2 };
    expect(await a.service.confirm()).toBe(false);
    expect(a.service.current()).toBeNull();
    await drainMicrotasks();
    expect(a.events).toEqual(['active:1', 'lost:another instance holds the lease (epoch 2)']);
  });

  it('GIVEN onActive throws WHEN the instance starts THEN start rejects, naming the cause, and the lease is given up', async () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const store = new MemoryLeaseStore();
    const a = instance(store, clock, timers, identity('a', 10));
    const failed = a.service.start({
      onActive: async () => {
        throw new Error('Discord login refused');
      },
      onLost: async () => {},
    });
    await expect(failed).rejects.toThrow(InstanceActivationError);
    await expect(failed).rejects.toThrow(/Discord login refused/);
    expect(store.row).toMatchObject({ owner: null, epoch: 1 });
    expect(a.service.status().role).toBe('stopped');
    expect(timers.size).toBe(0);
  });
});
