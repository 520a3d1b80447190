import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnBuiltApp } from '../tests/support/spawn-app.js';
import { fakeEnvironment, startFakes } from '../tests/support/test-app.js';
import { containerMallocEnvironment, containerNodeFlags, describeContainerRuntime } from './support/container.js';
import { report } from './report.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('idle memory of the built app', () => {
  it('GIVEN node dist/src/main.js ready against the fakes THEN its idle RSS is reported', async () => {
    const fakes = await startFakes();
    const dataDir = mkdtempSync(join(tmpdir(), 'draftgate-rss-'));
    const app = spawnBuiltApp({
      appDir: root,
      env: { ...fakeEnvironment(fakes, dataDir), NODE_ENV: 'production', LOG_LEVEL: 'info', ...containerMallocEnvironment() },
      nodeArgs: containerNodeFlags(),
    });
    try {
      await app.waitForLog((line) => line['message'] === 'ready');
      const samples: number[] = [];
      // Let start-up garbage settle, then sample for a few seconds of idling.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for (let i = 0; i < 5; i++) {
        samples.push(app.rssBytes());
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const mb = (bytes: number) => bytes / 1024 / 1024;
      report(
        'idle-rss',
        { runtime: describeContainerRuntime(), medianMB: mb([...samples].sort((a, b) => a - b)[2]!), maxMB: mb(Math.max(...samples)) },
        '< 90 MB',
      );
      expect(samples.every((s) => s > 0)).toBe(true);
    } finally {
      await app.signal('SIGTERM');
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
