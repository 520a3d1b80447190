import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClaudeDraftGenerator } from '../../src/adapters/claude/claude-draft-generator.js';
import { ClaudeImageDescriber, type ClaudeImageDescriberOptions } from '../../src/adapters/claude/claude-image-describer.js';
import { GenerationError } from '../../src/domain/generation.js';
import { FAKE_ANTHROPIC_API_KEY, FakeAnthropic } from '../support/fake-anthropic.js';
import { loadSpecValidator } from '../support/spec-validator.js';

const MODEL = 'claude-sonnet-5-5';

/** A real 1x1 PNG and a real 1x1 GIF (the smallest files every decoder reads). */
const PNG = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
const GIF = new Uint8Array(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

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

  // REVIEW (issue 14): X takes a GIF up to 15 MB, but the Messages API refuses an image over 5 MB
  // (the fake too), so a 6 MB GIF without the moderator's alt text is refused, and `/draft image:`
  // (which never takes an alt text) cannot use it at all. Skipped until the describer or MediaService
  // handles images over Claude's limit (e.g. ask for the moderator's alt text, or describe a smaller copy).
  it.skip('GIVEN a 6 MB GIF, which X takes WHEN it is described THEN Claude gets something it accepts and writes an alt text', async () => {
    const big = new Uint8Array(6 * 1024 * 1024);
    big.set(GIF);
    const review = await makeDescriber().describe({ mimeType: 'image/gif', data: big }, {});
    expect(review.altText.length).toBeGreaterThan(0);
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
