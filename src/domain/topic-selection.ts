import { betaCdfOf } from './beta-distribution.js';
import type { ContentType } from './content-types.js';
import { engagementOf, isModeratorDecision, type DraftSignal } from './learning.js';

/** One topic with the numbers topic selection needs, as the topics repository reports them. */
export interface TopicStats {
  readonly id: number;
  readonly name: string;
  readonly contentType: ContentType;
  /** The moderator's configured weight, 0 to 100. Selection never changes it. */
  readonly weight: number;
  readonly enabled: boolean;
  /** When a draft was last generated for this topic (ms since epoch), or null if never. */
  readonly lastUsedAt: number | null;
  /** How many drafts have been generated for this topic (a failed cycle is not a use). */
  readonly usageCount: number;
  /** How many of its drafts were really published (not dry run). */
  readonly publishedCount: number;
  /** Moderator approvals of this topic's drafts (all time; selection reads the signals instead). */
  readonly approvals: number;
  /** Moderator rejections of this topic's drafts (all time). */
  readonly rejections: number;
  /** Mean engagement of this topic's published posts. */
  readonly avgEngagement: number;
}

/** The signals topic selection reads: one per decided draft (see ./learning.ts). */
export type SelectionSignal = Pick<
  DraftSignal,
  'draftId' | 'topicId' | 'topicName' | 'contentType' | 'decision' | 'publishedAt' | 'dryRun' | 'engagement24h' | 'engagement7d'
>;

/** How a draw is made, besides the topics and the signals. */
export interface TopicSelectionOptions {
  /** LEARNING: off, the shares are the weights (and only each topic's configured content type is drawn). */
  readonly learning: boolean;
  /** TOPIC_REPEAT_FACTOR, 0 to 1: the last topic's chance is multiplied by this. */
  readonly repeatFactor: number;
  /** The topic of the most recent draft, or null at first start. */
  readonly lastUsedTopicId: number | null;
}

/**
 * Prior strength: the prior is a Beta with a0 + b0 = 300 around the account's own mean reward.
 * The race below compares each pair's posterior in units of the prior's spread (about
 * 0.5 / √300, 3 points of approval rate), so this is not "300 decisions of inertia": a pair needs
 * roughly 15 to 20 decisions that disagree with the account's average before its share moves by
 * half, and 3 or 4 rejections in a row move it by a few percent (unit test). A team is therefore
 * not whipsawed by one bad morning, yet in the seeded simulation (7 topics, one approved 90 % of
 * the time, the others 20 %) that topic takes over half of drafts 101-300. Tried: 8 put it at 70 %
 * of the first 100 drafts already (the team never sees the other topics tried); 150 left the
 * approval-rate gain at 1.42x on one seed of six; 300 gave 1.67x to 1.89x on all six.
 */
export const PRIOR_STRENGTH = 300;

/**
 * Every arm keeps at least this part of its weight share, however bad its record: Thompson
 * sampling alone ends up drawing only the best pair, and a pair never drawn again never gets the
 * evidence to come back when the moderators' taste changes. With 0.1 a topic the moderators love
 * can take about nine drafts in ten (before rotation), and every other topic still comes now and then.
 */
export const EXPLORATION_FLOOR = 0.1;

/**
 * One (topic, content type) pair that can be drawn. Every enabled topic with a weight above 0 has
 * its configured content type as an arm. A content type moderators chose for the topic with
 * `/draft type:` becomes an arm too once a moderator APPROVED a draft of that pair: the team has
 * shown it wants it, and the evidence decides from then on how often it comes. Rejected-only
 * choices stay out (no automatic drafts of a pair nobody liked). The topic's weight is split evenly
 * among its arms, so a new pair never changes the topic's prior share, only how it is spent.
 */
export interface TopicArm {
  readonly topicId: number;
  readonly topicName: string;
  readonly contentType: ContentType;
  /** The topic's content type (not one a moderator chose with /draft type:). */
  readonly configured: boolean;
  /** The arm's part of its topic's weight: the prior share. */
  readonly weight: number;
  /** Moderator approvals and rejections of this pair (the deadline's decisions say nothing). */
  readonly approvals: number;
  readonly rejections: number;
  /** Posterior evidence: approvals + Σ engagement percentile, and rejections + Σ (1 − percentile). */
  readonly successes: number;
  readonly failures: number;
}

/** An arm with its chances. */
export interface ArmShare extends TopicArm {
  /** The probability Thompson sampling draws it, before the rotation penalty. */
  readonly learnedShare: number;
  /** The probability it is drawn next: `learnedShare` with the last topic's multiplied by the repeat factor. */
  readonly share: number;
}

