import { DAY_MS, HOUR_MS, type PostingCaps } from './rate-limits.js';
import { formatWindow, isWithinActiveHours, type DailyWindow } from './schedule.js';
import { localDateTimeOf, utcOffsetAt, wallClockOf } from './time-zone.js';

/**
 * Publishing slots: the local times of the week at which an account's approved posts go out
 * ("09:00" every day, "Mon-Fri 08:30", "Sat,Sun 11:00"). Pure: every zone conversion reads the
 * zone's offsets from Intl (the IANA data of the runtime), never from hand-made offset tables.
 * It is done per local day rather than with one croner job per rule because Approve searches
 * slots every time and croner's `nextRun` with a time zone costs ~0.15 ms a call (9 ms for 10
 * rules over 8 days); tests/unit/slots.test.ts checks it against croner across DST changes.
 *
 * DST, as croner 11 (the scheduler's cron library) resolves it, and as this module does too:
 * - spring forward: a slot inside the skipped hour (02:30 in Europe/Berlin on the last Sunday
 *   of March) runs ONCE that day, at the first valid local time after the gap (03:00 local);
 *   it is not skipped. If another rule is at that very instant, the two are one slot.
 * - fall back: a slot inside the repeated hour runs ONCE, at its first occurrence (the
 *   summer-time one).
 */

/** One slot rule: a local time of day on some weekdays. */
export interface SlotRule {
  /** 0 = Sunday .. 6 = Saturday, ascending; all seven means every day. */
  readonly weekdays: readonly number[];
  /** Local minutes since midnight, 0..1439. */
  readonly minuteOfDay: number;
  /** The spec as written (trimmed), for messages. */
  readonly spec: string;
}

/** A slot spec that cannot be read; `reason` says what is wrong and shows the expected form. */
export class SlotSpecError extends Error {
  constructor(
    readonly spec: string,
    readonly reason: string,
  ) {
    super(`${JSON.stringify(spec)} is not a slot: ${reason}`);
    this.name = 'SlotSpecError';
  }
}

/** The examples every slot message shows. */
export const SLOT_SPEC_EXAMPLES = '"09:00", "Mon-Fri 08:30" or "Sat,Sun 11:00"';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const FULL_DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6] as const;

function weekdayOf(word: string): number | null {
  const lower = word.trim().toLowerCase();
  if (lower.length < 3) return null;
  const index = FULL_DAY_NAMES.findIndex((name) => name.startsWith(lower));
  return index === -1 ? null : index;
}

const TIME = /^(\d{1,2}):(\d{2})$/;

/** `HH:MM` (or `H:MM`) to minutes since midnight, or null. */
function minuteOfDayOf(text: string): number | null {
  const match = TIME.exec(text.trim());
  if (!match) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59) return null;
  return hour * 60 + minute;
}

