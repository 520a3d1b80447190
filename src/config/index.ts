import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { z } from 'zod';
import { DEFAULT_ACCOUNT_ID, twitterCredentialVariables, type AccountId } from '../domain/account.js';
import type { SlotRule } from '../domain/slots.js';
import { parseAccountsFile, type FileAccount } from './accounts.js';
import {
  environmentSchema,
  generationEnvironmentSchema,
  SECRET_VARIABLES,
  BRAND_DOMAINS,
  slotInsideWindow,
  type ActiveHours,
  type Environment,
} from './schema.js';

export { parseDuration, formatDuration } from './duration.js';
export { DEFAULT_ANTHROPIC_MODEL, DEFAULT_LEARNING_MODEL, BRAND_DOMAINS, SECRET_VARIABLES, parseActiveHours, type ActiveHours } from './schema.js';

export interface TwitterCredentials {
  readonly appKey: string;
  readonly appSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

/**
 * One X account the bot writes for: its moderators' channel, posting rules, content rules and
 * X credentials. Built from accounts.yaml (each key falling back to the environment), or from
 * the environment alone as the account `default`. The sub-shapes are AppConfig's, so code that
 * took `config.posting` takes `account.posting`.
 */
export interface AccountConfig {
  readonly id: AccountId;
  readonly discord: { readonly moderationChannelId: string; readonly moderatorRoleId: string | undefined };
  /** engagementSchedule and engagementWindowDays are always the environment's. */
  readonly posting: AppConfig['posting'];
  /** `voice` replaces the built-in voice paragraph of the system prompt; null keeps the built-in one. */
  readonly content: AppConfig['content'] & { readonly voice: string | null };
  /** What this account learns from its moderators (issue 15); each key falls back to the environment's. */
  readonly learning: LearningConfig;
  readonly twitter: {
    /** Undefined when any of the four variables is unset, which only a dry-run account allows. */
    readonly credentials: TwitterCredentials | undefined;
    /** The four variables the credentials come from, for messages (e.g. a 401 names them). */
    readonly credentialVariables: readonly [string, string, string, string];
  };
}

/** Learning from moderators (issue 15). */
export interface LearningConfig {
  /**
   * LEARNING (on|off, default on): on, topic choice, the examples in the prompt and the avoid
   * notes learn from the moderators; off, topics are drawn by their weights alone and the prompt
   * has no learned block. Signals are recorded either way, so turning it on later starts informed.
   */
  readonly enabled: boolean;
  /** TOPIC_REPEAT_FACTOR (0 to 1, default 0.25): the last topic's chance of coming again next is multiplied by this. */
  readonly repeatFactor: number;
  /** VOICE_EXAMPLES (0 to 12, default 6): at most this many approved drafts as examples in the prompt. */
  readonly maxExamples: number;
  /** At most this many before -> after edit pairs in the prompt (default 4). */
  readonly maxEditPairs: number;
}

/** The defaults of {@link LearningConfig}, as the README states them. */
export const DEFAULT_LEARNING: LearningConfig = { enabled: true, repeatFactor: 0.25, maxExamples: 6, maxEditPairs: 4 };

/** The validated, typed configuration. Built once at start-up and handed to every part. */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly discord: {
    readonly token: string;
    readonly guildId: string;
    /** MODERATION_CHANNEL_ID; with ACCOUNTS_FILE and no MODERATION_CHANNEL_ID, the first account's channel. */
    readonly moderationChannelId: string;
    readonly moderatorRoleId: string | undefined;
    readonly apiBase: string | undefined;
    /**
     * Register the slash commands at start even if their definitions, application and guild are
     * those of the last registration (DISCORD_FORCE_REGISTER, or `--force-register`).
     */
    readonly forceRegisterCommands: boolean;
    /** MEDIA_DOWNLOAD_TIMEOUT: the deadline of one attachment download (an image a moderator attached). */
    readonly mediaDownloadTimeoutMs: number;
  };
  readonly anthropic: {
    readonly apiKey: string;
    readonly model: string;
    /** LEARNING_MODEL: the model that condenses moderator feedback into avoid notes, once a day (issue 15). */
    readonly learningModel: string;
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
    /** POST_SLOTS: the local times approved posts go out at; empty = as soon as the caps allow. */
    readonly slots: readonly SlotRule[];
    /** SLOT_GRACE: a slot missed (bot down) by less than this is still published at start. */
    readonly slotGraceMs: number;
    /** KEEP_AHEAD: drafts kept pending or scheduled ahead of the next slots; 0 = off. */
    readonly keepAhead: number;
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
  /** The environment's learning settings; each account's own are `accounts[i].learning`. */
  readonly learning: LearningConfig;
  readonly storage: {
    /** SQLite's file; unused when `databaseUrl` is set. */
    readonly databasePath: string;
    /** A postgres:// URL: the store is PostgreSQL. Null: SQLite at `databasePath`. */
    readonly databaseUrl: string | null;
    readonly backupSchedule: string;
    readonly backupKeep: number;
    /**
     * The drafts' image files, `<mediaDir>/<sha256>` (issue 14): MEDIA_DIR, else `media` beside
     * the SQLite file, else (PostgreSQL) ./data/media.
     */
    readonly mediaDir: string;
  };
  /** The instance lease (one active instance, standbys waiting): how often it is renewed, when it lapses. */
  readonly instance: {
    readonly renewEveryMs: number;
    readonly expiresAfterMs: number;
  };
  readonly ops: {
    readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
    readonly logFormat: 'pretty' | 'json';
    readonly logDir: string;
    readonly healthPort: number;
  };
  /**
   * The accounts, in file order, never empty. Without ACCOUNTS_FILE: the one account `default`,
   * whose values are exactly the fields above. With it, the fields above are the environment's
   * values, which every account key not in the file falls back to.
   */
  readonly accounts: readonly AccountConfig[];
  /** Every secret value, every account's included, so the log redactor can mask them wherever they appear. */
  readonly secrets: readonly string[];
}

/** One problem with one variable. `message` never contains a secret's value. */
export interface ConfigProblem {
  /** An environment variable, or a path such as `accounts[1].timezone` when `file` is set. */
  readonly variable: string;
  readonly message: string;
  /** The accounts file the path is in. */
  readonly file?: string;
}

/** Raised when the environment does not describe a runnable bot; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      [
        `Invalid configuration: ${problems.length} problem${problems.length === 1 ? '' : 's'} found.`,
        ...problems.map((p) => (p.file === undefined ? `  - ${p.variable} ${p.message}` : `  - ${p.variable}: ${p.message}`)),
        ...(problems.some((p) => p.file === undefined) ? ['Set these in the environment or in .env (see .env.example).'] : []),
        ...[...new Set(problems.flatMap((p) => (p.file === undefined ? [] : [p.file])))].map(
          (file) => `Paths such as accounts[0].id are in ${file} (ACCOUNTS_FILE; see accounts.example.yaml).`,
        ),
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

/**
 * Parses the environment, and the accounts file ACCOUNTS_FILE names (relative to `cwd`), into an
 * `AppConfig`, or throws one `ConfigError` listing every problem of both.
 */
export function loadConfig(env: Record<string, string | undefined> = readEnvironment(), options: { readonly cwd?: string } = {}): AppConfig {
  const parsed = environmentSchema.safeParse(env);
  const problems: ConfigProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? 'environment'), message: issue.message }));
  const fileName = env['ACCOUNTS_FILE']?.trim();
  let accounts: readonly AccountConfig[] | undefined;
  let accountSecrets: string[] = [];
  if (fileName) {
    const file = resolve(options.cwd ?? process.cwd(), fileName);
    const fromFile = parseAccountsFile(file);
    problems.push(
      ...fromFile.problems.map((p): ConfigProblem =>
        p.inFile ? { variable: p.variable, message: p.message, file } : { variable: p.variable, message: p.message },
      ),
    );
    const envDryRun = environmentSchema.shape.DRY_RUN.safeParse(env['DRY_RUN']);
    const secrets = accountSecretsOf(
      fromFile.ids.map((id, index) => (id === undefined ? undefined : { id, dryRun: fromFile.dryRuns[index] ?? (envDryRun.success && envDryRun.data) })),
      env,
    );
    problems.push(...secrets.problems);
    accountSecrets = secrets.values;
    if (problems.length === 0 && parsed.success && fromFile.accounts) {
      const fallback = parsed.data;
      const resolved = fromFile.accounts.map((account) => accountFromFile(account, fallback, secrets.credentials.get(account.id)));
      problems.push(...slotsOutsideActiveHours(fromFile.accounts, resolved, file));
      accounts = resolved;
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(redacted(problems, env));
  return toAppConfig(parsed.data, accounts, accountSecrets);
}

/**
 * A slot the account's active hours forbid would never be used: a problem naming both settings,
 * at the slot in the file when the file sets the slots, else at the file's activeHours (the
 * slots then come from POST_SLOTS).
 */
function slotsOutsideActiveHours(fileAccounts: readonly FileAccount[], accounts: readonly AccountConfig[], file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  accounts.forEach((account, index) => {
    const fromFile = fileAccounts[index]!;
    const window = account.posting.activeHours;
    const activeHoursName = fromFile.activeHours !== undefined ? `accounts[${index}].activeHours` : 'ACTIVE_HOURS';
    account.posting.slots.forEach((rule, slotIndex) => {
      if (slotInsideWindow(rule, window)) return;
      const windowText = window?.text ?? 'always';
      if (fromFile.slots !== undefined) {
        problems.push({
          variable: `accounts[${index}].slots[${slotIndex}]`,
          message: `${JSON.stringify(rule.spec)} is outside the account's active hours (${activeHoursName}: ${windowText}); move the slot or widen the active hours`,
          file,
        });
      } else {
        problems.push({
          variable: `accounts[${index}].activeHours`,
          message: `${windowText} excludes the slot ${JSON.stringify(rule.spec)} of POST_SLOTS, which this account uses; set the account's slots or widen its active hours`,
          file,
        });
      }
    });
  });
  return problems;
}

/** What each of an account's four variables holds, for the too-short message, in twitterCredentialVariables order. */
const CREDENTIAL_NAMES = ['the X app (consumer) key', 'the X app (consumer) secret', 'the X user access token', 'the X user access secret'] as const;

/**
 * Reads each account's four X secrets from the environment: missing ones are problems unless the
 * account is a dry run, short ones always (as TWITTER_* are), and two accounts with one access
 * token would post as the same X user. `default`'s plain TWITTER_* are length-checked by the
 * environment schema already.
 */
function accountSecretsOf(
  accounts: ReadonlyArray<{ readonly id: AccountId; readonly dryRun: boolean } | undefined>,
  env: Record<string, string | undefined>,
): { problems: ConfigProblem[]; values: string[]; credentials: Map<AccountId, TwitterCredentials> } {
  const problems: ConfigProblem[] = [];
  const values: string[] = [];
  const credentials = new Map<AccountId, TwitterCredentials>();
  const accessTokenOwner = new Map<string, string>();
  for (const account of accounts) {
    if (account === undefined) continue;
    const variables = twitterCredentialVariables(account.id);
    const read = variables.map((name) => {
      const value = env[name]?.trim();
      return value === undefined || value === '' ? undefined : value;
    });
    variables.forEach((name, index) => {
      const value = read[index];
      if (value === undefined) {
        if (!account.dryRun) {
          problems.push({
            variable: name,
            message: `is missing; expected an X OAuth 1.0a credential of the account ${JSON.stringify(account.id)} (required unless its dryRun is true)`,
          });
        }
        return;
      }
      values.push(value);
      if (account.id !== DEFAULT_ACCOUNT_ID && value.length < 8) problems.push({ variable: name, message: `is too short to be ${CREDENTIAL_NAMES[index]}` });
    });
    const [appKey, appSecret, accessToken, accessSecret] = read;
    if (accessToken !== undefined) {
      const owner = accessTokenOwner.get(accessToken);
      if (owner !== undefined) {
        problems.push({ variable: variables[2], message: `holds the same access token as ${owner}; each account must post as its own X user` });
      } else {
        accessTokenOwner.set(accessToken, variables[2]);
      }
    }
    if (appKey && appSecret && accessToken && accessSecret) credentials.set(account.id, { appKey, appSecret, accessToken, accessSecret });
  }
  return { problems, values, credentials };
}

/**
 * Masks every secret the environment holds (each account's too) in every message: a value
 * pasted into the wrong field is echoed by its field's message otherwise.
 */
function redacted(problems: readonly ConfigProblem[], env: Record<string, string | undefined>): ConfigProblem[] {
  const secretValues = Object.entries(env)
    .filter(
      ([name, value]) =>
        value !== undefined &&
        value.trim().length > 0 &&
        ((SECRET_VARIABLES as readonly string[]).includes(name) || /^TWITTER_[A-Z0-9_]+_(APP_KEY|APP_SECRET|ACCESS_TOKEN|ACCESS_SECRET)$/.test(name)),
    )
    .map(([, value]) => value!.trim())
    // Longest first, so a secret that contains another is masked whole.
    .sort((a, b) => b.length - a.length);
  return problems.map((problem) => ({
    ...problem,
    message: secretValues.reduce((message, value) => message.split(value).join('[redacted]'), problem.message),
  }));
}

/**
 * What `npm run draft` needs: the Anthropic settings and the content rules. Only
 * ANTHROPIC_API_KEY is required, so templates can be tuned without Discord or X.
 */
export function loadGenerationConfig(
  env: Record<string, string | undefined> = readEnvironment(),
): Pick<AppConfig, 'anthropic' | 'content' | 'secrets' | 'learning'> {
  const parsed = parseOrThrow(generationEnvironmentSchema, env);
  return { anthropic: anthropicConfig(parsed), content: contentConfig(parsed), learning: learningConfig(parsed), secrets: [parsed.ANTHROPIC_API_KEY] };
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
  | 'LEARNING_MODEL'
>;
type ContentEnvironment = Pick<Environment, 'GENERATION_ATTEMPTS' | 'DUPLICATE_THRESHOLD' | 'MAX_HASHTAGS' | 'ALLOWED_LINK_DOMAINS' | 'BANNED_PATTERNS'>;

/** The environment's learning settings (issue 15); an account's keys in accounts.yaml override them. */
function learningConfig(env: Pick<Environment, 'LEARNING' | 'TOPIC_REPEAT_FACTOR' | 'VOICE_EXAMPLES'>, account?: FileAccount): LearningConfig {
  return {
    enabled: account?.learning ?? env.LEARNING,
    repeatFactor: account?.topicRepeatFactor ?? env.TOPIC_REPEAT_FACTOR,
    maxExamples: account?.voiceExamples ?? env.VOICE_EXAMPLES,
    // Not configurable: four pairs already show a team's editing habits, and each costs prompt tokens.
    maxEditPairs: DEFAULT_LEARNING.maxEditPairs,
  };
}

function anthropicConfig(env: AnthropicEnvironment): AppConfig['anthropic'] {
  return {
    apiKey: env.ANTHROPIC_API_KEY,
    model: env.ANTHROPIC_MODEL,
    learningModel: env.LEARNING_MODEL,
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
    allowedLinkDomains: withBrandDomains(env.ALLOWED_LINK_DOMAINS),
    bannedPatterns: env.BANNED_PATTERNS,
  };
}

/** The brand's domain is always allowed (twitter-text reads "Pump.fun" as a link); domains compare lower-case. */
function withBrandDomains(domains: readonly string[]): string[] {
  return [...new Set([...BRAND_DOMAINS, ...domains.map((d) => d.toLowerCase())])];
}

/** The password in a database URL, as written and as percent-decoded, so the redactor masks either form. */
function databasePassword(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = new URL(url).password;
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

/** Only what the migration CLI needs, so it runs without the bot's credentials. */
export function loadStorageConfig(env: Record<string, string | undefined> = readEnvironment()): { databasePath: string; databaseUrl: string | null } {
  const value = env['DATABASE_PATH']?.trim();
  const url = env['DATABASE_URL']?.trim();
  return { databasePath: value && value.length > 0 ? value : './data/draftgate.sqlite', databaseUrl: url && url.length > 0 ? url : null };
}

/** Only what the container HEALTHCHECK needs: the port of the health endpoint. */
export function loadHealthCheckConfig(env: Record<string, string | undefined> = readEnvironment()): { healthPort: number } {
  const port = Number(env['HEALTH_PORT'] ?? '8080');
  return { healthPort: Number.isInteger(port) && port > 0 && port <= 65_535 ? port : 8080 };
}

function postingConfig(env: Environment): AppConfig['posting'] {
  return {
    dryRun: env.DRY_RUN,
    schedule: env.POST_SCHEDULE,
    jitterMs: env.POST_JITTER,
    activeHours: env.ACTIVE_HOURS,
    timezone: env.TIMEZONE,
    slots: env.POST_SLOTS,
    slotGraceMs: env.SLOT_GRACE,
    keepAhead: env.KEEP_AHEAD,
    maxPostsPerHour: env.MAX_POSTS_PER_HOUR,
    maxPostsPerDay: env.MAX_POSTS_PER_DAY,
    maxPendingDrafts: env.MAX_PENDING_DRAFTS,
    moderationTimeoutMs: env.MODERATION_TIMEOUT,
    timeoutAction: env.TIMEOUT_ACTION,
    requireSecondApproval: env.REQUIRE_SECOND_APPROVAL,
    engagementSchedule: env.ENGAGEMENT_SCHEDULE,
    engagementWindowDays: env.ENGAGEMENT_WINDOW_DAYS,
  };
}

/** An account of the file, each key it leaves out taken from the environment. */
function accountFromFile(account: FileAccount, env: Environment, credentials: TwitterCredentials | undefined): AccountConfig {
  const posting = postingConfig(env);
  const content = contentConfig(env);
  return {
    id: account.id,
    discord: { moderationChannelId: account.moderationChannelId, moderatorRoleId: account.moderatorRoleId ?? env.MODERATOR_ROLE_ID },
    posting: {
      ...posting,
      dryRun: account.dryRun ?? posting.dryRun,
      schedule: account.postSchedule ?? posting.schedule,
      jitterMs: account.postJitter ?? posting.jitterMs,
      // null ("always") is a value of its own: only undefined falls back.
      activeHours: account.activeHours !== undefined ? account.activeHours : posting.activeHours,
      timezone: account.timezone ?? posting.timezone,
      slots: account.slots ?? posting.slots,
      slotGraceMs: account.slotGrace ?? posting.slotGraceMs,
      keepAhead: account.keepAhead ?? posting.keepAhead,
      maxPostsPerHour: account.maxPostsPerHour ?? posting.maxPostsPerHour,
      maxPostsPerDay: account.maxPostsPerDay ?? posting.maxPostsPerDay,
      maxPendingDrafts: account.maxPendingDrafts ?? posting.maxPendingDrafts,
      moderationTimeoutMs: account.moderationTimeout ?? posting.moderationTimeoutMs,
      timeoutAction: account.timeoutAction ?? posting.timeoutAction,
      requireSecondApproval: account.requireSecondApproval ?? posting.requireSecondApproval,
    },
    content: {
      ...content,
      allowedLinkDomains: account.allowedLinkDomains ? withBrandDomains(account.allowedLinkDomains) : content.allowedLinkDomains,
      bannedPatterns: account.bannedPatterns ?? content.bannedPatterns,
      voice: account.voice ?? null,
    },
    learning: learningConfig(env, account),
    twitter: { credentials, credentialVariables: twitterCredentialVariables(account.id) },
  };
}

function toAppConfig(env: Environment, fileAccounts: readonly AccountConfig[] | undefined = undefined, accountSecrets: readonly string[] = []): AppConfig {
  const credentials =
    env.TWITTER_APP_KEY && env.TWITTER_APP_SECRET && env.TWITTER_ACCESS_TOKEN && env.TWITTER_ACCESS_SECRET
      ? {
          appKey: env.TWITTER_APP_KEY,
          appSecret: env.TWITTER_APP_SECRET,
          accessToken: env.TWITTER_ACCESS_TOKEN,
          accessSecret: env.TWITTER_ACCESS_SECRET,
        }
      : undefined;
  const posting = postingConfig(env);
  const content = contentConfig(env);
  const accounts: readonly AccountConfig[] = fileAccounts ?? [
    {
      id: DEFAULT_ACCOUNT_ID,
      // The schema requires MODERATION_CHANNEL_ID whenever there is no ACCOUNTS_FILE.
      discord: { moderationChannelId: env.MODERATION_CHANNEL_ID!, moderatorRoleId: env.MODERATOR_ROLE_ID },
      posting,
      content: { ...content, voice: null },
      learning: learningConfig(env),
      twitter: { credentials, credentialVariables: twitterCredentialVariables(DEFAULT_ACCOUNT_ID) },
    },
  ];
  return {
    nodeEnv: env.NODE_ENV,
    discord: {
      token: env.DISCORD_TOKEN,
      guildId: env.DISCORD_GUILD_ID,
      moderationChannelId: env.MODERATION_CHANNEL_ID ?? accounts[0]!.discord.moderationChannelId,
      moderatorRoleId: env.MODERATOR_ROLE_ID,
      apiBase: env.DISCORD_API_BASE,
      forceRegisterCommands: env.DISCORD_FORCE_REGISTER,
      mediaDownloadTimeoutMs: env.MEDIA_DOWNLOAD_TIMEOUT,
    },
    anthropic: anthropicConfig(env),
    twitter: {
      credentials,
      apiBase: env.TWITTER_API_BASE,
      timeoutMs: env.TWITTER_TIMEOUT,
      costPerPostUsd: env.X_COST_PER_POST,
      costPerPostWithUrlUsd: env.X_COST_PER_POST_WITH_URL,
    },
    posting,
    content,
    learning: learningConfig(env),
    storage: {
      databasePath: env.DATABASE_PATH,
      databaseUrl: env.DATABASE_URL ?? null,
      backupSchedule: env.BACKUP_SCHEDULE,
      backupKeep: env.BACKUP_KEEP,
      mediaDir: env.MEDIA_DIR ?? (env.DATABASE_URL ? './data/media' : join(dirname(env.DATABASE_PATH), 'media')),
    },
    instance: {
      renewEveryMs: env.INSTANCE_LEASE_RENEW,
      expiresAfterMs: env.INSTANCE_LEASE_EXPIRY,
    },
    ops: {
      logLevel: env.LOG_LEVEL,
      logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty'),
      logDir: env.LOG_DIR,
      healthPort: env.HEALTH_PORT,
    },
    accounts,
    secrets: [
      ...new Set(
        [
          env.DISCORD_TOKEN,
          env.ANTHROPIC_API_KEY,
          env.TWITTER_APP_KEY,
          env.TWITTER_APP_SECRET,
          env.TWITTER_ACCESS_TOKEN,
          env.TWITTER_ACCESS_SECRET,
          databasePassword(env.DATABASE_URL),
          ...accountSecrets,
        ].filter((value): value is string => typeof value === 'string' && value.length > 0),
      ),
    ],
  };
}
