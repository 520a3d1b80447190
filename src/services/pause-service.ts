import type { Actor } from '../domain/draft.js';
import type { PauseState } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, ModerationEventRepository, PauseAnnouncer, SettingsRepository } from './ports.js';
import { SETTINGS } from './settings-keys.js';

export interface PauseServiceDeps {
  readonly settings: SettingsRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly announcer?: PauseAnnouncer | undefined;
  /** Called after a resume, e.g. to handle at once the overdue drafts the pause held. */
  readonly onResumed?: (() => void) | undefined;
}

export type PauseResult = { readonly changed: true; readonly state: PauseState } | { readonly changed: false; readonly state: PauseState };

export type ResumeResult = { readonly changed: true; readonly previous: PauseState } | { readonly changed: false; readonly previous: null };

/**
 * /pause and /resume: holds and releases draft generation and everything the bot publishes on
 * its own (publishing on timeout, the publish queue, publications a crash interrupted; the
 * moderation service, the scheduler and app.ts read `current()` to gate them). The state lives in settings so it
 * survives a restart; every change is written to the audit log and announced in the moderation
 * channel. An explicit Approve or Retry still publishes at once, unless a cap queues it.
 */
export class PauseService {
  private readonly log: Logger;

  constructor(private readonly deps: PauseServiceDeps) {
    this.log = deps.logger.child({ component: 'pause' });
  }

  /** The current pause, or null while posting runs. */
  async current(): Promise<PauseState | null> {
    return this.deps.settings.get(SETTINGS.pause);
  }

  /** Pauses posting; a second pause keeps the first one's author and time. */
  async pause(actor: Actor, reason: string | null, interactionId?: string): Promise<PauseResult> {
    const now = this.deps.clock.now();
    const existing = await this.current();
    if (existing) {
      await this.audit(actor, 'pause', 'already_paused', reason, interactionId, now);
      return { changed: false, state: existing };
    }
    const state: PauseState = { by: actor, since: now, reason: reason && reason.trim() !== '' ? reason.trim() : null };
    await this.deps.settings.set(SETTINGS.pause, state, now);
    await this.audit(actor, 'pause', 'paused', state.reason, interactionId, now);
    this.log.warn('posting paused', { by: actor.id, reason: state.reason });
    await this.announce(() => this.deps.announcer?.announcePause(state));
    return { changed: true, state };
  }

  async resume(actor: Actor, interactionId?: string): Promise<ResumeResult> {
    const now = this.deps.clock.now();
    const previous = await this.current();
    if (!previous) {
      await this.audit(actor, 'resume', 'not_paused', null, interactionId, now);
      return { changed: false, previous: null };
    }
    await this.deps.settings.set(SETTINGS.pause, null, now);
    await this.audit(actor, 'resume', 'resumed', `paused since ${new Date(previous.since).toISOString()} by ${previous.by.name}`, interactionId, now);
    this.log.warn('posting resumed', { by: actor.id, pausedSince: previous.since });
    await this.announce(() => this.deps.announcer?.announceResume(actor, previous));
    this.deps.onResumed?.();
    return { changed: true, previous };
  }

  private async audit(actor: Actor, action: string, outcome: string, detail: string | null, interactionId: string | undefined, now: number): Promise<void> {
    await this.deps.moderationEvents.record({ draftId: null, revision: null, actor, action, outcome, detail, interactionId: interactionId ?? null }, now);
  }

  /** The pause itself already happened; a failed announcement is logged, not raised to the moderator. */
  private async announce(send: () => Promise<void> | undefined): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.log.error('could not announce the pause change in the moderation channel', { error });
    }
  }
}
