/**
 * Retry pacing. Every retry in the bot grows exponentially up to a cap (card posts, job-state
 * saves, database locks); transient X failures (5xx, timeouts, dropped connections) add jitter
 * and a limit. Pure: the caller passes the attempt number and its injected RNG.
 */

/** How transient failures are retried before a draft is marked failed. */
export interface BackoffPolicy extends ExponentialDelay {
  /** The failure that reaches this count fails the draft instead of retrying. */
  readonly maxAttempts: number;
}

/** 30 s, 60 s, 120 s, 240 s, then failed: about eight minutes of X trouble before a human is asked. */
export const DEFAULT_PUBLISH_BACKOFF: BackoffPolicy = { baseMs: 30_000, factor: 2, capMs: 15 * 60_000, maxAttempts: 5 };

/** Exponential growth with a cap, no jitter: the shape every retry in the bot follows. */
export interface ExponentialDelay {
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
}

/** The nominal wait after the `failures`-th consecutive failure (1-based): base × factor^(n-1), capped. */
export function exponentialDelayMs(failures: number, delay: ExponentialDelay): number {
  return Math.min(delay.capMs, delay.baseMs * delay.factor ** Math.max(0, Math.floor(failures) - 1));
}

/**
 * The wait after the `failures`-th consecutive transient failure (1-based): exponential, capped,
 * with "equal jitter" (half fixed, half random) so retries from many drafts spread out yet never
 * come back sooner than half the nominal delay.
 */
export function backoffDelayMs(failures: number, rng: () => number, policy: BackoffPolicy = DEFAULT_PUBLISH_BACKOFF): number {
  const half = exponentialDelayMs(failures, policy) / 2;
  const r = Math.min(Math.max(rng(), 0), 1);
  return Math.round(half + r * half);
}

/** Whether the `failures`-th consecutive transient failure should fail the draft rather than retry. */
export function backoffExhausted(failures: number, policy: BackoffPolicy = DEFAULT_PUBLISH_BACKOFF): boolean {
  return failures >= policy.maxAttempts;
}
