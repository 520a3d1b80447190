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
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const sampleFor = async (count: number) => {
        const samples: number[] = [];
        for (let i = 0; i < count; i++) {
          samples.push(app.rssBytes());
          await sleep(500);
        }
        return samples;
      };
      const mb = (bytes: number) => bytes / 1024 / 1024;
      const medianMb = (samples: readonly number[]) => mb([...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!);
      // 3 s after ready: start-up's garbage is still resident. V8's memory reducer runs once a
      // process has idled for 8 s (--gc-memory-reducer-start-delay-ms) and gives the start-up's
      // heap pages back; the allocator returns the freed pages a second later. The idle figure is
      // the bot as it sits all day: sampled from 20 s to 24 s after ready (in 45 s series the drop came
      // between 8 s and 17 s after ready, then stayed flat within 1 MB). Both are printed.
      await sleep(3_000);
      const justAfterReady = await sampleFor(5);
      await sleep(20_000 - 3_000 - 5 * 500);
      const idle = await sampleFor(9);
      report(
        'idle-rss',
        {
          runtime: describeContainerRuntime(),
          medianMB: medianMb(idle),
          maxMB: mb(Math.max(...idle)),
          threeSecondsAfterReadyMB: medianMb(justAfterReady),
        },
        '< 90 MB (median from 20 s to 24 s after ready)',
      );
      expect([...justAfterReady, ...idle].every((s) => s > 0)).toBe(true);
    } finally {
      await app.signal('SIGTERM');
      await fakes.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
