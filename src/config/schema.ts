import { Cron } from 'croner';
import { z } from 'zod';
import { parseSlotSpecs, SlotSpecError, type SlotRule } from '../domain/slots.js';
import { compileBannedPattern, InvalidBannedPatternError } from '../domain/validation.js';
import { parseDuration } from './duration.js';

/**
 * The default Claude model. It must be a current, non-deprecated id of the installed SDK's
 * `Model` type; a unit test checks it against the SDK's deprecation table.
 */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

/** LEARNING_MODEL's default: a cheap model from the SDK's list, for the daily avoid notes (issue 15). */
export const DEFAULT_LEARNING_MODEL = 'claude-haiku-4-5';

/** The brand's own domain: twitter-text counts "Pump.fun" as a URL, so it is always allowed. */
export const BRAND_DOMAINS = ['pump.fun'] as const;

/** Variables whose values are secrets: never printed, never logged. */
export const SECRET_VARIABLES = [
  'DISCORD_TOKEN',
  'ANTHROPIC_API_KEY',
  'TWITTER_APP_KEY',
  'TWITTER_APP_SECRET',
  'TWITTER_ACCESS_TOKEN',
  'TWITTER_ACCESS_SECRET',
] as const;

/** A daily window in local minutes since midnight; `end` may be before `start` (overnight). */
export interface ActiveHours {
  readonly startMinute: number;
  readonly endMinute: number;
  readonly text: string;
}

const SNOWFLAKE = /^\d{17,20}$/;

/** What MODERATION_CHANNEL_ID and an account's moderationChannelId hold, in every message about them. */
export const MODERATION_CHANNEL = 'the id of the moderation text channel';

/** The missing-value message of a required Discord id, shared by the env and accounts.yaml. */
export const missingSnowflakeMessage = (what: string) => `is missing; expected ${what} (a numeric Discord id)`;

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const secret = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string({ error: (issue) => (issue.input === undefined ? `is missing; expected ${what}` : `expected ${what}`) })
      .min(8, { error: `is too short to be ${what}` }),
  );

const optionalSecret = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .min(8, { error: `is too short to be ${what}` })
      .optional(),
  );

const snowflake = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string({ error: (issue) => (issue.input === undefined ? missingSnowflakeMessage(what) : `expected ${what}`) })
      .regex(SNOWFLAKE, { error: `expected ${what}: a numeric Discord id of 17 to 20 digits` }),
  );

const optionalSnowflake = (what: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(SNOWFLAKE, { error: `expected ${what}: a numeric Discord id of 17 to 20 digits` })
      .optional(),
  );

const baseUrl = (example: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine(
        (value) => {
          try {
            const url = new URL(value);
            return url.protocol === 'http:' || url.protocol === 'https:';
          } catch {
            return false;
          }
        },
        { error: `expected an http(s) URL such as ${example}` },
      )
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
  );

/** A PostgreSQL connection URL; its password is a secret (see `loadConfig`). */
const postgresUrl = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine(
      (value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1;
        } catch {
          return false;
        }
      },
      // Never echo the value: it holds the password.
      { error: 'expected a PostgreSQL URL such as postgres://user:password@host:5432/draftgate (the database name is required)' },
    )
    .optional(),
);

/** A directory path: not the filesystem root (the sweep deletes files in it) and no NUL byte. */
const mediaDir = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .refine((value) => !value.includes('\0'), { error: 'expected a directory path' })
    .refine((value) => !/^[\\/]+$/.test(value.trim()), { error: 'expected a directory of its own for the image files, not the filesystem root' })
    .optional(),
);

const duration = (fallback: string, min = 0, max = Number.POSITIVE_INFINITY) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .transform((value, ctx) => {
        const ms = parseDuration(value);
        if (ms === null) {
          ctx.addIssue({ code: 'custom', message: `expected a duration such as 90s, 30m, 2h or 1h30m, got "${value}"` });
          return z.NEVER;
        }
        if (ms < min) {
          ctx.addIssue({ code: 'custom', message: `must be at least ${min / 1000}s, got "${value}"` });
          return z.NEVER;
        }
        if (ms > max) {
          ctx.addIssue({ code: 'custom', message: `must be at most ${max / 1000}s, got "${value}"` });
          return z.NEVER;
        }
        return ms;
      }),
  );

/** A number in [min, max]; `whole` also requires an integer. The message says which was expected. */
const numberIn = (fallback: number, min: number, max: number, whole: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(String(fallback))
      .transform((value, ctx) => {
        const n = Number(value);
        const shapeOk = whole ? /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(n) : value.trim() !== '' && Number.isFinite(n);
        if (!shapeOk || n < min || n > max) {
          ctx.addIssue({ code: 'custom', message: `expected a ${whole ? 'whole number' : 'number'} from ${min} to ${max}, got "${value}"` });
          return z.NEVER;
        }
        return n;
      }),
  );

