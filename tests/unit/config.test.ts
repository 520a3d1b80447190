import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadGenerationConfig, parseActiveHours, parseDuration, readEnvironment } from '../../src/config/index.js';
import { validateContent } from '../../src/domain/validation.js';

const validEnv = (): Record<string, string> => ({
  DISCORD_TOKEN: 'discord-token-value-123456',
  DISCORD_GUILD_ID: '111111111111111111',
  MODERATION_CHANNEL_ID: '222222222222222222',
  ANTHROPIC_API_KEY: 'sk-ant-test-key-abcdef',
  TWITTER_APP_KEY: 'app-key-123456',
  TWITTER_APP_SECRET: 'app-secret-123456',
  TWITTER_ACCESS_TOKEN: 'access-token-123456',
  TWITTER_ACCESS_SECRET: 'access-secret-123456',
});

function problemsOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('GIVEN only the required variables THEN safe defaults fill the rest', () => {
    const config = loadConfig(validEnv());
    expect(config.storage.databasePath).toBe('./data/draftgate.sqlite');
    expect(config.posting).toMatchObject({
      dryRun: false,
      maxPendingDrafts: 3,
      timeoutAction: 'expire',
      moderationTimeoutMs: 2 * 3_600_000,
      jitterMs: 15 * 60_000,
      timezone: 'UTC',
      activeHours: null,
    });
    expect(config.content.allowedLinkDomains).toContain('pump.fun');
    expect(config.ops.logFormat).toBe('pretty');
    expect(config.secrets).toContain('sk-ant-test-key-abcdef');
  });

  it('GIVEN several bad values THEN ONE error lists every variable with what is wrong and what is expected', () => {
    const error = problemsOf({
      ...validEnv(),
      DISCORD_TOKEN: undefined,
      DISCORD_GUILD_ID: 'not-a-snowflake',
      MODERATION_TIMEOUT: '10 minutes',
      TIMEOUT_ACTION: 'delete',
      MAX_POSTS_PER_HOUR: '-1',
      POST_SCHEDULE: 'every day',
      ACTIVE_HOURS: '25-99',
      TIMEZONE: 'Mars/Olympus',
      DISCORD_API_BASE: 'ftp://x',
    });
    const variables = error.problems.map((p) => p.variable).sort();
    expect(variables).toEqual([
      'ACTIVE_HOURS',
      'DISCORD_API_BASE',
      'DISCORD_GUILD_ID',
      'DISCORD_TOKEN',
      'MAX_POSTS_PER_HOUR',
      'MODERATION_TIMEOUT',
      'POST_SCHEDULE',
      'TIMEOUT_ACTION',
      'TIMEZONE',
    ]);
    expect(error.message).toMatch(/9 problems/);
    expect(error.message).toMatch(/DISCORD_TOKEN is missing; expected the bot token/);
    expect(error.message).toMatch(/MODERATION_TIMEOUT expected a duration such as 90s, 30m, 2h/);
    expect(error.message).toMatch(/TIMEOUT_ACTION expected one of publish, expire, got "delete"/);
    expect(error.message).toMatch(/MAX_POSTS_PER_HOUR expected a whole number from 1 to 1000, got "-1"/);
  });

  it('GIVEN a short secret THEN the error names it but never prints its value', () => {
    const error = problemsOf({ ...validEnv(), ANTHROPIC_API_KEY: 'sk-abc' });
    expect(error.message).toMatch(/ANTHROPIC_API_KEY is too short/);
    expect(error.message).not.toContain('sk-abc');
  });

  it('GIVEN DRY_RUN=false and no X credentials THEN each missing credential is named; DRY_RUN=true makes them optional', () => {
    const env = validEnv();
    delete (env as Record<string, string | undefined>)['TWITTER_APP_KEY'];
    delete (env as Record<string, string | undefined>)['TWITTER_ACCESS_SECRET'];
    const error = problemsOf(env);
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['TWITTER_ACCESS_SECRET', 'TWITTER_APP_KEY']);
    expect(error.message).toMatch(/required unless DRY_RUN=true/);
    const dry = loadConfig({ ...env, DRY_RUN: 'true' });
    expect(dry.posting.dryRun).toBe(true);
    expect(dry.twitter.credentials).toBeUndefined();
  });

  it('GIVEN a .env file THEN it is read, and the real environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-env-'));
    writeFileSync(join(dir, '.env'), 'MAX_POSTS_PER_DAY=7\nLOG_LEVEL=debug\n# comment\n');
    const env = readEnvironment(dir, { ...validEnv(), LOG_LEVEL: 'warn' });
    const config = loadConfig(env);
    expect(config.posting.maxPostsPerDay).toBe(7);
    expect(config.ops.logLevel).toBe('warn');
  });

  it('GIVEN durations THEN 90s, 30m, 2h and 1h30m parse and nonsense does not', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2 hours')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });

  it('GIVEN active hours THEN day and overnight windows parse and bad ones are invalid', () => {
    expect(parseActiveHours('08:00-23:30')).toMatchObject({ startMinute: 480, endMinute: 1410 });
    expect(parseActiveHours('22-2')).toMatchObject({ startMinute: 1320, endMinute: 120 });
    expect(parseActiveHours('always')).toBeNull();
    expect(parseActiveHours('9-9')).toBe('invalid');
    expect(parseActiveHours('noon-night')).toBe('invalid');
  });

  it('GIVEN NODE_ENV=production and no LOG_FORMAT THEN logs are JSON lines', () => {
    expect(loadConfig({ ...validEnv(), NODE_ENV: 'production' }).ops.logFormat).toBe('json');
  });
});

