import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT_KEYS } from '../../src/config/accounts.js';
import { ConfigError, loadConfig, type AppConfig } from '../../src/config/index.js';
import { validateContent } from '../../src/domain/validation.js';

/** The single-account environment of tests/unit/config.test.ts, with its secrets. */
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

/** The four X secrets of one account, under its own variable names. */
function secretsFor(prefix: string, tag: string): Record<string, string> {
  return {
    [`${prefix}APP_KEY`]: `${tag}-app-key-0001`,
    [`${prefix}APP_SECRET`]: `${tag}-app-secret-0001`,
    [`${prefix}ACCESS_TOKEN`]: `${tag}-access-token-0001`,
    [`${prefix}ACCESS_SECRET`]: `${tag}-access-secret-0001`,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'draftgate-accounts-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes accounts.yaml into the temp folder and loads the config with ACCOUNTS_FILE pointing at it (relative). */
function loadWithFile(yaml: string, env: Record<string, string | undefined> = {}): AppConfig {
  writeFileSync(join(dir, 'accounts.yaml'), yaml);
  return loadConfig({ ...validEnv(), ACCOUNTS_FILE: 'accounts.yaml', ...env }, { cwd: dir });
}

function problemsWithFile(yaml: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    loadWithFile(yaml, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const lines = (...rows: string[]) => rows.join('\n') + '\n';

describe('issue 11 §1: without ACCOUNTS_FILE the environment is the one account "default"', () => {
  it('GIVEN only the environment WHEN the config is loaded THEN there is exactly one account "default" equal to the env values', () => {
    const config = loadConfig({ ...validEnv(), MODERATOR_ROLE_ID: '333333333333333333', BANNED_PATTERNS: '["wen moon"]' });
    expect(config.accounts).toHaveLength(1);
    const [account] = config.accounts;
    expect(account).toEqual({
      id: 'default',
      discord: { moderationChannelId: '222222222222222222', moderatorRoleId: '333333333333333333' },
      posting: config.posting,
      content: { ...config.content, voice: null },
      learning: { enabled: true, repeatFactor: 0.25, maxExamples: 6, maxEditPairs: 4 },
      twitter: {
        credentials: config.twitter.credentials,
        credentialVariables: ['TWITTER_APP_KEY', 'TWITTER_APP_SECRET', 'TWITTER_ACCESS_TOKEN', 'TWITTER_ACCESS_SECRET'],
      },
    });
    expect(config.discord.moderationChannelId).toBe('222222222222222222');
  });

  it('GIVEN DRY_RUN=true and no X credentials WHEN loaded THEN the default account is a dry run without credentials', () => {
    const env: Record<string, string | undefined> = { ...validEnv(), DRY_RUN: 'true' };
    for (const name of ['TWITTER_APP_KEY', 'TWITTER_APP_SECRET', 'TWITTER_ACCESS_TOKEN', 'TWITTER_ACCESS_SECRET']) delete env[name];
    const [account] = loadConfig(env).accounts;
    expect(account?.posting.dryRun).toBe(true);
    expect(account?.twitter.credentials).toBeUndefined();
  });

  it('GIVEN no MODERATION_CHANNEL_ID and no ACCOUNTS_FILE WHEN loaded THEN it is still required with the same message', () => {
    const env: Record<string, string | undefined> = { ...validEnv() };
    delete env['MODERATION_CHANNEL_ID'];
    expect(() => loadConfig(env)).toThrow(/MODERATION_CHANNEL_ID is missing; expected the id of the moderation text channel \(a numeric Discord id\)/);
  });
});

describe('issue 11 §1: accounts.yaml', () => {
  it("GIVEN the issue's example file (accounts.example.yaml) WHEN loaded THEN both accounts are read in file order with every value", () => {
    const example = readFileSync(new URL('../../accounts.example.yaml', import.meta.url), 'utf8');
    const config = loadWithFile(example, { ...secretsFor('TWITTER_PUMPFUN_', 'pf'), ...secretsFor('TWITTER_PUMP_NEWS_', 'pn') });
    expect(config.accounts.map((a) => a.id)).toEqual(['pumpfun', 'pump-news']);
    const [pumpfun, news] = config.accounts;
    expect(pumpfun).toEqual({
      id: 'pumpfun',
      discord: { moderationChannelId: '1234567890123456789', moderatorRoleId: '2234567890123456789' },
      posting: {
        dryRun: false,
        schedule: '0 */2 * * *',
        jitterMs: 15 * 60_000,
        activeHours: { startMinute: 8 * 60, endMinute: 23 * 60, text: '08:00-23:00' },
        timezone: 'Europe/Berlin',
        slots: [
          { weekdays: [1, 2, 3, 4, 5], minuteOfDay: 8 * 60 + 30, spec: 'Mon-Fri 08:30' },
          { weekdays: [1, 2, 3, 4, 5], minuteOfDay: 18 * 60, spec: 'Mon-Fri 18:00' },
          { weekdays: [0, 6], minuteOfDay: 11 * 60, spec: 'Sat,Sun 11:00' },
        ],
        slotGraceMs: 30 * 60_000,
        keepAhead: 2,
        maxPostsPerHour: 2,
        maxPostsPerDay: 12,
        maxPendingDrafts: 3,
        moderationTimeoutMs: 2 * 3_600_000,
        timeoutAction: 'expire',
        requireSecondApproval: false,
        engagementSchedule: config.posting.engagementSchedule,
        engagementWindowDays: config.posting.engagementWindowDays,
      },
      content: {
        ...config.content,
        allowedLinkDomains: ['pump.fun'],
        bannedPatterns: ['/lambo{1,3}/i', 'wen moon'],
        voice: 'Friendly, sharp, plain-spoken ...',
      },
      learning: { enabled: true, repeatFactor: 0.25, maxExamples: 6, maxEditPairs: 4 },
      twitter: {
        credentials: { appKey: 'pf-app-key-0001', appSecret: 'pf-app-secret-0001', accessToken: 'pf-access-token-0001', accessSecret: 'pf-access-secret-0001' },
        credentialVariables: ['TWITTER_PUMPFUN_APP_KEY', 'TWITTER_PUMPFUN_APP_SECRET', 'TWITTER_PUMPFUN_ACCESS_TOKEN', 'TWITTER_PUMPFUN_ACCESS_SECRET'],
      },
    });
    // Two accounts may share a channel.
    expect(news?.discord.moderationChannelId).toBe(pumpfun?.discord.moderationChannelId);
    expect(news?.posting.schedule).toBe('30 */4 * * *');
    expect(news?.twitter.credentials?.accessToken).toBe('pn-access-token-0001');
    // The file's bannedPatterns work as content rules: the regex with a comma stays one pattern.
    const violations = validateContent(['Buy a Lambooo now'], 'tweet', {
      maxHashtags: 2,
      allowedLinkDomains: [],
      bannedPatterns: pumpfun!.content.bannedPatterns,
    });
    expect(violations.map((v) => v.rule)).toContain('banned_phrase');
  });

  it('GIVEN an account with only id and moderationChannelId WHEN loaded THEN every other value falls back to its environment variable', () => {
    const env = {
      ...secretsFor('TWITTER_NEWS_', 'n'),
      MODERATOR_ROLE_ID: '444444444444444444',
      DRY_RUN: 'false',
      POST_SCHEDULE: '5 * * * *',
      POST_JITTER: '3m',
      ACTIVE_HOURS: '22:00-02:00',
      TIMEZONE: 'America/New_York',
      MAX_POSTS_PER_HOUR: '4',
      MAX_POSTS_PER_DAY: '20',
      MAX_PENDING_DRAFTS: '5',
      MODERATION_TIMEOUT: '45m',
      TIMEOUT_ACTION: 'publish',
      REQUIRE_SECOND_APPROVAL: 'true',
      ALLOWED_LINK_DOMAINS: 'Example.com',
      BANNED_PATTERNS: '["rug pull"]',
    };
    const config = loadWithFile(lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"'), env);
    const [news] = config.accounts;
    expect(news?.discord).toEqual({ moderationChannelId: '555555555555555555', moderatorRoleId: '444444444444444444' });
    expect(news?.posting).toEqual(config.posting);
    expect(news?.posting).toMatchObject({ schedule: '5 * * * *', jitterMs: 180_000, timezone: 'America/New_York', maxPostsPerHour: 4, maxPostsPerDay: 20 });
    expect(news?.posting).toMatchObject({ maxPendingDrafts: 5, moderationTimeoutMs: 45 * 60_000, timeoutAction: 'publish', requireSecondApproval: true });
    expect(news?.posting.activeHours).toMatchObject({ startMinute: 22 * 60, endMinute: 2 * 60 });
    expect(news?.content).toEqual({ ...config.content, voice: null });
    expect(news?.content.allowedLinkDomains).toEqual(['pump.fun', 'example.com']);
    expect(news?.content.bannedPatterns).toEqual(['rug pull']);
  });

  it('GIVEN a null or empty value for an optional key WHEN loaded THEN it falls back to the environment, not to the built-in default', () => {
    const config = loadWithFile(
      lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"', '    timezone: ""', '    maxPostsPerDay:', '    voice: ~'),
      { ...secretsFor('TWITTER_NEWS_', 'n'), TIMEZONE: 'Asia/Tokyo', MAX_POSTS_PER_DAY: '9' },
    );
    expect(config.accounts[0]?.posting).toMatchObject({ timezone: 'Asia/Tokyo', maxPostsPerDay: 9 });
    expect(config.accounts[0]?.content.voice).toBeNull();
  });

  it('GIVEN allowedLinkDomains and an empty bannedPatterns list in the file WHEN loaded THEN the brand domain is always allowed and the empty list replaces the env list', () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: news',
        '    moderationChannelId: "555555555555555555"',
        '    allowedLinkDomains: [News.Example.org]',
        '    bannedPatterns: []',
      ),
      { ...secretsFor('TWITTER_NEWS_', 'n'), BANNED_PATTERNS: '["rug pull"]' },
    );
    expect(config.accounts[0]?.content.allowedLinkDomains).toEqual(['pump.fun', 'news.example.org']);
    expect(config.accounts[0]?.content.bannedPatterns).toEqual([]);
  });

  it('GIVEN a bannedPatterns entry with a comma WHEN loaded THEN it is one pattern (no comma splitting)', () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: news',
        '    moderationChannelId: "555555555555555555"',
        '    bannedPatterns:',
        '      - rug pull, then run',
        '      - "/lambo{1,3}/i"',
      ),
      secretsFor('TWITTER_NEWS_', 'n'),
    );
    expect(config.accounts[0]?.content.bannedPatterns).toEqual(['rug pull, then run', '/lambo{1,3}/i']);
  });

  it('GIVEN unquoted 19-digit channel ids and numbers for the caps WHEN loaded THEN the ids keep every digit', () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: news',
        '    moderationChannelId: 1234567890123456789',
        '    moderatorRoleId: 9234567890123456789',
        '    maxPostsPerHour: 7',
        '    dryRun: true',
      ),
    );
    expect(config.accounts[0]?.discord).toEqual({ moderationChannelId: '1234567890123456789', moderatorRoleId: '9234567890123456789' });
    expect(config.accounts[0]?.posting.maxPostsPerHour).toBe(7);
  });

  it('GIVEN a dry-run account WHEN its secrets are unset THEN it needs none; GIVEN a live account THEN its four variables are read', () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: alerts',
        '    moderationChannelId: "555555555555555555"',
        '    dryRun: true',
        '  - id: news',
        '    moderationChannelId: "666666666666666666"',
      ),
      secretsFor('TWITTER_NEWS_', 'n'),
    );
    const [alerts, news] = config.accounts;
    expect(alerts?.posting.dryRun).toBe(true);
    expect(alerts?.twitter.credentials).toBeUndefined();
    expect(alerts?.twitter.credentialVariables).toEqual([
      'TWITTER_ALERTS_APP_KEY',
      'TWITTER_ALERTS_APP_SECRET',
      'TWITTER_ALERTS_ACCESS_TOKEN',
      'TWITTER_ALERTS_ACCESS_SECRET',
    ]);
    expect(news?.twitter.credentials).toEqual({
      appKey: 'n-app-key-0001',
      appSecret: 'n-app-secret-0001',
      accessToken: 'n-access-token-0001',
      accessSecret: 'n-access-secret-0001',
    });
  });

  it('GIVEN the id "default" in the file WHEN loaded THEN it reads the plain TWITTER_* variables', () => {
    const config = loadWithFile(lines('accounts:', '  - id: default', '    moderationChannelId: "555555555555555555"'));
    expect(config.accounts[0]?.twitter.credentials?.appKey).toBe('app-key-123456');
  });

  it('GIVEN an accounts file and no MODERATION_CHANNEL_ID or TWITTER_* in the env WHEN loaded THEN the env needs neither, and the env fields stay the fallbacks', () => {
    const env: Record<string, string | undefined> = { ...secretsFor('TWITTER_NEWS_', 'n') };
    for (const name of ['MODERATION_CHANNEL_ID', 'TWITTER_APP_KEY', 'TWITTER_APP_SECRET', 'TWITTER_ACCESS_TOKEN', 'TWITTER_ACCESS_SECRET'])
      env[name] = undefined;
    const config = loadWithFile(lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"'), env);
    expect(config.accounts.map((a) => a.id)).toEqual(['news']);
    expect(config.twitter.credentials).toBeUndefined();
    expect(config.discord.moderationChannelId).toBe('555555555555555555');
  });

  it("GIVEN several accounts WHEN loaded THEN every account's secret values are in config.secrets for the log redactor", () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: default',
        '    moderationChannelId: "555555555555555555"',
        '  - id: pump-news',
        '    moderationChannelId: "555555555555555555"',
      ),
      secretsFor('TWITTER_PUMP_NEWS_', 'pn'),
    );
    for (const value of [...Object.values(validEnv()).filter((v) => /key|token|secret/.test(v)), ...Object.values(secretsFor('TWITTER_PUMP_NEWS_', 'pn'))]) {
      expect(config.secrets).toContain(value);
    }
  });
});

