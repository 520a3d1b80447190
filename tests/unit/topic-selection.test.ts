import { describe, expect, it } from 'vitest';
import { betaCdf } from '../../src/domain/beta-distribution.js';
import type { DraftDecisionKind } from '../../src/domain/learning.js';
import type { ContentType } from '../../src/domain/content-types.js';
import {
  EXPLORATION_FLOOR,
  PRIOR_STRENGTH,
  armShares,
  type ArmShare,
  engagementPercentiles,
  lastUsedTopicId,
  selectArm,
  topicApprovals,
  topicArms,
  type SelectionSignal,
  type TopicSelectionOptions,
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

let nextDraftId = 1;
function signal(topicId: number, decision: DraftDecisionKind, extra: Partial<SelectionSignal> = {}): SelectionSignal {
  return {
    draftId: nextDraftId++,
    topicId,
    topicName: `topic ${topicId}`,
    contentType: 'education',
    decision,
    publishedAt: null,
    dryRun: false,
    engagement24h: null,
    engagement7d: null,
    ...extra,
  };
}

function many(count: number, make: () => SelectionSignal): SelectionSignal[] {
  return Array.from({ length: count }, make);
}

const learningOn: TopicSelectionOptions = { learning: true, repeatFactor: 0.25, lastUsedTopicId: null };
const learningOff: TopicSelectionOptions = { ...learningOn, learning: false };

function shareOf(topics: readonly TopicStats[], signals: readonly SelectionSignal[], options: TopicSelectionOptions, topicId: number): number {
  return armShares(topics, signals, options)
    .filter((arm) => arm.topicId === topicId)
    .reduce((sum, arm) => sum + arm.share, 0);
}

function chiSquare(counts: Map<number, number>, expected: Map<number, number>): number {
  let sum = 0;
  for (const [id, e] of expected) sum += ((counts.get(id) ?? 0) - e) ** 2 / e;
  return sum;
}

describe('betaCdf', () => {
  it('GIVEN known shapes THEN it matches their closed forms and the symmetry I_x(a, b) = 1 - I_1-x(b, a)', () => {
    expect(betaCdf(0.3, 1, 1)).toBeCloseTo(0.3, 10);
    // Beta(2, 2): 3x² - 2x³
    expect(betaCdf(0.3, 2, 2)).toBeCloseTo(3 * 0.09 - 2 * 0.027, 10);
    expect(betaCdf(0.37, 150.5, 149.5) + betaCdf(0.63, 149.5, 150.5)).toBeCloseTo(1, 10);
    expect(betaCdf(0, 3, 4)).toBe(0);
    expect(betaCdf(1, 3, 4)).toBe(1);
  });
});

describe('topic arms', () => {
  it('GIVEN a moderator approved a /draft type: choice THEN that (topic, type) becomes an arm sharing the topic weight; rejected-only choices and learning off add none', () => {
    const topics = [topic({ id: 1, weight: 60 }), topic({ id: 2, weight: 40 })];
    const signals = [signal(1, 'approved', { contentType: 'thread' as ContentType }), signal(2, 'rejected', { contentType: 'hot_take' as ContentType })];
    const arms = topicArms(topics, signals, true);
    expect(arms.map((a) => [a.topicId, a.contentType, a.weight, a.configured])).toEqual([
      [1, 'education', 30, true],
      [1, 'thread', 30, false],
      [2, 'education', 40, true],
    ]);
    expect(topicArms(topics, signals, false).map((a) => [a.topicId, a.contentType, a.weight])).toEqual([
      [1, 'education', 60],
      [2, 'education', 40],
    ]);
  });

  it('GIVEN the deadline expired or published drafts THEN they are no approval evidence (only moderator decisions are)', () => {
    const topics = [topic({ id: 1 }), topic({ id: 2 })];
    const signals = [
      ...many(20, () => signal(1, 'expired')),
      ...many(20, () => signal(2, 'published_by_timeout')),
      signal(1, 'approved'),
      signal(2, 'rejected'),
    ];
    const arms = topicArms(topics, signals, true);
    expect(arms.map((a) => [a.approvals, a.rejections, a.successes, a.failures])).toEqual([
      [1, 0, 1, 0],
      [0, 1, 0, 1],
    ]);
    expect(topicApprovals(topics, signals)).toEqual(
      new Map([
        [1, { approvals: 1, rejections: 0 }],
        [2, { approvals: 0, rejections: 1 }],
      ]),
    );
  });

  it('GIVEN published drafts with engagement THEN each gets its mid-rank percentile within the account, and dry runs and unmeasured drafts none', () => {
    const a = signal(1, 'approved', { publishedAt: 1, engagement24h: 5 });
    const b = signal(1, 'approved', { publishedAt: 1, engagement24h: 50, engagement7d: 10 }); // the 7-day figure wins
    const c = signal(1, 'approved', { publishedAt: 1, engagement24h: 100 });
    const dry = signal(1, 'approved', { publishedAt: 1, dryRun: true, engagement24h: 1_000 });
    const unmeasured = signal(1, 'approved', { publishedAt: 1 });
    const percentiles = engagementPercentiles([a, b, c, dry, unmeasured]);
    expect(percentiles).toEqual(
      new Map([
        [a.draftId, 0.5 / 3],
        [b.draftId, 1.5 / 3],
        [c.draftId, 2.5 / 3],
      ]),
    );
    const arm = topicArms([topic({ id: 1 })], [a, b, c, dry, unmeasured], true)[0]!;
    expect(arm.successes).toBeCloseTo(5 + 0.5 / 3 + 1.5 / 3 + 2.5 / 3, 10);
    expect(arm.failures).toBeCloseTo(3 - (0.5 + 1.5 + 2.5) / 3, 10);
  });
});

describe('topic arms: old and odd signals', () => {
  it('GIVEN signals of a renamed topic, of a deleted one, without a topic id, with NaN or infinite engagement THEN the renamed and the named count, the deleted is ignored, the odd figures are no evidence, and every share is a finite probability', () => {
    const renamed = topic({ id: 1, name: 'curves (renamed)' });
    const named = topic({ id: 2, name: 'Safety' });
    const signals: SelectionSignal[] = [
      signal(1, 'approved', { topicName: 'curves' }), // its name then; the id still matches
      signal(9, 'approved', { topicName: 'deleted topic' }),
      { ...signal(2, 'rejected'), topicId: null, topicName: 'safety' }, // from before topic ids: by name, case aside
      signal(1, 'approved', { publishedAt: 1, engagement24h: Number.NaN }),
      signal(2, 'approved', { publishedAt: 1, engagement24h: Number.POSITIVE_INFINITY }),
      signal(1, 'approved', { publishedAt: 1, engagement24h: 3 }),
    ];
    const arms = topicArms([renamed, named], signals, true);
    expect(arms.map((a) => [a.topicId, a.approvals, a.rejections])).toEqual([
      [1, 3, 0],
      [2, 1, 1],
    ]);
    // Only the finite figure is ranked: a lone one is the median.
    expect(engagementPercentiles(signals)).toEqual(new Map([[signals[5]!.draftId, 0.5]]));
    for (const repeatFactor of [0, 0.25, 1]) {
      const shares = armShares([renamed, named], signals, { learning: true, repeatFactor, lastUsedTopicId: 1 });
      expect(shares.every((arm) => Number.isFinite(arm.share) && arm.share > 0 && Number.isFinite(arm.learnedShare))).toBe(repeatFactor > 0);
      expect(shares.reduce((sum, arm) => sum + arm.share, 0)).toBeCloseTo(1, 12);
      // 1: no penalty (next = learned share); 0: the last topic never comes next while another can.
      if (repeatFactor === 1) for (const arm of shares) expect(arm.share).toBeCloseTo(arm.learnedShare, 12);
      if (repeatFactor === 0) expect(shares.find((arm) => arm.topicId === 1)?.share).toBe(0);
    }
  });
});

describe('armShares and selectArm', () => {
  it('GIVEN no topics, or only disabled or zero-weight ones THEN nothing is drawn', () => {
    expect(selectArm([], [], { ...learningOn, rng: mulberry32(1) })).toBeNull();
    expect(selectArm([topic({ id: 1, enabled: false }), topic({ id: 2, weight: 0 })], [], { ...learningOn, rng: mulberry32(1) })).toBeNull();
  });

  it('GIVEN weights 10/30/60 and no evidence THEN the shares are the weights exactly and 20,000 draws follow them (chi-square)', () => {
    const topics = [topic({ id: 1, weight: 10 }), topic({ id: 2, weight: 30 }), topic({ id: 3, weight: 60 })];
    const shares = armShares(topics, [], learningOn).map((a) => a.share);
    [0.1, 0.3, 0.6].forEach((weightShare, i) => expect(shares[i]).toBeCloseTo(weightShare, 12));
    const rng = mulberry32(20240601);
    const counts = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const chosen = selectArm(topics, [], { ...learningOn, repeatFactor: 1, rng })!;
      counts.set(chosen.topicId, (counts.get(chosen.topicId) ?? 0) + 1);
    }
    // 2 degrees of freedom: 13.8 is the p = 0.001 critical value.
    expect(
      chiSquare(
        counts,
        new Map([
          [1, 2_000],
          [2, 6_000],
          [3, 12_000],
        ]),
      ),
    ).toBeLessThan(13.8);
  });

  it('GIVEN every topic with the same average record THEN the shares stay within a point of the weights', () => {
    const topics = [topic({ id: 1, weight: 10 }), topic({ id: 2, weight: 30 }), topic({ id: 3, weight: 60 })];
    const signals = [1, 2, 3].flatMap((id) => [...many(10, () => signal(id, 'approved')), ...many(10, () => signal(id, 'rejected'))]);
    const shares = armShares(topics, signals, { ...learningOn, repeatFactor: 1 }).map((a) => a.share);
    // Not exact: the posteriors are a little narrower than the prior, which favours the heavier weight slightly.
    [0.1, 0.3, 0.6].forEach((weightShare, i) => expect(Math.abs(shares[i]! - weightShare)).toBeLessThan(0.01));
    expect(shares.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 10);
  });

  it('GIVEN learning off THEN the evidence is ignored and the shares are the weights', () => {
    const topics = [topic({ id: 1, weight: 25 }), topic({ id: 2, weight: 75 })];
    const signals = [...many(50, () => signal(1, 'approved')), ...many(50, () => signal(2, 'rejected'))];
    const shares = armShares(topics, signals, { ...learningOff, repeatFactor: 1 }).map((a) => a.share);
    expect(shares[0]).toBeCloseTo(0.25, 12);
    expect(shares[1]).toBeCloseTo(0.75, 12);
  });

  it('GIVEN a topic moderators approve far more than the others THEN its learned share rises well above its prior, and the others keep the floor', () => {
    const topics = [1, 2, 3, 4, 5, 6, 7].map((id) => topic({ id }));
    const signals = [
      ...many(45, () => signal(1, 'approved')),
      ...many(5, () => signal(1, 'rejected')),
      ...[2, 3, 4, 5, 6, 7].flatMap((id) => [...many(2, () => signal(id, 'approved')), ...many(8, () => signal(id, 'rejected'))]),
    ];
    const shares = armShares(topics, signals, { ...learningOn, repeatFactor: 1 });
    expect(shares[0]!.learnedShare).toBeGreaterThan(0.6);
    for (const other of shares.slice(1)) expect(other.learnedShare).toBeGreaterThanOrEqual(0.1 / 7 - 1e-12);
  });

  it('GIVEN skewed, mixed and many-arm evidence THEN each learned share is the probability that the sampled Thompson race picks the arm (Monte Carlo within 4 standard errors)', () => {
    /** Gamma(k, 1) by Marsaglia and Tsang, from the seeded RNG. */
    const gamma = (rng: () => number, k: number): number => {
      if (k < 1) return gamma(rng, k + 1) * rng() ** (1 / k);
      const d = k - 1 / 3;
      const c = 1 / Math.sqrt(9 * d);
      for (;;) {
        let x: number;
        let v: number;
        do {
          x = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
          v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        if (Math.log(rng()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
      }
    };
    const cases: Array<[TopicStats[], SelectionSignal[]]> = [
      [
        [topic({ id: 1, weight: 50 }), topic({ id: 2, weight: 50 }), topic({ id: 3, weight: 5 })],
        [...many(300, () => signal(1, 'rejected')), ...many(30, () => signal(2, 'approved')), ...many(200, () => signal(2, 'rejected'))],
      ],
      [
        [topic({ id: 1, weight: 100 }), topic({ id: 2, weight: 1 }), topic({ id: 3, weight: 30 })],
        [...many(400, () => signal(1, 'approved')), ...many(5, () => signal(2, 'rejected')), ...many(100, () => signal(3, 'approved'))],
      ],
      [
        Array.from({ length: 12 }, (_, i) => topic({ id: i + 1, weight: 1 + ((i * 37) % 100) })),
        Array.from({ length: 12 }, (_, i) => [...many(i * 3, () => signal(i + 1, 'approved')), ...many(20 - i, () => signal(i + 1, 'rejected'))]).flat(),
      ],
    ];
    const rng = mulberry32(11);
    const samples = 40_000;
    for (const [topics, signals] of cases) {
      const shares = armShares(topics, signals, { ...learningOn, repeatFactor: 1 });
      const successes = shares.reduce((sum, arm) => sum + arm.successes, 0);
      const evidence = shares.reduce((sum, arm) => sum + arm.successes + arm.failures, 0);
      const mean = (successes + 1) / (evidence + 2);
      const [a0, b0] = [PRIOR_STRENGTH * mean, PRIOR_STRENGTH * (1 - mean)];
      const totalWeight = shares.reduce((sum, arm) => sum + arm.weight, 0);
      const wins = shares.map(() => 0);
      for (let k = 0; k < samples; k++) {
        let best = 0;
        let bestKey = -Infinity;
        shares.forEach((arm, i) => {
          const x = gamma(rng, a0 + arm.successes);
          const theta = x / (x + gamma(rng, b0 + arm.failures));
          const key = Math.log(betaCdf(theta, a0, b0)) / arm.weight;
          if (key > bestKey) [best, bestKey] = [i, key];
        });
        wins[best]!++;
      }
      shares.forEach((arm, i) => {
        const race = wins[i]! / samples;
        const sampled = (1 - EXPLORATION_FLOOR) * race + (EXPLORATION_FLOOR * arm.weight) / totalWeight;
        const standardError = Math.sqrt(Math.max(race * (1 - race), 1 / samples) / samples);
        expect(Math.abs(arm.learnedShare - sampled), `${arm.topicName}: ${arm.learnedShare} vs ${sampled}`).toBeLessThan(4 * standardError + 1e-3);
      });
    }
  });

  it('GIVEN four rejections in a row of one of seven equal topics THEN its share barely moves (prior strength: no whipsaw)', () => {
    const topics = [1, 2, 3, 4, 5, 6, 7].map((id) => topic({ id }));
    const share = shareOf(
      topics,
      many(4, () => signal(1, 'rejected')),
      { ...learningOn, repeatFactor: 1 },
      1,
    );
    expect(share).toBeLessThan(1 / 7);
    expect(share).toBeGreaterThan(0.8 / 7);
  });

  it('GIVEN the same approvals but better engagement percentiles THEN that topic gets the larger share', () => {
    const topics = [topic({ id: 1 }), topic({ id: 2 })];
    const signals = [
      ...many(20, () => signal(1, 'approved', { publishedAt: 1, engagement24h: 100 })),
      ...many(20, () => signal(2, 'approved', { publishedAt: 1, engagement24h: 1 })),
    ];
    expect(shareOf(topics, signals, { ...learningOn, repeatFactor: 1 }, 1)).toBeGreaterThan(0.6);
  });

  it('GIVEN a weight of 0 THEN the topic is never drawn however much moderators approved it', () => {
    const topics = [topic({ id: 1, weight: 0 }), topic({ id: 2 })];
    const signals = many(100, () => signal(1, 'approved'));
    const rng = mulberry32(7);
    for (let i = 0; i < 200; i++) expect(selectArm(topics, signals, { ...learningOn, rng })?.topicId).toBe(2);
  });

  it('GIVEN the last topic THEN its chance is multiplied by the repeat factor and the rest renormalised', () => {
    const topics = [topic({ id: 1, weight: 50 }), topic({ id: 2, weight: 50 })];
    const shares = armShares(topics, [], { ...learningOn, lastUsedTopicId: 1 });
    // 0.5 * 0.25 / (0.5 * 0.25 + 0.5)
    expect(shares[0]!.share).toBeCloseTo(0.2, 12);
    expect(shares[0]!.learnedShare).toBe(0.5);
    expect(shareOf(topics, [], { ...learningOn, repeatFactor: 1, lastUsedTopicId: 1 }, 1)).toBe(0.5);
  });

  it('GIVEN repeat factor 0 and alternatives THEN the same topic never comes twice in a row; alone THEN it is drawn again rather than nothing', () => {
    const topics = [topic({ id: 1, weight: 100 }), topic({ id: 2, weight: 1 }), topic({ id: 3, weight: 5 })];
    const rng = mulberry32(42);
    let last: number | null = null;
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const chosen: ArmShare = selectArm(topics, [], { ...learningOn, repeatFactor: 0, lastUsedTopicId: last, rng })!;
      expect(chosen.topicId).not.toBe(last);
      seen.add(chosen.topicId);
      last = chosen.topicId;
    }
    expect(seen).toEqual(new Set([1, 2, 3]));
    const alone = [topic({ id: 1 }), topic({ id: 2, enabled: false })];
    expect(selectArm(alone, [], { ...learningOn, repeatFactor: 0, lastUsedTopicId: 1, rng })?.topicId).toBe(1);
  });

  it('GIVEN a soft repeat factor and a strongly preferred topic THEN it can come twice in a row and take more than half of the drafts', () => {
    const topics = [topic({ id: 1, weight: 100 }), topic({ id: 2, weight: 10 }), topic({ id: 3, weight: 10 })];
    const rng = mulberry32(11);
    let last: number | null = null;
    let first = 0;
    for (let i = 0; i < 2_000; i++) {
      last = selectArm(topics, [], { ...learningOn, lastUsedTopicId: last, rng })!.topicId;
      if (last === 1) first++;
    }
    expect(first / 2_000).toBeGreaterThan(0.55);
  });

  it('GIVEN the same seed and signals THEN the draws are the same sequence (deterministic under the injected RNG)', () => {
    const topics = [1, 2, 3].map((id) => topic({ id }));
    const signals = [...many(5, () => signal(1, 'approved')), ...many(5, () => signal(2, 'rejected'))];
    const run = () => {
      const rng = mulberry32(3);
      return Array.from({ length: 30 }, () => selectArm(topics, signals, { ...learningOn, rng })!.topicId);
    };
    expect(run()).toEqual(run());
  });

  it('GIVEN an RNG at its extremes THEN the first and last eligible arms are returned', () => {
    const topics = [topic({ id: 1, weight: 10 }), topic({ id: 2, weight: 0 }), topic({ id: 3, weight: 10 })];
    expect(selectArm(topics, [], { ...learningOn, rng: () => 0 })?.topicId).toBe(1);
    expect(selectArm(topics, [], { ...learningOn, rng: () => 0.999_999_999_999 })?.topicId).toBe(3);
  });

  it('GIVEN topics used at different times THEN the last used is the most recent', () => {
    expect(lastUsedTopicId([topic({ id: 1, lastUsedAt: 5 }), topic({ id: 2, lastUsedAt: 9 }), topic({ id: 3 })])).toBe(2);
    expect(lastUsedTopicId([topic({ id: 1 })])).toBeNull();
  });
});
