import { describe, expect, it } from 'vitest';
import { rankSlotSuggestions } from '../../src/domain/slot-suggestions.js';
import { parseSlotSpecs } from '../../src/domain/slots.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = at('2026-06-30T12:00:00+02:00'); // a Tuesday

/**
 * `count` posts in one local hour-of-week: weekly going back from `first` over 8 weeks (inside
 * the 60 days), then again a minute later; engagements cycled.
 */
function postsAt(first: string, count: number, engagements: readonly number[]) {
  return Array.from({ length: count }, (_, i) => ({
    postedAt: at(first) - (i % 8) * 7 * DAY + Math.floor(i / 8) * 60_000,
    engagement: engagements[i % engagements.length]!,
  }));
}

describe('issue 13 §2: /queue suggest', () => {
  it('GIVEN fewer than 30 posts in the last 60 days WHEN ranked THEN it says how many there are and that 30 are needed (older posts do not count)', () => {
    const recent = postsAt('2026-06-23T18:10:00+02:00', 8, [10]).concat(
      postsAt('2026-06-29T09:05:00+02:00', 8, [5]),
      postsAt('2026-06-27T11:00:00+02:00', 8, [5]),
    );
    const recentish = postsAt('2026-06-24T20:00:00+02:00', 5, [1]);
    const old = [
      { postedAt: now - 61 * DAY, engagement: 1_000 },
      { postedAt: now - 90 * DAY, engagement: 1_000 },
    ];
    expect(recent.concat(recentish).every((p) => p.postedAt > now - 60 * DAY)).toBe(true);
    expect(rankSlotSuggestions([...recent, ...recentish, ...old], 'Europe/Berlin', now)).toEqual({ status: 'too_few', have: 29, need: 30 });
  });

  it('GIVEN 30 posts in three local hours WHEN ranked THEN buckets are best median first and the proposals are slot specs of the best ones', () => {
    const posts = [
      ...postsAt('2026-06-23T18:10:00+02:00', 8, [100, 120, 80]), // Tue 18h
      ...postsAt('2026-06-29T09:05:00+02:00', 8, [50, 40, 60]), // Mon 09h
      ...postsAt('2026-06-27T11:30:00+02:00', 8, [90, 70]), // Sat 11h
      ...postsAt('2026-06-25T21:00:00+02:00', 6, [5]), // Thu 21h
    ];
    const result = rankSlotSuggestions(posts, 'Europe/Berlin', now);
    if (result.status !== 'ranked') throw new Error('expected a ranking');
    expect(result.buckets.map((b) => [b.weekday, b.hour, b.posts])).toEqual([
      [2, 18, 8],
      [6, 11, 8],
      [1, 9, 8],
      [4, 21, 6],
    ]);
    // Tue 18h: 100,120,80,100,120,80,100,120 -> sorted 80,80,100,100,100,120,120,120 -> median (100+100)/2.
    expect(result.buckets[0]!.median).toBe(100);
    expect(result.buckets[1]!.median).toBe(80);
    expect(result.buckets[2]!.median).toBe(50);
    expect(result.proposed).toEqual(['Tue 18:00', 'Sat 11:00', 'Mon 09:00']);
    expect(() => parseSlotSpecs(result.proposed)).not.toThrow();
  });

  it('GIVEN posts at the same UTC hour before and after the spring change WHEN ranked in Europe/Berlin THEN each falls into its own local hour', () => {
    const sameUtcHour = ['2026-02-24', '2026-03-03', '2026-03-10', '2026-03-17', '2026-03-24', '2026-03-31', '2026-04-07', '2026-04-14'].map((day, i) => ({
      postedAt: at(`${day}T17:00:00Z`),
      engagement: i < 5 ? 20 : 30, // the first five are 18:00 CET, the last three 19:00 CEST
    }));
    const filler = Array.from({ length: 22 }, (_, i) => ({ postedAt: at('2026-04-15T08:00:00+02:00') - i * DAY, engagement: 1 }));
    const result = rankSlotSuggestions([...sameUtcHour, ...filler], 'Europe/Berlin', at('2026-04-20T12:00:00+02:00'));
    if (result.status !== 'ranked') throw new Error('expected a ranking');
    expect(result.buckets.slice(0, 2)).toEqual([
      { weekday: 2, hour: 19, median: 30, posts: 3 },
      { weekday: 2, hour: 18, median: 20, posts: 5 },
    ]);
  });

  it('GIVEN two buckets with the same median WHEN ranked THEN the one with more posts comes first', () => {
    const posts = [...postsAt('2026-06-23T08:00:00+02:00', 14, [30]), ...postsAt('2026-06-24T08:00:00+02:00', 16, [30])];
    const result = rankSlotSuggestions(posts, 'Europe/Berlin', now);
    if (result.status !== 'ranked') throw new Error('expected a ranking');
    expect(result.buckets.map((b) => b.weekday)).toEqual([3, 2]);
    expect(result.proposed).toEqual(['Wed 08:00', 'Tue 08:00']);
  });

  it('GIVEN a bucket with a single lucky post WHEN proposals are made THEN buckets with at least 3 posts are proposed before it', () => {
    const posts = [
      { postedAt: at('2026-06-28T03:00:00+02:00'), engagement: 10_000 }, // Sun 03h, once
      ...postsAt('2026-06-23T18:00:00+02:00', 15, [100]),
      ...postsAt('2026-06-24T18:00:00+02:00', 14, [90]),
    ];
    const result = rankSlotSuggestions(posts, 'Europe/Berlin', now);
    if (result.status !== 'ranked') throw new Error('expected a ranking');
    expect(result.buckets[0]).toEqual({ weekday: 0, hour: 3, median: 10_000, posts: 1 });
    expect(result.proposed).toEqual(['Tue 18:00', 'Wed 18:00', 'Sun 03:00']);
  });
});
