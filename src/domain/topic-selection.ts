import type { ContentType } from './content-types.js';

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
  /**
   * How many of its drafts were really published (not dry run): the evidence behind
   * `avgEngagement`, and so the weight the engagement factor gives it. Not `usageCount`: a
   * rejected or expired draft has no engagement.
   */
  readonly publishedCount: number;
  /** Moderator approvals of this topic's drafts. */
  readonly approvals: number;
  /** Moderator rejections of this topic's drafts. */
  readonly rejections: number;
  /** Mean engagement of this topic's published posts (same unit as the account average). */
  readonly avgEngagement: number;
}

/** What effective weights depend on besides the topic itself. */
export interface TopicWeightContext {
  /** Mean engagement over all published posts of the account; 0 when nothing is measured yet. */
  readonly accountAvgEngagement: number;
  /** The topic of the most recent draft, or null at first start. */
  readonly lastUsedTopicId: number | null;
}

/** {@link TopicWeightContext} plus the injected RNG returning numbers in [0, 1). */
export interface TopicSelectionContext extends TopicWeightContext {
  readonly rng: () => number;
}

/** The performance multiplier is clamped to this range, so feedback nudges but never dominates. */
export const PERFORMANCE_MULTIPLIER_MIN = 0.5;
export const PERFORMANCE_MULTIPLIER_MAX = 1.5;

/**
 * Prior for the approval rate: as if every topic started with 2 approvals and 2 rejections,
 * so one approval out of one gives 3/5 = 0.6, not 100 %.
 */
export const APPROVAL_PRIOR_APPROVALS = 2;
export const APPROVAL_PRIOR_REJECTIONS = 2;

/**
 * Prior strength for engagement: a topic's engagement ratio is blended with "average" (1.0)
 * as if it had this many extra average posts, so one viral post does not swing the weights.
 */
export const ENGAGEMENT_PRIOR_POSTS = 3;

/**
 * How much a topic's track record multiplies its configured weight.
 *
 * ```
 * approvalRate     = (approvals + 2) / (approvals + rejections + 4)      // Beta(2,2) prior, 0.5 when unknown
 * approvalFactor   = approvalRate / 0.5                                   // 1.0 = as good as a coin flip
 * engagementRatio  = avgEngagement / accountAvgEngagement                 // 1.0 when account average is 0
 * engagementFactor = (publishedCount * engagementRatio + 3) / (publishedCount + 3)
 * multiplier       = clamp(approvalFactor * engagementFactor, 0.5, 1.5)
 * ```
 *
 * A new topic therefore scores exactly 1.0, and no amount of good or bad feedback moves a
 * topic's weight by more than half in either direction.
 */
export function performanceMultiplier(topic: TopicStats, accountAvgEngagement: number): number {
  const approvals = Math.max(0, topic.approvals);
  const rejections = Math.max(0, topic.rejections);
  const approvalRate = (approvals + APPROVAL_PRIOR_APPROVALS) / (approvals + rejections + APPROVAL_PRIOR_APPROVALS + APPROVAL_PRIOR_REJECTIONS);
  const approvalFactor = approvalRate / 0.5;

  let engagementFactor = 1;
  const posts = Math.max(0, topic.publishedCount);
  if (accountAvgEngagement > 0 && Number.isFinite(topic.avgEngagement) && posts > 0) {
    const ratio = Math.max(0, topic.avgEngagement) / accountAvgEngagement;
    engagementFactor = (posts * ratio + ENGAGEMENT_PRIOR_POSTS) / (posts + ENGAGEMENT_PRIOR_POSTS);
  }

  const raw = approvalFactor * engagementFactor;
  return Math.min(PERFORMANCE_MULTIPLIER_MAX, Math.max(PERFORMANCE_MULTIPLIER_MIN, raw));
}

/**
 * The weight a topic competes with in the next draw:
 *
 * ```
 * effectiveWeight = 0                                        if disabled or weight <= 0
 *                 = 0                                        if it is lastUsedTopicId (rotation cooldown)
 *                 = weight * performanceMultiplier(topic)    otherwise
 * ```
 *
 * Rotation is an exclusion rather than a penalty factor: with a factor the same topic would
 * still come up twice in a row now and then, which reads as repetitive on the timeline.
 * {@link selectTopic} falls back to the last-used topic only when it is the sole eligible one,
 * so a single-topic setup keeps posting.
 */
export function effectiveWeight(topic: TopicStats, context: TopicWeightContext): number {
  if (!isEligible(topic)) return 0;
  if (topic.id === context.lastUsedTopicId) return 0;
  return topic.weight * performanceMultiplier(topic, context.accountAvgEngagement);
}

/**
 * Draws the next topic: weighted random over enabled topics with effective weight > 0 (see
 * {@link effectiveWeight}). Returns the last-used topic only if no other topic is eligible,
 * and null when no topic is enabled with a positive weight.
 */
export function selectTopic(topics: readonly TopicStats[], context: TopicSelectionContext): TopicStats | null {
  const weighted = topics
    .map((topic) => ({ topic, weight: effectiveWeight(topic, context) }))
    .filter((entry) => entry.weight > 0 && Number.isFinite(entry.weight));

  if (weighted.length === 0) {
    // Only the cooling-down topic (if any) is left; repeating beats not posting at all.
    return topics.find((topic) => isEligible(topic) && topic.id === context.lastUsedTopicId) ?? null;
  }

  const total = weighted.reduce((sum, entry) => sum + entry.weight, 0);
  let remaining = context.rng() * total;
  for (const entry of weighted) {
    remaining -= entry.weight;
    if (remaining < 0) return entry.topic;
  }
  // Floating-point rounding can leave a hair of `remaining` when rng() is close to 1.
  return weighted[weighted.length - 1]?.topic ?? null;
}

function isEligible(topic: TopicStats): boolean {
  return topic.enabled && Number.isFinite(topic.weight) && topic.weight > 0;
}
