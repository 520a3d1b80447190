import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnBuiltApp } from '../support/spawn-app.js';
import { fakeEnvironment, startFakes, type Fakes } from '../support/test-app.js';

/**
 * Step 4 of the Docker build done outside Docker: the pruned build (production dependencies
 * only, compiled JS) starts against the fakes, reaches ready, and stops cleanly on SIGTERM.
 */
const appDir = process.env['BUILT_APP_DIR'];

describe('the pruned build, as the container runs it', () => {
  let fakes: Fakes & { stop(): Promise<void> };
  let dataDir: string;
  beforeAll(async () => {
    if (!appDir) throw new Error('BUILT_APP_DIR must point at the pruned build (see scripts/check-build-outside-docker.sh)');
    fakes = await startFakes();
    dataDir = mkdtempSync(join(tmpdir(), 'draftgate-built-'));
  });
  afterAll(async () => {
    await fakes?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('GIVEN node dist/src/main.js with production deps only THEN it reaches ready and exits 0 on SIGTERM', async () => {
    const app = spawnBuiltApp({ appDir: appDir!, env: { ...fakeEnvironment(fakes, dataDir), NODE_ENV: 'production' } });
    await app.waitForLog((line) => line['message'] === 'ready');
    const { code, ms } = await app.signal('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(app.logs.at(-1)?.['message']).toBe('stopped');
  });
});