const integer = (fallback: number, min: number, max: number) => numberIn(fallback, min, max, true);
const decimal = (fallback: number, min: number, max: number) => numberIn(fallback, min, max, false);

const boolean = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(String(fallback))
      .transform((value, ctx) => {
        const v = value.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
        return z.NEVER;
      }),
  );

/** LEARNING: on or off; true/false (and yes/no, 1/0) read the same, as the other switches do. */
const onOff = (fallback: boolean) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback ? 'on' : 'off')
      .transform((value, ctx) => {
        const v = value.trim().toLowerCase();
        if (['on', 'true', '1', 'yes'].includes(v)) return true;
        if (['off', 'false', '0', 'no'].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: `expected on or off (or true/false), got "${value}"` });
        return z.NEVER;
      }),
  );

/** A Claude model id as the API takes it: letters, digits and . _ - : @ / without spaces. */
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;

const modelName = (fallback: string) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim()) : value),
    z
      .string()
      .default(fallback)
      .refine((value) => MODEL_NAME.test(value) && value.length <= 100, {
        error: (issue) => `expected a Claude model name such as ${fallback} (letters, digits, "-", "." and no spaces), got "${String(issue.input)}"`,
      }),
  );

const oneOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim().toLowerCase()) : value),
    z.enum(values, { error: (issue) => `expected one of ${values.join(', ')}, got "${String(issue.input)}"` }).default(fallback),
  );

const list = (fallback: string[]) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((value) =>
        value === undefined
          ? fallback
          : value
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item.length > 0),
      ),
  );

/** The example every BANNED_PATTERNS message shows: a regex with a comma, which only the JSON form can hold. */
export const BANNED_PATTERNS_EXAMPLE = '["/lambo{1,3}/i", "wen moon"]';

/** What compileBannedPattern reads as a regex: a whole `/body/flags`. */
const WHOLE_REGEX = /^\/.+\/[a-z]*$/su;

/**
 * Splits BANNED_PATTERNS into patterns, or says why it cannot.
 * - A value starting with `[` is a JSON array of non-empty strings: the form without the
 *   comma problem, e.g. `["/lambo{1,3}/i", "wen moon"]`.
 * - Anything else is the old comma-separated form. It is read only when the split cannot
 *   have cut a regex in two: with a comma in the value, every piece must be a whole
 *   `/regex/flags` or a phrase without `/`. `/lambo{1,3}/i` or `24/7, rug pull` are refused
 *   with a pointer to the JSON form; a single pattern without a comma is always read.
 */
