import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { environmentSchema, generationEnvironmentSchema, SECRET_VARIABLES, BRAND_DOMAINS, type ActiveHours, type Environment } from './schema.js';

export { parseDuration, formatDuration } from './duration.js';
export { DEFAULT_ANTHROPIC_MODEL, BRAND_DOMAINS, SECRET_VARIABLES, parseActiveHours, type ActiveHours } from './schema.js';

export interface TwitterCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

/** The validated, typed configuration. Built once at start-up and handed to every part. */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly discord: {
    readonly token: string;
    readonly guildId: string;
    readonly moderationChannelId: string;
    readonly moderatorRoleId: string | undefined;
    readonly apiBase: string | undefined;
  };
  readonly anthropic: {
    readonly apiKey: string;
    readonly model: string;
    readonly baseUrl: string | undefined;
    readonly maxRetries: number;
    readonly timeoutMs: number;
    /** US dollars per million tokens, for the spend estimate in /stats. */
    readonly pricing: { readonly input: number; readonly output: number; readonly cacheRead: number; readonly cacheWrite: number };
  };
  readonly twitter: {
    readonly credentials: TwitterCredentials | undefined;
    readonly apiBase: string | undefined;
    readonly timeoutMs: number;
    readonly costPerPostUsd: number;
    readonly costPerPostWithUrlUsd: number;
  };
  readonly posting: {
    readonly dryRun: boolean;
    readonly schedule: string;
    readonly jitterMs: number;
    readonly activeHours: ActiveHours | null;
    readonly timezone: string;
    readonly maxPostsPerHour: number;
    readonly maxPostsPerDay: number;
    readonly maxPendingDrafts: number;
    readonly moderationTimeoutMs: number;
    readonly timeoutAction: 'publish' | 'expire';
    readonly requireSecondApproval: boolean;
    readonly engagementSchedule: string;
    readonly engagementWindowDays: number;
  };
  readonly content: {
    readonly generationAttempts: number;
    readonly duplicateThreshold: number;
    readonly maxHashtags: number;
    readonly allowedLinkDomains: readonly string[];
    readonly bannedPatterns: readonly string[];
  };
  readonly storage: {
    readonly databasePath: string;
    readonly backupSchedule: string;
    readonly backupKeep: number;
  };
  readonly ops: {
    readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
    readonly logFormat: 'pretty' | 'json';
    readonly logDir: string;
    readonly healthPort: number;
  };
  /** Every secret value, so the log redactor can mask them wherever they appear. */
  readonly secrets: readonly string[];
}

/** One problem with one variable. `message` never contains a secret's value. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** Raised when the environment does not describe a runnable bot; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      [
        `Invalid configuration: ${problems.length} problem${problems.length === 1 ? '' : 's'} found.`,
        ...problems.map((p) => `  - ${p.variable} ${p.message}`),
        'Set these in the environment or in .env (see .env.example).',
      ].join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads `.env` from `cwd` if it exists and merges it under the real environment, which wins.
 * This and `loadConfig` are the only places that see `process.env`.
 */
export function readEnvironment(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/** Parses the environment into an `AppConfig`, or throws a `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = readEnvironment()): AppConfig {
  return toAppConfig(parseOrThrow(environmentSchema, env));
}

/**
 * What `npm run draft` needs: the Anthropic settings and the content rules. Only
 * ANTHROPIC_API_KEY is required, so templates can be tuned without Discord or X.
 */
export function loadGenerationConfig(env: Record<string, string | undefined> = readEnvironment()): Pick<AppConfig, 'anthropic' | 'content' | 'secrets'> {
  const parsed = parseOrThrow(generationEnvironmentSchema, env);
  return { anthropic: anthropicConfig(parsed), content: contentConfig(parsed), secrets: [parsed.ANTHROPIC_API_KEY] };
}

function parseOrThrow<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const secretNames = new Set<string>(SECRET_VARIABLES);
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const variable = String(issue.path[0] ?? 'environment');
    let message = issue.message;
    // Defensive: a secret's raw value must never be echoed, whatever message zod produced.
    const raw = env[variable];
    if (secretNames.has(variable) && raw && raw.length > 0) message = message.split(raw).join('[redacted]');
    return { variable, message };
  });
  throw new ConfigError(problems);
}

type AnthropicEnvironment = Pick<
  Environment,
  | 'ANTHROPIC_API_KEY'
  | 'ANTHROPIC_MODEL'
  | 'ANTHROPIC_BASE_URL'
  | 'ANTHROPIC_MAX_RETRIES'
  | 'ANTHROPIC_TIMEOUT'
  | 'ANTHROPIC_PRICE_INPUT_PER_MTOK'
  | 'ANTHROPIC_PRICE_OUTPUT_PER_MTOK'
  | 'ANTHROPIC_PRICE_CACHE_READ_PER_MTOK'
  | 'ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK'
>;
type ContentEnvironment = Pick<Environment, 'GENERATION_ATTEMPTS' | 'DUPLICATE_THRESHOLD' | 'MAX_HASHTAGS' | 'ALLOWED_LINK_DOMAINS' | 'BANNED_PATTERNS'>;