/** A topic's moderator decisions among the signals (since the last reset-learning). */
export interface TopicApprovals {
  readonly approvals: number;
  readonly rejections: number;
}

/**
 * Every published draft's engagement rank within the account, 0..1 (mid-rank: the worst of n is
 * 0.5/n, the best 1 − 0.5/n, a lone one 0.5). Drafts without an engagement figure (not published,
 * dry run, or not yet measured) are absent.
 */
export function engagementPercentiles(signals: readonly SelectionSignal[]): Map<number, number> {
  const measured = signals.flatMap((s) => {
    const engagement = s.publishedAt !== null && !s.dryRun ? engagementOf(s) : null;
    return engagement === null || !Number.isFinite(engagement) ? [] : [{ draftId: s.draftId, engagement }];
  });
  const sorted = measured.map((m) => m.engagement).sort((a, b) => a - b);
  const percentiles = new Map<number, number>();
  for (const { draftId, engagement } of measured) {
    const below = lowerBound(sorted, engagement);
    const equal = lowerBound(sorted, engagement, true) - below;
    percentiles.set(draftId, (below + equal / 2) / sorted.length);
  }
  return percentiles;
}

/** Moderator approvals and rejections per topic id, for /topics list. */
export function topicApprovals(topics: readonly Pick<TopicStats, 'id' | 'name'>[], signals: readonly SelectionSignal[]): Map<number, TopicApprovals> {
  const result = new Map<number, TopicApprovals>(topics.map((t) => [t.id, { approvals: 0, rejections: 0 }]));
  for (const signal of signals) {
    const topic = topicOf(topics, signal);
    if (!topic || !isModeratorDecision(signal.decision)) continue;
    const current = result.get(topic.id)!;
    result.set(
      topic.id,
      signal.decision === 'rejected' ? { ...current, rejections: current.rejections + 1 } : { ...current, approvals: current.approvals + 1 },
    );
  }
  return result;
}

/** The arms that can be drawn, with their evidence (see {@link TopicArm}); none with learning off has evidence. */
export function topicArms(topics: readonly TopicStats[], signals: readonly SelectionSignal[], learning: boolean): TopicArm[] {
  const eligible = topics.filter(isEligible);
  const percentiles = learning ? engagementPercentiles(signals) : new Map<number, number>();
  type Tally = { approvals: number; rejections: number; successes: number; failures: number };
  const tallies = new Map<string, Tally>();
  for (const signal of learning ? signals : []) {
    const topic = topicOf(eligible, signal);
    if (!topic) continue;
    const key = armKey(topic.id, signal.contentType);
    const tally = tallies.get(key) ?? { approvals: 0, rejections: 0, successes: 0, failures: 0 };
    if (isModeratorDecision(signal.decision)) {
      if (signal.decision === 'rejected') {
        tally.rejections++;
        tally.failures++;
      } else {
        tally.approvals++;
        tally.successes++;
      }
    }
    const percentile = percentiles.get(signal.draftId);
    if (percentile !== undefined) {
      tally.successes += percentile;
      tally.failures += 1 - percentile;
    }
    tallies.set(key, tally);
  }

  const arms: TopicArm[] = [];
  for (const topic of eligible) {
    const types: ContentType[] = [topic.contentType];
    for (const [key, tally] of tallies) {
      const [topicId, contentType] = splitArmKey(key);
      if (topicId === topic.id && contentType !== topic.contentType && tally.approvals > 0 && !types.includes(contentType)) types.push(contentType);
    }
    for (const contentType of types) {
      const tally = tallies.get(armKey(topic.id, contentType)) ?? { approvals: 0, rejections: 0, successes: 0, failures: 0 };
      arms.push({
        topicId: topic.id,
        topicName: topic.name,
        contentType,
        configured: contentType === topic.contentType,
        weight: topic.weight / types.length,
        ...tally,
      });
    }
  }
  return arms;
}

