import { describe, expect, it } from 'vitest';
import {
  PERFORMANCE_MULTIPLIER_MAX,
  PERFORMANCE_MULTIPLIER_MIN,
  effectiveWeight,
  performanceMultiplier,
  selectTopic,
  type TopicStats,
} from '../../src/domain/topic-selection.js';
import { mulberry32 } from '../support/seeded-random.js';

function topic(overrides: Partial<TopicStats> & { id: number }): TopicStats {
  return {
    name: `topic ${overrides.id}`,
    contentType: 'education',
    weight: 50,
    enabled: true,
    lastUsedAt: null,
    usageCount: 0,
    publishedCount: 0,
    approvals: 0,
    rejections: 0,
    avgEngagement: 0,
    ...overrides,
  };
}

const neutral = { accountAvgEngagement: 0, lastUsedTopicId: null };

describe('performanceMultiplier', () => {
  it('GIVEN a topic with no history THEN the multiplier is exactly 1', () => {
    expect(performanceMultiplier(topic({ id: 1 }), 10)).toBe(1);
  });

  it('GIVEN one approval out of one THEN the Bayesian prior keeps it far from the maximum', () => {
    // (1 + 2) / (1 + 0 + 4) = 0.6 -> factor 1.2
    expect(performanceMultiplier(topic({ id: 1, approvals: 1 }), 0)).toBeCloseTo(1.2, 10);
  });

  it('GIVEN an excellent record THEN the multiplier is capped at the maximum', () => {
    const star = topic({ id: 1, approvals: 500, rejections: 0, usageCount: 500, publishedCount: 500, avgEngagement: 1_000 });
    expect(performanceMultiplier(star, 10)).toBe(PERFORMANCE_MULTIPLIER_MAX);
  });

  it('GIVEN a terrible record THEN the multiplier is floored at the minimum', () => {
    const dud = topic({ id: 1, approvals: 0, rejections: 500, usageCount: 500, publishedCount: 500, avgEngagement: 0 });
    expect(performanceMultiplier(dud, 10)).toBe(PERFORMANCE_MULTIPLIER_MIN);
  });

  it('GIVEN engagement twice the account average over many posts THEN it raises the multiplier', () => {
    const good = topic({ id: 1, usageCount: 97, publishedCount: 97, avgEngagement: 20 });
    // (97 * 2 + 3) / (97 + 3) = 1.97 -> capped at 1.5
    expect(performanceMultiplier(good, 10)).toBe(1.5);
    const slightlyGood = topic({ id: 1, usageCount: 7, publishedCount: 7, avgEngagement: 12 });
    // (7 * 1.2 + 3) / 10 = 1.14
    expect(performanceMultiplier(slightlyGood, 10)).toBeCloseTo(1.14, 10);
  });

  it('GIVEN many drafts but no published post (failed, rejected or expired uses) THEN engagement is not judged (issue 10, item 16)', () => {
    // Uses without a publication have no engagement: they must not count as posts with 0 engagement.
    expect(performanceMultiplier(topic({ id: 1, usageCount: 500, publishedCount: 0, avgEngagement: 0 }), 10)).toBe(1);
    // (2 * 1.4 + 3) / 5 = 1.16, whatever the number of drafts.
    expect(performanceMultiplier(topic({ id: 1, usageCount: 40, publishedCount: 2, avgEngagement: 14 }), 10)).toBeCloseTo(1.16, 10);
  });

  it('GIVEN one viral post THEN the engagement prior damps it', () => {
    const lucky = topic({ id: 1, usageCount: 1, publishedCount: 1, avgEngagement: 14 });
    // (1 * 1.4 + 3) / 4 = 1.1
    expect(performanceMultiplier(lucky, 10)).toBeCloseTo(1.1, 10);
  });

  it('GIVEN any combination of stats THEN the multiplier stays within its bounds', () => {
    const rng = mulberry32(7);
    for (let i = 0; i < 2_000; i++) {
      const t = topic({
        id: 1,
        approvals: Math.floor(rng() * 50),
        rejections: Math.floor(rng() * 50),
        usageCount: Math.floor(rng() * 100),
        publishedCount: Math.floor(rng() * 100),
        avgEngagement: rng() * 100,
      });
      const m = performanceMultiplier(t, rng() * 50);
      expect(m).toBeGreaterThanOrEqual(PERFORMANCE_MULTIPLIER_MIN);
      expect(m).toBeLessThanOrEqual(PERFORMANCE_MULTIPLIER_MAX);
    }
  });
});

