import { exponentialDelayMs, type ExponentialDelay } from '../domain/backoff.js';
import type { DraftStatus } from '../domain/draft.js';
import { formatWindow, isWithinActiveHours, type DailyWindow } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, PauseStateReader } from './ports.js';

/**
 * Keep-ahead (issue 13 §3): with `keepAhead` = N > 0 an account keeps N drafts ahead of its
 * publishing: pending (awaiting moderation) or approved and waiting (queued, or scheduled to a
 * slot). When fewer, it generates, one draft at a time, besides the cron.
 *
 * Why a service of its own and not the posting scheduler: the scheduler's post job runs on a cron
 * and decides one run at a time; keep-ahead runs when the count drops (a rejection, an expiry, a
 * publication: `poke()`, called by what changed it) and on a slow safety sweep, and it needs its
 * own failure backoff so that Claude being down does not turn every poke into a generation
 * attempt. It shares the scheduler's rules where they apply (pause of generation, active hours,
 * MAX_PENDING_DRAFTS) but not the daily cap: scheduled drafts go to future days' slots.
 */

/** After a failed (or skipped) generation: 1 min doubling to 30 min; a success resets it. */
export const KEEP_AHEAD_BACKOFF: ExponentialDelay = { baseMs: 60_000, factor: 2, capMs: 30 * 60_000 };

export interface KeepAheadConfig {
  /** N: drafts to keep pending or approved-and-waiting; 0 = off. */
  readonly keepAhead: number;
  readonly maxPendingDrafts: number;
  readonly activeHours: DailyWindow | null;
  readonly timeZone: string;
}

export interface KeepAheadDeps {
  readonly drafts: { countByStatus(): Promise<Record<DraftStatus, number>> };
  readonly pause: Pick<PauseStateReader, 'holdsGeneration'>;
  /** One generation cycle (ModerationService.generateAndPostDraft with trigger 'keep_ahead'). */
  readonly generate: () => Promise<{ readonly status: 'created' | 'skipped' | 'failed'; readonly reason?: string }>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: KeepAheadConfig;
  readonly backoff?: ExponentialDelay | undefined;
}

/** Why a pass stopped. */
export type KeepAheadStop =
  | 'off'
  | 'enough'
  | 'paused'
  | 'outside_active_hours'
  | 'pending_cap'
  | 'backing_off'
  /** A generation failed or was skipped: the backoff starts. */
  | 'generation_failed';

export interface KeepAheadRun {
  readonly generated: number;
  readonly stoppedBy: KeepAheadStop;
  readonly reason: string;
  /** Drafts pending or approved-and-waiting when the pass stopped. */
  readonly ahead: number;
}

/** Drafts ahead of publishing: pending, or approved and waiting (queued or scheduled). */
export function draftsAhead(counts: Record<DraftStatus, number>): number {
  return counts.pending + counts.approved;
}

export class KeepAheadService {
  private running: Promise<KeepAheadRun> | undefined;
  /** A poke during a pass: one more pass follows it, as the count may have dropped after it was read. */
  private again = false;
  private failures = 0;
  private retryAt = 0;
  private readonly log: Logger;

  constructor(private readonly deps: KeepAheadDeps) {
    this.log = deps.logger.child({ component: 'keep-ahead' });
  }

  get enabled(): boolean {
    return this.deps.config.keepAhead > 0;
  }

  /** The count may have dropped (a decision, a publication): top up in the background. */
  poke(): void {
    if (!this.enabled) return;
    void this.run().catch((error: unknown) => this.log.error('keep-ahead pass failed', { error }));
  }

  /**
   * One pass: generates one draft at a time until N are ahead or a rule stops it. Concurrent
   * calls share the pass running (and ask for one more after it), so two drafts are never
   * generated at once for one account.
   */
  run(): Promise<KeepAheadRun> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let last: KeepAheadRun;
      do {
        this.again = false;
        last = await this.pass();
      } while (this.again && last.stoppedBy !== 'backing_off' && last.stoppedBy !== 'generation_failed');
      return last;
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<KeepAheadRun> {
    const { config } = this.deps;
    let generated = 0;
    // At most N generations a pass: a pipeline that creates drafts the count does not see cannot loop.
    for (let attempt = 0; attempt <= config.keepAhead; attempt += 1) {
      const stop = await this.whyNot();
      if (stop) return { generated, ...stop };
      const outcome = await this.deps.generate();
      if (outcome.status === 'created') {
        generated += 1;
        this.failures = 0;
        this.retryAt = 0;
        continue;
      }
      // Failed (Claude down, invalid output) or skipped (no topic, the pipeline's pending cap): wait before trying again.
      this.failures += 1;
      const delay = exponentialDelayMs(this.failures, this.deps.backoff ?? KEEP_AHEAD_BACKOFF);
      this.retryAt = this.deps.clock.now() + delay;
      const reason = `generation ${outcome.status}${outcome.reason ? `: ${outcome.reason}` : ''}; next try in ${Math.round(delay / 1000)} s`;
      this.log.warn('keep-ahead generation did not produce a draft; backing off', {
        failures: this.failures,
        retryAt: new Date(this.retryAt).toISOString(),
        reason,
      });
      return { generated, stoppedBy: 'generation_failed', reason, ahead: draftsAhead(await this.deps.drafts.countByStatus()) };
    }
    return { generated, stoppedBy: 'enough', reason: 'generated as many as a pass may', ahead: draftsAhead(await this.deps.drafts.countByStatus()) };
  }

  /** The first rule that stops a generation now, or null when one may run. */
  private async whyNot(): Promise<Omit<KeepAheadRun, 'generated'> | null> {
    const { config, clock } = this.deps;
    const counts = await this.deps.drafts.countByStatus();
    const ahead = draftsAhead(counts);
    if (config.keepAhead <= 0) return { stoppedBy: 'off', reason: 'keepAhead is 0', ahead };
    if (ahead >= config.keepAhead) return { stoppedBy: 'enough', reason: `${ahead} of ${config.keepAhead} drafts ahead`, ahead };
    const now = clock.now();
    const pause = await this.deps.pause.holdsGeneration();
    if (pause) return { stoppedBy: 'paused', reason: `draft generation is paused by ${pause.by.name}`, ahead };
    if (!isWithinActiveHours(now, config.activeHours, config.timeZone)) {
      return { stoppedBy: 'outside_active_hours', reason: `outside the active hours (${formatWindow(config.activeHours)} ${config.timeZone})`, ahead };
    }
    if (counts.pending >= config.maxPendingDrafts) {
      return { stoppedBy: 'pending_cap', reason: `pending cap full: ${counts.pending} of ${config.maxPendingDrafts} drafts await moderation`, ahead };
    }
    if (now < this.retryAt)
      return {
        stoppedBy: 'backing_off',
        reason: `backing off after ${this.failures} failed generation(s) until ${new Date(this.retryAt).toISOString()}`,
        ahead,
      };
    return null;
  }
}
