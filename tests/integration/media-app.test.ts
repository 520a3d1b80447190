import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_NAMES } from '../../src/scheduler/posting-scheduler.js';
import { useAppHarness } from '../support/app-harness.js';

describe('the app and its media directory (issue 14 §3)', () => {
  const harness = useAppHarness();

  it('GIVEN the app starts THEN MEDIA_DIR is created, its file store is exposed, and the daily media sweep is one of its jobs', async () => {
    const testApp = await harness.start();
    const mediaDir = join(testApp.dataDir, 'media');
    expect(testApp.config.storage.mediaDir).toBe(mediaDir);
    expect(existsSync(mediaDir)).toBe(true);
    const sha256 = await testApp.app.services.mediaFiles.put(new TextEncoder().encode('an image'));
    expect(readdirSync(mediaDir)).toEqual([sha256]);
    expect(testApp.app.services.accounts.get('default')?.repos.media).toBeDefined();
    // A file stored just now is young: the sweep keeps it.
    const run = await testApp.app.scheduler.runNow(JOB_NAMES.mediaSweep);
    expect(run).toMatchObject({ outcome: 'ok', detail: { deleted: 0 } });
    expect(readdirSync(mediaDir)).toEqual([sha256]);
  });

  it('GIVEN a MEDIA_DIR that cannot be created THEN the app refuses to start with an error naming MEDIA_DIR', async () => {
    const dir = harness.tempDir();
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    await expect(harness.start({ MEDIA_DIR: join(dir, 'a-file', 'media') })).rejects.toThrow(/MEDIA_DIR .*a-file\/media cannot be used/);
  });
});
