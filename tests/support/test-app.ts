import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DraftgateApp, type InstanceOptions } from '../../src/app.js';
import { loadConfig, loadStorageConfig, type AppConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createDataSource, databaseTargetOf, type DatabaseTarget } from '../../src/db/index.js';
import { systemClock, systemMonotonicClock } from '../../src/services/ports.js';
import type { DataSource } from 'typeorm';
import { FakeAnthropic, FAKE_ANTHROPIC_API_KEY } from './fake-anthropic.js';
import { FakeDiscord } from './fake-discord.js';
import { FakeX, type FakeXOptions } from './fake-x.js';
import { ManualClock } from './manual-clock.js';
import { databaseUrlForDataDir, onPostgres } from './postgres.js';

export { ManualClock };

export interface Fakes {
  readonly discord: FakeDiscord;
  readonly x: FakeX;
  readonly anthropic: FakeAnthropic;
}

/** Starts the three fakes on 127.0.0.1; `x` configures the fake X (e.g. several users, each with its token). */
export async function startFakes(options: { x?: FakeXOptions } = {}): Promise<Fakes & { stop(): Promise<void> }> {
  const discord = new FakeDiscord();
  const x = new FakeX(options.x);
  const anthropic = new FakeAnthropic();
  await Promise.all([discord.start(), x.start(), anthropic.start()]);
  return {
    discord,
    x,
    anthropic,
    async stop() {
      await Promise.all([discord.stop(), x.stop(), anthropic.stop()]);
    },
  };
}

/**
 * The environment a real deployment would set, pointed at the fakes and a temp database: the
 * SQLite file in `dataDir`, or with DRAFTGATE_TEST_DB=postgres the PostgreSQL database of
 * `dataDir` (DATABASE_URL; the same directory always names the same database, so a restart or a
 * second process on it shares the data). Child processes get it through this environment.
 */
export function fakeEnvironment(fakes: Fakes, dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DISCORD_TOKEN: fakes.discord.botToken,
    DISCORD_GUILD_ID: fakes.discord.guildId,
    MODERATION_CHANNEL_ID: fakes.discord.channelId,
    MODERATOR_ROLE_ID: fakes.discord.moderatorRoleId,
    DISCORD_API_BASE: fakes.discord.apiBase,
    ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
    ANTHROPIC_BASE_URL: fakes.anthropic.url,
    ANTHROPIC_MAX_RETRIES: '2',
    TWITTER_APP_KEY: fakes.x.consumerKey,
    TWITTER_APP_SECRET: 'fake-x-consumer-secret',
    TWITTER_ACCESS_TOKEN: 'fake-x-access-token',
    TWITTER_ACCESS_SECRET: 'fake-x-access-secret',
    TWITTER_API_BASE: fakes.x.url,
    TWITTER_TIMEOUT: '2s',
    DATABASE_PATH: join(dataDir, 'draftgate.sqlite'),
    ...(onPostgres ? { DATABASE_URL: databaseUrlForDataDir(dataDir) } : {}),
    LOG_DIR: join(dataDir, 'logs'),
    // The images beside the database, in the test's own folder on both engines (PostgreSQL's default is ./data/media).
    MEDIA_DIR: join(dataDir, 'media'),
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    HEALTH_PORT: '0',
    ...overrides,
  };
}

export interface TestApp {
  readonly app: DraftgateApp;
  readonly config: AppConfig;
  /** The app's clock; with `realTime` the app reads the system clock and this one stays unused. */
  readonly clock: ManualClock;
  readonly dataDir: string;
  /** Every log line the app wrote, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * Builds the whole app exactly as main.ts does, against the fakes, with a manual clock and a
 * seeded RNG, and starts it. `dataDir` may be reused to simulate a restart on the same files.
 */
export async function startTestApp(
  fakes: Fakes,
  options: {
    env?: Record<string, string>;
    dataDir?: string;
    clock?: ManualClock;
    rng?: () => number;
    /** The instance lease's identity and liveness check: two apps in one process need their own (they share the pid). */
    instance?: InstanceOptions;
    /**
     * Real time, for what only real timers can show (the publish timer's wake-ups): the system
     * clocks and an armed publish timer. The scheduler's jobs stay unarmed (runDue runs them).
     */
    realTime?: boolean;
    /** Changes the loaded configuration before the app is built (a setting the environment cannot express yet). */
    configure?: (config: AppConfig) => AppConfig;
  } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'draftgate-app-'));
  const loaded = loadConfig(fakeEnvironment(fakes, dataDir, options.env));
  const config = options.configure ? options.configure(loaded) : loaded;
  const logs: Array<Record<string, unknown>> = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
  });
  const logger = createLogger({ level: 'debug', format: 'json', secrets: config.secrets, stream });
  const clock = options.clock ?? new ManualClock();
  // The manual clock never reaches the scheduler's real timers; tests run due jobs with app.scheduler.runDue().
  const app = new DraftgateApp({
    config,
    logger,
    ...(options.realTime ? { clock: systemClock, monotonicClock: systemMonotonicClock, armPublishTimer: true } : { clock, monotonicClock: clock.monotonic }),
    armSchedulerTimers: false,
    ...(options.rng ? { rng: options.rng } : {}),
    ...(options.instance ? { instance: options.instance } : {}),
  });
  try {
    await app.start();
  } catch (error) {
    // As main.ts does: a failed start still closes what it opened (the database, the gateway).
    await app.stop().catch(() => undefined);
    throw error;
  }
  return {
    app,
    config,
    clock,
    dataDir,
    logs,
    async stop() {
      await app.stop();
    },
  };
}

/** The database an environment (e.g. fakeEnvironment's, for a child process) points at. */
export function databaseOfEnvironment(env: Record<string, string | undefined>): DatabaseTarget {
  return databaseTargetOf(loadStorageConfig(env));
}

/**
 * Runs `read` on a connection of its own to the database an app was configured with (its
 * SQLite file or its PostgreSQL database), as an operator's tool would, and closes it.
 */
export async function withAppDatabase<T>(config: AppConfig, read: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = createDataSource(databaseTargetOf(config.storage));
  await dataSource.initialize();
  try {
    return await read(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
