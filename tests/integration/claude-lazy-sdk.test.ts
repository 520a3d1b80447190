import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FAKE_ANTHROPIC_API_KEY, FakeAnthropic } from '../support/fake-anthropic.js';
import { loadSpecValidator } from '../support/spec-validator.js';

const MODEL = 'claude-sonnet-4-5';

/**
 * Every entry point of the SDK our code imports (claude-sdk.ts imports the client, the Messages
 * resource and the errors by their own paths, so the bundle keeps only those), read from the
 * source so a new import cannot slip past the mock.
 */
const SDK_ENTRY_POINTS = [
  '@anthropic-ai/sdk',
  ...[
    ...readFileSync(new URL('../../src/adapters/claude/claude-sdk.ts', import.meta.url), 'utf8').matchAll(
      /^import (?!type )[^;]*from '(@anthropic-ai\/sdk[^']*)'/gm,
    ),
  ].map((m) => m[1] as string),
];

/** Makes every SDK entry point throw when loaded; returns the undo. */
function mockSdkAsUnloadable(): () => void {
  for (const entry of SDK_ENTRY_POINTS) {
    vi.doMock(entry, () => {
      throw new Error('@anthropic-ai/sdk loaded');
    });
  }
  return () => {
    for (const entry of SDK_ENTRY_POINTS) vi.doUnmock(entry);
  };
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

/**
 * Issue 16 (memory): the Anthropic SDK is about 5 MB of heap and 8 MB of RSS that an idle bot
 * does not need. The start-up key check must not load it; the first generation does.
 */
describe('the Anthropic SDK is loaded on the first generation only', () => {
  it('GIVEN claude-sdk.ts WHEN its SDK imports are read THEN the client, the Messages resource and the errors are among them (the mock covers what is loaded)', () => {
    expect(SDK_ENTRY_POINTS).toEqual(
      expect.arrayContaining(['@anthropic-ai/sdk/client', '@anthropic-ai/sdk/resources/messages/messages', '@anthropic-ai/sdk/core/error']),
    );
  });
  it('GIVEN the SDK cannot be loaded WHEN the generator is built and the start-up key check runs THEN both work, and a generation is what needs the SDK', async () => {
    vi.resetModules();
    const unmockSdk = mockSdkAsUnloadable();
    try {
      const { ClaudeDraftGenerator } = await import('../../src/adapters/claude/claude-draft-generator.js');
      const options = { apiKey: FAKE_ANTHROPIC_API_KEY, model: MODEL, baseUrl, maxRetries: 0, timeoutMs: 5_000, maxHashtags: 2, allowedLinkDomains: [] };
      const generator = new ClaudeDraftGenerator(options);
      const checks = fake.modelRequests.length;
      await generator.checkAccess();
      expect(fake.modelRequests.length).toBe(checks + 1);

      // The same classification as the SDK's for what the check can meet.
      const refused = await new ClaudeDraftGenerator({ ...options, apiKey: 'sk-ant-wrong-key' }).checkAccess().catch((e: unknown) => e);
      // Not toBeInstanceOf: resetModules gave this import its own copy of the domain's GenerationError.
      expect((refused as Error).name).toBe('GenerationError');
      expect(refused).toMatchObject({ kind: 'auth', status: 401, retryable: false });
      expect((refused as Error).message).not.toContain('sk-ant-wrong-key');
      fake.knownModels = new Set(['claude-other']);
      const unknown = await generator.checkAccess().catch((e: unknown) => e);
      expect(unknown).toMatchObject({ kind: 'bad_request', status: 404, retryable: false });
      expect((unknown as { requestId?: string }).requestId).toMatch(/./);

      // The plain GET that replaced the SDK's call at start-up is what the official spec describes.
      const validator = await loadSpecValidator('anthropic');
      const problems = fake.modelRequests.flatMap((request, i) => validator.validate(request).map((p) => `request ${i}: ${p}`));
      expect(fake.modelRequests.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);

      await expect(generator.generate({ contentType: 'education', topicName: 'Wallet safety', recentPosts: [] })).rejects.toThrow(
        /mocking a module|@anthropic-ai\/sdk loaded/,
      );
    } finally {
      fake.knownModels = null;
      unmockSdk();
      vi.resetModules();
    }
  });
  it('GIVEN the SDK cannot be loaded WHEN the image describer is built THEN building it needs no SDK, and a description is what loads it', async () => {
    vi.resetModules();
    const unmockSdk = mockSdkAsUnloadable();
    try {
      const { ClaudeImageDescriber } = await import('../../src/adapters/claude/claude-image-describer.js');
      const describer = new ClaudeImageDescriber({
        apiKey: FAKE_ANTHROPIC_API_KEY,
        model: MODEL,
        baseUrl,
        maxRetries: 0,
        timeoutMs: 5_000,
        maxHashtags: 2,
        allowedLinkDomains: [],
      });
      const png = new Uint8Array(Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'));
      await expect(describer.describe({ mimeType: 'image/png', data: png }, {})).rejects.toThrow(/mocking a module|@anthropic-ai\/sdk loaded/);
    } finally {
      unmockSdk();
      vi.resetModules();
    }
  });
});
