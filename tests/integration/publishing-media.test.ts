import { afterEach, describe, expect, it } from 'vitest';
import type { Draft } from '../../src/domain/draft.js';
import type { PublicationRepository } from '../../src/services/ports.js';
import { createPublishingHarness, RecordingObserver, T0, type HarnessImage, type PublishingHarness } from '../support/publishing-harness.js';
import { sha256Hex, testImage } from '../support/images.js';

/**
 * Publishing a draft with images exactly once (issue 14 §4), through the real service, the real
 * database, twitter-api-v2 and the fake X: uploads stored on the publication the moment X returns
 * them, re-used by a retry or a restart while younger than 23 h, uploaded again when older or
 * refused, and never a tweet without its images.
 */

const HOUR = 60 * 60_000;
const LEASE = 60_000;
let h: PublishingHarness | undefined;

async function harness(options: Parameters<typeof createPublishingHarness>[0] = {}): Promise<PublishingHarness> {
  h = await createPublishingHarness(options);
  return h;
}

afterEach(async () => {
  if (!h) return;
  const problems = await h.specProblems();
  await h.close();
  h = undefined;
  expect(problems).toEqual([]);
});

const images = (): HarnessImage[] => [
  { bytes: testImage('png', { width: 40, height: 30 }), mimeType: 'image/png', altText: 'a chart of the fees', width: 40, height: 30 },
  { bytes: testImage('jpeg', { width: 20, height: 10 }), mimeType: 'image/jpeg', altText: null, width: 20, height: 10 },
];

const tweetPosts = (x: PublishingHarness) => x.fake.requestsTo('POST', '/2/tweets');
const stored = async (x: PublishingHarness, id: number): Promise<Draft> => (await x.db.repos.drafts.findById(id))!;

/** The images tweet `index` of the fake X carries, as the sha256 of the bytes X received for each id. */
function shasOnTweet(x: PublishingHarness, tweetId: string): string[] {
  const tweet = x.fake.tweets.find((t) => t.id === tweetId);
  return (tweet?.mediaIds ?? []).map((id) => x.fake.mediaUploads.find((u) => u.mediaId === id)?.sha256 ?? `unknown ${id}`);
}

