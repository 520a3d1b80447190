import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { DEFAULT_TOPICS } from '../domain/default-topics.js';
import { MIGRATIONS } from '../../migrations/index.js';
import { createClaudeDraftGenerator, GenerationError } from '../adapters/claude/claude-draft-generator.js';
import { ConfigError, loadGenerationConfig, loadStorageConfig } from '../config/index.js';
import { createDataSource, createRepositories, databaseTargetOf, describeDatabaseTarget, type DatabaseTarget } from '../db/index.js';
import { ENTITIES } from '../db/entities/index.js';
import { isContentType, type ContentType } from '../domain/content-types.js';
import type { DuplicateLookup } from '../domain/duplicates.js';
import { lastUsedTopicId, selectArm, type SelectionSignal } from '../domain/topic-selection.js';
import { measureTweet } from '../domain/tweet-length.js';
import { createLogger } from '../logging/index.js';
import { contentPolicyFrom, GenerationFailure, generateValidContent } from '../services/content-generation.js';
import { TOPIC_LEARNING_WINDOW } from '../services/draft-pipeline.js';
import { SETTINGS } from '../services/settings-keys.js';
import type { Topic } from '../services/ports.js';

/**
 * `npm run draft -- [--topic NAME]`: generates one draft with the real generation pipeline
 * (prompt, Claude, sanitise, validate) and prints what a moderator would judge, so templates can
 * be tuned without Discord or X. Needs only ANTHROPIC_API_KEY.
 *
 * When the bot's database exists (DATABASE_PATH, or DATABASE_URL on PostgreSQL), its topics (names, descriptions, weights,
 * enabled flags, statistics), recent posts and duplicate history are used, exactly as the bot
 * would; without one, the migration's default topics. The database is opened READ-ONLY and
 * nothing is recorded in it, not even a generation run: the CLI makes no draft (so there is no
 * topic use to count), the bot must stay the database's only writer, and a run recorded by a
 * tuning session would blur the bot's own generation history. The tokens are printed instead.
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
    process.stdout.write(`${USAGE}\ndefault topics (a database at DATABASE_PATH brings its own): ${DEFAULT_TOPICS.map((t) => t.name).join(', ')}\n`);
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

  const target = databaseTargetOf(loadStorageConfig());
  const source = target.engine === 'postgres' ? await openPostgresTopicSource(target) : await openTopicSource(target.path);
  if (source.kind === 'error') {
    process.stderr.write(`${source.message}\n`);
    return EXIT_CONFIG;
  }
  try {
    return await generate(config, source, args.topic);
  } finally {
    await source.close();
  }
}

/** Where topics, recent posts and duplicate history come from. */
interface TopicSource {
  readonly kind: 'database' | 'defaults';
  readonly label: string;
  readonly topics: readonly Topic[];
  readonly accountAvgEngagement: number;
  /** The decisions topic selection learns from (since the last /topics reset-learning); none for the defaults. */
  readonly signals: readonly SelectionSignal[];
  readonly recentPosts: readonly string[];
  readonly duplicates: DuplicateLookup;
  close(): Promise<void>;
}

/** How many recent texts the prompt shows (the bot's pipeline uses the same number). */
const RECENT_POSTS_FOR_PROMPT = 10;

async function openTopicSource(databasePath: string): Promise<TopicSource | { kind: 'error'; message: string }> {
  if (databasePath === ':memory:' || !existsSync(databasePath)) return defaultTopics(databasePath);
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: databasePath,
    entities: ENTITIES,
    // Read-only and never migrated: the bot owns this file.
    readonly: true,
    fileMustExist: true,
    synchronize: false,
    migrationsRun: false,
  });
  try {
    await dataSource.initialize();
    return await readTopicSource(dataSource, `database ${databasePath} (read-only)`);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    return { kind: 'error', message: `DATABASE_PATH: cannot read the topics from ${databasePath}: ${(error as Error).message}` };
  }
}

/**
 * The bot's PostgreSQL database, read-only: every session of this pool refuses writes
 * (default_transaction_read_only), as the SQLite file is opened read-only. Never migrated.
 * Logs and messages name the host and database only: the URL carries the password.
 */
async function openPostgresTopicSource(target: Extract<DatabaseTarget, { engine: 'postgres' }>): Promise<TopicSource | { kind: 'error'; message: string }> {
  const where = describeDatabaseTarget(target);
  const name = `${where.host ?? ''}/${where.database ?? ''}`;
  const dataSource = createDataSource(target, { readOnly: true });
  try {
    await dataSource.initialize();
    return await readTopicSource(dataSource, `database ${name} (PostgreSQL, read-only)`);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    return { kind: 'error', message: `DATABASE_URL: cannot read the topics from ${name}: ${(error as Error).message}` };
  }
}

