import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiResponseError, type TwitterApi as TwitterApiClient } from 'twitter-api-v2';
import { createTwitterClient } from '../../src/adapters/twitter/base-url.js';
import { FAKE_X_MEDIA_TTL_MS, FakeX } from '../support/fake-x.js';
import { loadSpecValidator, type SpecValidator } from '../support/spec-validator.js';

/**
 * The fake X's media routes (issue 14 §5) with the real twitter-api-v2 client: chunked upload
 * (initialize, append as multipart form-data, finalize, STATUS), POST /2/media/metadata, and the
 * media ids on POST /2/tweets, each checked as X checks them and validated against X's spec.
 */

const CREDENTIALS = {
  appKey: 'draftgate-consumer-key',
  appSecret: 'draftgate-consumer-secret',
  accessToken: '1600000000000000001-accesstoken',
  accessSecret: 'draftgate-access-secret',
};
const OTHER = {
  user: { userId: '1700000000000000002', username: 'pump_news' },
  credentials: { ...CREDENTIALS, accessToken: '1700000000000000002-newstoken', accessSecret: 'news-access-secret' },
};

let now = Date.UTC(2026, 0, 15, 12);
let fake: FakeX;
let client: TwitterApiClient;
let other: TwitterApiClient;
let spec: SpecValidator;

beforeEach(async () => {
  spec = await loadSpecValidator('x');
  now = Date.UTC(2026, 0, 15, 12);
  fake = new FakeX({
    consumerKey: CREDENTIALS.appKey,
    consumerSecret: CREDENTIALS.appSecret,
    accessToken: CREDENTIALS.accessToken,
    accessTokenSecret: CREDENTIALS.accessSecret,
    clock: () => now,
    users: [{ ...OTHER.user, accessToken: OTHER.credentials.accessToken, accessTokenSecret: OTHER.credentials.accessSecret }],
  });
  const base = await fake.start();
  client = createTwitterClient(CREDENTIALS, { apiBase: base, timeoutMs: 2_000 });
  other = createTwitterClient(OTHER.credentials, { apiBase: base, timeoutMs: 2_000 });
});

afterEach(async () => {
  const problems = fake.requests.flatMap((r) => spec.validate(r));
  await fake.stop();
  expect(problems).toEqual([]);
});

function bytes(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 7) & 0xff));
}

async function status(promise: Promise<unknown>): Promise<{ code: number; detail: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiResponseError);
  const response = error as ApiResponseError;
  return { code: response.code, detail: JSON.stringify(response.data) };
}

