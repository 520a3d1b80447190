import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { InstanceOptions } from '../../src/app.js';
import type { AppConfig } from '../../src/config/index.js';
import type { InjectedInteraction } from './fake-discord.js';
import type { FakeXOptions } from './fake-x.js';
import { ModerationDriver } from './moderation-driver.js';
import type { ManualClock } from './manual-clock.js';
import { loadSpecValidator } from './spec-validator.js';
import { specProblemsOf } from './spec-traffic.js';
import { removeDir, startFakes, startTestApp, type Fakes, type TestApp } from './test-app.js';

/**
 * What every Discord-driven integration test needs: fresh fakes per test, apps started against
 * them (DRY_RUN by default) and stopped afterwards, their temp dirs removed, and every tracked
 * interaction checked to be acknowledged inside Discord's 3-second window.
 */
export function useAppHarness(defaultEnv: Record<string, string> = { DRY_RUN: 'true' }, fakeOptions: { x?: FakeXOptions } = {}) {
  let current: (Fakes & { stop(): Promise<void> }) | undefined;
  const apps: TestApp[] = [];
  const dirs: string[] = [];
  const interactions: InjectedInteraction[] = [];

  beforeEach(async () => {
    current = await startFakes(fakeOptions);
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
    const fakes = current!;
    for (const interaction of interactions.splice(0)) expect(fakes.discord.ackLatencyMs(interaction.id)).toBeLessThan(3_000);
    // Every request to Discord, X and Anthropic, in every test, matches the official specs.
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    expect(specProblems).toEqual([]);
    for (const dir of dirs.splice(0)) removeDir(dir);
  });

  return {
    get fakes(): Fakes {
      if (!current) throw new Error('the harness starts the fakes in beforeEach');
      return current;
    },
    /** Starts the real app; pass a previous app's `dataDir` to simulate a restart on the same files. */
    async start(
      env: Record<string, string> = {},
      options: {
        dataDir?: string;
        clock?: ManualClock;
        instance?: InstanceOptions;
        realTime?: boolean;
        configure?: (config: AppConfig) => AppConfig;
      } = {},
    ): Promise<TestApp> {
      const testApp = await startTestApp(this.fakes, { env: { ...defaultEnv, ...env }, ...options });
      apps.push(testApp);
      if (!options.dataDir) dirs.push(testApp.dataDir);
      return testApp;
    },
    /**
     * A fresh temp dir, removed after the test: a data dir to write accounts.yaml into and to
     * start (and restart) apps on with `{ dataDir }`.
     */
    tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'draftgate-app-'));
      dirs.push(dir);
      return dir;
    },
    /** Remembers an interaction so afterEach checks its acknowledgement time. */
    track(interaction: InjectedInteraction): InjectedInteraction {
      interactions.push(interaction);
      return interaction;
    },
  };
}

/**
 * Every message, reply and edit the bot wrote could ping nobody, and every REST request it
 * sent matches Discord's official spec.
 */
export async function expectCleanDiscordTraffic(fakes: Fakes): Promise<{ payloadsChecked: number }> {
  let payloadsChecked = 0;
  for (const id of fakes.discord.messages.keys()) {
    for (const payload of fakes.discord.messagePayloads(id)) {
      if (Object.keys(payload).length === 0) continue; // the placeholder of a deferred reply
      payloadsChecked += 1;
      expect(payload['allowed_mentions'], `message ${id}`).toEqual({ parse: [] });
    }
  }
  const validator = await loadSpecValidator('discord');
  for (const request of fakes.discord.requests.filter((r) => r.path.startsWith('/api/v10/'))) {
    expect(validator.validate(request), `${request.method} ${request.path}`).toEqual([]);
  }
  return { payloadsChecked };
}

/**
 * The app harness for suites that moderate through cards: `start` returns a ModerationDriver over
 * a freshly started app, and `track` remembers an interaction for the 3-second ack check.
 */
export function useModerationHarness(defaultEnv?: Record<string, string>, fakeOptions: { x?: FakeXOptions } = {}) {
  const harness = useAppHarness(defaultEnv, fakeOptions);
  return {
    harness,
    track: (interaction: InjectedInteraction): InjectedInteraction => harness.track(interaction),
    async start(env: Record<string, string> = {}, options: { dataDir?: string; clock?: ManualClock } = {}): Promise<ModerationDriver> {
      return new ModerationDriver(harness.fakes, await harness.start(env, options));
    },
  };
}