/**
 * Each arm's chance of being drawn next.
 *
 * Thompson sampling with the moderators' weights as the prior. Every arm has a Beta posterior on
 * "this pair's draft is approved and does well":
 *
 * ```
 * Beta(a0 + approvals + Σ percentile, b0 + rejections + Σ (1 − percentile))
 * a0 = PRIOR_STRENGTH · m,  b0 = PRIOR_STRENGTH · (1 − m),  m = the account's mean reward (Laplace-smoothed)
 * ```
 *
 * A draw takes one sample θᵢ from each posterior, maps it through the prior's CDF (uᵢ = F₀(θᵢ),
 * exactly uniform for an arm without evidence) and runs a weighted race: the arm with the largest
 * uᵢ^(1/weightᵢ) wins (Efraimidis–Spirakis). With no evidence that race picks each arm with
 * probability weight / Σ weight, exactly today's weighted draw, and a weight of 0 never enters.
 * With evidence, an arm whose posterior sits above the prior wins more and more often, as
 * Thompson sampling does. The chance of winning is computed by numerical integration rather than
 * sampled, so the draw costs one random number and `learnedShare` is the real probability.
 *
 * Rotation is a soft penalty: the last topic's chance is multiplied by `repeatFactor` and the rest
 * renormalised (0 is the old hard rule: never twice in a row, unless it is the only topic left).
 * With learning off, `learnedShare` is the weight share.
 */
export function armShares(topics: readonly TopicStats[], signals: readonly SelectionSignal[], options: TopicSelectionOptions): ArmShare[] {
  const arms = topicArms(topics, signals, options.learning);
  if (arms.length === 0) return [];
  const totalWeight = arms.reduce((sum, arm) => sum + arm.weight, 0);
  const race = raceWinProbabilities(arms);
  // The floor: every arm keeps EXPLORATION_FLOOR of its weight share, whatever the evidence.
  const learned = race.map((p, i) => (1 - EXPLORATION_FLOOR) * p + (EXPLORATION_FLOOR * arms[i]!.weight) / totalWeight);
  const repeatFactor = Math.min(1, Math.max(0, Number.isFinite(options.repeatFactor) ? options.repeatFactor : 0));
  const othersCanWin = arms.some((arm, i) => arm.topicId !== options.lastUsedTopicId && (learned[i] ?? 0) > 0);
  const penalised = arms.map((arm, i) => (learned[i] ?? 0) * (othersCanWin && arm.topicId === options.lastUsedTopicId ? repeatFactor : 1));
  const total = penalised.reduce((sum, p) => sum + p, 0);
  return arms.map((arm, i) => ({ ...arm, learnedShare: learned[i] ?? 0, share: total > 0 ? (penalised[i] ?? 0) / total : 1 / arms.length }));
}

/**
 * Draws the next (topic, content type) with the injected RNG (one number in [0, 1)), following
 * {@link armShares}. Null when no topic is enabled with a weight above 0.
 */
export function selectArm(
  topics: readonly TopicStats[],
  signals: readonly SelectionSignal[],
  options: TopicSelectionOptions & { readonly rng: () => number },
): ArmShare | null {
  const shares = armShares(topics, signals, options);
  let remaining = options.rng();
  let lastPossible: ArmShare | null = null;
  for (const arm of shares) {
    if (arm.share <= 0) continue;
    lastPossible = arm;
    remaining -= arm.share;
    if (remaining < 0) return arm;
  }
  // Rounding can leave a hair of `remaining` when rng() is close to 1.
  return lastPossible;
}

/** The topic of the most recent draft (by the topics' lastUsedAt), for the rotation penalty. */
export function lastUsedTopicId(topics: readonly Pick<TopicStats, 'id' | 'lastUsedAt'>[]): number | null {
  let latest: Pick<TopicStats, 'id' | 'lastUsedAt'> | null = null;
  for (const topic of topics) {
    if (topic.lastUsedAt !== null && (latest === null || topic.lastUsedAt > (latest.lastUsedAt ?? 0))) latest = topic;
  }
  return latest?.id ?? null;
}

/** Points of the race's time grid (log-spaced): enough for shares to ±0.1 % (see the unit tests). */
const GRID_POINTS = 400;
const GRID_MIN = 1e-3;
const GRID_MAX = 1e3;
const PRIOR_TABLE_POINTS = 2_000;
/** A survival below this counts as 0 (see raceWinProbabilities). */
const NEGLIGIBLE_SURVIVAL = 1e-15;