describe('publishing a draft with images', () => {
  it('GIVEN an approved draft with two images WHEN published THEN each is uploaded, the alt text set, the tweet carries both ids on the wire, and the uploads are stored on the publication', async () => {
    const x = await harness();
    const pictures = images();
    const draft = await x.approvedDraft(['look at these fees'], { images: pictures });

    const outcome = await x.service().publishApprovedDraft(draft.id);

    expect(outcome.kind).toBe('published');
    const [first, second] = x.fake.mediaUploads;
    expect(x.fake.mediaUploads.map((u) => [u.sha256, u.mediaType, u.category])).toEqual([
      [sha256Hex(pictures[0]!.bytes), 'image/png', 'tweet_image'],
      [sha256Hex(pictures[1]!.bytes), 'image/jpeg', 'tweet_image'],
    ]);
    expect(x.fake.mediaMetadata).toEqual([{ mediaId: first!.mediaId, altText: 'a chart of the fees' }]);
    expect(tweetPosts(x).map((r) => r.body)).toEqual([{ text: 'look at these fees', media: { media_ids: [first!.mediaId, second!.mediaId] } }]);
    const published = await stored(x, draft.id);
    expect(published.status).toBe('published');
    expect(published.mediaUploads).toEqual([
      { position: 0, sha256: first!.sha256, mediaId: first!.mediaId, uploadedAt: T0, altTextApplied: true },
      { position: 1, sha256: second!.sha256, mediaId: second!.mediaId, uploadedAt: T0, altTextApplied: true },
    ]);
  });

  it('GIVEN a thread with images WHEN published THEN the images go on the first tweet only', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['1/3 the chart', '2/3 what it means', '3/3 so what'], { images: images() });
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('published');
    const bodies = tweetPosts(x).map((r) => r.body as { media?: unknown });
    expect(bodies.map((b) => b.media !== undefined)).toEqual([true, false, false]);
    const ids = (await stored(x, draft.id)).postedTweetIds;
    expect(shasOnTweet(x, ids[0]!)).toEqual(images().map((i) => sha256Hex(i.bytes)));
  });

  it('GIVEN the process dies after the uploads and before the tweet WHEN it restarts THEN exactly one tweet goes out, with its images, and nothing is uploaded again', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['killed between upload and tweet'], { images: images() });
    // The dying process: once both uploads are stored (3 writes: an upload, its alt text, an
    // upload without alt text), its next database call (the lease renewal before the tweet) never returns.
    let uploadsStored = 0;
    let dead = false;
    const never = new Promise<never>(() => {});
    const real = x.db.repos.publications;
    const dying = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (dead) return never;
          if (prop === 'renewLease' && uploadsStored === 3) {
            dead = true;
            return never;
          }
          if (prop === 'recordMediaUpload') uploadsStored += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as PublicationRepository;
    void x.service({ publications: dying, owner: 'dying-process' }).publishApprovedDraft(draft.id);
    await new Promise<void>((resolve) => {
      const check = () => (dead ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(x.fake.mediaUploads).toHaveLength(2);
    expect(tweetPosts(x)).toHaveLength(0);

    x.clock.advance(LEASE + 1);
    const outcomes = await x.service().reconcileOnStartup();

    expect(outcomes.map((o) => o.kind)).toEqual(['published']);
    expect(x.fake.mediaUploads).toHaveLength(2);
    expect(x.fake.mediaMetadata).toHaveLength(1);
    expect(x.fake.tweets).toHaveLength(1);
    expect(shasOnTweet(x, x.fake.tweets[0]!.id)).toEqual(images().map((i) => sha256Hex(i.bytes)));
    expect(x.mediaFiles.reads).toBe(2);
  });

  it('GIVEN the tweet POST reached X but its answer was lost WHEN another process takes over THEN the timeline has it, with its images, and nothing is posted or uploaded again', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['answer lost after the images'], { images: images() });
    x.fake.succeedThenLoseResponse({ mode: 'disconnect' });
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('queued');

    x.clock.advance(HOUR);
    const outcomes = await x.service().processDueDrafts();

    expect(outcomes.map((o) => o.kind)).toEqual(['published']);
    expect(tweetPosts(x)).toHaveLength(1);
    expect(x.fake.tweets).toHaveLength(1);
    expect(x.fake.mediaUploads).toHaveLength(2);
    expect((await stored(x, draft.id)).postedTweetIds).toEqual([x.fake.tweets[0]!.id]);
    expect(shasOnTweet(x, x.fake.tweets[0]!.id)).toHaveLength(2);
  });

  it('GIVEN the tweet POST was dropped before X acted WHEN retried within 23 h THEN the stored media ids are re-used: one upload each, one tweet', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['dropped before X acted'], { images: images() });
    x.fake.http.injectFault({ method: 'POST', path: '/2/tweets', times: 1 }, { disconnect: true });
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('queued');
    const ids = (await stored(x, draft.id)).mediaUploads!.map((u) => u.mediaId);

    x.clock.advance(22 * HOUR);
    expect((await x.service().processDueDrafts()).map((o) => o.kind)).toEqual(['published']);

    expect(x.fake.mediaUploads).toHaveLength(2);
    expect(tweetPosts(x).at(-1)!.body).toEqual({ text: 'dropped before X acted', media: { media_ids: ids } });
    expect(x.fake.tweets).toHaveLength(1);
  });

  it('GIVEN stored media ids older than 23 h WHEN the retry comes THEN the images are uploaded again and the tweet carries the new ids', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['retried a day later'], { images: images() });
    x.fake.serverError(503);
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('queued');
    const old = (await stored(x, draft.id)).mediaUploads!.map((u) => u.mediaId);

    x.clock.advance(23 * HOUR + 1);
    expect((await x.service().processDueDrafts()).map((o) => o.kind)).toEqual(['published']);

    expect(x.fake.mediaUploads).toHaveLength(4);
    const fresh = x.fake.mediaUploads.slice(2).map((u) => u.mediaId);
    expect(fresh).not.toEqual(old);
    expect(tweetPosts(x).at(-1)!.body).toEqual({ text: 'retried a day later', media: { media_ids: fresh } });
    expect((await stored(x, draft.id)).mediaUploads!.map((u) => u.mediaId)).toEqual(fresh);
    expect(x.fake.mediaMetadata.map((m) => m.mediaId)).toEqual([old[0], fresh[0]]);
  });

  it('GIVEN X refuses stored media ids it already forgot WHEN the tweet is posted THEN the draft is requeued, and the retry uploads again and posts once', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['forgotten by X'], { images: images() });
    x.fake.serverError(503);
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('queued');
    x.fake.ageMedia(25 * HOUR);
    x.clock.advance(HOUR);

    const second = await x.service().processDueDrafts();
    expect(second.map((o) => o.kind)).toEqual(['queued']);
    expect((await stored(x, draft.id)).errorMessage).toMatch(/media ids/i);
    // Forgotten explicitly, not re-stored with a marker date: nothing is left to re-use.
    expect((await stored(x, draft.id)).mediaUploads).toEqual([]);
    x.clock.advance(HOUR);
    expect((await x.service().processDueDrafts()).map((o) => o.kind)).toEqual(['published']);

    expect(x.fake.mediaUploads).toHaveLength(4);
    expect(x.fake.tweets).toHaveLength(1);
    expect(shasOnTweet(x, x.fake.tweets[0]!.id)).toEqual(images().map((i) => sha256Hex(i.bytes)));
  });

  it('GIVEN an upload answered 5xx WHEN published THEN the draft is queued for a retry that publishes it once', async () => {
    const x = await harness();
    const draft = await x.approvedDraft(['upload hiccup'], { images: images() });
    x.fake.mediaFault('append', 503);
    const first = await x.service().publishApprovedDraft(draft.id);
    expect(first.kind).toBe('queued');
    expect(await stored(x, draft.id)).toMatchObject({ status: 'approved', errorClass: 'transient' });
    expect(tweetPosts(x)).toHaveLength(0);

    x.clock.advance(HOUR);
    expect((await x.service().processDueDrafts()).map((o) => o.kind)).toEqual(['published']);
    expect(x.fake.tweets).toHaveLength(1);
    expect(shasOnTweet(x, x.fake.tweets[0]!.id)).toHaveLength(2);
  });

  it('GIVEN an upload answered 401 WHEN published THEN the draft fails as auth with an alert, is kept with its images, and nothing is posted', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const draft = await x.approvedDraft(['bad credentials'], { images: images() });
    x.fake.mediaFault('initialize', 401);
    const outcome = await x.service({ observer }).publishApprovedDraft(draft.id);
    expect(outcome).toMatchObject({ kind: 'failed', errorClass: 'auth', alert: true });
    const failed = await stored(x, draft.id);
    expect(failed).toMatchObject({ status: 'failed', errorClass: 'auth' });
    expect(failed.media).toHaveLength(2);
    expect(observer.events).toEqual([{ kind: 'failed', draftId: draft.id, alert: true }]);
    expect(tweetPosts(x)).toHaveLength(0);
  });

  it('GIVEN an image file missing from the media directory WHEN published THEN the draft fails permanently with a clear error and an alert, and is kept', async () => {
    const x = await harness();
    const observer = new RecordingObserver();
    const draft = await x.approvedDraft(['file gone'], { images: images() });
    const missing = draft.media![1]!.sha256;
    x.mediaFiles.files.delete(missing);

    const outcome = await x.service({ observer }).publishApprovedDraft(draft.id);

    expect(outcome).toMatchObject({ kind: 'failed', errorClass: 'invalid', alert: true });
    const failed = await stored(x, draft.id);
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toContain(missing);
    expect(failed.errorMessage).toMatch(/missing/);
    expect(failed.media).toHaveLength(2);
    expect(observer.events).toEqual([{ kind: 'failed', draftId: draft.id, alert: true }]);
    expect(tweetPosts(x)).toHaveLength(0);
  });

  it('GIVEN dry run WHEN a draft with images is published THEN it is published (dry run) and nothing reaches X', async () => {
    const x = await harness({ config: { dryRun: true } });
    const draft = await x.approvedDraft(['dry images'], { images: images() });
    expect((await x.service().publishApprovedDraft(draft.id)).kind).toBe('published');
    expect(x.fake.requests).toHaveLength(0);
  });
});
