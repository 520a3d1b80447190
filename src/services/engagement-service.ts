import { DAY_MS, mergeXRateState, type XRateState } from '../domain/rate-limits.js';
import { XApiError } from '../domain/x-errors.js';
import type { Logger } from '../logging/index.js';
import type { Clock, LearningSignalRepository, PostRepository, SettingsRepository, TopicRepository, TweetPublisher } from './ports.js';
import { SETTINGS } from './settings-keys.js';

/** X takes at most 100 ids per GET /2/tweets. */
export const ENGAGEMENT_BATCH_SIZE = 100;

export interface EngagementServiceDeps {
  readonly posts: PostRepository;
  readonly topics: TopicRepository;
  readonly settings: SettingsRepository;
  /** Takes the 24-hour and 7-day engagement figures of learning (issue 15) once they come due. */
  readonly learning: Pick<LearningSignalRepository, 'snapshotEngagement'>;
  /** null in dry run: there is nothing at X to measure. */
  readonly publisher: TweetPublisher | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: { readonly engagementWindowDays: number; readonly rateLimitFallbackMs?: number | undefined };
}

/** What one refresh did. */
export interface EngagementRefreshResult {
  /** Posts in the window that were due a refresh. */
  readonly candidates: number;
  /** Posts whose metrics were updated. */
  readonly updated: number;
  /** GET /2/tweets requests sent. */
  readonly requests: number;
  /** Topics whose avg_engagement was rewritten. */
  readonly topicsUpdated: number;
  /** 24-hour and 7-day engagement figures taken for learning. */
  readonly snapshotsTaken: number;
  /** Set when X's read limit stopped the refresh early (or before it started): when to try again. */
  readonly stoppedUntil: number | null;
}

/**
 * Refreshes likes, retweets, replies, quotes and impressions of recent posts, then each topic's
 * average engagement (which feeds topic selection). Respects X's read limit: it stops at a 429
 * or when X says no requests remain, and remembers the reset so the next run waits for it.
 */
export class EngagementService {
  constructor(private readonly deps: EngagementServiceDeps) {}

  async refresh(): Promise<EngagementRefreshResult> {
    const { posts, publisher, clock, logger } = this.deps;
    const now = clock.now();
    const since = now - this.deps.config.engagementWindowDays * DAY_MS;
    const candidates = publisher ? await posts.findForEngagement(since) : [];
    const ids = [...new Set(candidates.map((c) => c.tweetId))];
    let updated = 0;
    let requests = 0;
    let stoppedUntil: number | null = null;

    for (let offset = 0; publisher && offset < ids.length; offset += ENGAGEMENT_BATCH_SIZE) {
      const blockedUntil = await this.readBlockedUntil(clock.now());
      if (blockedUntil !== null) {
        stoppedUntil = blockedUntil;
        logger.info('Engagement refresh paused by the X read limit', { until: new Date(blockedUntil).toISOString(), remainingPosts: ids.length - offset });
        break;
      }
      const batch = ids.slice(offset, offset + ENGAGEMENT_BATCH_SIZE);
      requests += 1;
      try {
        const { metrics, rateLimit } = await publisher.fetchMetrics(batch);
        await this.recordRateLimit(rateLimit, undefined);
        const at = clock.now();
        for (const [tweetId, m] of metrics) {
          await posts.updateMetrics(tweetId, m, at);
          updated += 1;
        }
      } catch (error) {
        if (!(error instanceof XApiError)) throw error;
        const at = clock.now();
        if (error.errorClass === 'rate_limited') {
          const until = Math.max(error.resetAt ?? at + (this.deps.config.rateLimitFallbackMs ?? 15 * 60_000), at + 1);
          await this.recordRateLimit(error.rateLimit ?? null, until);
          stoppedUntil = until;
          logger.warn('X rate-limited the engagement refresh (429)', { until: new Date(until).toISOString() });
          break;
        }
        await this.recordRateLimit(error.rateLimit ?? null, undefined);
        // The next scheduled run retries; metrics already stored stay valid, so stop here.
        logger.error('Engagement refresh failed', { errorClass: error.errorClass, error: error.message });
        throw error;
      }
    }

    const topicsUpdated = await this.updateTopicAverages();
    // After the metrics: a figure that came due is taken from the freshest numbers there are. Also
    // when X's limit stopped the refresh or in dry run (no publisher): whatever is stored is the figure.
    const snapshotsTaken = await this.deps.learning.snapshotEngagement(clock.now());
    if (ids.length > 0 || snapshotsTaken > 0) logger.info('Engagement refreshed', { candidates: ids.length, updated, requests, topicsUpdated, snapshotsTaken });
    return { candidates: ids.length, updated, requests, topicsUpdated, snapshotsTaken, stoppedUntil };
  }

  /** Rewrites avg_engagement, and the publications it is over, for every topic that has published posts. */
  private async updateTopicAverages(): Promise<number> {
    const { byTopicId, publishedByTopicId } = await this.deps.posts.engagementByTopic();
    const now = this.deps.clock.now();
    for (const [topicId, average] of byTopicId) {
      await this.deps.topics.setAverageEngagement(topicId, average, publishedByTopicId.get(topicId) ?? 0, now);
    }
    return byTopicId.size;
  }

  /** The time X's lookup limit lifts, or null when a request may go now. */
  private async readBlockedUntil(now: number): Promise<number | null> {
    const state = await this.deps.settings.get(SETTINGS.xRateLimit.lookup);
    if (!state) return null;
    const until = Math.max(state.blockedUntil ?? 0, state.endpoint && state.endpoint.remaining <= 0 ? state.endpoint.resetAt : 0);
    return until > now ? until : null;
  }

  private async recordRateLimit(observed: XRateState | null, blockedUntil: number | undefined): Promise<void> {
    if (!observed && blockedUntil === undefined) return;
    const previous = (await this.deps.settings.get(SETTINGS.xRateLimit.lookup)) ?? {};
    const merged = mergeXRateState(previous, { ...(observed ?? {}), ...(blockedUntil !== undefined ? { blockedUntil } : {}) });
    await this.deps.settings.set(SETTINGS.xRateLimit.lookup, merged, this.deps.clock.now());
  }
}
