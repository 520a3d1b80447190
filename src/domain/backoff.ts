/**
 * Retry pacing for transient X failures (5xx, timeouts, dropped connections). Pure: the caller
 * passes the attempt number and its injected RNG.
 */

/** How transient failures are retried before a draft is marked failed. */
export interface BackoffPolicy {
  /** Delay after the first failure, before jitter. */
  readonly baseMs: number;
  readonly factor: number;
  /** No single wait is longer than this. */
  readonly capMs: number;
  /** The failure that reaches this count fails the draft instead of retrying. */
  readonly maxAttempts: number;
}

/** 30 s, 60 s, 120 s, 240 s, then failed: about eight minutes of X trouble before a human is asked. */
export const DEFAULT_PUBLISH_BACKOFF: BackoffPolicy = { baseMs: 30_000, factor: 2, capMs: 15 * 60_000, maxAttempts: 5 };

/**
 * The wait after the `failures`-th consecutive transient failure (1-based): exponential, capped,
 * with "equal jitter" (half fixed, half random) so retries from many drafts spread out yet never
 * come back sooner than half the nominal delay.
 */
export function backoffDelayMs(failures: number, rng: () => number, policy: BackoffPolicy = DEFAULT_PUBLISH_BACKOFF): number {
  const exponent = Math.max(0, Math.floor(failures) - 1);
  const nominal = Math.min(policy.capMs, policy.baseMs * policy.factor ** exponent);
  const half = nominal / 2;
  const r = Math.min(Math.max(rng(), 0), 1);
  return Math.round(half + r * half);
}

/** Whether the `failures`-th consecutive transient failure should fail the draft rather than retry. */
export function backoffExhausted(failures: number, policy: BackoffPolicy = DEFAULT_PUBLISH_BACKOFF): boolean {
  return failures >= policy.maxAttempts;
}
