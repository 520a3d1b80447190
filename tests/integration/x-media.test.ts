import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaMimeType, MediaUpload } from '../../src/domain/media.js';
import { MediaFileMissingError, type PublishHooks, type TargetMedia, type TargetPublication } from '../../src/services/ports.js';
import { FAKE_X_MEDIA_ROUTES } from '../support/fake-x.js';
import { createPublishingHarness, T0, type PublishingHarness } from '../support/publishing-harness.js';

/**
 * Images on X (issue 14 §4): the X target uploads each image through twitter-api-v2's
 * `v2.uploadMedia`, sets its alt text through `v2.createMediaMetadata`, and posts the first tweet
 * with the media ids; everything checked on the wire of the fake X, which validates it against
 * X's OpenAPI description.
 */

const HOUR = 60 * 60_000;
let h: PublishingHarness | undefined;

afterEach(async () => {
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  expect(problems).toEqual([]);
});

async function harness(options: Parameters<typeof createPublishingHarness>[0] = {}): Promise<PublishingHarness> {
  h = await createPublishingHarness(options);
  return h;
}

/** Bytes of a given size, distinct per seed (the fake X does not decode images). */
function bytesOf(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 17) & 0xff;
  return out;
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Image extends TargetMedia {
  readonly data: Uint8Array;
  reads: number;
}

function image(position: number, size: number, options: { altText?: string | null; upload?: MediaUpload | null; mimeType?: MediaMimeType } = {}): Image {
  const data = bytesOf(size, position + 1);
  const item: Image = {
    position,
    sha256: sha(data),
    mimeType: options.mimeType ?? 'image/png',
    bytes: size,
    altText: options.altText === undefined ? `image ${position + 1}` : options.altText,
    upload: options.upload ?? null,
    data,
    reads: 0,
    async read() {
      item.reads += 1;
      return data;
    },
  };
  return item;
}

const publication = (tweets: readonly string[], media: readonly TargetMedia[], postedIds: readonly string[] = []): TargetPublication => ({
  draftId: 1,
  tweets,
  postedIds,
  media,
});

/** Hooks that record what the target handed back, with how many requests X had seen by then. */
function recordingHooks(x: PublishingHarness) {
  const uploads: MediaUpload[] = [];
  const events: string[] = [];
  const forgotten = { count: 0 };
  const hooks: PublishHooks = {
    onMediaForgotten: async () => {
      forgotten.count += 1;
      events.push('media forgotten');
    },
    beforePost: async (index) => void events.push(`before ${index}`),
    beforeMediaRequest: async () => void events.push('before media'),
    onPosted: async (_id, index) => void events.push(`posted ${index}`),
    onMediaUploaded: async (upload) => {
      uploads.push(upload);
      events.push(`media ${upload.position}${upload.altTextApplied ? ' alt' : ''} after ${x.fake.requests.length} requests`);
    },
  };
  return { hooks, uploads, events, forgotten };
}

const tweetPosts = (x: PublishingHarness) => x.fake.requestsTo('POST', '/2/tweets');

