import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import {
  capsAllowAt,
  describeSlotRules,
  freeSlots,
  nextFreeSlot,
  parseRescheduleInput,
  parseSlotSpecs,
  planMissedSlots,
  slotTimesAfter,
  SlotSpecError,
  type SlotSearch,
} from '../../src/domain/slots.js';
import type { DailyWindow } from '../../src/domain/schedule.js';

/** Every instant is an ISO string with an explicit offset: the test states the local time AND the zone's offset. */
const at = (iso: string) => Date.parse(iso);
const iso = (times: readonly number[]) => times.map((t) => new Date(t).toISOString());
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('issue 13 §1: slot specs', () => {
  it('GIVEN daily and weekday specs WHEN parsed THEN weekdays are 0=Sunday..6 ascending and the minute is local', () => {
    expect(parseSlotSpecs(['09:00', 'Mon-Fri 08:30', 'Sat,Sun 11:00', 'Sun-Tue 07:00', 'fri-mon 7:05'])).toEqual([
      { weekdays: [0, 1, 2, 3, 4, 5, 6], minuteOfDay: 9 * 60, spec: '09:00' },
      { weekdays: [1, 2, 3, 4, 5], minuteOfDay: 8 * 60 + 30, spec: 'Mon-Fri 08:30' },
      { weekdays: [0, 6], minuteOfDay: 11 * 60, spec: 'Sat,Sun 11:00' },
      { weekdays: [0, 1, 2], minuteOfDay: 7 * 60, spec: 'Sun-Tue 07:00' },
      { weekdays: [0, 1, 5, 6], minuteOfDay: 7 * 60 + 5, spec: 'fri-mon 7:05' },
    ]);
  });

  it('GIVEN "daily" or full weekday names WHEN parsed THEN they mean the same as the short forms', () => {
    expect(parseSlotSpecs(['daily 09:00', 'Monday-Wednesday 10:00', 'tues 11:00']).map((rule) => rule.weekdays)).toEqual([
      [0, 1, 2, 3, 4, 5, 6],
      [1, 2, 3],
      [2],
    ]);
  });

  it('GIVEN rules WHEN described THEN they read as people write them, a wrapping range included', () => {
    expect(describeSlotRules(parseSlotSpecs(['Mon-Fri 08:30', 'Sat,Sun 11:00']))).toBe('Mon-Fri 08:30, Sat,Sun 11:00');
    expect(describeSlotRules(parseSlotSpecs(['Sun-Tue 07:00', '9:00', 'Mon,Wed,Thu,Fri 12:15']))).toBe('Sun-Tue 07:00, 09:00, Mon,Wed-Fri 12:15');
    expect(describeSlotRules([])).toBe('none');
  });

  it.each([
    ['25:00', /"25:00" is not a time of day; expected HH:MM/],
    ['Mon-Fru 08:30', /unknown weekday "Fru"/],
    ['Mon 8', /"8" is not a time of day/],
    ['Mon,,Tue 08:00', /empty weekday/],
    ['Mon-Wed-Fri 08:00', /not a weekday or a range/],
    ['', /is empty/],
  ])('GIVEN the bad spec %j WHEN parsed THEN a SlotSpecError says why and shows an example', (spec, reason) => {
    let error: unknown;
    try {
      parseSlotSpecs(['09:00', spec]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SlotSpecError);
    expect((error as SlotSpecError).reason).toMatch(reason);
    expect((error as SlotSpecError).reason).toContain('"Mon-Fri 08:30"');
  });
});

describe('issue 13 §1: slot times across DST (croner resolves the zone)', () => {
  const berlin = 'Europe/Berlin';
  const newYork = 'America/New_York';

  it('GIVEN a daily 09:00 slot in Europe/Berlin WHEN the clocks spring forward (2026-03-29) THEN it stays at 09:00 local, one hour earlier in UTC', () => {
    const times = slotTimesAfter(parseSlotSpecs(['09:00']), berlin, at('2026-03-27T12:00:00+01:00'), 3);
    expect(times).toEqual([at('2026-03-28T09:00:00+01:00'), at('2026-03-29T09:00:00+02:00'), at('2026-03-30T09:00:00+02:00')]);
  });

  it('GIVEN a 02:30 slot in Europe/Berlin WHEN 02:30 does not exist (spring forward) THEN it runs ONCE that day at 03:00, the first valid local time after the gap', () => {
    const times = slotTimesAfter(parseSlotSpecs(['02:30']), berlin, at('2026-03-28T12:00:00+01:00'), 3);
    expect(iso(times)).toEqual(iso([at('2026-03-29T03:00:00+02:00'), at('2026-03-30T02:30:00+02:00'), at('2026-03-31T02:30:00+02:00')]));
  });

  it('GIVEN a 02:30 slot and a 03:00 slot in Europe/Berlin WHEN the gap moves 02:30 onto 03:00 THEN they are one slot, not two posts at one instant', () => {
    const times = slotTimesAfter(parseSlotSpecs(['02:30', '03:00']), berlin, at('2026-03-28T12:00:00+01:00'), 3);
    expect(times).toEqual([at('2026-03-29T03:00:00+02:00'), at('2026-03-30T02:30:00+02:00'), at('2026-03-30T03:00:00+02:00')]);
  });

  it('GIVEN a 02:30 slot in Europe/Berlin WHEN 02:30 happens twice (fall back, 2026-10-25) THEN it runs ONCE, at the first 02:30', () => {
    const times = slotTimesAfter(parseSlotSpecs(['02:30']), berlin, at('2026-10-24T12:00:00+02:00'), 3);
    expect(times).toEqual([at('2026-10-25T02:30:00+02:00'), at('2026-10-26T02:30:00+01:00'), at('2026-10-27T02:30:00+01:00')]);
    expect(times).not.toContain(at('2026-10-25T02:30:00+01:00'));
  });

  it('GIVEN a 02:30 slot in America/New_York WHEN the clocks spring forward (2026-03-08) THEN it runs once at 03:00 EDT that day', () => {
    const times = slotTimesAfter(parseSlotSpecs(['02:30']), newYork, at('2026-03-07T12:00:00-05:00'), 2);
    expect(times).toEqual([at('2026-03-08T03:00:00-04:00'), at('2026-03-09T02:30:00-04:00')]);
  });

  it('GIVEN a 01:30 slot in America/New_York WHEN 01:30 happens twice (fall back, 2026-11-01) THEN it runs once, at 01:30 EDT', () => {
    const times = slotTimesAfter(parseSlotSpecs(['01:30']), newYork, at('2026-10-31T12:00:00-04:00'), 2);
    expect(times).toEqual([at('2026-11-01T01:30:00-04:00'), at('2026-11-02T01:30:00-05:00')]);
  });

  it('GIVEN weekday rules in America/New_York across the spring change THEN each day keeps its local time', () => {
    const times = slotTimesAfter(parseSlotSpecs(['Mon-Fri 08:30', 'Sat,Sun 11:00']), newYork, at('2026-03-06T09:00:00-05:00'), 4);
    expect(times).toEqual([
      at('2026-03-07T11:00:00-05:00'), // Saturday
      at('2026-03-08T11:00:00-04:00'), // Sunday, now EDT
      at('2026-03-09T08:30:00-04:00'), // Monday
      at('2026-03-10T08:30:00-04:00'),
    ]);
  });
});

describe("issue 13 §1: slot times agree with croner (the scheduler's cron library) in every zone, all year", () => {
  /** The reference: one croner job per rule, as src/scheduler runs cron patterns. */
  function croner(specs: readonly string[], timeZone: string, after: number, end: number): number[] {
    const times = new Set<number>();
    for (const rule of parseSlotSpecs(specs)) {
      const days = rule.weekdays.length === 7 ? '*' : rule.weekdays.join(',');
      const cron = new Cron(`${rule.minuteOfDay % 60} ${Math.floor(rule.minuteOfDay / 60)} * * ${days}`, { timezone: timeZone, paused: true });
      for (let next = cron.nextRun(new Date(after)); next && next.getTime() <= end; next = cron.nextRun(next)) times.add(next.getTime());
    }
    return [...times].sort((a, b) => a - b);
  }

  it.each(['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Santiago', 'Pacific/Chatham'])(
    "GIVEN slots around the change hours in %s WHEN every slot of 2026 is listed THEN they are exactly croner's",
    (timeZone) => {
      const specs = ['00:30', '01:30', '02:00', '02:15', '02:30', '03:00', 'Sun-Tue 02:45', 'Mon-Fri 08:30', '23:30'];
      const start = at('2026-01-01T00:00:00Z');
      const end = at('2027-01-01T00:00:00Z');
      const mine: number[] = [];
      for (let after = start; after < end; after += 7 * DAY) mine.push(...slotTimesAfter(parseSlotSpecs(specs), timeZone, after, 1_000, 7 * DAY));
      expect(iso(mine)).toEqual(iso(croner(specs, timeZone, start, start + Math.ceil((end - start) / (7 * DAY)) * 7 * DAY)));
    },
  );
});

describe('issue 13 §1: weekday rules, limit and horizon', () => {
  it('GIVEN "Mon-Fri 08:30" and "Sat,Sun 11:00" WHEN a week is listed THEN each day has its own slot and no other', () => {
    const times = slotTimesAfter(parseSlotSpecs(['Mon-Fri 08:30', 'Sat,Sun 11:00']), 'UTC', at('2026-06-01T00:00:00Z'), 20);
    expect(iso(times.filter((t) => t < at('2026-06-08T00:00:00Z')))).toEqual(
      iso([
        at('2026-06-01T08:30:00Z'), // Mon
        at('2026-06-02T08:30:00Z'),
        at('2026-06-03T08:30:00Z'),
        at('2026-06-04T08:30:00Z'),
        at('2026-06-05T08:30:00Z'), // Fri
        at('2026-06-06T11:00:00Z'), // Sat
        at('2026-06-07T11:00:00Z'), // Sun
      ]),
    );
  });

  it('GIVEN "Sun-Tue 07:00" WHEN listed from a Thursday THEN the range wraps the week: Sunday, Monday, Tuesday, then the next Sunday', () => {
    const times = slotTimesAfter(parseSlotSpecs(['Sun-Tue 07:00']), 'Europe/Berlin', at('2026-06-04T12:00:00+02:00'), 4, 14 * DAY);
    expect(times).toEqual([at('2026-06-07T07:00:00+02:00'), at('2026-06-08T07:00:00+02:00'), at('2026-06-09T07:00:00+02:00'), at('2026-06-14T07:00:00+02:00')]);
  });

  it('GIVEN a time exactly on a slot WHEN listed THEN the list starts strictly after it', () => {
    expect(slotTimesAfter(parseSlotSpecs(['09:00']), 'UTC', at('2026-06-01T09:00:00Z'), 1)).toEqual([at('2026-06-02T09:00:00Z')]);
  });

  it('GIVEN a weekly slot beyond the horizon WHEN listed THEN nothing is returned; the default horizon is 8 days', () => {
    const rules = parseSlotSpecs(['Mon 09:00']);
    const tuesday = at('2026-06-02T10:00:00Z');
    expect(slotTimesAfter(rules, 'UTC', tuesday, 5, 3 * DAY)).toEqual([]);
    expect(slotTimesAfter(rules, 'UTC', tuesday, 5)).toEqual([at('2026-06-08T09:00:00Z')]);
  });

  it('GIVEN 10 daily rules WHEN listed over the 8-day horizon THEN there are 80 distinct times in order, and `limit` caps the list', () => {
    const specs = Array.from({ length: 10 }, (_, i) => `${String(8 + i).padStart(2, '0')}:15`);
    const rules = parseSlotSpecs(specs);
    const after = at('2026-03-25T00:00:00+01:00'); // the 8 days include Berlin's spring change
    const times = slotTimesAfter(rules, 'Europe/Berlin', after, 1_000);
    expect(times).toHaveLength(80);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(80);
    expect(times.every((t) => t > after && t <= after + 8 * DAY)).toBe(true);
    expect(slotTimesAfter(rules, 'Europe/Berlin', after, 7)).toEqual(times.slice(0, 7));
  });
});

describe('issue 13 §1: caps interplay (rolling windows)', () => {
  const caps = { maxPerHour: 2, maxPerDay: 4 };

  it('GIVEN two posts in the last hour and a cap of 2 per hour WHEN one more is planned THEN it is allowed only once the older one is an hour old', () => {
    const planned = [at('2026-06-01T10:00:00Z'), at('2026-06-01T10:20:00Z')];
    expect(capsAllowAt(at('2026-06-01T10:40:00Z'), planned, caps)).toBe(false);
    expect(capsAllowAt(at('2026-06-01T10:59:59Z'), planned, caps)).toBe(false);
    expect(capsAllowAt(at('2026-06-01T11:00:00Z'), planned, caps)).toBe(true);
  });

  it('GIVEN scheduled posts LATER than the candidate WHEN they would share a rolling hour THEN the candidate is refused (windows look forward too)', () => {
    const planned = [at('2026-06-01T12:00:00Z'), at('2026-06-01T12:30:00Z')];
    expect(capsAllowAt(at('2026-06-01T11:45:00Z'), planned, caps)).toBe(false);
    expect(capsAllowAt(at('2026-06-01T11:30:00Z'), planned, caps)).toBe(true);
    expect(capsAllowAt(at('2026-06-01T13:30:00Z'), planned, caps)).toBe(true);
  });

  it('GIVEN the daily cap is used within the rolling 24 h WHEN one more is planned THEN it waits until the oldest is 24 h old', () => {
    const planned = [at('2026-06-01T06:00:00Z'), at('2026-06-01T09:00:00Z'), at('2026-06-01T12:00:00Z'), at('2026-06-01T15:00:00Z')];
    expect(capsAllowAt(at('2026-06-01T20:00:00Z'), planned, caps)).toBe(false);
    expect(capsAllowAt(at('2026-06-02T05:59:00Z'), planned, caps)).toBe(false);
    expect(capsAllowAt(at('2026-06-02T06:00:00Z'), planned, caps)).toBe(true);
  });

  const search = (overrides: Partial<SlotSearch>): SlotSearch => ({
    rules: parseSlotSpecs(['09:00', '09:30', '10:00']),
    timeZone: 'Europe/Berlin',
    activeHours: null,
    caps: { maxPerHour: 1, maxPerDay: 10 },
    after: at('2026-06-01T08:50:00+02:00'),
    taken: [],
    planned: [],
    ...overrides,
  });

  it('GIVEN a post made at 08:45 and 1 per hour WHEN the next free slot is searched THEN 09:00 and 09:30 are refused by the caps and 10:00 is chosen', () => {
    const published = at('2026-06-01T08:45:00+02:00');
    expect(nextFreeSlot(search({ planned: [published] }))).toBe(at('2026-06-01T10:00:00+02:00'));
  });

  it('GIVEN 10:00 is also taken by another queued post WHEN searched THEN the next slot the caps allow is tomorrow 09:00', () => {
    const published = at('2026-06-01T08:45:00+02:00');
    const other = at('2026-06-01T10:00:00+02:00');
    expect(nextFreeSlot(search({ planned: [published, other], taken: [other] }))).toBe(at('2026-06-02T09:00:00+02:00'));
  });

  it('GIVEN a taken slot and no caps in the way WHEN searched THEN the taken one is skipped', () => {
    const nine = at('2026-06-01T09:00:00+02:00');
    expect(nextFreeSlot(search({ caps: { maxPerHour: 10, maxPerDay: 10 }, taken: [nine], planned: [nine] }))).toBe(at('2026-06-01T09:30:00+02:00'));
  });

  it('GIVEN active hours 09:15-23:00 WHEN searched THEN a slot outside them is skipped', () => {
    const window = { startMinute: 9 * 60 + 15, endMinute: 23 * 60 };
    expect(nextFreeSlot(search({ activeHours: window, caps: { maxPerHour: 10, maxPerDay: 10 } }))).toBe(at('2026-06-01T09:30:00+02:00'));
  });

  it('GIVEN the daily cap is full for days WHEN searched THEN the first slot after the rolling day frees is chosen', () => {
    // 3 per day; three posts made between 09:00 and 10:00 today use the day until 09:00 tomorrow.
    const planned = [at('2026-06-01T09:00:00+02:00'), at('2026-06-01T09:30:00+02:00'), at('2026-06-01T10:00:00+02:00')];
    const found = nextFreeSlot(search({ after: at('2026-06-01T10:00:00+02:00'), caps: { maxPerHour: 5, maxPerDay: 3 }, planned, taken: [] }));
    expect(found).toBe(at('2026-06-02T09:00:00+02:00'));
  });

  it('GIVEN every slot within the horizon taken WHEN searched THEN null', () => {
    const rules = parseSlotSpecs(['Mon 09:00']);
    const sunday = at('2026-06-07T12:00:00+02:00');
    const taken = [at('2026-06-08T09:00:00+02:00'), at('2026-06-15T09:00:00+02:00')];
    expect(nextFreeSlot(search({ rules, after: sunday, taken, planned: taken, caps: { maxPerHour: 5, maxPerDay: 5 } }))).toBeNull();
  });

  it('GIVEN no rules WHEN searched THEN null', () => {
    expect(nextFreeSlot(search({ rules: [] }))).toBeNull();
  });

  it('GIVEN /queue asks for 3 free slots WHEN searched THEN it gets the first three alternatives the caps allow for ONE post', () => {
    const published = at('2026-06-01T08:45:00+02:00');
    expect(freeSlots(search({ planned: [published] }), 3)).toEqual([
      at('2026-06-01T10:00:00+02:00'),
      at('2026-06-02T09:00:00+02:00'),
      at('2026-06-02T09:30:00+02:00'),
    ]);
    expect(freeSlots(search({}), 0)).toEqual([]);
  });
});

describe('issue 13 §1: slots missed while the bot was down (grace rule)', () => {
  const now = at('2026-06-01T12:00:00Z');
  const graceMs = 30 * MINUTE;

  it('GIVEN several missed slots, two within the grace WHEN planned THEN only the oldest one within the grace goes now; every other moves, oldest first', () => {
    const plan = planMissedSlots({
      overdue: [
        { id: 1, scheduledFor: now - 10 * MINUTE },
        { id: 2, scheduledFor: now - 2 * HOUR },
        { id: 3, scheduledFor: now - 40 * MINUTE },
        { id: 4, scheduledFor: now - 5 * MINUTE },
      ],
      now,
      graceMs,
    });
    expect(plan).toEqual({ publishNow: 1, move: [2, 3, 4] });
  });

  it('GIVEN only slots older than the grace WHEN planned THEN nothing goes now and all move in order (never a burst)', () => {
    const plan = planMissedSlots({
      overdue: [
        { id: 7, scheduledFor: now - 31 * MINUTE },
        { id: 5, scheduledFor: now - 3 * HOUR },
      ],
      now,
      graceMs,
    });
    expect(plan).toEqual({ publishNow: null, move: [5, 7] });
  });

  it('GIVEN a slot exactly grace old WHEN planned THEN it is not younger than the grace and moves', () => {
    expect(planMissedSlots({ overdue: [{ id: 1, scheduledFor: now - graceMs }], now, graceMs })).toEqual({ publishNow: null, move: [1] });
    expect(planMissedSlots({ overdue: [{ id: 1, scheduledFor: now - graceMs + 1 }], now, graceMs })).toEqual({ publishNow: 1, move: [] });
  });

  it('GIVEN nothing overdue, or a slot still in the future WHEN planned THEN nothing happens to it', () => {
    expect(planMissedSlots({ overdue: [], now, graceMs })).toEqual({ publishNow: null, move: [] });
    expect(planMissedSlots({ overdue: [{ id: 9, scheduledFor: now + MINUTE }], now, graceMs })).toEqual({ publishNow: null, move: [] });
  });

  it('GIVEN two missed slots at the same instant WHEN planned THEN the lower id goes now and the other moves', () => {
    const plan = planMissedSlots({
      overdue: [
        { id: 12, scheduledFor: now - MINUTE },
        { id: 11, scheduledFor: now - MINUTE },
      ],
      now,
      graceMs,
    });
    expect(plan).toEqual({ publishNow: 11, move: [12] });
  });
});

describe('issue 13 §1: the Reschedule modal text', () => {
  // A Saturday, the day before the change.
  const berlin: { timeZone: string; now: number; activeHours: DailyWindow | null } = {
    timeZone: 'Europe/Berlin',
    now: at('2026-03-28T10:00:00+01:00'),
    activeHours: null,
  };
  const invalid = (text: string, context = berlin) => {
    const result = parseRescheduleInput(text, context);
    if (result.kind !== 'invalid') throw new Error(`expected invalid, got ${JSON.stringify(result)}`);
    return result.reason;
  };

  it('GIVEN "next" in any case WHEN parsed THEN it asks for the next free slot', () => {
    expect(parseRescheduleInput(' Next ', berlin)).toEqual({ kind: 'next' });
  });

  it('GIVEN a local date and time WHEN parsed THEN it is that wall-clock time in the account zone, DST included', () => {
    expect(parseRescheduleInput('2026-03-29 18:30', berlin)).toEqual({ kind: 'at', at: at('2026-03-29T18:30:00+02:00') });
    expect(parseRescheduleInput('2026-03-28 18:30', berlin)).toEqual({ kind: 'at', at: at('2026-03-28T18:30:00+01:00') });
    expect(parseRescheduleInput('2026-12-24T18:30', berlin)).toEqual({ kind: 'at', at: at('2026-12-24T18:30:00+01:00') });
  });

  it('GIVEN HH:MM WHEN parsed THEN it is the next such local time: today if still ahead, else tomorrow (across the change)', () => {
    expect(parseRescheduleInput('18:30', berlin)).toEqual({ kind: 'at', at: at('2026-03-28T18:30:00+01:00') });
    expect(parseRescheduleInput('9:00', berlin)).toEqual({ kind: 'at', at: at('2026-03-29T09:00:00+02:00') });
  });

  it('GIVEN "tomorrow HH:MM" WHEN parsed THEN it is that time on the next local day', () => {
    expect(parseRescheduleInput('tomorrow 08:00', berlin)).toEqual({ kind: 'at', at: at('2026-03-29T08:00:00+02:00') });
    // 23:30 local on the 28th is still the 28th in Berlin although it is the 28th 22:30 UTC.
    const lateEvening = { ...berlin, now: at('2026-03-28T23:30:00+01:00') };
    expect(parseRescheduleInput('tomorrow 08:00', lateEvening)).toEqual({ kind: 'at', at: at('2026-03-29T08:00:00+02:00') });
  });

  it('GIVEN America/New_York WHEN the time is in the repeated hour THEN the first 01:30 is meant', () => {
    const context = { timeZone: 'America/New_York', now: at('2026-10-31T12:00:00-04:00'), activeHours: null };
    expect(parseRescheduleInput('tomorrow 01:30', context)).toEqual({ kind: 'at', at: at('2026-11-01T01:30:00-04:00') });
    expect(parseRescheduleInput('2026-11-02 09:00', context)).toEqual({ kind: 'at', at: at('2026-11-02T09:00:00-05:00') });
  });

  it('GIVEN a local time the clocks skip WHEN parsed THEN it is refused, saying that time does not exist', () => {
    expect(invalid('2026-03-29 02:30')).toMatch(/does not exist in Europe\/Berlin/);
  });

  it('GIVEN a time in the past or now WHEN parsed THEN it is refused as not in the future', () => {
    expect(invalid('2026-03-27 10:00')).toMatch(/past/);
    expect(invalid('2026-03-28 10:00')).toMatch(/past/);
  });

  it('GIVEN active hours 08:00-23:00 WHEN the time is outside them THEN it is refused naming the window and the zone', () => {
    const context = { ...berlin, activeHours: { startMinute: 8 * 60, endMinute: 23 * 60 } };
    expect(invalid('2026-03-29 23:30', context)).toMatch(/outside the active hours \(08:00-23:00 Europe\/Berlin\)/);
    expect(parseRescheduleInput('2026-03-29 22:59', context)).toEqual({ kind: 'at', at: at('2026-03-29T22:59:00+02:00') });
  });

  it.each(['soon', '2026-13-01 10:00', '2026-02-30 10:00', '24:00', 'tomorrow', '2026-03-29', '', 'next week'])(
    'GIVEN the unparsable text %j WHEN parsed THEN it is refused with the forms it accepts',
    (text) => {
      expect(invalid(text)).toMatch(/next.*YYYY-MM-DD HH:MM.*HH:MM.*tomorrow HH:MM/);
    },
  );
});
