import { z } from 'zod';
import type { Actor } from '../domain/draft.js';
import type { XLimitBucket, XRateState } from '../domain/rate-limits.js';
import type { PauseState } from '../domain/schedule.js';

/**
 * Every value the bot keeps in the `settings` table, with its shape and the code that owns it.
 * A reader sees here all that is stored; the repository validates each read against the schema,
 * so a row written by an older build (or by hand) cannot reach a service as the wrong type.
 */

/** One stored setting: the row's key, who writes it, and the shape of its JSON value. */
export interface SettingKey<T> {
  readonly key: string;
  /** The module that writes (and is the authority on) this value. */
  readonly owner: string;
  readonly schema: z.ZodType<T>;
}

/** A family of keys that differ by a suffix: one per job. */
export interface SettingFamily<P extends string | number, T> {
  /** Every key of the family starts with this; no other key in the registry does. */
  readonly prefix: string;
  readonly owner: string;
  readonly schema: z.ZodType<T>;
  for(part: P): SettingKey<T>;
}

export function defineSetting<T>(definition: { key: string; owner: string; schema: z.ZodType<T> }): SettingKey<T> {
  return Object.freeze({ ...definition });
}

export function defineSettingFamily<P extends string | number, T>(definition: { prefix: string; owner: string; schema: z.ZodType<T> }): SettingFamily<P, T> {
  return Object.freeze({
    ...definition,
    for: (part: P): SettingKey<T> => defineSetting({ key: `${definition.prefix}${part}`, owner: definition.owner, schema: definition.schema }),
  });
}

const ActorSchema: z.ZodType<Actor> = z.object({ id: z.string(), name: z.string() });

// A pause stored before scopes existed held generation and publishing: it reads as 'all'.
const PauseStateSchema: z.ZodType<PauseState> = z.object({
  by: ActorSchema,
  since: z.number(),
  reason: z.string().nullable(),
  scope: z.enum(['generation', 'publishing', 'all']).default('all'),
});

const XLimitBucketSchema: z.ZodType<XLimitBucket> = z.object({ limit: z.number(), remaining: z.number(), resetAt: z.number() });

const XRateStateSchema: z.ZodType<XRateState> = z.object({
  endpoint: XLimitBucketSchema.optional(),
  user24h: XLimitBucketSchema.optional(),
  app24h: XLimitBucketSchema.optional(),
  blockedUntil: z.number().optional(),
  observedAt: z.number().optional(),
});

const JobRunRecordSchema = z.object({
  outcome: z.enum(['ok', 'skipped', 'failed']),
  reason: z.string().nullable(),
  detail: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .readonly()
    .optional(),
  startedAt: z.number(),
  finishedAt: z.number(),
  via: z.enum(['schedule', 'manual']),
});

/** What a scheduled job persists (src/scheduler/scheduled-job.ts checks its JobState is this shape). */
export const StoredJobStateSchema = z
  .object({
    nextRunAt: z.number().nullable(),
    slotAt: z.number().nullable(),
    lastRun: JobRunRecordSchema.readonly().nullable(),
    missedWhileDown: z.object({ count: z.number(), detectedAt: z.number() }).readonly().nullable(),
  })
  .readonly();
export type StoredJobState = z.infer<typeof StoredJobStateSchema>;

const xRateLimit = (endpoint: string): SettingKey<XRateState> =>
  defineSetting({ key: `x.rate_limit.${endpoint}`, owner: 'x-publish-target', schema: XRateStateSchema });

/** The registry: every setting the bot stores. */
export const SETTINGS = {
  /** The /pause state; absent while posting runs. */
  pause: defineSetting({ key: 'scheduler.pause', owner: 'pause-service', schema: PauseStateSchema }),
  /**
   * X's last reported limits, one per endpoint family (X counts them apart), in the account's
   * settings. Written by the account's X publish target; engagement writes `lookup` too.
   */
  xRateLimit: {
    post: xRateLimit('post_tweets'),
    timeline: xRateLimit('user_timeline'),
    lookup: xRateLimit('tweet_lookup'),
    me: xRateLimit('users_me'),
  },
  /**
   * X's per-app 24-hour POST bucket, shared by every account signed with the same app key, by
   * the key's fingerprint (never the key). Written and read by the X publish target through a
   * bot-wide (not account-scoped) settings repository.
   */
  xAppLimit: defineSettingFamily<string, XLimitBucket>({ prefix: 'x.app_limit.', owner: 'x-publish-target', schema: XLimitBucketSchema }),
  /**
   * A scheduled job's next run and last outcome, by job name: bot-wide jobs store it through the
   * bot-wide settings (account NULL), an account's own jobs through that account's.
   */
  jobState: defineSettingFamily<string, StoredJobState>({ prefix: 'scheduler.job.', owner: 'scheduled-job', schema: StoredJobStateSchema }),
  /**
   * Learning from moderators (issue 15), one row per account. `learningReset`: /topics
   * reset-learning; topic selection learns only from decisions at or after `at`. Written by the
   * topic-learning service.
   */
  learningReset: defineSetting({ key: 'learning.reset', owner: 'topic-learning', schema: z.object({ at: z.number(), by: ActorSchema }) }),
  /**
   * The account's avoid notes and what the daily condensing has read: feedback ids up to
   * `lastFeedbackId`; `forgotten` keeps the texts moderators removed (newest last, at most 50), so
   * a later condensing does not bring them back. Written by the voice service.
   */
  avoidNotes: defineSetting({
    key: 'learning.avoid_notes',
    owner: 'voice-service',
    schema: z.object({
      notes: z.array(z.object({ id: z.string(), text: z.string(), createdAt: z.number() })),
      forgotten: z.array(z.string()),
      lastFeedbackId: z.number(),
      condensedAt: z.number().nullable(),
      nextNoteId: z.number(),
    }),
  }),
  /**
   * The second cached system block as last built (the learned voice), with what it shows and the
   * local day it was built on; `stale`: a moderator's /voice change asks for a rebuild at the next
   * draft. Written by the learned-voice service.
   */
  learnedVoice: defineSetting({
    key: 'learning.voice_block',
    owner: 'learned-voice',
    schema: z.object({
      text: z.string(),
      builtAt: z.number(),
      day: z.string(),
      exampleDraftIds: z.array(z.number()),
      editDraftIds: z.array(z.number()),
      noteIds: z.array(z.string()),
      stale: z.boolean(),
    }),
  }),
  /**
   * The last successful slash-command registration: a hash of its body with the application and
   * guild ids, so a start whose commands did not change skips the PUT. Bot-wide; written by the
   * command registration (src/adapters/discord/command-registration.ts) only after Discord accepted it.
   */
  commandRegistration: defineSetting({
    key: 'discord.command_registration',
    owner: 'command-registration',
    schema: z.object({ hash: z.string(), registeredAt: z.number() }),
  }),
} as const;

/** Every entry of the registry, for the tests that check names are unique and owned. */
export function registeredSettings(): ReadonlyArray<SettingKey<unknown> | SettingFamily<never, unknown>> {
  const { xRateLimit: limits, ...rest } = SETTINGS;
  return [...Object.values(rest), ...Object.values(limits)] as ReadonlyArray<SettingKey<unknown> | SettingFamily<never, unknown>>;
}

/** Settings keys holding X's last reported limits, by endpoint family. */
export type XRateLimitKey = keyof typeof SETTINGS.xRateLimit;