/** P(arm i wins the weighted race), see {@link armShares}. */
function raceWinProbabilities(arms: readonly TopicArm[]): number[] {
  const totalWeight = arms.reduce((sum, arm) => sum + arm.weight, 0);
  const evidence = arms.reduce((sum, arm) => sum + arm.successes + arm.failures, 0);
  // No evidence: the race's answer is known exactly, and is today's weighted draw.
  if (evidence === 0) return arms.map((arm) => arm.weight / totalWeight);

  const successes = arms.reduce((sum, arm) => sum + arm.successes, 0);
  const mean = (successes + 1) / (evidence + 2);
  const a0 = PRIOR_STRENGTH * mean;
  const b0 = PRIOR_STRENGTH * (1 - mean);
  const priorQuantile = priorQuantileFunction(a0, b0);
  const maxWeight = Math.max(...arms.map((arm) => arm.weight));

  // Race time τᵢ = −ln(uᵢ) / wᵢ (the smallest wins); survival Rᵢ(t) = P(τᵢ > t) = Gᵢ(F₀⁻¹(e^(−wᵢ t))).
  const times = [0];
  for (let k = 0; k < GRID_POINTS; k++) times.push(GRID_MIN * (GRID_MAX / GRID_MIN) ** (k / (GRID_POINTS - 1)));
  const survival = arms.map((arm) => {
    const w = arm.weight / maxWeight;
    const noEvidence = arm.successes + arm.failures === 0;
    const posteriorCdf = betaCdfOf(a0 + arm.successes, b0 + arm.failures);
    const curve: number[] = [];
    for (const t of times) {
      // The curve only falls with t: once it is below NEGLIGIBLE_SURVIVAL the rest of it moves no
      // share by more than that, so the posterior (most of a draw's cost) is not evaluated there.
      const previous = curve.at(-1) ?? 1;
      const u = Math.exp(-w * t);
      curve.push(previous < NEGLIGIBLE_SURVIVAL ? 0 : noEvidence ? u : posteriorCdf(priorQuantile(u)));
    }
    curve.push(0); // t = ∞
    return curve;
  });

  // others[k][i] = Π_{j ≠ i} R_j(t_k), from prefix and suffix products: O(arms · grid) rather
  // than O(arms² · grid), which was most of a draw's cost with many arms (no division, so a
  // survival of exactly 0 needs no special case).
  const n = arms.length;
  const others = survival[0]!.map((_, k) => {
    const out = new Array<number>(n);
    let prefix = 1;
    for (let j = 0; j < n; j++) {
      out[j] = prefix;
      prefix *= survival[j]![k]!;
    }
    let suffix = 1;
    for (let j = n - 1; j >= 0; j--) {
      out[j]! *= suffix;
      suffix *= survival[j]![k]!;
    }
    return out;
  });
  const wins = arms.map((_, i) => {
    const own = survival[i]!;
    let total = 0;
    for (let k = 0; k < own.length - 1; k++) {
      const mass = own[k]! - own[k + 1]!;
      if (mass <= 0) continue;
      total += (mass * (others[k]![i]! + others[k + 1]![i]!)) / 2;
    }
    return total;
  });
  const sum = wins.reduce((s, p) => s + p, 0);
  return sum > 0 ? wins.map((p) => p / sum) : arms.map((arm) => arm.weight / totalWeight);
}

/** F₀⁻¹ for the prior Beta(a0, b0), by a table and linear interpolation. */
function priorQuantileFunction(a0: number, b0: number): (p: number) => number {
  const xs: number[] = [];
  const cdf: number[] = [];
  const priorCdf = betaCdfOf(a0, b0);
  for (let k = 0; k <= PRIOR_TABLE_POINTS; k++) {
    const x = k / PRIOR_TABLE_POINTS;
    xs.push(x);
    cdf.push(priorCdf(x));
  }
  return (p) => {
    if (p <= 0) return 0;
    if (p >= 1) return 1;
    const hi = Math.max(1, lowerBound(cdf, p));
    const lo = hi - 1;
    const span = cdf[hi]! - cdf[lo]!;
    return span > 0 ? xs[lo]! + ((p - cdf[lo]!) / span) * (xs[hi]! - xs[lo]!) : xs[hi]!;
  };
}

/** First index whose value is ≥ `value` (or > with `strict`) in an ascending array. */
function lowerBound(sorted: readonly number[], value: number, strict = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? sorted[mid]! <= value : sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function topicOf<T extends Pick<TopicStats, 'id' | 'name'>>(topics: readonly T[], signal: SelectionSignal): T | undefined {
  if (signal.topicId !== null) return topics.find((t) => t.id === signal.topicId);
  const name = signal.topicName.toLowerCase();
  return topics.find((t) => t.name.toLowerCase() === name);
}

function armKey(topicId: number, contentType: ContentType): string {
  return `${topicId}\u0000${contentType}`;
}

function splitArmKey(key: string): [number, ContentType] {
  const [id, type] = key.split('\u0000');
  return [Number(id), type as ContentType];
}

function isEligible(topic: TopicStats): boolean {
  return topic.enabled && Number.isFinite(topic.weight) && topic.weight > 0;
}
