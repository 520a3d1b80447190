import { localDateTimeOf } from './time-zone.js';
import type { Actor } from './draft.js';
import type { CapUsage } from './rate-limits.js';

/**
 * Scheduling rules of the posting scheduler: jitter, active hours in the configured time zone,
 * when a run may generate a draft, and how a restart plans the next run without replaying the
 * runs missed while the bot was down. Pure: the clock, the RNG and the cron arithmetic are
 * passed in (the cron arithmetic comes from croner in `src/scheduler`).
 */

/** A daily window in local minutes since midnight; `endMinute` before `startMinute` wraps midnight. */
export interface DailyWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

/**
 * What a /pause holds: draft generation, publishing to X, or both. A pause stored before scopes
 * existed held both, so it reads as 'all'.
 */
export type PauseScope = 'generation' | 'publishing' | 'all';

export const PAUSE_SCOPES: readonly PauseScope[] = ['all', 'generation', 'publishing'];

/** Who paused posting, when, why and what it holds. Persisted so a pause survives a restart. */
export interface PauseState {
  readonly by: Actor;
  readonly since: number;
  readonly reason: string | null;
  readonly scope: PauseScope;
}

/** Whether a pause of `scope` holds draft generation. */
export function scopeHoldsGeneration(scope: PauseScope): boolean {
  return scope !== 'publishing';
}

/** Whether a pause of `scope` holds everything that goes to X. */
export function scopeHoldsPublishing(scope: PauseScope): boolean {
  return scope !== 'generation';
}

/** Whether a pause of `held` already holds everything a pause of `wanted` would. */
export function scopeCovers(held: PauseScope, wanted: PauseScope): boolean {
  return held === 'all' || held === wanted;
}

/** Both holds together: a second /pause with the other scope widens the first to 'all'. */
export function widenScope(a: PauseScope, b: PauseScope): PauseScope {
  return a === b ? a : 'all';
}

/**
 * What is still held after /resume of `released` from a pause of `held`: null when nothing is
 * (the pause ends), `held` unchanged when `released` was not held at all.
 */
export function remainingScope(held: PauseScope, released: PauseScope): PauseScope | null {
  if (released === 'all' || released === held) return null;
  if (held === 'all') return released === 'generation' ? 'publishing' : 'generation';
  return held;
}

/** The scope in words, for replies, the announcement and /status. */
export function describePauseScope(scope: PauseScope): string {
  switch (scope) {
    case 'all':
      return 'generation and publishing';
    case 'generation':
      return 'draft generation only';
    case 'publishing':
      return 'publishing only';
  }
}

/**
 * The spacing of a backlog /resume releases: one post every ceil(1 h / MAX_POSTS_PER_HOUR), so
 * what became due during the pause never goes out as a burst.
 */
export function resumeSpacingMs(maxPostsPerHour: number): number {
  return Math.ceil(3_600_000 / Math.max(1, maxPostsPerHour));
}

/**
 * The queue reason of a publication /pause holds. The card recognises it with `isPauseHoldReason`
 * (a held draft's not_before is already due, so the card cannot tell it by time).
 */
export const PAUSE_HOLD_REASON = 'held by /pause: publishing waits for /resume';

export function isPauseHoldReason(reason: string | null | undefined): boolean {
  return reason === PAUSE_HOLD_REASON;
}

/** Returns the next cron occurrence strictly after `after` (epoch ms), or null if there is none. */
export type NextOccurrence = (after: number) => number | null;

/** How far ahead planning looks for an occurrence inside the active hours before giving up. */
export const PLANNING_HORIZON_MS = 8 * 24 * 3_600_000;

/** Stops a pathological pattern (every second) from making planning or missed-run counting slow. */
const MAX_OCCURRENCES_SCANNED = 20_000;

/** The local minute of the day (0..1439) of `at` in `timeZone` (an IANA name). */
export function localMinuteOfDay(at: number, timeZone: string): number {
  const local = localDateTimeOf(at, timeZone);
  return local.hour * 60 + local.minute;
}

/**
 * Whether `at` falls inside the daily window in `timeZone`. The start is inclusive and the end
 * exclusive; a window whose end is before its start runs overnight (22:00-02:00). No window
 * (null) means always active.
 */
export function isWithinActiveHours(at: number, window: DailyWindow | null, timeZone: string): boolean {
  if (!window) return true;
  const minute = localMinuteOfDay(at, timeZone);
  const { startMinute, endMinute } = window;
  if (startMinute < endMinute) return minute >= startMinute && minute < endMinute;
  return minute >= startMinute || minute < endMinute;
}

/** A random delay in [0, maxJitterMs] whole milliseconds, from the injected RNG (values in [0, 1)). */
export function drawJitter(maxJitterMs: number, rng: () => number): number {
  if (maxJitterMs <= 0) return 0;
  const value = Math.floor(rng() * (maxJitterMs + 1));
  // Guards an RNG that strays outside [0, 1): the bound is a promise to operators.
  return Math.min(maxJitterMs, Math.max(0, value));
}

