import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { actingDeadline, judgeTakeover, observeLease, rowNamesTerm, type LeaseSighting } from '../domain/instance-lease.js';
import type { Logger } from '../logging/index.js';
import type {
  Clock,
  InstanceFence,
  InstanceLeaseStatus,
  InstanceLeaseStore,
  InstanceRole,
  InstanceTerm,
  MonotonicClock,
  StoredInstanceLease,
} from './ports.js';

/** Who this process is to the lease: unique per process (a restart is a new owner). */
export interface InstanceIdentity {
  readonly owner: string;
  readonly host: string;
  readonly pid: number;
}

/** `${hostname()}:${pid}:${8 hex}`: the nonce tells two incarnations with the same pid apart (containers run as pid 1). */
export function identityOfThisProcess(nonce: string = randomBytes(4).toString('hex')): InstanceIdentity {
  const host = hostname();
  return { owner: `${host}:${process.pid}:${nonce}`, host, pid: process.pid };
}

/**
 * The publication lease owner of one term (decision 4): `${owner}#${epoch}`. A publication whose
 * lease names any other string belongs to a process or a term that is no longer active.
 */
export function publishingOwnerOf(term: InstanceTerm): string {
  return `${term.owner}#${term.epoch}`;
}

/** Signal 0 tests for existence; EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface InstanceLeaseHandlers {
  /** Becomes active: start everything an active instance runs. Renewals keep running meanwhile. */
  onActive(term: InstanceTerm): Promise<void>;
  /** Lost the lease (the fence already returns null): stop acting at once. */
  onLost(reason: string): Promise<void>;
}

export interface InstanceLeaseServiceDeps {
  readonly store: InstanceLeaseStore;
  readonly clock: Clock;
  readonly monotonic: MonotonicClock;
  readonly logger: Logger;
  readonly identity: InstanceIdentity;
  readonly renewEveryMs: number;
  readonly expiresAfterMs: number;
  /** How often a standby reads the lease. */
  readonly pollEveryMs?: number | undefined;
  readonly isProcessAlive?: ((pid: number) => boolean) | undefined;
  /** Wall-clock ms when this process started (default: when the service is built); see the predecessor rule. */
  readonly startedAt?: number | undefined;
  /** Tests drive the loop by hand (awaiting what `run` returns: the step); production uses setTimeout. */
  readonly setTimer?: ((run: () => Promise<void>, ms: number) => unknown) | undefined;
  readonly clearTimer?: ((handle: unknown) => void) | undefined;
}

const DEFAULT_POLL_MS = 1_000;

/**
 * Holds the instance lease (issue 12 §1): one active instance at a time, the others standing by.
 * The active one renews every `renewEveryMs`; a standby reads the row every `pollEveryMs` and
 * takes over when the domain rules allow (src/domain/instance-lease.ts). It is also the fence
 * the repositories read: `current()` names the term only while this instance may act on it, i.e.
 * until its last successful renewal could have lapsed for a standby (monotonic clock).
 *
 * One step runs at a time (a timer re-armed when the step ends). Handlers run one after the
 * other, outside the steps, so renewals go on while `onActive` connects and reconciles.
 */