describe('X publish target: images on the first post', () => {
  it('GIVEN two images with alt text WHEN published THEN each is uploaded (initialize, append, finalize) then its alt text set, and tweet 0 carries the media ids on the wire', async () => {
    const x = await harness();
    const target = x.xTarget();
    // 1.5 MB: twitter-api-v2 appends it in two 1 MB segments.
    const images = [image(0, 1_500_000, { altText: 'a chart of fees' }), image(1, 2_000, { mimeType: 'image/gif', altText: 'a cat' })];
    const { hooks, uploads } = recordingHooks(x);

    const ids = await target.publish(publication(['look at this'], images), hooks);

    expect(x.fake.mediaUploads.map((u) => ({ sha256: u.sha256, type: u.mediaType, category: u.category, bytes: u.bytes }))).toEqual([
      { sha256: images[0]!.sha256, type: 'image/png', category: 'tweet_image', bytes: 1_500_000 },
      { sha256: images[1]!.sha256, type: 'image/gif', category: 'tweet_gif', bytes: 2_000 },
    ]);
    const [first, second] = x.fake.mediaUploads;
    expect(x.fake.requestsTo('POST', FAKE_X_MEDIA_ROUTES.append.path)).toHaveLength(3);
    expect(x.fake.mediaMetadata).toEqual([
      { mediaId: first!.mediaId, altText: 'a chart of fees' },
      { mediaId: second!.mediaId, altText: 'a cat' },
    ]);
    expect(tweetPosts(x).map((r) => r.body)).toEqual([{ text: 'look at this', media: { media_ids: [first!.mediaId, second!.mediaId] } }]);
    expect(x.fake.tweets[0]).toMatchObject({ id: ids[0], mediaIds: [first!.mediaId, second!.mediaId] });
    // Each id reached the service as soon as X returned it, then again once its alt text was set.
    expect(uploads).toEqual([
      { position: 0, sha256: images[0]!.sha256, mediaId: first!.mediaId, uploadedAt: T0, altTextApplied: false },
      { position: 0, sha256: images[0]!.sha256, mediaId: first!.mediaId, uploadedAt: T0, altTextApplied: true },
      { position: 1, sha256: images[1]!.sha256, mediaId: second!.mediaId, uploadedAt: T0, altTextApplied: false },
      { position: 1, sha256: images[1]!.sha256, mediaId: second!.mediaId, uploadedAt: T0, altTextApplied: true },
    ]);
  });

  it('GIVEN a thread with an image WHEN published THEN only the first tweet carries it and the replies are text only', async () => {
    const x = await harness();
    const { hooks } = recordingHooks(x);
    await x.xTarget().publish(publication(['1/2 chart', '2/2 more'], [image(0, 5_000, { altText: null })]), hooks);
    const mediaId = x.fake.mediaUploads[0]!.mediaId;
    expect(tweetPosts(x).map((r) => r.body)).toEqual([
      { text: '1/2 chart', media: { media_ids: [mediaId] } },
      { text: '2/2 more', reply: { in_reply_to_tweet_id: x.fake.tweets[0]!.id } },
    ]);
    // No alt text: no metadata call.
    expect(x.fake.mediaMetadata).toEqual([]);
  });

  it('GIVEN stored uploads younger than 23 h of the same files WHEN published THEN nothing is uploaded again and the tweet carries those ids', async () => {
    const x = await harness();
    const first = recordingHooks(x);
    x.fake.serverError(503);
    const images = [image(0, 3_000), image(1, 4_000)];
    await expect(x.xTarget().publish(publication(['retry me'], images), first.hooks)).rejects.toThrow(/503/);
    const stored = new Map(first.uploads.map((u) => [u.position, u]));
    x.clock.advance(22 * HOUR);

    const again = [image(0, 3_000, { upload: stored.get(0)! }), image(1, 4_000, { upload: stored.get(1)! })];
    const second = recordingHooks(x);
    await x.xTarget().publish(publication(['retry me'], again), second.hooks);

    expect(x.fake.mediaUploads).toHaveLength(2);
    expect(again.map((i) => i.reads)).toEqual([0, 0]);
    expect(second.uploads).toEqual([]);
    expect(tweetPosts(x).at(-1)!.body).toEqual({ text: 'retry me', media: { media_ids: [stored.get(0)!.mediaId, stored.get(1)!.mediaId] } });
  });

  it('GIVEN a stored upload older than 23 h, or of another file at that position WHEN published THEN it is uploaded again', async () => {
    const x = await harness();
    const first = recordingHooks(x);
    x.fake.serverError(503);
    await expect(x.xTarget().publish(publication(['old ids'], [image(0, 3_000), image(1, 4_000)]), first.hooks)).rejects.toThrow(/503/);
    const [, old0, , old1] = first.uploads;
    x.clock.advance(23 * HOUR + 1);
    x.fake.ageMedia(23 * HOUR + 1);

    const replaced = { ...old1!, sha256: 'another file' };
    const second = recordingHooks(x);
    await x.xTarget().publish(publication(['old ids'], [image(0, 3_000, { upload: old0! }), image(1, 4_000, { upload: replaced })]), second.hooks);

    expect(x.fake.mediaUploads).toHaveLength(4);
    const fresh = x.fake.mediaUploads.slice(2).map((u) => u.mediaId);
    expect(tweetPosts(x).at(-1)!.body).toEqual({ text: 'old ids', media: { media_ids: fresh } });
  });

  it('GIVEN an uploaded id X no longer knows WHEN the tweet is refused with 400 THEN the uploads are forgotten through the hook (no marker upload is stored) and the failure is transient', async () => {
    const x = await harness();
    const first = recordingHooks(x);
    x.fake.serverError(503);
    await expect(x.xTarget().publish(publication(['expired early'], [image(0, 3_000)]), first.hooks)).rejects.toThrow(/503/);
    const stored = first.uploads.at(-1)!;
    // X forgets it (24 h) although our clock says it is only 1 h old.
    x.fake.ageMedia(25 * HOUR);
    x.clock.advance(HOUR);

    const target = x.xTarget();
    const second = recordingHooks(x);
    const error = await target.publish(publication(['expired early'], [image(0, 3_000, { upload: stored })]), second.hooks).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(tweetPosts(x).at(-1)!.body).toEqual({ text: 'expired early', media: { media_ids: [stored.mediaId] } });
    expect(target.classifyError(error)).toMatchObject({ errorClass: 'transient', maybePosted: false });
    expect(second.uploads).toEqual([]);
    expect(second.forgotten.count).toBe(1);
    // The retry, with nothing stored, uploads again.
    const third = recordingHooks(x);
    await target.publish(publication(['expired early'], [image(0, 3_000)]), third.hooks);
    expect(x.fake.mediaUploads).toHaveLength(2);
    expect(x.fake.tweets).toHaveLength(1);
  });

  it('GIVEN a hook before the media requests WHEN publishing THEN the lease is renewed before every upload and alt text, and before the tweet', async () => {
    const x = await harness();
    const { hooks, events } = recordingHooks(x);
    await x.xTarget().publish(publication(['hooks'], [image(0, 1_000), image(1, 1_000, { altText: null })]), hooks);
    expect(events).toEqual([
      'before 0',
      'before media',
      'media 0 after 3 requests',
      'before media',
      'media 0 alt after 4 requests',
      'before media',
      'media 1 alt after 7 requests',
      'before 0',
      'posted 0',
    ]);
  });
});

