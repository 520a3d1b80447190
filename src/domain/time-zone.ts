/**
 * Local time in an IANA zone, read through Intl (the runtime's zone data), never through offset
 * tables of our own. One cached formatter per zone: the calendar, the active hours, /stats and
 * /queue suggest all ask it, some of them many times per request.
 */

/** A local date and time as the zone's clocks show it; weekday 0 = Sunday .. 6. */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The local date and time of `at` (epoch ms) in `timeZone`. */
export function localDateTimeOf(at: number, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(at))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const year = parts['year'] as number;
  const month = parts['month'] as number;
  const day = parts['day'] as number;
  return {
    year,
    month,
    day,
    // The weekday of a calendar date does not depend on the zone: no second formatter needed.
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    hour: (parts['hour'] ?? 0) % 24,
    minute: parts['minute'] as number,
    second: parts['second'] as number,
  };
}

/** The wall clock of `at` in `timeZone`, written as if it were UTC, so wall clocks compare as numbers. */
export function wallClockOf(at: number, timeZone: string): number {
  const local = localDateTimeOf(at, timeZone);
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
}

/** The zone's offset from UTC at `at` (ms, east positive). */
export function utcOffsetAt(at: number, timeZone: string): number {
  const whole = Math.floor(at / 1000) * 1000;
  return wallClockOf(whole, timeZone) - whole;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * A short local time for people, "Thu 3 Dec 09:00", where Discord's own timestamps cannot be
 * used (select labels, schedule notes, audit rows). Built from the cached formatter: one zone
 * reading, no second Intl object per call.
 */
export function shortLocalTime(at: number, timeZone: string): string {
  const { weekday, day, month, hour, minute } = localDateTimeOf(at, timeZone);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${WEEKDAYS[weekday]} ${day} ${MONTHS[month - 1]} ${pad(hour)}:${pad(minute)}`;
}
