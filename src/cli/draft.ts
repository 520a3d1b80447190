import { parseArgs } from 'node:util';
import { DEFAULT_TOPICS } from '../../migrations/1764115200001-SeedDefaultTopics.js';
import { createClaudeDraftGenerator, GenerationError } from '../adapters/claude/claude-draft-generator.js';
import { ConfigError, loadGenerationConfig } from '../config/index.js';
import { isContentType } from '../domain/content-types.js';
import type { DuplicateLookup } from '../domain/duplicates.js';
import { selectTopic } from '../domain/topic-selection.js';
import { measureTweet } from '../domain/tweet-length.js';
import { createLogger } from '../logging/index.js';
import { contentPolicyFrom, GenerationFailure, generateValidContent } from '../services/content-generation.js';

/**
 * `npm run draft -- [--topic NAME]`: generates one draft with the real generation pipeline
 * (prompt, Claude, sanitise, validate) and prints what a moderator would judge, so templates can
 * be tuned without Discord, X or a database. Needs only ANTHROPIC_API_KEY.
 */
const USAGE = 'usage: npm run draft -- [--topic NAME]';
const EXIT_CONFIG = 2;

/** No database here: the duplicate check sees nothing, and says so in the output. */
const NO_HISTORY: DuplicateLookup = { findByContentHash: async () => [], findByBandKeys: async () => [] };

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { topic: { type: 'string', short: 't' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return EXIT_CONFIG;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\ntopics: ${DEFAULT_TOPICS.map((t) => t.name).join(', ')}\n`);
    return 0;
  }

  let config;
  try {
    config = loadGenerationConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }

  const topics = DEFAULT_TOPICS.flatMap((t, i) => (isContentType(t.contentType) ? [{ ...t, contentType: t.contentType, id: i + 1 }] : []));
  let topic = topics.find((t) => t.name === args.topic);
  if (args.topic !== undefined && !topic) {
    process.stderr.write(`Unknown topic "${args.topic}". Known topics: ${topics.map((t) => t.name).join(', ')}\n`);
    return EXIT_CONFIG;
  }
  if (!topic) {
    const stats = topics.map((t) => ({ ...t, enabled: true, lastUsedAt: null, usageCount: 0, approvals: 0, rejections: 0, avgEngagement: 0 }));
    const chosen = selectTopic(stats, { accountAvgEngagement: 0, lastUsedTopicId: null, rng: Math.random });
    topic = topics.find((t) => t.id === chosen?.id);
  }
  if (!topic) throw new Error('no topic to generate for');

  const logger = createLogger({ level: 'warn', format: 'pretty', secrets: config.secrets });
  const generator = createClaudeDraftGenerator(config, logger);

  process.stdout.write(`Topic: ${topic.name} (${topic.contentType}), model ${config.anthropic.model}\n\n`);
  let result;
  try {
    result = await generateValidContent(
      { contentType: topic.contentType, topicName: topic.name, topicDescription: topic.description, recentPosts: [] },
      {
        generator,
        duplicates: NO_HISTORY,
        policy: contentPolicyFrom(config.content),
        logger,
      },
    );
  } catch (error) {
    const cause = error instanceof GenerationFailure ? error.cause : error;
    if (cause instanceof GenerationError) {
      const spent = error instanceof GenerationFailure ? error.usage : null;
      process.stderr.write(
        `Generation failed (${cause.kind}): ${cause.message}\n` + (spent ? `Tokens: input ${spent.inputTokens}, output ${spent.outputTokens}\n` : ''),
      );
      return 1;
    }
    throw error;
  }

  result.attempts.forEach((attempt, index) => {
    process.stdout.write(`--- attempt ${index + 1}: ${attempt.violations.length === 0 ? 'valid' : 'REFUSED'}\n`);
    attempt.tweets.forEach((tweet, i) => {
      const measure = measureTweet(tweet);
      const label = attempt.tweets.length > 1 ? `${i + 1}/${attempt.tweets.length} ` : '';
      process.stdout.write(`${label}[${measure.weightedLength}/280]\n${tweet}\n\n`);
    });
    for (const violation of attempt.violations) process.stdout.write(`  ✗ ${violation.message}\n`);
    for (const change of attempt.sanitiserChanges) process.stdout.write(`  ~ sanitised: ${change.description}\n`);
  });
  const { usage } = result;
  const pricing = config.anthropic.pricing;
  const cost =
    (usage.inputTokens * pricing.input +
      usage.outputTokens * pricing.output +
      usage.cacheReadTokens * pricing.cacheRead +
      usage.cacheCreationTokens * pricing.cacheWrite) /
    1_000_000;
  process.stdout.write(
    `\nResult: ${result.ok ? 'VALID' : `FAILED: ${result.reason}`}\n` +
      `Tokens: input ${usage.inputTokens}, output ${usage.outputTokens}, cache read ${usage.cacheReadTokens}, ` +
      `cache write ${usage.cacheCreationTokens} (about $${cost.toFixed(4)})\n` +
      'Duplicates: not checked here (no database); the bot checks the whole history.\n',
  );
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
