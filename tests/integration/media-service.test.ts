import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClaudeDraftGenerator } from '../../src/adapters/claude/claude-draft-generator.js';
import { HttpAttachmentDownloader } from '../../src/adapters/media/attachment-downloader.js';
import { CanvasImageDecoder } from '../../src/adapters/media/canvas-image-decoder.js';
import type { Actor, Draft } from '../../src/domain/draft.js';
import { GenerationError, ZERO_USAGE } from '../../src/domain/generation.js';
import { readRollups, recomputeRollups } from '../../src/db/index.js';
import { StatsService } from '../../src/services/stats-service.js';
import { inspectImage, type DraftMedia, type MediaMimeType } from '../../src/domain/media.js';
import { createSilentLogger } from '../../src/logging/index.js';
import { DraftPipelineService } from '../../src/services/draft-pipeline.js';
import { ConcurrencyLimit } from '../../src/services/concurrency-limit.js';
import { MediaService } from '../../src/services/media-service.js';
import type { AttachmentRef, DraftCardView, ImageDecoder, ImageDescriber, ImageReview, MediaFileStore } from '../../src/services/ports.js';
import { FakeAnthropic, FAKE_ANTHROPIC_API_KEY } from '../support/fake-anthropic.js';
import { FakeHttpServer } from '../support/fake-http.js';
import { specProblemsOf } from '../support/spec-traffic.js';
import { newTweetDraft } from '../support/draft-fixtures.js';
import { pngNamedJpg, sha256Hex, testImage, type TestImageType, TEST_IMAGE_MIME } from '../support/images.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTempDatabase, type TempDatabase } from '../support/temp-database.js';

const MB = 1024 * 1024;
const HOUR = 3_600_000;
const alice: Actor = { id: 'u1', name: 'alice' };
const CARD = 'card-message-1';
const TEXT = 'Launch charts tell a story: read the curve before you buy, and set your own limits first.';

/** The media directory, in memory: the service's files go through the port, the bytes are checked here. */
class MemoryFileStore implements MediaFileStore {
  readonly files = new Map<string, Uint8Array>();
  async put(bytes: Uint8Array): Promise<string> {
    const hash = sha256Hex(bytes);
    this.files.set(hash, bytes);
    return hash;
  }
  async read(sha256: string): Promise<Uint8Array> {
    const bytes = this.files.get(sha256);
    if (!bytes) throw new Error(`missing ${sha256}`);
    return bytes;
  }
  async sweep(): Promise<string[]> {
    return [];
  }
}

/** The ImageDescriber port, scripted: each call answers the next review, or throws the next error. */
class ScriptedDescriber implements ImageDescriber {
  readonly calls: { mimeType: MediaMimeType; bytes: number; context: unknown }[] = [];
  private readonly answers: (Partial<ImageReview> | Error)[] = [];
  answer(review: Partial<ImageReview> | Error): this {
    this.answers.push(review);
    return this;
  }
  async describe(image: { mimeType: MediaMimeType; data: Uint8Array }, context: unknown): Promise<ImageReview> {
    this.calls.push({ mimeType: image.mimeType, bytes: image.data.length, context });
    const next = this.answers.shift() ?? {};
    if (next instanceof Error) throw next;
    return { altText: `A picture number ${this.calls.length}`, findings: [], usage: ZERO_USAGE, model: 'claude-test', ...next };
  }
}

