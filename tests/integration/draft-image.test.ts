import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCleanDiscordTraffic, useAppHarness } from '../support/app-harness.js';
import { uploadSlashAttachment, type InjectedInteraction } from '../support/fake-discord.js';
import { corruptImage, testImage } from '../support/images.js';
import type { Fakes, TestApp } from '../support/test-app.js';

/**
 * Issue 14, "Done when": `/draft image:` through the whole app (real discord.js and Anthropic SDK
 * against the fakes): the attachment is downloaded from the Discord fake's CDN, checked, stored
 * and described by Claude, then Claude writes the post with the image block in front of it, and
 * the card shows the post. A refused file is an ephemeral error naming the rule, before any
 * Claude call, with nothing stored.
 */

const POST = 'That chart is a bonding curve doing its thing: every buy nudges the price up a little. Know where on the curve you are buying.';
const ALT = 'A line chart of a token price rising along a smooth curve, labelled "bonding curve", on a dark background.';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface Embed {
  title?: string;
  description?: string;
  fields?: Array<{ name: string; value: string }>;
  footer?: { text: string };
}

const text = (embeds: readonly Embed[]) =>
  embeds.map((e) => [e.title, e.description, ...(e.fields ?? []).flatMap((f) => [f.name, f.value]), e.footer?.text].join('\n')).join('\n');