function anthropicConfig(env: AnthropicEnvironment): AppConfig['anthropic'] {
  return {
    apiKey: env.ANTHROPIC_API_KEY,
    model: env.ANTHROPIC_MODEL,
    baseUrl: env.ANTHROPIC_BASE_URL,
    maxRetries: env.ANTHROPIC_MAX_RETRIES,
    timeoutMs: env.ANTHROPIC_TIMEOUT,
    pricing: {
      input: env.ANTHROPIC_PRICE_INPUT_PER_MTOK,
      output: env.ANTHROPIC_PRICE_OUTPUT_PER_MTOK,
      cacheRead: env.ANTHROPIC_PRICE_CACHE_READ_PER_MTOK,
      cacheWrite: env.ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK,
    },
  };
}

function contentConfig(env: ContentEnvironment): AppConfig['content'] {
  return {
    generationAttempts: env.GENERATION_ATTEMPTS,
    duplicateThreshold: env.DUPLICATE_THRESHOLD,
    maxHashtags: env.MAX_HASHTAGS,
    allowedLinkDomains: [...new Set([...BRAND_DOMAINS, ...env.ALLOWED_LINK_DOMAINS.map((d) => d.toLowerCase())])],
    bannedPatterns: env.BANNED_PATTERNS,
  };
}

/** Only what the migration CLI needs, so it runs without the bot's credentials. */
export function loadStorageConfig(env: Record<string, string | undefined> = readEnvironment()): { databasePath: string } {
  const value = env['DATABASE_PATH']?.trim();
  return { databasePath: value && value.length > 0 ? value : './data/draftgate.sqlite' };
}

/** Only what the container HEALTHCHECK needs: the port of the health endpoint. */
export function loadHealthCheckConfig(env: Record<string, string | undefined> = readEnvironment()): { healthPort: number } {
  const port = Number(env['HEALTH_PORT'] ?? '8080');
  return { healthPort: Number.isInteger(port) && port > 0 && port <= 65_535 ? port : 8080 };
}

function toAppConfig(env: Environment): AppConfig {
  const credentials =
    env.TWITTER_APP_KEY && env.TWITTER_APP_SECRET && env.TWITTER_ACCESS_TOKEN && env.TWITTER_ACCESS_SECRET
      ? {
          appKey: env.TWITTER_APP_KEY,
          appSecret: env.TWITTER_APP_SECRET,
          accessToken: env.TWITTER_ACCESS_TOKEN,
          accessSecret: env.TWITTER_ACCESS_SECRET,
        }
      : undefined;
  return {
    nodeEnv: env.NODE_ENV,
    discord: {
      token: env.DISCORD_TOKEN,
      guildId: env.DISCORD_GUILD_ID,
      moderationChannelId: env.MODERATION_CHANNEL_ID,
      moderatorRoleId: env.MODERATOR_ROLE_ID,
      apiBase: env.DISCORD_API_BASE,
    },
    anthropic: anthropicConfig(env),
    twitter: {
      credentials,
      apiBase: env.TWITTER_API_BASE,
      timeoutMs: env.TWITTER_TIMEOUT,
      costPerPostUsd: env.X_COST_PER_POST,
      costPerPostWithUrlUsd: env.X_COST_PER_POST_WITH_URL,
    },
    posting: {
      dryRun: env.DRY_RUN,
      schedule: env.POST_SCHEDULE,
      jitterMs: env.POST_JITTER,
      activeHours: env.ACTIVE_HOURS,
      timezone: env.TIMEZONE,
      maxPostsPerHour: env.MAX_POSTS_PER_HOUR,
      maxPostsPerDay: env.MAX_POSTS_PER_DAY,
      maxPendingDrafts: env.MAX_PENDING_DRAFTS,
      moderationTimeoutMs: env.MODERATION_TIMEOUT,
      timeoutAction: env.TIMEOUT_ACTION,
      requireSecondApproval: env.REQUIRE_SECOND_APPROVAL,
      engagementSchedule: env.ENGAGEMENT_SCHEDULE,
      engagementWindowDays: env.ENGAGEMENT_WINDOW_DAYS,
    },
    content: contentConfig(env),
    storage: {
      databasePath: env.DATABASE_PATH,
      backupSchedule: env.BACKUP_SCHEDULE,
      backupKeep: env.BACKUP_KEEP,
    },
    ops: {
      logLevel: env.LOG_LEVEL,
      logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty'),
      logDir: env.LOG_DIR,
      healthPort: env.HEALTH_PORT,
    },
    secrets: [
      env.DISCORD_TOKEN,
      env.ANTHROPIC_API_KEY,
      env.TWITTER_APP_KEY,
      env.TWITTER_APP_SECRET,
      env.TWITTER_ACCESS_TOKEN,
      env.TWITTER_ACCESS_SECRET,
    ].filter((value): value is string => typeof value === 'string' && value.length > 0),
  };
}
