import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../migrations/index.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { removeDir, startFakes, startTestApp, type Fakes } from '../support/test-app.js';

describe('app lifecycle', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  const dirs: string[] = [];

  beforeEach(async () => {
    fakes = await startFakes();
  });
  afterEach(async () => {
    const specProblems = await specProblemsOf(fakes);
    await fakes.stop();
    for (const dir of dirs.splice(0)) removeDir(dir);
    expect(specProblems).toEqual([]);
  });

  it('GIVEN the three fakes and a temp SQLite file WHEN the app starts THEN it migrates, reaches ready, and stops cleanly', async () => {
    const started = Date.now();
    const testApp = await startTestApp(fakes);
    dirs.push(testApp.dataDir);
    expect(fakes.discord.identifyCount).toBe(1);
    expect(testApp.logs.some((l) => l['message'] === 'ready')).toBe(true);
    const dbReady = testApp.logs.find((l) => l['message'] === 'database ready');
    // A new file gets every migration, in the order migrations/index.ts lists them.
    expect(dbReady?.['migrationsApplied']).toEqual(MIGRATIONS.map((migration) => new migration().name));
    expect((await testApp.app.repos.topics.list()).length).toBe(7);

    await testApp.stop();
    expect(testApp.logs.at(-1)?.['message']).toBe('stopped');
    // The gateway socket is closed by the client, not left for the server to time out.
    await expect.poll(() => fakes.discord.gatewayConnections.every((c) => c.closedAt !== undefined)).toBe(true);
    expect(fakes.discord.gatewayConnections[0]?.closeCode).toBe(1000);
    // Shutdown is bounded (10 s in production); against local fakes it is far quicker.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('GIVEN a second start on the same files THEN no migration runs twice and nothing leaks into logs', async () => {
    const first = await startTestApp(fakes);
    dirs.push(first.dataDir);
    await first.stop();
    const second = await startTestApp(fakes, { dataDir: first.dataDir });
    await second.stop();
    const dbReady = second.logs.find((l) => l['message'] === 'database ready');
    expect(dbReady?.['migrationsApplied']).toEqual([]);
    const text = JSON.stringify([...first.logs, ...second.logs]);
    for (const secret of second.config.secrets) expect(text).not.toContain(secret);
  });
});
