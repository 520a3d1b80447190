import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskMediaFileStore } from '../../src/adapters/media/media-file-store.js';
import type { AccountServices } from '../../src/app.js';
import type { DraftMedia } from '../../src/domain/media.js';
import { useAppHarness } from '../support/app-harness.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { sha256Hex, testImage } from '../support/images.js';

/**
 * The composition root's part of issue 14 §4: the whole app, started as main.ts starts it,
 * publishes a draft's images from its media directory (MEDIA_DIR) through the real X client to
 * the fake X. The moderation flow around it (Add image, the card) is tested with the cards.
 */
const harness = useAppHarness({ DRY_RUN: 'false' });

describe('the app publishes images from its media directory', () => {
  it('GIVEN the running app and an approved draft whose two images are in MEDIA_DIR WHEN it is published THEN X receives both files, the alt text and one tweet with the two media ids', async () => {
    const dir = harness.tempDir();
    const mediaDir = join(dir, 'media');
    const testApp = await harness.start({ MEDIA_DIR: mediaDir }, { dataDir: dir });
    const account = [...testApp.app.services.accounts.values()][0] as AccountServices;
    const files = await DiskMediaFileStore.open(mediaDir);
    const pictures = [testImage('png', { width: 64, height: 48 }), testImage('webp', { width: 32, height: 32 })];
    const media: DraftMedia[] = [];
    for (const [position, bytes] of pictures.entries()) {
      const sha256 = await files.put(bytes);
      media.push({
        position,
        sha256,
        mimeType: position === 0 ? 'image/png' : 'image/webp',
        bytes: bytes.byteLength,
        width: position === 0 ? 64 : 32,
        height: position === 0 ? 48 : 32,
        altText: position === 0 ? 'a chart' : null,
        altSource: position === 0 ? 'moderator' : null,
        findings: [],
      });
    }
    const now = testApp.clock.now();
    const draft = await account.repos.drafts.create({ ...newTweetDraft('two charts from the media directory'), media }, now);
    expect(await account.repos.drafts.decide(draft.id, 1, { to: 'approved', actor: { id: '1', name: 'alice' }, source: 'moderator' }, now)).toBe(true);

    const outcome = await account.publishing.publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    const x = harness.fakes.x;
    expect(x.mediaUploads.map((u) => u.sha256)).toEqual(pictures.map((p) => sha256Hex(p)));
    expect(x.mediaMetadata).toEqual([{ mediaId: x.mediaUploads[0]!.mediaId, altText: 'a chart' }]);
    expect(x.requestsTo('POST', '/2/tweets').map((r) => r.body)).toEqual([
      { text: 'two charts from the media directory', media: { media_ids: x.mediaUploads.map((u) => u.mediaId) } },
    ]);
    expect((await account.repos.drafts.findById(draft.id))?.mediaUploads?.map((u) => u.mediaId)).toEqual(x.mediaUploads.map((u) => u.mediaId));
  });
});
