import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnBuiltApp } from '../support/spawn-app.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/** The compiled app, run as the container runs it (`npm test` builds first). */
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the built process at start-up (issue 16 §3)', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  beforeEach(async () => {
    fakes = await startFakes();
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-startup-'));
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    rmSync(dataDir, { recursive: true, force: true });
    expect(specProblems).toEqual([]);
  });

  /** One start of `node dist/src/main.js [args]` up to 'active', then SIGTERM; returns its log lines. */
  async function startOnce(args: readonly string[] = []): Promise<Array<Record<string, unknown>>> {
    const app = spawnBuiltApp({ appDir: root, env: fakeEnvironment(fakes, dataDir, { DRY_RUN: 'true' }), args });
    try {
      await app.waitForLog((line) => String(line['message']).startsWith('active'), 60_000);
    } finally {
      expect((await app.signal('SIGTERM')).code).toBe(0);
    }
    return app.logs;
  }

  const commandPuts = () => fakes.discord.requestsTo('PUT', `/applications/${fakes.discord.applicationId}/guilds/${fakes.discord.guildId}/commands`);

  it('GIVEN a start registered the commands WHEN the process restarts THEN it skips the PUT, and with --force-register it registers again', async () => {
    await startOnce();
    expect(commandPuts()).toHaveLength(1);

    const restart = await startOnce();
    expect(commandPuts()).toHaveLength(1);
    expect(restart.some((line) => String(line['message']).startsWith('slash commands unchanged'))).toBe(true);

    const forced = await startOnce(['--force-register']);
    expect(commandPuts()).toHaveLength(2);
    expect(forced.find((line) => line['message'] === 'slash commands registered')).toMatchObject({ forced: true });
    // Every start-up line carries its timings for the start-up bench.
    const ready = forced.find((line) => line['message'] === 'ready');
    expect(ready).toMatchObject({ ms: expect.any(Number), atMs: expect.any(Number), xCheckMs: expect.any(Number) });
    expect(forced.find((line) => line['message'] === 'database ready')).toMatchObject({ importsMs: expect.any(Number), ms: expect.any(Number) });
  }, 120_000);
});