export class InstanceLeaseService implements InstanceFence {
  private role: InstanceRole = 'standby';
  private term: InstanceTerm | null = null;
  /** Monotonic ms until which the term may be acted on. */
  private actingUntil = 0;
  private lastSeen: StoredInstanceLease | null = null;
  private sighting: LeaseSighting | null = null;
  private handlers: InstanceLeaseHandlers | null = null;
  private timer: unknown = undefined;
  private running: Promise<void> | undefined;
  /** onActive / onLost, in order. */
  private transitions: Promise<void> = Promise.resolve();
  private stopped = true;
  private readonly pollEveryMs: number;
  private readonly alive: (pid: number) => boolean;
  private readonly setTimer: (run: () => Promise<void>, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private readonly startedAt: number;

  constructor(private readonly deps: InstanceLeaseServiceDeps) {
    this.pollEveryMs = deps.pollEveryMs ?? DEFAULT_POLL_MS;
    this.alive = deps.isProcessAlive ?? isProcessAlive;
    this.setTimer = deps.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.clearTimer = deps.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
    this.startedAt = deps.startedAt ?? deps.clock.now();
  }

  /**
   * Reads the lease once (taking it over if allowed), then keeps going on timers. Resolves once
   * the role is known; when this first attempt made the instance active, after `onActive`
   * resolved (its error is thrown here, after the lease was given up).
   */
  async start(handlers: InstanceLeaseHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopped = false;
    this.role = 'standby';
    let activation: Promise<boolean> | undefined;
    await this.runStep(async () => {
      activation = (await this.step())?.activation;
    });
    if (activation && !(await activation)) {
      await this.stop({ release: true });
      throw new InstanceActivationError(this.deps.identity.owner, this.activationError);
    }
  }

  /** Stops the timers. `release: true` (graceful stop) frees the lease so a standby takes over at its next poll. Does not call onLost. */
  async stop(options: { release: boolean }): Promise<void> {
    this.stopped = true;
    this.disarm();
    await this.running;
    // An onActive in progress finishes first, so the caller steps down a whole start.
    await this.transitions;
    const term = this.term;
    this.term = null;
    this.role = 'stopped';
    if (term && options.release) {
      try {
        const released = await this.deps.store.release(term, this.deps.clock.now());
        this.deps.logger.info(released ? 'Released the instance lease' : 'The instance lease was no longer ours to release', { epoch: term.epoch });
      } catch (error) {
        this.deps.logger.warn('Could not release the instance lease; a standby takes over when it lapses', { epoch: term.epoch, error: String(error) });
      }
    }
  }

  status(): InstanceLeaseStatus {
    const seen = this.lastSeen;
    return {
      role: this.role,
      owner: this.deps.identity.owner,
      epoch: this.term?.epoch ?? seen?.epoch ?? null,
      holder: seen?.owner ?? null,
      renewedAt: seen?.renewedAt ?? null,
      expiresAt: seen?.expiresAt ?? null,
    };
  }

  /** The fence: the term while active and its last renewal cannot have lapsed; null otherwise. */
  current(): InstanceTerm | null {
    if (this.role !== 'active' || this.term === null) return null;
    return this.deps.monotonic.now() < this.actingUntil ? this.term : null;
  }

  /** One read now: is the lease still ours? If not, steps down (onLost) and returns false. A failed read returns false without stepping down. */
  async confirm(): Promise<boolean> {
    const term = this.current();
    if (term === null) return false;
    let row: StoredInstanceLease;
    try {
      row = await this.deps.store.read();
    } catch (error) {
      this.deps.logger.warn('Could not read the instance lease to confirm it', { error: String(error) });
      return false;
    }
    this.lastSeen = row;
    if (rowNamesTerm(row, term)) return this.current() !== null;
    this.loseTerm(term, `another instance holds the lease (epoch ${row.epoch})`);
    return false;
  }

  // --- the loop ---------------------------------------------------------------------------

  private activationError: unknown;

  /** Runs one step at a time, then re-arms the timer for the next. */
  private async runStep(step: () => Promise<void>): Promise<void> {
    await this.running;
    if (this.stopped) return;
    const run = step()
      .catch((error: unknown) => {
        this.deps.logger.error('Instance lease step failed', { error: String(error) });
      })
      .finally(() => {
        this.running = undefined;
        this.arm();
      });
    this.running = run;
    await run;
  }

  private arm(): void {
    if (this.stopped) return;
    this.disarm();
    const ms = this.role === 'active' ? this.deps.renewEveryMs : this.pollEveryMs;
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      return this.runStep(async () => {
        await this.step();
      });
    }, ms);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }

  /** Renews when active, otherwise reads and maybe takes over; returns the activation (onActive's run) when it took over. */
  private async step(): Promise<{ readonly activation: Promise<boolean> } | undefined> {
    if (this.role === 'active' && this.term) {
      await this.renew(this.term);
      return undefined;
    }
    return this.watch();
  }

  private async renew(term: InstanceTerm): Promise<void> {
    const startedAt = this.deps.monotonic.now();
    const now = this.deps.clock.now();
    const expiresAt = now + this.deps.expiresAfterMs;
    let renewed: boolean;
    try {
      renewed = await this.deps.store.renew(term, now, expiresAt);
    } catch (error) {
      // A store error is not a lost lease; but past the deadline a standby may take over, so stop acting.
      if (this.deps.monotonic.now() >= this.actingUntil) {
        this.loseTerm(term, `could not renew the lease for ${this.deps.expiresAfterMs} ms (${String(error)})`);
      } else {
        this.deps.logger.warn('Could not renew the instance lease; retrying', { epoch: term.epoch, error: String(error) });
      }
      return;
    }
    if (this.term !== term) return;
    if (!renewed) {
      this.loseTerm(term, 'another instance took over the lease');
      return;
    }
    this.actingUntil = actingDeadline(startedAt, this.deps.expiresAfterMs);
    this.lastSeen = this.rowOf(term, now, expiresAt);
  }

  private async watch(): Promise<{ readonly activation: Promise<boolean> } | undefined> {
    const row = await this.deps.store.read();
    const monotonicNow = this.deps.monotonic.now();
    this.lastSeen = row;
    this.sighting = observeLease(this.sighting, row, monotonicNow, this.deps.clock.now());
    const verdict = judgeTakeover({
      row,
      sighting: this.sighting,
      monotonicNow,
      expiresAfterMs: this.deps.expiresAfterMs,
      me: { ...this.deps.identity, startedAt: this.startedAt },
      isProcessAlive: this.alive,
    });
    if (!verdict.take) return undefined;
    const startedAt = this.deps.monotonic.now();
    const now = this.deps.clock.now();
    const expiresAt = now + this.deps.expiresAfterMs;
    const term = await this.deps.store.takeOver(row, this.deps.identity, now, expiresAt);
    if (term === null || this.stopped) {
      if (term) await this.deps.store.release(term, this.deps.clock.now()).catch(() => false);
      return undefined;
    }
    this.term = term;
    this.role = 'active';
    this.actingUntil = actingDeadline(startedAt, this.deps.expiresAfterMs);
    this.sighting = null;
    this.lastSeen = this.rowOf(term, now, expiresAt);
    this.deps.logger.info('Took over the instance lease: active', { epoch: term.epoch, reason: verdict.reason, previous: row.owner });
    return { activation: this.activate(term) };
  }

  /** The row as this instance's own write left it. */
  private rowOf(term: InstanceTerm, renewedAt: number, expiresAt: number): StoredInstanceLease {
    return { owner: term.owner, ownerHost: this.deps.identity.host, ownerPid: this.deps.identity.pid, epoch: term.epoch, renewedAt, expiresAt };
  }

  /** Runs onActive after the transitions before it; on failure gives the lease up again. Resolves true when it succeeded. */
  private activate(term: InstanceTerm): Promise<boolean> {
    const handlers = this.handlers;
    const activation = this.transitions.then(async () => {
      if (this.term !== term || !handlers) return false;
      try {
        await handlers.onActive(term);
        return true;
      } catch (error) {
        this.activationError = error;
        this.deps.logger.error('Starting as the active instance failed; giving the lease up', { epoch: term.epoch, error: String(error) });
        this.loseTerm(term, 'starting as the active instance failed');
        await this.deps.store.release(term, this.deps.clock.now()).catch(() => false);
        return false;
      }
    });
    this.transitions = activation.then(() => undefined);
    return activation;
  }

  /** Stops acting on `term` at once (the fence returns null), then runs onLost in order. */
  private loseTerm(term: InstanceTerm, reason: string): void {
    if (this.term !== term) return;
    this.term = null;
    this.role = this.stopped ? 'stopped' : 'standby';
    this.sighting = null;
    this.deps.logger.warn('Lost the instance lease: stepping down to standby', { epoch: term.epoch, reason });
    const handlers = this.handlers;
    this.transitions = this.transitions.then(async () => {
      try {
        await handlers?.onLost(reason);
      } catch (error) {
        this.deps.logger.error('Stepping down failed', { epoch: term.epoch, error: String(error) });
      }
    });
    if (!this.running) this.arm();
  }
}

/** Becoming active failed (onActive threw); the lease was given up. */
export class InstanceActivationError extends Error {
  constructor(
    readonly owner: string,
    override readonly cause: unknown,
  ) {
    super(`Instance ${owner} could not start as the active instance: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'InstanceActivationError';
  }
}