/** Reads what the CLI needs from an open, migrated database; closing the source closes it. */
async function readTopicSource(dataSource: DataSource, label: string): Promise<TopicSource> {
  const applied = new Set(((await dataSource.query('SELECT name FROM migrations')) as Array<{ name: string }>).map((row) => row.name));
  const missing = MIGRATIONS.map((migration) => migration.name).filter((name) => !applied.has(name));
  if (missing.length > 0) {
    throw new Error(`it is not migrated to this version (missing ${missing.join(', ')}); start the bot once to migrate it`);
  }
  const repos = createRepositories(dataSource);
  const topics = await repos.topics.list();
  const { accountAverage } = await repos.posts.engagementByTopic();
  // The draw the bot would make: the same decisions since the last /topics reset-learning.
  const resetAt = (await repos.settings.get(SETTINGS.learningReset))?.at ?? null;
  const signals = await repos.learning.decisions({ since: resetAt, limit: TOPIC_LEARNING_WINDOW });
  const recent = await repos.drafts.recentTexts(['published', 'publishing', 'approved', 'pending'], RECENT_POSTS_FOR_PROMPT);
  return {
    kind: 'database',
    label,
    topics,
    accountAvgEngagement: accountAverage,
    signals,
    recentPosts: recent.map((tweets) => tweets.join('\n')),
    duplicates: repos.duplicates,
    close: () => dataSource.destroy(),
  };
}

function defaultTopics(databasePath: string): TopicSource {
  const topics = DEFAULT_TOPICS.flatMap((t, i) =>
    isContentType(t.contentType)
      ? [
          {
            ...t,
            contentType: t.contentType,
            id: i + 1,
            enabled: true,
            lastUsedAt: null,
            usageCount: 0,
            publishedCount: 0,
            approvals: 0,
            rejections: 0,
            successRate: 0,
            avgEngagement: 0,
          },
        ]
      : [],
  );
  return {
    kind: 'defaults',
    label: `default topics (no database at ${databasePath})`,
    topics,
    accountAvgEngagement: 0,
    signals: [],
    recentPosts: [],
    duplicates: NO_HISTORY,
    close: async () => {},
  };
}

async function generate(config: ReturnType<typeof loadGenerationConfig>, source: TopicSource, topicName: string | undefined): Promise<number> {
  const { topics } = source;
  let contentType: ContentType | undefined;
  let topic = topicName === undefined ? undefined : topics.find((t) => t.name.toLowerCase() === topicName.trim().toLowerCase());
  if (topicName !== undefined && !topic) {
    process.stderr.write(`Unknown topic "${topicName}". Known topics: ${topics.map((t) => t.name).join(', ')}\n`);
    return EXIT_CONFIG;
  }
  if (!topic) {
    // The bot's own draw: weights, enabled flags, what the moderators' decisions taught, soft rotation.
    const chosen = selectArm(topics, source.signals, {
      learning: config.learning.enabled,
      repeatFactor: config.learning.repeatFactor,
      lastUsedTopicId: lastUsedTopicId(topics),
      rng: Math.random,
    });
    topic = topics.find((t) => t.id === chosen?.topicId);
    contentType = chosen?.contentType;
  }
  if (!topic) {
    process.stderr.write(`No enabled topic with a weight above 0 in the ${source.label}.\n`);
    return 1;
  }

  const logger = createLogger({ level: 'warn', format: 'pretty', secrets: config.secrets });
  const generator = createClaudeDraftGenerator(config, logger);

  process.stdout.write(`Topic: ${topic.name} (${contentType ?? topic.contentType}), model ${config.anthropic.model}\nTopics from: ${source.label}\n\n`);
  let result;
  try {
    result = await generateValidContent(
      { contentType: contentType ?? topic.contentType, topicName: topic.name, topicDescription: topic.description, recentPosts: source.recentPosts },
      {
        generator,
        duplicates: source.duplicates,
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
      (source.kind === 'database'
        ? 'Duplicates: checked against the database history. Nothing was written to the database.\n'
        : 'Duplicates: not checked here (no database); the bot checks the whole history.\n'),
  );
  return result.ok ? 0 : 1;
}

process.exitCode = await main();