describe('item 13: configuration mistakes are caught in the one config pass', () => {
  it('GIVEN an invalid BANNED_PATTERNS regex /([a-z/ and other bad values WHEN the config is loaded THEN one error lists it with every other problem', () => {
    const error = problemsOf({ ...validEnv(), BANNED_PATTERNS: '/([a-z/', MAX_HASHTAGS: 'many' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['BANNED_PATTERNS', 'MAX_HASHTAGS']);
    expect(error.message).toMatch(/BANNED_PATTERNS contains "\/\(\[a-z\/", which is not a valid regular expression/);
  });

  it('GIVEN an invalid regex only in the generation subset WHEN npm run draft loads its config THEN it is refused before any Claude call', () => {
    expect(() => loadGenerationConfig({ ANTHROPIC_API_KEY: 'sk-ant-test-key-abcdef', BANNED_PATTERNS: '["/([a-z/"]' })).toThrow(ConfigError);
  });

  it('GIVEN BANNED_PATTERNS as a JSON array WHEN loaded THEN a regex with a comma stays one pattern and matches', () => {
    const config = loadConfig({ ...validEnv(), BANNED_PATTERNS: '["/lambo{1,3}/i", "wen moon", "24/7"]' });
    expect(config.content.bannedPatterns).toEqual(['/lambo{1,3}/i', 'wen moon', '24/7']);
    const violations = validateContent(['Buy a Lambooo now'], 'tweet', {
      maxHashtags: 2,
      allowedLinkDomains: [],
      bannedPatterns: config.content.bannedPatterns,
    });
    expect(violations.map((v) => v.rule)).toContain('banned_phrase');
  });

  it('GIVEN a JSON array in a .env file WHEN read THEN it reaches the config intact', () => {
    const dir = mkdtempSync(join(tmpdir(), 'draftgate-env-'));
    writeFileSync(join(dir, '.env'), 'BANNED_PATTERNS=["/lambo{1,3}/i", "/\\\\bwen\\\\s+moon\\\\b/i"]\n');
    const config = loadConfig(readEnvironment(dir, validEnv()));
    expect(config.content.bannedPatterns).toEqual(['/lambo{1,3}/i', '/\\bwen\\s+moon\\b/i']);
  });

  it('GIVEN BANNED_PATTERNS that is not a JSON array of non-empty strings THEN it is refused with an example', () => {
    for (const bad of ['["wen moon"', '[1, 2]', '["ok", ""]', '{"a": "b"}'.replace('{', '[{') + ']']) {
      const error = problemsOf({ ...validEnv(), BANNED_PATTERNS: bad });
      expect(
        error.problems.map((p) => p.variable),
        bad,
      ).toEqual(['BANNED_PATTERNS']);
      expect(error.message).toMatch(/expected a JSON array of non-empty strings such as \["\/lambo\{1,3\}\/i", "wen moon"\]/);
    }
  });

  it('GIVEN the comma-separated form with a /regex/ containing a comma THEN it is refused as ambiguous and points to the JSON array form', () => {
    const error = problemsOf({ ...validEnv(), BANNED_PATTERNS: 'rug pull, /lambo{1,3}/i' });
    expect(error.problems.map((p) => p.variable)).toEqual(['BANNED_PATTERNS']);
    expect(error.message).toMatch(/BANNED_PATTERNS is ambiguous in the comma-separated form: "\/lambo\{1" and "3\}\/i"/);
    expect(error.message).toMatch(/write it as a JSON array, e.g. BANNED_PATTERNS=\["\/lambo\{1,3\}\/i", "wen moon"\]/);
  });

  it('GIVEN the unambiguous comma-separated form THEN it is still read as before', () => {
    const config = loadConfig({ ...validEnv(), BANNED_PATTERNS: 'rug pull, /wen\\s+moon/i,ngmi,' });
    expect(config.content.bannedPatterns).toEqual(['rug pull', '/wen\\s+moon/i', 'ngmi']);
    expect(loadConfig({ ...validEnv(), BANNED_PATTERNS: '24/7' }).content.bannedPatterns).toEqual(['24/7']);
    // Read alone, a /regex/ with a comma was two phrases before; it is refused, never silently re-read.
    expect(problemsOf({ ...validEnv(), BANNED_PATTERNS: '/lambo{1,3}/i' }).message).toMatch(/BANNED_PATTERNS is ambiguous.*JSON array/);
  });

  it('GIVEN missing TWITTER_* variables and other bad values WHEN the config is loaded THEN every problem is reported in one pass', () => {
    const env: Record<string, string | undefined> = {
      ...validEnv(),
      TWITTER_APP_KEY: undefined,
      TWITTER_ACCESS_TOKEN: '',
      MAX_POSTS_PER_DAY: 'lots',
      BANNED_PATTERNS: '/([a-z/',
    };
    const error = problemsOf(env);
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['BANNED_PATTERNS', 'MAX_POSTS_PER_DAY', 'TWITTER_ACCESS_TOKEN', 'TWITTER_APP_KEY']);
    expect(error.message).toMatch(/TWITTER_APP_KEY is missing; expected an X OAuth 1.0a credential \(required unless DRY_RUN=true\)/);
  });

  it('GIVEN POST_JITTER=0 (a bare 0 for a duration) THEN it is accepted as no jitter, and minimums still apply', () => {
    expect(loadConfig({ ...validEnv(), POST_JITTER: '0' }).posting.jitterMs).toBe(0);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration(' 0 ')).toBe(0);
    expect(parseDuration('00')).toBe(0);
    expect(parseDuration('5')).toBeNull();
    expect(problemsOf({ ...validEnv(), TWITTER_TIMEOUT: '0' }).message).toMatch(/TWITTER_TIMEOUT must be at least 1s, got "0"/);
  });

  it('GIVEN TWITTER_TIMEOUT above 60s THEN it is refused, because the publish lease is derived from it', () => {
    expect(loadConfig({ ...validEnv(), TWITTER_TIMEOUT: '60s' }).twitter.timeoutMs).toBe(60_000);
    expect(problemsOf({ ...validEnv(), TWITTER_TIMEOUT: '61s' }).message).toMatch(/TWITTER_TIMEOUT must be at most 60s, got "61s"/);
  });
});

