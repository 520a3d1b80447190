import { describe, expect, it } from 'vitest';
import { backoffDelayMs, backoffExhausted, DEFAULT_PUBLISH_BACKOFF } from '../../src/domain/backoff.js';
import { mulberry32 } from '../support/seeded-random.js';

describe('publish backoff', () => {
  it('GIVEN successive failures THEN the nominal delay doubles from 30 s and equal jitter keeps it in [half, full]', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, () => 0))).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, () => 0.999_999))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffDelayMs(2, () => 0.5)).toBe(45_000);
  });

  it('GIVEN many failures THEN no single wait exceeds the 15-minute cap', () => {
    const rng = mulberry32(7);
    for (let n = 1; n <= 40; n += 1) {
      const delay = backoffDelayMs(n, rng);
      expect(delay).toBeLessThanOrEqual(DEFAULT_PUBLISH_BACKOFF.capMs);
      expect(delay).toBeGreaterThanOrEqual(Math.min(DEFAULT_PUBLISH_BACKOFF.capMs, 30_000 * 2 ** (n - 1)) / 2);
    }
    expect(backoffDelayMs(30, () => 1)).toBe(15 * 60_000);
  });

  it('GIVEN a seeded RNG THEN delays spread out instead of retrying in lockstep', () => {
    const rng = mulberry32(42);
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelayMs(3, rng)));
    expect(delays.size).toBeGreaterThan(15);
  });

  it('GIVEN the fifth consecutive failure THEN the backoff is exhausted, not before', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffExhausted(n))).toEqual([false, false, false, false, true, true]);
    expect(backoffExhausted(2, { ...DEFAULT_PUBLISH_BACKOFF, maxAttempts: 2 })).toBe(true);
  });
});
