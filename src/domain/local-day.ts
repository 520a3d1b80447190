import { DAY_MS } from './rate-limits.js';
import { localDateTimeOf, utcOffsetAt } from './time-zone.js';

/**
 * A local calendar day as a number: days since 1970-01-01 of the date the zone's clocks show.
 * The /stats rollups are keyed by it, so "a day" means the account's own day, as the chart's bars do.
 */
export function localDayOf(at: number, timeZone: string): number {
  const local = localDateTimeOf(at, timeZone);
  return Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
}

/** Epoch ms of the local midnight that starts `day` (a localDayOf number) in `timeZone`. */
export function startOfLocalDay(day: number, timeZone: string): number {
  const wall = day * DAY_MS;
  // The offset at the guess, then at the corrected instant: right across a DST change too.
  const guess = wall - utcOffsetAt(wall, timeZone);
  return wall - utcOffsetAt(guess, timeZone);
}

/**
 * The local day of the 1st of the calendar month holding local day `day`: the key of the monthly
 * /stats rollups. A local day number is a calendar date, so this is calendar arithmetic only.
 */
export function monthOfDay(day: number): number {
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY_MS;
}

/** The local day of the 1st of the month after the one `month` (a monthOfDay number) starts. */
export function nextMonth(month: number): number {
  const date = new Date(month * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY_MS;
}
