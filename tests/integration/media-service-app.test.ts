import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHttpServer } from '../support/fake-http.js';
import { useModerationHarness } from '../support/app-harness.js';
import { testImage } from '../support/images.js';

const TEXT = 'Launch charts tell a story: read the curve before you buy, and set your own limits first.';

describe('MediaService as the app wires it (issue 14)', () => {
  const { start } = useModerationHarness();
  let cdn: FakeHttpServer;
  let cdnBase: string;
  const png = testImage('png', { width: 800, height: 450 });

  beforeEach(async () => {
    cdn = new FakeHttpServer('attachments');
    cdn.route('GET', '/chart.png', () => ({ status: 200, headers: { 'content-type': 'image/png' }, body: png }));
    cdnBase = await cdn.start();
  });
  afterEach(async () => {
    await cdn.stop();
  });

  it("GIVEN a pending card WHEN an image with alt text is added through the account's MediaService THEN the file is in MEDIA_DIR and the new revision carries it", async () => {
    const driver = await start();
    const card = await driver.postDraft(TEXT);
    const media = driver.testApp.app.services.accounts.get('default')!.media;
    const file = { url: `${cdnBase}/chart.png`, filename: 'chart.png', contentType: 'image/png', size: png.length };
    const request = { draftId: card.draft.id, revision: card.draft.revision, actor: { id: 'u1', name: 'alice' }, messageId: card.messageId };

    // Claude (the app's describer) writes an empty alt text; when it cannot, the image is refused (never an image without one).
    driver.fakes.anthropic.failWith(400, 'invalid_request_error', 'the fake refuses this one');
    const withoutAlt = await media.addImages({ ...request, files: [file], altText: null });
    expect(withoutAlt).toMatchObject({ status: 'refused', error: { rule: 'alt_text' } });
    if (withoutAlt.status === 'refused') expect(withoutAlt.error.message).toMatch(/write the alt text yourself/);

    const result = await media.addImages({ ...request, files: [file], altText: 'A rising launch chart' });
    expect(result.status).toBe('applied');
    if (result.status !== 'applied') return;
    expect(result.card.draft).toMatchObject({ revision: card.draft.revision + 1, tweets: [TEXT] });
    expect(result.card.draft.media).toMatchObject([{ position: 0, width: 800, height: 450, altText: 'A rising launch chart', altSource: 'moderator' }]);
    const mediaDir = join(driver.testApp.dataDir, 'media');
    expect(readdirSync(mediaDir)).toContain(result.card.draft.media![0]!.sha256);

    // With no alt text and Claude answering, Claude's alt text is stored and its finding flags the revision.
    driver.fakes.anthropic.queueImageReview({ altText: 'The same rising launch chart, seen by Claude', findings: ['shows a wallet address'] });
    const described = await media.addImages({ ...request, revision: card.draft.revision + 1, files: [file], altText: null });
    expect(described.status).toBe('applied');
    if (described.status !== 'applied') return;
    expect(described.card.draft.media?.[1]).toMatchObject({ position: 1, altText: 'The same rising launch chart, seen by Claude', altSource: 'claude' });
    expect(described.card.draft.riskFlags).toContainEqual({ id: 'image_content', label: 'image 2: shows a wallet address' });
    expect(driver.fakes.anthropic.receivedImages.at(-1)).toMatchObject({ mediaType: 'image/png', bytes: png.length });
  });
});
