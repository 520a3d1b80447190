import Anthropic from '@anthropic-ai/sdk';
import type { TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateTokens, FAKE_ANTHROPIC_API_KEY, FakeAnthropic, minCacheableTokens } from '../support/fake-anthropic.js';
import { specProblemsOf } from '../support/spec-traffic.js';

/**
 * The fake's prompt caching, through the real SDK: what the learned-voice tests rely on when they
 * assert cache reads. Tokens are estimated from the bytes sent (about 4 per token).
 */
describe('fake Anthropic: prompt caching as the API does it', () => {
  const fake = new FakeAnthropic();
  let client: Anthropic;
  let now = Date.UTC(2026, 10, 25, 12, 0, 0);

  beforeAll(async () => {
    await fake.start();
    fake.cacheClock = () => now;
    client = new Anthropic({ apiKey: FAKE_ANTHROPIC_API_KEY, baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(async () => {
    await fake.stop();
    expect(await specProblemsOf({ anthropic: fake })).toEqual([]);
  });
  beforeEach(() => {
    fake.clearPromptCache();
  });

  /** About `tokens` tokens of text, distinct per `seed`. */
  const text = (tokens: number, seed: string) => `${seed} `.padEnd(tokens * 4, 'lorem ipsum dolor ');
  const ask = async (system: TextBlockParam[], model = 'claude-sonnet-4-5') => {
    const message = await client.messages.create({ model, max_tokens: 16, system, messages: [{ role: 'user', content: 'Write one tweet.' }] });
    return message.usage;
  };
  const cached = (t: string): TextBlockParam => ({ type: 'text', text: t, cache_control: { type: 'ephemeral' } });

  it('GIVEN a prefix over the minimum WHEN the same prefix comes again within 5 minutes THEN the second request reads it; after the TTL it is written again', async () => {
    const rules = text(1_500, 'rules');
    const first = await ask([cached(rules)]);
    expect(first.cache_creation_input_tokens).toBe(estimateTokens(rules));
    expect(first.cache_read_input_tokens).toBe(0);
    expect(first.input_tokens).toBeGreaterThan(0);

    now += 4 * 60_000;
    const second = await ask([cached(rules)]);
    expect(second.cache_read_input_tokens).toBe(estimateTokens(rules));
    expect(second.cache_creation_input_tokens).toBe(0);
    expect(second.input_tokens).toBe(first.input_tokens);

    now += 5 * 60_000 + 1;
    const expired = await ask([cached(rules)]);
    expect(expired.cache_read_input_tokens).toBe(0);
    expect(expired.cache_creation_input_tokens).toBe(estimateTokens(rules));
  });

  it('GIVEN two breakpoints WHEN only the second block changes THEN the first is read and the rest written; a changed first block misses both', async () => {
    const rules = text(1_500, 'rules');
    await ask([cached(rules), cached(text(600, 'monday'))]);
    const tuesday = text(700, 'tuesday');
    const usage = await ask([cached(rules), cached(tuesday)]);
    expect(usage.cache_read_input_tokens).toBe(estimateTokens(rules));
    expect(usage.cache_creation_input_tokens).toBe(estimateTokens(tuesday));
    const other = await ask([cached(text(1_500, 'other rules')), cached(tuesday)]);
    expect(other.cache_read_input_tokens).toBe(0);
    expect(fake.cacheOutcomes.at(-1)?.breakpointTokens).toHaveLength(2);
  });

  it("GIVEN a prefix under the model's minimum cacheable length THEN nothing is cached or read", async () => {
    expect(minCacheableTokens('claude-sonnet-4-5')).toBe(1_024);
    expect(minCacheableTokens('claude-haiku-4-5')).toBe(4_096);
    const short = text(900, 'short');
    await ask([cached(short)]);
    const again = await ask([cached(short)]);
    expect(again.cache_read_input_tokens).toBe(0);
    expect(again.cache_creation_input_tokens).toBe(0);
    const mid = text(2_000, 'mid');
    await ask([cached(mid)], 'claude-haiku-4-5');
    expect((await ask([cached(mid)], 'claude-haiku-4-5')).cache_read_input_tokens).toBe(0);
    await ask([cached(mid)], 'claude-sonnet-4-5');
    expect((await ask([cached(mid)], 'claude-sonnet-4-5')).cache_read_input_tokens).toBe(estimateTokens(mid));
  });

  it('GIVEN a scripted usage THEN it is answered as scripted, whatever the cache did', async () => {
    const rules = text(1_500, 'rules');
    await ask([cached(rules)]);
    fake.queueText('ok', { usage: { input_tokens: 321, output_tokens: 5 } });
    expect(await ask([cached(rules)])).toMatchObject({ input_tokens: 321, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    expect(fake.cacheOutcomes.at(-1)?.read).toBe(estimateTokens(rules));
  });
});
