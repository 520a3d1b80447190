import type { Actor } from '../domain/draft.js';
import { remainingScope, scopeCovers, scopeHoldsGeneration, scopeHoldsPublishing, widenScope, type PauseScope, type PauseState } from '../domain/schedule.js';
import type { Logger } from '../logging/index.js';
import type { Clock, ModerationEventRepository, PauseAnnouncer, PauseStateReader, SettingsRepository } from './ports.js';
import { SETTINGS } from './settings-keys.js';

export interface PauseServiceDeps {
  readonly settings: SettingsRepository;
  readonly moderationEvents: ModerationEventRepository;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly announcer?: PauseAnnouncer | undefined;
  /**
   * Called while publishing is still held, right before a /resume releases it: spreads what
   * became due during the pause (see PublicationRepository.spreadDueBacklog), so the publish
   * timer, once released, never sends it as a burst. Returns how many publications it spread.
   */
  readonly beforePublishingReleased?: (() => Promise<number>) | undefined;
  /** Called after a resume with what it released, e.g. to handle at once the overdue drafts the pause held and settle missed slots. */
  readonly onResumed?: ((released: PauseScope) => void) | undefined;
}

export type PauseResult =
  { readonly changed: true; readonly state: PauseState; readonly widenedFrom: PauseScope | null } | { readonly changed: false; readonly state: PauseState };

export type ResumeResult =
  | {
      readonly changed: true;
      readonly previous: PauseState;
      /** What this resume released: the asked scope narrowed to what was held. */
      readonly released: PauseScope;
      /** What stays held (a resume of one part of a pause of both); null when the pause ended. */
      readonly remaining: PauseState | null;
      /** Publications due during the pause, now spread out by the caps (0 when publishing was not released). */
      readonly spread: number;
    }
  | { readonly changed: false; readonly previous: PauseState | null };

/**
 * /pause and /resume: holds and releases draft generation (scope `generation`), everything that
 * goes to X (scope `publishing`: the publish queue, an Approve or a Retry, publishing on timeout,
 * publications a crash interrupted), or both (`all`). The scheduler reads `holdsGeneration()`;
 * the publishing service, the moderation service's deadline sweep and app.ts read
 * `holdsPublishing()`. The state lives in settings so it survives a restart; every change is
 * written to the audit log and announced in the moderation channel.
 */
export class PauseService implements PauseStateReader {
  private readonly log: Logger;

  constructor(private readonly deps: PauseServiceDeps) {
    this.log = deps.logger.child({ component: 'pause' });
  }

  /** The current pause, whatever it holds, or null while posting runs. */
  async current(): Promise<PauseState | null> {
    return this.deps.settings.get(SETTINGS.pause);
  }

  async holdsGeneration(): Promise<PauseState | null> {
    const state = await this.current();
    return state && scopeHoldsGeneration(state.scope) ? state : null;
  }

  async holdsPublishing(): Promise<PauseState | null> {
    const state = await this.current();
    return state && scopeHoldsPublishing(state.scope) ? state : null;
  }

  /**
   * Pauses `scope`. A pause that already holds it changes nothing (and keeps its author and
   * time); one that holds the other part widens to `all`, keeping its author, time and reason
   * (the new reason fills in one it lacked), and says so (`widenedFrom`).
   */
  async pause(actor: Actor, reason: string | null, scope: PauseScope = 'all', interactionId?: string): Promise<PauseResult> {
    const now = this.deps.clock.now();
    const existing = await this.current();
    const why = reason && reason.trim() !== '' ? reason.trim() : null;
    if (existing && scopeCovers(existing.scope, scope)) {
      await this.audit(actor, 'pause', 'already_paused', `holds ${existing.scope}; asked ${scope}`, interactionId, now);
      return { changed: false, state: existing };
    }
    const state: PauseState = existing
      ? { ...existing, reason: existing.reason ?? why, scope: widenScope(existing.scope, scope) }
      : { by: actor, since: now, reason: why, scope };
    await this.deps.settings.set(SETTINGS.pause, state, now);
    const widenedFrom = existing ? existing.scope : null;
    await this.audit(
      actor,
      'pause',
      widenedFrom ? 'widened' : 'paused',
      widenedFrom ? `${widenedFrom} -> ${state.scope}${why ? `: ${why}` : ''}` : `${scope}${state.reason ? `: ${state.reason}` : ''}`,
      interactionId,
      now,
    );
    this.log.warn(widenedFrom ? 'pause widened' : 'posting paused', { by: actor.id, reason: state.reason, scope: state.scope, widenedFrom });
    await this.announce(() => this.deps.announcer?.announcePause(state, widenedFrom ?? undefined));
    return { changed: true, state, widenedFrom };
  }

  /**
   * Releases `scope` (default all). Resuming a part the pause does not hold changes nothing.
   * Releasing publishing first spreads the backlog (while still held, so nothing can go out in
   * between), then clears the hold.
   */
  async resume(actor: Actor, scope: PauseScope = 'all', interactionId?: string): Promise<ResumeResult> {
    const now = this.deps.clock.now();
    const previous = await this.current();
    const left = previous ? remainingScope(previous.scope, scope) : null;
    if (!previous || left === previous.scope) {
      await this.audit(actor, 'resume', 'not_paused', previous ? `holds ${previous.scope}; asked ${scope}` : null, interactionId, now);
      return { changed: false, previous };
    }
    const released: PauseScope = left === null ? previous.scope : scope;
    let spread = 0;
    if (scopeHoldsPublishing(released) && this.deps.beforePublishingReleased) {
      try {
        spread = await this.deps.beforePublishingReleased();
      } catch (error) {
        // The moderator asked for publishing back; the caps still pace what goes out.
        this.log.error('could not spread the publications due during the pause; the caps alone pace them', { error });
      }
    }
    const remaining: PauseState | null = left === null ? null : { ...previous, scope: left };
    await this.deps.settings.set(SETTINGS.pause, remaining, this.deps.clock.now());
    const detail = `released ${released}${remaining ? `, still holding ${remaining.scope}` : ''}; paused since ${new Date(previous.since).toISOString()} by ${previous.by.name}${spread > 0 ? `; ${spread} due publication(s) spread out` : ''}`;
    await this.audit(actor, 'resume', remaining ? 'partly_resumed' : 'resumed', detail, interactionId, now);
    this.log.warn(remaining ? 'pause narrowed' : 'posting resumed', {
      by: actor.id,
      pausedSince: previous.since,
      released,
      remaining: remaining?.scope ?? null,
      spread,
    });
    await this.announce(() => this.deps.announcer?.announceResume(actor, previous, remaining));
    this.deps.onResumed?.(released);
    return { changed: true, previous, released, remaining, spread };
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