export function splitBannedPatterns(text: string): { patterns: string[] } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const expected = `expected a JSON array of non-empty strings such as ${BANNED_PATTERNS_EXAMPLE}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      return { problem: `${expected} (${error instanceof Error ? error.message : String(error)})` };
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string' && item.trim() !== '')) return { problem: expected };
    return { patterns: parsed.map((item: string) => item.trim()) };
  }
  const pieces = trimmed
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  const unclear = trimmed.includes(',') ? pieces.filter((piece) => piece.includes('/') && !WHOLE_REGEX.test(piece)) : [];
  if (unclear.length > 0) {
    return {
      problem:
        `is ambiguous in the comma-separated form: ${unclear.map((piece) => JSON.stringify(piece)).join(' and ')} ` +
        `may be parts of a /regex/ that contains a comma; write it as a JSON array, e.g. BANNED_PATTERNS=${BANNED_PATTERNS_EXAMPLE}`,
    };
  }
  return { patterns: pieces };
}

/** BANNED_PATTERNS, split and compiled here so a bad regex stops the start, not the first generation. */
const bannedPatterns = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return [];
      const split = splitBannedPatterns(value);
      if ('problem' in split) {
        ctx.addIssue({ code: 'custom', message: split.problem });
        return z.NEVER;
      }
      for (const pattern of split.patterns) {
        try {
          compileBannedPattern(pattern);
        } catch (error) {
          if (!(error instanceof InvalidBannedPatternError)) throw error;
          ctx.addIssue({ code: 'custom', message: `contains ${JSON.stringify(pattern)}, which is not a valid regular expression: ${error.reason}` });
        }
      }
      return split.patterns;
    }),
);

const timezone = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default('UTC')
    .refine(
      (value) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: value });
          return true;
        } catch {
          return false;
        }
      },
      { error: (issue) => `expected an IANA time zone such as UTC or Europe/Berlin, got "${String(issue.input)}"` },
    ),
);

const cronExpression = (fallback: string) =>
  z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          try {
            new Cron(value, { paused: true }).stop();
            return true;
          } catch {
            return false;
          }
        },
        { error: (issue) => `expected a cron expression such as "0 */2 * * *", got "${String(issue.input)}"` },
      ),
  );

const HOUR_MINUTE = /^([01]?\d|2[0-4])(?::([0-5]\d))?$/;

/** Parses `08:00-23:30`, `8-23` or `22:00-02:00` (overnight); `always` or empty means all day. */
export function parseActiveHours(text: string): ActiveHours | null | 'invalid' {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed === 'always' || trimmed === '*') return null;
  const [from, to, ...rest] = trimmed.split('-');
  if (from === undefined || to === undefined || rest.length > 0) return 'invalid';
  const toMinute = (part: string): number | null => {
    const match = HOUR_MINUTE.exec(part.trim());
    if (!match) return null;
    const minutes = Number(match[1]) * 60 + Number(match[2] ?? 0);
    return minutes > 24 * 60 ? null : minutes;
  };
  const startMinute = toMinute(from);
  const endMinute = toMinute(to);
  if (startMinute === null || endMinute === null || startMinute === endMinute) return 'invalid';
  return { startMinute, endMinute, text: text.trim() };
}

const activeHours = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default('always')
    .transform((value, ctx) => {
      const parsed = parseActiveHours(value);
      if (parsed === 'invalid') {
        ctx.addIssue({
          code: 'custom',
          message: `expected a daily window such as 08:00-23:00 (or 22:00-02:00 overnight, or "always"), got "${value}"`,
        });
        return z.NEVER;
      }
      return parsed;
    }),
);

/** The example every slot message shows, in the form of the variable. */
export const POST_SLOTS_EXAMPLE = 'POST_SLOTS="09:00;13:00;18:30" or POST_SLOTS="Mon-Fri 08:30;Sat,Sun 11:00"';

/** Splits POST_SLOTS: `;` separates specs because `,` is used inside one ("Sat,Sun 11:00"). */
export function splitSlotSpecs(text: string): string[] {
  return text
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** One spec read, or the message (`"<spec>", which is not a slot: ...`) that says what is wrong and what is expected. */
export function readSlotSpec(spec: string, example: string): { rule: SlotRule } | { problem: string } {
  try {
    return { rule: parseSlotSpecs([spec])[0]! };
  } catch (error) {
    if (!(error instanceof SlotSpecError)) throw error;
    return { problem: `${JSON.stringify(error.spec)}, which is not a slot: ${error.reason}; in full: ${example}` };
  }
}

/** POST_SLOTS: empty or unset means no slots (approved posts go out as soon as the caps allow). */
const postSlots = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((value, ctx): SlotRule[] => {
      if (value === undefined) return [];
      const rules: SlotRule[] = [];
      for (const spec of splitSlotSpecs(value)) {
        const read = readSlotSpec(spec, POST_SLOTS_EXAMPLE);
        if ('problem' in read) ctx.addIssue({ code: 'custom', message: `contains ${read.problem}` });
        else rules.push(read.rule);
      }
      return rules;
    }),
);

/** Whether a slot's local time falls inside a daily window (start inclusive, end exclusive, may wrap midnight). */
export function slotInsideWindow(rule: SlotRule, window: ActiveHours | null): boolean {
  if (!window) return true;
  const { startMinute, endMinute } = window;
  if (startMinute < endMinute) return rule.minuteOfDay >= startMinute && rule.minuteOfDay < endMinute;
  return rule.minuteOfDay >= startMinute || rule.minuteOfDay < endMinute;
}

/**
 * The one schema over the environment. Names are a contract with operators: they appear in
 * `.env.example`, the README and every error message.
 */
export const environmentObject = z.object({
  NODE_ENV: oneOf(['development', 'production', 'test'], 'development'),
  // A YAML file listing the X accounts (src/config/accounts.ts); unset: the env is the one account `default`.
  ACCOUNTS_FILE: z.preprocess(emptyToUndefined, z.string().optional()),

  DISCORD_TOKEN: secret('the bot token from the Discord developer portal'),
  DISCORD_GUILD_ID: snowflake('the id of the Discord server (guild)'),
  // Required unless ACCOUNTS_FILE is set (see environmentSchema): then each account names its own channel.
  MODERATION_CHANNEL_ID: optionalSnowflake(MODERATION_CHANNEL),
  MODERATOR_ROLE_ID: optionalSnowflake('the id of the moderator role'),
  DISCORD_API_BASE: baseUrl('http://127.0.0.1:3000/api'),
  // Re-register the slash commands at start even when their definitions did not change (as `--force-register` does).
  DISCORD_FORCE_REGISTER: boolean(false),
  // The whole download of one image a moderator attached (issue 14), from the URL Discord gives.
  MEDIA_DOWNLOAD_TIMEOUT: duration('15s', 1_000, 300_000),

  ANTHROPIC_API_KEY: secret('an Anthropic API key (sk-ant-...)'),
  ANTHROPIC_MODEL: z.preprocess(emptyToUndefined, z.string().default(DEFAULT_ANTHROPIC_MODEL)),
  ANTHROPIC_BASE_URL: baseUrl('https://api.anthropic.com'),
  ANTHROPIC_MAX_RETRIES: integer(3, 0, 10),
  ANTHROPIC_TIMEOUT: duration('60s', 1_000),
  ANTHROPIC_PRICE_INPUT_PER_MTOK: decimal(3, 0, 1_000),
  ANTHROPIC_PRICE_OUTPUT_PER_MTOK: decimal(15, 0, 1_000),
  ANTHROPIC_PRICE_CACHE_READ_PER_MTOK: decimal(0.3, 0, 1_000),
  ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK: decimal(3.75, 0, 1_000),
  // Issue 15: learning from moderators. LEARNING_MODEL condenses reject reasons into avoid notes, once a day.
  LEARNING: onOff(true),
  TOPIC_REPEAT_FACTOR: decimal(0.25, 0, 1),
  VOICE_EXAMPLES: integer(6, 0, 12),
  LEARNING_MODEL: modelName(DEFAULT_LEARNING_MODEL),

  TWITTER_APP_KEY: optionalSecret('the X app (consumer) key'),
  TWITTER_APP_SECRET: optionalSecret('the X app (consumer) secret'),
  TWITTER_ACCESS_TOKEN: optionalSecret('the X user access token'),
  TWITTER_ACCESS_SECRET: optionalSecret('the X user access secret'),
  TWITTER_API_BASE: baseUrl('https://api.x.com'),
  // Capped because the publish lease is derived from it (at least 3x plus a margin): a longer
  // timeout would only delay settling a crash-interrupted publish, while X answers a POST within
  // seconds or not at all. 60s keeps that lease to a few minutes.
  TWITTER_TIMEOUT: duration('20s', 1_000, 60_000),
  X_COST_PER_POST: decimal(0.015, 0, 100),
  X_COST_PER_POST_WITH_URL: decimal(0.2, 0, 100),

  DRY_RUN: boolean(false),
  DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default('./data/draftgate.sqlite')),
  // Set: PostgreSQL (and DATABASE_PATH is ignored). Unset: SQLite at DATABASE_PATH.
  DATABASE_URL: postgresUrl,
  // The drafts' image files (issue 14). Unset: `media` beside the SQLite file, or ./data/media
  // with DATABASE_URL (see loadConfig): on the same volume as the database, so one backup holds both.
  MEDIA_DIR: mediaDir,
  // The instance lease: the active instance renews it this often, and a standby takes over once
  // it has gone this long without a renewal.
  INSTANCE_LEASE_RENEW: duration('5s', 200, 60_000),
  INSTANCE_LEASE_EXPIRY: duration('15s', 1_000, 300_000),
  POST_SCHEDULE: cronExpression('0 */2 * * *'),
  POST_JITTER: duration('15m'),
  ACTIVE_HOURS: activeHours,
  TIMEZONE: timezone,
  POST_SLOTS: postSlots,
  SLOT_GRACE: duration('30m'),
  KEEP_AHEAD: integer(0, 0, 100),
  MAX_POSTS_PER_HOUR: integer(2, 1, 1_000),
  MAX_POSTS_PER_DAY: integer(12, 1, 10_000),
  MAX_PENDING_DRAFTS: integer(3, 1, 100),
  MODERATION_TIMEOUT: duration('2h', 10_000),
  TIMEOUT_ACTION: oneOf(['publish', 'expire'], 'expire'),
  REQUIRE_SECOND_APPROVAL: boolean(false),
  GENERATION_ATTEMPTS: integer(3, 1, 10),
  // Below 0.7 the LSH banding of src/domain/duplicates.ts misses too many candidates.
  DUPLICATE_THRESHOLD: decimal(0.8, 0.7, 1),
  MAX_HASHTAGS: integer(2, 0, 10),
  ALLOWED_LINK_DOMAINS: list([...BRAND_DOMAINS]),
  BANNED_PATTERNS: bannedPatterns,
  ENGAGEMENT_SCHEDULE: cronExpression('17 */3 * * *'),
  ENGAGEMENT_WINDOW_DAYS: integer(7, 1, 90),
  BACKUP_SCHEDULE: cronExpression('40 3 * * *'),
  BACKUP_KEEP: integer(7, 1, 365),

  LOG_LEVEL: oneOf(['error', 'warn', 'info', 'debug'], 'info'),
  LOG_FORMAT: z.preprocess(
    (value) => (typeof value === 'string' ? (value.trim() === '' ? undefined : value.trim().toLowerCase()) : value),
    z.enum(['pretty', 'json'], { error: (issue) => `expected pretty or json, got "${String(issue.input)}"` }).optional(),
  ),
  LOG_DIR: z.preprocess(emptyToUndefined, z.string().default('./logs')),
  HEALTH_PORT: integer(8080, 0, 65_535),
});

/**
 * The full schema: the variables plus the rules that span several of them. `when` runs these
 * rules even when single variables failed, so every problem is listed in one pass; `env` may then
 * hold raw values, so only `DRY_RUN === true` counts as a dry run.
 */
export const environmentSchema = environmentObject.superRefine(
  (env, ctx) => {
    // Two missed renewals are not a takeover: a GC pause or a slow disk must not flip the roles.
    if (
      typeof env.INSTANCE_LEASE_RENEW === 'number' &&
      typeof env.INSTANCE_LEASE_EXPIRY === 'number' &&
      env.INSTANCE_LEASE_EXPIRY < 2 * env.INSTANCE_LEASE_RENEW
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['INSTANCE_LEASE_EXPIRY'],
        message: `must be at least twice INSTANCE_LEASE_RENEW (${env.INSTANCE_LEASE_RENEW / 1000}s), got ${env.INSTANCE_LEASE_EXPIRY / 1000}s`,
      });
    }
    // A slot the active hours forbid would never be used: refused at start, naming both settings.
    if (Array.isArray(env.POST_SLOTS) && env.ACTIVE_HOURS !== undefined && typeof env.ACTIVE_HOURS !== 'string') {
      for (const rule of env.POST_SLOTS) {
        if (!slotInsideWindow(rule, env.ACTIVE_HOURS)) {
          ctx.addIssue({
            code: 'custom',
            path: ['POST_SLOTS'],
            message: `contains ${JSON.stringify(rule.spec)}, which is outside ACTIVE_HOURS (${env.ACTIVE_HOURS?.text ?? 'always'}); move the slot or widen ACTIVE_HOURS`,
          });
        }
      }
    }
    // With ACCOUNTS_FILE, each account names its channel and needs its own X secrets unless it
    // is a dry run: the accounts loader checks those, the plain TWITTER_* included when the file
    // lists `default`.
    if (env.ACCOUNTS_FILE !== undefined) return;
    if (env.MODERATION_CHANNEL_ID === undefined) {
      ctx.addIssue({ code: 'custom', path: ['MODERATION_CHANNEL_ID'], message: missingSnowflakeMessage(MODERATION_CHANNEL) });
    }
    if (env.DRY_RUN === true) return;
    for (const name of ['TWITTER_APP_KEY', 'TWITTER_APP_SECRET', 'TWITTER_ACCESS_TOKEN', 'TWITTER_ACCESS_SECRET'] as const) {
      if (env[name] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is missing; expected an X OAuth 1.0a credential (required unless DRY_RUN=true)',
        });
      }
    }
  },
  { when: () => true },
);

export type Environment = z.output<typeof environmentSchema>;

/** The subset `npm run draft` needs: a key and the content rules, nothing about Discord or X. */
export const generationEnvironmentSchema = environmentObject.pick({
  ANTHROPIC_API_KEY: true,
  ANTHROPIC_MODEL: true,
  ANTHROPIC_BASE_URL: true,
  ANTHROPIC_MAX_RETRIES: true,
  ANTHROPIC_TIMEOUT: true,
  ANTHROPIC_PRICE_INPUT_PER_MTOK: true,
  ANTHROPIC_PRICE_OUTPUT_PER_MTOK: true,
  ANTHROPIC_PRICE_CACHE_READ_PER_MTOK: true,
  ANTHROPIC_PRICE_CACHE_WRITE_PER_MTOK: true,
  LEARNING: true,
  TOPIC_REPEAT_FACTOR: true,
  VOICE_EXAMPLES: true,
  LEARNING_MODEL: true,
  GENERATION_ATTEMPTS: true,
  DUPLICATE_THRESHOLD: true,
  MAX_HASHTAGS: true,
  ALLOWED_LINK_DOMAINS: true,
  BANNED_PATTERNS: true,
});