describe('X publish target: media errors are classified like tweet errors', () => {
  const cases = [
    { route: 'initialize', fault: 503, expected: { errorClass: 'transient', maybePosted: false } },
    { route: 'append', fault: 500, expected: { errorClass: 'transient', maybePosted: false } },
    { route: 'finalize', fault: 'drop', expected: { errorClass: 'transient', maybePosted: false } },
    { route: 'metadata', fault: 'lose', expected: { errorClass: 'transient', maybePosted: false } },
    { route: 'initialize', fault: 401, expected: { errorClass: 'auth', maybePosted: false } },
    { route: 'metadata', fault: 401, expected: { errorClass: 'auth', maybePosted: false } },
    { route: 'append', fault: 400, expected: { errorClass: 'invalid', maybePosted: false } },
    { route: 'initialize', fault: 429, expected: { errorClass: 'rate_limited', maybePosted: false } },
  ] as const;
  for (const { route, fault, expected } of cases) {
    it(`GIVEN ${fault} on ${route} WHEN publishing an image THEN it is ${expected.errorClass} and no tweet is posted`, async () => {
      const x = await harness();
      const target = x.xTarget();
      x.fake.mediaFault(route, fault);
      const error = await target.publish(publication([`fault ${route} ${fault}`], [image(0, 2_000)]), recordingHooks(x).hooks).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(target.classifyError(error)).toMatchObject({ ...expected, recognised: true });
      expect(tweetPosts(x)).toHaveLength(0);
    });
  }

  it('GIVEN the image file is missing from the media directory WHEN publishing THEN the failure is permanent (invalid) and names the file', async () => {
    const x = await harness();
    const target = x.xTarget();
    const missing: TargetMedia = { ...image(0, 10), read: () => Promise.reject(new MediaFileMissingError('ab'.repeat(32))) };
    const error = await target.publish(publication(['no file'], [missing]), recordingHooks(x).hooks).then(
      () => undefined,
      (e: unknown) => e,
    );
    const failure = target.classifyError(error);
    expect(failure).toMatchObject({ errorClass: 'invalid', maybePosted: false, recognised: true });
    expect(failure.message).toContain('ab'.repeat(32));
    expect(x.fake.requests).toHaveLength(0);
  });
});