describe('store and instance lease configuration', () => {
  it('GIVEN no DATABASE_URL THEN the store is SQLite at DATABASE_PATH, and the lease renews every 5 s and lapses after 15 s', () => {
    const config = loadConfig(validEnv());
    expect(config.storage.databaseUrl).toBeNull();
    expect(config.instance).toEqual({ renewEveryMs: 5_000, expiresAfterMs: 15_000 });
  });

  it('GIVEN a PostgreSQL DATABASE_URL THEN it is the store, and its password is a secret the logs mask', () => {
    const config = loadConfig({ ...validEnv(), DATABASE_URL: 'postgres://draftgate:s%40cret@db.example.com:5432/draftgate' });
    expect(config.storage.databaseUrl).toBe('postgres://draftgate:s%40cret@db.example.com:5432/draftgate');
    expect(config.secrets).toContain('s@cret');
  });

  it('GIVEN a DATABASE_URL that is not a PostgreSQL URL with a database THEN it names itself and the expected form, and never echoes the value', () => {
    for (const url of ['mysql://u:hunter2@db/draftgate', 'postgres://u:hunter2@db.example.com:5432', 'not a url hunter2']) {
      const error = problemsOf({ ...validEnv(), DATABASE_URL: url });
      expect(error.message).toMatch(/DATABASE_URL .*expected a PostgreSQL URL such as postgres:\/\/user:password@host:5432\/draftgate/);
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('GIVEN no MEDIA_DIR THEN the images live in `media` beside the SQLite file, or in ./data/media with PostgreSQL; a set MEDIA_DIR wins', () => {
    expect(loadConfig(validEnv()).storage.mediaDir).toBe(join('data', 'media'));
    expect(loadConfig({ ...validEnv(), DATABASE_PATH: '/srv/bot/db/draftgate.sqlite' }).storage.mediaDir).toBe('/srv/bot/db/media');
    expect(loadConfig({ ...validEnv(), DATABASE_URL: 'postgres://u:p@db.example.com:5432/draftgate' }).storage.mediaDir).toBe('./data/media');
    expect(loadConfig({ ...validEnv(), MEDIA_DIR: '/var/lib/draftgate/images' }).storage.mediaDir).toBe('/var/lib/draftgate/images');
    expect(loadConfig({ ...validEnv(), MEDIA_DIR: '  ' }).storage.mediaDir).toBe(join('data', 'media'));
  });

  it('GIVEN a MEDIA_DIR that cannot be a media directory THEN it is refused, naming MEDIA_DIR', () => {
    expect(problemsOf({ ...validEnv(), MEDIA_DIR: '/' }).message).toMatch(/MEDIA_DIR .*not the filesystem root/);
    expect(problemsOf({ ...validEnv(), MEDIA_DIR: 'media\0x' }).message).toMatch(/MEDIA_DIR .*expected a directory path/);
  });

  it('GIVEN INSTANCE_LEASE_EXPIRY below twice INSTANCE_LEASE_RENEW THEN it is refused, naming both', () => {
    expect(loadConfig({ ...validEnv(), INSTANCE_LEASE_RENEW: '2s', INSTANCE_LEASE_EXPIRY: '4s' }).instance).toEqual({
      renewEveryMs: 2_000,
      expiresAfterMs: 4_000,
    });
    expect(problemsOf({ ...validEnv(), INSTANCE_LEASE_RENEW: '5s', INSTANCE_LEASE_EXPIRY: '8s' }).message).toMatch(
      /INSTANCE_LEASE_EXPIRY must be at least twice INSTANCE_LEASE_RENEW \(5s\), got 8s/,
    );
  });
});

describe('issue 13 §1: publishing slots configuration', () => {
  it("GIVEN no POST_SLOTS, SLOT_GRACE or KEEP_AHEAD THEN there are no slots (today's behaviour), a 30m grace and no generating ahead", () => {
    const config = loadConfig(validEnv());
    expect(config.posting).toMatchObject({ slots: [], slotGraceMs: 30 * 60_000, keepAhead: 0 });
    expect(config.accounts[0]?.posting).toMatchObject({ slots: [], slotGraceMs: 30 * 60_000, keepAhead: 0 });
  });

  it('GIVEN POST_SLOTS separated by ";" with commas inside specs THEN every spec is one rule, in order', () => {
    const config = loadConfig({
      ...validEnv(),
      POST_SLOTS: 'Mon-Fri 08:30; Sat,Sun 11:00;;18:30',
      SLOT_GRACE: '45m',
      KEEP_AHEAD: '3',
      TIMEZONE: 'Europe/Berlin',
    });
    expect(config.posting.slots).toEqual([
      { weekdays: [1, 2, 3, 4, 5], minuteOfDay: 8 * 60 + 30, spec: 'Mon-Fri 08:30' },
      { weekdays: [0, 6], minuteOfDay: 11 * 60, spec: 'Sat,Sun 11:00' },
      { weekdays: [0, 1, 2, 3, 4, 5, 6], minuteOfDay: 18 * 60 + 30, spec: '18:30' },
    ]);
    expect(config.posting.slotGraceMs).toBe(45 * 60_000);
    expect(config.posting.keepAhead).toBe(3);
    expect(config.accounts[0]?.posting.slots).toBe(config.posting.slots);
  });

  it('GIVEN a bad spec in POST_SLOTS THEN the error names POST_SLOTS, the spec, what is wrong and shows an example', () => {
    const error = problemsOf({ ...validEnv(), POST_SLOTS: '09:00;Mon-Fru 08:30;25:00' });
    expect(error.problems.map((p) => p.variable)).toEqual(['POST_SLOTS', 'POST_SLOTS']);
    expect(error.message).toMatch(/POST_SLOTS contains "Mon-Fru 08:30", which is not a slot: unknown weekday "Fru"/);
    expect(error.message).toMatch(/POST_SLOTS contains "25:00", which is not a slot: "25:00" is not a time of day; expected HH:MM/);
    expect(error.message).toContain('POST_SLOTS="09:00;13:00;18:30"');
  });

  it('GIVEN a slot outside ACTIVE_HOURS THEN it is a configuration error naming both settings', () => {
    const error = problemsOf({ ...validEnv(), POST_SLOTS: '07:30;09:00;Sat 23:15', ACTIVE_HOURS: '08:00-23:00' });
    expect(error.problems.map((p) => p.variable)).toEqual(['POST_SLOTS', 'POST_SLOTS']);
    expect(error.message).toMatch(/POST_SLOTS contains "07:30", which is outside ACTIVE_HOURS \(08:00-23:00\)/);
    expect(error.message).toMatch(/"Sat 23:15", which is outside ACTIVE_HOURS/);
    // An overnight window holds slots on both sides of midnight.
    expect(loadConfig({ ...validEnv(), POST_SLOTS: '23:30;01:00', ACTIVE_HOURS: '22:00-02:00' }).posting.slots).toHaveLength(2);
  });

  it('GIVEN a bad SLOT_GRACE or KEEP_AHEAD THEN each is named with what is expected', () => {
    const error = problemsOf({ ...validEnv(), SLOT_GRACE: 'half an hour', KEEP_AHEAD: '-1' });
    expect(error.message).toMatch(/SLOT_GRACE expected a duration such as 90s, 30m, 2h or 1h30m, got "half an hour"/);
    expect(error.message).toMatch(/KEEP_AHEAD expected a whole number from 0 to 100, got "-1"/);
  });
});

describe('configuration documentation', () => {
  it('GIVEN the schema THEN .env.example and the README document every variable', async () => {
    const { readFileSync } = await import('node:fs');
    const { environmentObject } = await import('../../src/config/schema.js');
    const root = new URL('../../', import.meta.url);
    const example = readFileSync(new URL('.env.example', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const variables = Object.keys(environmentObject.shape);
    expect(variables.length).toBeGreaterThan(40);
    for (const name of variables) {
      expect(example, `.env.example documents ${name}`).toMatch(new RegExp(`^${name}=`, 'm'));
      expect(readme, `README documents ${name}`).toContain(`\`${name}\``);
    }
  });
});

describe('MEDIA_DOWNLOAD_TIMEOUT', () => {
  it('GIVEN nothing set THEN attachment downloads get 15 s; a duration sets it', () => {
    expect(loadConfig(validEnv()).discord.mediaDownloadTimeoutMs).toBe(15_000);
    expect(loadConfig({ ...validEnv(), MEDIA_DOWNLOAD_TIMEOUT: '1m' }).discord.mediaDownloadTimeoutMs).toBe(60_000);
  });

  it('GIVEN a value that is not a duration, or 0 THEN the error names the variable', () => {
    for (const value of ['soon', '0']) {
      let error: unknown;
      try {
        loadConfig({ ...validEnv(), MEDIA_DOWNLOAD_TIMEOUT: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/MEDIA_DOWNLOAD_TIMEOUT/);
    }
  });
});

describe('issue 15: LEARNING, TOPIC_REPEAT_FACTOR, VOICE_EXAMPLES, LEARNING_MODEL', () => {
  it('GIVEN nothing set THEN learning is on with repeat factor 0.25, 6 examples, 4 edit pairs and the default Haiku model', () => {
    const config = loadConfig(validEnv());
    expect(config.learning).toEqual({ enabled: true, repeatFactor: 0.25, maxExamples: 6, maxEditPairs: 4 });
    expect(config.accounts[0]?.learning).toEqual(config.learning);
    expect(config.anthropic.learningModel).toBe('claude-haiku-4-5');
  });

  it('GIVEN values THEN on/off and true/false both read, and each value reaches the config and the default account', () => {
    for (const [text, enabled] of [
      ['off', false],
      ['OFF', false],
      ['false', false],
      ['on', true],
      ['true', true],
    ] as const) {
      expect(loadConfig({ ...validEnv(), LEARNING: text }).learning.enabled).toBe(enabled);
    }
    const config = loadConfig({ ...validEnv(), LEARNING: 'off', TOPIC_REPEAT_FACTOR: '0', VOICE_EXAMPLES: '12', LEARNING_MODEL: ' claude-3-5-haiku-latest ' });
    expect(config.accounts[0]?.learning).toEqual({ enabled: false, repeatFactor: 0, maxExamples: 12, maxEditPairs: 4 });
    expect(config.anthropic.learningModel).toBe('claude-3-5-haiku-latest');
    expect(loadGenerationConfig({ ANTHROPIC_API_KEY: 'sk-ant-test-key-abcdef', TOPIC_REPEAT_FACTOR: '1' }).learning.repeatFactor).toBe(1);
  });

  it('GIVEN bad values THEN ONE error names each variable and what it expects', () => {
    const error = problemsOf({ ...validEnv(), LEARNING: 'sometimes', TOPIC_REPEAT_FACTOR: '1.5', VOICE_EXAMPLES: '13', LEARNING_MODEL: 'claude haiku' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['LEARNING', 'LEARNING_MODEL', 'TOPIC_REPEAT_FACTOR', 'VOICE_EXAMPLES']);
    expect(error.message).toMatch(/LEARNING expected on or off \(or true\/false\), got "sometimes"/);
    expect(error.message).toMatch(/TOPIC_REPEAT_FACTOR expected a number from 0 to 1, got "1.5"/);
    expect(error.message).toMatch(/VOICE_EXAMPLES expected a whole number from 0 to 12, got "13"/);
    expect(error.message).toMatch(/LEARNING_MODEL expected a Claude model name such as claude-haiku-4-5/);
    expect(
      problemsOf({ ...validEnv(), TOPIC_REPEAT_FACTOR: '-0.1', VOICE_EXAMPLES: '2.5' })
        .problems.map((p) => p.variable)
        .sort(),
    ).toEqual(['TOPIC_REPEAT_FACTOR', 'VOICE_EXAMPLES']);
  });

  it('GIVEN an empty LEARNING_MODEL THEN the default model is used, like every other empty variable', () => {
    expect(loadConfig({ ...validEnv(), LEARNING_MODEL: '   ' }).anthropic.learningModel).toBe('claude-haiku-4-5');
  });
});