describe('images on drafts (MediaService and the pipeline, real database)', () => {
  let db: TempDatabase;
  let cdn: FakeHttpServer;
  let cdnBase: string;
  let anthropic: FakeAnthropic;
  let clock: ManualClock;
  let files: MemoryFileStore;
  let describer: ScriptedDescriber;
  let deadlineChanges: number;
  const served = new Map<string, Buffer>();
  /** One per process in the app (app.ts): every MediaService of the test shares it. */
  let intake: ConcurrencyLimit;

  const pipeline = () =>
    new DraftPipelineService({
      ...db.repos,
      generator: new ClaudeDraftGenerator({
        apiKey: FAKE_ANTHROPIC_API_KEY,
        model: 'claude-sonnet-5-5',
        baseUrl: anthropic.url,
        maxRetries: 0,
        timeoutMs: 5_000,
        maxHashtags: 2,
        allowedLinkDomains: ['pump.fun'],
      }),
      mediaFiles: files,
      clock,
      rng: () => 0.5,
      logger: createSilentLogger(),
      options: {
        rules: { maxHashtags: 2, allowedLinkDomains: ['pump.fun'], bannedPatterns: [] },
        duplicateThreshold: 0.8,
        maxAttempts: 1,
        moderationTimeoutMs: 2 * HOUR,
        maxPendingDrafts: 3,
        learning: { enabled: true, repeatFactor: 0.25 },
      },
    });

  const service = (decoder: ImageDecoder = new CanvasImageDecoder()) =>
    new MediaService({
      decoder,
      generationRuns: db.repos.generationRuns,
      drafts: db.repos.drafts,
      moderationEvents: db.repos.moderationEvents,
      files,
      downloader: new HttpAttachmentDownloader({ timeoutMs: 5_000 }),
      describer,
      views: { viewOf: async (draftId: number) => ({ draft: (await db.repos.drafts.findById(draftId))!, now: clock.now() }) as unknown as DraftCardView },
      clock,
      logger: createSilentLogger(),
      options: { moderationTimeoutMs: 2 * HOUR },
      intake,
      onDeadlineChanged: () => {
        deadlineChanges += 1;
      },
    });

  /** Serves `bytes` as a Discord attachment and returns its ref. */
  function attachment(name: string, bytes: Buffer, contentType: string | null): AttachmentRef {
    served.set(name, bytes);
    return { url: `${cdnBase}/attachments/1/${name}`, filename: name, contentType, size: bytes.length };
  }
  const image = (name: string, type: TestImageType, options: { width?: number; height?: number; bytes?: number } = {}) =>
    attachment(name, testImage(type, { width: 64, height: 48, ...options }), TEST_IMAGE_MIME[type]);

  async function pendingDraft(media: DraftMedia[] = []): Promise<Draft> {
    const draft = await db.repos.drafts.create(newTweetDraft(TEXT, { media }), clock.now());
    await db.repos.drafts.setModerationMessage(draft.id, 'channel-1', CARD, clock.now());
    return (await db.repos.drafts.findById(draft.id))!;
  }
  const request = (draft: Draft, extra: Partial<{ revision: number; messageId: string | null }> = {}) => ({
    draftId: draft.id,
    revision: draft.revision,
    actor: alice,
    messageId: CARD,
    interactionId: 'interaction-1',
    ...extra,
  });
  const storedImage = (position: number, extra: Partial<DraftMedia> = {}): DraftMedia => {
    const bytes = testImage('png', { width: 10 + position, height: 10 });
    const sha256 = sha256Hex(bytes);
    files.files.set(sha256, bytes);
    return {
      position,
      sha256,
      mimeType: 'image/png',
      bytes: bytes.length,
      width: 10 + position,
      height: 10,
      altText: `alt ${position}`,
      altSource: 'moderator',
      findings: [],
      ...extra,
    };
  };
  const events = async (draftId: number) => (await db.repos.moderationEvents.listForDraft(draftId)).map((e) => ({ action: e.action, outcome: e.outcome }));

  beforeEach(async () => {
    clock = new ManualClock(1_800_000_000_000);
    files = new MemoryFileStore();
    describer = new ScriptedDescriber();
    deadlineChanges = 0;
    served.clear();
    intake = new ConcurrencyLimit(2);
    cdn = new FakeHttpServer('discord-cdn');
    cdn.route('GET', '/attachments/1/:name', (_request, params) => {
      const bytes = served.get(params.name!);
      return bytes
        ? { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: bytes }
        : { status: 404, body: { message: '404: Not Found' } };
    });
    cdnBase = await cdn.start();
    anthropic = new FakeAnthropic();
    await anthropic.start();
    db = await openTempDatabase();
  });
  afterEach(async () => {
    await cdn.stop();
    await anthropic.stop();
    await db.close();
    // The pipeline's generations went to the Anthropic fake: each request matches the spec.
    expect(await specProblemsOf({ anthropic })).toEqual([]);
  });

  describe('addImages', () => {
    it('GIVEN no content type from Discord and a name that is not .gif WHEN a 6 MB file is added THEN it is refused at 5 MB before any download', async () => {
      const draft = await pendingDraft();
      const file = attachment('chart.png', testImage('png', { width: 64, height: 48, bytes: 6 * MB }), null);
      const result = await service().addImages({ ...request(draft), files: [file], altText: 'A chart' });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'size' } });
      if (result.status === 'refused') expect(result.error.message).toMatch(/chart\.png is 6 MB; X takes at most 5 MB/);
      expect(cdn.requests).toHaveLength(0);
    });

    it('GIVEN a file named .gif without a content type that is really an 8 MB PNG WHEN it is added THEN the download stops once the bytes say PNG, at 5 MB', async () => {
      const draft = await pendingDraft();
      const file = attachment('loop.gif', testImage('png', { width: 64, height: 48, bytes: 8 * MB }), null);
      const result = await service().addImages({ ...request(draft), files: [file], altText: 'A loop' });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'size' } });
      if (result.status === 'refused') expect(result.error.message).toMatch(/loop\.gif is not a GIF, and over 5 MB/);
      expect(files.files.size).toBe(0);
    });

    it('GIVEN three Add image requests at once THEN at most two download and check files at the same time; the third waits its turn and succeeds', async () => {
      const drafts = [await pendingDraft(), await pendingDraft(), await pendingDraft()];
      let inFlight = 0;
      let most = 0;
      const release: Array<() => void> = [];
      cdn.route('GET', '/held/:name', async (_request, params) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight -= 1;
        return { status: 200, headers: { 'content-type': 'image/png' }, body: served.get(params.name!)! };
      });
      const held = (name: string): AttachmentRef => {
        const bytes = testImage('png', { width: 16, height: 16 });
        served.set(name, bytes);
        return { url: `${cdnBase}/held/${name}`, filename: name, contentType: 'image/png', size: bytes.length };
      };
      const results = drafts.map((draft, i) => service().addImages({ ...request(draft), files: [held(`${i}.png`)], altText: 'A chart' }));
      await cdn.waitForRequest((r) => r.path.startsWith('/held/'));
      while (release.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(release).toHaveLength(2);
      while (
        release.length > 0 ||
        (await Promise.race([Promise.all(results).then(() => true), new Promise((r) => setTimeout(() => r(false), 20))])) === false
      ) {
        release.shift()?.();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect((await Promise.all(results)).map((r) => r.status)).toEqual(['applied', 'applied', 'applied']);
      expect(most).toBe(2);
    });

    it('GIVEN a pending draft WHEN an image without alt text, then one with alt text, are added THEN each is one new revision, Claude wrote the missing alt text and its findings are risk flags', async () => {
      const draft = await pendingDraft();
      describer.answer({ altText: 'A candle chart. '.repeat(100), findings: ['shows a wallet address'] });
      const result = await service().addImages({ ...request(draft), files: [image('chart.png', 'png', { width: 1200, height: 675 })], altText: null });
      expect(result.status).toBe('applied');
      if (result.status !== 'applied') return;
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored.revision).toBe(2);
      expect(stored.tweets).toEqual([TEXT]);
      expect(stored.deadlineAt).toBe(clock.now() + 2 * HOUR);
      expect(stored.media).toHaveLength(1);
      const [first] = stored.media!;
      expect(first).toMatchObject({ position: 0, mimeType: 'image/png', width: 1200, height: 675, altSource: 'claude', findings: ['shows a wallet address'] });
      expect([...first!.altText!]).toHaveLength(1000);
      expect(files.files.has(first!.sha256)).toBe(true);
      expect(stored.riskFlags).toContainEqual({ id: 'image_content', label: 'image 1: shows a wallet address' });
      expect(result.card.draft.revision).toBe(2);
      expect(deadlineChanges).toBe(1);
      expect(describer.calls).toEqual([{ mimeType: 'image/png', bytes: served.get('chart.png')!.length, context: { topicName: 'education', tweets: [TEXT] } }]);

      const again = await service().addImages({ ...request(stored), files: [image('meme.webp', 'webp')], altText: '  A cat looking at a chart  ' });
      expect(again.status).toBe('applied');
      const after = (await db.repos.drafts.findById(draft.id))!;
      expect(after.revision).toBe(3);
      expect(after.media!.map((m) => [m.position, m.mimeType, m.altText, m.altSource])).toEqual([
        [0, 'image/png', first!.altText, 'claude'],
        [1, 'image/webp', 'A cat looking at a chart', 'moderator'],
      ]);
      // The moderator wrote it: Claude was not asked again, and image 1 keeps its flag.
      expect(describer.calls).toHaveLength(1);
      expect(after.riskFlags.filter((f) => f.id === 'image_content')).toEqual([{ id: 'image_content', label: 'image 1: shows a wallet address' }]);
      expect(await events(draft.id)).toEqual([
        { action: 'add_image', outcome: 'revised' },
        { action: 'add_image', outcome: 'revised' },
      ]);
    });

    it('GIVEN a draft with 3 images WHEN 2 more are added THEN it is refused as count before any download, and the draft keeps what it had', async () => {
      const draft = await pendingDraft([storedImage(0), storedImage(1), storedImage(2)]);
      const result = await service().addImages({ ...request(draft), files: [image('a.png', 'png'), image('b.png', 'png')], altText: 'x' });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'count' } });
      expect(cdn.requests).toHaveLength(0);
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored.revision).toBe(1);
      expect(stored.media).toHaveLength(3);
      expect(await events(draft.id)).toEqual([{ action: 'add_image', outcome: 'refused' }]);
    });

    it.each([
      ['a PNG named .jpg', () => ({ ...pngNamedJpg() }), 'mismatch'],
      ['a 5 MB + 1 byte PNG', () => ({ bytes: testImage('png', { bytes: 5 * MB + 1 }), filename: 'big.png', contentType: 'image/png' }), 'size'],
      ['a text file', () => ({ bytes: Buffer.from('hello'.repeat(20)), filename: 'notes.png', contentType: 'image/png' }), 'decode'],
      ['a PDF', () => ({ bytes: Buffer.from('%PDF-1.4'), filename: 'x.pdf', contentType: 'application/pdf' }), 'type'],
    ] as const)('GIVEN %s WHEN added THEN it is refused naming the rule and nothing is stored', async (_label, file, rule) => {
      const draft = await pendingDraft();
      const { bytes, filename, contentType } = file();
      const result = await service().addImages({ ...request(draft), files: [attachment(filename, bytes, contentType)], altText: null });
      expect(result).toMatchObject({ status: 'refused', error: { rule } });
      expect(files.files.size).toBe(0);
      expect(describer.calls).toHaveLength(0);
      expect((await db.repos.drafts.findById(draft.id))!.revision).toBe(1);
    });

    it.each(['png', 'jpeg', 'gif', 'webp'] as const)(
      'GIVEN a truncated %s whose header is valid WHEN added THEN it is refused as decode naming the file, and nothing is stored',
      async (type) => {
        const draft = await pendingDraft();
        const whole = testImage(type, { width: 64, height: 48 });
        const cut = whole.subarray(0, Math.floor(whole.length * 0.7));
        // The header alone still reads: only a real decode finds the missing data.
        expect(inspectImage(cut, TEST_IMAGE_MIME[type])).toMatchObject({ width: 64, height: 48 });
        const result = await service().addImages({ ...request(draft), files: [attachment(`cut.${type}`, cut, TEST_IMAGE_MIME[type])], altText: null });
        expect(result).toMatchObject({ status: 'refused', error: { rule: 'decode' } });
        if (result.status === 'refused') expect(result.error.message).toContain(`cut.${type}`);
        expect(files.files.size).toBe(0);
        expect(describer.calls).toHaveLength(0);
        expect((await db.repos.drafts.findById(draft.id))!.revision).toBe(1);
      },
    );

    it('GIVEN a valid PNG, JPEG, WEBP and GIF THEN each decodes and is accepted', async () => {
      for (const type of ['png', 'jpeg', 'webp', 'gif'] as const) {
        const draft = await pendingDraft();
        const result = await service().addImages({ ...request(draft), files: [image(`ok.${type}`, type, { width: 300, height: 200 })], altText: 'A chart' });
        expect(result.status).toBe('applied');
        expect((await db.repos.drafts.findById(draft.id))!.media).toMatchObject([{ mimeType: TEST_IMAGE_MIME[type], width: 300, height: 200 }]);
      }
    });

    it('GIVEN a decoder that reads other dimensions than the header THEN the file is refused as decode and nothing is stored', async () => {
      const draft = await pendingDraft();
      const lying: ImageDecoder = { decode: async () => ({ width: 64, height: 47 }) };
      const result = await service(lying).addImages({ ...request(draft), files: [image('odd.png', 'png')], altText: 'x' });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'decode' } });
      if (result.status === 'refused') expect(result.error.message).toContain('odd.png');
      expect(files.files.size).toBe(0);
    });

    it('GIVEN a GIF with a PNG THEN gif_alone; GIVEN a 10 MB GIF alone THEN it is accepted; GIVEN a 15 MB GIF THEN it is refused, as the card could not show it', async () => {
      const draft = await pendingDraft();
      const mixed = await service().addImages({ ...request(draft), files: [image('a.gif', 'gif'), image('b.png', 'png')], altText: 'alt' });
      expect(mixed).toMatchObject({ status: 'refused', error: { rule: 'gif_alone' } });
      const tooBig = await service().addImages({
        ...request(draft),
        files: [image('huge.gif', 'gif', { width: 8, height: 8, bytes: 15 * MB })],
        altText: 'A looping spinner',
      });
      expect(tooBig).toMatchObject({ status: 'refused', error: { rule: 'size' } });
      if (tooBig.status === 'refused') expect(tooBig.error.message).toMatch(/huge\.gif is 15 MB: X takes GIFs up to 15 MB, but the card can only show 10 MB/);
      expect((await db.repos.drafts.findById(draft.id))!.media ?? []).toEqual([]);
      const big = await service().addImages({
        ...request(draft),
        files: [image('big.gif', 'gif', { width: 8, height: 8, bytes: 10 * MB })],
        altText: 'A looping spinner',
      });
      expect(big.status).toBe('applied');
      expect((await db.repos.drafts.findById(draft.id))!.media).toMatchObject([{ mimeType: 'image/gif', bytes: 10 * MB }]);
    });

    it('GIVEN Claude describes one image and fails on another THEN both calls are generation runs (image_description, created and failed): /stats counts their tokens and cost, and the rollups equal a full recomputation', async () => {
      const draft = await pendingDraft();
      const usage = { inputTokens: 1_500, outputTokens: 120, cacheReadTokens: 30, cacheCreationTokens: 4 };
      describer.answer({ altText: 'A chart', usage });
      expect((await service().addImages({ ...request(draft), files: [image('a.png', 'png')], altText: null })).status).toBe('applied');
      const spent = { inputTokens: 700, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
      describer.answer(new GenerationError('invalid_output', 'Claude wrote no JSON', { retryable: false, usage: spent }));
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect((await service().addImages({ ...request(stored), files: [image('b.png', 'png')], altText: null })).status).toBe('refused');

      const runs = await db.dataSource.query(
        `SELECT trigger, outcome, draft_id AS "draftId", topic_name AS "topicName", input_tokens AS "input" FROM generation_runs ORDER BY id`,
      );
      expect(runs.map((r: Record<string, unknown>) => ({ ...r, draftId: Number(r['draftId']), input: Number(r['input']) }))).toEqual([
        { trigger: 'image_description', outcome: 'created', draftId: draft.id, topicName: 'education', input: 1_500 },
        { trigger: 'image_description', outcome: 'failed', draftId: draft.id, topicName: 'education', input: 700 },
      ]);
      const stats = new StatsService({
        stats: db.repos.stats,
        topics: db.repos.topics,
        clock,
        pricing: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
        timezone: 'UTC',
      });
      const report = await stats.report('all');
      expect(report.tokens).toEqual({ runs: 2, inputTokens: 2_200, outputTokens: 120, cacheReadTokens: 30, cacheCreationTokens: 4 });
      expect(report.anthropicSpendUsd).toBeCloseTo((2_200 * 3 + 120 * 15 + 30 * 0.3 + 4 * 3.75) / 1_000_000, 9);
      expect(await readRollups(db.dataSource)).toEqual(await recomputeRollups(db.dataSource, () => 'UTC'));
    });

    it('GIVEN an alt text with an address or a mention THEN it is refused as alt_text before any download', async () => {
      const draft = await pendingDraft();
      const result = await service().addImages({
        ...request(draft),
        files: [image('a.png', 'png')],
        altText: 'Thanks @someone for 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU',
      });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'alt_text' } });
      if (result.status === 'refused') expect(result.error.message).toMatch(/address.*@someone|@someone.*address/s);
      expect(cdn.requests).toHaveLength(0);
    });

    it('GIVEN Claude fails to describe the image THEN the moderator is told to write the alt text, and the draft has no image', async () => {
      const draft = await pendingDraft();
      describer.answer(new Error('overloaded'));
      const result = await service().addImages({ ...request(draft), files: [image('a.png', 'png')], altText: '' });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'alt_text' } });
      if (result.status === 'refused') expect(result.error.message).toBe('Claude could not describe the image: overloaded; write the alt text yourself');
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored).toMatchObject({ revision: 1, media: [] });
    });

    it('GIVEN Claude writes an alt text that breaks a rule THEN it is refused too: an address never goes out as alt text', async () => {
      const draft = await pendingDraft();
      describer.answer({ altText: 'A screenshot reading 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU', findings: ['shows a wallet address'] });
      const result = await service().addImages({ ...request(draft), files: [image('a.png', 'png')], altText: null });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'alt_text' } });
      expect((await db.repos.drafts.findById(draft.id))!.revision).toBe(1);
    });

    it('GIVEN a 404 from Discord THEN a download refusal names the file', async () => {
      const draft = await pendingDraft();
      const result = await service().addImages({
        ...request(draft),
        files: [{ url: `${cdnBase}/attachments/1/gone.png`, filename: 'gone.png', contentType: 'image/png', size: 10 }],
        altText: 'alt',
      });
      expect(result).toMatchObject({ status: 'refused', error: { rule: 'download' } });
      if (result.status === 'refused') expect(result.error.message).toMatch(/gone\.png/);
    });

    it('GIVEN an Edit lands while Claude describes the image THEN the Edit stands and the Add image is refused as stale', async () => {
      const draft = await pendingDraft();
      const slowDescriber: ImageDescriber = {
        describe: async () => {
          await pipeline().applyEdit(draft.id, 1, ['Someone else edited this while the image was being described.'], { id: 'u2', name: 'bob' });
          return { altText: 'A chart', findings: [], usage: ZERO_USAGE, model: 'claude-test' };
        },
      };
      describer = slowDescriber as ScriptedDescriber;
      const result = await service().addImages({ ...request(draft), files: [image('a.png', 'png')], altText: null });
      expect(result).toEqual({ status: 'stale', currentRevision: 2 });
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored).toMatchObject({ revision: 2, tweets: ['Someone else edited this while the image was being described.'], media: [] });
      expect(await events(draft.id)).toEqual([{ action: 'add_image', outcome: 'stale' }]);
    });

    it('GIVEN an old revision, another card, a decided draft or no draft THEN the request is refused like moderation refuses it', async () => {
      const draft = await pendingDraft();
      const files = [image('a.png', 'png')];
      expect(await service().addImages({ ...request(draft, { revision: 0 }), files, altText: 'a' })).toEqual({ status: 'stale', currentRevision: 1 });
      expect(await service().addImages({ ...request(draft, { messageId: 'other' }), files, altText: 'a' })).toMatchObject({
        status: 'wrong_card',
        messageId: 'other',
      });
      expect(await service().addImages({ ...request(draft), draftId: 9999, files, altText: 'a' })).toEqual({ status: 'not_found' });
      await db.repos.drafts.decide(draft.id, 1, { to: 'rejected', actor: alice, source: 'moderator' }, clock.now());
      expect(await service().addImages({ ...request(draft), files, altText: 'a' })).toMatchObject({ status: 'already_decided' });
      expect(cdn.requests).toHaveLength(0);
    });
  });

  describe('prepareImages (/draft image:)', () => {
    it('GIVEN an image and no alt text THEN it is checked, stored and described, and its bytes come back for the prompt', async () => {
      describer.answer({ altText: 'A meme', findings: ['promises a price'] });
      const [prepared] = await service().prepareImages([image('m.jpg', 'jpeg')], null);
      expect(prepared!.media).toMatchObject({ position: 0, mimeType: 'image/jpeg', altText: 'A meme', altSource: 'claude', findings: ['promises a price'] });
      expect(Buffer.from(prepared!.data).equals(served.get('m.jpg')!)).toBe(true);
      expect(files.files.has(prepared!.media.sha256)).toBe(true);
    });

    it('GIVEN a refused file THEN prepareImages throws the MediaRuleError and stores nothing', async () => {
      await expect(service().prepareImages([attachment('x.jpg', pngNamedJpg().bytes, 'image/jpeg')], 'alt')).rejects.toMatchObject({ rule: 'mismatch' });
      expect(files.files.size).toBe(0);
    });
  });

  describe('the pipeline: Edit with images, Regenerate keeps them', () => {
    it('GIVEN a draft with 3 images WHEN the Edit changes the text, one alt text and removes image 2 THEN ONE new revision has both, renumbered', async () => {
      const draft = await pendingDraft([
        storedImage(0),
        storedImage(1, { findings: ['shows a wallet address'] }),
        storedImage(2, { findings: ['promises a price'] }),
      ]);
      const edited = 'Read the curve before you buy. Set your own limits first, always.';
      const outcome = await pipeline().applyEdit(draft.id, 1, [edited], alice, { altTexts: [null, 'ignored: removed', ' A new caption '], remove: [1] });
      expect(outcome.status).toBe('revised');
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored.revision).toBe(2);
      expect(stored.tweets).toEqual([edited]);
      expect(stored.media!.map((m) => [m.position, m.width, m.altText, m.altSource])).toEqual([
        [0, 10, 'alt 0', 'moderator'],
        [1, 12, 'A new caption', 'moderator'],
      ]);
      // The removed image's flag went with it; the kept one is renumbered.
      expect(stored.riskFlags.filter((f) => f.id === 'image_content')).toEqual([{ id: 'image_content', label: 'image 2: promises a price' }]);
    });

    it('GIVEN a bad alt text in the Edit THEN it is refused as invalid naming the image, and nothing changes', async () => {
      const draft = await pendingDraft([storedImage(0), storedImage(1)]);
      const outcome = await pipeline().applyEdit(draft.id, 1, [TEXT], alice, { altTexts: [null, 'ping @someone'], remove: [] });
      expect(outcome.status).toBe('invalid');
      if (outcome.status === 'invalid')
        expect(outcome.violations.map((v) => v.message)).toEqual(['The alt text of image 2 mentions @someone; @mentions are not allowed']);
      expect((await db.repos.drafts.findById(draft.id))!.revision).toBe(1);
    });

    it('GIVEN an Edit without images THEN the images stay as they were, with their flags', async () => {
      const draft = await pendingDraft([storedImage(0, { findings: ['shows a wallet address'] })]);
      const outcome = await pipeline().applyEdit(draft.id, 1, ['Read the curve before you buy, every single time you trade.'], alice);
      expect(outcome.status).toBe('revised');
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored.media).toHaveLength(1);
      expect(stored.riskFlags).toContainEqual({ id: 'image_content', label: 'image 1: shows a wallet address' });
    });

    it('GIVEN a draft with images WHEN regenerated THEN Claude sees the images while writing the new text, which keeps the images and their risk flags', async () => {
      const draft = await pendingDraft([storedImage(0, { findings: ['promises a price'] }), storedImage(1)]);
      anthropic.queueOutput({ draft: { kind: 'tweet', text: 'A fresh take: read the bonding curve first, then decide what you can afford to lose.' } });
      const start = anthropic.messageRequests.length;
      const outcome = await pipeline().regenerate(draft.id, 1, null, alice);
      // The images, in post order, as stored: the new words are written about what the post shows.
      expect(anthropic.receivedImages.filter((i) => i.requestIndex >= start).map((i) => [i.blockIndex, i.mediaType, i.sha256])).toEqual(
        draft.media!.map((m, index) => [index, m.mimeType, m.sha256]),
      );
      expect(outcome.status).toBe('revised');
      const stored = (await db.repos.drafts.findById(draft.id))!;
      expect(stored.revision).toBe(2);
      expect(stored.media!.map((m) => m.sha256)).toEqual(draft.media!.map((m) => m.sha256));
      expect(stored.riskFlags).toContainEqual({ id: 'image_content', label: 'image 1: promises a price' });
    });
  });
});