describe('fake X media upload with the real twitter-api-v2 client', () => {
  it('GIVEN a 2.5 MB image WHEN v2.uploadMedia THEN it is initialised, appended in three multipart segments, finalised, and recorded with its sha256, type and category', async () => {
    const data = bytes(2_500_000);
    const id = await client.v2.uploadMedia(data, { media_type: 'image/jpeg', media_category: 'tweet_image' });
    expect(id).toMatch(/^[0-9]{19}$/);
    expect(fake.mediaUploads).toEqual([
      {
        mediaId: id,
        ownerId: fake.userId,
        sha256: createHash('sha256').update(data).digest('hex'),
        bytes: 2_500_000,
        mediaType: 'image/jpeg',
        category: 'tweet_image',
        finalizedAt: now,
      },
    ]);
    const appends = fake.requestsTo('POST', new RegExp(`/2/media/upload/${id}/append$`));
    expect(appends.map((r) => r.multipart?.find((p) => p.name === 'segment_index')?.data.toString())).toEqual(['0', '1', '2']);
    expect(appends[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const statusAnswer = await client.v2.get('media/upload', { command: 'STATUS', media_id: id });
    expect(statusAnswer).toMatchObject({ data: { id, processing_info: { state: 'succeeded' } } });
  });

  it('GIVEN an upload WHEN v2.createMediaMetadata THEN its alt text is recorded; another user may not set it', async () => {
    const id = await client.v2.uploadMedia(bytes(100), { media_type: 'image/png' });
    const result = await client.v2.createMediaMetadata(id, { alt_text: { text: 'a chart' } });
    expect(result.data).toEqual({ id, associated_metadata: { alt_text: { text: 'a chart' } } });
    expect(fake.mediaMetadata).toEqual([{ mediaId: id, altText: 'a chart' }]);
    expect((await status(other.v2.createMediaMetadata(id, { alt_text: { text: 'mine now' } }))).code).toBe(400);
    expect(fake.media.get(id)?.altText).toBe('a chart');
  });

  it("GIVEN an initialize over its category's limit or of a type the category does not take THEN X answers 400: tweet_image up to 5 MB, tweet_gif (GIFs only) up to 15 MB", async () => {
    const init = (body: Record<string, unknown>) => client.v2.post<{ data: { id: string } }>('media/upload/initialize', body);
    const MB = 1024 * 1024;
    expect((await init({ media_type: 'image/png', total_bytes: 5 * MB, media_category: 'tweet_image' })).data.id).toBeTruthy();
    expect((await init({ media_type: 'image/gif', total_bytes: 15 * MB, media_category: 'tweet_gif' })).data.id).toBeTruthy();
    const bigImage = await status(init({ media_type: 'image/png', total_bytes: 5 * MB + 1, media_category: 'tweet_image' }));
    expect(bigImage.code).toBe(400);
    expect(bigImage.detail).toMatch(/total_bytes.*tweet_image.*5242880/);
    expect((await status(init({ media_type: 'image/gif', total_bytes: 15 * MB + 1, media_category: 'tweet_gif' }))).code).toBe(400);
    // Without a category, the type decides it: a 6 MB PNG is still over an image's limit.
    expect((await status(init({ media_type: 'image/png', total_bytes: 6 * MB }))).code).toBe(400);
    const pngAsGif = await status(init({ media_type: 'image/png', total_bytes: 100, media_category: 'tweet_gif' }));
    expect(pngAsGif.code).toBe(400);
    expect(pngAsGif.detail).toMatch(/media_type/);
  });

  it('GIVEN alt texts of 1,000 and 1,001 characters, emoji included WHEN set THEN X counts characters (not UTF-16 units) like the domain: 1,000 passes, 1,001 is refused', async () => {
    const id = await client.v2.uploadMedia(bytes(100), { media_type: 'image/png' });
    const emoji = '🚀'.repeat(1_000);
    expect(emoji.length).toBe(2_000);
    await client.v2.createMediaMetadata(id, { alt_text: { text: emoji } });
    expect(fake.media.get(id)?.altText).toBe(emoji);
    expect((await status(client.v2.createMediaMetadata(id, { alt_text: { text: `${emoji}a` } }))).code).toBe(400);
    // That request breaks the spec's maxLength on purpose (the spec counts characters too): it is
    // left out of the spec check after each test, which every other request here still passes.
    expect(spec.validate(fake.requests.at(-1)!).join()).toMatch(/alt_text\/text must NOT have more than 1000 characters/);
    fake.requests.pop();
  });

  it('GIVEN fewer bytes appended than total_bytes WHEN finalised THEN X answers 400 and nothing is recorded', async () => {
    const init = await client.v2.post<{ data: { id: string } }>('media/upload/initialize', {
      media_type: 'image/png',
      total_bytes: 10,
      media_category: 'tweet_image',
    });
    await client.v2.post(`media/upload/${init.data.id}/append`, { segment_index: 0, media: bytes(6) }, { forceBodyMode: 'form-data' });
    const refused = await status(client.v2.post(`media/upload/${init.data.id}/finalize`));
    expect(refused.code).toBe(400);
    expect(refused.detail).toMatch(/total_bytes/);
    expect(fake.mediaUploads).toEqual([]);
  });
});

describe('fake X: media ids on POST /2/tweets', () => {
  it('GIVEN the user own fresh media ids WHEN tweeting THEN the tweet carries them', async () => {
    const ids = [await client.v2.uploadMedia(bytes(10), { media_type: 'image/png' }), await client.v2.uploadMedia(bytes(20), { media_type: 'image/webp' })];
    const posted = await client.v2.tweet({ text: 'two images', media: { media_ids: ids as [string, string] } });
    expect(fake.tweets.find((t) => t.id === posted.data.id)?.mediaIds).toEqual(ids);
  });

  it("GIVEN an unknown id, another user's id, an expired id or five ids WHEN tweeting THEN X answers 400 and stores nothing", async () => {
    const mine = await client.v2.uploadMedia(bytes(10), { media_type: 'image/png' });
    const theirs = await other.v2.uploadMedia(bytes(10), { media_type: 'image/png' });
    const refused = [
      await status(client.v2.tweet({ text: 'unknown', media: { media_ids: ['1234567890123456789'] } })),
      await status(client.v2.tweet({ text: 'theirs', media: { media_ids: [theirs] } })),
    ];
    const five = await Promise.all([1, 2, 3, 4, 5].map(() => client.v2.uploadMedia(bytes(10), { media_type: 'image/png' })));
    // The spec itself caps media_ids at 4, so the request is built by hand to see X's answer.
    const tooMany = await status(client.v2.post('tweets', { text: 'five', media: { media_ids: five } }));
    fake.ageMedia(FAKE_X_MEDIA_TTL_MS);
    refused.push(await status(client.v2.tweet({ text: 'expired', media: { media_ids: [mine] } })));

    expect(refused.map((r) => r.code)).toEqual([400, 400, 400]);
    for (const r of refused) expect(r.detail).toMatch(/Your media IDs are invalid/);
    expect(tooMany.code).toBe(400);
    expect(fake.tweets).toEqual([]);
    // Just before the 24 h, an id is still good.
    const fresh = await client.v2.uploadMedia(bytes(10), { media_type: 'image/png' });
    now += FAKE_X_MEDIA_TTL_MS - 1;
    await client.v2.tweet({ text: 'just in time', media: { media_ids: [fresh] } });
    expect(fake.tweets).toHaveLength(1);
    // The hand-built five-id request is the one spec problem this test makes on purpose.
    const problems = fake.requests.flatMap((r) => spec.validate(r));
    expect(problems).toEqual([expect.stringMatching(/media_ids|media\/media_ids/)]);
    fake.requests.splice(
      fake.requests.findIndex((r) => (r.body as { text?: string } | undefined)?.text === 'five'),
      1,
    );
  });
});
