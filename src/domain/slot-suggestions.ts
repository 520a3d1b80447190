import { median } from './median.js';
import { DAY_MS } from './rate-limits.js';
import { localDateTimeOf } from './time-zone.js';

/**
 * `/queue suggest`: which hours of the week the account's audience engages with most, from the
 * account's own published posts. Read-only advice: slots stay in the configuration. Pure: the
 * caller passes the posts, the zone and the clock.
 */

/** How far back the ranking looks. */
export const SUGGESTION_WINDOW_MS = 60 * DAY_MS;
/** Fewer posts than this make a ranking of 168 buckets mostly noise: the command says so instead. */
export const SUGGESTION_MIN_POSTS = 30;
/** A bucket proposed as a slot should rest on a few posts, not on one lucky one. */
const PROPOSAL_MIN_BUCKET_POSTS = 3;
const PROPOSALS = 3;

/** One local hour of the week: weekday 0 = Sunday .. 6, hour 0..23, with the median engagement of its posts. */
export interface SlotSuggestionBucket {
  readonly weekday: number;
  readonly hour: number;
  readonly median: number;
  readonly posts: number;
}

export type SlotSuggestions =
  | { readonly status: 'too_few'; readonly have: number; readonly need: 30 }
  | { readonly status: 'ranked'; readonly buckets: readonly SlotSuggestionBucket[]; readonly proposed: readonly string[] };

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/**
 * Ranks the hour-of-week buckets (in `timeZone`) of the posts published in the last 60 days by
 * their median engagement, best first (ties: more posts first, then earlier in the week). The
 * median, not the mean, so one viral post does not make its hour look like a habit. `proposed`
 * holds up to 3 slot specs ("Tue 18:00") from the best buckets with at least 3 posts, topped
 * up from the other best buckets when there are fewer such.
 */
export function rankSlotSuggestions(
  posts: readonly { readonly postedAt: number; readonly engagement: number }[],
  timeZone: string,
  now: number,
): SlotSuggestions {
  const recent = posts.filter((post) => post.postedAt > now - SUGGESTION_WINDOW_MS && post.postedAt <= now);
  if (recent.length < SUGGESTION_MIN_POSTS) return { status: 'too_few', have: recent.length, need: SUGGESTION_MIN_POSTS };

  const byBucket = new Map<number, number[]>();
  for (const post of recent) {
    const { weekday, hour } = localDateTimeOf(post.postedAt, timeZone);
    const key = weekday * 24 + hour;
    const list = byBucket.get(key);
    if (list) list.push(post.engagement);
    else byBucket.set(key, [post.engagement]);
  }
  const buckets: SlotSuggestionBucket[] = [...byBucket.entries()]
    .map(([key, engagements]) => ({ weekday: Math.floor(key / 24), hour: key % 24, median: median(engagements) as number, posts: engagements.length }))
    .sort((a, b) => b.median - a.median || b.posts - a.posts || a.weekday * 24 + a.hour - (b.weekday * 24 + b.hour));

  const solid = buckets.filter((bucket) => bucket.posts >= PROPOSAL_MIN_BUCKET_POSTS);
  const thin = buckets.filter((bucket) => bucket.posts < PROPOSAL_MIN_BUCKET_POSTS);
  const proposed = [...solid, ...thin].slice(0, PROPOSALS).map((bucket) => `${DAY_NAMES[bucket.weekday]} ${String(bucket.hour).padStart(2, '0')}:00`);
  return { status: 'ranked', buckets, proposed };
}