/** Waits until `probe` returns a value (the bot works asynchronously on the wire). */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('/draft image: (issue 14) through the whole app', () => {
  const harness = useAppHarness();
  let fakes: Fakes;
  beforeEach(() => {
    fakes = harness.fakes;
  });
  afterEach(async () => {
    await expectCleanDiscordTraffic(fakes);
  });

  function draftWithImage(upload: { filename: string; data: Buffer; contentType?: string | null }, options: Record<string, string> = {}): InjectedInteraction {
    const image = uploadSlashAttachment(fakes.discord, upload);
    return harness.track(fakes.discord.injectSlashCommand({ name: 'draft', options: { ...options, image } }));
  }

  /** The answer to a deferred command: the edit of its original response. */
  async function deferredAnswer(interaction: InjectedInteraction): Promise<{ embeds: Embed[]; ephemeral: boolean }> {
    const callback = await fakes.discord.waitForCallback(interaction.id);
    expect(callback.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(Number(callback.data?.['flags'] ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    const edited = await waitFor(() => {
      const message = fakes.discord.originalResponse(interaction.id);
      return message && (message.flags & MessageFlags.Loading) === 0 ? message : undefined;
    });
    return { embeds: edited.embeds as Embed[], ephemeral: (edited.flags & MessageFlags.Ephemeral) !== 0 };
  }

  /** The files in the app's media directory (MEDIA_DIR: the test's own folder on both engines). */
  function mediaFiles(testApp: TestApp): string[] {
    const dir = testApp.config.storage.mediaDir;
    return existsSync(dir) ? readdirSync(dir).filter((name) => /^[0-9a-f]{64}$/.test(name)) : [];
  }

  it("GIVEN /draft image: a PNG and type: meme THEN Claude is shown the image (once to describe it, once to write about it), and the draft has the post, the chosen type, the image with Claude's alt text and its finding as a risk flag, and a card", async () => {
    const testApp = await harness.start();
    const png = testImage('png', { width: 1200, height: 675 });
    fakes.anthropic.queueImageReview({ altText: ALT, findings: ['shows a price target'] });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: POST } });
    const before = fakes.anthropic.messageRequests.length;

    const reply = await deferredAnswer(draftWithImage({ filename: 'curve.png', data: png, contentType: 'image/png' }, { type: 'meme' }));

    expect(reply.ephemeral).toBe(true);
    expect(text(reply.embeds)).toMatch(/Draft #\d+ ready for moderation/);
    expect(text(reply.embeds)).toContain('Image: PNG 1200×675');
    // Claude got the very file, first to describe it, then in front of the writing task.
    const bodies = fakes.anthropic.messageBodies.slice(before);
    expect(bodies).toHaveLength(2);
    const images = fakes.anthropic.receivedImages.filter((image) => image.requestIndex >= before);
    expect(images.map((image) => [image.requestIndex - before, image.blockIndex, image.mediaType, image.sha256])).toEqual([
      [0, 0, 'image/png', sha256(png)],
      [1, 0, 'image/png', sha256(png)],
    ]);
    const generation = bodies[1]!.messages[0]!.content as Array<{ type: string; text?: string }>;
    expect(generation.map((block) => block.type)).toEqual(['image', 'text']);
    expect(generation[1]!.text).toContain('The post is about the image above');
    // The chosen content type's task, not the topic's.
    expect(generation[1]!.text).toMatch(/meme/i);

    const [draft] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(draft).toMatchObject({ tweets: [POST], contentType: 'meme' });
    expect(draft!.media).toEqual([
      expect.objectContaining({
        position: 0,
        sha256: sha256(png),
        mimeType: 'image/png',
        bytes: png.length,
        width: 1200,
        height: 675,
        altText: ALT,
        altSource: 'claude',
        findings: ['shows a price target'],
      }),
    ]);
    expect(draft!.riskFlags).toContainEqual({ id: 'image_content', label: 'image 1: shows a price target' });
    expect(mediaFiles(testApp)).toEqual([sha256(png)]);

    // The card shows the post, the image and Claude's alt text.
    const card = await waitFor(() =>
      [...fakes.discord.messages.values()].find((m) => (m.flags & MessageFlags.Ephemeral) === 0 && text(m.embeds as Embed[]).includes(POST)),
    );
    expect(text(card.embeds as Embed[])).toContain(POST);
    expect(text(card.embeds as Embed[])).toContain(`Alt text (by Claude): ${ALT}`);
  });

  it("GIVEN /draft image: a 6 MB GIF (X takes it, Claude's API would refuse it as it is) THEN Claude is shown a smaller JPEG copy both times, and the draft keeps the original GIF for X", async () => {
    const testApp = await harness.start();
    const gif = testImage('gif', { width: 2_000, height: 1_000, bytes: 6 * 1024 * 1024 });
    fakes.anthropic.queueImageReview({ altText: ALT });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: POST } });
    const before = fakes.anthropic.messageRequests.length;

    // A single-tweet topic: a random thread topic would refuse the scripted tweet and ask again.
    const reply = await deferredAnswer(draftWithImage({ filename: 'loop.gif', data: gif, contentType: 'image/gif' }, { topic: 'education' }));

    expect(text(reply.embeds)).toMatch(/Draft #\d+ ready for moderation/);
    const images = fakes.anthropic.receivedImages.filter((image) => image.requestIndex >= before);
    expect(images.map((image) => [image.requestIndex - before, image.mediaType])).toEqual([
      [0, 'image/jpeg'],
      [1, 'image/jpeg'],
    ]);
    expect(images.every((image) => image.bytes < gif.length && image.sha256 !== sha256(gif))).toBe(true);
    const [draft] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(draft!.media?.map((m) => [m.mimeType, m.sha256, m.bytes, m.width, m.height, m.altText])).toEqual([
      ['image/gif', sha256(gif), gif.length, 2_000, 1_000, ALT],
    ]);
    expect(mediaFiles(testApp)).toEqual([sha256(gif)]);
  });

  it('GIVEN /draft image: without type THEN the topic picks the content type as before, and the post is still about the image', async () => {
    const testApp = await harness.start();
    const jpeg = testImage('jpeg', { width: 640, height: 480 });
    fakes.anthropic.queueImageReview({ altText: ALT });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: POST } });

    const reply = await deferredAnswer(draftWithImage({ filename: 'photo.jpg', data: jpeg, contentType: 'image/jpeg' }, { topic: 'education' }));

    expect(text(reply.embeds)).toMatch(/Draft #\d+ ready for moderation/);
    const [draft] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(draft).toMatchObject({ topicName: 'education', contentType: 'education' });
    expect(draft!.media?.map((m) => [m.mimeType, m.altText, m.findings])).toEqual([['image/jpeg', ALT, []]]);
    expect(draft!.riskFlags.filter((flag) => flag.id === 'image_content')).toEqual([]);
  });

  it("GIVEN /draft image: with alt: THEN Claude is not asked to describe the image, and the draft's image carries the moderator's alt text", async () => {
    const testApp = await harness.start();
    const png = testImage('png', { width: 800, height: 600 });
    fakes.anthropic.queueOutput({ draft: { kind: 'tweet', text: POST } });
    const before = fakes.anthropic.messageRequests.length;

    // A single-tweet topic: a random thread topic would refuse the scripted tweet and ask again.
    const reply = await deferredAnswer(
      draftWithImage({ filename: 'curve.png', data: png, contentType: 'image/png' }, { alt: `  ${ALT}  `, topic: 'education' }),
    );

    expect(text(reply.embeds)).toMatch(/Draft #\d+ ready for moderation/);
    expect(text(reply.embeds)).toContain('alt text by moderator');
    // One call only: the post, with the image in front of it.
    expect(fakes.anthropic.messageRequests.length - before).toBe(1);
    expect(fakes.anthropic.receivedImages.filter((image) => image.requestIndex >= before).map((image) => image.requestIndex - before)).toEqual([0]);
    const [draft] = await testApp.app.repos.drafts.findByStatuses(['pending']);
    expect(draft!.media?.map((m) => [m.altText, m.altSource, m.findings])).toEqual([[ALT, 'moderator', []]]);
  });

  it('GIVEN /draft image: with an alt: that mentions someone or is too long THEN an ephemeral error names the rule, with no Claude call, no draft and no file', async () => {
    const testApp = await harness.start();
    const before = fakes.anthropic.messageRequests.length;
    for (const [alt, rule] of [
      ['A chart shared by @someone', /@someone; @mentions are not allowed/],
      ['x'.repeat(1001), /1001 characters; the limit is 1000/],
    ] as const) {
      const reply = await deferredAnswer(draftWithImage({ filename: 'curve.png', data: testImage('png'), contentType: 'image/png' }, { alt }));
      expect(reply.ephemeral).toBe(true);
      expect(text(reply.embeds)).toMatch(rule);
    }
    expect(fakes.anthropic.messageRequests.length).toBe(before);
    expect((await testApp.app.repos.drafts.countByStatus()).pending).toBe(0);
    expect(mediaFiles(testApp)).toEqual([]);
  });

  it('GIVEN /draft alt: without image: THEN it is refused at once, privately, and nothing is generated', async () => {
    const testApp = await harness.start();
    const before = fakes.anthropic.messageRequests.length;
    const interaction = harness.track(fakes.discord.injectSlashCommand({ name: 'draft', options: { alt: 'A chart' } }));
    const callback = await fakes.discord.waitForCallback(interaction.id);
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(Number(callback.data?.['flags'] ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(JSON.stringify(callback.data)).toMatch(/alt:.*image:/);
    expect(fakes.anthropic.messageRequests.length).toBe(before);
    expect((await testApp.app.repos.drafts.countByStatus()).pending).toBe(0);
  });

  it('GIVEN Claude is overloaded when it should describe the image THEN the answer is an ephemeral error saying so, and no draft is written', async () => {
    const testApp = await harness.start();
    // ANTHROPIC_MAX_RETRIES=2: the SDK tries three times, then gives up.
    fakes.anthropic.failWithOverloaded({ times: 3, retryAfterMs: 1 });
    const before = fakes.anthropic.messageRequests.length;

    const reply = await deferredAnswer(draftWithImage({ filename: 'curve.png', data: testImage('png'), contentType: 'image/png' }));

    expect(reply.ephemeral).toBe(true);
    expect(text(reply.embeds)).toMatch(/Claude could not describe the image: Claude is overloaded \(529\)/);
    // /draft has no alt text field but its `alt:` option: the error names it, not "write it yourself".
    expect(text(reply.embeds)).toMatch(/alt:/);
    expect(text(reply.embeds)).not.toMatch(/write the alt text yourself/);
    // Three tries to describe it, none to write a post.
    expect(fakes.anthropic.messageRequests.length - before).toBe(3);
    expect(fakes.anthropic.receivedImages.filter((image) => image.requestIndex >= before)).toHaveLength(3);
    expect((await testApp.app.repos.drafts.countByStatus()).pending).toBe(0);
  });

  for (const bad of [
    {
      name: 'a file that is not an image',
      upload: { filename: 'notes.txt', data: Buffer.from('gm, this is not a picture'), contentType: 'text/plain' },
      rule: /PNG, JPEG, WEBP or GIF/,
    },
    { name: 'a corrupt PNG', upload: { filename: 'broken.png', data: corruptImage(), contentType: 'image/png' }, rule: /does not decode as an image/ },
    {
      name: 'a truncated JPEG whose header is valid',
      upload: { filename: 'cut.jpg', data: testImage('jpeg', { width: 640, height: 480 }).subarray(0, 300), contentType: 'image/jpeg' },
      rule: /cut\.jpg does not decode as a JPEG image/,
    },
    {
      name: 'a PNG announced as JPEG',
      upload: { filename: 'chart.jpg', data: testImage('png'), contentType: 'image/jpeg' },
      rule: /claims to be JPEG but its bytes are PNG/,
    },
  ]) {
    it(`GIVEN /draft image: ${bad.name} THEN the answer is an ephemeral error naming the rule, and no Claude call, no draft and no file`, async () => {
      const testApp = await harness.start();
      const before = fakes.anthropic.messageRequests.length;

      const reply = await deferredAnswer(draftWithImage(bad.upload));

      expect(reply.ephemeral).toBe(true);
      expect(text(reply.embeds)).toMatch(bad.rule);
      expect(fakes.anthropic.messageRequests.length).toBe(before);
      expect((await testApp.app.repos.drafts.countByStatus()).pending).toBe(0);
      expect(mediaFiles(testApp)).toEqual([]);
    });
  }
});
