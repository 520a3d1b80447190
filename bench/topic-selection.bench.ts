import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES } from '../src/domain/content-types.js';
import { DRAFT_DECISIONS } from '../src/domain/learning.js';
import { armShares, selectArm, type SelectionSignal, type TopicStats } from '../src/domain/topic-selection.js';
import { TOPIC_LEARNING_WINDOW } from '../src/services/draft-pipeline.js';
import { mulberry32 } from '../tests/support/seeded-random.js';
import { report, summarise } from './report.js';

const TOPICS = 20;
const DRAWS = 50;

/**
 * One topic draw (Thompson sampling, computed by numerical integration) over a full learning
 * window of decisions. `otherTypes`: the part of the decisions on a `/draft type:` choice rather
 * than the topic's own type; approved ones become arms, so 0.5 gives about 110 arms, the worst a
 * 20-topic account is likely to see.
 */
function scenario(otherTypes: number) {
  const rng = mulberry32(2026);
  const topics: TopicStats[] = Array.from({ length: TOPICS }, (_, i) => ({
    id: i + 1,
    name: `topic ${i + 1}`,
    contentType: CONTENT_TYPES[i % CONTENT_TYPES.length]!,
    weight: 1 + ((i * 37) % 100),
    enabled: true,
    lastUsedAt: null,
    usageCount: 0,
    publishedCount: 0,
    approvals: 0,
    rejections: 0,
    avgEngagement: 0,
  }));
  const signals: SelectionSignal[] = Array.from({ length: TOPIC_LEARNING_WINDOW }, (_, i) => {
    const topic = topics[Math.floor(rng() * TOPICS)]!;
    const published = rng() < 0.5;
    return {
      draftId: i + 1,
      topicId: topic.id,
      topicName: topic.name,
      contentType: rng() < otherTypes ? CONTENT_TYPES[Math.floor(rng() * CONTENT_TYPES.length)]! : topic.contentType,
      decision: DRAFT_DECISIONS[Math.floor(rng() * DRAFT_DECISIONS.length)]!,
      publishedAt: published ? i : null,
      dryRun: false,
      engagement24h: published ? Math.floor(rng() * 100) : null,
      engagement7d: null,
    };
  });
  return { topics, signals, rng };
}

describe('topic draw cost', () => {
  for (const [name, otherTypes] of [
    ['configured-types', 0],
    ['many-arms', 0.5],
  ] as const) {
    it(`GIVEN ${TOPICS} topics and ${TOPIC_LEARNING_WINDOW} decisions (${name}) THEN one draw is timed`, () => {
      const { topics, signals, rng } = scenario(otherTypes);
      const options = { learning: true, repeatFactor: 0.25, lastUsedTopicId: 3 };
      const arms = armShares(topics, signals, options).length;
      const timings: number[] = [];
      for (let i = 0; i < DRAWS; i++) {
        const started = performance.now();
        const drawn = selectArm(topics, signals, { ...options, rng });
        timings.push(performance.now() - started);
        expect(drawn).not.toBeNull();
      }
      const s = summarise(timings.slice(5));
      report(`topic-draw-${name}`, { arms, decisions: signals.length, medianMs: s.median, p95Ms: s.p95, maxMs: s.max }, 'median < 20 ms');
    });
  }
});