describe('issue 11 §1: a bad accounts.yaml lists every problem at once', () => {
  it('GIVEN a file with many mistakes WHEN loaded THEN ONE ConfigError lists each with its path, every missing secret by name and the duplicate id', () => {
    const error = problemsWithFile(
      lines(
        'accounts:',
        '  - id: pumpfun',
        '    moderationChannelId: "1234567890123456789"',
        '    maxPostsPerHour: 0',
        '  - id: pump-news',
        '    moderationChannelId: "1234567890123456789"',
        '    timezone: Europe/Berln',
        '    timezon: Europe/Berlin',
        '    postJitter: soon',
        '    timeoutAction: delete',
        '    bannedPatterns: ["/([a-z/"]',
        '  - id: Pump_Fun',
        '    moderationChannelId: "123"',
        '  - id: pumpfun',
        '    moderationChannelId: "1234567890123456789"',
        '    dryRun: true',
        '  - moderationChannelId: "1234567890123456789"',
      ),
      { ...secretsFor('TWITTER_PUMPFUN_', 'pf'), TWITTER_PUMPFUN_ACCESS_SECRET: undefined, ...secretsFor('TWITTER_PUMP_NEWS_', 'pn') },
    );
    expect(error.problems.map((p) => p.variable)).toEqual([
      'accounts[0].maxPostsPerHour',
      'accounts[1].postJitter',
      'accounts[1].timezone',
      'accounts[1].timeoutAction',
      'accounts[1].bannedPatterns[0]',
      'accounts[1].timezon',
      'accounts[2].id',
      'accounts[2].moderationChannelId',
      'accounts[3].id',
      'accounts[4].id',
      'TWITTER_PUMPFUN_ACCESS_SECRET',
    ]);
    expect(error.message).toMatch(/Invalid configuration: 11 problems found\./);
    expect(error.message).toContain('accounts[0].maxPostsPerHour: expected a whole number from 1 to 1000, got "0"');
    expect(error.message).toContain('accounts[1].timezone: expected an IANA time zone such as UTC or Europe/Berlin, got "Europe/Berln"');
    expect(error.message).toContain('accounts[1].postJitter: expected a duration such as 90s, 30m, 2h or 1h30m, got "soon"');
    expect(error.message).toContain('accounts[1].timeoutAction: expected one of publish, expire, got "delete"');
    expect(error.message).toContain('accounts[1].bannedPatterns[0]: "/([a-z/" is not a valid regular expression');
    expect(error.message).toContain('accounts[1].timezon: unknown key; did you mean timezone?');
    expect(error.message).toContain('accounts[2].id: expected 1 to 32 lower-case letters, digits or "-", got "Pump_Fun"');
    expect(error.message).toContain('accounts[2].moderationChannelId: expected the id of the moderation text channel: a numeric Discord id of 17 to 20 digits');
    expect(error.message).toContain('accounts[3].id: "pumpfun" is already the id of accounts[0]');
    expect(error.message).toContain('accounts[4].id: is missing; expected the account id');
    expect(error.message).toMatch(
      /TWITTER_PUMPFUN_ACCESS_SECRET is missing; expected an X OAuth 1.0a credential of the account "pumpfun" \(required unless its dryRun is true\)/,
    );
    expect(error.message).toContain('accounts.yaml');
  });

  it('GIVEN bad values in the env AND in the file WHEN loaded THEN both are listed in the one error', () => {
    const error = problemsWithFile(lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"', '    dryRun: maybe'), {
      ...secretsFor('TWITTER_NEWS_', 'n'),
      MAX_HASHTAGS: 'many',
    });
    expect(error.problems.map((p) => p.variable)).toEqual(['MAX_HASHTAGS', 'accounts[0].dryRun']);
    expect(error.message).toContain('accounts[0].dryRun: expected true or false, got "maybe"');
  });

  it('GIVEN a secret key in the file WHEN loaded THEN it is refused naming the variable to use instead, and its value is never printed', () => {
    const error = problemsWithFile(
      lines(
        'accounts:',
        '  - id: pump-news',
        '    moderationChannelId: "555555555555555555"',
        '    appKey: file-app-key-value-xyz',
        '    accessToken: file-access-token-xyz',
      ),
      secretsFor('TWITTER_PUMP_NEWS_', 'pn'),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['accounts[0].appKey', 'accounts[0].accessToken']);
    expect(error.message).toContain('accounts[0].appKey: secrets never go in the file; set TWITTER_PUMP_NEWS_APP_KEY in the environment instead');
    expect(error.message).toContain('accounts[0].accessToken: secrets never go in the file; set TWITTER_PUMP_NEWS_ACCESS_TOKEN in the environment instead');
    expect(error.message).not.toContain('file-app-key-value-xyz');
    expect(error.message).not.toContain('file-access-token-xyz');
  });

  it('GIVEN short or missing per-account secrets WHEN loaded THEN each variable is named and no secret value is printed', () => {
    const error = problemsWithFile(lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"'), {
      TWITTER_NEWS_APP_KEY: 'tiny7',
      TWITTER_NEWS_APP_SECRET: 'news-app-secret-0001',
      TWITTER_NEWS_ACCESS_TOKEN: '',
    });
    expect(error.problems.map((p) => p.variable)).toEqual(['TWITTER_NEWS_APP_KEY', 'TWITTER_NEWS_ACCESS_TOKEN', 'TWITTER_NEWS_ACCESS_SECRET']);
    expect(error.message).toMatch(/TWITTER_NEWS_APP_KEY is too short to be the X app \(consumer\) key/);
    expect(error.message).not.toContain('news-app-secret-0001');
    expect(error.message).not.toContain('tiny7');
  });

  it('GIVEN a secret value pasted into another field WHEN its error is printed THEN the value is redacted', () => {
    const error = problemsWithFile(
      lines('accounts:', '  - id: news', '    moderationChannelId: "555555555555555555"', '    timezone: n-access-token-0001'),
      secretsFor('TWITTER_NEWS_', 'n'),
    );
    expect(error.message).toContain('accounts[0].timezone');
    expect(error.message).not.toContain('n-access-token-0001');
  });

  it('GIVEN an unknown top-level key, an empty list or a non-map entry WHEN loaded THEN each is reported with its path', () => {
    expect(problemsWithFile(lines('acounts:', '  - id: news')).message).toMatch(
      /acounts: unknown key; did you mean accounts\?[\s\S]*accounts: is missing; expected a list of accounts/,
    );
    expect(problemsWithFile(lines('accounts: []')).message).toContain('accounts: expected at least one account');
    expect(problemsWithFile(lines('accounts:', '  - news')).message).toContain('accounts[0]: expected a map with at least id and moderationChannelId');
    expect(problemsWithFile('').message).toContain('accounts: is missing; expected a list of accounts');
  });

  it('GIVEN a YAML syntax error WHEN loaded THEN ACCOUNTS_FILE is named with the line, and the offending text is not echoed', () => {
    const error = problemsWithFile(lines('accounts:', '  - id: news', '    id: n-access-token-0001', '    moderationChannelId: "555555555555555555"'));
    expect(error.problems.map((p) => p.variable)).toEqual(['ACCOUNTS_FILE']);
    expect(error.message).toMatch(/ACCOUNTS_FILE .*accounts\.yaml is not valid YAML: Map keys must be unique at line 3, column 5/);
    expect(error.message).not.toContain('n-access-token-0001');
  });

  it('GIVEN an ACCOUNTS_FILE that does not exist or cannot be read WHEN loaded THEN the error names it', () => {
    const missing = (() => {
      try {
        loadConfig({ ...validEnv(), ACCOUNTS_FILE: 'nope.yaml' }, { cwd: dir });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toMatch(/ACCOUNTS_FILE cannot be read: .*nope\.yaml \(ENOENT/);

    if (process.getuid?.() !== 0) {
      writeFileSync(join(dir, 'locked.yaml'), 'accounts: []\n');
      chmodSync(join(dir, 'locked.yaml'), 0o000);
      expect(() => loadConfig({ ...validEnv(), ACCOUNTS_FILE: 'locked.yaml' }, { cwd: dir })).toThrow(/ACCOUNTS_FILE cannot be read: .*locked\.yaml \(EACCES/);
    }
  });

  it('GIVEN two accounts that use the same X access token WHEN loaded THEN it is a configuration error naming both variables, without the value', () => {
    const error = problemsWithFile(
      lines('accounts:', '  - id: default', '    moderationChannelId: "555555555555555555"', '  - id: news', '    moderationChannelId: "555555555555555555"'),
      { ...secretsFor('TWITTER_NEWS_', 'n'), TWITTER_NEWS_ACCESS_TOKEN: 'access-token-123456' },
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['TWITTER_NEWS_ACCESS_TOKEN']);
    expect(error.message).toContain('TWITTER_NEWS_ACCESS_TOKEN holds the same access token as TWITTER_ACCESS_TOKEN');
    expect(error.message).not.toContain('access-token-123456');
  });
});

describe('issue 13 §1: slots, slotGrace and keepAhead in accounts.yaml', () => {
  it("GIVEN slots, slotGrace and keepAhead in the file WHEN loaded THEN they are that account's; an account without them falls back to the environment", () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: main',
        '    moderationChannelId: "333333333333333333"',
        '    slots: ["09:00", "Mon-Fri 18:30", "Sat,Sun 11:00"]',
        '    slotGrace: 10m',
        '    keepAhead: 4',
        '  - id: quiet',
        '    moderationChannelId: "333333333333333333"',
        '  - id: none',
        '    moderationChannelId: "333333333333333333"',
        '    slots: []',
      ),
      { POST_SLOTS: '12:00', SLOT_GRACE: '5m', KEEP_AHEAD: '1', DRY_RUN: 'true' },
    );
    const [main, quiet, none] = config.accounts;
    expect(main?.posting.slots.map((rule) => rule.spec)).toEqual(['09:00', 'Mon-Fri 18:30', 'Sat,Sun 11:00']);
    expect(main?.posting.slots[1]).toEqual({ weekdays: [1, 2, 3, 4, 5], minuteOfDay: 18 * 60 + 30, spec: 'Mon-Fri 18:30' });
    expect(main?.posting).toMatchObject({ slotGraceMs: 10 * 60_000, keepAhead: 4 });
    expect(quiet?.posting.slots.map((rule) => rule.spec)).toEqual(['12:00']);
    expect(quiet?.posting).toMatchObject({ slotGraceMs: 5 * 60_000, keepAhead: 1 });
    // An empty list is a value of its own: this account has no slots although POST_SLOTS has.
    expect(none?.posting.slots).toEqual([]);
  });

  it('GIVEN bad slots in the file WHEN loaded THEN each names accounts[i].slots[j] and shows the expected form', () => {
    const error = problemsWithFile(
      lines(
        'accounts:',
        '  - id: main',
        '    moderationChannelId: "333333333333333333"',
        '    slots: ["09:00", "Mon-Fru 08:30", 930]',
        '    keepAhead: many',
        '  - id: other',
        '    moderationChannelId: "333333333333333333"',
        '    slots: {monday: "09:00"}',
      ),
      { DRY_RUN: 'true' },
    );
    const byPath = new Map(error.problems.map((p) => [p.variable, p.message]));
    expect(byPath.get('accounts[0].slots[1]')).toMatch(/is "Mon-Fru 08:30", which is not a slot: unknown weekday "Fru".*slots: \["09:00", "13:00", "18:30"\]/);
    expect(byPath.get('accounts[0].slots[2]')).toMatch(/is "930", which is not a slot: "930" is not a time of day/);
    expect(byPath.get('accounts[0].keepAhead')).toMatch(/expected a whole number from 0 to 100, got "many"/);
    expect(byPath.get('accounts[1].slots')).toMatch(/expected a YAML list of slots such as slots: \["09:00", "13:00", "18:30"\]/);
    expect(byPath.has('accounts[0].slots[0]')).toBe(false);
  });

  it("GIVEN a slot outside the account's active hours WHEN loaded THEN it is a configuration error naming the slot and the active hours", () => {
    const error = problemsWithFile(
      lines(
        'accounts:',
        '  - id: main',
        '    moderationChannelId: "333333333333333333"',
        '    activeHours: "08:00-22:00"',
        '    slots: ["09:00", "Sat 22:30"]',
        '  - id: env-slots',
        '    moderationChannelId: "333333333333333333"',
        '    activeHours: "10:00-20:00"',
        '  - id: env-window',
        '    moderationChannelId: "333333333333333333"',
        '    slots: ["06:00"]',
      ),
      { DRY_RUN: 'true', POST_SLOTS: '09:00', ACTIVE_HOURS: '07:00-23:00' },
    );
    const byPath = new Map(error.problems.map((p) => [p.variable, p.message]));
    expect([...byPath.keys()]).toEqual(['accounts[0].slots[1]', 'accounts[1].activeHours', 'accounts[2].slots[0]']);
    expect(byPath.get('accounts[0].slots[1]')).toMatch(/"Sat 22:30" is outside the account's active hours \(accounts\[0\]\.activeHours: 08:00-22:00\)/);
    expect(byPath.get('accounts[1].activeHours')).toMatch(/10:00-20:00 excludes the slot "09:00" of POST_SLOTS/);
    expect(byPath.get('accounts[2].slots[0]')).toMatch(/"06:00" is outside the account's active hours \(ACTIVE_HOURS: 07:00-23:00\)/);
  });
});

describe('issue 15: per-account learning keys', () => {
  it("GIVEN learning, topicRepeatFactor and voiceExamples in the file WHEN loaded THEN they are that account's; an account without them falls back to the environment", () => {
    const config = loadWithFile(
      lines(
        'accounts:',
        '  - id: main',
        '    moderationChannelId: "333333333333333333"',
        '    learning: off',
        '    topicRepeatFactor: 0.5',
        '    voiceExamples: 3',
        '  - id: plain',
        '    moderationChannelId: "333333333333333333"',
        '  - id: yes',
        '    moderationChannelId: "333333333333333333"',
        '    learning: true',
      ),
      { DRY_RUN: 'true', LEARNING: 'off', TOPIC_REPEAT_FACTOR: '0.1', VOICE_EXAMPLES: '8' },
    );
    const [main, plain, yes] = config.accounts;
    expect(main?.learning).toEqual({ enabled: false, repeatFactor: 0.5, maxExamples: 3, maxEditPairs: 4 });
    expect(plain?.learning).toEqual({ enabled: false, repeatFactor: 0.1, maxExamples: 8, maxEditPairs: 4 });
    expect(yes?.learning.enabled).toBe(true);
    expect(config.learning).toEqual({ enabled: false, repeatFactor: 0.1, maxExamples: 8, maxEditPairs: 4 });
  });

  it('GIVEN bad learning keys in the file WHEN loaded THEN each names accounts[i].key and what it expects', () => {
    const error = problemsWithFile(
      lines(
        'accounts:',
        '  - id: main',
        '    moderationChannelId: "333333333333333333"',
        '    learning: maybe',
        '    topicRepeatFactor: 2',
        '    voiceExamples: [1, 2]',
      ),
      { DRY_RUN: 'true' },
    );
    const byPath = new Map(error.problems.map((p) => [p.variable, p.message]));
    expect(byPath.get('accounts[0].learning')).toMatch(/expected on or off \(or true\/false\), got "maybe"/);
    expect(byPath.get('accounts[0].topicRepeatFactor')).toMatch(/expected a number from 0 to 1, got "2"/);
    expect(byPath.get('accounts[0].voiceExamples')).toMatch(/expected a single value, not a list or a map/);
  });
});

describe('issue 11 §1: accounts.yaml documentation', () => {
  it('GIVEN the account keys of the schema THEN the README and accounts.example.yaml document every one', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../accounts.example.yaml', import.meta.url), 'utf8');
    expect(ACCOUNT_KEYS.length).toBeGreaterThan(15);
    for (const key of ACCOUNT_KEYS) {
      expect(readme, `README documents ${key}`).toContain(`\`${key}\``);
      expect(example, `accounts.example.yaml shows ${key}`).toMatch(new RegExp(`^\\s+(- )?${key}:`, 'm'));
    }
  });
});
