import { createHash } from 'node:crypto';
import { imageSize } from 'image-size';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeDraftGenerator } from '../../src/adapters/claude/claude-draft-generator.js';
import { ClaudeImageDescriber, type ClaudeImageDescriberOptions } from '../../src/adapters/claude/claude-image-describer.js';
import { GenerationError } from '../../src/domain/generation.js';
import { FAKE_ANTHROPIC_API_KEY, FakeAnthropic } from '../support/fake-anthropic.js';
import { testImage } from '../support/images.js';
import { loadSpecValidator } from '../support/spec-validator.js';

const MODEL = 'claude-sonnet-5-5';

/** A real 1x1 PNG and a real 1x1 GIF (the smallest files every decoder reads). */
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
const GIF = new Uint8Array(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The image blocks of the requests since `start`, with the media type, size in pixels and base64 length Claude got. */
function sentImages(start: number) {
  return fake.messageBodies.slice(start).flatMap((body) =>
    body.messages.flatMap((message) =>
      typeof message.content === 'string'
        ? []
        : message.content.flatMap((block) => {
            if (block.type !== 'image' || !block.source?.data) return [];
            const { width, height } = imageSize(Buffer.from(block.source.data, 'base64'));
            return [{ mediaType: block.source.media_type, width, height, base64Chars: block.source.data.length }];
          }),
    ),
  );
}

let fake: FakeAnthropic;
let baseUrl: string;

beforeAll(async () => {
  fake = new FakeAnthropic();
  baseUrl = await fake.start();
});

afterAll(async () => {
  await fake.stop();
});

afterEach(() => {
  fake.http.clearFaults();
});

const connection = () => ({
  apiKey: FAKE_ANTHROPIC_API_KEY,
  model: MODEL,
  baseUrl,
  maxRetries: 1,
  timeoutMs: 5_000,
  maxHashtags: 2,
  allowedLinkDomains: ['pump.fun'],
});

function makeDescriber(overrides: Partial<ClaudeImageDescriberOptions> = {}): ClaudeImageDescriber {
  return new ClaudeImageDescriber({ ...connection(), ...overrides });
}

async function failure(promise: Promise<unknown>): Promise<GenerationError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GenerationError);
  return error as GenerationError;
}

