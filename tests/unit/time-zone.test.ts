import { describe, expect, it } from 'vitest';
import { localDateTimeOf, shortLocalTime, utcOffsetAt } from '../../src/domain/time-zone.js';
import { mulberry32 } from '../support/seeded-random.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'];

/** What the runtime's own formatter says (its parts, in our order), the reference the cached reading must agree with. */
function intlShort(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('day')} ${part('month')} ${part('hour')}:${part('minute')}`;
}

describe('time-zone', () => {
  it('GIVEN 600 seeded instants over 2026 in six zones WHEN shortLocalTime formats them THEN each equals the runtime Intl formatting', () => {
    const rng = mulberry32(14);
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 600; i++) {
      const at = start + Math.floor(rng() * 365 * 86_400_000);
      const zone = ZONES[i % ZONES.length] as string;
      expect(shortLocalTime(at, zone), `${new Date(at).toISOString()} in ${zone}`).toBe(intlShort(at, zone));
    }
  });

  it('GIVEN the Berlin spring-forward night WHEN read before and after 01:00 UTC THEN the offset goes from +1 h to +2 h and the wall clock skips 02:00-03:00', () => {
    const before = Date.UTC(2026, 2, 29, 0, 59);
    const after = Date.UTC(2026, 2, 29, 1, 0);
    expect(utcOffsetAt(before, 'Europe/Berlin')).toBe(3_600_000);
    expect(utcOffsetAt(after, 'Europe/Berlin')).toBe(7_200_000);
    expect(localDateTimeOf(before, 'Europe/Berlin')).toMatchObject({ hour: 1, minute: 59, weekday: 0 });
    expect(shortLocalTime(after, 'Europe/Berlin')).toBe('Sun 29 Mar 03:00');
  });
});