describe('effectiveWeight', () => {
  it('GIVEN a disabled topic or a zero weight THEN the effective weight is 0', () => {
    expect(effectiveWeight(topic({ id: 1, enabled: false, approvals: 9 }), neutral)).toBe(0);
    expect(effectiveWeight(topic({ id: 1, weight: 0, approvals: 9 }), neutral)).toBe(0);
  });

  it('GIVEN the last-used topic THEN it is cooling down with effective weight 0', () => {
    expect(effectiveWeight(topic({ id: 3 }), { accountAvgEngagement: 0, lastUsedTopicId: 3 })).toBe(0);
    expect(effectiveWeight(topic({ id: 4 }), { accountAvgEngagement: 0, lastUsedTopicId: 3 })).toBe(50);
  });

  it('GIVEN feedback THEN the configured weight is scaled by the multiplier but never mutated', () => {
    const t = topic({ id: 1, weight: 40, approvals: 1 });
    expect(effectiveWeight(t, neutral)).toBeCloseTo(48, 10);
    expect(t.weight).toBe(40);
  });
});

describe('selectTopic', () => {
  it('GIVEN no topics THEN it returns null', () => {
    expect(selectTopic([], { ...neutral, rng: mulberry32(1) })).toBeNull();
  });

  it('GIVEN only disabled or zero-weight topics THEN it returns null', () => {
    const topics = [topic({ id: 1, enabled: false }), topic({ id: 2, weight: 0 })];
    expect(selectTopic(topics, { ...neutral, rng: mulberry32(1) })).toBeNull();
  });

  it('GIVEN weights 10/30/60 THEN 20,000 draws follow them (chi-square within tolerance)', () => {
    const topics = [topic({ id: 1, weight: 10 }), topic({ id: 2, weight: 30 }), topic({ id: 3, weight: 60 })];
    const rng = mulberry32(20240601);
    const counts = new Map<number, number>();
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const chosen = selectTopic(topics, { ...neutral, rng });
      expect(chosen).not.toBeNull();
      counts.set(chosen!.id, (counts.get(chosen!.id) ?? 0) + 1);
    }
    const expected = new Map([
      [1, draws * 0.1],
      [2, draws * 0.3],
      [3, draws * 0.6],
    ]);
    let chiSquare = 0;
    for (const [id, e] of expected) chiSquare += ((counts.get(id) ?? 0) - e) ** 2 / e;
    // 2 degrees of freedom: 13.8 is the p = 0.001 critical value.
    expect(chiSquare).toBeLessThan(13.8);
  });

  it('GIVEN performance feedback THEN the draw follows the effective weights', () => {
    const topics = [
      topic({ id: 1, weight: 50, approvals: 0, rejections: 200 }), // x0.5 -> 25
      topic({ id: 2, weight: 50, approvals: 200, rejections: 0 }), // x1.5 -> 75
    ];
    const rng = mulberry32(99);
    let second = 0;
    const draws = 20_000;
    for (let i = 0; i < draws; i++) if (selectTopic(topics, { ...neutral, rng })?.id === 2) second++;
    expect(second / draws).toBeGreaterThan(0.74);
    expect(second / draws).toBeLessThan(0.76);
  });

  it('GIVEN disabled and zero-weight topics among others THEN they are never picked', () => {
    const topics = [
      topic({ id: 1, enabled: false, weight: 100, approvals: 100 }),
      topic({ id: 2, weight: 0 }),
      topic({ id: 3, weight: 1 }),
      topic({ id: 4, weight: 1 }),
    ];
    const rng = mulberry32(5);
    let last: number | null = null;
    for (let i = 0; i < 5_000; i++) {
      const chosen = selectTopic(topics, { accountAvgEngagement: 0, lastUsedTopicId: last, rng });
      expect([3, 4]).toContain(chosen?.id);
      last = chosen?.id ?? null;
    }
  });

  it('GIVEN alternatives THEN the same topic never comes up twice in a row', () => {
    const topics = [topic({ id: 1, weight: 100 }), topic({ id: 2, weight: 1 }), topic({ id: 3, weight: 5 })];
    const rng = mulberry32(42);
    let last: number | null = null;
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const chosen = selectTopic(topics, { accountAvgEngagement: 0, lastUsedTopicId: last, rng });
      expect(chosen).not.toBeNull();
      expect(chosen!.id).not.toBe(last);
      seen.add(chosen!.id);
      last = chosen!.id;
    }
    expect(seen).toEqual(new Set([1, 2, 3]));
  });

  it('GIVEN the last-used topic is the only eligible one THEN it is picked again rather than nothing', () => {
    const topics = [topic({ id: 1 }), topic({ id: 2, enabled: false })];
    expect(selectTopic(topics, { accountAvgEngagement: 0, lastUsedTopicId: 1, rng: mulberry32(3) })?.id).toBe(1);
  });

  it('GIVEN an RNG at its extremes THEN the first and last eligible topics are returned', () => {
    const topics = [topic({ id: 1, weight: 10 }), topic({ id: 2, weight: 0 }), topic({ id: 3, weight: 10 })];
    expect(selectTopic(topics, { ...neutral, rng: () => 0 })?.id).toBe(1);
    expect(selectTopic(topics, { ...neutral, rng: () => 0.999_999_999_999 })?.id).toBe(3);
  });
});