/** The next planned run: the cron slot and the moment it actually runs (slot + jitter). */
export interface PlannedRun {
  readonly slotAt: number;
  readonly runAt: number;
  readonly jitterMs: number;
}

/**
 * Plans the next run after `now`: the first cron slot whose jittered time lies inside the active
 * hours. The jitter is drawn once, so the run time shown by /status is the one that happens.
 * Null when no slot within {@link PLANNING_HORIZON_MS} qualifies (a schedule that never meets
 * the active hours).
 */
export function planNextRun(input: {
  readonly now: number;
  readonly nextOccurrence: NextOccurrence;
  readonly jitterMs: number;
  readonly activeHours: DailyWindow | null;
  readonly timeZone: string;
}): PlannedRun | null {
  const { now, nextOccurrence, jitterMs, activeHours, timeZone } = input;
  let slot = nextOccurrence(now);
  for (let scanned = 0; slot !== null && scanned < MAX_OCCURRENCES_SCANNED && slot - now <= PLANNING_HORIZON_MS; scanned += 1) {
    const runAt = slot + jitterMs;
    if (isWithinActiveHours(runAt, activeHours, timeZone)) return { slotAt: slot, runAt, jitterMs };
    slot = nextOccurrence(slot);
  }
  return null;
}

/**
 * How many planned runs passed while the bot was not running: the one planned at `plannedRunAt`
 * (if it is in the past) and every later cron slot up to `now`. These are counted for the log
 * and /status, never replayed: the next run is planned from `now`. Capped at a few thousand.
 */
export function countMissedRuns(input: {
  readonly now: number;
  readonly plannedSlotAt: number | null;
  readonly plannedRunAt: number | null;
  readonly nextOccurrence: NextOccurrence;
}): number {
  const { now, plannedSlotAt, plannedRunAt, nextOccurrence } = input;
  if (plannedRunAt === null || plannedRunAt > now) return 0;
  let missed = 1;
  let slot = nextOccurrence(plannedSlotAt ?? plannedRunAt);
  while (slot !== null && slot <= now && missed < MAX_OCCURRENCES_SCANNED) {
    missed += 1;
    slot = nextOccurrence(slot);
  }
  return missed;
}

/** Why a scheduled run generated nothing. */
export type PostSkipCode = 'paused' | 'outside_active_hours' | 'pending_cap' | 'daily_cap' | 'overlap';

/** The decision of one scheduled run. */
export type PostRunDecision = { readonly generate: true } | { readonly generate: false; readonly code: PostSkipCode; readonly reason: string };

/**
 * Whether today's cap still has room for one more publication, counting what is certain to use
 * a slot: publications in the rolling 24 hours plus drafts already approved and waiting in the
 * queue. Pending drafts are not counted: moderators may still reject them.
 */
export function capsLeaveRoomToday(usage: CapUsage, queuedForPublishing: number): boolean {
  return usage.usedToday + queuedForPublishing < usage.maxPerDay;
}

/**
 * The rules a scheduled run checks, in order: pause (of generation: `pause` is the generation
 * hold, null under a pause of publishing only), active hours, pending cap, daily cap.
 * The first that fails names the skip; its reason is logged and shown by /status.
 */
export function decidePostRun(input: {
  readonly now: number;
  readonly pause: PauseState | null;
  readonly activeHours: DailyWindow | null;
  readonly timeZone: string;
  readonly pendingDrafts: number;
  readonly maxPendingDrafts: number;
  readonly usage: CapUsage;
  readonly queuedForPublishing: number;
}): PostRunDecision {
  const { now, pause, activeHours, timeZone, pendingDrafts, maxPendingDrafts, usage, queuedForPublishing } = input;
  if (pause) {
    const what = pause.scope === 'generation' ? 'draft generation is paused' : 'posting is paused';
    return { generate: false, code: 'paused', reason: `${what} by ${pause.by.name}${pause.reason ? ` (${pause.reason})` : ''}` };
  }
  if (!isWithinActiveHours(now, activeHours, timeZone)) {
    return { generate: false, code: 'outside_active_hours', reason: `outside the active hours (${formatWindow(activeHours)} ${timeZone})` };
  }
  if (pendingDrafts >= maxPendingDrafts) {
    return {
      generate: false,
      code: 'pending_cap',
      reason: `pending cap full: ${pendingDrafts} of ${maxPendingDrafts} drafts await moderation`,
    };
  }
  if (!capsLeaveRoomToday(usage, queuedForPublishing)) {
    return {
      generate: false,
      code: 'daily_cap',
      reason: `the daily cap leaves no room: ${usage.usedToday} published in 24 h + ${queuedForPublishing} queued of ${usage.maxPerDay}`,
    };
  }
  return { generate: true };
}

/** `08:00-23:00` for a window, `always` for none. */
export function formatWindow(window: DailyWindow | null): string {
  if (!window) return 'always';
  const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  return `${hhmm(window.startMinute)}-${hhmm(window.endMinute)}`;
}
