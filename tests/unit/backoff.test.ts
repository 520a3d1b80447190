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

describe('the README against the policy (item 17)', () => {
  it('GIVEN the default publish backoff WHEN the README describes it THEN it states the real schedule, not "30 s doubling to 15 min"', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const policy = DEFAULT_PUBLISH_BACKOFF;
    // The waits that can happen: after failures 1 .. maxAttempts-1; the last failure fails the draft.
    const waits = Array.from({ length: policy.maxAttempts - 1 }, (_, i) => Math.min(policy.capMs, policy.baseMs * policy.factor ** i) / 1000);
    const listed = `${waits
      .slice(0, -1)
      .map((s) => `${s} s`)
      .join(', ')} and ${waits.at(-1)} s`;
    expect(listed).toBe('30 s, 60 s, 120 s and 240 s');
    expect(readme).toContain(`at most ${policy.maxAttempts} attempts, waiting ${listed}`);
    // The publishing paragraph only: card posting has its own backoff, which does reach 15 min.
    expect(readme).not.toMatch(/Failures: 5xx[^.]*doubling to 15 min/);
    // Equal jitter: each wait is between half and all of its nominal value.
    const total = waits.reduce((a, b) => a + b, 0);
    expect([total / 2 / 60, total / 60]).toEqual([3.75, 7.5]);
    expect(readme).toContain('3¾ to 7½ minutes in all');
  });
});