function parseWeekdays(spec: string, text: string): number[] {
  const days = new Set<number>();
  const lower = text.trim().toLowerCase();
  if (lower === 'daily' || lower === 'every day' || lower === '*') return [...ALL_DAYS];
  for (const item of text.split(',')) {
    const part = item.trim();
    if (part === '') throw new SlotSpecError(spec, `empty weekday in "${text}"; expected e.g. ${SLOT_SPEC_EXAMPLES}`);
    const [from, to, ...rest] = part.split('-');
    if (rest.length > 0) throw new SlotSpecError(spec, `"${part}" is not a weekday or a range; expected e.g. ${SLOT_SPEC_EXAMPLES}`);
    const start = weekdayOf(from ?? '');
    if (start === null)
      throw new SlotSpecError(spec, `unknown weekday "${(from ?? '').trim()}"; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun, e.g. ${SLOT_SPEC_EXAMPLES}`);
    if (to === undefined) {
      days.add(start);
      continue;
    }
    const end = weekdayOf(to);
    if (end === null) throw new SlotSpecError(spec, `unknown weekday "${to.trim()}"; expected Mon, Tue, Wed, Thu, Fri, Sat or Sun, e.g. ${SLOT_SPEC_EXAMPLES}`);
    // A range wraps the week: "Sun-Tue" is Sunday, Monday, Tuesday; "Fri-Mon" is four days.
    for (let day = start; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === end) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

/** Reads one spec: `HH:MM` (every day) or `<weekdays> HH:MM`, weekdays a comma list of days and ranges. */
function parseSlotSpec(raw: string): SlotRule {
  const spec = raw.trim();
  if (spec === '') throw new SlotSpecError(raw, `is empty; expected e.g. ${SLOT_SPEC_EXAMPLES}`);
  const lastSpace = spec.search(/\s+\S+$/);
  const timeText = lastSpace === -1 ? spec : spec.slice(lastSpace).trim();
  const minuteOfDay = minuteOfDayOf(timeText);
  if (minuteOfDay === null) {
    throw new SlotSpecError(spec, `"${timeText}" is not a time of day; expected HH:MM from 00:00 to 23:59, e.g. ${SLOT_SPEC_EXAMPLES}`);
  }
  const weekdays = lastSpace === -1 ? [...ALL_DAYS] : parseWeekdays(spec, spec.slice(0, lastSpace));
  return { weekdays, minuteOfDay, spec };
}

/** Parses slot specs such as "09:00", "Mon-Fri 08:30", "Sat,Sun 11:00". Throws SlotSpecError on the first bad one. */
export function parseSlotSpecs(specs: readonly string[]): SlotRule[] {
  return specs.map(parseSlotSpec);
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;

/** "Mon-Fri", "Sat,Sun", "Sun-Tue", or "" for every day. Runs of three or more days are ranges; a run may wrap the week. */
function describeWeekdays(weekdays: readonly number[]): string {
  const set = new Set(weekdays);
  if (set.size === 7) return '';
  // Walk the week Monday first, as people write it, and start a run where the previous day is absent.
  const mondayFirst = [1, 2, 3, 4, 5, 6, 0];
  const parts: string[] = [];
  for (const day of mondayFirst) {
    if (!set.has(day) || set.has((day + 6) % 7)) continue;
    let end = day;
    while (set.has((end + 1) % 7)) end = (end + 1) % 7;
    const length = ((end - day + 7) % 7) + 1;
    if (length >= 3) parts.push(`${DAY_NAMES[day]}-${DAY_NAMES[end]}`);
    else for (let d = day, i = 0; i < length; d = (d + 1) % 7, i++) parts.push(DAY_NAMES[d]!);
  }
  return parts.join(',');
}

/** The rules as people write them: "Mon-Fri 08:30, Sat,Sun 11:00"; "none" for no rules. */
export function describeSlotRules(rules: readonly SlotRule[]): string {
  if (rules.length === 0) return 'none';
  return rules
    .map((rule) => {
      const days = describeWeekdays(rule.weekdays);
      return days === '' ? hhmm(rule.minuteOfDay) : `${days} ${hhmm(rule.minuteOfDay)}`;
    })
    .join(', ');
}

/** The default look-ahead of slot searches: the planning horizon of the scheduler. */
export const SLOT_HORIZON_MS = 8 * DAY_MS;

/** A calendar date, as the account's zone names it. */
interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The calendar date `days` after `date` (plain calendar arithmetic: no zone is involved). */
function addDays(date: LocalDate, days: number): LocalDate {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/**
 * The zone's offsets a day before and a day after noon of `date`: they bracket any change on
 * that day (zones change at most once in two days). Equal: every wall time of the day is
 * unambiguous and maps with that one offset.
 */
function offsetsAround(date: LocalDate, timeZone: string): { readonly before: number; readonly after: number } {
  const noon = Date.UTC(date.year, date.month - 1, date.day, 12);
  return { before: utcOffsetAt(noon - DAY_MS, timeZone), after: utcOffsetAt(noon + DAY_MS, timeZone) };
}

/**
 * The instant of a local wall-clock time on `date` in `timeZone`, or 'skipped' when the clocks
 * jump over it. On a day with a change, the earlier of the two readings that reads back as the
 * wall time is the first occurrence (fall back: the repeated hour counts once, the first time).
 */
function localTimeToInstant(
  date: LocalDate,
  minuteOfDay: number,
  timeZone: string,
  offsets: { readonly before: number; readonly after: number } = offsetsAround(date, timeZone),
): number | 'skipped' {
  const wall = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  const { before, after } = offsets;
  if (before === after) return wall - before;
  const candidates = [wall - before, wall - after].filter((instant) => wallClockOf(instant, timeZone) === wall).sort((a, b) => a - b);
  if (candidates[0] !== undefined) return candidates[0];
  return 'skipped';
}

/**
 * Where a wall time the clocks skip runs: the first instant after the gap, i.e. the moment of
 * the change (croner does the same: 02:30 on a 02:00->03:00 night runs at 03:00). Found by
 * bisection between the two readings of the wall time, to the second.
 */
function endOfGap(date: LocalDate, minuteOfDay: number, timeZone: string, offsets: { readonly before: number; readonly after: number }): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  let low = wall - offsets.after; // still before the change: reads as a time before the gap
  let high = wall - offsets.before; // already after it
  while (high - low > 1000) {
    const middle = Math.floor((low + high) / 2000) * 1000;
    if (utcOffsetAt(middle, timeZone) === offsets.after) high = middle;
    else low = middle;
  }
  return high;
}

/** The local date of `at` in `timeZone`. */
function localDateOf(at: number, timeZone: string): LocalDate {
  const { year, month, day } = localDateTimeOf(at, timeZone);
  return { year, month, day };
}

/** No zone is more than 14 hours from UTC: a local day starting this long before `end` (as UTC) cannot hold a slot up to `end`. */
const MAX_ZONE_OFFSET_MS = 15 * HOUR_MS;

/** Slot times strictly after `after`, ascending, at most `limit`, none beyond `after + horizonMs` (default 8 days). */
export function slotTimesAfter(rules: readonly SlotRule[], timeZone: string, after: number, limit: number, horizonMs: number = SLOT_HORIZON_MS): number[] {
  if (limit <= 0 || rules.length === 0) return [];
  const end = after + horizonMs;
  const times = new Set<number>();
  const first = localDateOf(after, timeZone);
  for (let offset = 0; ; offset++) {
    const date = addDays(first, offset);
    if (Date.UTC(date.year, date.month - 1, date.day) - MAX_ZONE_OFFSET_MS > end) break;
    const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
    const todays = rules.filter((rule) => rule.weekdays.includes(weekday));
    if (todays.length === 0) continue;
    const offsets = offsetsAround(date, timeZone);
    for (const rule of todays) {
      const found = localTimeToInstant(date, rule.minuteOfDay, timeZone, offsets);
      const instant = found === 'skipped' ? endOfGap(date, rule.minuteOfDay, timeZone, offsets) : found;
      if (instant > after && instant <= end) times.add(instant);
    }
  }
  return [...times].sort((a, b) => a - b).slice(0, limit);
}

/**
 * Whether one more post at `at` keeps every rolling hour and day window within the caps.
 * `planned` = publication times already made or scheduled (any order). A window is the
 * (t - 1 h, t] the publisher checks at each publication t, so posts exactly an hour apart
 * never share one; the windows that can hold `at` are those ending at `at` or at a later
 * planned time less than a window length after it.
 */
export function capsAllowAt(at: number, planned: readonly number[], caps: PostingCaps): boolean {
  const near = planned.filter((t) => t > at - DAY_MS && t < at + DAY_MS);
  near.push(at);
  near.sort((a, b) => a - b);
  const fits = (length: number, max: number): boolean => {
    for (const end of near) {
      if (end < at || end >= at + length) continue;
      let count = 0;
      for (const t of near) if (t > end - length && t <= end) count += 1;
      if (count > max) return false;
    }
    return true;
  };
  return fits(HOUR_MS, caps.maxPerHour) && fits(DAY_MS, caps.maxPerDay);
}

export interface SlotSearch {
  readonly rules: readonly SlotRule[];
  readonly timeZone: string;
  readonly activeHours: DailyWindow | null;
  readonly caps: PostingCaps;
  /** Strictly after this time. */
  readonly after: number;
  /** Slot times other queued publications are scheduled for. */
  readonly taken: readonly number[];
  /** Published in the last 24 h + every scheduled time (caps input). */
  readonly planned: readonly number[];
}

/** Enough candidates for 10 rules over 8 days with every one of them taken. */
const MAX_CANDIDATES = 2_000;

/**
 * The first `count` slots strictly after `search.after` that are free, inside active hours and
 * allowed by the caps, each judged on its own (they are alternatives for ONE publication, as
 * /queue "move to" offers them; picking several for several publications is nextFreeSlot again
 * with the previous pick added to `taken` and `planned`).
 */
export function freeSlots(search: SlotSearch, count: number): number[] {
  if (count <= 0) return [];
  const taken = new Set(search.taken);
  const found: number[] = [];
  for (const at of slotTimesAfter(search.rules, search.timeZone, search.after, MAX_CANDIDATES)) {
    if (taken.has(at)) continue;
    if (!isWithinActiveHours(at, search.activeHours, search.timeZone)) continue;
    if (!capsAllowAt(at, search.planned, search.caps)) continue;
    found.push(at);
    if (found.length >= count) break;
  }
  return found;
}

/** The earliest slot strictly after `after` that is free, inside active hours and allowed by the caps; null if none within the horizon. */
export function nextFreeSlot(search: SlotSearch): number | null {
  return freeSlots(search, 1)[0] ?? null;
}

/**
 * Scheduled publications whose slot passed (e.g. the bot was down), oldest first: at most ONE
 * is published now (the oldest younger than graceMs); all the others move to the next free
 * slots, in order. One at most, so a long outage never turns into a burst of posts at start.
 * Entries whose slot is still ahead are not overdue and are left out of both lists.
 */
export function planMissedSlots(input: {
  readonly overdue: readonly { readonly id: number; readonly scheduledFor: number }[];
  readonly now: number;
  readonly graceMs: number;
}): { readonly publishNow: number | null; readonly move: readonly number[] } {
  const { now, graceMs } = input;
  const passed = input.overdue.filter((entry) => entry.scheduledFor <= now).sort((a, b) => a.scheduledFor - b.scheduledFor || a.id - b.id);
  const publishNow = passed.find((entry) => now - entry.scheduledFor < graceMs)?.id ?? null;
  return { publishNow, move: passed.filter((entry) => entry.id !== publishNow).map((entry) => entry.id) };
}

/** The Reschedule modal's text: `next`, or a moment in the account's zone, or why it was refused. */
export type RescheduleInput = { readonly kind: 'next' } | { readonly kind: 'at'; readonly at: number } | { readonly kind: 'invalid'; readonly reason: string };

/** What the Reschedule modal accepts, in every refusal of unreadable text. */
const RESCHEDULE_FORMS = '"next", a date and time "YYYY-MM-DD HH:MM" (e.g. 2026-12-24 18:30), "HH:MM" (the next such time) or "tomorrow HH:MM"';

function isRealDate(date: LocalDate): boolean {
  const probe = new Date(Date.UTC(date.year, date.month - 1, date.day));
  return probe.getUTCFullYear() === date.year && probe.getUTCMonth() === date.month - 1 && probe.getUTCDate() === date.day;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

const DATE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+|t)(\d{1,2}:\d{2})$/;
const TOMORROW_TIME = /^tomorrow\s+(\d{1,2}:\d{2})$/;
const TODAY_TIME = /^today\s+(\d{1,2}:\d{2})$/;

/**
 * The Reschedule modal's text, in the account's zone: `next` (the next free slot), a local date
 * and time ("2026-12-24 18:30"), `HH:MM` (the next such local time: today if still ahead, else
 * tomorrow), or `tomorrow HH:MM` (`today HH:MM` too). Refused, with a reason for the ephemeral
 * reply, when unreadable, not in the future, a local time the clocks skip, or outside the
 * account's active hours.
 */
export function parseRescheduleInput(
  text: string,
  context: { readonly timeZone: string; readonly now: number; readonly activeHours: DailyWindow | null },
): RescheduleInput {
  const { timeZone, now, activeHours } = context;
  const input = text.trim().toLowerCase().replace(/\s+/g, ' ');
  if (input === 'next') return { kind: 'next' };
  const unreadable: RescheduleInput = { kind: 'invalid', reason: `expected ${RESCHEDULE_FORMS}, in ${timeZone}; got ${JSON.stringify(text.trim())}` };

  const today = localDateTimeOf(now, timeZone);
  let date: LocalDate;
  let timeText: string;
  let nextSuchTime = false;
  const dateTime = DATE_TIME.exec(input);
  const tomorrow = TOMORROW_TIME.exec(input);
  const todayTime = TODAY_TIME.exec(input);
  if (dateTime) {
    date = { year: Number(dateTime[1]), month: Number(dateTime[2]), day: Number(dateTime[3]) };
    timeText = dateTime[4]!;
  } else if (tomorrow) {
    date = addDays(today, 1);
    timeText = tomorrow[1]!;
  } else if (todayTime) {
    date = today;
    timeText = todayTime[1]!;
  } else if (TIME.test(input)) {
    date = today;
    timeText = input;
    nextSuchTime = true;
  } else {
    return unreadable;
  }
  const minuteOfDay = minuteOfDayOf(timeText);
  if (minuteOfDay === null) return unreadable;

  if (!isRealDate(date)) return unreadable;
  let instant = localTimeToInstant(date, minuteOfDay, timeZone);
  if (nextSuchTime && (instant === 'skipped' || instant <= now)) {
    date = addDays(date, 1);
    instant = localTimeToInstant(date, minuteOfDay, timeZone);
  }
  const written = `${date.year}-${pad(date.month)}-${pad(date.day)} ${hhmm(minuteOfDay)}`;
  if (instant === 'skipped') {
    return { kind: 'invalid', reason: `${written} does not exist in ${timeZone}: the clocks skip that hour (daylight saving); pick another time` };
  }
  if (instant <= now) {
    return { kind: 'invalid', reason: `${written} (${timeZone}) is in the past; pick a time after now, or "next"` };
  }
  if (!isWithinActiveHours(instant, activeHours, timeZone)) {
    return { kind: 'invalid', reason: `${written} is outside the active hours (${formatWindow(activeHours)} ${timeZone}); pick a time inside them, or "next"` };
  }
  return { kind: 'at', at: instant };
}
