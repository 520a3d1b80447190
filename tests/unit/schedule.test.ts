import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { capUsage } from '../../src/domain/rate-limits.js';
import {
  capsLeaveRoomToday,
  countMissedRuns,
  decidePostRun,
  drawJitter,
  isWithinActiveHours,
  localMinuteOfDay,
  planNextRun,
  type NextOccurrence,
} from '../../src/domain/schedule.js';
import { mulberry32 } from '../support/seeded-random.js';

const at = (iso: string) => Date.parse(iso);
const occurrences = (pattern: string, timezone = 'UTC'): NextOccurrence => {
  const cron = new Cron(pattern, { timezone, paused: true });
  return (after) => cron.nextRun(new Date(after))?.getTime() ?? null;
};
const window = (start: string, end: string) => {
  const minute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  return { startMinute: minute(start), endMinute: minute(end) };
};

describe('drawJitter', () => {
  it('GIVEN the RNG at its extremes THEN the jitter is 0 and exactly POST_JITTER', () => {
    expect(drawJitter(900_000, () => 0)).toBe(0);
    expect(drawJitter(900_000, () => 0.999_999_999_9)).toBe(900_000);
  });

  it('GIVEN 10,000 seeded draws THEN every jitter is a whole ms within [0, max] and both halves are used', () => {
    const rng = mulberry32(7);
    const values = Array.from({ length: 10_000 }, () => drawJitter(60_000, rng));
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v <= 60_000)).toBe(true);
    expect(values.some((v) => v < 30_000)).toBe(true);
    expect(values.some((v) => v > 30_000)).toBe(true);
  });

  it('GIVEN a misbehaving RNG (1.5, -1) or no jitter configured THEN the result still stays within bounds', () => {
    expect(drawJitter(1_000, () => 1.5)).toBe(1_000);
    expect(drawJitter(1_000, () => -1)).toBe(0);
    expect(drawJitter(0, () => 0.7)).toBe(0);
  });
});

describe('active hours', () => {
  it('GIVEN a daytime window 08:00-23:00 UTC THEN the start is inside and the end is outside', () => {
    const w = window('08:00', '23:00');
    expect(isWithinActiveHours(at('2026-11-25T07:59:00Z'), w, 'UTC')).toBe(false);
    expect(isWithinActiveHours(at('2026-11-25T08:00:00Z'), w, 'UTC')).toBe(true);
    expect(isWithinActiveHours(at('2026-11-25T22:59:59Z'), w, 'UTC')).toBe(true);
    expect(isWithinActiveHours(at('2026-11-25T23:00:00Z'), w, 'UTC')).toBe(false);
  });

  it('GIVEN an overnight window 22:00-02:00 THEN late evening and early morning are inside, midday is not', () => {
    const w = window('22:00', '02:00');
    expect(isWithinActiveHours(at('2026-11-25T22:00:00Z'), w, 'UTC')).toBe(true);
    expect(isWithinActiveHours(at('2026-11-25T23:59:00Z'), w, 'UTC')).toBe(true);
    expect(isWithinActiveHours(at('2026-11-26T00:30:00Z'), w, 'UTC')).toBe(true);
    expect(isWithinActiveHours(at('2026-11-26T02:00:00Z'), w, 'UTC')).toBe(false);
    expect(isWithinActiveHours(at('2026-11-26T12:00:00Z'), w, 'UTC')).toBe(false);
  });

  it('GIVEN TIMEZONE=America/New_York THEN the window is read in New York time, across the DST change', () => {
    const w = window('09:00', '17:00');
    // 13:30 UTC is 08:30 in New York in winter (UTC-5): outside; 14:30 UTC is 09:30: inside.
    expect(isWithinActiveHours(at('2026-11-25T13:30:00Z'), w, 'America/New_York')).toBe(false);
    expect(isWithinActiveHours(at('2026-11-25T14:30:00Z'), w, 'America/New_York')).toBe(true);
    // In summer (UTC-4) 13:30 UTC is already 09:30.
    expect(isWithinActiveHours(at('2026-07-01T13:30:00Z'), w, 'America/New_York')).toBe(true);
    expect(localMinuteOfDay(at('2026-11-25T14:30:00Z'), 'Asia/Kolkata')).toBe(20 * 60);
  });

  it('GIVEN no window (ACTIVE_HOURS=always) THEN every time is active', () => {
    expect(isWithinActiveHours(at('2026-11-25T03:00:00Z'), null, 'Europe/Berlin')).toBe(true);
  });
});

