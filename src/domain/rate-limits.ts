/**
 * Rate-limit arithmetic: our own posting caps and X's last reported limits, combined into
 * "when may the next publication go out". Pure: callers pass the clock and the history.
 *
 * Our caps count *publications*, not tweets: a thread counts as one post, because the caps
 * exist to pace the feed a reader sees. X's own limits count every POST /2/tweets, so a
 * thread of N tweets needs N requests of X headroom.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export interface PostingCaps {
  readonly maxPerHour: number;
  readonly maxPerDay: number;
}

/** One X rate-limit bucket as its response headers described it. */
export interface XLimitBucket {
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms when the bucket refills. */
  readonly resetAt: number;
}

/** The last X limits seen, persisted so a restart keeps respecting them. */
export interface XRateState {
  /** `x-rate-limit-*`: the endpoint's 15-minute window. */
  readonly endpoint?: XLimitBucket | undefined;
  /** `x-user-limit-24hour-*`. */
  readonly user24h?: XLimitBucket | undefined;
  /** `x-app-limit-24hour-*`. */
  readonly app24h?: XLimitBucket | undefined;
  /** Set after a 429: nothing is sent before this time. */
  readonly blockedUntil?: number | undefined;
  readonly observedAt?: number | undefined;
}

export interface CapUsage {
  readonly usedThisHour: number;
  readonly usedToday: number;
  readonly maxPerHour: number;
  readonly maxPerDay: number;
}

export interface PublishWindow {
  /** Epoch ms of the earliest allowed publication (== now when it may go now). */
  readonly allowedAt: number;
  /** Why it has to wait, or null when it may go now. */
  readonly reason: string | null;
  readonly usage: CapUsage;
}

/** Parses X's rate-limit headers (header names lower-case) into buckets; absent ones are undefined. */
export function parseXRateHeaders(headers: Record<string, string | undefined>, observedAt: number): XRateState {
  const bucket = (prefix: string): XLimitBucket | undefined => {
    const limit = Number(headers[`${prefix}-limit`]);
    const remaining = Number(headers[`${prefix}-remaining`]);
    const reset = Number(headers[`${prefix}-reset`]);
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset) || headers[`${prefix}-limit`] === undefined) {
      return undefined;
    }
    return { limit, remaining, resetAt: reset * 1000 };
  };
  return {
    endpoint: bucket('x-rate-limit'),
    user24h: bucket('x-user-limit-24hour'),
    app24h: bucket('x-app-limit-24hour'),
    observedAt,
  };
}

/** Merges freshly observed headers into the stored state, keeping buckets the response did not mention. */
export function mergeXRateState(previous: XRateState, observed: XRateState): XRateState {
  return {
    endpoint: observed.endpoint ?? previous.endpoint,
    user24h: observed.user24h ?? previous.user24h,
    app24h: observed.app24h ?? previous.app24h,
    blockedUntil: observed.blockedUntil ?? previous.blockedUntil,
    observedAt: observed.observedAt ?? previous.observedAt,
  };
}

/** Counts the publications inside the rolling hour and day ending at `now`. */
export function capUsage(publicationTimes: readonly number[], caps: PostingCaps, now: number): CapUsage {
  let usedThisHour = 0;
  let usedToday = 0;
  for (const t of publicationTimes) {
    if (t > now - DAY_MS && t <= now) {
      usedToday += 1;
      if (t > now - HOUR_MS) usedThisHour += 1;
    }
  }
  return { usedThisHour, usedToday, maxPerHour: caps.maxPerHour, maxPerDay: caps.maxPerDay };
}

/**
 * The earliest time a publication of `tweetCount` tweets may go out, given our rolling caps
 * (last 60 minutes, last 24 hours, as in the original design) and X's last reported limits.
 */
export function nextPublishWindow(input: {
  readonly now: number;
  readonly publicationTimes: readonly number[];
  readonly caps: PostingCaps;
  readonly xState: XRateState;
  readonly tweetCount: number;
}): PublishWindow {
  const { now, caps, xState, tweetCount } = input;
  const usage = capUsage(input.publicationTimes, caps, now);
  const inWindow = [...input.publicationTimes].filter((t) => t > now - DAY_MS && t <= now).sort((a, b) => a - b);
  const candidates: Array<{ at: number; reason: string }> = [];

  if (usage.usedThisHour >= caps.maxPerHour) {
    const hourly = inWindow.filter((t) => t > now - HOUR_MS);
    // The window frees a slot when the oldest publication that keeps it full turns an hour old.
    const freeing = hourly[usage.usedThisHour - caps.maxPerHour] as number;
    candidates.push({ at: freeing + HOUR_MS, reason: `hourly cap reached (${usage.usedThisHour}/${caps.maxPerHour})` });
  }
  if (usage.usedToday >= caps.maxPerDay) {
    const freeing = inWindow[usage.usedToday - caps.maxPerDay] as number;
    candidates.push({ at: freeing + DAY_MS, reason: `daily cap reached (${usage.usedToday}/${caps.maxPerDay})` });
  }
  if (xState.blockedUntil !== undefined && xState.blockedUntil > now) {
    candidates.push({ at: xState.blockedUntil, reason: 'X answered 429 Too Many Requests' });
  }
  for (const [name, bucket] of [
    ['X 15-minute limit', xState.endpoint],
    ['X per-user 24-hour limit', xState.user24h],
    ['X per-app 24-hour limit', xState.app24h],
  ] as const) {
    if (bucket && bucket.resetAt > now && bucket.remaining < tweetCount) {
      candidates.push({ at: bucket.resetAt, reason: `${name} exhausted (${bucket.remaining}/${bucket.limit} left)` });
    }
  }
  if (candidates.length === 0) return { allowedAt: now, reason: null, usage };
  const latest = candidates.reduce((a, b) => (b.at > a.at ? b : a));
  return { allowedAt: latest.at, reason: latest.reason, usage };
}