describe('ClaudeImageDescriber against the fake Anthropic API', () => {
  it('GIVEN a PNG WHEN it is described THEN Claude gets exactly that image as a base64 block before the task, and the review carries alt text, findings, usage and model', async () => {
    const start = fake.messageRequests.length;
    fake.queueImageReview(
      {
        altText: '  A chart of a token price climbing, with a wallet address in the corner.  ',
        findings: ['shows a wallet address', 'promises a price target'],
      },
      { usage: { input_tokens: 1_500, output_tokens: 80 } },
    );

    const review = await makeDescriber().describe({ mimeType: 'image/png', data: PNG }, { topicName: 'Bonding curves', tweets: ['Curves, explained.'] });

    expect(review).toEqual({
      altText: 'A chart of a token price climbing, with a wallet address in the corner.',
      findings: ['shows a wallet address', 'promises a price target'],
      usage: { inputTokens: 1_500, outputTokens: 80, cacheReadTokens: 0, cacheCreationTokens: 0 },
      model: MODEL,
    });
    const images = fake.receivedImages.filter((image) => image.requestIndex >= start);
    expect(images).toEqual([{ requestIndex: start, blockIndex: 0, mediaType: 'image/png', sha256: sha256(PNG), bytes: PNG.byteLength }]);
    const body = fake.messageBodies[start]!;
    expect(body.model).toBe(MODEL);
    const content = body.messages[0]!.content as Array<{ type: string; text?: string }>;
    expect(content.map((block) => block.type)).toEqual(['image', 'text']);
    expect(content[1]!.text).toContain('<topic>\nName: Bonding curves\n</topic>');
    expect(content[1]!.text).toContain('<post>Curves, explained.</post>');
    // The same hard rules as the posts, and the structured output that makes the answer JSON.
    const system = JSON.stringify(body.system);
    expect(system).toContain('No contract addresses, token mint addresses or wallet addresses.');
    expect(system).toContain('No promises of profit or returns');
    expect(body.output_config?.format?.type).toBe('json_schema');
    expect(Object.keys(body.output_config?.format?.schema['properties'] as object)).toEqual(['alt_text', 'findings']);
  });

  it('GIVEN an alt text longer than 1,000 characters THEN it is cut to 1,000 characters without splitting an emoji', async () => {
    fake.queueImageReview({ altText: `${'a'.repeat(999)}🚀 and more after the limit`, findings: [] });

    const review = await makeDescriber().describe({ mimeType: 'image/gif', data: GIF }, {});

    expect(Array.from(review.altText)).toHaveLength(1_000);
    expect(review.altText.endsWith('a🚀')).toBe(true);
    expect(review.findings).toEqual([]);
  });

  it('GIVEN an alt text that copied a wallet address and an @handle from the image THEN both are named instead, so the alt text passes the alt-text rules', async () => {
    fake.queueImageReview({
      altText: 'A screenshot of a post by @pumpdotfun_fake with the wallet 7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU in big letters.',
      findings: ['shows a wallet address'],
    });

    const review = await makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {});

    expect(review.altText).toBe('A screenshot of a post by an X handle with the wallet a wallet address in big letters.');
    expect(review.findings).toEqual(['shows a wallet address']);
  });

  it('GIVEN an answer that is not JSON, or misses findings, or is empty THEN it is a retryable invalid_output with the usage spent', async () => {
    fake.queueText('A chart, I think.', { usage: { output_tokens: 9 } });
    const notJson = await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}));
    expect(notJson).toMatchObject({ kind: 'invalid_output', retryable: true });
    expect(notJson.usage?.outputTokens).toBe(9);

    fake.queueOutput({ alt_text: 'A chart.' });
    const missing = await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}));
    expect(missing.kind).toBe('invalid_output');
    expect(missing.message).toMatch(/findings/);

    fake.queueOutput({ alt_text: '   ', findings: [] });
    expect((await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}))).kind).toBe('invalid_output');
  });

  it('GIVEN a refusal, a cut-off answer, a bad key or an overloaded API THEN it fails with the same GenerationError kinds as generate', async () => {
    fake.queueText('{"alt_text": "I can', { stopReason: 'refusal' });
    expect(await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}))).toMatchObject({ kind: 'refused', retryable: true });

    fake.queueText('{"alt_text": "A long', { stopReason: 'max_tokens' });
    expect(await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}))).toMatchObject({ kind: 'truncated' });

    const auth = await failure(makeDescriber({ apiKey: 'sk-ant-wrong-key' }).describe({ mimeType: 'image/png', data: PNG }, {}));
    expect(auth).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect(auth.message).not.toContain('sk-ant-wrong-key');

    fake.failWithOverloaded({ times: 2, retryAfterMs: 1 });
    expect(await failure(makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {}))).toMatchObject({ kind: 'overloaded', status: 529 });
  });

  // X takes a GIF up to 15 MB and a PNG up to 5 MB, but the Messages API refuses an image whose
  // base64 is over 5 MB (about 3.75 MB raw) or with a side over 8000 px: Claude gets a smaller copy.
  it('GIVEN a 6 MB GIF, which X takes WHEN it is described THEN Claude gets a JPEG copy of its first frame scaled to a 1568 px long edge, and writes an alt text', async () => {
    const start = fake.messageRequests.length;
    const big = testImage('gif', { width: 2_000, height: 1_000, bytes: 6 * 1024 * 1024 });

    const review = await makeDescriber().describe({ mimeType: 'image/gif', data: big }, {});

    expect(review.altText.length).toBeGreaterThan(0);
    const sent = sentImages(start);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ mediaType: 'image/jpeg', width: 1_568, height: 784 });
    expect(sent[0]!.base64Chars).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it("GIVEN a 4.5 MB PNG (within X's 5 MB, over Claude's 5 MB of base64) WHEN a post is generated about it THEN Claude gets a copy that fits and the post is written", async () => {
    const start = fake.messageRequests.length;
    const png = testImage('png', { width: 1_200, height: 900, bytes: 4_500_000 });
    fake.queueOutput({ draft: { kind: 'tweet', text: 'A chart worth a look.' } });

    const result = await new ClaudeDraftGenerator(connection()).generate({
      contentType: 'education',
      topicName: 'Charts',
      recentPosts: [],
      images: [{ mimeType: 'image/png', data: png }],
    });

    expect(result.tweets).toEqual(['A chart worth a look.']);
    // Already under 1568 px: only re-encoded, never scaled up.
    expect(sentImages(start)).toEqual([expect.objectContaining({ mediaType: 'image/jpeg', width: 1_200, height: 900 })]);
  });

  it('GIVEN a small file over 8000 px on one side WHEN it is described THEN Claude gets a copy within 1568 px', async () => {
    const start = fake.messageRequests.length;
    const wide = testImage('png', { width: 9_000, height: 20 });

    await makeDescriber().describe({ mimeType: 'image/png', data: wide }, {});

    expect(sentImages(start)).toEqual([expect.objectContaining({ mediaType: 'image/jpeg', width: 1_568 })]);
  });

  it('GIVEN a 3.5 MB PNG, within every Claude limit WHEN it is described THEN Claude gets exactly those bytes', async () => {
    const start = fake.messageRequests.length;
    const png = testImage('png', { width: 2_000, height: 1_500, bytes: 3_500_000 });

    await makeDescriber().describe({ mimeType: 'image/png', data: png }, {});

    expect(fake.receivedImages.filter((i) => i.requestIndex >= start)).toEqual([
      { requestIndex: start, blockIndex: 0, mediaType: 'image/png', sha256: sha256(png), bytes: png.byteLength },
    ]);
  });

  it('GIVEN the fake WHEN an image over 5 MB of base64 or over 8000 px reaches it THEN it answers 400 as the API does', async () => {
    const post = async (data: Buffer) => {
      const response = await fetch(`${baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': FAKE_ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: MODEL,
          max_tokens: 16,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: data.toString('base64') } }] }],
        }),
      });
      return { status: response.status, body: (await response.json()) as { error: { message: string } } };
    };
    const tooBig = await post(testImage('png', { bytes: 4_000_000 }));
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.message).toMatch(/image exceeds 5 MB maximum/);
    const tooWide = await post(testImage('png', { width: 8_001, height: 2 }));
    expect(tooWide.status).toBe(400);
    expect(tooWide.body.error.message).toMatch(/dimensions exceed max allowed size: 8000 pixels/);
  });

  it('GIVEN nothing scripted THEN the fake describes the image plainly with no findings', async () => {
    const review = await makeDescriber().describe({ mimeType: 'image/png', data: PNG }, {});
    expect(review.altText).toMatch(/image\/png/);
    expect(review.findings).toEqual([]);
  });

  it('GIVEN bytes that are not the type they claim THEN the fake refuses them as the API does (400) and the describer reports bad_request', async () => {
    const error = await failure(makeDescriber().describe({ mimeType: 'image/png', data: GIF }, {}));
    expect(error).toMatchObject({ kind: 'bad_request', status: 400, retryable: false });
    expect(error.message).toMatch(/does not match the provided media type image\/png/);
  });
});

describe('image blocks in generation', () => {
  it('GIVEN a generation request with an image THEN the image block comes before the text and the prompt asks for a post about it', async () => {
    const start = fake.messageRequests.length;
    const generator = new ClaudeDraftGenerator(connection());
    fake.queueOutput({ draft: { kind: 'tweet', text: 'That chart is a bonding curve doing its thing.' } });

    const result = await generator.generate({
      contentType: 'education',
      topicName: 'Bonding curves',
      recentPosts: [],
      images: [
        { mimeType: 'image/png', data: PNG },
        { mimeType: 'image/gif', data: GIF },
      ],
    });

    expect(result.tweets).toEqual(['That chart is a bonding curve doing its thing.']);
    expect(fake.receivedImages.filter((i) => i.requestIndex >= start)).toEqual([
      { requestIndex: start, blockIndex: 0, mediaType: 'image/png', sha256: sha256(PNG), bytes: PNG.byteLength },
      { requestIndex: start, blockIndex: 1, mediaType: 'image/gif', sha256: sha256(GIF), bytes: GIF.byteLength },
    ]);
    const content = fake.messageBodies[start]!.messages[0]!.content as Array<{ type: string; text?: string }>;
    expect(content.map((block) => block.type)).toEqual(['image', 'image', 'text']);
    expect(content[2]!.text).toMatch(/about the 2 images above/);
  });

  it('GIVEN a generation request without images THEN the user message stays plain text, as before', async () => {
    const start = fake.messageRequests.length;
    await new ClaudeDraftGenerator(connection()).generate({ contentType: 'education', topicName: 'Wallet safety', recentPosts: [] });
    expect(typeof fake.messageBodies[start]!.messages[0]!.content).toBe('string');
    expect(fake.receivedImages.filter((i) => i.requestIndex >= start)).toEqual([]);
  });

  // Last: every request above, faults and retries included, matches the official spec.
  it('GIVEN every request sent in this file THEN each one validates against the Anthropic OpenAPI spec', async () => {
    const validator = await loadSpecValidator('anthropic');
    const sent = fake.messageRequests;
    expect(sent.length).toBeGreaterThan(8);
    expect(sent.flatMap((request, i) => validator.validate(request).map((p) => `request ${i}: ${p}`))).toEqual([]);
  });
});