describe('planNextRun', () => {
  it('GIVEN every-2-hours in Europe/Berlin with active hours 08:00-20:00 THEN the next run is the first slot inside, plus the jitter', () => {
    const plan = planNextRun({
      now: at('2026-11-25T19:30:00Z'), // 20:30 in Berlin: the evening slots are outside
      nextOccurrence: occurrences('0 */2 * * *', 'Europe/Berlin'),
      jitterMs: 600_000,
      activeHours: window('08:00', '20:00'),
      timeZone: 'Europe/Berlin',
    });
    // 08:00 Berlin on the 26th is 07:00 UTC.
    expect(plan).toEqual({ slotAt: at('2026-11-26T07:00:00Z'), runAt: at('2026-11-26T07:10:00Z'), jitterMs: 600_000 });
  });

  it('GIVEN a jitter that pushes a slot past the end of the window THEN that slot is not planned', () => {
    const plan = planNextRun({
      now: at('2026-11-25T21:30:00Z'),
      nextOccurrence: occurrences('0 22,23 * * *'),
      jitterMs: 45 * 60_000,
      activeHours: window('22:00', '23:30'),
      timeZone: 'UTC',
    });
    expect(plan?.slotAt).toBe(at('2026-11-25T22:00:00Z'));
    expect(plan?.runAt).toBe(at('2026-11-25T22:45:00Z'));
  });

  it('GIVEN a schedule that never meets the active hours THEN nothing is planned', () => {
    const plan = planNextRun({
      now: at('2026-11-25T12:00:00Z'),
      nextOccurrence: occurrences('0 3 * * *'),
      jitterMs: 0,
      activeHours: window('08:00', '20:00'),
      timeZone: 'UTC',
    });
    expect(plan).toBeNull();
  });
});

describe('countMissedRuns', () => {
  const next = occurrences('0 */2 * * *');

  it('GIVEN the bot was down from 12:05 to 22:30 with a run planned at 14:07 THEN 5 runs are counted as missed', () => {
    expect(
      countMissedRuns({
        now: at('2026-11-25T22:30:00Z'),
        plannedSlotAt: at('2026-11-25T14:00:00Z'),
        plannedRunAt: at('2026-11-25T14:07:00Z'),
        nextOccurrence: next,
      }),
    ).toBe(5); // 14:07, 16, 18, 20, 22
  });

  it('GIVEN the planned run is still ahead THEN nothing was missed', () => {
    expect(
      countMissedRuns({
        now: at('2026-11-25T13:00:00Z'),
        plannedSlotAt: at('2026-11-25T14:00:00Z'),
        plannedRunAt: at('2026-11-25T14:07:00Z'),
        nextOccurrence: next,
      }),
    ).toBe(0);
  });
});

describe('decidePostRun', () => {
  const now = at('2026-11-25T12:00:00Z');
  const caps = { maxPerHour: 2, maxPerDay: 3 };
  const base = {
    now,
    pause: null,
    activeHours: null,
    timeZone: 'UTC',
    pendingDrafts: 0,
    maxPendingDrafts: 3,
    usage: capUsage([], caps, now),
    queuedForPublishing: 0,
  };

  it('GIVEN nothing in the way THEN the run generates', () => {
    expect(decidePostRun(base)).toEqual({ generate: true });
  });

  it('GIVEN a pause THEN it wins over every other reason and names who paused', () => {
    const decision = decidePostRun({ ...base, pendingDrafts: 3, pause: { by: { id: '1', name: 'Ana' }, since: now - 1, reason: 'launch week', scope: 'all' } });
    expect(decision).toMatchObject({ generate: false, code: 'paused' });
    expect(decision.generate === false && decision.reason).toContain('Ana');
  });

  it('GIVEN the pending cap is full THEN the run is skipped with the counts', () => {
    expect(decidePostRun({ ...base, pendingDrafts: 3 })).toEqual({
      generate: false,
      code: 'pending_cap',
      reason: 'pending cap full: 3 of 3 drafts await moderation',
    });
  });

  it('GIVEN 2 published in 24 h and 1 approved waiting with a daily cap of 3 THEN the caps leave no room today', () => {
    const usage = capUsage([now - 5 * 3_600_000, now - 20 * 3_600_000], caps, now);
    expect(capsLeaveRoomToday(usage, 1)).toBe(false);
    expect(capsLeaveRoomToday(usage, 0)).toBe(true);
    expect(decidePostRun({ ...base, usage, queuedForPublishing: 1 })).toMatchObject({ generate: false, code: 'daily_cap' });
  });

  it('GIVEN a time outside the active hours THEN the run is skipped for that reason', () => {
    expect(decidePostRun({ ...base, activeHours: window('13:00', '14:00') })).toMatchObject({ generate: false, code: 'outside_active_hours' });
  });
});
